package owner_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/owner"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
	"golang.org/x/oauth2"
)

// The org every test on the fake Zoho starts from. The first active user connected the tenant.
const (
	adminID  = "4150868000000225013"
	ameliaID = "4150868000000225021"
	benID    = "4150868000000225034"
	doraID   = "4150868000000225047"
)

func orgUsers() []zohotest.User {
	return []zohotest.User{
		{ID: adminID, Email: "admin@zylker.example", FirstName: "Patricia", LastName: "Boyle"},
		{ID: ameliaID, Email: "Amelia.Burrows@zylker.example", FirstName: "Amelia", LastName: "Burrows"},
		{ID: benID, Email: "ben@zylker.example", FirstName: "Ben", LastName: "Ito", Status: "inactive"},
		{ID: doraID, Email: "dora@zylker.example", FirstName: "Dora", LastName: "Kim", Status: "deleted"},
	}
}

type fake struct {
	srv    *zohotest.Server
	org    *zohotest.Org
	client *zoho.Client
	token  string
}

func newFake(t *testing.T, opts ...zohotest.Option) *fake {
	t.Helper()
	srv := zohotest.New(t, opts...)
	org, err := srv.AddOrg(zohotest.OrgConfig{Name: "Zylker", Users: orgUsers()})
	if err != nil {
		t.Fatal(err)
	}
	token := org.IssueAccessToken()
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})
	client, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}))
	if err != nil {
		t.Fatal(err)
	}
	return &fake{srv: srv, org: org, client: client, token: token}
}

// usersCalls counts the calls of GET /crm/v2/users?type=typ.
func (f *fake) usersCalls(typ zoho.UserType) int {
	n := 0
	for _, c := range f.srv.Calls() {
		if c.Method == "GET" && c.Path == "/crm/v2/users" && c.Query.Get("type") == string(typ) {
			n++
		}
	}
	return n
}

func (f *fake) request(email string) owner.Request {
	return owner.Request{Tenant: "acme", Directory: owner.ZohoDirectory(f.client), AgentEmail: email}
}

// testClock is a settable clock for the resolver.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newResolver(t *testing.T, cfg owner.Config) (*owner.Resolver, *testClock) {
	t.Helper()
	clk := &testClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	cfg.Clock = clk.Now
	r, err := owner.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, clk
}

func TestFakeZohoOwnerRule(t *testing.T) {
	f := newFake(t)
	r, _ := newResolver(t, owner.Config{})
	admin := owner.Result{UserID: adminID, Email: "admin@zylker.example", Name: "Patricia Boyle", Rule: owner.RuleConnectingUser}
	tests := []struct {
		name, email string
		want        owner.Result
	}{
		{"match", "Amelia.Burrows@zylker.example",
			owner.Result{UserID: ameliaID, Email: "Amelia.Burrows@zylker.example", Name: "Amelia Burrows", Rule: owner.RuleAgentMatch, Reason: owner.ReasonAgentMatch}},
		{"case and whitespace", "  amelia.burrows@ZYLKER.example \n",
			owner.Result{UserID: ameliaID, Email: "Amelia.Burrows@zylker.example", Name: "Amelia Burrows", Rule: owner.RuleAgentMatch, Reason: owner.ReasonAgentMatch}},
		{"no match", "visitor.agent@elsewhere.example", withReason(admin, owner.ReasonNoMatch)},
		{"inactive", "ben@zylker.example", withReason(admin, owner.ReasonNoMatch)},
		{"deleted", "dora@zylker.example", withReason(admin, owner.ReasonNoMatch)},
		{"no human agent", "", withReason(admin, owner.ReasonNoAgent)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Resolve(t.Context(), f.request(tt.email))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if n := f.usersCalls(zoho.ActiveUsers); n != 1 {
		t.Errorf("ActiveUsers listings = %d, want 1", n)
	}
	if n := f.usersCalls(zoho.CurrentUser); n != 1 {
		t.Errorf("CurrentUser fetches = %d, want 1 (remembered)", n)
	}
}

func withReason(r owner.Result, reason string) owner.Result {
	r.Reason = reason
	return r
}

func TestFakeZohoCacheExpiry(t *testing.T) {
	f := newFake(t)
	r, clk := newResolver(t, owner.Config{TTL: 5 * time.Minute, MinRefreshInterval: 30 * time.Second})
	req := f.request("amelia.burrows@zylker.example")
	req.ConnectingUserID = adminID
	if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != ameliaID {
		t.Fatalf("got %+v, %v", res, err)
	}
	// Amelia is deactivated in Zoho. The cache answers until its TTL ends…
	if err := f.org.SetUserStatus(ameliaID, "inactive"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(5*time.Minute - time.Second)
	if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != ameliaID {
		t.Fatalf("within the TTL: got %+v, %v", res, err)
	}
	if n := f.usersCalls(zoho.ActiveUsers); n != 1 {
		t.Fatalf("listings within the TTL = %d, want 1", n)
	}
	// …then the users are listed again and she no longer owns anything.
	clk.Advance(time.Second)
	res, err := r.Resolve(t.Context(), req)
	if err != nil || res.UserID != adminID || res.Rule != owner.RuleConnectingUser {
		t.Fatalf("after the TTL: got %+v, %v", res, err)
	}
	if n := f.usersCalls(zoho.ActiveUsers); n != 2 {
		t.Fatalf("listings = %d, want 2", n)
	}
}

func TestFakeZohoSingleFlight(t *testing.T) {
	f := newFake(t, zohotest.WithLatency(50*time.Millisecond))
	r, _ := newResolver(t, owner.Config{})
	start(100, func(i int) {
		req := f.request(fmt.Sprintf(" AMELIA.burrows@zylker.example%s", []string{"", " "}[i%2]))
		req.ConnectingUserID = adminID
		res, err := r.Resolve(t.Context(), req)
		if err != nil || res.UserID != ameliaID {
			t.Errorf("resolve %d: %+v, %v", i, res, err)
		}
	})()
	if n := f.usersCalls(zoho.ActiveUsers); n != 1 {
		t.Fatalf("100 concurrent cold resolves made %d listings, want 1", n)
	}
	if n := f.srv.CallCount("GET", "/crm/v2/users"); n != 1 {
		t.Fatalf("users calls = %d, want 1", n)
	}
}

func TestFakeZohoMissStorm(t *testing.T) {
	f := newFake(t, zohotest.WithLatency(10*time.Millisecond))
	r, clk := newResolver(t, owner.Config{TTL: 5 * time.Minute, MinRefreshInterval: 30 * time.Second})
	storm := func(round int) {
		start(100, func(i int) {
			req := f.request(fmt.Sprintf("unknown-%d-%d@elsewhere.example", round, i))
			req.ConnectingUserID = adminID
			res, err := r.Resolve(t.Context(), req)
			if err != nil || res.UserID != adminID || res.Rule != owner.RuleConnectingUser {
				t.Errorf("resolve %d/%d: %+v, %v", round, i, res, err)
			}
		})()
	}
	storm(1) // cold: one listing for all
	storm(2) // fresh listing: no call at all
	clk.Advance(29 * time.Second)
	storm(3)
	if n := f.usersCalls(zoho.ActiveUsers); n != 1 {
		t.Fatalf("300 unknown agents within MinRefreshInterval made %d listings, want 1", n)
	}
	clk.Advance(time.Second)
	storm(4) // MinRefreshInterval has passed: one more listing, shared
	if n := f.usersCalls(zoho.ActiveUsers); n != 2 {
		t.Fatalf("listings = %d, want 2", n)
	}
}

// Zoho rejects an owner deactivated since the listing; the caller forgets that user and the next
// resolve picks the fallback.
func TestFakeZohoInvalidation(t *testing.T) {
	f := newFake(t)
	r, _ := newResolver(t, owner.Config{})
	req := f.request("amelia.burrows@zylker.example")
	res, err := r.Resolve(t.Context(), req)
	if err != nil || res.UserID != ameliaID {
		t.Fatalf("got %+v, %v", res, err)
	}
	if err := f.org.SetUserStatus(ameliaID, "inactive"); err != nil {
		t.Fatal(err)
	}
	insert := func(ownerID string) zoho.RecordResult {
		t.Helper()
		lead := &crm.Lead{LastName: crm.Some("Visitor"), Company: crm.Some("Unknown"), Owner: crm.Some(crm.Lookup{ID: ownerID})}
		results, _, err := f.client.Leads.Insert(t.Context(), []*crm.Lead{lead}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return results[0]
	}
	rejected := insert(res.UserID)
	if !errors.Is(rejected.Err, zoho.ErrInvalidData) || rejected.Details["api_name"] != "Owner" {
		t.Fatalf("insert with a deactivated owner: %v", rejected)
	}
	r.ForgetUser("acme", res.UserID)

	res, err = r.Resolve(t.Context(), req)
	if err != nil || res.UserID != adminID || res.Rule != owner.RuleConnectingUser {
		t.Fatalf("after ForgetUser: got %+v, %v", res, err)
	}
	if n := f.usersCalls(zoho.ActiveUsers); n != 2 {
		t.Fatalf("listings = %d, want 2 (the forgotten user let the next miss list at once)", n)
	}
	if got := insert(res.UserID); got.Err != nil {
		t.Fatalf("insert with the fallback owner: %v", got)
	}

	// Disconnect: everything of the tenant is dropped, the connecting user included.
	r.Forget("acme")
	if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != adminID {
		t.Fatalf("after Forget: got %+v, %v", res, err)
	}
	if l, c := f.usersCalls(zoho.ActiveUsers), f.usersCalls(zoho.CurrentUser); l != 3 || c != 2 {
		t.Fatalf("listings, current-user fetches = %d, %d, want 3, 2", l, c)
	}
}

// Tenants are isolated: each has its own cache, listing and connecting user.
func TestFakeZohoTenants(t *testing.T) {
	f := newFake(t)
	other, err := f.srv.AddOrg(zohotest.OrgConfig{Name: "Other", Users: []zohotest.User{
		{ID: "5000000000000000001", Email: "root@other.example"},
		{ID: "5000000000000000002", Email: "amelia.burrows@zylker.example"}, // same email, other org
	}})
	if err != nil {
		t.Fatal(err)
	}
	otherClient, err := zoho.NewClient(
		zoho.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: other.IssueAccessToken()})),
		zoho.WithEndpoints(zoho.Endpoints{API: f.srv.URL()}))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := newResolver(t, owner.Config{})
	a, errA := r.Resolve(t.Context(), owner.Request{Tenant: "acme", Directory: owner.ZohoDirectory(f.client), AgentEmail: "amelia.burrows@zylker.example"})
	b, errB := r.Resolve(t.Context(), owner.Request{Tenant: "other", Directory: owner.ZohoDirectory(otherClient), AgentEmail: "amelia.burrows@zylker.example"})
	if errA != nil || errB != nil || a.UserID != ameliaID || b.UserID != "5000000000000000002" {
		t.Fatalf("got %+v, %v and %+v, %v", a, errA, b, errB)
	}
	c, err := r.Resolve(t.Context(), owner.Request{Tenant: "other", Directory: owner.ZohoDirectory(otherClient)})
	if err != nil || c.UserID != "5000000000000000001" {
		t.Fatalf("other's connecting user: got %+v, %v", c, err)
	}
}

// The resolver logs what it does for a tenant, never an email or a token.
func TestFakeZohoLogs(t *testing.T) {
	f := newFake(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, _ := newResolver(t, owner.Config{Logger: logger})
	if _, err := r.Resolve(t.Context(), f.request("amelia.burrows@zylker.example")); err != nil {
		t.Fatal(err)
	}
	r.ForgetUser("acme", ameliaID)
	f.org.RevokeTokens()
	r.Forget("acme")
	if _, err := r.Resolve(t.Context(), f.request("amelia.burrows@zylker.example")); !errors.Is(err, zoho.ErrInvalidToken) {
		t.Fatalf("revoked token: err = %v", err)
	}
	out := buf.String()
	for _, want := range []string{"users listed", "user forgotten", "listing users failed", "tenant=acme"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(strings.ToLower(out), "amelia.burrows") || strings.Contains(out, f.token) {
		t.Errorf("log holds an email or a token:\n%s", out)
	}
}

// start runs fn(0)…fn(n-1) on n goroutines and returns a function that waits for them all.
func start(n int, fn func(i int)) (wait func()) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	return wg.Wait
}
