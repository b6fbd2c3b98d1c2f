package objstore

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// IfAbsent is the generation precondition of an upload that must create its object:
// Cloud Storage refuses it (HTTP 412) when the name exists, so two writers of one name
// cannot both believe they wrote it.
const IfAbsent int64 = 0

// AnyGeneration is the precondition of an upload that may replace whatever is there.
const AnyGeneration int64 = -1

// Upload writes size bytes of r as gs://bucket/name in one request (the JSON API's media
// upload) and returns the new generation's metadata. ifGeneration is a precondition:
// IfAbsent, AnyGeneration, or the generation the object must still have. The object
// appears whole or not at all; a transient failure re-sends it from r's start, so r is
// read at offsets rather than consumed.
func (c *Client) Upload(ctx context.Context, bucket, name string, r io.ReaderAt, size int64, ifGeneration int64) (ObjectInfo, error) {
	q := url.Values{"uploadType": {"media"}, "name": {name}}
	if ifGeneration != AnyGeneration {
		q.Set("ifGenerationMatch", strconv.FormatInt(ifGeneration, 10))
	}
	u := c.endpoint + "/upload/storage/v1/b/" + url.PathEscape(bucket) + "/o?" + q.Encode()
	resp, err := c.do(ctx, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, io.NewSectionReader(r, 0, size))
		if err != nil {
			return nil, err
		}
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
		return req, nil
	})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("objstore: upload gs://%s/%s: %w", bucket, name, err)
	}
	defer resp.Body.Close()
	var obj apiObject
	if err := json.NewDecoder(resp.Body).Decode(&obj); err != nil {
		return ObjectInfo{}, fmt.Errorf("objstore: upload gs://%s/%s: decoding the answer: %w", bucket, name, err)
	}
	return obj.info(bucket)
}

// Delete removes gs://bucket/name. A missing object is an error wrapping fs.ErrNotExist
// (also when a retried request finds the object its first attempt removed).
func (c *Client) Delete(ctx context.Context, bucket, name string) error {
	u := c.objectURL(bucket, name)
	resp, err := c.do(ctx, func() (*http.Request, error) { return http.NewRequestWithContext(ctx, http.MethodDelete, u, nil) })
	if err != nil {
		return fmt.Errorf("objstore: delete gs://%s/%s: %w", bucket, name, err)
	}
	resp.Body.Close()
	return nil
}
