package zoho_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
