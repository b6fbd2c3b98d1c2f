package eval

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"math/bits"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
)

// The hashing and pseudonymization family: md5, sha1, sha2 and hmac_sha256 (lower-case
// hex digests of a string's UTF-8 bytes), mask, and Spark's hash (Murmur3_x86_32) and
// xxhash64 (XXH64), both seeded with 42 and chained over their arguments. Digests and
// mask take one string column (a dictionary is computed once per dictionary value); the
// other arguments are literals.

func init() {
	register(map[string]function{
		"md5":         evDigestFunc(func([]evValue) (func() hash.Hash, bool, error) { return md5.New, true, nil }, 1),
		"sha1":        evDigestFunc(func([]evValue) (func() hash.Hash, bool, error) { return sha1.New, true, nil }, 1),
		"sha2":        evDigestFunc(evSha2New, 2),
		"hmac_sha256": evDigestFunc(evHmacNew, 2),
		"mask":        {apply: evMask},
		"hash":        {apply: evHashFunc(evMurmur3)},
		"xxhash64":    {apply: evHashFunc(evXXH64)},
	})
}

// ---- digests ------------------------------------------------------------------------

// evDigestFunc is a digest of the string args[0] as lower-case hex; newHash picks the
// hash from the literal arguments (ok false: every row NULL).
func evDigestFunc(newHash func(args []evValue) (func() hash.Hash, bool, error), nargs int) function {
	return function{apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		if len(args) != nargs {
			return evValue{}, fmt.Errorf("takes %d arguments, got %d", nargs, len(args))
		}
		mk, ok, err := newHash(args)
		if err != nil {
			return evValue{}, err
		}
		if !ok {
			return evNullOf(ev.Mem, arrow.BinaryTypes.String, n)
		}
		h := mk()
		var sum []byte
		return ev.strOver("digest", args[0], n, func(a arrow.Array) (arrow.Array, error) {
			return evStrRows(ev.Mem, a, func(w *evStrWriter, b []byte) {
				h.Reset()
				h.Write(b)
				sum = h.Sum(sum[:0])
				w.grow(2 * len(sum))
				w.used += hex.Encode(w.data[w.used:], sum)
			})
		})
	}}
}

// evSha2New picks sha2's hash by its bit length: 224, 256 (or 0), 384, 512; any other
// length (or NULL) gives NULL, as Spark's sha2.
func evSha2New(args []evValue) (func() hash.Hash, bool, error) {
	nb, err := evIntLiteral(args[1])
	if err != nil {
		return nil, false, fmt.Errorf("sha2 bit length: %w", err)
	}
	if !nb.valid {
		return nil, false, nil
	}
	switch nb.v {
	case 224:
		return sha256.New224, true, nil
	case 0, 256:
		return sha256.New, true, nil
	case 384:
		return sha512.New384, true, nil
	case 512:
		return sha512.New, true, nil
	}
	return nil, false, nil
}

// evHmacNew is HMAC-SHA256 keyed by the literal args[1]; a NULL key gives NULL.
func evHmacNew(args []evValue) (func() hash.Hash, bool, error) {
	lits, ok, err := evLiterals(args, 1)
	if err != nil || !ok {
		return nil, false, err
	}
	key := append([]byte(nil), lits[0]...)
	return func() hash.Hash { return hmac.New(sha256.New, key) }, true, nil
}

// ---- mask ---------------------------------------------------------------------------

// evMask replaces upper-case letters, lower-case letters, digits and other characters
// by the literal replacements (defaults 'X', 'x', 'n' and none); a NULL replacement
// keeps its class as it is, as Spark's mask.
func evMask(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) < 1 || len(args) > 5 {
		return evValue{}, fmt.Errorf("takes 1 to 5 arguments, got %d", len(args))
	}
	repl := [4]rune{'X', 'x', 'n', -1}
	for i := 1; i < len(args); i++ {
		if !args[i].isScalar() {
			return evValue{}, fmt.Errorf("mask replacement %d must be a literal", i)
		}
		b, ok := evStringLiteral(args[i].sc)
		switch {
		case !ok:
			repl[i-1] = -1
		case utf8.RuneCount(b) == 1:
			repl[i-1], _ = utf8.DecodeRune(b)
		default:
			return evValue{}, fmt.Errorf("mask replacement %q is not one character", b)
		}
	}
	return ev.strOver("mask", args[0], n, func(a arrow.Array) (arrow.Array, error) {
		return evStrRows(ev.Mem, a, func(w *evStrWriter, b []byte) {
			for j := 0; j < len(b); {
				r, size := rune(b[j]), 1
				if r >= utf8.RuneSelf {
					r, size = utf8.DecodeRune(b[j:])
				}
				class := 3
				switch {
				case unicode.IsUpper(r):
					class = 0
				case unicode.IsLower(r):
					class = 1
				case unicode.IsDigit(r):
					class = 2
				}
				if c := repl[class]; c >= 0 {
					w.addRune(c)
				} else {
					w.add(b[j : j+size])
				}
				j += size
			}
		})
	})
}

// ---- hash, xxhash64 -----------------------------------------------------------------

// evHasher is one of Spark's seeded hash functions over its per-type layouts: an int
// (boolean, byte, short, int, date), a long (long, timestamp in microseconds, double
// bits) and bytes (strings as UTF-8, binary). Seeds and results are kept as uint64;
// Murmur3's are 32-bit.
type evHasher struct {
	hashInt   func(v uint32, seed uint64) uint64
	hashLong  func(v uint64, seed uint64) uint64
	hashBytes func(b []byte, seed uint64) uint64
	out       arrow.DataType
}

// evSparkSeed is the seed of Spark's hash and xxhash64.
const evSparkSeed = 42

var evMurmur3 = evHasher{
	hashInt:   func(v uint32, seed uint64) uint64 { return uint64(evMurmurInt(v, uint32(seed))) },
	hashLong:  func(v uint64, seed uint64) uint64 { return uint64(evMurmurLong(v, uint32(seed))) },
	hashBytes: func(b []byte, seed uint64) uint64 { return uint64(evMurmurBytes(b, uint32(seed))) },
	out:       arrow.PrimitiveTypes.Int32,
}

var evXXH64 = evHasher{
	hashInt:   evXXHInt,
	hashLong:  evXXHLong,
	hashBytes: evXXHBytes,
	out:       arrow.PrimitiveTypes.Int64,
}

// evHashFunc computes hash or xxhash64: every row starts from the seed 42 and each
// argument's value is hashed with the previous hash as seed; a NULL value leaves the
// hash as it is, so the result is never NULL.
func evHashFunc(h evHasher) func(ev *Evaluator, args []evValue, n int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		hbuf, hs := kernel.NewFixedBuffer[uint64](ev.Mem, n)
		for i := range hs {
			hs[i] = evSparkSeed
		}
		if err := evHashArgs(ev.Mem, h, args, hs); err != nil {
			hbuf.Release()
			return evValue{}, err
		}
		if h.out.ID() == arrow.INT64 { // the hashes are the result
			return evArray(evFinishArray(h.out, n, nil, hbuf)), nil
		}
		defer hbuf.Release()
		buf, out := evNewValues[int32](ev.Mem, n, 4)
		for i, v := range hs {
			out[i] = int32(uint32(v))
		}
		return evArray(evFinishArray(h.out, n, nil, buf)), nil
	}
}

// evHashArgs updates every row's hash hs[i] with each argument in turn.
func evHashArgs(mem memory.Allocator, h evHasher, args []evValue, hs []uint64) error {
	n := len(hs)
	if n == 0 {
		return nil
	}
	uniform := true // every row's hash is hs[0]
	for _, a := range args {
		switch {
		case a.dataType().ID() == arrow.NULL:
		case a.isScalar() && !a.sc.IsValid():
		case a.isScalar() && uniform: // one value hashed once
			one, err := a.toArray(1, mem)
			if err != nil {
				return err
			}
			err = evHashArray(mem, h, one, hs[:1])
			one.Release()
			if err != nil {
				return err
			}
			for i := range hs {
				hs[i] = hs[0]
			}
		case a.isScalar():
			arr, err := a.toArray(n, mem)
			if err != nil {
				return err
			}
			err = evHashArray(mem, h, arr, hs)
			arr.Release()
			if err != nil {
				return err
			}
		default:
			var err error
			if d, ok := a.arr.(*array.Dictionary); ok && uniform {
				err = evHashDictUniform(mem, h, d, hs)
			} else {
				err = evHashArray(mem, h, a.arr, hs)
			}
			if err != nil {
				return err
			}
			uniform = false
		}
	}
	return nil
}

// evHashDictUniform hashes a dictionary of strings when every row has the same seed:
// once per dictionary value, then each row takes its value's hash.
func evHashDictUniform(mem memory.Allocator, h evHasher, d *array.Dictionary, hs []uint64) error {
	dict := d.Dictionary()
	if id := dict.DataType().ID(); id != arrow.STRING && id != arrow.BINARY {
		return fmt.Errorf("hash of a dictionary of %v", dict.DataType())
	}
	dbuf, dh := kernel.NewFixedBuffer[uint64](mem, dict.Len())
	defer dbuf.Release()
	offs, data := kernel.OffsetsAndData[int32](dict)
	for j := range dh {
		dh[j] = h.hashBytes(data[offs[j]:offs[j+1]], hs[0])
	}
	ibuf, idx := kernel.NewFixedBuffer[int32](mem, d.Len())
	defer ibuf.Release()
	idx, err := kernel.DictIndices(d, idx)
	if err != nil {
		return err
	}
	for i, j := range idx {
		if j >= 0 {
			hs[i] = dh[j]
		}
	}
	return nil
}

// evHashArray updates hs[i] with row i of arr by its type's layout; NULL rows are
// skipped.
func evHashArray(mem memory.Allocator, h evHasher, arr arrow.Array, hs []uint64) error {
	vb, off := kernel.Validity(arr)
	switch dt := arr.DataType(); dt.ID() {
	case arrow.NULL:
	case arrow.BOOL:
		b := arr.(*array.Boolean)
		for i := range hs {
			if kernel.IsSet(vb, off, i) {
				v := uint32(0)
				if b.Value(i) {
					v = 1
				}
				hs[i] = h.hashInt(v, hs[i])
			}
		}
	case arrow.INT8:
		evHashInts(h, kernel.FixedValues[int8](arr), vb, off, hs)
	case arrow.INT16:
		evHashInts(h, kernel.FixedValues[int16](arr), vb, off, hs)
	case arrow.INT32, arrow.DATE32:
		evHashInts(h, kernel.FixedValues[int32](arr), vb, off, hs)
	case arrow.INT64:
		vals := kernel.FixedValues[int64](arr)
		for i := range hs {
			if kernel.IsSet(vb, off, i) {
				hs[i] = h.hashLong(uint64(vals[i]), hs[i])
			}
		}
	case arrow.TIMESTAMP:
		toMicros := evToMicros(dt.(*arrow.TimestampType).Unit)
		vals := kernel.FixedValues[int64](arr)
		for i := range hs {
			if kernel.IsSet(vb, off, i) {
				hs[i] = h.hashLong(uint64(toMicros(vals[i])), hs[i])
			}
		}
	case arrow.FLOAT32:
		vals := kernel.FixedValues[float32](arr)
		for i := range hs {
			if kernel.IsSet(vb, off, i) {
				hs[i] = h.hashInt(evFloatBits(vals[i]), hs[i])
			}
		}
	case arrow.FLOAT64:
		vals := kernel.FixedValues[float64](arr)
		for i := range hs {
			if kernel.IsSet(vb, off, i) {
				hs[i] = h.hashLong(evDoubleBits(vals[i]), hs[i])
			}
		}
	case arrow.STRING, arrow.BINARY:
		offs, data := kernel.OffsetsAndData[int32](arr)
		for i := range hs {
			if kernel.IsSet(vb, off, i) {
				hs[i] = h.hashBytes(data[offs[i]:offs[i+1]], hs[i])
			}
		}
	case arrow.DICTIONARY:
		d := arr.(*array.Dictionary)
		dict := d.Dictionary()
		if id := dict.DataType().ID(); id != arrow.STRING && id != arrow.BINARY {
			return fmt.Errorf("hash of a dictionary of %v", dict.DataType())
		}
		offs, data := kernel.OffsetsAndData[int32](dict)
		ibuf, idx := kernel.NewFixedBuffer[int32](mem, d.Len())
		defer ibuf.Release()
		idx, err := kernel.DictIndices(d, idx)
		if err != nil {
			return err
		}
		for i, j := range idx {
			if j >= 0 {
				hs[i] = h.hashBytes(data[offs[j]:offs[j+1]], hs[i])
			}
		}
	default:
		return fmt.Errorf("hash of %v is not supported", dt)
	}
	return nil
}

// evHashInts hashes small integers as Spark's ints (sign-extended to 32 bits).
func evHashInts[T int8 | int16 | int32](h evHasher, vals []T, vb []byte, off int, hs []uint64) {
	for i := range hs {
		if kernel.IsSet(vb, off, i) {
			hs[i] = h.hashInt(uint32(int32(vals[i])), hs[i])
		}
	}
}

// evToMicros converts timestamps of unit u to Spark's microseconds (nanoseconds are
// floored).
func evToMicros(u arrow.TimeUnit) func(int64) int64 {
	switch u {
	case arrow.Second:
		return func(v int64) int64 { return v * 1_000_000 }
	case arrow.Millisecond:
		return func(v int64) int64 { return v * 1000 }
	case arrow.Nanosecond:
		return func(v int64) int64 { return evFloorDiv(v, 1000) }
	}
	return func(v int64) int64 { return v }
}

// evFloatBits is Java's floatToIntBits with -0.0 as 0.0 (Spark's hash of a float): NaNs
// are one canonical NaN.
func evFloatBits(f float32) uint32 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7fc00000
	}
	return math.Float32bits(f)
}

// evDoubleBits is Java's doubleToLongBits with -0.0 as 0.0 (Spark's hash of a double).
func evDoubleBits(f float64) uint64 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7ff8000000000000
	}
	return math.Float64bits(f)
}

// Murmur3_x86_32 as Spark's Murmur3_x86_32 class computes it.

func evMurmurMixK1(k uint32) uint32 {
	k *= 0xcc9e2d51
	k = bits.RotateLeft32(k, 15)
	return k * 0x1b873593
}

func evMurmurMixH1(h, k uint32) uint32 {
	h ^= k
	h = bits.RotateLeft32(h, 13)
	return h*5 + 0xe6546b64
}

func evMurmurFmix(h, length uint32) uint32 {
	h ^= length
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	return h ^ h>>16
}

func evMurmurInt(v, seed uint32) uint32 {
	return evMurmurFmix(evMurmurMixH1(seed, evMurmurMixK1(v)), 4)
}

func evMurmurLong(v uint64, seed uint32) uint32 {
	h := evMurmurMixH1(seed, evMurmurMixK1(uint32(v)))
	h = evMurmurMixH1(h, evMurmurMixK1(uint32(v>>32)))
	return evMurmurFmix(h, 8)
}

// evMurmurBytes is Spark's hashUnsafeBytes: little-endian 4-byte words, then each
// remaining byte, sign-extended, mixed in as a word of its own (not the standard
// Murmur3 tail).
func evMurmurBytes(b []byte, seed uint32) uint32 {
	h := seed
	aligned := len(b) &^ 3
	for i := 0; i < aligned; i += 4 {
		h = evMurmurMixH1(h, evMurmurMixK1(binary.LittleEndian.Uint32(b[i:])))
	}
	for _, c := range b[aligned:] {
		h = evMurmurMixH1(h, evMurmurMixK1(uint32(int32(int8(c)))))
	}
	return evMurmurFmix(h, uint32(len(b)))
}

// XXH64 as Spark's XXH64 class computes it (the standard algorithm).

const (
	evP1 uint64 = 0x9E3779B185EBCA87
	evP2 uint64 = 0xC2B2AE3D27D4EB4F
	evP3 uint64 = 0x165667B19E3779F9
	evP4 uint64 = 0x85EBCA77C2B2AE63
	evP5 uint64 = 0x27D4EB2F165667C5
)

func evXXHRound(acc, v uint64) uint64 {
	acc += v * evP2
	return bits.RotateLeft64(acc, 31) * evP1
}

func evXXHMerge(h, v uint64) uint64 {
	h ^= evXXHRound(0, v)
	return h*evP1 + evP4
}

func evXXHAvalanche(h uint64) uint64 {
	h ^= h >> 33
	h *= evP2
	h ^= h >> 29
	h *= evP3
	return h ^ h>>32
}

func evXXHInt(v uint32, seed uint64) uint64 {
	h := seed + evP5 + 4
	h ^= uint64(v) * evP1
	h = bits.RotateLeft64(h, 23)*evP2 + evP3
	return evXXHAvalanche(h)
}

func evXXHLong(v uint64, seed uint64) uint64 {
	h := seed + evP5 + 8
	h ^= evXXHRound(0, v)
	h = bits.RotateLeft64(h, 27)*evP1 + evP4
	return evXXHAvalanche(h)
}

func evXXHBytes(b []byte, seed uint64) uint64 {
	n := len(b)
	var h uint64
	if n >= 32 {
		v1, v2, v3, v4 := seed+evP1+evP2, seed+evP2, seed, seed-evP1
		for len(b) >= 32 {
			v1 = evXXHRound(v1, binary.LittleEndian.Uint64(b))
			v2 = evXXHRound(v2, binary.LittleEndian.Uint64(b[8:]))
			v3 = evXXHRound(v3, binary.LittleEndian.Uint64(b[16:]))
			v4 = evXXHRound(v4, binary.LittleEndian.Uint64(b[24:]))
			b = b[32:]
		}
		h = bits.RotateLeft64(v1, 1) + bits.RotateLeft64(v2, 7) + bits.RotateLeft64(v3, 12) + bits.RotateLeft64(v4, 18)
		h = evXXHMerge(h, v1)
		h = evXXHMerge(h, v2)
		h = evXXHMerge(h, v3)
		h = evXXHMerge(h, v4)
	} else {
		h = seed + evP5
	}
	h += uint64(n)
	for ; len(b) >= 8; b = b[8:] {
		h ^= evXXHRound(0, binary.LittleEndian.Uint64(b))
		h = bits.RotateLeft64(h, 27)*evP1 + evP4
	}
	if len(b) >= 4 {
		h ^= uint64(binary.LittleEndian.Uint32(b)) * evP1
		h = bits.RotateLeft64(h, 23)*evP2 + evP3
		b = b[4:]
	}
	for _, c := range b {
		h ^= uint64(c) * evP5
		h = bits.RotateLeft64(h, 11) * evP1
	}
	return evXXHAvalanche(h)
}
