package objstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// resumableService is a Cloud Storage upload endpoint holding one resumable session. It
// fails the first request of a chunk after the first one with a 503 once it has kept
// 256 KiB of that chunk, as a connection broken mid-request leaves the service with a
// part of it.
type resumableService struct {
	t        *testing.T
	url      string
	mu       sync.Mutex
	kept     []byte
	received int64
	failed   bool
	started  string // the query that opened the session
}

func (s *resumableService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost:
		s.started = r.URL.RawQuery
		if r.URL.Query().Get("ifGenerationMatch") == "1" {
			w.WriteHeader(http.StatusPreconditionFailed)
			return
		}
		w.Header().Set("Location", s.url+"/session")
		return
	case r.Method != http.MethodPut || r.URL.Path != "/session":
		w.WriteHeader(http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.received += int64(len(body))
	cr := r.Header.Get("Content-Range")
	if strings.HasPrefix(cr, "bytes */") {
		s.incomplete(w)
		return
	}
	var start, end, total int
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &total); err != nil || start != len(s.kept) || end-start+1 != len(body) {
		s.t.Errorf("chunk %q of %d bytes, with %d kept", cr, len(body), len(s.kept))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !s.failed && start > 0 {
		s.failed = true
		s.kept = append(s.kept, body[:256<<10]...)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	s.kept = append(s.kept, body...)
	if end+1 < total {
		s.incomplete(w)
		return
	}
	fmt.Fprintf(w, `{"name": "obj", "size": "%d", "generation": "7"}`, len(s.kept))
}

// incomplete answers 308 with the bytes kept so far.
func (s *resumableService) incomplete(w http.ResponseWriter) {
	if len(s.kept) > 0 {
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", len(s.kept)-1))
	}
	w.WriteHeader(http.StatusPermanentRedirect)
}

// An upload above the resumable threshold goes in chunks; a request failing after the
// service kept part of its chunk is followed by a question to the session and the rest
// of the bytes only; the object is the bytes given. A precondition refused when the
// session opens is ErrPrecondition.
func TestResumableUploadResumes(t *testing.T) {
	svc := &resumableService{t: t}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	svc.url = srv.URL
	c := NewClient(srv.URL, nil, nil)
	c.resumableAbove, c.chunk, c.backoff = 512<<10, 512<<10, time.Millisecond
	data := make([]byte, 2<<20+12345)
	for i := range data {
		data[i] = byte(i * 7 % 251)
	}
	info, err := c.Upload(t.Context(), "bkt", "obj", bytes.NewReader(data), int64(len(data)), IfAbsent)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || info.Generation != 7 {
		t.Fatalf("uploaded %+v, want %d bytes, generation 7", info, len(data))
	}
	if !bytes.Equal(svc.kept, data) {
		t.Fatalf("the service kept %d bytes, not the %d given", len(svc.kept), len(data))
	}
	if !svc.failed || !strings.Contains(svc.started, "uploadType=resumable") || !strings.Contains(svc.started, "ifGenerationMatch=0") {
		t.Fatalf("failed %v, session opened with %q", svc.failed, svc.started)
	}
	// The failed chunk's first 256 KiB were kept: only the rest went again.
	if resent := svc.received - int64(len(data)); resent != int64(c.chunk)-256<<10 {
		t.Fatalf("%d bytes sent twice, want the %d the service had not kept", resent, int64(c.chunk)-256<<10)
	}
	if _, err := c.Upload(t.Context(), "bkt", "obj", bytes.NewReader(data), int64(len(data)), 1); !errors.Is(err, ErrPrecondition) {
		t.Fatalf("a refused precondition: %v, want ErrPrecondition", err)
	}
}
