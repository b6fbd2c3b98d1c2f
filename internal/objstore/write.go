package objstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"sync"
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

// Copy copies gs://srcBucket/src to gs://dstBucket/dst inside Cloud Storage (the JSON
// API's rewrite: no byte passes through this process), under the generation precondition
// ifGeneration on the destination (IfAbsent, AnyGeneration or a generation). A large copy
// between locations or storage classes takes several calls, each resuming the last by
// its rewrite token.
func (c *Client) Copy(ctx context.Context, srcBucket, src, dstBucket, dst string, ifGeneration int64) (ObjectInfo, error) {
	base := c.objectURL(srcBucket, src) + "/rewriteTo/b/" + url.PathEscape(dstBucket) + "/o/" + url.PathEscape(dst)
	token := ""
	for {
		q := url.Values{}
		if ifGeneration != AnyGeneration {
			q.Set("ifGenerationMatch", strconv.FormatInt(ifGeneration, 10))
		}
		if token != "" {
			q.Set("rewriteToken", token)
		}
		u := base
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		resp, err := c.do(ctx, func() (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
			if err != nil {
				return nil, err
			}
			req.ContentLength = 0
			return req, nil
		})
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("objstore: copy gs://%s/%s to gs://%s/%s: %w", srcBucket, src, dstBucket, dst, err)
		}
		var answer struct {
			Done         bool      `json:"done"`
			RewriteToken string    `json:"rewriteToken"`
			Resource     apiObject `json:"resource"`
		}
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("objstore: copy gs://%s/%s: decoding the answer: %w", srcBucket, src, err)
		}
		if answer.Done {
			return answer.Resource.info(dstBucket)
		}
		if answer.RewriteToken == "" {
			return ObjectInfo{}, fmt.Errorf("objstore: copy gs://%s/%s: the service neither finished nor gave a rewrite token", srcBucket, src)
		}
		token = answer.RewriteToken
	}
}

// DeletePrefix removes every object whose name starts with prefix (nothing to remove is
// not an error).
func (c *Client) DeletePrefix(ctx context.Context, bucket, prefix string) error {
	objs, _, err := c.List(ctx, bucket, prefix, "")
	if err != nil {
		return err
	}
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = o.Name
	}
	return c.DeleteAll(ctx, bucket, names)
}

// DeleteAll removes the named objects, several requests at a time; those already gone
// are not an error. It tries every name and returns the errors of those it could not
// remove.
func (c *Client) DeleteAll(ctx context.Context, bucket string, names []string) error {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, deleteRequests)
	for i, name := range names {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := c.Delete(ctx, bucket, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deleteRequests bounds DeleteAll's requests in flight.
const deleteRequests = 16
