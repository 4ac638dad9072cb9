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
	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
)

// oaMinter is a token endpoint that mints "fresh-N" tokens, counting requests.
type oaMinter struct {
	calls atomic.Int32
	delay time.Duration
	// started, when set, is closed when the first request arrives; the answer then waits for
	// release (tests order goroutines with these instead of sleeping).
	started, release chan struct{}
	body             string // when set, answered instead of a token
	inner            func(n int32) (int, string)
}

func (m *oaMinter) answer() (int, string) {
	n := m.calls.Add(1)
	if m.started != nil && n == 1 {
		close(m.started)
		<-m.release
	}
	if m.delay > 0 {
		time.Sleep(m.delay)
	}
	if m.inner != nil {
		return m.inner(n)
	}
	if m.body != "" {
		return 200, m.body
	}
	return 200, fmt.Sprintf(`{"access_token":"fresh-%d","api_domain":"https://www.zohoapis.com","token_type":"Bearer","expires_in":3600}`, n)
}

func (m *oaMinter) responder() httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		status, body := m.answer()
		return httpmock.NewStringResponse(status, body), nil
	}
}

func (m *oaMinter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, body := m.answer()
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// oaSource returns a memory store holding tok under "tenant-1", a source over it, and the minter
// behind Zoho's US token endpoint.
func oaSource(t *testing.T, tok *zoho.Token, m *oaMinter, opts ...zoho.TokenSourceOption) (*zoho.TokenSource, *zoho.MemoryTokenStore) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token", m.responder())
	store := zoho.NewMemoryTokenStore()
	if tok != nil {
		if _, err := store.SaveToken(t.Context(), "tenant-1", tok, 0); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := zoho.NewTokenSource(oaConfig(mt), store, "tenant-1", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ts, store
}

func oaExpired() *zoho.Token {
	return &zoho.Token{AccessToken: "expired", RefreshToken: oaRefreshToken, AccountsServer: "https://accounts.zoho.com",
		DataCenter: zoho.US, Expiry: time.Now().Add(-time.Minute), APIDomain: "https://www.zohoapis.com", Scope: "ZohoCRM.modules.ALL"}
}

// oaHammer calls ts.Token from n goroutines at once and returns the access tokens they got.
func oaHammer(t *testing.T, n int, ts oauth2.TokenSource) []string {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, err := ts.Token()
			if err == nil {
				got[i] = tok.AccessToken
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Token: %v", err)
		}
	}
	return got
}

func TestHundredGoroutinesOnAnExpiredTokenRefreshOnce(t *testing.T) {
	m := &oaMinter{delay: 20 * time.Millisecond}
	ts, store := oaSource(t, oaExpired(), m)
	for _, got := range oaHammer(t, 100, ts) {
		if got != "fresh-1" {
			t.Fatalf("got %q", got)
		}
	}
	if n := m.calls.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	saved, v, _ := store.LoadToken(t.Context(), "tenant-1")
	if v != 2 || saved.AccessToken != "fresh-1" || saved.RefreshToken != oaRefreshToken || saved.Scope != "ZohoCRM.modules.ALL" {
		t.Fatalf("stored v%d %v", v, saved)
	}
	// The token handed to the client carries api_domain and the Zoho header type.
	tok, _ := ts.Token()
	if zoho.APIDomain(tok) != "https://www.zohoapis.com" || tok.Type() != "Zoho-oauthtoken" || tok.RefreshToken != "" {
		t.Fatalf("token: api_domain %q type %q", zoho.APIDomain(tok), tok.Type())
	}
	if m.calls.Load() != 1 {
		t.Fatal("a valid token was refreshed again")
	}
}

func TestRefreshesALittleBeforeExpiry(t *testing.T) {
	m := &oaMinter{}
	tok := oaExpired()
	tok.Expiry = time.Now().Add(10 * time.Minute)
	ts, _ := oaSource(t, tok, m, zoho.WithRefreshMargin(5*time.Minute))
	if got, _ := ts.Token(); got.AccessToken != "expired" || m.calls.Load() != 0 {
		t.Fatalf("refreshed 10 minutes early: %s", got.AccessToken)
	}
	tok.Expiry = time.Now().Add(2 * time.Minute)
	ts, _ = oaSource(t, tok, m, zoho.WithRefreshMargin(5*time.Minute))
	if got, _ := ts.Token(); got.AccessToken != "fresh-1" || m.calls.Load() != 1 {
		t.Fatalf("not refreshed within the margin: %s", got.AccessToken)
	}
	// A token issued moments ago is not refreshed early even inside the margin (no storm when
	// Zoho hands out short-lived tokens).
	m2 := &oaMinter{body: `{"access_token":"short","expires_in":60}`}
	tok.Expiry = time.Now().Add(-time.Second)
	ts, _ = oaSource(t, tok, m2, zoho.WithRefreshMargin(5*time.Minute))
	for range 20 {
		if got, err := ts.Token(); err != nil || got.AccessToken != "short" {
			t.Fatalf("%v %v", got, err)
		}
	}
	if m2.calls.Load() != 1 {
		t.Fatalf("%d refreshes of a short-lived token", m2.calls.Load())
	}
	// Without the floor too: a token shorter-lived than the margin is renewed at half its life.
	m3 := &oaMinter{body: `{"access_token":"short","expires_in":60}`}
	ts, _ = oaSource(t, tok, m3, zoho.WithRefreshMargin(5*time.Minute), zoho.WithMinRefreshInterval(0))
	for range 20 {
		if got, err := ts.Token(); err != nil || got.AccessToken != "short" {
			t.Fatalf("%v %v", got, err)
		}
	}
	if m3.calls.Load() != 1 {
		t.Fatalf("%d refreshes of a short-lived token without the floor", m3.calls.Load())
	}
}

// oaNoLease hides the store's lease, as a store without one would be.
type oaNoLease struct{ zoho.TokenStore }

func TestTwoProcessesSharingAStoreRefreshOnce(t *testing.T) {
	for _, lease := range []bool{true, false} {
		t.Run(fmt.Sprintf("lease=%v", lease), func(t *testing.T) {
			m := &oaMinter{delay: 30 * time.Millisecond}
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token", m.responder())
			mem := zoho.NewMemoryTokenStore()
			if _, err := mem.SaveToken(t.Context(), "tenant-1", oaExpired(), 0); err != nil {
				t.Fatal(err)
			}
			var store zoho.TokenStore = mem
			if !lease {
				store = oaNoLease{mem}
			}
			// Two "processes": two sources, each with its own config and HTTP client, one store.
			a, _ := zoho.NewTokenSource(oaConfig(mt), store, "tenant-1")
			b, _ := zoho.NewTokenSource(oaConfig(mt), store, "tenant-1")
			var wg sync.WaitGroup
			var ga, gb []string
			wg.Add(2)
			go func() { defer wg.Done(); ga = oaHammer(t, 100, a) }()
			go func() { defer wg.Done(); gb = oaHammer(t, 100, b) }()
			wg.Wait()
			saved, v, _ := mem.LoadToken(t.Context(), "tenant-1")
			for _, g := range append(ga, gb...) {
				if g != saved.AccessToken {
					t.Fatalf("a process uses %q, the store holds %q", g, saved.AccessToken)
				}
			}
			if v != 2 {
				t.Fatalf("store version %d: want exactly one save", v)
			}
			n := m.calls.Load()
			if lease && n != 1 {
				t.Fatalf("%d token requests with a lease, want 1", n)
			}
			if !lease && (n < 1 || n > 2) {
				t.Fatalf("%d token requests without a lease, want 1 or 2", n)
			}
		})
	}
}

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
	cfg.AccountsURLOverride = srv.URL
	store := zoho.NewMemoryTokenStore()
	tok.AccountsServer = srv.URL
	if _, err := store.SaveToken(t.Context(), "tenant-1", tok, 0); err != nil {
		t.Fatal(err)
	}
	ts, err := zoho.NewTokenSource(cfg, store, "tenant-1", opts...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}), zoho.WithConcurrency(25),
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

func TestHundredConcurrent401sRefreshOnce(t *testing.T) {
	m := &oaMinter{delay: 20 * time.Millisecond}
	srv := oaAPI(t, m, func(tok string) bool { return tok == "fresh-1" })
	stale := oaExpired()
	stale.AccessToken, stale.Expiry = "stale", time.Now().Add(time.Hour) // Zoho revoked it early
	c, _, store := oaClientFor(t, srv, stale)

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- oaGet(t.Context(), c, "org")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
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

func TestRejectedRefreshTokenIsReconnectRequiredWithoutRetryStorm(t *testing.T) {
	m := &oaMinter{body: oaFixture(t, "token_error_invalid_code.json")}
	srv := oaAPI(t, m, func(tok string) bool { return tok == "after-reconnect" })
	c, ts, store := oaClientFor(t, srv, oaExpired(), zoho.WithReconnectRecheck(50*time.Millisecond))

	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := oaGet(t.Context(), c, "org")
			var te *zoho.TokenError
			if !errors.Is(err, zoho.ErrReconnectRequired) || !errors.As(err, &te) || te.Code != "invalid_code" || errors.Is(te, zoho.ErrTemporary) {
				t.Errorf("err = %v", err)
			}
		}()
	}
	wg.Wait()
	for range 20 {
		if _, err := ts.Token(); !errors.Is(err, zoho.ErrReconnectRequired) {
			t.Fatalf("err = %v", err)
		}
	}
	time.Sleep(60 * time.Millisecond) // past the recheck: the store is read, Zoho is not asked
	if _, err := ts.Token(); !errors.Is(err, zoho.ErrReconnectRequired) {
		t.Fatalf("err = %v", err)
	}
	if n := m.calls.Load(); n != 1 {
		t.Fatalf("%d token requests for a rejected refresh token, want 1", n)
	}
	// The user reconnects: the host saves the new token; the source picks it up.
	_, v, _ := store.LoadToken(t.Context(), "tenant-1")
	fresh := oaExpired()
	fresh.AccessToken, fresh.Expiry, fresh.AccountsServer = "after-reconnect", time.Now().Add(time.Hour), srv.URL
	if _, err := store.SaveToken(t.Context(), "tenant-1", fresh, v); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if err := oaGet(t.Context(), c, "org"); err != nil {
		t.Fatalf("after reconnect: %v", err)
	}
}

func TestThrottlingBacksOffAndKeepsAValidToken(t *testing.T) {
	m := &oaMinter{body: oaFixture(t, "token_error_access_denied_throttle_accounts_docs.json")}
	// The backoff is measured by the token source's clock, driven here: no race against real time.
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ts, _ := oaSource(t, oaExpired(), m, zoho.WithRefreshBackoff(time.Minute, 2*time.Minute), zoho.WithTokenClock(clock))
	for range 10 {
		_, err := ts.Token()
		var te *zoho.TokenError
		if !errors.Is(err, zoho.ErrTokenThrottled) || !errors.As(err, &te) || !errors.Is(te, zoho.ErrTemporary) || errors.Is(err, zoho.ErrReconnectRequired) {
			t.Fatalf("err = %v", err)
		}
	}
	if m.calls.Load() != 1 {
		t.Fatalf("%d token requests during the backoff", m.calls.Load())
	}
	mu.Lock()
	now = now.Add(3 * time.Minute)
	mu.Unlock()
	m.body = ""
	m.inner = func(n int32) (int, string) { return 200, `{"access_token":"after-throttle","expires_in":3600}` }
	if got, err := ts.Token(); err != nil || got.AccessToken != "after-throttle" || m.calls.Load() != 2 {
		t.Fatalf("after the backoff: %v %v (%d requests)", got, err, m.calls.Load())
	}

	// An early refresh that fails leaves the still-valid token in use.
	early := oaExpired()
	early.AccessToken, early.Expiry = "still-valid", time.Now().Add(time.Minute)
	m2 := &oaMinter{inner: func(int32) (int, string) { return 503, `` }}
	ts, _ = oaSource(t, early, m2, zoho.WithRefreshBackoff(time.Hour, time.Hour))
	for range 5 {
		if got, err := ts.Token(); err != nil || got.AccessToken != "still-valid" {
			t.Fatalf("%v %v", got, err)
		}
	}
	if m2.calls.Load() != 2 { // one refresh, retried once on the 503; then the backoff holds
		t.Fatalf("%d token requests", m2.calls.Load())
	}
}

func TestTokenRejectedIgnoresAnOlderToken(t *testing.T) {
	m := &oaMinter{}
	tok := oaExpired()
	tok.AccessToken, tok.Expiry = "current", time.Now().Add(time.Hour)
	ts, _ := oaSource(t, tok, m)
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}
	if err := ts.TokenRejected(t.Context(), &oauth2.Token{AccessToken: "older"}); err != nil || m.calls.Load() != 0 {
		t.Fatalf("older token: %v, %d refreshes", err, m.calls.Load())
	}
	if err := ts.TokenRejected(t.Context(), &oauth2.Token{AccessToken: "current"}); err != nil || m.calls.Load() != 1 {
		t.Fatalf("current token: %v, %d refreshes", err, m.calls.Load())
	}
	if got, _ := ts.Token(); got.AccessToken != "fresh-1" {
		t.Fatalf("after rejection: %s", got.AccessToken)
	}
}

func TestRefreshOutlivesACancelledRequestContext(t *testing.T) {
	m := &oaMinter{started: make(chan struct{}), release: make(chan struct{})}
	ts, _ := oaSource(t, oaExpired(), m)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ts.TokenRejected(ctx, &oauth2.Token{AccessToken: "expired"}) }()
	<-m.started // the refresh is at Zoho
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(m.release) // Zoho answers only after the caller gave up
	// The refresh itself went on under the source's own context.
	if got, err := ts.Token(); err != nil || got.AccessToken != "fresh-1" || m.calls.Load() != 1 {
		t.Fatalf("%v %v, %d requests", got, err, m.calls.Load())
	}
}

func TestNothingStoredIsReconnectRequired(t *testing.T) {
	m := &oaMinter{}
	ts, _ := oaSource(t, nil, m)
	_, err := ts.Token()
	if !errors.Is(err, zoho.ErrNoToken) || !errors.Is(err, zoho.ErrReconnectRequired) || m.calls.Load() != 0 {
		t.Fatalf("err = %v", err)
	}
	// A Self Client refresh token stored on its own is refreshed on first use.
	ts, _ = oaSource(t, &zoho.Token{RefreshToken: oaRefreshToken, DataCenter: zoho.US}, m)
	if got, err := ts.Token(); err != nil || got.AccessToken != "fresh-1" {
		t.Fatalf("%v %v", got, err)
	}
}

func TestRevokeThroughTheSource(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var rec oaForm
	mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token/revoke", rec.responder(t, 200, oaFixture(t, "revoke_token_response.json")))
	store := zoho.NewMemoryTokenStore()
	tok := oaExpired()
	tok.Expiry = time.Now().Add(time.Hour)
	_, _ = store.SaveToken(t.Context(), "tenant-1", tok, 0)
	ts, _ := zoho.NewTokenSource(oaConfig(mt), store, "tenant-1")
	if err := ts.Revoke(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.urls[0], "token=1000.R3FR3SH") {
		t.Fatalf("revoked %s", rec.urls[0])
	}
	if _, err := ts.Token(); !errors.Is(err, zoho.ErrReconnectRequired) {
		t.Fatalf("after revoke: %v", err)
	}
}

func TestMemoryTokenStoreCompareAndSwapAndLease(t *testing.T) {
	ctx := t.Context()
	var s zoho.MemoryTokenStore // the zero value works
	if _, _, err := s.LoadToken(ctx, "k"); !errors.Is(err, zoho.ErrNoToken) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := s.SaveToken(ctx, "k", &zoho.Token{AccessToken: "a"}, 3); !errors.Is(err, zoho.ErrVersionConflict) {
		t.Fatalf("save over nothing with v3: %v", err)
	}
	v1, err := s.SaveToken(ctx, "k", &zoho.Token{AccessToken: "a"}, 0)
	if err != nil || v1 != 1 {
		t.Fatal(v1, err)
	}
	if _, err := s.SaveToken(ctx, "k", &zoho.Token{AccessToken: "b"}, 0); !errors.Is(err, zoho.ErrVersionConflict) {
		t.Fatalf("second create: %v", err)
	}
	tok := &zoho.Token{AccessToken: "c"}
	v2, err := s.SaveToken(ctx, "k", tok, v1)
	if err != nil || v2 != 2 {
		t.Fatal(v2, err)
	}
	tok.AccessToken = "mutated"
	got, _, _ := s.LoadToken(ctx, "k")
	if got.AccessToken != "c" {
		t.Fatal("the store kept the caller's pointer")
	}
	got.AccessToken = "mutated"
	if again, _, _ := s.LoadToken(ctx, "k"); again.AccessToken != "c" {
		t.Fatal("the store handed out its own copy")
	}
	if _, err := s.SaveToken(ctx, "k", tok, v1); !errors.Is(err, zoho.ErrVersionConflict) {
		t.Fatalf("stale version: %v", err)
	}
	if _, err := s.SaveToken(ctx, "", tok, 0); err == nil {
		t.Fatal("empty key accepted")
	}

	release, err := s.AcquireTokenLease(ctx, "k", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireTokenLease(ctx, "k", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
		t.Fatalf("second lease: %v", err)
	}
	if _, err := s.AcquireTokenLease(ctx, "other", time.Minute); err != nil {
		t.Fatalf("leases are per key: %v", err)
	}
	_ = release(ctx)
	r2, err := s.AcquireTokenLease(ctx, "k", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_ = release(ctx) // a stale release does not free the new holder's lease
	if _, err := s.AcquireTokenLease(ctx, "k", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
		t.Fatalf("stale release freed the lease: %v", err)
	}
	_ = r2(ctx)
	// The holder dies: a short lease lapses on its own (waited for, never raced against).
	if _, err := s.AcquireTokenLease(ctx, "k", 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r3, err := s.AcquireTokenLease(ctx, "k", time.Minute)
		if err == nil {
			_ = r3(ctx)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lapsed lease: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewTokenSourceValidates(t *testing.T) {
	store := zoho.NewMemoryTokenStore()
	cases := map[string]func() (*zoho.TokenSource, error){
		"nil config": func() (*zoho.TokenSource, error) { return zoho.NewTokenSource(nil, store, "k") },
		"nil store":  func() (*zoho.TokenSource, error) { return zoho.NewTokenSource(oaConfig(nil), nil, "k") },
		"empty key":  func() (*zoho.TokenSource, error) { return zoho.NewTokenSource(oaConfig(nil), store, " ") },
		"margin": func() (*zoho.TokenSource, error) {
			return zoho.NewTokenSource(oaConfig(nil), store, "k", zoho.WithRefreshMargin(time.Hour))
		},
		"timeout": func() (*zoho.TokenSource, error) {
			return zoho.NewTokenSource(oaConfig(nil), store, "k", zoho.WithRefreshTimeout(0))
		},
		"backoff": func() (*zoho.TokenSource, error) {
			return zoho.NewTokenSource(oaConfig(nil), store, "k", zoho.WithRefreshBackoff(2, 1))
		},
		"recheck": func() (*zoho.TokenSource, error) {
			return zoho.NewTokenSource(oaConfig(nil), store, "k", zoho.WithReconnectRecheck(-1))
		},
		"nil logger": func() (*zoho.TokenSource, error) {
			return zoho.NewTokenSource(oaConfig(nil), store, "k", zoho.WithTokenLogger(nil))
		},
		"bad dc secret": func() (*zoho.TokenSource, error) {
			c := oaConfig(nil)
			c.ClientSecrets = map[zoho.DataCenter]string{"xx": "s"}
			return zoho.NewTokenSource(c, store, "k")
		},
	}
	for name, f := range cases {
		if _, err := f(); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	var _ zoho.TokenRejecter = (*zoho.TokenSource)(nil)
	var _ zoho.TokenLeaser = (*zoho.MemoryTokenStore)(nil)
}

func TestReplaceTokenReturnsThePreviousOne(t *testing.T) {
	store := zoho.NewMemoryTokenStore()
	prev, v, err := zoho.ReplaceToken(t.Context(), store, "k", &zoho.Token{RefreshToken: "first"})
	if err != nil || prev != nil || v != 1 {
		t.Fatalf("first: %v %d %v", prev, v, err)
	}
	prev, v, err = zoho.ReplaceToken(t.Context(), store, "k", &zoho.Token{RefreshToken: "second"})
	if err != nil || prev == nil || prev.RefreshToken != "first" || v != 2 {
		t.Fatalf("second: %v %d %v", prev, v, err)
	}
	if _, _, err := zoho.ReplaceToken(t.Context(), store, "", &zoho.Token{}); err == nil {
		t.Fatal("empty key accepted")
	}
}

func TestALeaseLeftByADeadProcessLapses(t *testing.T) {
	m := &oaMinter{}
	ts, store := oaSource(t, oaExpired(), m, zoho.WithRefreshTimeout(2*time.Second))
	if _, err := store.AcquireTokenLease(t.Context(), "tenant-1", 150*time.Millisecond); err != nil {
		t.Fatal(err)
	} // never released: its holder "crashed"
	start := time.Now()
	got, err := ts.Token()
	if err != nil || got.AccessToken != "fresh-1" || m.calls.Load() != 1 {
		t.Fatalf("%v %v", got, err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("refreshed after %v while another process held the lease", waited)
	}
	// A lease that outlives the refresh timeout is a temporary error, not a hang.
	ts, store = oaSource(t, oaExpired(), m, zoho.WithRefreshTimeout(100*time.Millisecond))
	_, _ = store.AcquireTokenLease(t.Context(), "tenant-1", time.Hour)
	_, err = ts.Token()
	var te *zoho.TokenError
	if !errors.As(err, &te) || te.Op != "lease" || !errors.Is(te, zoho.ErrTemporary) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

// oaClock is a settable clock for WithTokenClock.
type oaClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *oaClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *oaClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// oaFreshlyIssued is a valid token issued at issued, as one Zoho invalidated moments later (the
// 16th active token evicting it, a revocation) would be.
func oaFreshlyIssued(issued time.Time) *zoho.Token {
	tok := oaExpired()
	tok.AccessToken, tok.IssuedAt, tok.Expiry = "stale", issued, issued.Add(time.Hour)
	return tok
}

func TestMinRefreshInterval(t *testing.T) {
	rejected := &oauth2.Token{AccessToken: "stale"}
	t.Run("default floor: a token issued seconds ago is not renewed after a rejection", func(t *testing.T) {
		m := &oaMinter{}
		ts, _ := oaSource(t, oaFreshlyIssued(time.Now().Add(-10*time.Second)), m)
		if _, err := ts.Token(); err != nil {
			t.Fatal(err)
		}
		var te *zoho.TokenError
		if err := ts.TokenRejected(t.Context(), rejected); !errors.As(err, &te) || te.Code != zoho.TokenCodeRejectedTooSoon || m.calls.Load() != 0 {
			t.Fatalf("err = %v, %d refreshes", err, m.calls.Load())
		}
	})
	t.Run("no floor: renewed", func(t *testing.T) {
		m := &oaMinter{}
		ts, _ := oaSource(t, oaFreshlyIssued(time.Now().Add(-10*time.Second)), m, zoho.WithMinRefreshInterval(0))
		if _, err := ts.Token(); err != nil {
			t.Fatal(err)
		}
		if err := ts.TokenRejected(t.Context(), rejected); err != nil || m.calls.Load() != 1 {
			t.Fatalf("err = %v, %d refreshes", err, m.calls.Load())
		}
		if got, _ := ts.Token(); got.AccessToken != "fresh-1" {
			t.Fatalf("after renewal: %s", got.AccessToken)
		}
	})
	t.Run("the clock decides", func(t *testing.T) {
		clock := &oaClock{now: time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)}
		m := &oaMinter{}
		ts, store := oaSource(t, oaFreshlyIssued(clock.Now()), m, zoho.WithTokenClock(clock.Now), zoho.WithMinRefreshInterval(5*time.Minute))
		if _, err := ts.Token(); err != nil {
			t.Fatal(err)
		}
		clock.Advance(4 * time.Minute)
		var te *zoho.TokenError
		if err := ts.TokenRejected(t.Context(), rejected); !errors.As(err, &te) || te.Code != zoho.TokenCodeRejectedTooSoon || m.calls.Load() != 0 {
			t.Fatalf("4 minutes after issue: %v, %d refreshes", err, m.calls.Load())
		}
		clock.Advance(time.Minute)
		if err := ts.TokenRejected(t.Context(), rejected); err != nil || m.calls.Load() != 1 {
			t.Fatalf("5 minutes after issue: %v, %d refreshes", err, m.calls.Load())
		}
		// The renewed token is dated by the clock, in the store too.
		saved, _, _ := store.LoadToken(t.Context(), "tenant-1")
		if !saved.IssuedAt.Equal(clock.Now()) || !saved.Expiry.Equal(clock.Now().Add(time.Hour)) {
			t.Fatalf("renewed token dated %v..%v, clock %v", saved.IssuedAt, saved.Expiry, clock.Now())
		}
		// Expiry is read on the clock: an hour later the token is renewed before use.
		clock.Advance(time.Hour)
		if got, err := ts.Token(); err != nil || got.AccessToken != "fresh-2" {
			t.Fatalf("after the clock passed the expiry: %v %v", got, err)
		}
	})
	t.Run("options are validated", func(t *testing.T) {
		for _, opt := range []zoho.TokenSourceOption{zoho.WithMinRefreshInterval(-time.Second), zoho.WithMinRefreshInterval(11 * time.Minute), zoho.WithTokenClock(nil)} {
			if _, err := zoho.NewTokenSource(oaConfig(nil), zoho.NewMemoryTokenStore(), "k", opt); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
				t.Errorf("err = %v", err)
			}
		}
	})
}

func TestRejectedTooSoonAdoptsAReconnectedToken(t *testing.T) {
	// Another process reconnected (new grant, new token in the store) right after this one
	// renewed: the 401 is answered from the store, without asking Zoho and despite the floor.
	m := &oaMinter{}
	ts, store := oaSource(t, oaFreshlyIssued(time.Now()), m)
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}
	reconnected := oaFreshlyIssued(time.Now())
	reconnected.AccessToken, reconnected.RefreshToken = "after-reconnect", "1000.other-refresh"
	if _, _, err := zoho.ReplaceToken(t.Context(), store, "tenant-1", reconnected); err != nil {
		t.Fatal(err)
	}
	if err := ts.TokenRejected(t.Context(), &oauth2.Token{AccessToken: "stale"}); err != nil || m.calls.Load() != 0 {
		t.Fatalf("err = %v, %d refreshes", err, m.calls.Load())
	}
	if got, _ := ts.Token(); got.AccessToken != "after-reconnect" {
		t.Fatalf("using %s", got.AccessToken)
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
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- oaGet(t.Context(), c, "org")
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
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
	cfg.HTTPClient, cfg.AccountsURLOverride, tok.AccountsServer = srv.Client(), srv.URL, srv.URL
	store := zoho.NewMemoryTokenStore()
	_, _ = store.SaveToken(t.Context(), "tenant-1", tok, 0)
	ts, _ := zoho.NewTokenSource(cfg, store, "tenant-1")
	var mu sync.Mutex
	byAttempt := map[[2]int]int{}
	c, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}), zoho.WithConcurrency(100),
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
