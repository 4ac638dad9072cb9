package owner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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

func (s *gatedSource) activeMembers(ctx context.Context) ([]member, bool, error) {
	n := int(s.lists.Add(1))
	s.mu.Lock()
	users := append([]member(nil), s.users...)
	s.mu.Unlock()
	if n <= len(s.gates) {
		select {
		case <-s.gates[n-1]:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	return users, true, nil
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

// 50,000 tiny tenants through a resolver of 1,000: the cache never holds more than 1,000, the
// map and the LRU list agree, no goroutine is left behind, and the heap does not grow with the
// number of tenants seen.
func TestManyTenantsStayBounded(t *testing.T) {
	const tenants, maxTenants = 50_000, 1_000
	src := &fakeSource{users: []member{alice, admin}}
	r, _ := newTestResolver(t, Config{MaxTenants: maxTenants})
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	goroutines := runtime.NumGoroutine()
	var base uint64
	for i := range tenants {
		email := ""
		if i%2 == 0 {
			email = "alice@example.com" // a listing, cached
		}
		if _, err := r.resolve(t.Context(), fmt.Sprint("tenant-", i), src, email, "900"); err != nil {
			t.Fatal(err)
		}
		if i == 2*maxTenants {
			base = heap()
		}
		if i%5_000 == 0 {
			r.mu.Lock()
			n, m := r.lru.Len(), len(r.tenants)
			r.mu.Unlock()
			if n > maxTenants || n != m {
				t.Fatalf("after %d tenants: list %d, map %d, want ≤ %d and equal", i+1, n, m, maxTenants)
			}
		}
	}
	if n := r.cachedTenants(); n != maxTenants {
		t.Fatalf("cached tenants = %d, want %d", n, maxTenants)
	}
	if grew := int64(heap()) - int64(base); grew > 4<<20 {
		t.Errorf("heap grew by %d bytes over 48,000 tenants beyond the cache's size", grew)
	}
	waitFor(t, "the listing goroutines to end", func() bool { return runtime.NumGoroutine() <= goroutines })
	if n := src.lists.Load(); n != tenants/2 {
		t.Errorf("listings = %d, want %d", n, tenants/2)
	}
}

// A tenant with more users than MaxUsersPerTenant caches only that many, and rejected users
// (ForgetUser with any ids, however many) stay within the same bound.
func TestUsersPerTenantBounded(t *testing.T) {
	const maxUsers = 100
	src := &fakeSource{}
	for i := range 1_000 {
		src.users = append(src.users, member{id: fmt.Sprint(10_000 + i), email: fmt.Sprintf("agent%d@example.com", i)})
	}
	r, _ := newTestResolver(t, Config{MaxUsersPerTenant: maxUsers})
	if res := mustResolve(t, r, src, "agent99@example.com", "900"); res.UserID != "10099" || res.Rule != RuleAgentMatch {
		t.Fatalf("within the bound: got %+v", res)
	}
	if res := mustResolve(t, r, src, "agent100@example.com", "900"); res.UserID != "900" || res.Rule != RuleConnectingUser {
		t.Fatalf("past the bound: got %+v", res)
	}
	for i := range 10_000 {
		r.ForgetUser("t1", fmt.Sprint("rejected-", i))
	}
	st := r.tenantState("t1")
	st.mu.Lock()
	users, emails, rejected, complete := len(st.byID), len(st.byEmail), len(st.rejected), st.complete
	st.mu.Unlock()
	if users != maxUsers || emails != maxUsers || complete {
		t.Fatalf("cached %d users, %d emails, complete %v; want %d, %d, false", users, emails, complete, maxUsers, maxUsers)
	}
	if rejected > maxUsers {
		t.Fatalf("%d rejections kept, want ≤ %d", rejected, maxUsers)
	}
	// The newest rejection is among those kept.
	if res := mustResolve(t, r, src, "agent5@example.com", "rejected-9999"); res.UserID != "10005" {
		t.Fatalf("got %+v", res)
	}
	if _, err := r.resolve(t.Context(), "t1", src, "", "rejected-9999"); !errors.Is(err, ErrNoOwner) {
		t.Fatalf("the last rejected user: err = %v, want ErrNoOwner", err)
	}
}

// Forget while a listing is in flight: the callers waiting for it are answered from it, but its
// result is not kept; callers after the Forget list again and see the org as it is now, even
// when the old listing ends last.
func TestForgetDuringListing(t *testing.T) {
	src := newGatedSource(2, alice, admin)
	r, _ := newTestResolver(t, Config{})
	type answer struct {
		res Result
		err error
	}
	first, second := make(chan answer, 1), make(chan answer, 1)
	go func() {
		res, err := r.resolve(t.Context(), "t1", src, "alice@example.com", "900")
		first <- answer{res, err}
	}()
	waitFor(t, "the first listing", func() bool { return src.lists.Load() == 1 })
	r.Forget("t1")
	src.set(func(f *fakeSource) { f.users = []member{admin} }) // Alice is deactivated
	go func() {
		res, err := r.resolve(t.Context(), "t1", src, "alice@example.com", "900")
		second <- answer{res, err}
	}()
	waitFor(t, "the second listing", func() bool { return src.lists.Load() == 2 })
	close(src.gates[1])
	if a := <-second; a.err != nil || a.res.UserID != "900" || a.res.Reason != ReasonNoMatch {
		t.Fatalf("after Forget: got %+v, %v", a.res, a.err)
	}
	close(src.gates[0])
	if a := <-first; a.err != nil || a.res.UserID != "100" {
		t.Fatalf("the caller waiting for the old listing: got %+v, %v", a.res, a.err)
	}
	if res := mustResolve(t, r, src, "alice@example.com", "900"); res.UserID != "900" {
		t.Fatalf("the old listing's result was kept: got %+v", res)
	}
	if n := src.lists.Load(); n != 2 {
		t.Fatalf("listings = %d, want 2", n)
	}
}

// Forget while the connecting user is being fetched: likewise, the fetch answers its callers
// but is not remembered.
func TestForgetDuringCurrentUserFetch(t *testing.T) {
	src := &blockingCurrent{fakeSource: fakeSource{current: admin}, release: make(chan struct{})}
	r, _ := newTestResolver(t, Config{})
	done := make(chan Result, 1)
	go func() {
		res, err := r.resolve(t.Context(), "t1", src, "", "")
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	waitFor(t, "the fetch", func() bool { return src.currents.Load() == 1 })
	r.Forget("t1")
	other := member{id: "77", email: "owner@other.example"}
	src.set(func(f *fakeSource) { f.current = other })
	close(src.release)
	if res := <-done; res.UserID != "900" {
		t.Fatalf("the waiting caller: got %+v", res)
	}
	if res := mustResolve(t, r, src, "", ""); res.UserID != "77" {
		t.Fatalf("after Forget: got %+v", res)
	}
	if n := src.currents.Load(); n != 2 {
		t.Fatalf("current-user fetches = %d, want 2", n)
	}
}

// blockingCurrent holds its first current-user fetch until release closes, then answers with
// the user it held when the fetch began.
type blockingCurrent struct {
	fakeSource
	release chan struct{}
}

func (s *blockingCurrent) currentMember(ctx context.Context) (member, bool, error) {
	n := s.currents.Add(1)
	s.mu.Lock()
	m := s.current
	s.mu.Unlock()
	if n == 1 {
		<-s.release
	}
	return m, true, nil
}
