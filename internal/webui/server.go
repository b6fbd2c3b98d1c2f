package webui

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Server serves the live UI of one session over HTTP.
type Server struct {
	src     Source
	tracker *Tracker
	ln      net.Listener
	http    *http.Server
	done    chan struct{}
}

// Start listens on addr ("localhost:4040"; port 0 picks a free one) and serves the UI of
// src, whose running jobs tracker follows, until Close.
func Start(addr string, src Source, tracker *Tracker) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{src: src, tracker: tracker, ln: ln, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page("index.html", "/", func(p *page) error {
		p.Jobs = jobRows(src.Jobs())
		return nil
	}))
	mux.HandleFunc("GET /job/{id}", s.jobPage)
	mux.HandleFunc("GET /storage", s.page("storage.html", "/storage", func(p *page) error {
		p.Storage = storageView(src)
		p.Advice = src.Advice()
		return nil
	}))
	mux.HandleFunc("GET /memory", s.page("memory.html", "/memory", func(p *page) error {
		p.Memory = memoryView{Chart: MemoryChart(src.Jobs()), Stats: src.Memory()}
		return nil
	}))
	mux.HandleFunc("GET /plans", s.page("plans.html", "/plans", func(p *page) error {
		for _, j := range slices.Backward(src.Jobs()) {
			p.Details = append(p.Details, &jobView{Row: jobRow(j), Metrics: j})
		}
		return nil
	}))
	mux.HandleFunc("GET /env", s.page("env.html", "/env", func(p *page) error {
		p.Env = src.Environment()
		return nil
	}))
	mux.HandleFunc("GET /report", func(w http.ResponseWriter, r *http.Request) {
		s.write(w, func(b *bytes.Buffer) error { return WriteReport(b, src, "kindling session report") })
	})
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln) // ends with http.ErrServerClosed at Close
	}()
	return s, nil
}

// Addr returns the address the UI listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, waiting up to a second for requests in flight, and returns
// once its goroutine has ended.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.http.Close()
	}
	<-s.done
	return err
}

func (s *Server) page(name, path string, fill func(*page) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.write(w, func(b *bytes.Buffer) error { return livePage(b, name, path, s.src, s.tracker, fill) })
	}
}

func (s *Server) jobPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		http.Error(w, "bad job ID "+strconv.Quote(r.PathValue("id")), http.StatusBadRequest)
		return
	}
	j, err := findJob(s.src, id)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	s.write(w, func(b *bytes.Buffer) error {
		return livePage(b, "job.html", "", s.src, s.tracker, func(p *page) error {
			p.Job = &jobView{Row: jobRow(j), Metrics: j}
			return nil
		})
	})
}

// write renders into a buffer first, so that a template error becomes a 500 rather than
// half a page.
func (s *Server) write(w http.ResponseWriter, render func(*bytes.Buffer) error) {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}
