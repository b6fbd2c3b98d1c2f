package eval

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// The oracles below are Go's crypto packages, and Murmur3 and XXH64 written here from
// their published descriptions (byte by byte, unlike the kernels), checked against the
// published test vectors.

// refMurmur3 is the standard MurmurHash3_x86_32 of data.
func refMurmur3(data []byte, seed uint32) uint32 {
	rotl := func(x uint32, r uint) uint32 { return x<<r | x>>(32-r) }
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	h := seed
	nblocks := len(data) / 4
	for i := 0; i < nblocks; i++ {
		b := data[4*i:]
		k := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		k *= c1
		k = rotl(k, 15)
		k *= c2
		h ^= k
		h = rotl(h, 13)
		h = h*5 + 0xe6546b64
	}
	tail := data[4*nblocks:]
	var k uint32
	switch len(tail) {
	case 3:
		k ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(tail[0])
		k *= c1
		k = rotl(k, 15)
		k *= c2
		h ^= k
	}
	return refFmix32(h ^ uint32(len(data)))
}

func refFmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// refSparkMurmurBytes is Spark's Murmur3_x86_32.hashUnsafeBytes: the standard algorithm
// over the whole 4-byte words, then every remaining byte, as a signed Java byte widened
// to an int, mixed in as a block of its own; the length is the byte count.
func refSparkMurmurBytes(data []byte, seed uint32) uint32 {
	aligned := len(data) - len(data)%4
	h := seed
	mix := func(k uint32) {
		k *= 0xcc9e2d51
		k = k<<15 | k>>17
		k *= 0x1b873593
		h ^= k
		h = h<<13 | h>>19
		h = h*5 + 0xe6546b64
	}
	for i := 0; i < aligned; i += 4 {
		mix(uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24)
	}
	for _, c := range data[aligned:] {
		mix(uint32(int32(int8(c))))
	}
	return refFmix32(h ^ uint32(len(data)))
}

// refXXH64 is XXH64 of data with seed.
func refXXH64(data []byte, seed uint64) uint64 {
	const (
		p1 uint64 = 11400714785074694791
		p2 uint64 = 14029467366897019727
		p3 uint64 = 1609587929392839161
		p4 uint64 = 9650029242287828579
		p5 uint64 = 2870177450012600261
	)
	rotl := func(x uint64, r uint) uint64 { return x<<r | x>>(64-r) }
	le := func(b []byte, n int) uint64 {
		var v uint64
		for i := n - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		return v
	}
	round := func(acc, in uint64) uint64 { return rotl(acc+in*p2, 31) * p1 }
	var h uint64
	p := 0
	if len(data) >= 32 {
		acc := [4]uint64{seed + p1 + p2, seed + p2, seed, seed - p1}
		for ; p+32 <= len(data); p += 32 {
			for l := 0; l < 4; l++ {
				acc[l] = round(acc[l], le(data[p+8*l:], 8))
			}
		}
		h = rotl(acc[0], 1) + rotl(acc[1], 7) + rotl(acc[2], 12) + rotl(acc[3], 18)
		for l := 0; l < 4; l++ {
			h = (h^round(0, acc[l]))*p1 + p4
		}
	} else {
		h = seed + p5
	}
	h += uint64(len(data))
	for ; p+8 <= len(data); p += 8 {
		h = rotl(h^round(0, le(data[p:], 8)), 27)*p1 + p4
	}
	if p+4 <= len(data) {
		h = rotl(h^le(data[p:], 4)*p1, 23)*p2 + p3
		p += 4
	}
	for ; p < len(data); p++ {
		h = rotl(h^uint64(data[p])*p5, 11) * p1
	}
	h ^= h >> 33
	h *= p2
	h ^= h >> 29
	h *= p3
	h ^= h >> 32
	return h
}

// TestHashReferences checks the oracles against published test vectors (and Spark's
// documented values), so that the kernel tests compare with something known right.
func TestHashReferences(t *testing.T) {
	for _, c := range []struct {
		in   string
		seed uint32
		want uint32
	}{
		{"", 0, 0}, {"", 1, 0x514E28B7}, {"", 0xffffffff, 0x81F16F39},
		{"\x00\x00\x00\x00", 0, 0x2362F9DE}, {"aaaa", 0x9747b28c, 0x5A97808A},
		{"Hello, world!", 0x9747b28c, 0x24884CBA},
		{"The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2FA826CD},
	} {
		if got := refMurmur3([]byte(c.in), c.seed); got != c.want {
			t.Errorf("murmur3(%q, %#x) = %#x, want %#x", c.in, c.seed, got, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		seed uint64
		want uint64
	}{
		{"", 0, 0xEF46DB3751D8E999}, {"a", 0, 0xD24EC4F1A98C6E5B}, {"abc", 0, 0x44BC2CF5AD770999},
	} {
		if got := refXXH64([]byte(c.in), c.seed); got != c.want {
			t.Errorf("xxh64(%q, %d) = %#x, want %#x", c.in, c.seed, got, c.want)
		}
	}
	// Spark: SELECT hash(1) is -559580957 (an int: 4 little-endian bytes).
	if got := int32(refMurmur3([]byte{1, 0, 0, 0}, 42)); got != -559580957 {
		t.Errorf("Spark's hash(1) by the reference: %d, want -559580957", got)
	}
	// Spark's documentation: hash('Spark', array(123), 2) is -1321691492 and
	// xxhash64('Spark', array(123), 2) is 5602566077635097486; an array's elements are
	// chained like arguments, so these are the string then the ints 123 and 2.
	m := refSparkMurmurBytes([]byte("Spark"), 42)
	m = refMurmur3(le32(123).b, m)
	m = refMurmur3(le32(2).b, m)
	if int32(m) != -1321691492 {
		t.Errorf("Spark's hash('Spark', array(123), 2) by the reference: %d", int32(m))
	}
	x := refXXH64([]byte("Spark"), 42)
	x = refXXH64(le32(123).b, x)
	x = refXXH64(le32(2).b, x)
	if int64(x) != 5602566077635097486 {
		t.Errorf("Spark's xxhash64('Spark', array(123), 2) by the reference: %d", int64(x))
	}
	// Spark's string tail agrees with the standard one on whole words.
	for _, s := range []string{"", "abcd", "12345678"} {
		if refSparkMurmurBytes([]byte(s), 42) != refMurmur3([]byte(s), 42) {
			t.Errorf("Spark's murmur3 of %q differs from the standard", s)
		}
	}
}

// hashCol is one typed input column of the hash tests, with each row's bytes as Spark
// hashes them (nil for NULL) and whether they are an int, long or bytes.
type hashCol struct {
	name string
	arr  func(t *testing.T, mem memory.Allocator) arrow.Array
	rows []hashVal
}

type hashVal struct {
	null bool
	kind byte // 'i' int, 'l' long, 'b' bytes
	b    []byte
}

func le32(v int32) hashVal {
	u := uint32(v)
	return hashVal{kind: 'i', b: []byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)}}
}

func le64(v int64) hashVal {
	u := uint64(v)
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(u >> (8 * i))
	}
	return hashVal{kind: 'l', b: b}
}

// hashRows is the number of rows of every hash test column.
const hashRows = 9

var hashStrings = []any{"abc", "", nil, "héllo wörld", "日本語", "abcd", "Spark", "a", "The quick brown fox jumps over the lazy dog, twice"}

func hashCols() []hashCol {
	valid := []bool{true, true, false, true, true, true, true, true, true}
	nullRow := hashVal{null: true}
	var cols []hashCol
	ints := []int32{0, 1, 0, -1, math.MaxInt32, math.MinInt32, 42, 7, -559580957}
	longs := []int64{0, 1, 0, -1, math.MaxInt64, math.MinInt64, 42, 1 << 40, -5}
	floats := []float64{0, math.Copysign(0, -1), 0, math.NaN(), math.Inf(1), -1.5, 1e300, 3.14, -math.NaN()}
	f32 := []float32{0, float32(math.Copysign(0, -1)), 0, float32(math.NaN()), float32(math.Inf(-1)), 1.5, 3.25, -7, 1e30}
	bools := []bool{true, false, true, true, false, true, false, false, true}
	rowsOf := func(f func(i int) hashVal) []hashVal {
		out := make([]hashVal, hashRows)
		for i := range out {
			if !valid[i] {
				out[i] = nullRow
			} else {
				out[i] = f(i)
			}
		}
		return out
	}
	cols = append(cols,
		hashCol{"i32", func(t *testing.T, mem memory.Allocator) arrow.Array {
			b := array.NewInt32Builder(mem)
			defer b.Release()
			b.AppendValues(ints, valid)
			return b.NewArray()
		}, rowsOf(func(i int) hashVal { return le32(ints[i]) })},
		hashCol{"i16", func(t *testing.T, mem memory.Allocator) arrow.Array {
			b := array.NewInt16Builder(mem)
			defer b.Release()
			for i, v := range ints {
				if valid[i] {
					b.Append(int16(v))
				} else {
					b.AppendNull()
				}
			}
			return b.NewArray()
		}, rowsOf(func(i int) hashVal { return le32(int32(int16(ints[i]))) })},
		hashCol{"i64", func(t *testing.T, mem memory.Allocator) arrow.Array {
			b := array.NewInt64Builder(mem)
			defer b.Release()
			b.AppendValues(longs, valid)
			return b.NewArray()
		}, rowsOf(func(i int) hashVal { return le64(longs[i]) })},
		hashCol{"f64", func(t *testing.T, mem memory.Allocator) arrow.Array {
			b := array.NewFloat64Builder(mem)
			defer b.Release()
			b.AppendValues(floats, valid)
			return b.NewArray()
		}, rowsOf(func(i int) hashVal {
			f := floats[i]
			switch {
			case f == 0: // -0.0 hashes as 0.0
				return le64(0)
			case math.IsNaN(f): // Java's doubleToLongBits: one NaN
				return le64(0x7ff8000000000000)
			}
			return le64(int64(math.Float64bits(f)))
		})},
		hashCol{"f32", func(t *testing.T, mem memory.Allocator) arrow.Array {
			b := array.NewFloat32Builder(mem)
			defer b.Release()
			b.AppendValues(f32, valid)
			return b.NewArray()
		}, rowsOf(func(i int) hashVal {
			f := f32[i]
			switch {
			case f == 0:
				return le32(0)
			case f != f:
				return le32(0x7fc00000)
			}
			return le32(int32(math.Float32bits(f)))
		})},
		hashCol{"bool", func(t *testing.T, mem memory.Allocator) arrow.Array {
			b := array.NewBooleanBuilder(mem)
			defer b.Release()
			b.AppendValues(bools, valid)
			return b.NewArray()
		}, rowsOf(func(i int) hashVal {
			if bools[i] {
				return le32(1)
			}
			return le32(0)
		})},
		hashCol{"date", func(t *testing.T, mem memory.Allocator) arrow.Array {
			b := array.NewDate32Builder(mem)
			defer b.Release()
			for i, v := range ints {
				if valid[i] {
					b.Append(arrow.Date32(v))
				} else {
					b.AppendNull()
				}
			}
			return b.NewArray()
		}, rowsOf(func(i int) hashVal { return le32(ints[i]) })},
		hashCol{"ts_ms", func(t *testing.T, mem memory.Allocator) arrow.Array {
			b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"})
			defer b.Release()
			for i, v := range ints {
				if valid[i] {
					b.Append(arrow.Timestamp(v))
				} else {
					b.AppendNull()
				}
			}
			return b.NewArray()
		}, rowsOf(func(i int) hashVal { return le64(int64(ints[i]) * 1000) })}, // microseconds
	)
	strRows := func() []hashVal {
		out := make([]hashVal, hashRows)
		for i, v := range hashStrings {
			if s, ok := v.(string); ok {
				out[i] = hashVal{kind: 'b', b: []byte(s)}
			} else {
				out[i] = nullRow
			}
		}
		return out
	}
	cols = append(cols,
		hashCol{"s", func(t *testing.T, mem memory.Allocator) arrow.Array {
			return exectest.BuildColumn(t, mem, arrow.BinaryTypes.String, oneCol(hashStrings), 0)
		}, strRows()},
		hashCol{"d", func(t *testing.T, mem memory.Allocator) arrow.Array {
			return exectest.BuildColumn(t, mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, oneCol(hashStrings), 0)
		}, strRows()},
	)
	return cols
}

func oneCol(vs []any) [][]any {
	rows := make([][]any, len(vs))
	for i, v := range vs {
		rows[i] = []any{v}
	}
	return rows
}

func refRowHash(murmur bool, vals []hashVal) any {
	if murmur {
		h := uint32(42)
		for _, v := range vals {
			switch {
			case v.null:
			case v.kind == 'b':
				h = refSparkMurmurBytes(v.b, h)
			default:
				h = refMurmur3(v.b, h)
			}
		}
		return int32(h)
	}
	h := uint64(42)
	for _, v := range vals {
		if !v.null {
			h = refXXH64(v.b, h)
		}
	}
	return int64(h)
}

// TestHashFunctionsAgainstReference hashes every column alone, every pair of columns
// (chaining), a literal before and after a column, and literals only.
func TestHashFunctionsAgainstReference(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	cols := hashCols()
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		arrs[i] = c.arr(t, mem)
		defer arrs[i].Release()
		fields[i] = arrow.Field{Name: c.name, Type: arrs[i].DataType(), Nullable: true}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, hashRows)
	defer rec.Release()
	ctx := context.Background()
	run := func(what string, murmur bool, args []plan.Expr, want func(i int) any) {
		t.Helper()
		f := "xxhash64"
		if murmur {
			f = "hash"
		}
		got, err := Eval(ctx, call(f, args...), rec, mem)
		if err != nil {
			t.Errorf("%s %s: %v", f, what, err)
			return
		}
		defer got.Release()
		if got.Len() != hashRows || got.NullN() != 0 {
			t.Errorf("%s %s: %d rows, %d NULL", f, what, got.Len(), got.NullN())
			return
		}
		for i := 0; i < hashRows; i++ {
			if g, w := exectest.GoValue(t, got, i), want(i); g != w {
				t.Errorf("%s %s row %d: got %v, want %v", f, what, i, g, w)
			}
		}
	}
	strLit := hashVal{kind: 'b', b: []byte("kindling")}
	for _, murmur := range []bool{true, false} {
		for _, a := range cols {
			run(a.name, murmur, []plan.Expr{exectest.Col(a.name)}, func(i int) any { return refRowHash(murmur, []hashVal{a.rows[i]}) })
			run("lit,"+a.name, murmur, []plan.Expr{exectest.Str("kindling"), exectest.Col(a.name)},
				func(i int) any { return refRowHash(murmur, []hashVal{strLit, a.rows[i]}) })
			run(a.name+",lit,null", murmur, []plan.Expr{exectest.Col(a.name), exectest.Int(-3), exectest.Null(arrow.PrimitiveTypes.Int64)},
				func(i int) any { return refRowHash(murmur, []hashVal{a.rows[i], le64(-3)}) })
			for _, b := range cols {
				run(a.name+","+b.name, murmur, []plan.Expr{exectest.Col(a.name), exectest.Col(b.name)},
					func(i int) any { return refRowHash(murmur, []hashVal{a.rows[i], b.rows[i]}) })
			}
		}
		run("literals", murmur, []plan.Expr{exectest.Str("日本"), exectest.Float(math.Copysign(0, -1)), exectest.Bool(true), exectest.Null(arrow.BinaryTypes.String)},
			func(int) any {
				return refRowHash(murmur, []hashVal{{kind: 'b', b: []byte("日本")}, le64(0), le32(1)})
			})
		run("null", murmur, []plan.Expr{exectest.Null(arrow.Null)}, func(int) any { return refRowHash(murmur, nil) })
	}
}

// TestHashSlicedAndEmpty: a slice of a batch (offsets into the buffers) and no rows.
func TestHashSlicedAndEmpty(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := strBatch(t, mem)
	defer rec.Release()
	for _, lo := range []int64{3, 5} {
		sl := rec.NewSlice(lo, lo+4)
		for _, col := range []string{"s", "d"} {
			for _, f := range []string{"hash", "xxhash64"} {
				got, err := Eval(context.Background(), call(f, exectest.Col(col)), sl, mem)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < got.Len(); i++ {
					var want any = int32(42)
					if f == "xxhash64" {
						want = int64(42)
					}
					if s, ok := strTestRows[int(lo)+i].(string); ok {
						if f == "hash" {
							want = int32(refSparkMurmurBytes([]byte(s), 42))
						} else {
							want = int64(refXXH64([]byte(s), 42))
						}
					}
					if g := exectest.GoValue(t, got, i); g != want {
						t.Errorf("%s(%s) slice %d row %d: got %v, want %v", f, col, lo, i, g, want)
					}
				}
				got.Release()
			}
		}
		sl.Release()
	}
	empty := rec.NewSlice(0, 0)
	defer empty.Release()
	for _, f := range []string{"hash", "xxhash64"} {
		got, err := Eval(context.Background(), call(f, exectest.Col("d"), exectest.Str("x")), empty, mem)
		if err != nil {
			t.Fatal(err)
		}
		if got.Len() != 0 {
			t.Errorf("%s of no rows: %d rows", f, got.Len())
		}
		got.Release()
	}
}

func hexOf(sum []byte) string { return hex.EncodeToString(sum) }

// maskOracle is Spark's mask with replacements (0 keeps the class).
func maskOracle(s string, upper, lower, digit, other rune) string {
	var b strings.Builder
	for _, r := range s {
		c := other
		switch {
		case unicode.IsUpper(r):
			c = upper
		case unicode.IsLower(r):
			c = lower
		case unicode.IsDigit(r):
			c = digit
		}
		if c == 0 {
			c = r
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestDigestAndMaskAgainstGo runs the digests and mask over a utf8 column, a dictionary
// column, a slice and literals, against crypto/* and a rune loop.
func TestDigestAndMaskAgainstGo(t *testing.T) {
	str, null := exectest.Str, exectest.Null(arrow.BinaryTypes.String)
	hm := func(key string) func(string) any {
		return func(s string) any {
			m := hmac.New(sha256.New, []byte(key))
			m.Write([]byte(s))
			return hexOf(m.Sum(nil))
		}
	}
	cases := []strCase{
		{"md5", func(x plan.Expr) plan.Expr { return call("md5", x) }, func(s string) any { h := md5.Sum([]byte(s)); return hexOf(h[:]) }},
		{"sha1", func(x plan.Expr) plan.Expr { return call("sha1", x) }, func(s string) any { h := sha1.Sum([]byte(s)); return hexOf(h[:]) }},
		{"sha2 224", func(x plan.Expr) plan.Expr { return call("sha2", x, exectest.Int(224)) }, func(s string) any { h := sha256.Sum224([]byte(s)); return hexOf(h[:]) }},
		{"sha2 256", func(x plan.Expr) plan.Expr { return call("sha2", x, exectest.Int(256)) }, func(s string) any { h := sha256.Sum256([]byte(s)); return hexOf(h[:]) }},
		{"sha2 0", func(x plan.Expr) plan.Expr { return call("sha2", x, exectest.Int(0)) }, func(s string) any { h := sha256.Sum256([]byte(s)); return hexOf(h[:]) }},
		{"sha2 384", func(x plan.Expr) plan.Expr { return call("sha2", x, exectest.Int(384)) }, func(s string) any { h := sha512.Sum384([]byte(s)); return hexOf(h[:]) }},
		{"sha2 512", func(x plan.Expr) plan.Expr { return call("sha2", x, exectest.Int(512)) }, func(s string) any { h := sha512.Sum512([]byte(s)); return hexOf(h[:]) }},
		{"hmac", func(x plan.Expr) plan.Expr { return call("hmac_sha256", x, str("secret")) }, hm("secret")},
		{"hmac empty key", func(x plan.Expr) plan.Expr { return call("hmac_sha256", x, str("")) }, hm("")},
		{"mask", func(x plan.Expr) plan.Expr { return call("mask", x) }, func(s string) any { return maskOracle(s, 'X', 'x', 'n', 0) }},
		{"mask all", func(x plan.Expr) plan.Expr { return call("mask", x, str("U"), str("l"), str("#"), str("*")) },
			func(s string) any { return maskOracle(s, 'U', 'l', '#', '*') }},
		{"mask keep", func(x plan.Expr) plan.Expr { return call("mask", x, null, str("ö"), null, str("語")) },
			func(s string) any { return maskOracle(s, 0, 'ö', 0, '語') }},
		{"mask upper", func(x plan.Expr) plan.Expr { return call("mask", x, str("Q")) }, func(s string) any { return maskOracle(s, 'Q', 'x', 'n', 0) }},
	}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := strBatch(t, mem)
	defer rec.Release()
	sliced := rec.NewSlice(3, 11)
	defer sliced.Release()
	ctx := context.Background()
	for _, c := range cases {
		for _, in := range []struct {
			col  string
			rec  arrow.RecordBatch
			rows []any
		}{{"s", rec, strTestRows}, {"d", rec, strTestRows}, {"s", sliced, strTestRows[3:11]}} {
			got, err := Eval(ctx, c.expr(exectest.Col(in.col)), in.rec, mem)
			if err != nil {
				t.Errorf("%s(%s): %v", c.name, in.col, err)
				continue
			}
			for i, v := range in.rows {
				var w any
				if s, ok := v.(string); ok {
					w = c.want(s)
				}
				if g := exectest.GoValue(t, got, i); g != w {
					t.Errorf("%s(%s) row %d (%q): got %#v, want %#v", c.name, in.col, i, v, g, w)
				}
			}
			got.Release()
		}
		for _, v := range []any{"", "Zoë 42", nil} {
			lit := null
			if s, ok := v.(string); ok {
				lit = str(s)
			}
			got, err := Eval(ctx, c.expr(lit), sliced, mem)
			if err != nil {
				t.Errorf("%s(literal %v): %v", c.name, v, err)
				continue
			}
			var w any
			if s, ok := v.(string); ok {
				w = c.want(s)
			}
			for i := 0; i < got.Len(); i++ {
				if g := exectest.GoValue(t, got, i); g != w {
					t.Errorf("%s(literal %v) row %d: got %#v, want %#v", c.name, v, i, g, w)
				}
			}
			got.Release()
		}
	}
	// Spark's documented examples.
	for _, c := range []struct {
		e    plan.Expr
		want string
	}{
		{call("md5", str("Spark")), "8cde774d6f7333752ed72cacddb05126"},
		{call("sha1", str("Spark")), "85f5955f4b27a9a4c2aab6ffe5d7189fc298b92c"},
		{call("sha2", str("Spark"), exectest.Int(256)), "529bc3b07127ecb7e53a4dcf1991d9152c24537d919178022b2c42657f79a26b"},
		{call("mask", str("abcd-EFGH-8765-4321")), "xxxx-XXXX-nnnn-nnnn"},
		{call("mask", str("abcd-EFGH-8765-4321"), str("Q")), "xxxx-QQQQ-nnnn-nnnn"},
		{call("mask", str("AbCD123-@$#"), str("Q"), str("q"), str("d"), str("o")), "QqQQdddoooo"},
	} {
		got, err := Eval(ctx, c.e, sliced, mem)
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if g := exectest.GoValue(t, got, 0); g != c.want {
			t.Errorf("%s: got %v, want %s", c.e, g, c.want)
		}
		got.Release()
	}
}

// TestHashNullArguments: a NULL or unsupported bit length, a NULL key give NULL rows.
func TestHashNullArguments(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := strBatch(t, mem)
	defer rec.Release()
	s := exectest.Col("s")
	for _, e := range []plan.Expr{
		call("sha2", s, exectest.Int(128)), call("sha2", s, exectest.Int(-1)),
		call("sha2", exectest.Col("d"), exectest.Null(arrow.PrimitiveTypes.Int64)),
		call("hmac_sha256", s, exectest.Null(arrow.BinaryTypes.String)),
	} {
		got, err := Eval(context.Background(), e, rec, mem)
		if err != nil {
			t.Errorf("%s: %v", e, err)
			continue
		}
		if got.NullN() != got.Len() || got.Len() != len(strTestRows) {
			t.Errorf("%s: %d NULLs of %d rows, want all %d", e, got.NullN(), got.Len(), len(strTestRows))
		}
		got.Release()
	}
}

// TestHashSparkExamples evaluates Spark's documented examples, with the array's
// elements as further arguments (hashed the same way), and every string length up to
// 80 bytes against the references.
func TestHashSparkExamples(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := strBatch(t, mem)
	defer rec.Release()
	i32 := func(v int64) plan.Expr { return exectest.Cast(exectest.Int(v), arrow.PrimitiveTypes.Int32) }
	for _, c := range []struct {
		f    string
		want any
	}{{"hash", int32(-1321691492)}, {"xxhash64", int64(5602566077635097486)}} {
		got, err := Eval(context.Background(), call(c.f, exectest.Str("Spark"), i32(123), i32(2)), rec, mem)
		if err != nil {
			t.Fatal(err)
		}
		if g := exectest.GoValue(t, got, 0); g != c.want {
			t.Errorf("%s('Spark', 123, 2): got %v, want %v", c.f, g, c.want)
		}
		got.Release()
	}
	b := make([]byte, 80)
	for i := range b {
		b[i] = byte(i*37 + 200) // high bytes too: Spark's tail sign-extends them
	}
	for n := 0; n <= len(b); n++ {
		if g, w := evMurmurBytes(b[:n], 42), refSparkMurmurBytes(b[:n], 42); g != w {
			t.Errorf("murmur3 of %d bytes: %#x, want %#x", n, g, w)
		}
		if g, w := evXXHBytes(b[:n], 42), refXXH64(b[:n], 42); g != w {
			t.Errorf("xxh64 of %d bytes: %#x, want %#x", n, g, w)
		}
	}
}
