package colop

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ComputeCtx is the context for arrow's compute functions: ctx's values, mem as their
// allocator, and no cancellation. arrow-go's executors return nil as soon as their context
// ends, without taking the result the kernel goroutine still delivers, whose buffers then
// leak; so callers check ctx themselves, before and between calls.
func ComputeCtx(ctx context.Context, mem memory.Allocator) context.Context {
	return compute.WithAllocator(context.WithoutCancel(ctx), mem)
}
