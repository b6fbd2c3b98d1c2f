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
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// IfAbsent is the generation precondition of an upload that must create its object:
// Cloud Storage refuses it (HTTP 412) when the name exists, so two writers of one name
// cannot both believe they wrote it.
const IfAbsent int64 = 0

// AnyGeneration is the precondition of an upload that may replace whatever is there.
const AnyGeneration int64 = -1

// Upload writes size bytes of r as gs://bucket/name and returns the new generation's
// metadata. ifGeneration is a precondition: IfAbsent, AnyGeneration, or the generation
// the object must still have. The object appears whole or not at all. Up to 32 MiB go in
// one request (the JSON API's media upload), which a transient failure re-sends whole;
// larger files go through a resumable session in 16 MiB requests, and a failure re-sends
// only what the service had not persisted. r is read at offsets, not consumed.
func (c *Client) Upload(ctx context.Context, bucket, name string, r io.ReaderAt, size int64, ifGeneration int64) (ObjectInfo, error) {
	if size > c.resumableAbove {
		info, err := c.uploadResumable(ctx, bucket, name, r, size, ifGeneration)
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("objstore: upload gs://%s/%s: %w", bucket, name, err)
		}
		return info, nil
	}
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
	var g errgroup.Group
	g.SetLimit(Requests)
	for i, name := range names {
		g.Go(func() error {
			if err := c.Delete(ctx, bucket, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs[i] = err
			}
			return nil
		})
	}
	g.Wait()
	return errors.Join(errs...)
}

// Requests bounds the requests to the service that one operation over many objects
// (DeleteAll, a gs:// commit) has in flight at once.
const Requests = 16

// uploadResumable uploads through a resumable session: one request opens it, then each
// chunk goes in a request of its own, and the service answers 308 with the bytes it has
// persisted until the last chunk, answered with the object. After a transient failure
// the client asks the session how far it got and goes on from there.
func (c *Client) uploadResumable(ctx context.Context, bucket, name string, r io.ReaderAt, size int64, ifGeneration int64) (ObjectInfo, error) {
	q := url.Values{"uploadType": {"resumable"}, "name": {name}}
	if ifGeneration != AnyGeneration {
		q.Set("ifGenerationMatch", strconv.FormatInt(ifGeneration, 10))
	}
	u := c.endpoint + "/upload/storage/v1/b/" + url.PathEscape(bucket) + "/o?" + q.Encode()
	resp, err := c.do(ctx, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-Upload-Content-Type", "application/octet-stream")
		req.Header.Set("X-Upload-Content-Length", strconv.FormatInt(size, 10))
		return req, nil
	})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("starting a resumable upload: %w", err)
	}
	resp.Body.Close()
	session := resp.Header.Get("Location")
	if session == "" {
		return ObjectInfo{}, errors.New("starting a resumable upload: the service gave no session")
	}
	sessionAnswer := func(status int) bool { return status/100 == 2 || status == http.StatusPermanentRedirect }
	put := func(off, end int64) (*http.Response, error) {
		return c.send(ctx, func() (*http.Request, error) {
			var body io.Reader
			if end > off {
				body = io.NewSectionReader(r, off, end-off)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPut, session, body)
			if err != nil {
				return nil, err
			}
			req.ContentLength = end - off
			if end > off {
				req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, end-1, size))
			} else {
				// No bytes: asks how many the session has persisted.
				req.Header.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			}
			return req, nil
		}, sessionAnswer)
	}
	var off int64
	wait, failures := c.backoff, 0
	query := false // after a failure: ask the session before sending more
	for {
		var resp *http.Response
		var err error
		if query {
			resp, err = put(off, off)
		} else {
			resp, err = put(off, min(off+c.chunk, size))
		}
		if err == nil {
			info, persisted, done, err := sessionState(resp, bucket)
			if err != nil || done {
				return info, err
			}
			if persisted < off && !query {
				return ObjectInfo{}, fmt.Errorf("resumable upload: the service went back from %d to %d bytes", off, persisted)
			}
			off, query, wait, failures = persisted, false, c.backoff, 0
			continue
		}
		var api *APIError
		if errors.As(err, &api) && !api.transient() || ctx.Err() != nil || failures >= c.retries {
			return ObjectInfo{}, fmt.Errorf("resumable upload at byte %d of %d: %w", off, size, err)
		}
		failures++
		select {
		case <-ctx.Done():
			return ObjectInfo{}, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
		query = true
	}
}

// sessionState reads a resumable session's answer: the object once it is complete, else
// how many bytes the service has persisted (its Range header, bytes=0-N; none: 0).
func sessionState(resp *http.Response, bucket string) (info ObjectInfo, persisted int64, done bool, err error) {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPermanentRedirect {
		var obj apiObject
		if err := json.NewDecoder(resp.Body).Decode(&obj); err != nil {
			return ObjectInfo{}, 0, true, fmt.Errorf("decoding the answer: %w", err)
		}
		info, err := obj.info(bucket)
		return info, 0, true, err
	}
	rng := resp.Header.Get("Range")
	if rng == "" {
		return ObjectInfo{}, 0, false, nil
	}
	last, err := strconv.ParseInt(strings.TrimPrefix(rng, "bytes=0-"), 10, 64)
	if err != nil || !strings.HasPrefix(rng, "bytes=0-") {
		return ObjectInfo{}, 0, false, fmt.Errorf("resumable upload: unexpected Range %q", rng)
	}
	return ObjectInfo{}, last + 1, false, nil
}
