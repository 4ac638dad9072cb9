package owner

import (
	"context"
	"testing"
	"time"
)

// gatedSource answers its nth listing (from 1) when gates[n-1] closes, with the users it held
// when the listing began. Listings past the gates answer at once.
type gatedSource struct {
	fakeSource
	gates []chan struct{}
}

func newGatedSource(n int, users ...member) *gatedSource {
	s := &gatedSource{fakeSource: fakeSource{users: users}}
	for range n {
		s.gates = append(s.gates, make(chan struct{}))
	}
	return s
}

func (s *gatedSource) activeMembers(ctx context.Context) ([]member, error) {
	n := int(s.lists.Add(1))
	s.mu.Lock()
	users := append([]member(nil), s.users...)
	s.mu.Unlock()
	if n <= len(s.gates) {
		select {
		case <-s.gates[n-1]:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return users, nil
}

// waitFor polls cond until it holds or a few seconds have passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// A tenant whose listing is in flight is not evicted: the callers that come for it later wait
// for that listing rather than start a second one. Regression: with more tenants than
// MaxTenants resolving during a listing, the busy tenant was dropped and listed twice at once.
func TestEvictionKeepsBusyTenants(t *testing.T) {
	a := newGatedSource(1, alice, admin)
	b := &fakeSource{users: []member{bob, admin}}
	r, _ := newTestResolver(t, Config{MaxTenants: 1})

	results := make(chan Result, 2)
	resolveA := func() {
		res, err := r.resolve(t.Context(), "a", a, "alice@example.com", "900")
		if err != nil {
			t.Error(err)
		}
		results <- res
	}
	go resolveA()
	waitFor(t, "tenant a's listing", func() bool { return a.lists.Load() == 1 })
	if _, err := r.resolve(t.Context(), "b", b, "bob@example.com", "900"); err != nil {
		t.Fatal(err)
	}
	go resolveA()
	time.Sleep(20 * time.Millisecond) // let the second caller find tenant a
	close(a.gates[0])
	for range 2 {
		if res := <-results; res.UserID != "100" {
			t.Fatalf("tenant a: got %+v", res)
		}
	}
	if n := a.lists.Load(); n != 1 {
		t.Fatalf("tenant a was listed %d times, want 1 (one listing in flight per tenant)", n)
	}
	// Once idle, the cache shrinks back to MaxTenants at the next new tenant.
	if _, err := r.resolve(t.Context(), "c", b, "", "900"); err != nil {
		t.Fatal(err)
	}
	if n := r.cachedTenants(); n != 1 {
		t.Fatalf("cached tenants = %d, want 1", n)
	}
}
