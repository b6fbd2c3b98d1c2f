package plan

import "github.com/apache/arrow-go/v18/arrow"

// CommonType is the type values of all of types widen to, as coalesce and union by name
// convert them: integers to int64, integers and floats to float64, decimals to a decimal
// that holds them all, strings (dictionary-encoded or not) to string, NULL to the others.
// Types with no common type (a date and a string, say) are an error of kind ErrType.
func CommonType(types ...arrow.DataType) (arrow.DataType, error) { return commonType(types) }
