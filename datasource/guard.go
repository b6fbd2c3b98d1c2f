package datasource

import (
	"errors"
	"fmt"
)

// damagedError is a panic of a decoder, caught by decode.
type damagedError struct {
	format string
	panic  any
}

func (e *damagedError) Error() string {
	return fmt.Sprintf("damaged %s file: %v", e.format, e.panic)
}

// decode runs fn, a call into arrow-go's IPC or Parquet decoders on file bytes, and turns
// a panic into an error (the caller adds the file's name). Those decoders read flatbuffers,
// thrift and offsets from the file without checking every bound, so a damaged file can make
// them panic; no input may crash the program that embeds the library.
func decode[T any](format string, fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, &damagedError{format: format, panic: p}
		}
	}()
	return fn()
}

// decodeFile is decode around a whole operation on the file at path, whose own errors
// already name it.
func decodeFile[T any](path, format string, fn func() (T, error)) (T, error) {
	v, err := decode(format, fn)
	var d *damagedError
	if errors.As(err, &d) && err == error(d) {
		err = fmt.Errorf("datasource: %s: %w", path, err)
	}
	return v, err
}
