// Package tpch is kbench's TPC-H harness: it generates the eight TPC-H tables with
// go-tpc's Go port of dbgen, writes them as Parquet through kindling's writer (cached
// per scale factor), opens them as datasets, and holds the 22 queries twice: as SQL text
// (queries/qNN.sql, with the specification's validation parameters; DuckDB runs it, and
// so will kindling's SQL front end) and as DataFrame programs (DataFrame, one file per
// query). Compare checks two engines' answers row by row.
//
// Data types follow the specification: identifiers and integers int64, DECIMAL(15,2)
// money, quantity, discount and tax columns decimal128(15,2), dates date32, text
// strings.
//
// Scale factors below 1: go-tpc's dbgen takes an integer scale factor only
// (dbgen.InitDbGen(int64)). A fraction sf is generated as the official dbgen does it
// (every table's base row count times sf, the scale itself 1): the generator runs at
// scale 1 and each table stops after its share of rows; the part key range of line
// items is narrowed through dbgen.LPkeyMax; customer keys of orders, which dbgen draws
// from the scale-1 range, are folded into the smaller range modulo the customer count
// (a multiple of 3, so that the third of the customers without orders stays so); and the
// supplier keys of partsupp and lineitem are recomputed with dbgen's part-supplier
// formula over the smaller supplier count. The data is then TPC-H data of that size
// with consistent keys, though not byte for byte what the C dbgen writes.
package tpch
