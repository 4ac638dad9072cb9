package sync_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// consent follows the authorisation URL on the fake (which approves at once) and returns the
// callback's query.
func consent(t *testing.T, authURL string) url.Values {
	t.Helper()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query()
}

func systemClient(h *harness) cxsync.OAuthClientRef {
	return cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: h.srv.ClientID()}
}

func TestConnectRoundTripAndReconnect(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	u, err := h.syncer.ConnectURL(ctx, cxsync.ConnectRequest{TenantID: "t9", Client: systemClient(h)})
	if err != nil {
		t.Fatal(err)
	}
	q := consent(t, u)
	got, err := h.syncer.CompleteConnect(ctx, "", q)
	if err != nil {
		t.Fatal(err)
	}
	if got.Connection.OrgID != h.org.ID() || got.Connection.UserID != h.org.CurrentUser().ID {
		t.Fatalf("connection %+v", got.Connection)
	}
	// The state is single use.
	var ce *cxsync.ConnectError
	if _, err := h.syncer.CompleteConnect(ctx, "", q); !errors.As(err, &ce) || ce.Kind != cxsync.ConnectStateInvalid {
		t.Fatalf("replayed state: %v", err)
	}
	before := h.org.ActiveRefreshTokens()
	// Reconnect: the old refresh token is revoked.
	u2, _ := h.syncer.ConnectURL(ctx, cxsync.ConnectRequest{TenantID: "t9", Client: systemClient(h)})
	again, err := h.syncer.CompleteConnect(ctx, "", consent(t, u2))
	if err != nil || again.RevokeErr != nil {
		t.Fatalf("reconnect: %v / %v", err, again.RevokeErr)
	}
	if n := h.org.ActiveRefreshTokens(); n != before {
		t.Fatalf("%d active refresh tokens after a reconnect, want %d (the old one revoked)", n, before)
	}
	st, err := h.syncer.Status(ctx, "t9")
	if err != nil || !st.Connected || st.Connection.OrgID != h.org.ID() {
		t.Fatalf("status %+v, %v", st, err)
	}

	// Events work for the new tenant.
	c := chat("c-t9", visitor("t9"))
	c.TenantID = "t9"
	h.host.PutChat(c)
	if _, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatEnded, c)); err != nil {
		t.Fatal(err)
	}

	// Disconnect: revoked at Zoho, removed; events send nothing.
	if err := h.syncer.Disconnect(ctx, "t9"); err != nil {
		t.Fatal(err)
	}
	if n := h.org.ActiveRefreshTokens(); n != before-1 {
		t.Fatalf("%d active refresh tokens after disconnect, want %d", n, before-1)
	}
	calls := len(h.srv.Calls())
	res, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatEnded, c))
	if err != nil || res.Skipped == "" || len(h.srv.Calls()) != calls {
		t.Fatalf("after disconnect: %+v, %v", res, err)
	}
	if st, _ := h.syncer.Status(ctx, "t9"); st.Connected {
		t.Fatal("still connected")
	}
	if err := h.syncer.Disconnect(ctx, "t9"); err != nil {
		t.Fatalf("disconnecting twice: %v", err)
	}
}

func TestConnectErrors(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	var ce *cxsync.ConnectError
	kind := func(err error) cxsync.ConnectErrorKind {
		if errors.As(err, &ce) {
			return ce.Kind
		}
		return ""
	}
	newState := func() string {
		u, err := h.syncer.ConnectURL(ctx, cxsync.ConnectRequest{TenantID: "t5", Client: systemClient(h)})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := url.Parse(u)
		return p.Query().Get("state")
	}
	// Access denied.
	_, err := h.syncer.CompleteConnect(ctx, "", url.Values{"state": {newState()}, "error": {"access_denied"}})
	if kind(err) != cxsync.ConnectAccessDenied {
		t.Fatalf("access denied: %v", err)
	}
	// Tampered state.
	if _, err := h.syncer.CompleteConnect(ctx, "", url.Values{"state": {newState() + "x"}, "code": {"c"}}); kind(err) != cxsync.ConnectStateInvalid {
		t.Fatalf("tampered state: %v", err)
	}
	// A foreign accounts server: refused, no request sent there.
	_, err = h.syncer.CompleteConnect(ctx, "", url.Values{"state": {newState()}, "code": {"c"}, "accounts-server": {"https://accounts.evil.example"}})
	if k := kind(err); k != cxsync.ConnectWrongDataCenter {
		t.Fatalf("foreign accounts server: %q %v", k, err)
	}
	// Location contradicting the accounts server.
	_, err = h.syncer.CompleteConnect(ctx, "", url.Values{"state": {newState()}, "code": {"c"}, "location": {"eu"}, "accounts-server": {"https://accounts.zoho.com"}})
	if k := kind(err); k != cxsync.ConnectWrongDataCenter {
		t.Fatalf("contradicting location: %q %v", k, err)
	}
	// An unknown code at the (fake) accounts server.
	_, err = h.syncer.CompleteConnect(ctx, "", url.Values{"state": {newState()}, "code": {"1000.nope"}, "accounts-server": {h.srv.URL()}})
	if k := kind(err); k != cxsync.ConnectInvalidCode {
		t.Fatalf("invalid code: %q %v", k, err)
	}
}

func TestConnectStateExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	h := newHarness(t)
	s, err := cxsync.New(cxsync.Config{Store: h.store, Clock: clock, OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
		return &zoho.OAuthConfig{ClientID: h.srv.ClientID(), ClientSecret: h.srv.ClientSecret(), Endpoints: zoho.Endpoints{API: h.srv.URL(), Accounts: h.srv.URL()}, RedirectURL: "https://app.example/cb"}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.ConnectURL(t.Context(), cxsync.ConnectRequest{TenantID: "t6", Client: systemClient(h)})
	if err != nil {
		t.Fatal(err)
	}
	q := consent(t, u)
	now = now.Add(cxsync.ConnectStateTTL)
	var ce *cxsync.ConnectError
	if _, err := s.CompleteConnect(t.Context(), "", q); !errors.As(err, &ce) || ce.Kind != cxsync.ConnectStateInvalid {
		t.Fatalf("expired state: %v", err)
	}
}

func TestManualCreateTwiceIsOneRecord(t *testing.T) {
	h := newHarness(t)
	st := rules.DefaultSettings()
	st.Mode = rules.Manual
	h.settings("t1", st)
	c := chat("c-manual", visitor("manual"))
	h.host.PutChat(c)
	for i := range 2 {
		res, err := h.syncer.CreateCase(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && (res.Person.Outcome != cxsync.Found || res.Record.Outcome != cxsync.Found) {
			t.Fatalf("second create: %+v %+v", res.Person, res.Record)
		}
	}
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d cases", n)
	}
	// A Lead for the same chat, on demand, though Web Chat is Support.
	res, err := h.syncer.CreateLead(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID})
	if err != nil || res.Person.Module != "Leads" {
		t.Fatalf("lead: %+v %v", res.Person, err)
	}
	// Lookup finds the Contact, with a link.
	lk, err := h.syncer.Lookup(t.Context(), "t1", cloudcx.SectionWebChat, c.Visitor)
	if err != nil || lk.Person == nil || lk.Person.Module != "Contacts" {
		t.Fatalf("lookup %+v %v", lk, err)
	}
	miss, err := h.syncer.Lookup(t.Context(), "t1", cloudcx.SectionWebChat, visitor("nobody-here"))
	if err != nil || miss.Person != nil {
		t.Fatalf("lookup miss %+v %v", miss, err)
	}
}

func TestFailedStepListedAndRetried(t *testing.T) {
	h := newHarness(t)
	// Zoho refuses the Case for good (an administrator must fix a mandatory field).
	rule, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Status: 400, Code: "MANDATORY_NOT_FOUND", Message: "required field not found"})
	if err != nil {
		t.Fatal(err)
	}
	c := chat("c-fail", visitor("fail"))
	h.host.PutChat(c)
	_, err = h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c))
	if cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("Handle = %v, want a permanent error", err)
	}
	status, _ := h.syncer.Status(t.Context(), "t1")
	if status.FailedSteps != 1 {
		t.Fatalf("failed steps %d", status.FailedSteps)
	}
	steps, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10)
	if len(steps) != 1 || steps[0].Err == nil || !contains(steps[0].Err.Message, "MANDATORY_NOT_FOUND") && !contains(steps[0].Err.Code, "MANDATORY_NOT_FOUND") {
		t.Fatalf("failed steps: %+v", steps)
	}
	// Redelivery does not retry a failed step by itself.
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("redelivered: %v", err)
	}
	rule.Remove() // the administrator fixes it
	listings := h.srv.CallCount("GET", "/crm/v2/Cases")
	if _, err := h.syncer.RetryFailed(t.Context(), steps[0].Key); err != nil {
		t.Fatal(err)
	}
	// Zoho refused every insert of the step: nothing of it is in Zoho, and nothing is looked for.
	if n := h.srv.CallCount("GET", "/crm/v2/Cases") - listings; n != 0 {
		t.Fatalf("the retry of a step Zoho only ever refused listed Cases %d times, want 0", n)
	}
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d cases", n)
	}
	if status, _ := h.syncer.Status(t.Context(), "t1"); status.FailedSteps != 0 {
		t.Fatalf("failed steps after the retry: %d", status.FailedSteps)
	}
}

// A refresh token obtained outside the consent flow (a self-client's) connects a tenant too; a
// refresh token Zoho does not know is a typed failure and stores nothing.
func TestConnectRefreshToken(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	// Too few scopes: refused, and the host's token is not revoked (it is theirs).
	var ce *cxsync.ConnectError
	narrow := h.org.IssueRefreshToken("ZohoCRM.modules.ALL")
	before := h.org.ActiveRefreshTokens()
	if _, err := h.syncer.ConnectRefreshToken(ctx, "t8", systemClient(h), &zoho.Token{RefreshToken: narrow, AccountsServer: h.srv.URL()}); !errors.As(err, &ce) || ce.Kind != cxsync.ConnectMissingScopes {
		t.Fatalf("narrow token: %v", err)
	}
	if h.org.ActiveRefreshTokens() != before {
		t.Fatal("the host's refresh token was revoked")
	}
	got, err := h.syncer.ConnectRefreshToken(ctx, "t8", systemClient(h), &zoho.Token{RefreshToken: h.org.IssueRefreshToken(zoho.DefaultScopes()...), AccountsServer: h.srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if got.Connection.OrgID != h.org.ID() || got.Connection.UserEmail != h.org.CurrentUser().Email {
		t.Fatalf("connection %+v", got.Connection)
	}
	if st, err := h.syncer.Status(ctx, "t8"); err != nil || !st.Connected {
		t.Fatalf("status %+v %v", st, err)
	}
	if _, err := h.syncer.ConnectRefreshToken(ctx, "t10", systemClient(h), &zoho.Token{RefreshToken: "1000.unknown", AccountsServer: h.srv.URL()}); !errors.As(err, &ce) || ce.Kind != cxsync.ConnectFailed {
		t.Fatalf("unknown refresh token: %v", err)
	}
	if st, _ := h.syncer.Status(ctx, "t10"); st.Connected {
		t.Fatal("a failed connect stored a connection")
	}
	if _, err := h.syncer.ConnectRefreshToken(ctx, "t10", systemClient(h), &zoho.Token{RefreshToken: "1000.x", AccountsServer: "https://accounts.evil.example"}); !errors.As(err, &ce) || ce.Kind != cxsync.ConnectWrongDataCenter {
		t.Fatalf("foreign accounts server: %v", err)
	}
}

// The state is bound to the administrator's session: a callback arriving in another session is
// refused (and spends the state), the right session connects; the host's OAuth client lookup is
// told which tenant every client is for.
func TestConnectBoundToSessionAndTenantNamedToTheHost(t *testing.T) {
	h := newHarness(t)
	var mu gosync.Mutex
	var refs []cxsync.OAuthClientRef
	s := newSyncerWith(t, h, func(c *cxsync.Config) {
		inner := c.OAuthClient
		c.OAuthClient = func(ctx context.Context, ref cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			mu.Lock()
			refs = append(refs, ref)
			mu.Unlock()
			return inner(ctx, ref)
		}
	})
	ctx := t.Context()
	req := cxsync.ConnectRequest{TenantID: "t-sess", Client: systemClient(h), Session: "admin-session-1"}
	u, err := s.ConnectURL(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	q := consent(t, u)
	for _, other := range []string{"", "admin-session-2"} {
		u, _ := s.ConnectURL(ctx, req)
		var ce *cxsync.ConnectError
		if _, err := s.CompleteConnect(ctx, other, consent(t, u)); !errors.As(err, &ce) || ce.Kind != cxsync.ConnectStateInvalid {
			t.Fatalf("callback in session %q: %v", other, err)
		}
	}
	if _, err := s.CompleteConnect(ctx, "admin-session-1", q); err != nil {
		t.Fatal(err)
	}
	if err := s.Disconnect(ctx, "t-sess"); err != nil && !errors.Is(err, cxsync.ErrRevokeFailed) {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(refs) < 3 {
		t.Fatalf("%d OAuth client lookups", len(refs))
	}
	for _, r := range refs {
		if r.TenantID != "t-sess" {
			t.Fatalf("OAuth client asked for %+v, without the tenant", r)
		}
	}
}

// When Zoho does not list the scopes granted, connect probes them: the attachments scope is
// probed on an org without a single record, and a missing modules scope is not blamed on the
// search or attachments scopes (their calls fail for want of it whatever else is granted).
func TestConnectProbesScopesZohoDidNotList(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	empty, err := h.srv.AddOrg(zohotest.OrgConfig{Name: "Empty Org"})
	if err != nil {
		t.Fatal(err)
	}
	without := func(drop ...string) []string {
		var out []string
	next:
		for _, s := range zoho.DefaultScopes() {
			for _, d := range drop {
				if s == d {
					continue next
				}
			}
			out = append(out, s)
		}
		return out
	}
	perModule := []string{"ZohoCRM.modules.leads.ALL", "ZohoCRM.modules.contacts.ALL", "ZohoCRM.modules.accounts.ALL",
		"ZohoCRM.modules.cases.ALL", "ZohoCRM.modules.tasks.ALL"}
	for _, tc := range []struct {
		name            string
		drop, add, want []string
	}{
		// ZohoCRM.modules.ALL covers attachments; a grant per module does not.
		{"attachments on an empty org", []string{"ZohoCRM.modules.ALL", "ZohoCRM.modules.attachments.ALL"}, perModule, []string{"ZohoCRM.modules.attachments.ALL"}},
		{"modules only", []string{"ZohoCRM.modules.ALL"}, nil, []string{"ZohoCRM.modules.ALL"}},
		{"search only", []string{"ZohoSearch.securesearch.READ"}, nil, []string{"ZohoSearch.securesearch.READ"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSyncerAt(t, h, nil, append(without(tc.drop...), tc.add...))
			u, err := s.ConnectURL(ctx, cxsync.ConnectRequest{TenantID: "t-probe", Client: systemClient(h)})
			if err != nil {
				t.Fatal(err)
			}
			// Zoho's code-exchange answer lists no scope (the fake's neither): connect probes.
			_, err = s.CompleteConnect(ctx, "", consent(t, u+"&zohotest_org="+url.QueryEscape(empty.ID())))
			var ce *cxsync.ConnectError
			if !errors.As(err, &ce) || ce.Kind != cxsync.ConnectMissingScopes {
				t.Fatalf("connect without %v: %v, want ConnectMissingScopes", tc.drop, err)
			}
			if !slices.Equal(ce.Missing, tc.want) {
				t.Fatalf("missing %v, want %v", ce.Missing, tc.want)
			}
		})
	}
}
