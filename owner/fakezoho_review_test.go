package owner_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/owner"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// An agent's email matches Zoho's whatever the case on either side and the spaces around it.
func TestFakeZohoEmailCaseAndSpaces(t *testing.T) {
	f := newFake(t)
	anna, err := f.org.AddUser(zohotest.User{Email: "anna.kingsley@zylker.example", FirstName: "Anna", LastName: "Kingsley"})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := newResolver(t, owner.Config{})
	for _, email := range []string{" Anna.Kingsley@Zylker.example ", "ANNA.KINGSLEY@ZYLKER.EXAMPLE", "\tanna.kingsley@zylker.example\r\n", "\u00a0Anna.Kingsley@Zylker.example\u2003"} {
		req := f.request(email)
		req.ConnectingUserID = adminID
		res, err := r.Resolve(t.Context(), req)
		want := owner.Result{UserID: anna.ID, Email: "anna.kingsley@zylker.example", Name: "Anna Kingsley", Rule: owner.RuleAgentMatch, Reason: owner.ReasonAgentMatch}
		if err != nil || res != want {
			t.Errorf("%q: got %+v, %v\nwant %+v", email, res, err, want)
		}
	}
	// Not a looser match than that: another address of the domain, or a prefix, falls back.
	for _, email := range []string{"anna.kingsley@zylker.example.org", "anna.kingsley@zylker", "anna kingsley@zylker.example"} {
		req := f.request(email)
		req.ConnectingUserID = adminID
		if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != adminID || res.Rule != owner.RuleConnectingUser {
			t.Errorf("%q: got %+v, %v, want the fallback", email, res, err)
		}
	}
}

// 100 concurrent resolves on a cold cache, when the connection did not record the connecting
// user: matches, misses and chats without an agent together cost one listing and one fetch of
// the current user, and each result states its rule.
func TestFakeZohoSingleFlightUnknownConnectingUser(t *testing.T) {
	f := newFake(t, zohotest.WithLatency(50*time.Millisecond))
	r, _ := newResolver(t, owner.Config{})
	start(100, func(i int) {
		var email string
		want := owner.Result{UserID: adminID, Email: "admin@zylker.example", Name: "Patricia Boyle", Rule: owner.RuleConnectingUser}
		switch i % 4 {
		case 0:
			email = "amelia.burrows@zylker.example"
			want = owner.Result{UserID: ameliaID, Email: "Amelia.Burrows@zylker.example", Name: "Amelia Burrows", Rule: owner.RuleAgentMatch, Reason: owner.ReasonAgentMatch}
		case 1:
			email, want.Reason = fmt.Sprintf("stranger%d@elsewhere.example", i), owner.ReasonNoMatch
		case 2:
			email, want.Reason = "ben@zylker.example", owner.ReasonNoMatch // inactive
		case 3:
			want.Reason = owner.ReasonNoAgent
		}
		res, err := r.Resolve(t.Context(), f.request(email))
		if err != nil || res != want {
			t.Errorf("resolve %d (%q): got %+v, %v\nwant %+v", i, email, res, err, want)
		}
	})()
	if l, c := f.usersCalls(zoho.ActiveUsers), f.usersCalls(zoho.CurrentUser); l != 1 || c != 1 {
		t.Fatalf("listings, current-user fetches = %d, %d, want 1, 1", l, c)
	}
	if n := f.srv.CallCount("GET", "/crm/v2/users"); n != 2 {
		t.Fatalf("users calls = %d, want 2", n)
	}
}

// The caller that started the shared listing gives up: it returns at once with its context's
// error, and the listing goes on to answer the other callers (Zoho answered it: status 200).
func TestFakeZohoStarterCancelsWhileListing(t *testing.T) {
	const latency = time.Second
	f := newFake(t, zohotest.WithLatency(latency))
	r, _ := newResolver(t, owner.Config{})
	req := f.request("amelia.burrows@zylker.example")
	req.ConnectingUserID = adminID

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	starter := make(chan error, 1)
	go func() {
		_, err := r.Resolve(ctx, req)
		starter <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for f.org.InFlight() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the listing never reached the fake Zoho")
		}
		time.Sleep(time.Millisecond)
	}
	wait := start(10, func(i int) {
		if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != ameliaID {
			t.Errorf("waiter %d: got %+v, %v", i, res, err)
		}
	})
	defer wait() // on failure, too: the waiters report to t
	cancel()
	// The starter returns on its cancel, while the shared listing is still at Zoho: ordered by
	// the fake's in-flight count, not by a stopwatch.
	if err := <-starter; !errors.Is(err, context.Canceled) {
		t.Fatalf("starter: err = %v, want context.Canceled", err)
	}
	if f.org.InFlight() == 0 {
		t.Fatal("the cancelled starter returned only after the listing ended, not promptly")
	}
	wait()
	var listings []zohotest.Call
	for _, c := range f.srv.Calls() {
		if c.Path == "/crm/v2/users" {
			listings = append(listings, c)
		}
	}
	if len(listings) != 1 || listings[0].Status != 200 {
		t.Fatalf("users calls = %v, want one answered with 200", listings)
	}
	// The shared listing's result is cached: no further call.
	if res, err := r.Resolve(t.Context(), req); err != nil || res.UserID != ameliaID || f.srv.CallCount("GET", "/crm/v2/users") != 1 {
		t.Fatalf("after: got %+v, %v, %d calls", res, err, f.srv.CallCount("GET", "/crm/v2/users"))
	}
}

// Neither errors nor their formatted forms carry an agent's email or the access token.
func TestFakeZohoErrorsHoldNoEmailOrToken(t *testing.T) {
	f := newFake(t)
	r, _ := newResolver(t, owner.Config{})
	var errs []error

	// The connecting user, fetched (email known), is rejected by Zoho as an owner.
	if _, err := r.Resolve(t.Context(), f.request("stranger@elsewhere.example")); err != nil {
		t.Fatal(err)
	}
	r.ForgetUser("acme", adminID)
	_, err := r.Resolve(t.Context(), f.request("stranger@elsewhere.example"))
	if !errors.Is(err, owner.ErrNoOwner) {
		t.Fatalf("err = %v, want ErrNoOwner", err)
	}
	errs = append(errs, err)

	// The token is revoked: listing and fetching fail with Zoho's error.
	f.org.RevokeTokens()
	r.Forget("acme")
	_, err = r.Resolve(t.Context(), f.request("Amelia.Burrows@zylker.example"))
	if !errors.Is(err, zoho.ErrInvalidToken) {
		t.Fatalf("err = %v, want zoho.ErrInvalidToken", err)
	}
	errs = append(errs, err)
	_, err = r.Resolve(t.Context(), f.request(""))
	if !errors.Is(err, zoho.ErrInvalidToken) {
		t.Fatalf("err = %v, want zoho.ErrInvalidToken", err)
	}
	errs = append(errs, err)

	for _, err := range errs {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			s := strings.ToLower(fmt.Sprintf(verb, err))
			for _, secret := range []string{"stranger@elsewhere", "amelia.burrows", "admin@zylker", strings.ToLower(f.token)} {
				if strings.Contains(s, secret) {
					t.Errorf("%s of %T holds %q: %s", verb, err, secret, s)
				}
			}
		}
	}
}

// An org with more active users than MaxUsersPerTenant: the listing stops after the first page
// that holds MaxUsersPerTenant+1 of them, agents past the cut fall back, and the connecting user
// past the cut is not taken for inactive.
func TestFakeZohoMoreUsersThanMaxUsersPerTenant(t *testing.T) {
	f := newFake(t)
	var ids []string
	for i := range 450 {
		u, err := f.org.AddUser(zohotest.User{Email: fmt.Sprintf("agent%03d@zylker.example", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	r, _ := newResolver(t, owner.Config{MaxUsersPerTenant: 150})
	// The first two active users are the admin and Amelia; agents 0..147 make 150.
	for email, want := range map[string]string{"agent000@zylker.example": ids[0], "agent147@zylker.example": ids[147], "agent148@zylker.example": ids[449], "agent449@zylker.example": ids[449]} {
		req := f.request(email)
		req.ConnectingUserID = ids[449]
		res, err := r.Resolve(t.Context(), req)
		if err != nil || res.UserID != want {
			t.Errorf("%s: got %+v, %v, want %s", email, res, err, want)
		}
	}
	if n := f.usersCalls(zoho.ActiveUsers); n != 1 {
		t.Fatalf("pages listed = %d, want 1", n)
	}
}
