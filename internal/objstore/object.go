package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// Object is one generation of an object opened for reading: what kindling's readers need
// of an *os.File (Read, ReadAt, Seek, Close). Sequential reads stream one ranged request
// from the current offset; ReadAt makes a ranged request of its own, so that Parquet's
// footer and column chunks are fetched as they are read. Every request names the
// generation opened, so a replaced object fails the read instead of mixing versions.
type Object struct {
	ctx  context.Context
	c    *Client
	info ObjectInfo
	off  int64
	body io.ReadCloser // the open stream of sequential reads, from bodyOff
	// bodyOff is where the next byte of body lies in the object.
	bodyOff int64
}

// Open opens the current generation of gs://bucket/name; ctx bounds its requests.
func (c *Client) Open(ctx context.Context, bucket, name string) (*Object, error) {
	info, err := c.Stat(ctx, bucket, name)
	if err != nil {
		return nil, err
	}
	return &Object{ctx: ctx, c: c, info: info}, nil
}

// Info returns the metadata of the generation opened.
func (o *Object) Info() ObjectInfo { return o.info }

// Size returns the object's size in bytes.
func (o *Object) Size() int64 { return o.info.Size }

// rangeReader requests bytes [off, end) of the object (end < 0: to its end).
func (o *Object) rangeReader(off, end int64) (io.ReadCloser, error) {
	q := url.Values{"alt": {"media"}, "generation": {strconv.FormatInt(o.info.Generation, 10)}}
	u := o.c.objectURL(o.info.Bucket, o.info.Name) + "?" + q.Encode()
	resp, err := o.c.do(o.ctx, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(o.ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		if end >= 0 {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, end-1))
		} else {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
		}
		return req, nil
	})
	if err != nil {
		return nil, fmt.Errorf("objstore: read %s at %d: %w", o.info.Path(), off, err)
	}
	if resp.StatusCode != http.StatusPartialContent && off > 0 {
		// The server ignored the range: skip to off in the whole object.
		if _, err := io.CopyN(io.Discard, resp.Body, off); err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("objstore: read %s at %d: %w", o.info.Path(), off, err)
		}
	}
	return resp.Body, nil
}

// ReadAt reads len(p) bytes at off (fewer, with io.EOF, at the object's end).
func (o *Object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("objstore: read %s at negative offset %d", o.info.Path(), off)
	}
	if off >= o.info.Size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), o.info.Size-off)
	if want == 0 {
		return 0, nil
	}
	body, err := o.rangeReader(off, off+want)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	n, err := io.ReadFull(body, p[:want])
	if err != nil {
		return n, fmt.Errorf("objstore: read %s at %d: %w", o.info.Path(), off, err)
	}
	if int64(n) < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// Read reads from the current offset, streaming one request for consecutive reads.
func (o *Object) Read(p []byte) (int, error) {
	if o.off >= o.info.Size {
		return 0, io.EOF
	}
	if o.body != nil && o.bodyOff != o.off {
		o.body.Close()
		o.body = nil
	}
	if o.body == nil {
		body, err := o.rangeReader(o.off, -1)
		if err != nil {
			return 0, err
		}
		o.body, o.bodyOff = body, o.off
	}
	n, err := o.body.Read(p)
	o.off += int64(n)
	o.bodyOff = o.off
	if errors.Is(err, io.EOF) {
		o.body.Close()
		o.body = nil
		if o.off < o.info.Size {
			return n, fmt.Errorf("objstore: read %s: %w at %d of %d bytes", o.info.Path(), io.ErrUnexpectedEOF, o.off, o.info.Size)
		}
		return n, io.EOF
	}
	if err != nil {
		return n, fmt.Errorf("objstore: read %s at %d: %w", o.info.Path(), o.off, err)
	}
	return n, nil
}

// Seek sets the offset of the next Read.
func (o *Object) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.off + offset
	case io.SeekEnd:
		abs = o.info.Size + offset
	default:
		return 0, fmt.Errorf("objstore: seek %s: bad whence %d", o.info.Path(), whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("objstore: seek %s to negative offset %d", o.info.Path(), abs)
	}
	o.off = abs
	return abs, nil
}

// Close ends the open stream, if any.
func (o *Object) Close() error {
	if o.body != nil {
		err := o.body.Close()
		o.body = nil
		return err
	}
	return nil
}
