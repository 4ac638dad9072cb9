package zoho

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
)

// slotWatcher is a token source that notes how many concurrency slots are taken each time the
// client asks it for a token.
type slotWatcher struct {
	mu     sync.Mutex
	client *Client
	held   []int
}

func (s *slotWatcher) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = append(s.held, len(s.client.limiter.slots))
	return &oauth2.Token{AccessToken: testToken}, nil
}

// The token is fetched after the call got its concurrency slot, so a call that queued behind
// slow downloads does not send a token that expired while it waited.
func TestSlotTakenBeforeTheToken(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", apiBase+"org", httpmock.NewStringResponder(200, `{}`))
	ts := &slotWatcher{}
	c, err := NewClient(WithTokenSource(ts), WithTransport(mt), WithEndpoints(Endpoints{API: "https://www.zohoapis.com"}), WithConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	ts.client = c
	req, _ := c.NewRequest(http.MethodGet, "org", nil, nil)
	for range 2 {
		if _, err := c.Do(t.Context(), req, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(ts.held) != 2 || ts.held[0] != 1 || ts.held[1] != 1 {
		t.Fatalf("slots held when the token was fetched: %v, want [1 1]", ts.held)
	}
}

// A download read to its end gives its slot back even if the caller never closes it; closing it
// later does not give back a second slot.
func TestSlotReleasedAtEndOfBody(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", apiBase+"Leads/1/Attachments/2", httpmock.NewStringResponder(200, strings.Repeat("x", 10<<10)))
	c, err := NewClient(WithTokenSource(staticTS("")), WithTransport(mt), WithEndpoints(Endpoints{API: "https://www.zohoapis.com"}), WithConcurrency(2))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := c.NewRequest(http.MethodGet, "Leads/1/Attachments/2", nil, nil)
	resp, err := c.DoRaw(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.limiter.slots); n != 1 {
		t.Fatalf("%d slots taken while the body is open", n)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || len(b) != 10<<10 {
		t.Fatalf("read %d bytes: %v", len(b), err)
	}
	if n := len(c.limiter.slots); n != 0 {
		t.Fatalf("%d slots still taken after the body was read to its end", n)
	}
	held, err := c.DoRaw(t.Context(), req) // takes one slot and keeps it
	if err != nil {
		t.Fatal(err)
	}
	defer held.Body.Close()
	resp.Body.Close() // must not give back a slot it no longer holds
	if n := len(c.limiter.slots); n != 1 {
		t.Fatalf("%d slots taken after the late Close, want the one still held", n)
	}
}

// WithTimeout bounds the wait for the answer's headers, not the bodies: a download and an upload
// that take longer than the timeout, steadily, succeed; an answer whose headers do not come is a
// timeout. (The pauses below make the bodies slower than the timeout; the assertions do not
// depend on how long anything takes.)
func TestTimeoutBoundsOnlyTheWaitForHeaders(t *testing.T) {
	const timeout = 200 * time.Millisecond
	const chunks, chunk = 10, 1 << 10 // 10 KiB over at least 10 pauses of 40ms
	pause := func() { <-time.After(timeout / 5) }
	newClient := func(t *testing.T, h http.HandlerFunc) *Client {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		c, err := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: srv.URL}), WithTimeout(timeout),
			WithRetryPolicy(RetryPolicy{MaxRetries: -1}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("slow download", func(t *testing.T) {
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(chunks*chunk))
			w.WriteHeader(200)
			for range chunks {
				w.Write(bytes.Repeat([]byte("x"), chunk))
				w.(http.Flusher).Flush()
				pause()
			}
		})
		req, _ := c.NewRequest(http.MethodGet, "Leads/1/Attachments/2", nil, nil)
		var buf bytes.Buffer
		if _, err := c.Do(t.Context(), req, &buf); err != nil || buf.Len() != chunks*chunk {
			t.Fatalf("read %d of %d bytes: %v", buf.Len(), chunks*chunk, err)
		}
	})

	t.Run("slow upload", func(t *testing.T) {
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			if err != nil || len(b) != chunks*chunk {
				t.Errorf("server read %d bytes: %v", len(b), err)
			}
			w.Write([]byte(`{"data":[{"code":"SUCCESS","details":{"id":"9"},"message":"attachment uploaded successfully","status":"success"}]}`))
		})
		open := func() (io.Reader, error) { return &slowReader{left: chunks, chunk: chunk, pause: pause}, nil }
		req, err := c.NewStreamRequest(http.MethodPost, "Leads/1/Attachments", "application/octet-stream", chunks*chunk, open)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(t.Context(), req, nil); err != nil {
			t.Fatalf("upload: %v", err)
		}
	})

	t.Run("headers that do not come", func(t *testing.T) {
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		req, _ := c.NewRequest(http.MethodGet, "org", nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, context.DeadlineExceeded) || t.Context().Err() != nil {
			t.Fatalf("err = %v, want a timeout", err)
		}
	})
}

// slowReader yields left chunks of chunk bytes, pausing before each.
type slowReader struct {
	left, chunk int
	pause       func()
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	r.pause()
	r.left--
	return copy(p, bytes.Repeat([]byte("y"), min(r.chunk, len(p)))), nil
}

// 100 calls through a limit of 5: never more than 5 reach the server at once, and 5 do (the first
// ones are held until the fifth arrives).
func TestConcurrencyLimitNeverExceeded(t *testing.T) {
	var inFlight, peak atomic.Int32
	full := make(chan struct{})
	var fullOnce sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n == 5 {
			fullOnce.Do(func() { close(full) })
		}
		<-full
		inFlight.Add(-1)
		w.Write([]byte(`{"data":[]}`))
	}))
	defer srv.Close()
	c, err := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: srv.URL}), WithConcurrency(5))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := c.NewRequest("GET", "Leads", nil, nil)
			var v map[string]any
			if _, err := c.Do(t.Context(), req, &v); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if p := peak.Load(); p != 5 {
		t.Fatalf("peak concurrency %d, want 5", p)
	}
}

func TestCallHookSeesEveryAttemptWithContext(t *testing.T) {
	type key struct{}
	var mu sync.Mutex
	var seen []CallInfo
	c, mt := newMockClient(t, WithCallHook(func(ctx context.Context, info CallInfo) {
		if ctx.Value(key{}) != "chat-42" {
			t.Errorf("hook context lost the caller's value")
		}
		mu.Lock()
		seen = append(seen, info)
		mu.Unlock()
	}))
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads",
		httpmock.ResponderFromMultipleResponses([]*http.Response{httpmock.NewStringResponse(503, ``), httpmock.NewStringResponse(200, `{}`)}))
	req, _ := c.NewRequest("GET", "Leads", nil, nil)
	if _, err := c.Do(context.WithValue(t.Context(), key{}, "chat-42"), req, nil); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0].Status != 503 || seen[0].Attempt != 1 || seen[1].Status != 200 || seen[1].Attempt != 2 ||
		seen[1].Path != "/crm/v2/Leads" || seen[1].Method != "GET" {
		t.Fatalf("seen = %+v", seen)
	}
}

func TestConcurrencyWaitEndsWithTheContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) }))
	defer srv.Close()
	c, _ := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: srv.URL}), WithConcurrency(1))
	req, _ := c.NewRequest("GET", "org", nil, nil)
	held, err := c.DoRaw(t.Context(), req) // holds the only slot until its body is closed
	if err != nil {
		t.Fatal(err)
	}
	// The context ends while the call waits for the slot (or before it asks): it returns with the
	// context's error (a wait that ignored the context would hang the test).
	ctx, cancel := context.WithCancel(t.Context())
	go cancel()
	if _, err := c.Do(ctx, req, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	held.Body.Close()
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatalf("after the slot was released: %v", err)
	}
}
