package zohotest

// Client credentials, several orgs, scopes, options, redaction and the configurable token limits.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestClientCredentialsAndMultipleOrgs(t *testing.T) {
	clock := newTestClock()
	srv := New(t, WithClock(clock.Now))
	a, err := srv.AddOrg(OrgConfig{ID: "111", Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := srv.AddOrg(OrgConfig{ID: "222", Name: "B", ClientID: "1000.TENANTB", ClientSecret: "b-secret"})
	if err != nil {
		t.Fatal(err)
	}
	cc := func(client, secret, soid string) map[string]any {
		v := url.Values{"client_id": {client}, "client_secret": {secret}, "grant_type": {"client_credentials"}, "scope": {"ZohoCRM.modules.ALL,ZohoCRM.org.READ"}}
		if soid != "" {
			v.Set("soid", soid)
		}
		_, m := postToken(t, srv, "query", v)
		return m
	}
	// The default client is accepted by both orgs: soid is required.
	if m := cc(srv.ClientID(), srv.ClientSecret(), ""); m["error"] != "missing_org_info" {
		t.Fatalf("%v", m)
	}
	m := cc(srv.ClientID(), srv.ClientSecret(), "ZohoCRM.222")
	if m["access_token"] == nil || m["refresh_token"] != nil || m["scope"] != "ZohoCRM.modules.ALL ZohoCRM.org.READ" {
		t.Fatalf("%v", m)
	}
	org := rawCall(t, srv, str(m["access_token"]), "GET", "/crm/v2/org", nil).json(t)["org"].([]any)[0].(map[string]any)
	if org["company_name"] != "B" || org["zgid"] != "222" {
		t.Fatalf("org %v", org)
	}
	// B's own client reaches only B, without soid.
	m = cc("1000.TENANTB", "b-secret", "")
	if m["access_token"] == nil {
		t.Fatalf("%v", m)
	}
	if m := cc("1000.TENANTB", "b-secret", "ZohoCRM.111"); m["error"] != "invalid_client" {
		t.Fatalf("%v", m)
	}

	// Tenant isolation: a token of A never sees B's records.
	if _, err := b.Seed("Leads", map[string]any{"Last_Name": "Secret", "Company": "B"}); err != nil {
		t.Fatal(err)
	}
	ta, tb := a.IssueAccessToken(), b.IssueAccessToken()
	wantStatus(t, rawCall(t, srv, ta, "GET", "/crm/v2/Leads", nil), http.StatusNoContent)
	bLead := b.Records("Leads")[0]["id"].(string)
	wantStatus(t, rawCall(t, srv, ta, "GET", "/crm/v2/Leads/"+bLead, nil), http.StatusNoContent)
	wantStatus(t, rawCall(t, srv, tb, "GET", "/crm/v2/Leads/"+bLead, nil), http.StatusOK)
	calls := srv.Calls()
	last := calls[len(calls)-1]
	if last.Org != "222" || last.TokenID != srv.TokenID(tb) || last.TokenID == "" {
		t.Fatalf("call %v", last)
	}

	// The authorization endpoint needs zohotest_org when several orgs accept the client.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {srv.ClientID()}, "response_type": {"code"}, "redirect_uri": {"https://a.example/cb"}, "scope": {"ZohoCRM.org.READ"}}
	resp, err := noRedirect.Get(srv.URL() + "/oauth/v2/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("ambiguous org: %d", resp.StatusCode)
	}
	q.Set("zohotest_org", "111")
	resp, _ = noRedirect.Get(srv.URL() + "/oauth/v2/auth?" + q.Encode())
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("picked org: %d", resp.StatusCode)
	}

	// AddOrg errors.
	for name, cfg := range map[string]OrgConfig{
		"duplicate id":    {ID: "111"},
		"edition":         {Edition: "platinum"},
		"client secret":   {ClientID: "1000.TENANTB", ClientSecret: "other"},
		"half client":     {ClientID: "1000.X"},
		"bad email":       {Users: []User{{Email: "nope"}}},
		"no active user":  {Users: []User{{Email: "a@b.example", Status: "inactive"}}},
		"duplicate email": {Users: []User{{Email: "a@b.example"}, {Email: "A@b.example"}}},
		"time zone":       {TimeZone: "Mars/Olympus"},
		"module":          {Modules: []Module{{APIName: "users"}}},
		"field":           {Modules: []Module{{APIName: "X", Fields: []Field{{APIName: "P", DataType: "picklist"}}}}},
	} {
		if _, err := srv.AddOrg(cfg); err == nil || !strings.HasPrefix(err.Error(), "zohotest: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestScopes(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		scopes []string
		method string
		path   string
		ok     bool
	}{
		{[]string{"ZohoCRM.modules.leads.READ"}, "GET", "/crm/v2/Leads", true},
		{[]string{"ZohoCRM.modules.leads.READ"}, "POST", "/crm/v2/Leads", false},
		{[]string{"ZohoCRM.modules.leads.WRITE"}, "POST", "/crm/v2/Leads", true},
		{[]string{"ZohoCRM.modules.contacts.ALL"}, "GET", "/crm/v2/Leads", false},
		{[]string{"ZohoCRM.modules.CREATE"}, "POST", "/crm/v2/Leads", true},
		{[]string{"ZohoCRM.modules.ALL"}, "GET", "/crm/v2/Leads/search?email=ab@c.example", false},
		{[]string{"ZohoCRM.modules.ALL", "ZohoSearch.securesearch.READ"}, "GET", "/crm/v2/Leads/search?email=ab@c.example", true},
		{[]string{"ZohoCRM.settings.fields.READ"}, "GET", "/crm/v2/settings/fields?module=Leads", true},
		{[]string{"ZohoCRM.settings.modules.READ"}, "GET", "/crm/v2/settings/fields?module=Leads", false},
		{[]string{"ZohoCRM.users.READ"}, "GET", "/crm/v2/users", true},
		{[]string{"ZohoCRM.org.READ"}, "GET", "/crm/v2/users", false},
		{[]string{"zohocrm.org.all"}, "GET", "/crm/v2/org", true},
	}
	for _, c := range cases {
		tok := f.org.IssueAccessToken(c.scopes...)
		a := rawCall(t, f.srv, tok, c.method, c.path, `{"data":[{"Last_Name":"L","Company":"C"}]}`)
		mismatch := a.status == http.StatusUnauthorized
		if mismatch == c.ok {
			t.Errorf("%v %s %s: %d %s", c.scopes, c.method, c.path, a.status, a.raw)
		}
		if mismatch {
			wantCode(t, a, http.StatusUnauthorized, "OAUTH_SCOPE_MISMATCH")
		}
	}
	// Scope checks can be turned off.
	g := newFixture(t, WithScopeChecks(false))
	wantStatus(t, rawCall(t, g.srv, g.org.IssueAccessToken("ZohoCRM.org.READ"), "GET", "/crm/v2/users", nil), http.StatusOK)
}

func TestOptionsAndLifecycle(t *testing.T) {
	for name, opt := range map[string]Option{
		"clock":     WithClock(nil),
		"latency":   WithLatency(-1),
		"lifetime":  WithTokenLifetime(0),
		"code":      WithGrantCodeLifetime(0),
		"refresh":   WithRefreshLimit(0, time.Minute),
		"maxr":      WithMaxRefreshTokens(0),
		"maxa":      WithMaxAccessTokens(0),
		"index":     WithIndexingDelay(-time.Second),
		"listener":  WithListener(nil),
		"addr":      WithAddr("0.0.0.0:0"),
		"attach":    WithMaxAttachmentSize(0),
		"log":       WithCallLogLimit(0),
		"logger":    WithLogger(nil),
		"defclient": WithDefaultClient("", "x"),
	} {
		s := NewServer(opt)
		if err := s.Start(); err == nil || !strings.HasPrefix(err.Error(), "zohotest: ") {
			t.Errorf("%s: %v", name, err)
			s.Close()
		}
	}
	s := NewServer(WithAddr("127.0.0.1:0"), WithDefaultClient("1000.MINE", "mine"))
	if s.URL() != "" {
		t.Fatal("URL before Start")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		t.Fatal("second Start")
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.Host() == "" || s.ClientID() != "1000.MINE" {
		t.Fatalf("%s %s %s", s.URL(), s.Host(), s.ClientID())
	}
	// Close ends pending latency sleeps and is idempotent.
	slow := NewServer(WithLatency(time.Minute))
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", slow.URL()+"/crm/v2/org", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	slow.Close()
	slow.Close()
	s.Close()
	<-done
	if time.Since(start) > 3*time.Second {
		t.Fatal("Close waited for the latency")
	}
	if err := s.Start(); err == nil {
		t.Fatal("Start after Close")
	}
}

func TestNoSecretsInFormatting(t *testing.T) {
	f := newFixture(t)
	rt := f.org.IssueRefreshToken()
	rule, err := f.srv.InjectFault(Fault{Status: 500, Nth: 99})
	if err != nil {
		t.Fatal(err)
	}
	f.call("GET", "/crm/v2/org?access_token="+f.token, nil)
	secrets := []string{f.srv.ClientSecret(), f.token, rt}
	cfg := OrgConfig{ID: "9", ClientID: "1000.MINE", ClientSecret: "org-secret-4711", Users: []User{{Email: "a@b.example"}}}
	secrets = append(secrets, cfg.ClientSecret)
	if s := fmt.Sprint(cfg); !strings.Contains(s, `ClientID: "1000.MINE", ClientSecret: "REDACTED"`) || !strings.Contains(s, "Users: 1") {
		t.Errorf("OrgConfig prints as %s", s)
	}
	for _, v := range []any{f.srv, f.org, rule, f.srv.Calls()[0], f.srv.Calls(), cfg, &cfg} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			s := fmt.Sprintf(verb, v)
			for _, secret := range secrets {
				if strings.Contains(s, secret) {
					t.Errorf("%s of %T shows a secret: %s", verb, v, s)
				}
			}
		}
	}
}

// refresher posts refresh_token grants of one refresh token (form-urlencoded).
func refresher(t *testing.T, srv *Server, rt string) func() (int, map[string]any) {
	return func() (int, map[string]any) {
		t.Helper()
		return postToken(t, srv, "form", url.Values{"client_id": {srv.ClientID()}, "client_secret": {srv.ClientSecret()},
			"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
}

// TestRefreshLimitIsConfigurable: WithRefreshLimit sets the throttle (answered HTTP 200 with
// Zoho's "Access Denied" body) and its window; -1 turns it off.
func TestRefreshLimitIsConfigurable(t *testing.T) {
	f := newFixture(t, WithRefreshLimit(3, time.Minute))
	refresh := refresher(t, f.srv, f.org.IssueRefreshToken())
	for i := range 3 {
		if _, m := refresh(); m["access_token"] == nil {
			t.Fatalf("refresh %d: %v", i+1, m)
		}
	}
	status, m := refresh()
	if status != http.StatusOK || m["error"] != "Access Denied" || m["status"] != "failure" || m["access_token"] != nil {
		t.Fatalf("4th refresh within a minute: %d %v", status, m)
	}
	f.clock.Advance(59 * time.Second)
	if _, m := refresh(); m["error"] != "Access Denied" {
		t.Fatalf("refresh within the window: %v", m)
	}
	f.clock.Advance(time.Second)
	if _, m := refresh(); m["access_token"] == nil {
		t.Fatalf("refresh after the window: %v", m)
	}

	g := newFixture(t, WithRefreshLimit(-1, 0))
	refresh = refresher(t, g.srv, g.org.IssueRefreshToken())
	for i := range 30 {
		if _, m := refresh(); m["access_token"] == nil {
			t.Fatalf("refresh %d without a limit: %v", i+1, m)
		}
	}
}

// TestCodeExchangeTokenIsNotARefresh: Zoho's limit is on access tokens generated from a refresh
// token; the one the code exchange returns came from the grant code, so ten refreshes follow it.
func TestCodeExchangeTokenIsNotARefresh(t *testing.T) {
	f := newFixture(t)
	_, m := postToken(t, f.srv, "form", url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()},
		"grant_type": {"authorization_code"}, "code": {f.org.IssueGrantCode()}})
	rt := str(m["refresh_token"])
	if rt == "" {
		t.Fatalf("exchange: %v", m)
	}
	refresh := refresher(t, f.srv, rt)
	for i := range 10 {
		if _, m := refresh(); m["access_token"] == nil {
			t.Fatalf("refresh %d after the exchange: %v", i+1, m)
		}
	}
	if _, m := refresh(); m["error"] != "Access Denied" {
		t.Fatalf("11th refresh: %v", m)
	}
}

// TestTokenCapsAreConfigurable: WithMaxAccessTokens and WithMaxRefreshTokens set Zoho's caps;
// an evicted refresh token answers invalid_code and its access tokens 401 INVALID_TOKEN, for
// refresh tokens issued by code exchanges as for seeded ones.
func TestTokenCapsAreConfigurable(t *testing.T) {
	f := newFixture(t, WithMaxAccessTokens(2), WithMaxRefreshTokens(2))
	exchange := func() (access, refresh string) {
		_, m := postToken(t, f.srv, "multipart", url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()},
			"grant_type": {"authorization_code"}, "code": {f.org.IssueGrantCode()}})
		return str(m["access_token"]), str(m["refresh_token"])
	}
	at1, rt1 := exchange()
	refresh := refresher(t, f.srv, rt1)
	_, m := refresh()
	at2 := str(m["access_token"])
	_, m = refresh() // the third live access token of rt1 invalidates the first
	at3 := str(m["access_token"])
	wantCode(t, rawCall(t, f.srv, at1, "GET", "/crm/v2/org", nil), http.StatusUnauthorized, "INVALID_OAUTHTOKEN")
	wantStatus(t, rawCall(t, f.srv, at2, "GET", "/crm/v2/org", nil), http.StatusOK)
	wantStatus(t, rawCall(t, f.srv, at3, "GET", "/crm/v2/org", nil), http.StatusOK)

	_, rt2 := exchange()
	if _, m := refresh(); m["access_token"] == nil {
		t.Fatalf("second refresh token evicted the first: %v", m)
	}
	exchange() // the third refresh token evicts the oldest, rt1
	if _, m := refresh(); m["error"] != "invalid_code" {
		t.Fatalf("evicted refresh token: %v", m)
	}
	wantCode(t, rawCall(t, f.srv, at3, "GET", "/crm/v2/org", nil), http.StatusUnauthorized, "INVALID_TOKEN")
	if _, m := refresher(t, f.srv, rt2)(); m["access_token"] == nil {
		t.Fatalf("rt2: %v", m)
	}
	if n := f.org.ActiveRefreshTokens(); n != 2 {
		t.Fatalf("%d refresh tokens", n)
	}
}

// TestTokenBodyIsBounded: the token endpoint reads at most 1 MB of parameters, in every
// encoding; more is invalid_request (HTTP 200, as Zoho's token errors).
func TestTokenBodyIsBounded(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("x", 2<<20)
	for _, how := range []string{"form", "multipart"} {
		status, m := postToken(t, f.srv, how, url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()},
			"grant_type": {"refresh_token"}, "refresh_token": {f.org.IssueRefreshToken()}, "padding": {big}})
		if status != http.StatusOK || m["error"] != "invalid_request" {
			t.Errorf("%s: %d %v", how, status, m)
		}
	}
}
