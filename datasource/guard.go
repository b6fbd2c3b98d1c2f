package datasource

import "fmt"

// decode runs fn, a call into arrow-go's IPC or Parquet decoders on file bytes, and turns
// a panic into an error (the caller adds the file's name). Those decoders read flatbuffers and offsets from
// the file without checking every bound, so a damaged file can make them panic; no input
// may crash the program that embeds the library.
func decode[T any](format string, fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, fmt.Errorf("damaged %s file: %v", format, p)
		}
	}()
	return fn()
}
