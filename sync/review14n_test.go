package sync_test

import (
	"context"
	gosync "sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// newR14nHarness is a harness whose Syncer and fake Zoho run on a clock the test moves, with
// one-minute leases, Zoho's search lagging 10 s behind its writes (as Zoho's does), and both
// sections writing Contacts (Web Chat Support, Inbox Support).
func newR14nHarness(t *testing.T) (*harness, *r14dClock) {
	clk := &r14dClock{now: time.Now()}
	h := newHarness(t, withFake(zohotest.WithClock(clk.Now), zohotest.WithIndexingDelay(10*time.Second)),
		withConfig(func(c *cxsync.Config) { c.Clock, c.LockTTL = clk.Now, time.Minute }))
	st := rules.DefaultSettings()
	st.Sections.Inbox.Action = rules.Support
	h.settings("t1", st)
	return h, clk
}

// Scenario: the same person comes through Web Chat (worker A) and Inbox (worker B, another
// visitor id, the same email and phone). A holds the person's locks and searches Zoho for the
// email; while its search is under way its lease runs out (a stall longer than LockTTL: the clock
// moves 2 minutes), B takes the person's locks, finds no one, creates the Contact, records its
// step and releases the locks. A's search (Zoho's search lags) shows nothing, and no pending step
// of the person is left for interruptedPerson to adopt; A claims its own step.
//
// Expected: A's claim notices that its lease ended and that the locks were another worker's
// meanwhile, and gives up with a retry (what 47acb69 promises: "a worker whose lease ran out while
// it read Zoho, and whose lock another worker took, gives up"); the retry finds B's Contact. One
// Contact.
//
// Actual: two Contacts for one email. keepLeases (sync/ledger.go) renews the lease with
// lease.renew (sync/syncer.go: Store.AcquireLock with the same owner), which succeeds because the
// lock is free again (B released it): a renewal cannot tell a lease that was held throughout from
// one that lapsed and was held by another worker in between. Only a lock still held by the other
// worker at the moment of the claim is noticed.
func TestR14nLeaseLapsedAndLockReturnedIsNotNoticed(t *testing.T) {
	h, clk := newR14nHarness(t)
	w := newTwoWays(h, "lapse-both")
	var berr error
	w.duringSearch(func() {
		clk.Add(2 * time.Minute) // A's lease ended while it waited for Zoho
		_, berr = h.syncer.Handle(context.Background(), w.b())
	})
	_, aerr := h.syncer.Handle(t.Context(), w.a())
	if berr != nil {
		t.Fatalf("B's Handle: %v", berr)
	}
	t.Logf("A's Handle: %v", aerr)
	w.settle(clk, "A wrote beside B after its lease lapsed")
}

// hookLoader runs hook once, on the second load of chat id after it is armed (the reload an event
// makes under the chat's lock), between reading the chat and handing it over: a worker that
// stalls right after loading.
type hookLoader struct {
	*cloudcx.MemoryHost
	id    string
	mu    gosync.Mutex
	loads int
	armed bool
	hook  func()
}

func (l *hookLoader) LoadChat(ctx context.Context, tenant, id string) (*cloudcx.Chat, error) {
	c, err := l.MemoryHost.LoadChat(ctx, tenant, id)
	l.mu.Lock()
	var hook func()
	if l.armed && id == l.id {
		if l.loads++; l.loads == 2 {
			hook, l.armed = l.hook, false
		}
	}
	l.mu.Unlock()
	if hook != nil {
		hook()
	}
	return c, err
}

// Scenario: a chat's Case is written; the agent wraps it up ("First note": worker A's event),
// then corrects the wrap-up ("Corrected note": worker B's event). A holds the chat's lock, finds
// the Case written and loads the chat again under the lock (First note); right after that load it
// stalls longer than LockTTL. B takes the chat's lock, loads the corrected chat, updates the Case
// with it, records the step and releases the lock. A wakes up and updates the Case.
//
// Expected: A does not write over the Case with what it loaded before B's update: an update, like
// an insert, is a write the chat's lease must still cover (or, once the lock was another worker's,
// it gives up with a retry). The Case says "Corrected note".
//
// Actual: A's updateRecord (sync/record.go, the Records.Update call) sends "First note" without a
// claim and without keepLeases; the Case says "First note". Its PutStep then conflicts (B recorded
// first) and A returns a retry, but the step records B's hash, so every redelivery of either event
// finds the step done with the chat's current content ("written earlier with the same content")
// and the Case keeps the older wrap-up for good. The same holds for a person's update (merge in
// sync/person.go, called from applyPolicy and sentEarlier): no lease check precedes it. Renewing
// first (keepLeases) is not enough here either while renewing cannot tell a lapsed lease (see
// TestR14nLeaseLapsedAndLockReturnedIsNotNoticed).
func TestR14nStaleWrapUpUpdateOverwritesNewerAfterLeaseLapse(t *testing.T) {
	clk := &r14dClock{now: time.Now()}
	loader := &hookLoader{id: "c-lapse-wrap"}
	h := newHarness(t, withFake(zohotest.WithClock(clk.Now)),
		withConfig(func(c *cxsync.Config) { c.Clock, c.LockTTL, c.Loader = clk.Now, time.Minute, loader }))
	loader.MemoryHost = h.host
	c := chat(loader.id, visitor("lapse-wrap"))
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatEnded, c))

	c.WrapUp = &cloudcx.WrapUp{Categories: []string{"Billing"}, Comment: "First note"}
	h.host.PutChat(c)
	wrap := chatEvent(cloudcx.EventChatWrappedUp, c)
	var berr error
	loader.hook = func() {
		clk.Add(2 * time.Minute) // A stalls after its load; its lease ends
		c2 := c.Clone()
		c2.WrapUp = &cloudcx.WrapUp{Categories: []string{"Billing"}, Comment: "Corrected note"}
		h.host.PutChat(c2)
		_, berr = h.syncer.Handle(context.Background(), wrap) // the correction's event
	}
	loader.mu.Lock()
	loader.armed = true
	loader.mu.Unlock()
	_, aerr := h.syncer.Handle(t.Context(), wrap)
	if berr != nil {
		t.Fatalf("B's Handle: %v", berr)
	}
	t.Logf("A's Handle: %v", aerr)
	clk.Add(time.Minute)
	h.handle(wrap) // redelivered
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 {
		t.Fatalf("%d Cases, want 1", len(cases))
	}
	if d, _ := cases[0]["Description"].(string); !contains(d, "Corrected note") {
		t.Fatalf("the Case holds the older wrap-up after redelivery:\n%s", d)
	}
}
