// Package windiff is a differential test of kindling's window functions, its newer
// aggregates and its joins against DuckDB over generated data (see Generate).
//
// TestWindowsAgainstDuckDB computes every ranking function, Lag and Lead with and
// without defaults, FirstValue, LastValue and NthValue (with and without ignore-nulls)
// and Sum, Count, CountOf, Mean, Min and Max over frames (Spark's default frame with and
// without ORDER BY, ROWS and RANGE frames with offsets and unbounded ends, RANGE over a
// date key in days, ascending and descending orders, with and without PARTITION BY) in
// both engines over 30,000 rows in four partitions, and compares them row by row keyed
// by the row id. The partition key has an empty-string value, NULLs and a value on a
// single row; the order keys have many ties and NULLs; the values have NULLs.
//
// kindling follows Spark's semantics (ANSI mode off). Where DuckDB differs, the DuckDB
// SQL is rewritten to give Spark's answer:
//
//	Function             DuckDB                                  Spark (kindling)                           DuckDB SQL used
//	ORDER BY x (window)  ASC puts NULLs last                      ASC NULLS FIRST                            ORDER BY x ASC NULLS FIRST
//	ORDER BY x DESC      NULLS FIRST                              DESC NULLS LAST                            ORDER BY x DESC NULLS LAST
//	RANGE over a date    offsets are intervals                    offsets are days (RangeBetween(-7, 0))     RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND CURRENT ROW
//
// Checked and the same in both (no rewrite): the default frame (RANGE UNBOUNDED
// PRECEDING to CURRENT ROW with its peers when ordered, the whole partition when not);
// NULL order keys are peers of each other in RANGE frames whatever the offset; NTile
// gives the first n mod k buckets one row more; PercentRank is 0 on a single-row
// partition; Lag and Lead defaults (a literal or a column); IGNORE NULLS of
// first_value, last_value and nth_value; an empty frame gives NULL for sum, min, max
// and avg and 0 for count.
//
// Cases whose answer depends on the order of tied rows (LastValue of a value column
// ordered by a key with ties, say) are unspecified in both engines and left out: the
// value read at a tied frame edge is the order key itself, or the order is made total
// by the row id.
package windiff
