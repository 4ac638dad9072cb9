package owner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeSource is an in-memory stand-in for a tenant's Zoho users.
type fakeSource struct {
	mu       sync.Mutex
	users    []member
	current  member
	inactive bool // current is not active
	listErr  error
	curErr   error
	gate     chan struct{} // when not nil, listings wait for it to close
	panicky  bool

	lists    atomic.Int32
	currents atomic.Int32
}

func (f *fakeSource) activeMembers(ctx context.Context) ([]member, bool, error) {
	f.lists.Add(1)
	if f.panicky {
		panic("boom")
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, false, f.listErr
	}
	return append([]member(nil), f.users...), true, nil
}

func (f *fakeSource) currentMember(ctx context.Context) (member, bool, error) {
	f.currents.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.curErr != nil {
		return member{}, false, f.curErr
	}
	return f.current, !f.inactive, nil
}

func (f *fakeSource) set(fn func(f *fakeSource)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var (
	alice = member{id: "100", email: "Alice@Example.com", name: "Alice Ames"}
	bob   = member{id: "200", email: "bob@example.com", name: "Bob Brown"}
	admin = member{id: "900", email: "admin@example.com", name: "Ada Admin"}
)

func newTestResolver(t *testing.T, cfg Config) (*Resolver, *clock) {
	t.Helper()
	c := newClock()
	if cfg.Clock == nil {
		cfg.Clock = c.Now
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

func mustResolve(t *testing.T, r *Resolver, src source, email, connID string) Result {
	t.Helper()
	res, err := r.resolve(t.Context(), "t1", src, email, connID)
	if err != nil {
		t.Fatalf("resolve(%q, %q): %v", email, connID, err)
	}
	return res
}

func TestResolveRules(t *testing.T) {
	src := &fakeSource{users: []member{alice, bob, admin}, current: admin}
	r, _ := newTestResolver(t, Config{})

	tests := []struct {
		name, email, conn string
		want              Result
	}{
		{"match", "bob@example.com", "900", Result{UserID: "200", Email: "bob@example.com", Name: "Bob Brown", Rule: RuleAgentMatch, Reason: ReasonAgentMatch}},
		{"case and spaces", "  ALICE@example.COM\t", "900", Result{UserID: "100", Email: "Alice@Example.com", Name: "Alice Ames", Rule: RuleAgentMatch, Reason: ReasonAgentMatch}},
		{"no match", "carol@example.com", "900", Result{UserID: "900", Email: "admin@example.com", Name: "Ada Admin", Rule: RuleConnectingUser, Reason: ReasonNoMatch}},
		{"no agent", "", "900", Result{UserID: "900", Email: "admin@example.com", Name: "Ada Admin", Rule: RuleConnectingUser, Reason: ReasonNoAgent}},
		{"blank agent", "   ", "900", Result{UserID: "900", Email: "admin@example.com", Name: "Ada Admin", Rule: RuleConnectingUser, Reason: ReasonNoAgent}},
		{"no match, current user", "carol@example.com", "", Result{UserID: "900", Email: "admin@example.com", Name: "Ada Admin", Rule: RuleConnectingUser, Reason: ReasonNoMatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustResolve(t, r, src, tt.email, tt.conn); got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if n := src.lists.Load(); n != 1 {
		t.Errorf("listings = %d, want 1", n)
	}
	if n := src.currents.Load(); n != 1 {
		t.Errorf("current-user fetches = %d, want 1", n)
	}
}

func TestNoAgentDoesNotList(t *testing.T) {
	src := &fakeSource{users: []member{alice}, current: admin}
	r, _ := newTestResolver(t, Config{})
	for range 5 {
		res := mustResolve(t, r, src, "", "")
		if res.UserID != "900" || res.Rule != RuleConnectingUser {
			t.Fatalf("got %+v", res)
		}
	}
	if n := src.lists.Load(); n != 0 {
		t.Errorf("listings = %d, want 0", n)
	}
	if n := src.currents.Load(); n != 1 {
		t.Errorf("current-user fetches = %d, want 1 (remembered)", n)
	}
}

func TestInactiveUserIsNotAnOwner(t *testing.T) {
	// The source lists active users only; an inactive agent is simply absent.
	src := &fakeSource{users: []member{alice, admin}}
	r, _ := newTestResolver(t, Config{})
	res := mustResolve(t, r, src, "bob@example.com", "900")
	if res.UserID != "900" || res.Rule != RuleConnectingUser || res.Reason != ReasonNoMatch {
		t.Fatalf("got %+v", res)
	}
}

func TestCacheExpiry(t *testing.T) {
	src := &fakeSource{users: []member{alice, admin}}
	r, clk := newTestResolver(t, Config{TTL: time.Minute, MinRefreshInterval: 10 * time.Second})
	mustResolve(t, r, src, "alice@example.com", "900")
	clk.Advance(59 * time.Second)
	mustResolve(t, r, src, "alice@example.com", "900")
	if n := src.lists.Load(); n != 1 {
		t.Fatalf("listings within TTL = %d, want 1", n)
	}
	// Alice is deactivated in Zoho; the next listing after the TTL no longer holds her.
	src.set(func(f *fakeSource) { f.users = []member{admin} })
	clk.Advance(time.Second)
	res := mustResolve(t, r, src, "alice@example.com", "900")
	if n := src.lists.Load(); n != 2 {
		t.Fatalf("listings after TTL = %d, want 2", n)
	}
	if res.UserID != "900" || res.Rule != RuleConnectingUser {
		t.Fatalf("deactivated agent: got %+v", res)
	}
}

func TestSingleFlightCold(t *testing.T) {
	src := &fakeSource{users: []member{alice, admin}, gate: make(chan struct{})}
	r, _ := newTestResolver(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := "alice@example.com"
			if i%2 == 1 {
				email = fmt.Sprintf("agent%d@example.com", i)
			}
			res, err := r.resolve(t.Context(), "t1", src, email, "900")
			switch {
			case err != nil:
				errs <- err
			case i%2 == 0 && res.UserID != "100":
				errs <- fmt.Errorf("resolve %d: got %+v", i, res)
			case i%2 == 1 && res.UserID != "900":
				errs <- fmt.Errorf("resolve %d: got %+v", i, res)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(src.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := src.lists.Load(); n != 1 {
		t.Errorf("listings = %d, want 1", n)
	}
}

func TestMissStorm(t *testing.T) {
	src := &fakeSource{users: []member{alice, admin}}
	r, clk := newTestResolver(t, Config{TTL: 5 * time.Minute, MinRefreshInterval: 30 * time.Second})
	storm := func() {
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := r.resolve(t.Context(), "t1", src, fmt.Sprintf("stranger%d@example.com", i), "900")
				if err != nil || (res.UserID != "900" && res.UserID != "300") {
					t.Errorf("resolve %d: %+v, %v", i, res, err)
				}
			}()
		}
		wg.Wait()
	}
	storm()
	if n := src.lists.Load(); n != 1 {
		t.Fatalf("listings after the first storm = %d, want 1", n)
	}
	clk.Advance(29 * time.Second)
	storm()
	if n := src.lists.Load(); n != 1 {
		t.Fatalf("listings within MinRefreshInterval = %d, want 1", n)
	}
	// A new user joined Zoho; once MinRefreshInterval has passed, a miss lists again, once.
	src.set(func(f *fakeSource) { f.users = append(f.users, member{id: "300", email: "stranger7@example.com"}) })
	clk.Advance(time.Second)
	storm()
	if n := src.lists.Load(); n != 2 {
		t.Fatalf("listings after MinRefreshInterval = %d, want 2", n)
	}
	if res := mustResolve(t, r, src, "stranger7@example.com", "900"); res.UserID != "300" {
		t.Fatalf("new user: got %+v", res)
	}
}

func TestListingFailure(t *testing.T) {
	boom := errors.New("zoho is down")
	src := &fakeSource{users: []member{alice, admin}, listErr: boom}
	r, clk := newTestResolver(t, Config{TTL: time.Minute, MinRefreshInterval: 10 * time.Second})
	for range 3 {
		_, err := r.resolve(t.Context(), "t1", src, "alice@example.com", "900")
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the listing's", err)
		}
	}
	if n := src.lists.Load(); n != 1 {
		t.Fatalf("listings = %d, want 1 (a failure is remembered for MinRefreshInterval)", n)
	}
	// A resolve without an agent email needs no listing.
	if res := mustResolve(t, r, src, "", "900"); res.UserID != "900" {
		t.Fatalf("got %+v", res)
	}
	src.set(func(f *fakeSource) { f.listErr = nil })
	clk.Advance(10 * time.Second)
	if res := mustResolve(t, r, src, "alice@example.com", "900"); res.UserID != "100" {
		t.Fatalf("after recovery: got %+v", res)
	}
	if n := src.lists.Load(); n != 2 {
		t.Fatalf("listings = %d, want 2", n)
	}

	// A refresh caused by a miss fails: the fresh listing still answers, with the fallback.
	src.set(func(f *fakeSource) { f.listErr = boom })
	clk.Advance(10 * time.Second)
	res := mustResolve(t, r, src, "carol@example.com", "900")
	if res.UserID != "900" || res.Reason != ReasonRefreshFailed {
		t.Fatalf("failed refresh: got %+v", res)
	}
	if res := mustResolve(t, r, src, "alice@example.com", "900"); res.UserID != "100" {
		t.Fatalf("hit after failed refresh: got %+v", res)
	}
	if n := src.lists.Load(); n != 3 {
		t.Fatalf("listings = %d, want 3", n)
	}
}

func TestWaiterContextEnds(t *testing.T) {
	src := &fakeSource{users: []member{alice, admin}, gate: make(chan struct{})}
	r, _ := newTestResolver(t, Config{})

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := r.resolve(ctx, "t1", src, "alice@example.com", "900")
		first <- err
	}()
	for src.lists.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan Result, 1)
	go func() {
		res, err := r.resolve(t.Context(), "t1", src, "alice@example.com", "900")
		if err != nil {
			t.Error(err)
		}
		second <- res
	}()
	cancel()
	select {
	case err := <-first:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("first caller: err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the cancelled caller did not return")
	}
	close(src.gate) // the shared listing was not cancelled with the first caller
	if res := <-second; res.UserID != "100" {
		t.Fatalf("second caller: got %+v", res)
	}
	if n := src.lists.Load(); n != 1 {
		t.Fatalf("listings = %d, want 1", n)
	}
}

func TestListTimeout(t *testing.T) {
	src := &fakeSource{users: []member{alice}, gate: make(chan struct{})}
	defer close(src.gate)
	r, err := New(Config{ListTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.resolve(t.Context(), "t1", src, "alice@example.com", "900")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the listing's timeout", err)
	}
}

func TestForgetUser(t *testing.T) {
	src := &fakeSource{users: []member{alice, bob, admin}}
	r, clk := newTestResolver(t, Config{TTL: 5 * time.Minute, MinRefreshInterval: 30 * time.Second})
	if res := mustResolve(t, r, src, "alice@example.com", "900"); res.UserID != "100" {
		t.Fatalf("got %+v", res)
	}
	// Zoho rejected Alice as an owner (deactivated since the listing). Zoho still lists her.
	r.ForgetUser("t1", "100")
	res := mustResolve(t, r, src, "alice@example.com", "900")
	if res.UserID != "900" || res.Reason != ReasonRejected {
		t.Fatalf("after ForgetUser: got %+v", res)
	}
	if n := src.lists.Load(); n != 2 {
		t.Fatalf("listings = %d, want 2 (a forgotten user lets the next miss list at once)", n)
	}
	// Forgetting again does not re-arm a listing; other agents are unaffected.
	r.ForgetUser("t1", "100")
	mustResolve(t, r, src, "alice@example.com", "900")
	if res := mustResolve(t, r, src, "bob@example.com", "900"); res.UserID != "200" {
		t.Fatalf("bob: got %+v", res)
	}
	if n := src.lists.Load(); n != 2 {
		t.Fatalf("listings = %d, want 2", n)
	}
	// A new Zoho user took Alice's email: after a forget, the next miss finds it.
	src.set(func(f *fakeSource) {
		f.users = []member{{id: "101", email: "alice@example.com", name: "Alice Ames"}, bob, admin}
	})
	r.ForgetUser("t1", "200")
	if res := mustResolve(t, r, src, "alice@example.com", "900"); res.UserID != "101" || res.Rule != RuleAgentMatch {
		t.Fatalf("new alice: got %+v", res)
	}
	// The rejection lasts one TTL.
	src.set(func(f *fakeSource) { f.users = []member{alice, bob, admin} })
	clk.Advance(5 * time.Minute)
	if res := mustResolve(t, r, src, "alice@example.com", "900"); res.UserID != "100" {
		t.Fatalf("after the rejection expired: got %+v", res)
	}
	r.ForgetUser("nobody", "100") // unknown tenant: no effect, no panic
	r.ForgetUser("t1", "")
}

func TestForgetConnectingUser(t *testing.T) {
	src := &fakeSource{users: []member{alice, admin}, current: admin}
	r, _ := newTestResolver(t, Config{})
	mustResolve(t, r, src, "carol@example.com", "")
	r.ForgetUser("t1", "900")
	for _, conn := range []string{"", "900"} {
		_, err := r.resolve(t.Context(), "t1", src, "carol@example.com", conn)
		if !errors.Is(err, ErrNoOwner) {
			t.Fatalf("conn %q: err = %v, want ErrNoOwner", conn, err)
		}
	}
	// The agent's own match is unaffected.
	if res := mustResolve(t, r, src, "alice@example.com", ""); res.UserID != "100" {
		t.Fatalf("got %+v", res)
	}
}

func TestForgetTenant(t *testing.T) {
	src := &fakeSource{users: []member{alice, admin}, current: admin}
	r, _ := newTestResolver(t, Config{})
	mustResolve(t, r, src, "alice@example.com", "")
	mustResolve(t, r, src, "", "")
	r.Forget("t1")
	r.Forget("t1") // twice is fine
	// Reconnected, to another org where the token's user differs.
	other := member{id: "77", email: "owner@other.example"}
	src.set(func(f *fakeSource) { f.users = []member{other}; f.current = other })
	if res := mustResolve(t, r, src, "alice@example.com", ""); res.UserID != "77" || res.Rule != RuleConnectingUser {
		t.Fatalf("got %+v", res)
	}
	if l, c := src.lists.Load(), src.currents.Load(); l != 2 || c != 2 {
		t.Fatalf("listings, current fetches = %d, %d, want 2, 2", l, c)
	}
}

func TestConnectingUser(t *testing.T) {
	t.Run("fetched once, concurrently", func(t *testing.T) {
		src := &fakeSource{current: admin}
		r, _ := newTestResolver(t, Config{})
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := r.resolve(t.Context(), "t1", src, "", "")
				if err != nil || res.UserID != "900" || res.Email != "admin@example.com" {
					t.Errorf("got %+v, %v", res, err)
				}
			}()
		}
		wg.Wait()
		if n := src.currents.Load(); n != 1 {
			t.Fatalf("current-user fetches = %d, want 1", n)
		}
	})
	t.Run("inactive", func(t *testing.T) {
		src := &fakeSource{current: admin, inactive: true}
		r, _ := newTestResolver(t, Config{})
		_, err := r.resolve(t.Context(), "t1", src, "", "")
		if !errors.Is(err, ErrNoOwner) {
			t.Fatalf("err = %v, want ErrNoOwner", err)
		}
	})
	t.Run("fetch fails, remembered for MinRefreshInterval", func(t *testing.T) {
		boom := errors.New("boom")
		src := &fakeSource{current: admin, curErr: boom}
		r, clk := newTestResolver(t, Config{MinRefreshInterval: 10 * time.Second})
		for range 3 {
			if _, err := r.resolve(t.Context(), "t1", src, "", ""); !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
		}
		src.set(func(f *fakeSource) { f.curErr = nil })
		clk.Advance(10 * time.Second)
		if res := mustResolve(t, r, src, "", ""); res.UserID != "900" {
			t.Fatalf("got %+v", res)
		}
		if n := src.currents.Load(); n != 2 {
			t.Fatalf("current-user fetches = %d, want 2", n)
		}
	})
	t.Run("given id not among active users", func(t *testing.T) {
		src := &fakeSource{users: []member{alice}}
		r, _ := newTestResolver(t, Config{})
		_, err := r.resolve(t.Context(), "t1", src, "carol@example.com", "900")
		if !errors.Is(err, ErrNoOwner) {
			t.Fatalf("err = %v, want ErrNoOwner", err)
		}
		// Without a listing nothing is known against it.
		r.Forget("t1")
		if res := mustResolve(t, r, src, "", "900"); res.UserID != "900" || res.Email != "" {
			t.Fatalf("got %+v", res)
		}
	})
	t.Run("given id, listing cut short", func(t *testing.T) {
		src := &fakeSource{users: []member{alice, bob, admin}}
		r, _ := newTestResolver(t, Config{MaxUsersPerTenant: 1})
		// Only alice is cached: the listing is incomplete, so admin is not known inactive.
		if res := mustResolve(t, r, src, "bob@example.com", "900"); res.UserID != "900" {
			t.Fatalf("got %+v", res)
		}
		if res := mustResolve(t, r, src, "alice@example.com", "900"); res.UserID != "100" {
			t.Fatalf("got %+v", res)
		}
	})
}

func TestMaxTenants(t *testing.T) {
	src := &fakeSource{users: []member{alice}}
	r, _ := newTestResolver(t, Config{MaxTenants: 3})
	for i := range 10 {
		if _, err := r.resolve(t.Context(), fmt.Sprint("tenant", i), src, "alice@example.com", "1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.cachedTenants(); n != 3 {
		t.Fatalf("cached tenants = %d, want 3", n)
	}
	// The most recent tenants are still cached; the first was evicted.
	before := src.lists.Load()
	mustResolveTenant := func(key string) {
		if _, err := r.resolve(t.Context(), key, src, "alice@example.com", "1"); err != nil {
			t.Fatal(err)
		}
	}
	mustResolveTenant("tenant9")
	if src.lists.Load() != before {
		t.Fatal("a recent tenant was listed again")
	}
	mustResolveTenant("tenant0")
	if src.lists.Load() != before+1 {
		t.Fatal("an evicted tenant was not listed again")
	}
}

func TestDuplicateAndBlankUsers(t *testing.T) {
	src := &fakeSource{users: []member{
		{id: "", email: "ghost@example.com"},
		{id: "1", email: "Same@example.com"},
		{id: "2", email: " same@EXAMPLE.com "},
		{id: "1", email: "Same@example.com"},
		{id: "3", email: ""},
	}}
	r, _ := newTestResolver(t, Config{})
	if res := mustResolve(t, r, src, "same@example.com", "3"); res.UserID != "1" {
		t.Fatalf("got %+v (the first listed wins)", res)
	}
	if res := mustResolve(t, r, src, "ghost@example.com", "3"); res.UserID != "3" {
		t.Fatalf("got %+v (a user without id is ignored)", res)
	}
}

func TestPanickingSource(t *testing.T) {
	src := &fakeSource{panicky: true}
	r, _ := newTestResolver(t, Config{})
	_, err := r.resolve(t.Context(), "t1", src, "alice@example.com", "900")
	if !errors.Is(err, errPanicked) {
		t.Fatalf("err = %v", err)
	}
}

func TestConfig(t *testing.T) {
	bad := []Config{
		{TTL: -1},
		{MinRefreshInterval: -1},
		{MaxTenants: -1},
		{MaxUsersPerTenant: -1},
		{MaxUsersPerTenant: MaxUsersPerTenantLimit + 1},
		{ListTimeout: -1},
		{TTL: time.Minute, MinRefreshInterval: 2 * time.Minute},
	}
	for _, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		} else if got := err.Error(); len(got) < 7 || got[:7] != "owner: " {
			t.Errorf("error %q does not start with owner:", got)
		}
	}
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := r.cfg
	if c.TTL != DefaultTTL || c.MinRefreshInterval != DefaultMinRefreshInterval || c.MaxTenants != DefaultMaxTenants ||
		c.MaxUsersPerTenant != DefaultMaxUsersPerTenant || c.ListTimeout != DefaultListTimeout || c.Clock == nil || c.Logger == nil {
		t.Fatalf("defaults: %+v", c)
	}
	// A short TTL lowers the default minimum interval with it.
	r, err = New(Config{TTL: 10 * time.Second})
	if err != nil || r.cfg.MinRefreshInterval != 10*time.Second {
		t.Fatalf("short TTL: %v, %v", r, err)
	}
}

func TestRuleString(t *testing.T) {
	for r, want := range map[Rule]string{RuleAgentMatch: "agent-match", RuleConnectingUser: "connecting-user", 0: "Rule(0)"} {
		if got := r.String(); got != want {
			t.Errorf("%d: %q, want %q", int(r), got, want)
		}
	}
}
