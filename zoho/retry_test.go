package zoho

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
)

func TestRetry429(t *testing.T) {
	t.Run("without Retry-After", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads",
			httpmock.ResponderFromMultipleResponses([]*http.Response{
				httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"concurrency limit of the user for the app is exceeded","status":"error","details":{}}`),
				httpmock.NewStringResponse(200, `{"data":[]}`),
			}))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		resp, err := c.Do(t.Context(), req, nil)
		if err != nil || resp.Attempts != 2 {
			t.Fatalf("%v %v", resp, err)
		}
	})
	t.Run("POST is retried after a 429", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads",
			httpmock.ResponderFromMultipleResponses([]*http.Response{
				httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"x","status":"error","details":{}}`),
				httpmock.NewStringResponse(201, `{"data":[]}`),
			}))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		if resp, err := c.Do(t.Context(), req, nil); err != nil || resp.Attempts != 2 {
			t.Fatalf("%v %v", resp, err)
		}
	})
	t.Run("Retry-After within the cap is honoured", func(t *testing.T) {
		c, _ := newMockClient(t)
		resp := httpmock.NewStringResponse(429, `{}`)
		resp.Header.Set("Retry-After", "2")
		if d, why := c.backoff(time.Millisecond, 2*time.Millisecond, 0, resp); d != 2*time.Second || why != "Retry-After" {
			t.Fatalf("backoff = %v (%s), want 2s (Retry-After)", d, why)
		}
		resp.Header.Set("Retry-After", "3600")
		if d, why := c.backoff(time.Millisecond, 2*time.Millisecond, 0, resp); d != fastRetry.MaxRetryAfter || why != "Retry-After" {
			t.Fatalf("backoff = %v (%s), want the cap", d, why)
		}
		resp.Header.Del("Retry-After")
		if d, why := c.backoff(time.Millisecond, 2*time.Millisecond, 0, resp); d > time.Millisecond || why != "backoff" {
			t.Fatalf("backoff = %v (%s), want at most 1ms (backoff)", d, why)
		}
	})
	t.Run("Retry-After above the cap ends the call with it", func(t *testing.T) {
		c, mt := newMockClient(t)
		r := httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"x","status":"error","details":{}}`)
		r.Header.Set("Retry-After", "120")
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.ResponderFromResponse(r))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.RetryAfter != 120*time.Second || !errors.Is(err, ErrRateLimited) {
			t.Fatalf("err = %#v", err)
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Fatalf("%d calls", n)
		}
	})
	t.Run("credit exhaustion is not retried", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads",
			httpmock.NewStringResponder(429, `{"code":"TOO_MANY_REQUESTS","message":"Number of API requests for the 24 hour period is exceeded","status":"error","details":{}}`))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || !errors.Is(ae, ErrCreditsExhausted) || errors.Is(ae, ErrTemporary) || !errors.Is(err, ErrCreditsExhausted) || errors.Is(err, ErrRateLimited) {
			t.Fatalf("err = %v", err)
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Fatalf("%d calls, want 1", n)
		}
	})
}

func TestRetry5xx(t *testing.T) {
	script := func() httpmock.Responder {
		return httpmock.ResponderFromMultipleResponses([]*http.Response{
			httpmock.NewStringResponse(503, `{"code":"INTERNAL_ERROR","message":"x","status":"error","details":{}}`),
			httpmock.NewStringResponse(502, ``),
			httpmock.NewStringResponse(200, `{"data":[]}`),
		})
	}
	t.Run("GET retried until success", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", script())
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		if resp, err := c.Do(t.Context(), req, nil); err != nil || resp.Attempts != 3 {
			t.Fatalf("%v %v", resp, err)
		}
	})
	t.Run("POST not retried", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads", script())
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		_, err := c.Do(t.Context(), req, nil)
		var amb *AmbiguousError
		if !errors.As(err, &amb) || amb.StatusCode != 503 {
			t.Fatalf("err = %v, want *AmbiguousError", err)
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != "INTERNAL_ERROR" {
			t.Fatalf("the APIError is not reachable: %v", err)
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Fatalf("%d calls", n)
		}
	})
	t.Run("idempotent POST retried with the same body", func(t *testing.T) {
		c, mt := newMockClient(t)
		var bodies []string
		var mu sync.Mutex
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads/upsert",
			func(r *http.Request) (*http.Response, error) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				n := len(bodies)
				mu.Unlock()
				if n < 3 {
					return httpmock.NewStringResponse(500, `{}`), nil
				}
				return httpmock.NewStringResponse(200, `{"data":[]}`), nil
			})
		req, _ := c.NewRequest("POST", "Leads/upsert", nil, map[string]any{"data": []any{map[string]string{"Email": "a@b.c"}}}, Idempotent())
		if _, err := c.Do(t.Context(), req, nil); err != nil {
			t.Fatal(err)
		}
		if len(bodies) != 3 || bodies[0] != bodies[1] || bodies[1] != bodies[2] || bodies[0] == "" {
			t.Fatalf("bodies = %q", bodies)
		}
	})
	t.Run("other 4xx not retried", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.NewStringResponder(400, `{"code":"INVALID_DATA","status":"error","message":"x"}`))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		if _, err := c.Do(t.Context(), req, nil); !errors.Is(err, ErrInvalidData) || mt.GetTotalCallCount() != 1 {
			t.Fatalf("%v, %d calls", err, mt.GetTotalCallCount())
		}
	})
	t.Run("exhausted retries give the typed error", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.NewStringResponder(500, `{"code":"INTERNAL_ERROR","status":"error","message":"x"}`))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Attempts != 4 || ae.Code != "INTERNAL_ERROR" || !errors.Is(ae, ErrTemporary) {
			t.Fatalf("err = %v", err)
		}
	})
}

// The context ends while the client waits out an hour-long backoff: the call returns at once (a
// backoff that ignored the context would hang the test).
func TestContextCancelDuringBackoffReturnsPromptly(t *testing.T) {
	c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{MaxRetries: 5, MinWait: time.Hour, MaxWait: time.Hour}))
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.NewStringResponder(503, ``))
	ctx, cancel := context.WithCancel(t.Context())
	var waits []time.Duration
	c.cfg.logger = slog.New(&retryLog{waits: &waits, onRetry: cancel}) // the context ends as the wait begins
	req, _ := c.NewRequest("GET", "Leads", nil, nil)
	if _, err := c.Do(ctx, req, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if len(waits) != 1 || waits[0] < 30*time.Minute || mt.GetTotalCallCount() != 1 {
		t.Fatalf("waits %v, %d calls", waits, mt.GetTotalCallCount())
	}
}

func TestConnectionFailures(t *testing.T) {
	t.Run("refused before writing: POST is retried", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nothing listens: dial fails, nothing was written
		var attempts atomic.Int32
		c, _ := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: "http://" + addr}), WithRetryPolicy(fastRetry),
			WithCallHook(func(ctx context.Context, info CallInfo) { attempts.Add(1) }))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		_, err := c.Do(t.Context(), req, nil)
		var amb *AmbiguousError
		if err == nil || errors.As(err, &amb) {
			t.Fatalf("err = %v, want a plain failure", err)
		}
		if attempts.Load() != 4 {
			t.Fatalf("%d attempts, want 4", attempts.Load())
		}
	})
	t.Run("dropped after writing: POST is ambiguous, not retried", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			io.ReadAll(r.Body)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}))
		defer srv.Close()
		c, _ := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: srv.URL}), WithRetryPolicy(fastRetry))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		_, err := c.Do(t.Context(), req, nil)
		var amb *AmbiguousError
		if !errors.As(err, &amb) || amb.StatusCode != 0 {
			t.Fatalf("err = %v, want *AmbiguousError", err)
		}
		if hits.Load() != 1 {
			t.Fatalf("%d hits", hits.Load())
		}
		// The same drop on a GET is retried.
		req, _ = c.NewRequest("GET", "Leads", nil, nil)
		_, _ = c.Do(t.Context(), req, nil)
		if hits.Load() != 5 {
			t.Fatalf("%d hits after GET, want 1+4", hits.Load())
		}
	})
}

type rejecter struct {
	mu       sync.Mutex
	current  string
	rejected []string
	fail     error
	next     string // the token after a rejection; "fresh" when empty
}

func (r *rejecter) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &oauth2.Token{AccessToken: r.current}, nil
}

func (r *rejecter) TokenRejected(ctx context.Context, tok *oauth2.Token) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejected = append(r.rejected, tok.AccessToken)
	if r.fail != nil {
		return r.fail
	}
	r.current = "fresh"
	if r.next != "" {
		r.current = r.next
	}
	return nil
}

func TestRejectedTokenRefreshedOnceAndRetried(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/org", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") == "Zoho-oauthtoken fresh" {
			return httpmock.NewStringResponse(200, `{"org":[]}`), nil
		}
		return httpmock.NewStringResponse(401, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`), nil
	})
	rj := &rejecter{current: "stale"}
	c, _ := NewClient(WithTokenSource(rj), WithTransport(mt))
	req, _ := c.NewRequest("GET", "org", nil, nil)
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
	if len(rj.rejected) != 1 || rj.rejected[0] != "stale" || mt.GetTotalCallCount() != 2 {
		t.Fatalf("rejected %v, %d calls", rj.rejected, mt.GetTotalCallCount())
	}
	// A refresh that fails permanently surfaces both errors, and nothing loops.
	reconnect := errors.New("reconnect required")
	rj2 := &rejecter{current: "stale", fail: reconnect}
	c, _ = NewClient(WithTokenSource(rj2), WithTransport(mt))
	_, err := c.Do(t.Context(), req, nil)
	if !errors.Is(err, reconnect) || !errors.Is(err, ErrInvalidToken) || len(rj2.rejected) != 1 {
		t.Fatalf("err = %v, rejected %v", err, rj2.rejected)
	}
	// Scope mismatch is never a refresh.
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/users", httpmock.NewStringResponder(401, `{"code":"OAUTH_SCOPE_MISMATCH","message":"Unauthorized","status":"error","details":{}}`))
	rj3 := &rejecter{current: "stale"}
	c, _ = NewClient(WithTokenSource(rj3), WithTransport(mt))
	req, _ = c.NewRequest("GET", "users", nil, nil)
	if _, err := c.Do(t.Context(), req, nil); !errors.Is(err, ErrScopeMismatch) || len(rj3.rejected) != 0 {
		t.Fatalf("err = %v, rejected %v", err, rj3.rejected)
	}
}

func TestRetryAfterShapes(t *testing.T) {
	hdr := func(v string) *http.Response { return &http.Response{Header: http.Header{"Retry-After": {v}}} }
	if d, ok := retryAfter(hdr("99999999999999999")); !ok || d < 24*time.Hour {
		t.Errorf("huge seconds: %v %v, want a long wait, not an overflow", d, ok)
	}
	if d, ok := retryAfter(hdr(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))); !ok || d != 0 {
		t.Errorf("date in the past: %v %v", d, ok)
	}
	if d, ok := retryAfter(hdr(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))); !ok || d < 59*time.Minute || d > time.Hour {
		t.Errorf("date in an hour: %v %v", d, ok)
	}
	for _, bad := range []string{"-1", "soon", ""} {
		if _, ok := retryAfter(hdr(bad)); ok {
			t.Errorf("%q accepted", bad)
		}
	}

	t.Run("huge Retry-After ends the call", func(t *testing.T) {
		c, mt := newMockClient(t)
		r := httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"x","status":"error","details":{}}`)
		r.Header.Set("Retry-After", "99999999999999999")
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.ResponderFromResponse(r))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.RetryAfter < 24*time.Hour || mt.GetTotalCallCount() != 1 {
			t.Fatalf("err = %v, %d calls", err, mt.GetTotalCallCount())
		}
	})
	t.Run("HTTP-date within the cap is waited for, through the real stack", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				w.Header().Set("Retry-After", time.Now().Add(time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(429)
				w.Write([]byte(`{"code":"TOO_MANY_REQUESTS","message":"concurrency limit exceeded","status":"error","details":{}}`))
				return
			}
			w.Write([]byte(`{"data":[]}`))
		}))
		defer srv.Close()
		c, _ := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: srv.URL}), WithRetryPolicy(fastRetry))
		var waits []time.Duration
		c.cfg.logger = slog.New(&retryLog{waits: &waits})
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}}) // not idempotent: a 429 is still safe
		resp, err := c.Do(t.Context(), req, nil)
		if err != nil || resp.Attempts != 2 || hits.Load() != 2 {
			t.Fatalf("%v %v, %d hits", resp, err, hits.Load())
		}
		if len(waits) != 1 || waits[0] > fastRetry.MaxRetryAfter || waits[0] > time.Second {
			t.Fatalf("waited %v for a Retry-After a second ahead", waits)
		}
	})
	t.Run("HTTP-date beyond the cap ends the call with it", func(t *testing.T) {
		c, mt := newMockClient(t)
		r := httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"x","status":"error","details":{}}`)
		r.Header.Set("Retry-After", time.Now().Add(10*time.Minute).UTC().Format(http.TimeFormat))
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads", httpmock.ResponderFromResponse(r))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.RetryAfter < 9*time.Minute || !errors.Is(ae, ErrTemporary) || mt.GetTotalCallCount() != 1 {
			t.Fatalf("err = %v, %d calls", err, mt.GetTotalCallCount())
		}
	})
	t.Run("credit exhaustion on a POST is not retried", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads",
			httpmock.NewStringResponder(429, `{"code":"TOO_MANY_REQUESTS","message":"Number of API requests for the 24 hour period is exceeded","status":"error","details":{}}`))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}}, Idempotent())
		_, err := c.Do(t.Context(), req, nil)
		if !errors.Is(err, ErrCreditsExhausted) || mt.GetTotalCallCount() != 1 {
			t.Fatalf("err = %v, %d calls", err, mt.GetTotalCallCount())
		}
	})
}

func TestTokenRetryAccounting(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/org", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") == "Zoho-oauthtoken fresh" {
			return httpmock.NewStringResponse(200, `{"org":[]}`), nil
		}
		return httpmock.NewStringResponse(401, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`), nil
	})
	var mu sync.Mutex
	var seen []CallInfo
	hook := WithCallHook(func(ctx context.Context, info CallInfo) { mu.Lock(); seen = append(seen, info); mu.Unlock() })
	c, _ := NewClient(WithTokenSource(&rejecter{current: "stale"}), WithTransport(mt), hook)
	req, _ := c.NewRequest("GET", "org", nil, nil)
	resp, err := c.Do(t.Context(), req, nil)
	if err != nil || resp.Attempts != 2 {
		t.Fatalf("%v, attempts %d, want 2 (the 401 and the retry)", err, resp.Attempts)
	}
	if len(seen) != 2 || seen[0].Attempt != 1 || seen[0].Status != 401 || seen[1].Attempt != 2 || seen[1].Status != 200 {
		t.Fatalf("hook saw %+v", seen)
	}
	// A second 401 after the retry: the error counts both attempts.
	seen = nil
	rj := &rejecter{current: "stale"}
	rj.next = "still-stale"
	c, _ = NewClient(WithTokenSource(rj), WithTransport(mt), hook)
	_, err = c.Do(t.Context(), req, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Attempts != 2 || !errors.Is(err, ErrInvalidToken) || len(rj.rejected) != 1 {
		t.Fatalf("err = %v (attempts %d), rejected %v", err, ae.Attempts, rj.rejected)
	}
	if len(seen) != 2 || seen[1].Attempt != 2 {
		t.Fatalf("hook saw %+v", seen)
	}
	// A failed renewal: both errors reachable, on one line.
	rj = &rejecter{current: "stale", fail: &TokenError{Op: "refresh", Code: "invalid_code"}}
	c, _ = NewClient(WithTokenSource(rj), WithTransport(mt))
	_, err = c.Do(t.Context(), req, nil)
	var te *TokenError
	if !errors.As(err, &ae) || !errors.As(err, &te) || !errors.Is(err, ErrInvalidToken) || !errors.Is(err, ErrReconnectRequired) {
		t.Fatalf("err = %v", err)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("error is not one line: %q", err.Error())
	}
}

// retryLog is a slog handler that collects the waits of the client's retry log lines and calls
// onRetry, if set, as each wait begins.
type retryLog struct {
	waits *[]time.Duration

	onRetry func()
}

func (h *retryLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *retryLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *retryLog) WithGroup(string) slog.Handler            { return h }
func (h *retryLog) Handle(_ context.Context, r slog.Record) error {
	if !strings.HasPrefix(r.Message, "zoho: retrying") {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "wait" {
			*h.waits = append(*h.waits, a.Value.Duration())
		}
		return true
	})
	if h.onRetry != nil {
		h.onRetry()
	}
	return nil
}

// A retry's log line says how long the client waits and why: the Retry-After Zoho sent, or the
// backoff; and why the attempt failed.
func TestRetryLogSaysHowLongAndWhy(t *testing.T) {
	var buf bytes.Buffer
	c, mt := newMockClient(t, WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond, MaxRetryAfter: time.Second}))
	n := 0
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", func(*http.Request) (*http.Response, error) {
		n++
		switch n {
		case 1:
			r := httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"concurrency limit exceeded","status":"error"}`)
			r.Header.Set("Retry-After", "0")
			return r, nil
		case 2:
			return httpmock.NewStringResponse(503, ``), nil
		}
		return httpmock.NewStringResponse(200, `{"data":[]}`), nil
	})
	req, _ := c.NewRequest("GET", "Leads", nil, nil)
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log:\n%s", buf.String())
	}
	for i, want := range [][]string{
		{`msg="zoho: retrying in 0s (Retry-After)"`, "attempt=1", "status=429", "wait=0s", "wait_reason=Retry-After", "path=/crm/v2/Leads"},
		{`msg="zoho: retrying in `, "(backoff)", "attempt=2", "status=503", "wait_reason=backoff"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
}
