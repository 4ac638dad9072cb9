package zoho

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// uploadServer is an httptest stand-in for Zoho's attachment upload: it checks on the server side
// that each body is exactly as long as its Content-Length (not chunked), keeps every body, and
// answers the n-th request with statuses[n] (the last one repeated).
type uploadServer struct {
	t        *testing.T
	statuses []int
	onBody   func(n int) // called when request n (from 1) arrives, before its body is read

	mu     sync.Mutex
	bodies [][]byte
	types  []string
}

func (s *uploadServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.bodies) + 1
	s.bodies = append(s.bodies, nil)
	s.types = append(s.types, r.Header.Get("Content-Type"))
	s.mu.Unlock()
	if s.onBody != nil {
		s.onBody(n)
	}
	if len(r.TransferEncoding) > 0 || r.ContentLength < 0 {
		s.t.Errorf("request %d: no Content-Length (transfer encoding %v)", n, r.TransferEncoding)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away
	}
	if h := r.Header.Get("Content-Length"); h != strconv.Itoa(len(b)) {
		s.t.Errorf("request %d: Content-Length %s, body %d bytes", n, h, len(b))
	}
	s.mu.Lock()
	s.bodies[n-1] = b
	s.mu.Unlock()
	status := s.statuses[min(n, len(s.statuses))-1]
	w.WriteHeader(status)
	if status == http.StatusOK {
		w.Write(readTestdataFile(s.t, "v8oas_upload_attachment_response_200.json"))
	} else {
		w.Write(readTestdataFile(s.t, "v8oas_error_500_internal_error.json"))
	}
}

func (s *uploadServer) client(t *testing.T) *Client {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: srv.URL}), WithRetryPolicy(fastRetry))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// emptyTempDir points os.TempDir at a fresh directory and returns a check that it is empty.
func emptyTempDir(t *testing.T) func() {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return func() {
		t.Helper()
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("temporary files left behind: %v", ents)
		}
	}
}

// Over a real HTTP stack, an upload retried after a 500 sends two complete, byte-identical bodies
// of exactly Content-Length bytes, whether the file is seekable, a small stream held in memory or a
// large stream spooled to a temporary file (removed afterwards).
func TestUploadRetryOverHTTPSendsIdenticalCompleteBodies(t *testing.T) {
	small := bytes.Repeat([]byte("chat line\n"), 1000)
	large := bytes.Repeat([]byte{'x', 0, 0xff, '\n'}, attachmentSpoolMemory/4+1000) // over the in-memory limit
	for name, tc := range map[string]struct {
		content []byte
		reader  func([]byte) io.Reader
	}{
		"seekable":       {large, func(b []byte) io.Reader { return bytes.NewReader(b) }},
		"stream":         {small, func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) }},
		"spooled stream": {large, func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) }},
	} {
		t.Run(name, func(t *testing.T) {
			checkTemp := emptyTempDir(t)
			s := &uploadServer{t: t, statuses: []int{500, 200}}
			c := s.client(t)
			att, resp, err := c.Attachments.Upload(t.Context(), "Leads", "1", File{Name: "chat.txt", ContentType: "text/plain", Body: tc.reader(tc.content)}, &UploadOptions{Retry: true})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Attempts != 2 || len(s.bodies) != 2 || att.Size != int64(len(tc.content)) {
				t.Fatalf("attempts %d, bodies %d, size %d", resp.Attempts, len(s.bodies), att.Size)
			}
			if !bytes.Equal(s.bodies[0], s.bodies[1]) || s.types[0] != s.types[1] {
				t.Fatal("the retry sent a different body")
			}
			parts := parseMultipart(t, s.types[1], s.bodies[1])
			if len(parts) != 1 || parts[0].name != "file" || !bytes.Equal(parts[0].content, tc.content) {
				t.Fatal("incomplete body")
			}
			checkTemp()
		})
	}
}

// countingReader counts reads, to show a reader was (not) consumed.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) { c.reads++; return c.r.Read(p) }

// A spooled upload leaves no temporary file behind when the call fails or is cancelled, and a
// context that has already ended (or a nil one) is refused before the file is read.
func TestUploadSpoolCleanedUpOnErrorAndCancel(t *testing.T) {
	large := bytes.Repeat([]byte{'y'}, attachmentSpoolMemory+1)
	t.Run("server error", func(t *testing.T) {
		checkTemp := emptyTempDir(t)
		s := &uploadServer{t: t, statuses: []int{500}}
		c := s.client(t)
		_, _, err := c.Attachments.Upload(t.Context(), "Leads", "1", File{Name: "a.bin", Body: io.MultiReader(bytes.NewReader(large))}, nil)
		var amb *AmbiguousError
		if !errors.As(err, &amb) || len(s.bodies) != 1 {
			t.Fatalf("err %v, %d requests", err, len(s.bodies))
		}
		checkTemp()
	})
	t.Run("cancelled while sending", func(t *testing.T) {
		checkTemp := emptyTempDir(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		s := &uploadServer{t: t, statuses: []int{200}, onBody: func(int) { cancel(); time.Sleep(20 * time.Millisecond) }}
		c := s.client(t)
		_, _, err := c.Attachments.Upload(ctx, "Leads", "1", File{Name: "a.bin", Body: io.MultiReader(bytes.NewReader(large))}, &UploadOptions{Retry: true})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
		checkTemp()
	})
	t.Run("ended before", func(t *testing.T) {
		checkTemp := emptyTempDir(t)
		s := &uploadServer{t: t, statuses: []int{200}}
		c := s.client(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		r := &countingReader{r: bytes.NewReader(large)}
		if _, _, err := c.Attachments.Upload(ctx, "Leads", "1", File{Name: "a.bin", Body: r}, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
		//lint:ignore SA1012 a nil context is refused, not dereferenced
		if _, _, err := c.Attachments.Upload(nil, "Leads", "1", File{Name: "a.bin", Body: r}, nil); err == nil {
			t.Fatal("nil context accepted")
		}
		if r.reads != 0 || len(s.bodies) != 0 {
			t.Fatalf("%d reads, %d requests", r.reads, len(s.bodies))
		}
		checkTemp()
	})
}
