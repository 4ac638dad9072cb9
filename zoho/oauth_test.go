package zoho_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
)

// Secrets used by the OAuth tests; none may ever appear in an error, a log line or a String.
const (
	oaSecret       = "S3CR3T-client-secret-9f1c"
	oaSecretEU     = "S3CR3T-eu-secret-77aa"
	oaRefreshToken = "1000.R3FR3SH-token.b7e2"
	oaAccessToken  = "1000.ACC3SS-token.c4d9"
	oaGrantCode    = "1000.GR4NT-code.a1b2"
)

var oaSecrets = []string{oaSecret, oaSecretEU, oaRefreshToken, oaAccessToken, oaGrantCode}

// oaFixture returns a token fixture from testdata (copied verbatim from the shared fixtures).
func oaFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// oaConfig returns a config whose token calls go through mt.
func oaConfig(mt http.RoundTripper) *zoho.OAuthConfig {
	return &zoho.OAuthConfig{
		ClientID:      "1000.CLIENTID",
		ClientSecret:  oaSecret,
		ClientSecrets: map[zoho.DataCenter]string{zoho.EU: oaSecretEU},
		RedirectURL:   "https://app.cloudcx.example/zoho/callback",
		HTTPClient:    &http.Client{Transport: mt},
	}
}

// oaForm records the form of every request to a token endpoint.
type oaForm struct {
	mu    sync.Mutex
	forms []url.Values
	urls  []string
}

func (f *oaForm) responder(t testing.TB, status int, body string) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		if ct := r.Header.Get("Content-Type"); r.URL.Path == "/oauth/v2/token" && ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q", ct)
		}
		f.mu.Lock()
		f.forms = append(f.forms, r.PostForm)
		f.urls = append(f.urls, r.URL.String())
		f.mu.Unlock()
		return httpmock.NewStringResponse(status, body), nil
	}
}

func (f *oaForm) last(t testing.TB) url.Values {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.forms) == 0 {
		t.Fatal("no token request was sent")
	}
	return f.forms[len(f.forms)-1]
}

func oaWantForm(t testing.TB, got url.Values, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("form %s = %q, want %q", k, got.Get(k), v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected form field %s", k)
		}
	}
}

func TestAuthCodeURLForEveryDataCenter(t *testing.T) {
	cfg := oaConfig(nil)
	for _, dc := range zoho.DataCenters() {
		raw, err := cfg.AuthCodeURL(dc, "st-42")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(raw)
		if u.Scheme+"://"+u.Host != dc.AccountsURL() || u.Path != "/oauth/v2/auth" {
			t.Errorf("%s: %s", dc, raw)
		}
		q := u.Query()
		want := map[string]string{
			"client_id": "1000.CLIENTID", "response_type": "code", "redirect_uri": cfg.RedirectURL,
			"scope":       "ZohoCRM.modules.ALL,ZohoCRM.modules.attachments.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ,ZohoCRM.settings.fields.READ,ZohoSearch.securesearch.READ",
			"access_type": "offline", "prompt": "consent", "state": "st-42",
		}
		oaWantForm(t, q, want)
		if strings.Contains(raw, oaSecret) {
			t.Fatal("the authorization URL carries the client secret")
		}
	}
	cfg.Scopes = []string{"ZohoCRM.modules.leads.ALL", "ZohoCRM.users.READ"}
	raw, _ := cfg.AuthCodeURL(zoho.IN, "s")
	if u, _ := url.Parse(raw); u.Query().Get("scope") != "ZohoCRM.modules.leads.ALL,ZohoCRM.users.READ" {
		t.Errorf("custom scopes: %s", raw)
	}
	for name, f := range map[string]func() (string, error){
		"no state":    func() (string, error) { return oaConfig(nil).AuthCodeURL(zoho.US, "") },
		"unknown dc":  func() (string, error) { return oaConfig(nil).AuthCodeURL("xx", "s") },
		"no redirect": func() (string, error) { c := oaConfig(nil); c.RedirectURL = ""; return c.AuthCodeURL(zoho.US, "s") },
		"no client":   func() (string, error) { c := oaConfig(nil); c.ClientID = ""; return c.AuthCodeURL(zoho.US, "s") },
		"no secret": func() (string, error) {
			c := oaConfig(nil)
			c.ClientSecret, c.ClientSecrets = "", nil
			return c.AuthCodeURL(zoho.US, "s")
		},
		"bad scope": func() (string, error) {
			c := oaConfig(nil)
			c.Scopes = []string{"a,b"}
			return c.AuthCodeURL(zoho.US, "s")
		},
		"bad override": func() (string, error) {
			c := oaConfig(nil)
			c.Endpoints.Accounts = "ftp://x"
			return c.AuthCodeURL(zoho.US, "s")
		},
	} {
		if _, err := f(); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestExchangeRequestShapeAndToken(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var rec oaForm
	mt.RegisterResponder("POST", "https://accounts.zoho.eu/oauth/v2/token",
		rec.responder(t, 200, oaFixture(t, "token_authorization_code_response_zoho_contracts_docs.json")))
	cfg := oaConfig(mt)
	before := time.Now()
	tok, err := cfg.Exchange(t.Context(), oaGrantCode, "https://accounts.zoho.eu")
	if err != nil {
		t.Fatal(err)
	}
	oaWantForm(t, rec.last(t), map[string]string{
		"grant_type": "authorization_code", "client_id": "1000.CLIENTID", "client_secret": oaSecretEU,
		"code": oaGrantCode, "redirect_uri": cfg.RedirectURL,
	})
	if tok.AccessToken != "{access_token}" || tok.RefreshToken != "{refresh_token}" || tok.APIDomain != "https://www.zohoapis.com" ||
		tok.TokenType != "Bearer" || tok.AccountsServer != "https://accounts.zoho.eu" || tok.DataCenter != zoho.EU {
		t.Fatalf("token = %#v", *tok)
	}
	if d := tok.Expiry.Sub(before); d < 3599*time.Second || d > 3601*time.Second+time.Since(before) {
		t.Fatalf("expiry in %v, want an hour", d)
	}
	// The oauth2 form carries api_domain for the client and the Zoho header type, not the refresh token.
	o := tok.OAuth2()
	if zoho.APIDomain(o) != "https://www.zohoapis.com" || o.Type() != "Zoho-oauthtoken" || o.RefreshToken != "" {
		t.Fatalf("OAuth2() = api_domain %q, type %q", zoho.APIDomain(o), o.Type())
	}

	// A Self Client grant code: same exchange, no redirect_uri, the US secret.
	mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token",
		rec.responder(t, 200, oaFixture(t, "token_authorization_code_response_zoho_contracts_docs.json")))
	if _, err := cfg.ExchangeSelfClient(t.Context(), zoho.US, oaGrantCode); err != nil {
		t.Fatal(err)
	}
	oaWantForm(t, rec.last(t), map[string]string{
		"grant_type": "authorization_code", "client_id": "1000.CLIENTID", "client_secret": oaSecret, "code": oaGrantCode,
	})
	if _, err := cfg.Exchange(t.Context(), "", "https://accounts.zoho.eu"); err == nil {
		t.Fatal("empty code accepted")
	}
}

func TestExchangeRefusesForeignAccountsServerWithoutSendingAnything(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, oaFixture(t, "token_authorization_code_response_zoho_contracts_docs.json"))
	}))
	defer srv.Close()
	mt := httpmock.NewMockTransport() // any request through it would be counted
	cfg := oaConfig(mt)
	for _, server := range []string{srv.URL, "https://accounts.zoho.com.evil.io", "http://accounts.zoho.com",
		"https://accounts.zoho.com@evil.io", "https://evil.io/?x=accounts.zoho.com", "https://accounts.zoho.com:8443", ""} {
		_, err := cfg.Exchange(t.Context(), oaGrantCode, server)
		var he *zoho.HostError
		if !errors.As(err, &he) {
			t.Errorf("%q: err = %v, want *HostError", server, err)
		}
		if err := cfg.RevokeToken(t.Context(), server, oaRefreshToken); !errors.As(err, &he) {
			t.Errorf("revoke at %q: err = %v, want *HostError", server, err)
		}
	}
	if hits.Load() != 0 || mt.GetTotalCallCount() != 0 {
		t.Fatalf("requests were sent: %d to the foreign server, %d elsewhere", hits.Load(), mt.GetTotalCallCount())
	}
	// Explicitly allowed (tests, fakes): accepted.
	cfg = oaConfig(nil)
	cfg.HTTPClient = srv.Client()
	cfg.Endpoints.Accounts = srv.URL
	tok, err := cfg.Exchange(t.Context(), oaGrantCode, srv.URL)
	if err != nil || hits.Load() != 1 || tok.AccountsServer != srv.URL {
		t.Fatalf("override: %v, %d hits, %v", err, hits.Load(), tok)
	}
}

func TestTokenErrorsInA200Body(t *testing.T) {
	cases := []struct {
		fixture             string
		status              int
		code                string
		permanent, throttle bool
	}{
		{"token_error_invalid_code.json", 200, "invalid_code", true, false},
		{"token_error_access_denied_throttle_crm_v4_docs.json", 200, "Access Denied", false, true},
		{"token_error_access_denied_throttle_accounts_docs.json", 200, "Access Denied", false, true},
		{"", 200, "invalid_client", true, false},
		{"", 400, "invalid_grant", true, false},
	}
	for _, c := range cases {
		body := `{"error":"` + c.code + `"}`
		if c.fixture != "" {
			body = oaFixture(t, c.fixture)
		}
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token", httpmock.NewStringResponder(c.status, body))
		_, err := oaConfig(mt).Refresh(t.Context(), &zoho.Token{RefreshToken: oaRefreshToken, DataCenter: zoho.US})
		var te *zoho.TokenError
		if !errors.As(err, &te) || te.Code != c.code || te.HTTPStatus != c.status || te.Op != "refresh" {
			t.Fatalf("%s: err = %v", c.code, err)
		}
		if errors.Is(err, zoho.ErrReconnectRequired) != c.permanent ||
			errors.Is(te, zoho.ErrTokenThrottled) != c.throttle || errors.Is(err, zoho.ErrTokenThrottled) != c.throttle || errors.Is(te, zoho.ErrTemporary) == c.permanent {
			t.Errorf("%s: reconnect %v throttled %v temporary %v", c.code, errors.Is(err, zoho.ErrReconnectRequired), errors.Is(err, zoho.ErrTokenThrottled), errors.Is(err, zoho.ErrTemporary))
		}
		// An error answer is never re-sent.
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Errorf("%s: %d requests", c.code, n)
		}
	}
	// A server error is retried once for a refresh, then reported as temporary.
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token", httpmock.NewStringResponder(502, `<html>bad gateway</html>`))
	_, err := oaConfig(mt).Refresh(t.Context(), &zoho.Token{RefreshToken: oaRefreshToken, AccountsServer: "https://accounts.zoho.com"})
	var te *zoho.TokenError
	if !errors.As(err, &te) || te.HTTPStatus != 502 || !errors.Is(te, zoho.ErrTemporary) || mt.GetTotalCallCount() != 2 {
		t.Fatalf("502: %v after %d requests", err, mt.GetTotalCallCount())
	}
	// The code exchange is not repeated (a grant code is single-use).
	mt.ZeroCallCounters()
	_, err = oaConfig(mt).ExchangeSelfClient(t.Context(), zoho.US, oaGrantCode)
	if !errors.As(err, &te) || mt.GetTotalCallCount() != 1 {
		t.Fatalf("exchange 502: %v after %d requests", err, mt.GetTotalCallCount())
	}
	// A 200 without an access token is an error, not an empty token.
	mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token", httpmock.NewStringResponder(200, `{"api_domain":"https://www.zohoapis.com"}`))
	if _, err := oaConfig(mt).ExchangeSelfClient(t.Context(), zoho.US, oaGrantCode); !errors.As(err, &te) {
		t.Fatalf("no access token: %v", err)
	}
}

func TestExpiryShapes(t *testing.T) {
	legacy := oaFixture(t, "token_refresh_response_legacy_expires_in_ms_writer_docs.json")
	cases := map[string]struct {
		body string
		want time.Duration
	}{
		"seconds":           {oaFixture(t, "token_refresh_response_crm_vertical_v6_docs.json"), time.Hour},
		"legacy sec + ms":   {legacy, time.Hour},
		"legacy ms only":    {`{"access_token":"a","expires_in":3600000}`, time.Hour},
		"legacy sec zero":   {`{"access_token":"a","expires_in_sec":0,"expires_in":3600000}`, time.Hour},
		"string seconds":    {`{"access_token":"a","expires_in":"1800"}`, 30 * time.Minute},
		"no expiry":         {`{"access_token":"a"}`, 0},
		"legacy sec string": {`{"access_token":"a","expires_in_sec":"3600","expires_in":3600000}`, time.Hour},
	}
	for name, c := range cases {
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token", httpmock.NewStringResponder(200, c.body))
		before := time.Now()
		tok, err := oaConfig(mt).Refresh(t.Context(), &zoho.Token{RefreshToken: oaRefreshToken, DataCenter: zoho.US})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.want == 0 {
			if !tok.Expiry.IsZero() {
				t.Errorf("%s: expiry %v, want unknown", name, tok.Expiry)
			}
			continue
		}
		if d := tok.Expiry.Sub(before); d < c.want-time.Second || d > c.want+time.Second {
			t.Errorf("%s: lifetime %v, want %v", name, d, c.want)
		}
	}
}

func TestRefreshRequestShapeKeepsWhatZohoDoesNotRepeat(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var rec oaForm
	mt.RegisterResponder("POST", "https://accounts.zoho.eu/oauth/v2/token",
		rec.responder(t, 200, `{"access_token":"1000.new","api_domain":"https://www.zohoapis.eu","token_type":"Bearer","expires_in":3600}`))
	old := &zoho.Token{AccessToken: oaAccessToken, RefreshToken: oaRefreshToken, Scope: "ZohoCRM.modules.ALL ZohoCRM.org.READ",
		APIDomain: "https://www.zohoapis.eu", AccountsServer: "https://accounts.zoho.eu", DataCenter: zoho.EU}
	tok, err := oaConfig(mt).Refresh(t.Context(), old)
	if err != nil {
		t.Fatal(err)
	}
	oaWantForm(t, rec.last(t), map[string]string{
		"grant_type": "refresh_token", "client_id": "1000.CLIENTID", "client_secret": oaSecretEU, "refresh_token": oaRefreshToken,
	})
	if tok.AccessToken != "1000.new" || tok.RefreshToken != oaRefreshToken || tok.Scope != old.Scope ||
		tok.DataCenter != zoho.EU || tok.AccountsServer != "https://accounts.zoho.eu" || tok.IssuedAt.IsZero() {
		t.Fatalf("refreshed = %#v", *tok)
	}
	if old.AccessToken != oaAccessToken {
		t.Fatal("Refresh modified its argument")
	}
	// The secret never travels in the URL.
	if strings.Contains(rec.urls[0], "secret") || strings.Contains(rec.urls[0], "refresh_token") {
		t.Fatalf("secret in URL: %s", rec.urls[0])
	}
	// Nothing to refresh with.
	if _, err := oaConfig(mt).Refresh(t.Context(), &zoho.Token{AccessToken: "x", DataCenter: zoho.EU}); !errors.Is(err, zoho.ErrReconnectRequired) {
		t.Fatalf("no refresh token: %v", err)
	}
	// A stored token that names a foreign accounts server is never refreshed there.
	before := mt.GetTotalCallCount()
	_, err = oaConfig(mt).Refresh(t.Context(), &zoho.Token{RefreshToken: oaRefreshToken, AccountsServer: "https://accounts.evil.io"})
	var he *zoho.HostError
	if !errors.As(err, &he) || mt.GetTotalCallCount() != before {
		t.Fatalf("foreign stored server: %v", err)
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var rec oaForm
	mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token",
		rec.responder(t, 200, oaFixture(t, "token_client_credentials_response_kaizen164.json")))
	cfg := oaConfig(mt)
	tok, err := cfg.ClientCredentials(t.Context(), zoho.US, "4150868000000225013")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"grant_type": "client_credentials", "client_id": "1000.CLIENTID", "client_secret": oaSecret,
		"scope": strings.Join(zoho.DefaultScopes(), ","), "soid": "ZohoCRM.4150868000000225013",
	}
	oaWantForm(t, rec.last(t), want)
	if tok.AccessToken != "1000.b2caxxxxx3c6" || tok.RefreshToken != "" || tok.OrgID != "4150868000000225013" ||
		len(tok.Scopes()) != 6 || tok.Scopes()[5] != "ZohoCRM.modules.ALL" || tok.APIDomain != "https://www.zohoapis.com" {
		t.Fatalf("token = %#v", *tok)
	}
	// Renewing a client-credentials token is a new client-credentials grant.
	if _, err := cfg.Refresh(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	oaWantForm(t, rec.last(t), want)
	if _, err := cfg.ClientCredentials(t.Context(), zoho.US, "12&x=1"); err == nil {
		t.Fatal("bad org id accepted")
	}
}

func TestRevokeRequestShape(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var rec oaForm
	mt.RegisterResponder("POST", "https://accounts.zoho.in/oauth/v2/token/revoke",
		rec.responder(t, 200, oaFixture(t, "revoke_token_response.json")))
	cfg := oaConfig(mt)
	if err := cfg.RevokeToken(t.Context(), "https://accounts.zoho.in", oaRefreshToken); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(rec.urls[0])
	if u.Query().Get("token") != oaRefreshToken || len(u.Query()) != 1 {
		t.Fatalf("revoke URL %s", rec.urls[0])
	}
	mt.RegisterResponder("POST", "https://accounts.zoho.in/oauth/v2/token/revoke",
		httpmock.NewStringResponder(400, `{"status":"failure","error":"invalid token `+oaRefreshToken+`"}`))
	err := cfg.RevokeToken(t.Context(), zoho.IN.AccountsURL(), oaRefreshToken)
	var te *zoho.TokenError
	if !errors.As(err, &te) || te.HTTPStatus != 400 || te.Op != "revoke" {
		t.Fatalf("err = %v", err)
	}
	oaNoSecret(t, err.Error())
	mt.RegisterResponder("POST", "https://accounts.zoho.in/oauth/v2/token/revoke", httpmock.NewErrorResponder(errors.New("connection reset")))
	err = cfg.RevokeToken(t.Context(), zoho.IN.AccountsURL(), oaRefreshToken)
	if !errors.As(err, &te) || te.Err == nil {
		t.Fatalf("err = %v", err)
	}
	oaNoSecret(t, err.Error())
}

func TestTokenJSONRoundTripKeepsEverything(t *testing.T) {
	tok := &zoho.Token{AccessToken: oaAccessToken, RefreshToken: oaRefreshToken, TokenType: "Bearer",
		Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), IssuedAt: time.Date(2030, 1, 2, 2, 4, 5, 0, time.UTC),
		APIDomain: "https://www.zohoapis.eu", Scope: "ZohoCRM.modules.ALL ZohoCRM.org.READ",
		AccountsServer: "https://accounts.zoho.eu", DataCenter: zoho.EU, OrgID: "42"}
	b, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	var back zoho.Token
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*tok, back) {
		t.Fatalf("round trip lost fields:\n%s", b)
	}
	// The plain oauth2.Token loses api_domain and scope; ours does not.
	ob, _ := json.Marshal(tok.OAuth2())
	var o oauth2.Token
	_ = json.Unmarshal(ob, &o)
	if zoho.APIDomain(&o) != "" || zoho.APIDomain(back.OAuth2()) != "https://www.zohoapis.eu" {
		t.Fatal("expected oauth2.Token to lose api_domain and ours to keep it")
	}
	// Through the store too.
	store := zoho.NewMemoryTokenStore()
	if _, err := store.SaveToken(t.Context(), "tenant-1", tok, 0); err != nil {
		t.Fatal(err)
	}
	got, v, err := store.LoadToken(t.Context(), "tenant-1")
	if err != nil || v != 1 || !reflect.DeepEqual(*got, *tok) {
		t.Fatalf("store: %v %d %v", got, v, err)
	}
	if back.Expired(time.Date(2030, 1, 2, 3, 4, 4, 0, time.UTC)) || !back.Expired(tok.Expiry) {
		t.Fatal("Expired is wrong around the expiry")
	}
}

// oaNoSecret fails if s contains any test secret.
func oaNoSecret(t testing.TB, s string) {
	t.Helper()
	for _, sec := range oaSecrets {
		if strings.Contains(s, sec) {
			t.Fatalf("secret %q leaked in: %s", sec, s)
		}
	}
}

func TestNoSecretInErrorsLogsOrStringsOAuth(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mt := httpmock.NewMockTransport()
	// An accounts server that echoes what it got, as a careless error page might.
	mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token", func(r *http.Request) (*http.Response, error) {
		_ = r.ParseForm()
		return httpmock.NewStringResponse(200, `{"error":"invalid_client","error_description":"bad secret `+r.PostForm.Get("client_secret")+
			` for `+r.PostForm.Get("refresh_token")+r.PostForm.Get("code")+`"}`), nil
	})
	mt.RegisterResponder("POST", "https://accounts.zoho.com/oauth/v2/token/revoke", httpmock.NewErrorResponder(errors.New("dial tcp: connection refused")))
	cfg := oaConfig(mt)
	cfg.Logger = logger
	var texts []string
	_, err := cfg.ExchangeSelfClient(t.Context(), zoho.US, oaGrantCode)
	texts = append(texts, fmt.Sprint(err), fmt.Sprintf("%+v", err))
	_, err = cfg.Refresh(t.Context(), &zoho.Token{AccessToken: oaAccessToken, RefreshToken: oaRefreshToken, DataCenter: zoho.US})
	texts = append(texts, fmt.Sprint(err))
	err = cfg.RevokeToken(t.Context(), zoho.US.AccountsURL(), oaRefreshToken)
	texts = append(texts, fmt.Sprint(err))
	if !strings.Contains(texts[0], "REDACTED") {
		t.Errorf("the echoed secret was not scrubbed: %s", texts[0])
	}

	// The token source: a rejected grant, logged.
	store := zoho.NewMemoryTokenStore()
	_, _ = store.SaveToken(t.Context(), "k", &zoho.Token{AccessToken: oaAccessToken, RefreshToken: oaRefreshToken, DataCenter: zoho.US,
		Expiry: time.Now().Add(-time.Minute)}, 0)
	ts, _ := zoho.NewTokenSource(cfg, store, "k") // cfg.Logger: the one logger
	_, err = ts.Token()
	if !errors.Is(err, zoho.ErrReconnectRequired) {
		t.Fatalf("err = %v", err)
	}
	texts = append(texts, fmt.Sprint(err))

	tok := zoho.Token{AccessToken: oaAccessToken, RefreshToken: oaRefreshToken, APIDomain: "https://www.zohoapis.com"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		texts = append(texts, fmt.Sprintf(verb, tok), fmt.Sprintf(verb, &tok), fmt.Sprintf(verb, *cfg), fmt.Sprintf(verb, cfg),
			fmt.Sprintf(verb, ts), fmt.Sprintf(verb, []*zoho.Token{&tok}))
	}
	logger.Info("token", "token", tok, "cfg", cfg, "ptr", &tok)
	texts = append(texts, logs.String())
	for _, s := range texts {
		oaNoSecret(t, s)
	}
	if !strings.Contains(logs.String(), "accounts call") {
		t.Errorf("accounts calls were not logged: %s", logs.String())
	}
}

func TestParseOAuthCallback(t *testing.T) {
	q, _ := url.ParseQuery("state=st-1&code=" + oaGrantCode + "&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu")
	cb, err := zoho.ParseOAuthCallback(q)
	if err != nil || cb.Code != oaGrantCode || cb.State != "st-1" || cb.DataCenter != zoho.EU || cb.AccountsServer != "https://accounts.zoho.eu" {
		t.Fatalf("%v %v", cb, err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%d"} {
		oaNoSecret(t, fmt.Sprintf(verb, cb))
	}
	q, _ = url.ParseQuery("state=s&code=c&location=in")
	if cb, err := zoho.ParseOAuthCallback(q); err != nil || cb.AccountsServer != "https://accounts.zoho.in" {
		t.Fatalf("location only: %v %v", cb, err)
	}
	q, _ = url.ParseQuery("state=s&error=access_denied")
	var te *zoho.TokenError
	if _, err := zoho.ParseOAuthCallback(q); !errors.As(err, &te) || te.Code != "access_denied" || te.Op != "authorize" ||
		errors.Is(err, zoho.ErrTokenThrottled) || errors.Is(te, zoho.ErrTemporary) {
		t.Fatalf("declined: %v", err)
	}
	for _, bad := range []string{"state=s", "code=c&location=xx", "code=c&location=us&accounts-server=https://accounts.zoho.eu"} {
		q, _ = url.ParseQuery(bad)
		_, err := zoho.ParseOAuthCallback(q)
		var he *zoho.HostError
		if err == nil || strings.Contains(bad, "location") != errors.As(err, &he) {
			t.Errorf("%s: %v (a location Zoho does not have, or one contradicting the accounts server, is a *HostError)", bad, err)
		}
	}
}

// FuzzParseOAuthCallback: any callback query is parsed or refused without panicking; an accepted
// one names an accounts server consistent with its location.
func FuzzParseOAuthCallback(f *testing.F) {
	f.Add("state=st-1&code=c&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu")
	f.Add("state=s&code=c&location=in")
	f.Add("state=s&error=access_denied&error_description=no%0Athanks")
	f.Add("code=c&location=us&accounts-server=https://accounts.zoho.eu")
	f.Add("code=c&accounts-server=https://evil.io")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		cb, err := zoho.ParseOAuthCallback(q)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error not on one line: %q", err.Error())
			}
			return
		}
		if cb.Code == "" {
			t.Fatal("accepted without a code")
		}
		if cb.DataCenter != "" {
			if dc, ok := zoho.DataCenterForAccountsServer(cb.AccountsServer); ok && dc != cb.DataCenter {
				t.Fatalf("location %s with accounts server %s", cb.DataCenter, cb.AccountsServer)
			}
		}
		if s := fmt.Sprintf("%#v", cb); len(cb.Code) >= 8 && strings.Contains(s, cb.Code) {
			t.Fatalf("the code printed: %s", s)
		}
	})
}
