package owner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/owner"
	"github.com/cloudcx/cxzoho/zoho"
	"golang.org/x/oauth2"
)

// usersServer is a minimal stand-in for Zoho's GET /crm/v2/users: it serves users in pages and
// records the query of every call.
type usersServer struct {
	mu      sync.Mutex
	queries []string
	users   []map[string]any
	current map[string]any
	body    []byte // when set, served as is for any listing
	status  int    // when set, the status of every answer (with body)
}

func (s *usersServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, r.URL.Path+"?"+r.URL.RawQuery)
	w.Header().Set("Content-Type", "application/json")
	if s.status != 0 {
		w.WriteHeader(s.status)
		w.Write(s.body)
		return
	}
	if r.URL.Path != "/crm/v2/users" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if q.Get("type") == "CurrentUser" {
		json.NewEncoder(w).Encode(map[string]any{"users": []any{s.current}})
		return
	}
	if s.body != nil {
		w.Write(s.body)
		return
	}
	page, _ := strconv.Atoi(q.Get("page"))
	per, _ := strconv.Atoi(q.Get("per_page"))
	if page < 1 {
		page = 1
	}
	if per < 1 {
		per = 200
	}
	from := min((page-1)*per, len(s.users))
	to := min(from+per, len(s.users))
	json.NewEncoder(w).Encode(map[string]any{
		"users": s.users[from:to],
		"info":  map[string]any{"per_page": per, "count": to - from, "page": page, "more_records": to < len(s.users)},
	})
}

func (s *usersServer) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

func newClient(t *testing.T, h http.Handler) *zoho.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := zoho.NewClient(
		zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}),
		zoho.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "1000.test"})),
		zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: -1}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func user(id, email, status string) map[string]any {
	return map[string]any{"id": id, "email": email, "status": status, "full_name": "User " + id}
}

func TestZohoDirectoryPages(t *testing.T) {
	s := &usersServer{current: user("1", "owner@example.com", "active")}
	s.users = append(s.users, s.current)
	for i := range 449 {
		s.users = append(s.users, user(fmt.Sprint(1000+i), fmt.Sprintf("agent%d@example.com", i), "active"))
	}
	c := newClient(t, s)
	r, err := owner.New(owner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Resolve(t.Context(), owner.Request{Tenant: "t1", Directory: owner.ZohoDirectory(c), AgentEmail: "Agent448@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := owner.Result{UserID: "1448", Email: "agent448@example.com", Name: "User 1448", Rule: owner.RuleAgentMatch, Reason: owner.ReasonAgentMatch}
	if res != want {
		t.Fatalf("got %+v, want %+v", res, want)
	}
	res, err = r.Resolve(t.Context(), owner.Request{Tenant: "t1", Directory: owner.ZohoDirectory(c), AgentEmail: "nobody@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if res.UserID != "1" || res.Rule != owner.RuleConnectingUser || res.Email != "owner@example.com" {
		t.Fatalf("fallback: got %+v", res)
	}
	got := s.calls()
	wantCalls := []string{
		"/crm/v2/users?page=1&per_page=200&type=ActiveUsers",
		"/crm/v2/users?page=2&per_page=200&type=ActiveUsers",
		"/crm/v2/users?page=3&per_page=200&type=ActiveUsers",
		"/crm/v2/users?type=CurrentUser",
	}
	if fmt.Sprint(got) != fmt.Sprint(wantCalls) {
		t.Fatalf("calls:\n%v\nwant\n%v", got, wantCalls)
	}
}

func TestZohoDirectoryCutsLongListings(t *testing.T) {
	s := &usersServer{}
	for i := range 450 {
		s.users = append(s.users, user(fmt.Sprint(1000+i), fmt.Sprintf("agent%d@example.com", i), "active"))
	}
	r, err := owner.New(owner.Config{MaxUsersPerTenant: 150})
	if err != nil {
		t.Fatal(err)
	}
	req := owner.Request{Tenant: "t1", Directory: owner.ZohoDirectory(newClient(t, s)), AgentEmail: "agent3@example.com", ConnectingUserID: "1"}
	if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != "1003" {
		t.Fatalf("got %+v, %v", res, err)
	}
	if n := len(s.calls()); n != 1 {
		t.Fatalf("pages fetched = %d, want 1 (151 users are enough)", n)
	}
	// Past the cap the agent falls back; the connecting user, not cached, is not held inactive.
	req.AgentEmail = "agent300@example.com"
	if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != "1" {
		t.Fatalf("got %+v, %v", res, err)
	}
}

// Zoho's own sample answer holds active, disabled and deleted users: only the active ones own
// records, whatever the listing returns.
func TestZohoDirectoryZohoSample(t *testing.T) {
	body, err := os.ReadFile("testdata/v7docs_get_users_response.json")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, &usersServer{body: body})
	r, err := owner.New(owner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		email, wantID string
		wantRule      owner.Rule
	}{
		{"kim@gmail.com", "5725767000000583032", owner.RuleAgentMatch},
		{" KIM@Gmail.com ", "5725767000000583032", owner.RuleAgentMatch},
		{"ceo@zooho.com", "5725767000000448041", owner.RuleAgentMatch},
		{"john@mail.com", "5725767000000411001", owner.RuleConnectingUser},       // disabled
		{"patricia@zoohoo.com", "5725767000000411001", owner.RuleConnectingUser}, // deleted
		{"stranger@mail.com", "5725767000000411001", owner.RuleConnectingUser},
	}
	for _, tt := range tests {
		res, err := r.Resolve(t.Context(), owner.Request{Tenant: "t1", Directory: owner.ZohoDirectory(c), AgentEmail: tt.email, ConnectingUserID: "5725767000000411001"})
		if err != nil {
			t.Fatalf("%q: %v", tt.email, err)
		}
		if res.UserID != tt.wantID || res.Rule != tt.wantRule {
			t.Errorf("%q: got %+v, want %s by %s", tt.email, res, tt.wantID, tt.wantRule)
		}
	}
	// A disabled user given as the connecting user is known not to be active.
	_, err = r.Resolve(t.Context(), owner.Request{Tenant: "t1", Directory: owner.ZohoDirectory(c), AgentEmail: "stranger@mail.com", ConnectingUserID: "5725767000000583004"})
	if !errors.Is(err, owner.ErrNoOwner) {
		t.Fatalf("disabled connecting user: err = %v, want ErrNoOwner", err)
	}
}

func TestZohoDirectoryErrors(t *testing.T) {
	body, err := os.ReadFile("testdata/v8oas_error_401_oauth_scope_mismatch.json")
	if err != nil {
		t.Fatal(err)
	}
	s := &usersServer{status: http.StatusUnauthorized, body: body}
	r, err := owner.New(owner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	req := owner.Request{Tenant: "t1", Directory: owner.ZohoDirectory(newClient(t, s)), AgentEmail: "kim@gmail.com"}
	_, err = r.Resolve(t.Context(), req)
	var apiErr *zoho.APIError
	if !errors.Is(err, zoho.ErrScopeMismatch) || !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want the zoho scope error", err)
	}
	if _, err := r.Resolve(t.Context(), req); !errors.Is(err, zoho.ErrScopeMismatch) {
		t.Fatalf("second resolve: err = %v", err)
	}
	if n := len(s.calls()); n != 2 {
		t.Fatalf("calls = %d, want 2: the listing and the fallback's current user, each failing once (failures are remembered)", n)
	}
	// Without an agent email the given connecting user needs no call.
	req.AgentEmail, req.ConnectingUserID = "", "42"
	if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != "42" {
		t.Fatalf("got %+v, %v", res, err)
	}
	// The current user cannot be fetched either.
	req.ConnectingUserID = ""
	if _, err := r.Resolve(t.Context(), req); !errors.Is(err, zoho.ErrScopeMismatch) {
		t.Fatalf("current user: err = %v", err)
	}

	nilDir := owner.ZohoDirectory(nil)
	if _, err := nilDir.ActiveUsers(t.Context()); err == nil {
		t.Fatal("nil client: no error")
	}
	if _, err := nilDir.CurrentUser(t.Context()); err == nil {
		t.Fatal("nil client: no error")
	}
}

// dirFunc is a Directory made of functions.
type dirFunc struct {
	active  func(context.Context) ([]*zoho.User, error)
	current func(context.Context) (*zoho.User, error)
}

func (d dirFunc) ActiveUsers(ctx context.Context) ([]*zoho.User, error) { return d.active(ctx) }
func (d dirFunc) CurrentUser(ctx context.Context) (*zoho.User, error)   { return d.current(ctx) }

func TestResolveWithOwnDirectory(t *testing.T) {
	d := dirFunc{
		active: func(context.Context) ([]*zoho.User, error) {
			return []*zoho.User{
				nil,
				{ID: "1", Email: "a@example.com", FirstName: "Ann", LastName: "Lee", Status: "active"},
				{ID: "2", Email: "b@example.com", Status: "inactive"},
				{ID: "", Email: "c@example.com", Status: "active"},
			}, nil
		},
		current: func(context.Context) (*zoho.User, error) { return nil, nil },
	}
	r, err := owner.New(owner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Resolve(t.Context(), owner.Request{Tenant: "t", Directory: d, AgentEmail: "A@example.com", ConnectingUserID: " 1 "})
	if err != nil || res.UserID != "1" || res.Name != "Ann Lee" || res.Rule != owner.RuleAgentMatch {
		t.Fatalf("got %+v, %v", res, err)
	}
	// The inactive user is not an owner, nor is the one without id.
	for _, email := range []string{"b@example.com", "c@example.com"} {
		res, err := r.Resolve(t.Context(), owner.Request{Tenant: "t", Directory: d, AgentEmail: email, ConnectingUserID: "1"})
		if err != nil || res.UserID != "1" || res.Rule != owner.RuleConnectingUser {
			t.Fatalf("%s: got %+v, %v", email, res, err)
		}
	}
	// A Directory that returns no current user.
	if _, err := r.Resolve(t.Context(), owner.Request{Tenant: "t", Directory: d}); err == nil {
		t.Fatal("no current user: no error")
	}
}

func TestResolveBadRequests(t *testing.T) {
	r, err := owner.New(owner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	d := owner.ZohoDirectory(nil)
	for _, req := range []owner.Request{{Directory: d}, {Tenant: "t"}} {
		if _, err := r.Resolve(t.Context(), req); err == nil {
			t.Errorf("Resolve(%+v) succeeded", req)
		}
	}
	var nilCtx context.Context
	if _, err := r.Resolve(nilCtx, owner.Request{Tenant: "t", Directory: d}); err == nil {
		t.Error("nil context accepted")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := r.Resolve(ctx, owner.Request{Tenant: "t", Directory: d, AgentEmail: "a@b.c"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// A listing cut at MaxUsersPerTenant is incomplete even when users Zoho should not have listed
// (not active, without id, listed twice) filled part of the cut: the connecting user past the cut
// is then not known to be inactive. Regression: the cut counted every user listed, so such a
// listing passed for complete and the connecting user was refused with ErrNoOwner.
func TestZohoDirectoryCutCountsOnlyUsableUsers(t *testing.T) {
	for name, head := range map[string][]map[string]any{
		"inactive first":  {user("7", "gone@example.com", "inactive"), user("8", "left@example.com", "deleted")},
		"listed twice":    {user("10", "a@example.com", "active"), user("10", "a@example.com", "active")},
		"without an id":   {user("", "ghost@example.com", "active"), user("", "ghost2@example.com", "active")},
		"no usable users": {user("7", "gone@example.com", "disabled"), user("", "ghost@example.com", "active")},
	} {
		t.Run(name, func(t *testing.T) {
			s := &usersServer{users: append(head,
				user("10", "a@example.com", "active"),
				user("11", "b@example.com", "active"),
				user("1", "owner@example.com", "active"))}
			r, err := owner.New(owner.Config{MaxUsersPerTenant: 2})
			if err != nil {
				t.Fatal(err)
			}
			req := owner.Request{Tenant: "t1", Directory: owner.ZohoDirectory(newClient(t, s)), AgentEmail: "stranger@example.com", ConnectingUserID: "1"}
			res, err := r.Resolve(t.Context(), req)
			if err != nil || res.UserID != "1" || res.Rule != owner.RuleConnectingUser {
				t.Fatalf("got %+v, %v; want the connecting user (the listing was cut)", res, err)
			}
		})
	}
}

// endlessUsers answers every page of the users listing with the same users and more_records
// true: a misbehaving Zoho (or proxy) whose listing never ends.
type endlessUsers struct {
	mu    sync.Mutex
	calls int
	page  []map[string]any
	body  []byte // page, encoded once
}

func (s *endlessUsers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls++
	if s.body == nil {
		s.body, _ = json.Marshal(map[string]any{
			"users": s.page,
			"info":  map[string]any{"per_page": 200, "count": len(s.page), "page": 1, "more_records": true},
		})
	}
	body := s.body
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// A listing that never ends, repeating users Zoho already listed (or listing only users that are
// not active), is stopped soon after MaxUsersPerTenant users plus one page, and counts as cut:
// the connecting user is not refused for missing from it. Regression guard for the count of
// distinct active users, which such a listing never raises.
func TestZohoDirectoryEndlessListing(t *testing.T) {
	for name, page := range map[string][]map[string]any{
		"repeated users": {user("10", "a@example.com", "active"), user("11", "b@example.com", "active")},
		"inactive users": {user("7", "gone@example.com", "inactive")},
	} {
		t.Run(name, func(t *testing.T) {
			s := &endlessUsers{}
			for range 100 {
				s.page = append(s.page, page...)
			}
			r, err := owner.New(owner.Config{MaxUsersPerTenant: 5, ListTimeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			req := owner.Request{Tenant: "t1", Directory: owner.ZohoDirectory(newClient(t, s)), AgentEmail: "a@example.com", ConnectingUserID: "1"}
			res, err := r.Resolve(t.Context(), req)
			want := "10"
			if name == "inactive users" {
				want = "1"
			}
			if err != nil || res.UserID != want {
				t.Fatalf("got %+v, %v, want %s", res, err, want)
			}
			req.AgentEmail = "stranger@example.com"
			if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != "1" {
				t.Fatalf("fallback: got %+v, %v", res, err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.calls > 3 {
				t.Fatalf("%d pages fetched, want at most 3", s.calls)
			}
		})
	}
	// ZohoDirectory.ActiveUsers itself ends too, with each user once.
	s := &endlessUsers{}
	for i := range 200 {
		s.page = append(s.page, user(fmt.Sprint(i%3), "a@example.com", "active"))
	}
	us, err := owner.ZohoDirectory(newClient(t, s)).ActiveUsers(t.Context())
	if err != nil || len(us) != 3 {
		t.Fatalf("ActiveUsers: %d users, %v; want 3", len(us), err)
	}
	if most := (owner.MaxUsersPerTenantLimit+1)/200 + 2; s.calls > most {
		t.Fatalf("ActiveUsers fetched %d pages, want at most %d", s.calls, most)
	}
}

// Issue 12 item 18: a listing Zoho refuses for good (a missing scope) gives the connecting user,
// with the reason and the error, and is not asked again on every chat.
func TestListingRefusedFallsBackToTheConnectingUser(t *testing.T) {
	body, err := os.ReadFile("testdata/v8oas_error_401_oauth_scope_mismatch.json")
	if err != nil {
		t.Fatal(err)
	}
	s := &usersServer{status: http.StatusUnauthorized, body: body}
	r, err := owner.New(owner.Config{})
	if err != nil {
		t.Fatal(err)
	}
	req := owner.Request{Tenant: "t1", Directory: owner.ZohoDirectory(newClient(t, s)), AgentEmail: "kim@gmail.com", ConnectingUserID: "42"}
	for range 3 {
		res, err := r.Resolve(t.Context(), req)
		if err != nil || res.UserID != "42" || res.Rule != owner.RuleConnectingUser || res.Reason != owner.ReasonListingFailed || !errors.Is(res.Err, zoho.ErrScopeMismatch) {
			t.Fatalf("got %+v, %v; want the connecting user because the listing was refused", res, err)
		}
	}
	if n := len(s.calls()); n != 1 {
		t.Fatalf("calls = %d, want 1 (not listed again on every chat)", n)
	}
}
