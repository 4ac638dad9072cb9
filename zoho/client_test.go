package zoho

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
)

const testToken = "1000.secret-access-token.4f2a"

func staticTS(apiDomain string) oauth2.TokenSource {
	t := &oauth2.Token{AccessToken: testToken, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	if apiDomain != "" {
		t = t.WithExtra(map[string]any{"api_domain": apiDomain})
	}
	return oauth2.StaticTokenSource(t)
}

var fastRetry = RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: 2 * time.Second}

// newMockClient returns a client over a per-test httpmock transport, with the token's api_domain
// set to Zoho's US API domain.
func newMockClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{WithTokenSource(staticTS("https://www.zohoapis.com")), WithTransport(mt), WithRetryPolicy(fastRetry)}, opts...)
	c, err := NewClient(all...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

func TestNewClientOptionsFailClearly(t *testing.T) {
	cases := map[string][]Option{
		"no token source": {},
		"bad dc":          {WithTokenSource(staticTS("")), WithDataCenter("xx")},
		"v3 refused":      {WithTokenSource(staticTS("")), WithAPIVersion("v3")},
		"v8 refused":      {WithTokenSource(staticTS("")), WithAPIVersion("v8")},
		"concurrency 0":   {WithTokenSource(staticTS("")), WithConcurrency(0)},
		"bad base url":    {WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: "ftp://x"})},
		"ua newline":      {WithTokenSource(staticTS("")), WithUserAgent("a\r\nX-Evil: 1")},
		"negative wait":   {WithTokenSource(staticTS("")), WithRetryPolicy(RetryPolicy{MinWait: -1})},
		"nil logger":      {WithTokenSource(staticTS("")), WithLogger(nil)},
	}
	for name, opts := range cases {
		if _, err := NewClient(opts...); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%s: got err %v, want a zoho: error", name, err)
		}
	}
	c, err := NewClient(WithTokenSource(staticTS("")), WithAPIVersion("v2.1"), WithDataCenter(CA))
	if err != nil || c.APIVersion() != "v2.1" || c.DataCenter() != CA || c.Concurrency() != DefaultConcurrency {
		t.Fatalf("valid options: %v %v", c, err)
	}
}

func TestDataCenters(t *testing.T) {
	want := map[DataCenter][2]string{
		US: {"https://accounts.zoho.com", "https://www.zohoapis.com"},
		EU: {"https://accounts.zoho.eu", "https://www.zohoapis.eu"},
		IN: {"https://accounts.zoho.in", "https://www.zohoapis.in"},
		AU: {"https://accounts.zoho.com.au", "https://www.zohoapis.com.au"},
		JP: {"https://accounts.zoho.jp", "https://www.zohoapis.jp"},
		CN: {"https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"},
		CA: {"https://accounts.zohocloud.ca", "https://www.zohoapis.ca"},
		SA: {"https://accounts.zoho.sa", "https://www.zohoapis.sa"},
		UK: {"https://accounts.zoho.uk", "https://www.zohoapis.uk"},
	}
	if len(DataCenters()) != len(want) {
		t.Fatalf("DataCenters() = %v", DataCenters())
	}
	for dc, w := range want {
		if dc.AccountsURL() != w[0] || dc.APIURL() != w[1] {
			t.Errorf("%s: %s %s", dc, dc.AccountsURL(), dc.APIURL())
		}
		got, ok := DataCenterForAccountsServer(w[0])
		if !ok || got != dc {
			t.Errorf("DataCenterForAccountsServer(%s) = %v %v", w[0], got, ok)
		}
		if !IsZohoAPIDomain(w[1]) {
			t.Errorf("IsZohoAPIDomain(%s) = false", w[1])
		}
		if p, err := ParseDataCenter(strings.ToUpper(string(dc))); err != nil || p != dc {
			t.Errorf("ParseDataCenter(%s) = %v %v", dc, p, err)
		}
	}
	for _, bad := range []string{"https://accounts.zoho.com.evil.io", "http://accounts.zoho.com", "https://accounts.zoho.com:444",
		"https://user@accounts.zoho.com", "https://accounts.zoho.com/x", "accounts.zoho.com", "https://evil.io?x=accounts.zoho.com"} {
		if _, ok := DataCenterForAccountsServer(bad); ok {
			t.Errorf("DataCenterForAccountsServer(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"https://www.zohoapis.com.evil.io", "http://www.zohoapis.com", "https://127.0.0.1:8080"} {
		if IsZohoAPIDomain(bad) {
			t.Errorf("IsZohoAPIDomain(%q) accepted", bad)
		}
	}
}

func TestAPIDomainFromToken(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://www.zohoapis.eu/crm/v2/org", httpmock.NewStringResponder(200, `{"org":[]}`))
	c, err := NewClient(WithTokenSource(staticTS("https://www.zohoapis.eu")), WithTransport(mt), WithDataCenter(US))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := c.NewRequest("GET", "org", nil, nil)
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
	// Without api_domain, the data centre's default.
	mt.RegisterResponder("GET", "https://www.zohoapis.jp/crm/v2.1/org", httpmock.NewStringResponder(200, `{"org":[]}`))
	c, _ = NewClient(WithTokenSource(staticTS("")), WithTransport(mt), WithDataCenter(JP), WithAPIVersion("v2.1"))
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
}

func TestForeignAPIDomainRefusedBeforeSending(t *testing.T) {
	mt := httpmock.NewMockTransport()
	c, err := NewClient(WithTokenSource(staticTS("https://www.zohoapis.com.evil.io")), WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := c.NewRequest("GET", "org", nil, nil)
	_, err = c.Do(t.Context(), req, nil)
	var he *HostError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want *HostError", err)
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d requests sent to a foreign host", n)
	}
	// Given with WithEndpoints, a host is used, whatever the token's api_domain says.
	mt.RegisterResponder("GET", "http://127.0.0.1:8089/crm/v2/org", httpmock.NewStringResponder(200, `{}`))
	c, _ = NewClient(WithTokenSource(staticTS("https://www.zohoapis.com.evil.io")), WithTransport(mt), WithEndpoints(Endpoints{API: "http://127.0.0.1:8089/"}))
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
}

func TestMoreOptionsFailClearly(t *testing.T) {
	ts := WithTokenSource(staticTS(""))
	cases := map[string][]Option{
		"nil token source": {WithTokenSource(nil)},
		"nil http client":  {ts, WithHTTPClient(nil)},
		"nil transport":    {ts, WithTransport(nil)},
		"no API URL":       {ts, WithEndpoints(Endpoints{Accounts: "http://127.0.0.1:8089"})},
		"accounts path":    {ts, WithEndpoints(Endpoints{API: "http://127.0.0.1:8089", Accounts: "http://127.0.0.1:8089/oauth/v2"})},
		"accounts scheme":  {ts, WithEndpoints(Endpoints{API: "http://127.0.0.1:8089", Accounts: "127.0.0.1:8089"})},
		"zero timeout":     {ts, WithTimeout(0)},
		"nil hook":         {ts, WithCallHook(nil)},
		"concurrency 101":  {ts, WithConcurrency(101)},
		"21 retries":       {ts, WithRetryPolicy(RetryPolicy{MaxRetries: 21})},
		"min above max":    {ts, WithRetryPolicy(RetryPolicy{MinWait: time.Second, MaxWait: time.Millisecond})},
		"base url query":   {ts, WithEndpoints(Endpoints{API: "http://127.0.0.1:1/?x=1"})},
		"base url user":    {ts, WithEndpoints(Endpoints{API: "http://u:p@127.0.0.1:1"})},
	}
	for name, opts := range cases {
		if _, err := NewClient(opts...); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%s: got err %v, want a zoho: error", name, err)
		}
	}
	// The HTTP client's timeout bounds each attempt's wait for the answer (an answer that never
	// comes would hang the test if it did not).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c, err := NewClient(ts, WithEndpoints(Endpoints{API: srv.URL}), WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}),
		WithRetryPolicy(RetryPolicy{MaxRetries: -1}))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := c.NewRequest("GET", "org", nil, nil)
	var ne net.Error
	if _, err := c.Do(t.Context(), req, nil); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

type valueTS struct{ tok string }

func (v valueTS) Token() (*oauth2.Token, error) { return &oauth2.Token{AccessToken: v.tok}, nil }

func TestClientPrintsNoSecretWithAnyVerb(t *testing.T) {
	c, err := NewClient(WithTokenSource(valueTS{tok: testToken}))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if s := fmt.Sprintf(verb, c); strings.Contains(s, testToken) || strings.Contains(s, "secret-access") {
			t.Fatalf("%s printed the token: %s", verb, s)
		}
	}
}

func TestCrossHostRedirectIsRefusedOnce(t *testing.T) {
	var hits atomic.Int32
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, other.URL+"/crm/v2/org", http.StatusFound)
	}))
	defer srv.Close()
	c, _ := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: srv.URL}), WithRetryPolicy(fastRetry))
	req, _ := c.NewRequest("GET", "org", nil, nil)
	_, err := c.Do(t.Context(), req, nil)
	if err == nil || !strings.Contains(err.Error(), "refusing a redirect") {
		t.Fatalf("err = %v", err)
	}
	if hits.Load() != 1 || leaked.Load() != 0 {
		t.Fatalf("%d attempts, %d tokens sent to the other host", hits.Load(), leaked.Load())
	}
}

func TestNewClientFromRefreshTokenRefusesClearly(t *testing.T) {
	oc := &OAuthConfig{ClientID: "1000.id", ClientSecret: "secret"}
	cases := map[string]func() (*Client, error){
		"nil context": func() (*Client, error) {
			var ctx context.Context
			return NewClientFromRefreshToken(ctx, oc, "1000.rt", US)
		},
		"empty refresh token": func() (*Client, error) { return NewClientFromRefreshToken(t.Context(), oc, " ", US) },
		"nil config":          func() (*Client, error) { return NewClientFromRefreshToken(t.Context(), nil, "1000.rt", US) },
		"no client id": func() (*Client, error) {
			return NewClientFromRefreshToken(t.Context(), &OAuthConfig{ClientSecret: "s"}, "1000.rt", US)
		},
		"unknown data centre": func() (*Client, error) { return NewClientFromRefreshToken(t.Context(), oc, "1000.rt", "mars") },
		"a token source too": func() (*Client, error) {
			return NewClientFromRefreshToken(t.Context(), oc, "1000.rt", US, WithTokenSource(staticTS("")))
		},
		"accounts URL with a path": func() (*Client, error) {
			bad := *oc
			bad.Endpoints = Endpoints{API: "http://127.0.0.1:1", Accounts: "http://127.0.0.1:1/oauth/v2/token"}
			return NewClientFromRefreshToken(t.Context(), &bad, "1000.rt", US)
		},
		"WithEndpoints": func() (*Client, error) {
			return NewClientFromRefreshToken(t.Context(), oc, "1000.rt", US, WithEndpoints(Endpoints{API: "http://127.0.0.1:1"}))
		},
		"WithLogger": func() (*Client, error) {
			return NewClientFromRefreshToken(t.Context(), oc, "1000.rt", US, WithLogger(slog.New(slog.DiscardHandler)))
		},
	}
	for name, f := range cases {
		if c, err := f(); err == nil || c != nil || !strings.HasPrefix(err.Error(), "zoho: ") || strings.Contains(err.Error(), "1000.rt") {
			t.Errorf("%s: got %v, %v; want a zoho: error without the token", name, c, err)
		}
	}
	// The caller's config is never modified.
	if _, err := NewClientFromRefreshToken(t.Context(), oc, "1000.rt", EU); err != nil {
		t.Fatal(err)
	}
	if oc.Endpoints != (Endpoints{}) || oc.Logger != nil {
		t.Errorf("the OAuthConfig was modified: %v", oc)
	}
}

// A logger given once in the OAuthConfig reaches the token source made with it and the client
// using that source; WithLogger and WithEndpoints with such a source are errors naming the one
// place (OAuthConfig), and remain for a token source of the host's own.
func TestLoggerGivenOnceInTheOAuthConfig(t *testing.T) {
	l := slog.New(slog.NewTextHandler(io.Discard, nil))
	oc := &OAuthConfig{ClientID: "id", ClientSecret: "secret", Logger: l, Endpoints: Endpoints{API: "http://127.0.0.1:1"}}
	ts, err := NewTokenSource(oc, NewMemoryTokenStore(), "k")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(WithTokenSource(ts))
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.logger != l || ts.cfg.Logger != l || c.cfg.baseURL == nil || c.cfg.baseURL.Host != "127.0.0.1:1" {
		t.Error("the OAuthConfig's logger and endpoints did not reach the token source and the client")
	}
	for name, o := range map[string]Option{"WithLogger": WithLogger(l), "WithEndpoints": WithEndpoints(Endpoints{API: "http://127.0.0.1:1"})} {
		if _, err := NewClient(WithTokenSource(ts), o); err == nil || !strings.Contains(err.Error(), "OAuthConfig."+strings.TrimPrefix(name, "With")) {
			t.Errorf("%s with a *TokenSource: %v, want an error naming OAuthConfig", name, err)
		}
	}
	if c, err := NewClient(WithTokenSource(staticTS("")), WithLogger(l), WithEndpoints(Endpoints{API: "http://127.0.0.1:2"})); err != nil || c.cfg.logger != l || c.cfg.baseURL.Host != "127.0.0.1:2" {
		t.Errorf("a token source of the host's own: %v", err)
	}
	if _, err := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: "http://127.0.0.1:2", Accounts: "http://127.0.0.1:2"})); err == nil {
		t.Error("WithEndpoints with Accounts accepted")
	}
}
