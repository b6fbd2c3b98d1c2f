package hashjoin

import (
	"fmt"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
)

// loadDecimals views a decimal128 key column's values in place: both sides have one
// decimal type (the analyzer requires it), so equal unscaled values are equal keys.
func (c *hjKeyCol) loadDecimals(arr arrow.Array) error {
	if !kernel.IsDecimal128(arr.DataType()) {
		return fmt.Errorf("decimal key got %s", arr.DataType())
	}
	c.decs = kernel.DecimalValues(arr)
	return nil
}
