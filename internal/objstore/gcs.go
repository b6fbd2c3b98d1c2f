// Package objstore reads objects of Google Cloud Storage (gs://bucket/name) for kindling's
// file readers, through the storage JSON API over net/http: metadata, listing by prefix,
// and ranged reads of one object generation, so that a reader sees one version of an
// object even if it is replaced while the job runs. It needs no client library: the
// library's dependencies stay arrow-go, golang-lru, x/sync and klauspost/compress.
//
// The endpoint is https://storage.googleapis.com, or the emulator named by
// STORAGE_EMULATOR_HOST (the variable Google's client libraries and fake-gcs-server
// use), which is then used without credentials. Otherwise requests carry an OAuth2 token
// from Application Default Credentials (see auth.go). Transient failures (HTTP 429 and
// 5xx, broken connections) are retried with backoff; errors name the object and the
// service's message.
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
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Scheme is the prefix of Cloud Storage paths.
const Scheme = "gs://"

// IsGS reports whether path names a Cloud Storage object or prefix.
func IsGS(path string) bool { return strings.HasPrefix(path, Scheme) }

// Split returns the bucket and object name of a gs:// path (name may be empty: the
// bucket itself).
func Split(path string) (bucket, name string, err error) {
	if !IsGS(path) {
		return "", "", fmt.Errorf("objstore: %q is not a gs:// path", path)
	}
	rest := strings.TrimPrefix(path, Scheme)
	bucket, name, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("objstore: %q names no bucket", path)
	}
	return bucket, name, nil
}

// Client talks to one Cloud Storage endpoint.
type Client struct {
	endpoint string // scheme and host, no trailing slash
	http     *http.Client
	tokens   TokenSource // nil: requests carry no credentials (an emulator)
	// retries is how many times a transient failure is retried; backoff the first wait.
	retries int
	backoff time.Duration
	// resumableAbove is the size above which Upload goes through a resumable session,
	// chunk bytes per request.
	resumableAbove, chunk int64
}

// NewClient returns a client of endpoint (e.g. "https://storage.googleapis.com", or an
// emulator's "http://127.0.0.1:4443"), authorizing requests with tokens (nil: none).
func NewClient(endpoint string, hc *http.Client, tokens TokenSource) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Minute}
	}
	return &Client{endpoint: strings.TrimSuffix(endpoint, "/"), http: hc, tokens: tokens, retries: 4, backoff: 200 * time.Millisecond,
		resumableAbove: 32 << 20, chunk: 16 << 20}
}

var defaultClient struct {
	once sync.Once
	c    *Client
	err  error
}

// Default returns the process's client: the emulator of STORAGE_EMULATOR_HOST without
// credentials, or Cloud Storage with Application Default Credentials.
func Default() (*Client, error) {
	defaultClient.once.Do(func() {
		if host := os.Getenv("STORAGE_EMULATOR_HOST"); host != "" {
			if !strings.Contains(host, "://") {
				host = "http://" + host
			}
			defaultClient.c = NewClient(host, nil, nil)
			return
		}
		tokens, err := DefaultTokenSource()
		if err != nil {
			defaultClient.err = err
			return
		}
		defaultClient.c = NewClient("https://storage.googleapis.com", nil, tokens)
	})
	return defaultClient.c, defaultClient.err
}

// ObjectInfo is an object's metadata.
type ObjectInfo struct {
	Bucket, Name string
	Size         int64
	Generation   int64
	Updated      time.Time
}

// Path returns the object's gs:// path.
func (o ObjectInfo) Path() string { return Scheme + o.Bucket + "/" + o.Name }

// apiObject is the JSON API's object resource (the fields kindling reads).
type apiObject struct {
	Name       string    `json:"name"`
	Size       string    `json:"size"`
	Generation string    `json:"generation"`
	Updated    time.Time `json:"updated"`
}

func (a apiObject) info(bucket string) (ObjectInfo, error) {
	size, err := strconv.ParseInt(a.Size, 10, 64)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("objstore: gs://%s/%s: size %q: %w", bucket, a.Name, a.Size, err)
	}
	gen, _ := strconv.ParseInt(a.Generation, 10, 64)
	return ObjectInfo{Bucket: bucket, Name: a.Name, Size: size, Generation: gen, Updated: a.Updated}, nil
}

func (c *Client) objectURL(bucket, name string) string {
	return c.endpoint + "/storage/v1/b/" + url.PathEscape(bucket) + "/o/" + url.PathEscape(name)
}

// Stat returns an object's metadata; a missing object is an error wrapping
// fs.ErrNotExist.
func (c *Client) Stat(ctx context.Context, bucket, name string) (ObjectInfo, error) {
	var obj apiObject
	if err := c.getJSON(ctx, c.objectURL(bucket, name), &obj); err != nil {
		return ObjectInfo{}, fmt.Errorf("objstore: stat gs://%s/%s: %w", bucket, name, err)
	}
	return obj.info(bucket)
}

// List returns the objects whose names start with prefix, sorted by name, and with a
// delimiter ("/") only those directly under it, with the common prefixes below it (the
// "subdirectories", each ending in the delimiter).
func (c *Client) List(ctx context.Context, bucket, prefix, delimiter string) ([]ObjectInfo, []string, error) {
	var objects []ObjectInfo
	var prefixes []string
	token := ""
	for {
		q := url.Values{"prefix": {prefix}}
		if delimiter != "" {
			q.Set("delimiter", delimiter)
		}
		if token != "" {
			q.Set("pageToken", token)
		}
		var page struct {
			Items         []apiObject `json:"items"`
			Prefixes      []string    `json:"prefixes"`
			NextPageToken string      `json:"nextPageToken"`
		}
		u := c.endpoint + "/storage/v1/b/" + url.PathEscape(bucket) + "/o?" + q.Encode()
		if err := c.getJSON(ctx, u, &page); err != nil {
			return nil, nil, fmt.Errorf("objstore: list gs://%s/%s: %w", bucket, prefix, err)
		}
		for _, it := range page.Items {
			info, err := it.info(bucket)
			if err != nil {
				return nil, nil, err
			}
			objects = append(objects, info)
		}
		prefixes = append(prefixes, page.Prefixes...)
		if page.NextPageToken == "" {
			return objects, prefixes, nil
		}
		token = page.NextPageToken
	}
}

// getJSON GETs u and decodes the JSON answer into out.
func (c *Client) getJSON(ctx context.Context, u string, out any) error {
	resp, err := c.do(ctx, func() (*http.Request, error) { return http.NewRequestWithContext(ctx, http.MethodGet, u, nil) })
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	return nil
}

// APIError is an unsuccessful answer of the service.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
}

// ErrPrecondition is what a request whose generation precondition failed (HTTP 412)
// matches with errors.Is.
var ErrPrecondition = errors.New("objstore: generation precondition failed")

// Is makes a 404 match fs.ErrNotExist, a 403 fs.ErrPermission and a 412 ErrPrecondition.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrPrecondition:
		return e.Status == http.StatusPreconditionFailed
	case fs.ErrNotExist:
		return e.Status == http.StatusNotFound
	case fs.ErrPermission:
		return e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized
	}
	return false
}

func (e *APIError) transient() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500
}

// do sends the request newReq builds, with credentials, retrying transient failures. A
// 2xx answer is returned open; any other becomes an *APIError.
func (c *Client) do(ctx context.Context, newReq func() (*http.Request, error)) (*http.Response, error) {
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, newReq)
		if err == nil {
			return resp, nil
		}
		var api *APIError
		retry := errors.As(err, &api) && api.transient() || !errors.As(err, &api) && ctx.Err() == nil
		if !retry || attempt >= c.retries {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (c *Client) once(ctx context.Context, newReq func() (*http.Request, error)) (*http.Response, error) {
	return c.send(ctx, newReq, func(status int) bool { return status/100 == 2 })
}

// send sends the request newReq builds, with credentials, once: an answer whose status
// ok accepts is returned open, any other becomes an *APIError.
func (c *Client) send(ctx context.Context, newReq func() (*http.Request, error), ok func(status int) bool) (*http.Response, error) {
	req, err := newReq()
	if err != nil {
		return nil, err
	}
	if c.tokens != nil {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if ok(resp.StatusCode) {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var apiErr struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &apiErr) == nil && apiErr.Error.Message != "" {
		msg = apiErr.Error.Message
	}
	return nil, &APIError{Status: resp.StatusCode, Message: msg}
}
