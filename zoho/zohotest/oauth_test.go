package zohotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// postToken posts params to /oauth/v2/token in the given way.
func postToken(t *testing.T, srv *Server, how string, params url.Values) (int, map[string]any) {
	t.Helper()
	target := srv.URL() + "/oauth/v2/token"
	var body *bytes.Buffer
	ct := ""
	switch how {
	case "form":
		body = bytes.NewBufferString(params.Encode())
		ct = "application/x-www-form-urlencoded"
	case "form-no-type":
		body = bytes.NewBufferString(params.Encode())
	case "multipart":
		body = &bytes.Buffer{}
		mw := multipart.NewWriter(body)
		for k, vs := range params {
			for _, v := range vs {
				if err := mw.WriteField(k, v); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		ct = mw.FormDataContentType()
	case "query":
		target += "?" + params.Encode()
		body = &bytes.Buffer{}
	case "basic":
		p := url.Values{}
		for k, v := range params {
			if k != "client_id" && k != "client_secret" {
				p[k] = v
			}
		}
		body = bytes.NewBufferString(p.Encode())
		ct = "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequestWithContext(t.Context(), "POST", target, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if how == "basic" {
		req.SetBasicAuth(params.Get("client_id"), params.Get("client_secret"))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

func TestAuthorizeRedirectAndCodeExchange(t *testing.T) {
	f := newFixture(t)
	q := url.Values{"client_id": {f.srv.ClientID()}, "response_type": {"code"}, "redirect_uri": {"https://app.example/cb?x=1"},
		"scope": {"ZohoCRM.modules.ALL,ZohoCRM.users.READ"}, "access_type": {"offline"}, "state": {"st4te"}}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(f.srv.URL() + "/oauth/v2/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	lq := loc.Query()
	if loc.Host != "app.example" || lq.Get("x") != "1" || lq.Get("state") != "st4te" || lq.Get("location") != "us" ||
		lq.Get("accounts-server") != f.srv.URL() || lq.Get("code") == "" {
		t.Fatalf("redirect %s", loc)
	}
	code := lq.Get("code")

	params := url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()}, "grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {"https://app.example/cb?x=1"}}
	status, m := postToken(t, f.srv, "form", params)
	if status != 200 || m["access_token"] == nil || m["refresh_token"] == nil || m["api_domain"] != f.srv.URL() ||
		m["token_type"] != "Bearer" || m["expires_in"] != float64(3600) {
		t.Fatalf("%d %v", status, m)
	}
	// The code is single use; errors come as HTTP 200 {"error": …}.
	status, m = postToken(t, f.srv, "form", params)
	if status != 200 || m["error"] != "invalid_code" || m["access_token"] != nil {
		t.Fatalf("reuse: %d %v", status, m)
	}
	// The access token works, for this org, with its scopes.
	tok := m["access_token"]
	_ = tok
	at := ""
	{
		code2 := f.org.IssueGrantCode("ZohoCRM.modules.ALL")
		_, m2 := postToken(t, f.srv, "multipart", url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()},
			"grant_type": {"authorization_code"}, "code": {code2}})
		at = str(m2["access_token"])
		if m2["refresh_token"] == nil {
			t.Fatalf("self-client code gives no refresh token: %v", m2)
		}
	}
	wantStatus(t, rawCall(t, f.srv, at, "GET", "/crm/v2/Leads", nil), http.StatusNoContent)
	wantCode(t, rawCall(t, f.srv, at, "GET", "/crm/v2/users", nil), http.StatusUnauthorized, "OAUTH_SCOPE_MISMATCH")

	// Online access: no refresh token. Wrong redirect_uri: invalid_redirect_uri.
	q.Set("access_type", "online")
	resp, _ = noRedirect.Get(f.srv.URL() + "/oauth/v2/auth?" + q.Encode())
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	params.Set("code", loc.Query().Get("code"))
	params.Set("redirect_uri", "https://evil.example/cb")
	if _, m := postToken(t, f.srv, "form", params); m["error"] != "invalid_redirect_uri" {
		t.Fatalf("%v", m)
	}
	resp, _ = noRedirect.Get(f.srv.URL() + "/oauth/v2/auth?" + q.Encode())
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	params.Set("code", loc.Query().Get("code"))
	params.Set("redirect_uri", "https://app.example/cb?x=1")
	if _, m := postToken(t, f.srv, "form", params); m["access_token"] == nil || m["refresh_token"] != nil {
		t.Fatalf("online: %v", m)
	}

	// Authorization errors.
	for name, bad := range map[string]url.Values{
		"client":   {"client_id": {"nope"}, "response_type": {"code"}, "redirect_uri": {"https://a.example/"}, "scope": {"x.y.z"}},
		"type":     {"client_id": {f.srv.ClientID()}, "response_type": {"token"}, "redirect_uri": {"https://a.example/"}, "scope": {"x.y.z"}},
		"redirect": {"client_id": {f.srv.ClientID()}, "response_type": {"code"}, "redirect_uri": {"nowhere"}, "scope": {"x.y.z"}},
		"scope":    {"client_id": {f.srv.ClientID()}, "response_type": {"code"}, "redirect_uri": {"https://a.example/"}},
	} {
		resp, err := noRedirect.Get(f.srv.URL() + "/oauth/v2/auth?" + bad.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
}

func TestTokenParamsInEveryEncoding(t *testing.T) {
	f := newFixture(t)
	for _, how := range []string{"form", "form-no-type", "multipart", "query", "basic"} {
		rt := f.org.IssueRefreshToken()
		status, m := postToken(t, f.srv, how, url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()},
			"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		if status != 200 || m["access_token"] == nil || m["refresh_token"] != nil || m["scope"] == nil || m["api_domain"] != f.srv.URL() {
			t.Errorf("%s: %d %v", how, status, m)
		}
	}
}

func TestTokenErrors(t *testing.T) {
	f := newFixture(t)
	rt := f.org.IssueRefreshToken()
	base := func() url.Values {
		return url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()}, "grant_type": {"refresh_token"}, "refresh_token": {rt}}
	}
	cases := map[string]struct {
		edit func(url.Values)
		want string
	}{
		"unknown client": {func(v url.Values) { v.Set("client_id", "1000.NOPE") }, "invalid_client"},
		"bad secret":     {func(v url.Values) { v.Set("client_secret", "wrong") }, "invalid_client_secret"},
		"bad refresh":    {func(v url.Values) { v.Set("refresh_token", "1000.nope") }, "invalid_code"},
		"bad grant type": {func(v url.Values) { v.Set("grant_type", "password") }, "unsupported_grant_type"},
		"bad code":       {func(v url.Values) { v.Set("grant_type", "authorization_code"); v.Set("code", "1000.nope") }, "invalid_code"},
	}
	for name, c := range cases {
		v := base()
		c.edit(v)
		status, m := postToken(t, f.srv, "form", v)
		if status != http.StatusOK || m["error"] != c.want || m["access_token"] != nil {
			t.Errorf("%s: %d %v, want HTTP 200 error %s", name, status, m, c.want)
		}
	}
	// An expired grant code.
	code := f.org.IssueGrantCode()
	f.clock.Advance(3*time.Minute + time.Second)
	v := base()
	v.Set("grant_type", "authorization_code")
	v.Set("code", code)
	if _, m := postToken(t, f.srv, "form", v); m["error"] != "invalid_code" {
		t.Fatalf("expired code: %v", m)
	}
	// No secret appears in the call log.
	for _, c := range f.srv.Calls() {
		s := c.String() + fmt.Sprint(c.Query)
		if strings.Contains(s, f.srv.ClientSecret()) || strings.Contains(s, rt) || strings.Contains(s, code) {
			t.Fatalf("secret in call log: %s", s)
		}
	}
}

func TestRefreshLimitAndTokenCaps(t *testing.T) {
	f := newFixture(t)
	rt := f.org.IssueRefreshToken()
	refresh := func() map[string]any {
		_, m := postToken(t, f.srv, "form", url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()},
			"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		return m
	}
	var tokens []string
	for i := range 10 {
		m := refresh()
		if m["access_token"] == nil {
			t.Fatalf("refresh %d: %v", i+1, m)
		}
		tokens = append(tokens, str(m["access_token"]))
	}
	m := refresh()
	if m["error"] != "Access Denied" || m["status"] != "failure" || !strings.Contains(str(m["error_description"]), "too many requests") {
		t.Fatalf("11th refresh within 10 minutes: %v", m)
	}
	// After the window, refreshing works again; the 16th live access token evicts the oldest.
	f.clock.Advance(10 * time.Minute)
	for range 6 { // 16 live access tokens: the first is invalidated
		tokens = append(tokens, str(refresh()["access_token"]))
	}
	wantCode(t, rawCall(t, f.srv, tokens[0], "GET", "/crm/v2/org", nil), http.StatusUnauthorized, "INVALID_OAUTHTOKEN")
	wantStatus(t, rawCall(t, f.srv, tokens[1], "GET", "/crm/v2/org", nil), http.StatusOK)

	// 20 refresh tokens per user and client: the 21st evicts the oldest.
	for range 19 {
		f.org.IssueRefreshToken()
	}
	if n := f.org.ActiveRefreshTokens(); n != 20 {
		t.Fatalf("%d refresh tokens", n)
	}
	f.org.IssueRefreshToken()
	if n := f.org.ActiveRefreshTokens(); n != 20 {
		t.Fatalf("%d refresh tokens after the 21st", n)
	}
	if m := refresh(); m["error"] != "invalid_code" {
		t.Fatalf("evicted refresh token still works: %v", m)
	}
	wantCode(t, rawCall(t, f.srv, tokens[14], "GET", "/crm/v2/org", nil), http.StatusUnauthorized, "INVALID_TOKEN")
}

func TestTokenExpiryRevokeAndAuthErrors(t *testing.T) {
	f := newFixture(t, WithTokenLifetime(10*time.Minute))
	wantStatus(t, f.call("GET", "/crm/v2/org", nil), http.StatusOK)
	f.clock.Advance(10 * time.Minute)
	wantCode(t, f.call("GET", "/crm/v2/org", nil), http.StatusUnauthorized, "INVALID_TOKEN")

	rt := f.org.IssueRefreshToken()
	_, m := postToken(t, f.srv, "form", url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()},
		"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if m["expires_in"] != float64(600) {
		t.Fatalf("expires_in %v", m["expires_in"])
	}
	at := str(m["access_token"])
	wantStatus(t, rawCall(t, f.srv, at, "GET", "/crm/v2/org", nil), http.StatusOK)
	f.org.ExpireTokens()
	wantCode(t, rawCall(t, f.srv, at, "GET", "/crm/v2/org", nil), http.StatusUnauthorized, "INVALID_TOKEN")
	_, m = postToken(t, f.srv, "form", url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()},
		"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	at = str(m["access_token"])

	// Revoke the refresh token: its access tokens stop working; revoking again is a 400.
	resp, err := http.Post(f.srv.URL()+"/oauth/v2/token/revoke?token="+url.QueryEscape(rt), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body["status"] != "success" {
		t.Fatalf("revoke: %d %v", resp.StatusCode, body)
	}
	wantCode(t, rawCall(t, f.srv, at, "GET", "/crm/v2/org", nil), http.StatusUnauthorized, "INVALID_TOKEN")
	resp, err = http.Post(f.srv.URL()+"/oauth/v2/token/revoke?token="+url.QueryEscape(rt), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("second revoke: %d", resp.StatusCode)
	}
	for _, c := range f.srv.Calls() {
		if strings.Contains(c.String(), rt) {
			t.Fatal("refresh token in the call log")
		}
	}

	// RevokeTokens revokes everything of the org.
	at2 := f.org.IssueAccessToken()
	f.org.RevokeTokens()
	wantCode(t, rawCall(t, f.srv, at2, "GET", "/crm/v2/org", nil), http.StatusUnauthorized, "INVALID_TOKEN")

	// No token, a Bearer token, an unknown token.
	wantCode(t, rawCall(t, f.srv, "", "GET", "/crm/v2/org", nil), http.StatusUnauthorized, "AUTHENTICATION_FAILURE")
	a := rawCall(t, f.srv, "", "GET", "/crm/v2/org", nil, "Authorization", "Bearer "+f.org.IssueAccessToken())
	wantCode(t, a, http.StatusUnauthorized, "AUTHENTICATION_FAILURE")
	wantCode(t, rawCall(t, f.srv, "1000.unknown", "GET", "/crm/v2/org", nil), http.StatusUnauthorized, "INVALID_TOKEN")
}
