package zohotest_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
	"golang.org/x/oauth2"
)

// TestFullSequenceThroughTheZohoClient runs the real zoho client against the fake: the OAuth
// connect flow (consent redirect, code exchange), insert, search, attach, list users, then a
// revocation at Zoho, after which the API answers 401 and the refresh fails.
func TestFullSequenceThroughTheZohoClient(t *testing.T) {
	ctx := t.Context()
	srv := zohotest.New(t)
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &zoho.OAuthConfig{
		ClientID:     srv.ClientID(),
		ClientSecret: srv.ClientSecret(),
		RedirectURL:  "https://app.example/zoho/callback",
		Endpoints:    zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()},
	}

	// Consent: the fake approves at once and redirects with code, location and accounts-server.
	consent, err := cfg.AuthCodeURL(zoho.US, "state-1")
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(consent)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), cfg.RedirectURL) {
		t.Fatalf("redirect %q: %v", resp.Header.Get("Location"), err)
	}
	cb, err := zoho.ParseOAuthCallback(loc.Query())
	if err != nil || cb.State != "state-1" {
		t.Fatalf("callback %v: %v", cb, err)
	}
	tok, err := cfg.Exchange(ctx, cb.Code, cb.AccountsServer)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.APIDomain != srv.URL() {
		t.Fatalf("token %v", tok)
	}

	store := zoho.NewMemoryTokenStore()
	if _, _, err := zoho.ReplaceToken(ctx, store, "tenant-1", tok); err != nil {
		t.Fatal(err)
	}
	ts, err := zoho.NewTokenSource(cfg, store, "tenant-1")
	if err != nil {
		t.Fatal(err)
	}
	// The client follows the token's api_domain, allowed explicitly (it is not Zoho's).
	client, err := zoho.NewClient(zoho.WithTokenSource(ts),
		zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: -1}))
	if err != nil {
		t.Fatal(err)
	}

	// Insert a Lead and a Contact, find them, open a Case with an attachment.
	res, _, err := client.Leads.Insert(ctx, []*crm.Lead{{LastName: crm.Some("Maclead"), Company: crm.Some("Chapman"),
		Email: crm.Some("chris@chapman.example")}}, nil)
	if err != nil || res.Err() != nil {
		t.Fatalf("insert lead: %v %v", err, res)
	}
	leadID := res[0].ID
	found, _, err := client.Leads.Search(ctx, crm.SearchQuery{Email: "CHRIS@chapman.example"}, nil)
	if err != nil || len(found) != 1 || found[0].ID != leadID {
		t.Fatalf("search: %v %v", err, found)
	}
	res, _, err = client.Contacts.Insert(ctx, []*crm.Contact{{LastName: crm.Some("Kingsley"), Email: crm.Some("anna@bentley.example")}}, nil)
	if err != nil || res.Err() != nil {
		t.Fatalf("insert contact: %v %v", err, res)
	}
	contactID := res[0].ID
	res, _, err = client.Cases.Insert(ctx, []*crm.Case{{Subject: crm.Some("Chat 42"), Status: crm.Some("New"),
		CaseOrigin: crm.Some("Chat"), RelatedTo: crm.Some(crm.Lookup{ID: contactID})}}, nil)
	if err != nil || res.Err() != nil {
		t.Fatalf("insert case: %v %v", err, res)
	}
	caseID := res[0].ID
	att, _, err := client.Attachments.Upload(ctx, "Cases", caseID, zoho.File{Name: "transcript.txt", ContentType: "text/plain", Body: strings.NewReader("[10:00] Anna: hello")}, nil)
	if err != nil || att.ID == "" {
		t.Fatalf("upload: %v %v", err, att)
	}
	stored := org.Attachments("Cases", caseID)
	if len(stored) != 1 || string(stored[0].Data) != "[10:00] Anna: hello" || stored[0].FileName != "transcript.txt" {
		t.Fatalf("stored attachments %+v", stored)
	}
	rc, _, err := client.Attachments.Download(ctx, "Cases", caseID, att.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "[10:00] Anna: hello" {
		t.Fatalf("download %q", body)
	}
	users, _, err := client.Users.List(ctx, &zoho.ListUsersOptions{Type: zoho.ActiveUsers})
	if err != nil || len(users) != 3 {
		t.Fatalf("users: %v %d", err, len(users))
	}
	o, _, err := client.Org.Get(ctx)
	if err != nil || o.CompanyName != "Zylker Demo" || o.ConcurrencyLimit() != 20 {
		t.Fatalf("org: %v %v", err, o)
	}
	fields, _, err := client.Fields.List(ctx, "Cases")
	if err != nil {
		t.Fatal(err)
	}
	if rt, ok := fields.Get("Related_To"); !ok || rt.LookupModule != "Contacts" {
		t.Fatalf("Related_To %v", rt)
	}
	if subject, ok := fields.Get("Subject"); !ok || subject.MaxLength() != 255 || !subject.Mandatory() {
		t.Fatalf("Subject %v", subject)
	}
	if got := strings.Join(fields.Mandatory(), ","); got != "Subject,Status,Case_Origin" {
		t.Fatalf("mandatory %s", got)
	}

	// The user revokes the app at Zoho: the API answers 401 INVALID_TOKEN and the client tells
	// the token source, which cannot get a new token (the one it has is less than a minute old,
	// and the refresh token is dead: invalid_code).
	if err := cfg.RevokeToken(ctx, tok.AccountsServer, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, _, err = client.Org.Get(ctx)
	var te *zoho.TokenError
	if !errors.Is(err, zoho.ErrInvalidToken) || !errors.As(err, &te) {
		t.Fatalf("after revocation: %v", err)
	}
	if _, err := cfg.Refresh(ctx, tok); !errors.As(err, &te) || te.Code != "invalid_code" {
		t.Fatalf("refresh after revocation: %v", err)
	}
	calls := srv.Calls()
	var saw401 bool
	for _, c := range calls {
		if c.Path == "/crm/v2/org" && c.Status == http.StatusUnauthorized {
			saw401 = true
		}
		if c.Org != org.ID() && c.Org != "" {
			t.Fatalf("call for another org: %v", c)
		}
	}
	if !saw401 {
		t.Fatalf("no 401 in the call log: %v", calls)
	}
	if srv.CallCount("POST", "/crm/v2/Cases/"+caseID+"/Attachments") != 1 {
		t.Error("a pattern naming a record id does not count its route")
	}
	for _, want := range []string{"POST /oauth/v2/token", "POST /crm/v2/Leads", "GET /crm/v2/Leads/search",
		"POST /crm/v2/Cases/{id}/Attachments", "POST /oauth/v2/token/revoke"} {
		if srv.CallCounts()[want] == 0 {
			t.Errorf("no %s in %v", want, srv.CallCounts())
		}
	}
}

// TestClientAgainstLimitsAndFaults checks that the fake's 429s, expired tokens and dropped
// connections reach the zoho client as the client's typed errors.
func TestClientAgainstLimitsAndFaults(t *testing.T) {
	ctx := t.Context()
	srv := zohotest.New(t)
	org, err := srv.AddOrg(zohotest.OrgConfig{DailyCredits: 2})
	if err != nil {
		t.Fatal(err)
	}
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: org.IssueAccessToken()})
	client, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}),
		zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	// A concurrency 429 is retried by the client; the call succeeds.
	if _, err := srv.InjectFault(zohotest.Fault{Path: "/crm/v2/org", Status: 429, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.Org.Get(ctx); err != nil {
		t.Fatalf("after one concurrency 429: %v", err)
	}
	// Credits spent: 429 with the 24-hour message, classified as credit exhaustion, not retried.
	_, _, _ = client.Org.Get(ctx)
	before := srv.CallCount("GET", "/crm/v2/org")
	_, _, err = client.Org.Get(ctx)
	var apiErr *zoho.APIError
	if !errors.Is(err, zoho.ErrCreditsExhausted) || !errors.As(err, &apiErr) || !errors.Is(apiErr, zoho.ErrCreditsExhausted) {
		t.Fatalf("credits: %v", err)
	}
	if n := srv.CallCount("GET", "/crm/v2/org") - before; n != 1 {
		t.Fatalf("credit exhaustion retried: %d calls", n)
	}
	org.SetDailyCredits(-1)

	// A POST whose connection drops after the write: the client reports an ambiguous failure,
	// and the record exists.
	if _, err := srv.InjectFault(zohotest.Fault{Method: "POST", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	res, _, err := client.Accounts.Insert(ctx, []*crm.Account{{AccountName: crm.Some("Zylker")}}, nil)
	var amb *zoho.AmbiguousError
	if !errors.As(err, &amb) && !errors.As(res.Err(), &amb) {
		t.Fatalf("drop after apply: %v %v", err, res)
	}
	if n := len(org.Records("Accounts")); n != 1 {
		t.Fatalf("%d accounts after a dropped-after-apply insert", n)
	}

	// Expired tokens: 401 INVALID_TOKEN.
	org.ExpireTokens()
	_, _, err = client.Org.Get(ctx)
	if !errors.Is(err, zoho.ErrInvalidToken) {
		t.Fatalf("expired: %v", err)
	}
}

// TestClientMeetsTheOrgConcurrencyLimit: when more calls of an org are in flight than its
// edition allows, the fake answers 429; the zoho client classifies it as a concurrency limit
// (temporary, ErrRateLimited) and its retries get through once a slot frees up.
func TestClientMeetsTheOrgConcurrencyLimit(t *testing.T) {
	ctx := t.Context()
	srv := zohotest.New(t)
	org, err := srv.AddOrg(zohotest.OrgConfig{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	tok := org.IssueAccessToken()
	// Another caller of the org holds its only slot for a while.
	if _, err := srv.InjectFault(zohotest.Fault{Path: "/crm/v2/users", Kind: zohotest.FaultSlow, Delay: 600 * time.Millisecond, Times: 1}); err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+"/crm/v2/users", nil)
		req.Header.Set("Authorization", "Zoho-oauthtoken "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		held <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); org.InFlight() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slot was never taken")
		}
	}
	newClient := func(p zoho.RetryPolicy) *zoho.Client {
		ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})
		c, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}), zoho.WithRetryPolicy(p))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Without retries: the 429 reaches the caller, classified as concurrency.
	_, _, err = newClient(zoho.RetryPolicy{MaxRetries: -1}).Org.Get(ctx)
	var apiErr *zoho.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != http.StatusTooManyRequests || !errors.Is(apiErr, zoho.ErrRateLimited) ||
		!errors.Is(apiErr, zoho.ErrTemporary) || !errors.Is(err, zoho.ErrRateLimited) || errors.Is(err, zoho.ErrCreditsExhausted) {
		t.Fatalf("over the limit: %v", err)
	}
	// With retries: the client waits and gets through.
	before := srv.CallCount("GET", "/crm/v2/org")
	o, _, err := newClient(zoho.RetryPolicy{MaxRetries: 20, MinWait: 50 * time.Millisecond, MaxWait: 100 * time.Millisecond}).Org.Get(ctx)
	if err != nil || o == nil {
		t.Fatalf("retried call: %v", err)
	}
	if n := srv.CallCount("GET", "/crm/v2/org") - before; n < 2 {
		t.Fatalf("the client got through in %d attempts: no 429 to retry", n)
	}
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	var rejected, ok int
	for _, c := range srv.Calls() {
		if c.Path == "/crm/v2/org" && c.Status == http.StatusTooManyRequests {
			rejected++
		}
		if c.Path == "/crm/v2/org" && c.Status == http.StatusOK {
			ok++
		}
	}
	if rejected < 2 || ok != 1 || org.PeakInFlight() != 1 || org.CreditsUsed() != 2 {
		t.Fatalf("%d rejected, %d ok, peak %d, credits %d", rejected, ok, org.PeakInFlight(), org.CreditsUsed())
	}
}

// TestClientAgainstDroppedConnections: a connection dropped before the write is applied leaves
// nothing written; dropped after, the write exists. For a non-idempotent insert the zoho client
// cannot tell them apart and reports an *AmbiguousError both times; an idempotent read is
// retried.
func TestClientAgainstDroppedConnections(t *testing.T) {
	ctx := t.Context()
	srv := zohotest.New(t)
	org, err := srv.AddOrg(zohotest.OrgConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: org.IssueAccessToken()})
	client, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}),
		zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	insert := func(name string) {
		t.Helper()
		res, _, err := client.Accounts.Insert(ctx, []*crm.Account{{AccountName: crm.Some(name)}}, nil)
		var amb, itemAmb *zoho.AmbiguousError
		if !errors.As(err, &amb) || len(res) != 1 || !errors.As(res[0].Err, &itemAmb) || amb.StatusCode != 0 || amb.Method != "POST" {
			t.Fatalf("insert %s: %v %v, want an *AmbiguousError for the call and its record", name, err, res)
		}
	}
	for _, c := range []struct {
		kind    zohotest.FaultKind
		name    string
		written int
	}{{zohotest.FaultDropBeforeApply, "Before", 0}, {zohotest.FaultDropAfterApply, "After", 1}} {
		sent := srv.CallCount("POST", "/crm/v2/Accounts")
		rule, err := srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Accounts", Kind: c.kind, Times: 1})
		if err != nil {
			t.Fatal(err)
		}
		insert(c.name)
		n := 0
		for _, r := range org.Records("Accounts") {
			if r["Account_Name"] == c.name {
				n++
			}
		}
		if n != c.written || rule.Hits() != 1 {
			t.Fatalf("%v: %d records written, %d hits", c.kind, n, rule.Hits())
		}
		if n := srv.CallCount("POST", "/crm/v2/Accounts") - sent; n != 1 {
			t.Fatalf("%v: the insert was sent %d times; a non-idempotent write is never replayed", c.kind, n)
		}
	}
	// A read whose connection drops is simply retried.
	if _, err := srv.InjectFault(zohotest.Fault{Path: "/crm/v2/org", Kind: zohotest.FaultDropBeforeApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.Org.Get(ctx); err != nil {
		t.Fatalf("read after a dropped connection: %v", err)
	}
}
