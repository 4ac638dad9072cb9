package sync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Scenario: the same person comes through Web Chat (worker A) and Inbox (worker B: another
// visitor id, the same email and phone); both sections write Contacts. A holds the person's locks
// and searches Zoho, which takes 59 s (one-minute leases, no background renewal in between: the
// lease has 1 s left). A's claim renews the lease (keepLeases → lease.renew): renew reads the
// clock (59 s: not ended), then its AcquireLock call is slow to reach the store (2 s: a busy
// connection pool). Meanwhile the lease ends; B takes the person's locks, creates the Contact,
// records its step and releases. A's AcquireLock then runs with the `now` read before the stall:
// the store finds the key free (and would judge any row by that old time), grants it, and renew
// extends `until` from the old time.
//
// Expected: the renewal notices that the lease ended while it was being renewed (the clock read
// after the store's answer is past `until`), and A gives up with a retry; its redelivery finds
// B's Contact. One Contact.
//
// Actual: two Contacts for one email. lease.renew (sync/syncer.go) judges `until` with the clock
// read before the store call (`now := l.s.cfg.Clock()`; `if !l.ended && !now.Before(l.until)`)
// and never again after it returns; the store grants a lock that lapsed and was another worker's
// in between (the 14n lapse, through the clock read before the store's own judgement).
func TestR14oRenewalJudgedOnTheClockReadBeforeTheStoreCall(t *testing.T) {
	clk := &r14dClock{now: time.Now()}
	ss := &lockHookStore{Store: memstore.New()}
	h := newHarness(t, withStore(ss), withFake(zohotest.WithClock(clk.Now), zohotest.WithIndexingDelay(10*time.Second)),
		withConfig(func(c *cxsync.Config) { c.Clock, c.LockTTL = clk.Now, time.Minute }))
	w := newTwoWays(h, "slow-renew")
	var berr error
	w.duringSearch(func() {
		clk.Add(59 * time.Second) // a slow search: A's lease has 1 s left
		ss.arm(func(key string) bool { return strings.HasPrefix(key, "person|") }, func() {
			clk.Add(2 * time.Second) // A's renewal reaches the store late
			_, berr = h.syncer.Handle(context.Background(), w.b())
		})
	})
	_, aerr := h.syncer.Handle(t.Context(), w.a())
	if berr != nil {
		t.Fatalf("B's Handle: %v", berr)
	}
	t.Logf("A's Handle: %v", aerr)
	w.settle(clk, "A's renewal granted a lapsed lease on the clock read before the store call")
}

// Scenario: two replicas whose clocks differ by 5 s (handle.go: "those of two workers differ"),
// one-minute leases. The same person comes through Web Chat (replica A, the slower clock) and
// Inbox (replica B: another visitor id, the same email and phone); both sections write Contacts.
// A holds the person's locks and searches Zoho; the search takes 56 s with no renewal landing
// (the stall of the 14n tests, shorter than LockTTL). By B's clock A's grant (A's now + LockTTL)
// has passed, so the store lets B take the person's locks: B creates the Contact, records its
// step and releases. A's claim renews its lease: by A's clock it has 4 s left, and the key is
// free, so the renewal succeeds.
//
// Expected: A notices that its lease was taken over meanwhile and gives up with a retry; its
// redelivery finds B's Contact. One Contact.
//
// Actual: two Contacts for one email. lease.renew (sync/syncer.go) renews with
// Store.AcquireLock(key, owner, ttl, now), which grants a free key to anyone: whether the lease
// held throughout is judged only by `until` on the renewing worker's own clock, while whether
// another worker may take the lock is judged on that worker's clock. A renewal cannot tell that
// its grant was taken over and given back (no fencing: the grant it extends is not checked), so
// any clock difference between replicas (here 5 s; in general d, against a stall between LockTTL-d and LockTTL)
// lets a worker write beside another.
func TestR14oClockSkewBetweenReplicasLetsARenewalMissATakeover(t *testing.T) {
	clk := &r14dClock{now: time.Now()}
	h := newHarness(t, withFake(zohotest.WithClock(clk.Now), zohotest.WithIndexingDelay(10*time.Second)),
		withConfig(func(c *cxsync.Config) { c.Clock, c.LockTTL = clk.Now, time.Minute }))
	b := newSyncerWith(t, h, func(c *cxsync.Config) { // replica B, its clock 5 s ahead
		c.Clock, c.LockTTL, c.WorkerID = func() time.Time { return clk.Now().Add(5 * time.Second) }, time.Minute, "replica-b"
	})
	w := newTwoWays(h, "skew")
	var berr error
	w.duringSearch(func() {
		clk.Add(56 * time.Second) // a slow search, within A's lease by A's clock
		_, berr = b.Handle(context.Background(), w.b())
	})
	_, aerr := h.syncer.Handle(t.Context(), w.a())
	if berr != nil {
		t.Fatalf("B's Handle: %v", berr)
	}
	t.Logf("A's Handle: %v", aerr)
	w.settle(clk, "A's renewal missed B's takeover: clocks differ")
}

// r14oFlakyStore makes the lock whose key contains busy look held by another worker until
// busyFor after the work's first grant (contention that clears within LockWait), and fails the
// work's first renewal of its first lock once (a store call that fails once: a reset connection).
type r14oFlakyStore struct {
	cxsync.Store
	busy    string
	busyFor time.Duration
	mu      gosync.Mutex
	first   string
	owner   string
	calls   int
	until   time.Time
	failed  atomic.Bool
}

func (s *r14oFlakyStore) AcquireLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) (func(context.Context) error, error) {
	s.mu.Lock()
	if s.first == "" {
		s.first, s.owner, s.until = key, owner, time.Now().Add(s.busyFor)
	}
	busy := strings.Contains(key, s.busy) && time.Now().Before(s.until)
	s.mu.Unlock()
	if busy {
		return nil, fmt.Errorf("flaky: lock %q: %w", key, cxsync.ErrLockHeld)
	}
	return s.Store.AcquireLock(ctx, key, owner, ttl, now)
}

// RenewLock fails the work's first renewal of its first lock once.
func (s *r14oFlakyStore) RenewLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) error {
	s.mu.Lock()
	if key == s.first && owner == s.owner {
		if s.calls++; s.calls == 1 { // the first renewal
			s.mu.Unlock()
			s.failed.Store(true)
			return errors.New("store: connection reset by peer")
		}
	}
	s.mu.Unlock()
	return s.Store.RenewLock(ctx, key, owner, ttl, now)
}

// Scenario (real clock, nothing wrong): LockTTL 1.5 s and LockWait 750 ms (LockWait = LockTTL/2,
// what New allows, and what the default gives for a one-minute LockTTL: min(30 s, 30 s)). A
// chat's start takes the visitor's locks: the first is granted at once, the last is busy (another
// worker's) for 700 ms and then granted. The background renewals begin only once lockAll returns
// (every LockTTL/3 = 500 ms), so the first renewal comes ~1.2 s after the first grant; that one
// store call fails (a reset connection) and is not tried again until the next tick, ~1.7 s after
// the grant, past `until` (1.5 s): the lease ends for good. The Handle is still working (a slow
// search: Zoho, a large page; the default-scale equivalent is a Handle running ~40 s past a 30 s
// wait on one-minute leases). No other worker ever wanted the locks.
//
// Expected: one failed store call during a background renewal does not end a lease that no one
// took (the renewal is retried before `until`, or renewals are timed from the first grant); the
// Handle creates the Contact.
//
// Actual: the Handle fails with a ClassRetry (a lease ended before the write): every Zoho call it
// made is made again by the redelivery. sync/syncer.go, lockAll: the held locks are not renewed
// while it waits for the next, the ticker (`time.NewTicker(max(s.cfg.LockTTL/3, ...))`) starts
// only after the wait, and a failed renewal (`if err := l.renew(rctx); err != nil`) waits a whole
// tick: with a wait of LockTTL/2 the lease survives no failed renewal at all.
func TestR14oOneFailedRenewalAfterALockWaitEndsAHealthyLease(t *testing.T) {
	fs := &r14oFlakyStore{Store: memstore.New(), busy: "|visitor:", busyFor: 700 * time.Millisecond}
	h := newHarness(t, withStore(fs), withConfig(func(c *cxsync.Config) {
		c.LockTTL, c.LockWait = 1500*time.Millisecond, 750*time.Millisecond
	}))
	v := visitor("flaky-renew")
	c := chat("c-flaky-renew", v)
	h.host.PutChat(c)
	var fired atomic.Bool
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "GET", Status: 500, Match: func(call zohotest.Call) bool {
		if strings.HasSuffix(call.Path, "/search") && fired.CompareAndSwap(false, true) {
			time.Sleep(1200 * time.Millisecond) // a slow search, well within what renewals cover
		}
		return false // a hook, never a fault
	}}); err != nil {
		t.Fatal(err)
	}
	res, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c))
	if !fired.Load() || !fs.failed.Load() {
		t.Fatalf("setup: search hooked %v, renewal failed %v", fired.Load(), fs.failed.Load())
	}
	if err != nil {
		t.Fatalf("a healthy Handle gave up after one failed renewal: %v (class %v, %d Zoho calls to repeat)", err, cxsync.ClassOf(err), res.Calls)
	}
}
