package datasource

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	flatbuffers "github.com/google/flatbuffers/go"
)

// checkIPCFooter walks the schema in the footer of an Arrow IPC file before arrow/ipc
// decodes it. arrow/ipc sizes slices by vector lengths read from the file and recurses
// into nested fields as the file says: a damaged length makes Go abort the process when it
// cannot allocate, and a field that is its own child recurses until the stack overflows,
// neither of which can be recovered. The walk checks that every vector the decoder sizes a
// slice by fits in the footer and that fields nest at most maxFieldDepth deep, and leaves
// everything else to the decoder (whose panics decode turns into errors).
//
// Layout read: ... footer flatbuffer | footer length (uint32 LE) | "ARROW1".
func checkIPCFooter(r io.ReaderAt, size int64) error {
	const tail = 4 + 6
	if size < tail {
		return nil // the decoder reports the short file
	}
	var t [tail]byte
	if _, err := r.ReadAt(t[:], size-tail); err != nil {
		return err
	}
	n := int64(binary.LittleEndian.Uint32(t[:4]))
	if string(t[4:]) != "ARROW1" || n <= 0 || n > size-tail {
		return nil // no footer to walk; the decoder reports it
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-tail-n); err != nil {
		return err
	}
	_, err := decode("Arrow IPC", func() (struct{}, error) {
		c := fbCheck{buf: buf}
		footer := c.root()
		schema, ok := c.table(footer, 6)
		if !ok {
			return struct{}{}, nil
		}
		if err := c.keyValues(schema, 8); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, c.fields(schema, 6, 0)
	})
	return err
}

// maxFieldDepth bounds the nesting of fields in an IPC schema (arrow/ipc recurses once per
// level).
const maxFieldDepth = 64

var errIPCSchema = errors.New("damaged Arrow IPC schema")

// fbCheck checks the vectors of flatbuffer tables in buf. Its accessors may panic on
// offsets out of range, as the generated code does; callers run it under decode.
type fbCheck struct {
	buf   []byte
	nodes int
}

func (c *fbCheck) root() flatbuffers.Table {
	return flatbuffers.Table{Bytes: c.buf, Pos: flatbuffers.GetUOffsetT(c.buf)}
}

// table returns the table that field slot of t points to.
func (c *fbCheck) table(t flatbuffers.Table, slot flatbuffers.VOffsetT) (flatbuffers.Table, bool) {
	o := flatbuffers.UOffsetT(t.Offset(slot))
	if o == 0 {
		return flatbuffers.Table{}, false
	}
	return flatbuffers.Table{Bytes: c.buf, Pos: t.Indirect(o + t.Pos)}, true
}

// vector returns the start and length of the vector of tables in field slot of t, after
// checking that its offsets lie inside the buffer.
func (c *fbCheck) vector(t flatbuffers.Table, slot flatbuffers.VOffsetT) (flatbuffers.UOffsetT, int, error) {
	o := flatbuffers.UOffsetT(t.Offset(slot))
	if o == 0 {
		return 0, 0, nil
	}
	n := t.VectorLen(o)
	start := t.Vector(o)
	if n < 0 || int64(start)+4*int64(n) > int64(len(c.buf)) {
		return 0, 0, fmt.Errorf("%w: a vector of %d entries in %d bytes", errIPCSchema, n, len(c.buf))
	}
	return start, n, nil
}

func (c *fbCheck) keyValues(t flatbuffers.Table, slot flatbuffers.VOffsetT) error {
	_, _, err := c.vector(t, slot)
	return err
}

// fields checks the Field tables of the vector in field slot of t, and their children.
func (c *fbCheck) fields(t flatbuffers.Table, slot flatbuffers.VOffsetT, depth int) error {
	if depth > maxFieldDepth {
		return fmt.Errorf("%w: fields nested more than %d deep", errIPCSchema, maxFieldDepth)
	}
	start, n, err := c.vector(t, slot)
	if err != nil {
		return err
	}
	for i := range n {
		// Every field takes bytes of its own: more fields than that means they are
		// shared or cyclic, which no writer produces.
		if c.nodes++; c.nodes > len(c.buf)/4 {
			return fmt.Errorf("%w: more fields than the footer can hold", errIPCSchema)
		}
		f := flatbuffers.Table{Bytes: c.buf, Pos: t.Indirect(start + flatbuffers.UOffsetT(i)*4)}
		if err := c.keyValues(f, 16); err != nil {
			return err
		}
		if err := c.fields(f, 14, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// checkParquetArrowSchema walks the Arrow schema a Parquet writer may leave in the file's
// key-value metadata ("ARROW:schema": an IPC schema message in base64), which pqarrow
// decodes with arrow/ipc when it opens the file: the same unrecoverable allocations and
// recursion as in an IPC footer, plus the message's own length and body length, which the
// IPC reader allocates before reading.
func checkParquetArrowSchema(serialized *string) error {
	if serialized == nil {
		return nil
	}
	// pqarrow accepts both padded and unpadded base64; what decodes with neither it
	// reports itself.
	b, err := base64.StdEncoding.DecodeString(*serialized)
	if err != nil || len(b) == 0 {
		if b, err = base64.RawStdEncoding.DecodeString(*serialized); err != nil {
			return nil
		}
	}
	return checkIPCSchemaMessage(b)
}

// checkIPCSchemaMessage checks an encapsulated IPC message holding a schema:
// [0xFFFFFFFF] | length (int32 LE) | Message flatbuffer | body.
func checkIPCSchemaMessage(b []byte) error {
	if len(b) >= 4 && binary.LittleEndian.Uint32(b) == 0xFFFFFFFF {
		b = b[4:] // the continuation marker of the current format
	}
	if len(b) < 4 {
		return nil // the decoder reports the short message
	}
	n := int64(int32(binary.LittleEndian.Uint32(b)))
	b = b[4:]
	if n < 0 || n > int64(len(b)) {
		return fmt.Errorf("%w: a message of %d bytes in %d", errIPCSchema, n, len(b))
	}
	msg, rest := b[:n], b[n:]
	if n == 0 {
		return nil
	}
	_, err := decode("Arrow IPC", func() (struct{}, error) {
		c := fbCheck{buf: msg}
		m := c.root()
		// Message: version (slot 4), header_type (6), header (8), bodyLength (10).
		if body := m.GetInt64Slot(10, 0); body < 0 || body > int64(len(rest)) {
			return struct{}{}, fmt.Errorf("%w: a message body of %d bytes in %d", errIPCSchema, body, len(rest))
		}
		schema, ok := c.table(m, 8)
		if !ok {
			return struct{}{}, nil
		}
		if err := c.keyValues(schema, 8); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, c.fields(schema, 6, 0)
	})
	return err
}
