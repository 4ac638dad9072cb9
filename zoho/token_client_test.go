package zoho_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/zoho"
)

// oaAPI is a Zoho stand-in (accounts and API on one httptest server) whose API accepts only the
// tokens accept says are good, answering 401 INVALID_TOKEN otherwise.
func oaAPI(t *testing.T, m *oaMinter, accept func(tok string) bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth/v2/token":
			m.ServeHTTP(w, r)
		case "/crm/v2/users":
			w.WriteHeader(401)
			fmt.Fprint(w, `{"code":"OAUTH_SCOPE_MISMATCH","message":"Unauthorized","status":"error","details":{}}`)
		default:
			if !accept(strings.TrimPrefix(r.Header.Get("Authorization"), "Zoho-oauthtoken ")) {
				w.WriteHeader(401)
				fmt.Fprint(w, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`)
				return
			}
			fmt.Fprint(w, `{"org":[{"id":"1"}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func oaClientFor(t *testing.T, srv *httptest.Server, tok *zoho.Token, opts ...zoho.TokenSourceOption) (*zoho.Client, *zoho.TokenSource, *zoho.MemoryTokenStore) {
	t.Helper()
	cfg := oaConfig(nil)
	cfg.HTTPClient = srv.Client()
	cfg.Endpoints = zoho.Endpoints{API: srv.URL, Accounts: srv.URL}
	store := zoho.NewMemoryTokenStore()
	tok.AccountsServer = srv.URL
	if _, err := store.SaveToken(t.Context(), "tenant-1", tok, 0); err != nil {
		t.Fatal(err)
	}
	ts, err := zoho.NewTokenSource(cfg, store, "tenant-1", opts...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithConcurrency(25),
		zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: -1}))
	if err != nil {
		t.Fatal(err)
	}
	return c, ts, store
}

func oaGet(ctx context.Context, c *zoho.Client, path string) error {
	req, err := c.NewRequest("GET", path, nil, nil)
	if err != nil {
		return err
	}
	_, err = c.Do(ctx, req, nil)
	return err
}

// oaGetAll makes n concurrent GET /org calls through c and returns their errors.
func oaGetAll(t *testing.T, c *zoho.Client, n int) []error {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = oaGet(t.Context(), c, "org") })
	}
	wg.Wait()
	return errs
}

func TestHundredConcurrent401sRefreshOnce(t *testing.T) {
	m := &oaMinter{delay: 20 * time.Millisecond}
	srv := oaAPI(t, m, func(tok string) bool { return tok == "fresh-1" })
	stale := oaExpired()
	stale.AccessToken, stale.Expiry = "stale", time.Now().Add(time.Hour) // Zoho revoked it early
	c, _, store := oaClientFor(t, srv, stale)

	for _, err := range oaGetAll(t, c, 100) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := m.calls.Load(); n != 1 {
		t.Fatalf("%d refreshes for 100 concurrent 401s, want 1", n)
	}
	if saved, _, _ := store.LoadToken(t.Context(), "tenant-1"); saved.AccessToken != "fresh-1" {
		t.Fatalf("stored %v", saved)
	}
	// OAUTH_SCOPE_MISMATCH is never a refresh.
	if err := oaGet(t.Context(), c, "users"); !errors.Is(err, zoho.ErrScopeMismatch) || m.calls.Load() != 1 {
		t.Fatalf("scope mismatch: %v, %d refreshes", err, m.calls.Load())
	}
}

func TestSecond401IsATypedAuthErrorWithoutAnotherRefresh(t *testing.T) {
	m := &oaMinter{}
	srv := oaAPI(t, m, func(string) bool { return false }) // Zoho rejects every token
	stale := oaExpired()
	stale.AccessToken, stale.Expiry = "stale", time.Now().Add(time.Hour)
	c, _, _ := oaClientFor(t, srv, stale)
	err := oaGet(t.Context(), c, "org")
	var apiErr *zoho.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, zoho.ErrInvalidToken) || !(errors.Is(apiErr, zoho.ErrInvalidToken) || errors.Is(apiErr, zoho.ErrScopeMismatch)) || m.calls.Load() != 1 {
		t.Fatalf("err = %v, %d refreshes", err, m.calls.Load())
	}
	// The next call's 401 concerns a token issued moments ago: no refresh storm.
	for range 5 {
		err = oaGet(t.Context(), c, "org")
		var te *zoho.TokenError
		if !errors.Is(err, zoho.ErrInvalidToken) || !errors.As(err, &te) || te.Code != zoho.TokenCodeRejectedTooSoon {
			t.Fatalf("err = %v", err)
		}
	}
	if m.calls.Load() != 1 {
		t.Fatalf("%d refreshes", m.calls.Load())
	}
}

// A token Zoho invalidated seconds after issuing it (oaFreshlyIssued), hit by 100 concurrent
// calls through a real client: with the floor off, one renewal and every call succeeds; with the
// default floor, no renewal and every call fails with a typed auth error.
func TestHundredConcurrent401sOnAFreshTokenThroughTheClient(t *testing.T) {
	for _, floor := range []bool{false, true} {
		t.Run(fmt.Sprintf("floor=%v", floor), func(t *testing.T) {
			m := &oaMinter{delay: 20 * time.Millisecond}
			srv := oaAPI(t, m, func(tok string) bool { return tok == "fresh-1" })
			var opts []zoho.TokenSourceOption
			if !floor {
				opts = append(opts, zoho.WithMinRefreshInterval(0))
			}
			c, _, _ := oaClientFor(t, srv, oaFreshlyIssued(time.Now().Add(-5*time.Second)), opts...)
			for _, err := range oaGetAll(t, c, 100) {
				var te *zoho.TokenError
				var ae *zoho.APIError
				switch {
				case !floor && err != nil:
					t.Fatal(err)
				case floor && (!errors.Is(err, zoho.ErrInvalidToken) || !errors.As(err, &ae) || !errors.As(err, &te) || te.Code != zoho.TokenCodeRejectedTooSoon):
					t.Fatalf("err = %v", err)
				}
			}
			want := int32(1)
			if floor {
				want = 0
			}
			if n := m.calls.Load(); n != want {
				t.Fatalf("%d refreshes for 100 concurrent 401s, want %d", n, want)
			}
		})
	}
}

func TestA401WhoseRenewalIsRejectedIsReconnectRequired(t *testing.T) {
	m := &oaMinter{body: oaFixture(t, "token_error_invalid_code.json")}
	srv := oaAPI(t, m, func(string) bool { return false })
	stale := oaExpired()
	stale.AccessToken, stale.Expiry = "stale", time.Now().Add(time.Hour)
	c, _, _ := oaClientFor(t, srv, stale)
	// The call that met the 401 reports Zoho's answer and the renewal's failure.
	err := oaGet(t.Context(), c, "org")
	var ae *zoho.APIError
	var te *zoho.TokenError
	if !errors.As(err, &ae) || ae.HTTPStatus != 401 || !errors.Is(err, zoho.ErrInvalidToken) ||
		!errors.Is(err, zoho.ErrReconnectRequired) || !errors.As(err, &te) || te.Code != "invalid_code" {
		t.Fatalf("err = %v", err)
	}
	// Later calls stop before sending anything, with the cached reconnect error.
	for range 3 {
		if err := oaGet(t.Context(), c, "org"); !errors.Is(err, zoho.ErrReconnectRequired) || !errors.As(err, &te) {
			t.Fatalf("err = %v", err)
		}
	}
	if n := m.calls.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

func TestCancelledCallDoesNotWaitForARenewal(t *testing.T) {
	m := &oaMinter{delay: time.Second}
	srv := oaAPI(t, m, func(tok string) bool { return tok == "fresh-1" })
	c, _, _ := oaClientFor(t, srv, oaExpired())
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := oaGet(ctx, c, "org")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("the call waited %v for a renewal after its context ended", d)
	}
}

// Every one of 100 concurrent calls meets Zoho's 401 with the stale token (the server answers
// none until all 100 have arrived), then one renewal serves them all; each call is two attempts.
func TestEveryOneOfAHundredCallsGetsA401ThenOneRefresh(t *testing.T) {
	m := &oaMinter{delay: 10 * time.Millisecond}
	var stale, freshCalls atomic.Int32
	all := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/v2/token" {
			m.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Authorization") == "Zoho-oauthtoken fresh-1" {
			freshCalls.Add(1)
			fmt.Fprint(w, `{"org":[{"id":"1"}]}`)
			return
		}
		if stale.Add(1) == 100 {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-time.After(10 * time.Second):
		}
		w.WriteHeader(401)
		fmt.Fprint(w, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`)
	}))
	t.Cleanup(srv.Close)
	tok := oaExpired()
	tok.AccessToken, tok.Expiry = "stale", time.Now().Add(time.Hour)
	cfg := oaConfig(nil)
	cfg.HTTPClient, cfg.Endpoints, tok.AccountsServer = srv.Client(), zoho.Endpoints{API: srv.URL, Accounts: srv.URL}, srv.URL
	store := zoho.NewMemoryTokenStore()
	_, _ = store.SaveToken(t.Context(), "tenant-1", tok, 0)
	ts, _ := zoho.NewTokenSource(cfg, store, "tenant-1")
	var mu sync.Mutex
	byAttempt := map[[2]int]int{}
	c, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithConcurrency(100),
		zoho.WithCallHook(func(ctx context.Context, info zoho.CallInfo) {
			mu.Lock()
			byAttempt[[2]int{info.Attempt, info.Status}]++
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := c.NewRequest("GET", "org", nil, nil)
			resp, err := c.Do(t.Context(), req, nil)
			if err == nil && resp.Attempts != 2 {
				err = fmt.Errorf("%d attempts", resp.Attempts)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := m.calls.Load(); n != 1 || stale.Load() != 100 || freshCalls.Load() != 100 {
		t.Fatalf("%d refreshes, %d stale and %d fresh calls; want 1, 100, 100", n, stale.Load(), freshCalls.Load())
	}
	if byAttempt[[2]int{1, 401}] != 100 || byAttempt[[2]int{2, 200}] != 100 || len(byAttempt) != 2 {
		t.Fatalf("call hook saw %v", byAttempt)
	}
}
