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
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// thiefStore is a store whose locks another replica ("thief") can take over: it remembers the
// keys of the locks the Syncer took, and takes those with a prefix for the thief when told.
type thiefStore struct {
	cxsync.Store
	clock func() time.Time
	mu    gosync.Mutex
	keys  []string
	// onGetStep, when set, runs once before the first GetStep of a step of its kind.
	onGetStep     func()
	onGetStepKind cxsync.StepKind
}

func (s *thiefStore) AcquireLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) (func(context.Context) error, error) {
	if owner != "thief" {
		s.mu.Lock()
		s.keys = append(s.keys, key)
		s.mu.Unlock()
	}
	return s.Store.AcquireLock(ctx, key, owner, ttl, now)
}

func (s *thiefStore) GetStep(ctx context.Context, key cxsync.StepKey) (*cxsync.Step, error) {
	s.mu.Lock()
	hook := s.onGetStep
	if hook != nil && key.Kind == s.onGetStepKind {
		s.onGetStep = nil
	} else {
		hook = nil
	}
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return s.Store.GetStep(ctx, key)
}

// steal takes every lock the Syncer took whose key starts with prefix for the thief (their leases
// have ended by the clock), and returns a func that gives them back.
func (s *thiefStore) steal(t *testing.T, prefix string) func() {
	s.mu.Lock()
	keys := append([]string(nil), s.keys...)
	s.mu.Unlock()
	var releases []func(context.Context) error
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rel, err := s.Store.AcquireLock(context.Background(), k, "thief", time.Minute, s.clock())
		if err != nil {
			t.Errorf("the thief could not take %s: %v", k, err)
			continue
		}
		releases = append(releases, rel)
	}
	if len(releases) == 0 {
		t.Errorf("no lock with prefix %q to take", prefix)
	}
	return func() {
		for _, rel := range releases {
			_ = rel(context.Background())
		}
	}
}

// newThiefHarness is a harness on a thiefStore, with a clock the test moves and one-minute leases.
func newThiefHarness(t *testing.T) (*harness, *thiefStore, *r14dClock) {
	clk := &r14dClock{now: time.Now()}
	ts := &thiefStore{Store: memstore.New(), clock: clk.Now}
	h := newHarness(t, withStore(ts), withFake(zohotest.WithClock(clk.Now)),
		withConfig(func(c *cxsync.Config) { c.Clock, c.LockTTL = clk.Now, time.Minute }))
	return h, ts, clk
}

// A worker's person lease runs out while it searches Zoho (a stall longer than LockTTL, its
// renewals failing), and another replica takes the person's locks. The worker must not insert the
// person beside it: its claim renews the lease, finds the lock taken and gives up with a retry.
// Once the other replica is done, the event makes one Contact.
func TestPersonLeaseTakenOverWhileZohoIsSearchedIsNotWrittenBeside(t *testing.T) {
	h, ts, clk := newThiefHarness(t)
	var give func()
	var once gosync.Once
	if _, err := h.srv.InjectFault(zohotest.Fault{Path: "/crm/v2/Contacts/search", Status: 500, Match: func(zohotest.Call) bool {
		once.Do(func() {
			clk.Add(2 * time.Minute) // the lease ended
			give = ts.steal(t, "person|")
		})
		return false // a hook, never a fault
	}}); err != nil {
		t.Fatal(err)
	}
	c := chat("c-lease-person", visitor("lease-person"))
	h.host.PutChat(c)
	ev := chatEvent(cloudcx.EventChatStarted, c)
	_, err := h.syncer.Handle(t.Context(), ev)
	if cxsync.ClassOf(err) != cxsync.ClassRetry || !errors.Is(err, cxsync.ErrLockHeld) {
		t.Fatalf("Handle with its lease taken over: %v, want a retry wrapping ErrLockHeld", err)
	}
	if n := len(h.records("Contacts", "Email", c.Visitor.Email)); n != 0 {
		t.Fatalf("%d Contacts written beside the lock's new holder, want 0", n)
	}
	give()
	clk.Add(time.Minute)
	h.handle(ev)
	if n := len(h.records("Contacts", "Email", c.Visitor.Email)); n != 1 {
		t.Fatalf("%d Contacts after the retry, want 1", n)
	}
}

// The same for the chat's lease: taken over between the chat's lock and the claim of its Case,
// the Case is not inserted; the retry makes one.
func TestChatLeaseTakenOverBeforeTheCaseIsClaimedIsNotWrittenBeside(t *testing.T) {
	h, ts, clk := newThiefHarness(t)
	c := chat("c-lease-chat", visitor("lease-chat"))
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatStarted, c)) // the Contact
	var give func()
	ts.mu.Lock()
	ts.onGetStepKind, ts.onGetStep = cxsync.StepRecord, func() {
		clk.Add(2 * time.Minute)
		give = ts.steal(t, "chat|")
	}
	ts.mu.Unlock()
	ev := chatEvent(cloudcx.EventChatEnded, c)
	_, err := h.syncer.Handle(t.Context(), ev)
	if cxsync.ClassOf(err) != cxsync.ClassRetry || !errors.Is(err, cxsync.ErrLockHeld) {
		t.Fatalf("Handle with its lease taken over: %v, want a retry wrapping ErrLockHeld", err)
	}
	if n := len(h.withMarker("Cases", c)); n != 0 {
		t.Fatalf("%d Cases written beside the lock's new holder, want 0", n)
	}
	give()
	clk.Add(time.Minute)
	h.handle(ev)
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d Cases after the retry, want 1", n)
	}
}

// A person's update is a write its lease must cover too. Worker A loads a re-resolved
// conversation whose visitor changed their name ("Jane Two"), holds the person's locks, reads the
// Contact and stalls longer than LockTTL; worker B (the visitor corrected their name once more:
// "Jane Three") takes the locks, writes "Jane Three" and gives them back. A's lease ended, though
// no worker holds its locks now: it must not write "Jane Two" over the newer name, but give up
// with a retry, whose reload writes what the host now says.
func TestPersonUpdateAfterTheLeaseEndedIsNotWritten(t *testing.T) {
	h, _, clk := newThiefHarness(t)
	st := rules.DefaultSettings()
	st.Sections.Inbox.Action = rules.Support
	st.UpdatePolicy.Contact = rules.Overwrite
	h.settings("t1", st)
	c := conversation("cv-lease-update", visitor("lease-update"))
	h.host.PutConversation(c)
	ev := convEvent(cloudcx.EventConversationResolved, c)
	h.handle(ev)
	made := h.records("Contacts", "Email", c.Visitor.Email)
	if len(made) != 1 {
		t.Fatalf("%d Contacts, want 1", len(made))
	}
	id := made[0]["id"].(string)

	set := func(name string) {
		c2 := c.Clone()
		c2.Visitor.Name = name
		h.host.PutConversation(c2)
	}
	set("Jane Two")
	var fired atomic.Bool
	var berr error
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "GET", Path: "/crm/v2/Contacts/" + id, Status: 500, Match: func(zohotest.Call) bool {
		if fired.CompareAndSwap(false, true) {
			clk.Add(2 * time.Minute) // A's lease ended while it read the Contact
			set("Jane Three")
			_, berr = h.syncer.Handle(context.Background(), ev)
		}
		return false // a hook, never a fault
	}}); err != nil {
		t.Fatal(err)
	}
	_, aerr := h.syncer.Handle(t.Context(), ev)
	if berr != nil {
		t.Fatalf("B's Handle: %v", berr)
	}
	if cxsync.ClassOf(aerr) != cxsync.ClassRetry || !errors.Is(aerr, cxsync.ErrLockHeld) {
		t.Fatalf("A's Handle after its lease ended: %v, want a retry wrapping ErrLockHeld", aerr)
	}
	h.handle(ev) // A's event, redelivered
	r, _ := h.org.Record("Contacts", id)
	if got := fmt.Sprint(r["Last_Name"]); got != "Jane Three" {
		t.Fatalf("the Contact is %q, want the newest name %q", got, "Jane Three")
	}
}

// twoWays is one person arriving two ways at tenant t1, both sections writing Contacts: a Web
// Chat (worker A: the harness's Syncer) and an Inbox conversation (worker B: another visitor id,
// the same email and phone).
type twoWays struct {
	h    *harness
	v    cloudcx.Visitor
	chat *cloudcx.Chat
	conv *cloudcx.Conversation
}

func newTwoWays(h *harness, name string) *twoWays {
	st := rules.DefaultSettings()
	st.Sections.Inbox.Action = rules.Support
	h.settings("t1", st)
	v := visitor(name)
	w := &twoWays{h: h, v: v, chat: chat("c-"+name, v)}
	vb := v
	vb.ID = "v-" + name + "-inbox"
	w.conv = conversation("cv-"+name, vb)
	h.host.PutChat(w.chat)
	h.host.PutConversation(w.conv)
	return w
}

// a and b are the two ways' start events.
func (w *twoWays) a() cloudcx.Event { return chatEvent(cloudcx.EventChatStarted, w.chat) }
func (w *twoWays) b() cloudcx.Event {
	return convEvent(cloudcx.EventConversationStarted, w.conv)
}

// duringSearch runs fn once, while the first search of Contacts is under way (Zoho is slow).
func (w *twoWays) duringSearch(fn func()) {
	w.h.t.Helper()
	var fired atomic.Bool
	if _, err := w.h.srv.InjectFault(zohotest.Fault{Path: "/crm/v2/Contacts/search", Status: 500, Match: func(zohotest.Call) bool {
		if fired.CompareAndSwap(false, true) {
			fn()
		}
		return false // a hook, never a fault
	}}); err != nil {
		w.h.t.Fatal(err)
	}
}

// settle delivers both events again once the clock moved past every lease, and fails unless the
// person has exactly one Contact.
func (w *twoWays) settle(clk *r14dClock, why string) {
	w.h.t.Helper()
	clk.Add(time.Minute)
	w.h.handle(w.a())
	w.h.handle(w.b())
	if n := len(w.h.records("Contacts", "Email", w.v.Email)); n != 1 {
		w.h.t.Fatalf("%d Contacts for one email, want 1 (%s)", n, why)
	}
}

// Two Syncers given the same WorkerID (a replica restarted while its locks are held, a copied
// configuration) never share a lock: the second waits for the first's lock and gives up.
func TestSameWorkerIDSharesNoLock(t *testing.T) {
	h := newHarness(t, withConfig(func(c *cxsync.Config) { c.WorkerID = "pod-1" }))
	b := newSyncerWith(t, h, func(c *cxsync.Config) { c.WorkerID, c.LockWait = "pod-1", 50*time.Millisecond })
	c := chat("c-same-worker", visitor("same-worker"))
	h.host.PutChat(c)
	held := make(chan struct{})
	release := make(chan struct{})
	var once gosync.Once
	if _, err := h.srv.InjectFault(zohotest.Fault{Path: "/crm/v2/Contacts/search", Status: 500, Match: func(zohotest.Call) bool {
		// A holds the person's locks while its search waits; a hook, never a fault.
		once.Do(func() { close(held); <-release })
		return false
	}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.syncer.Handle(context.Background(), chatEvent(cloudcx.EventChatStarted, c))
		done <- err
	}()
	<-held
	_, err := b.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c))
	close(release)
	if !errors.Is(err, cxsync.ErrLockHeld) {
		t.Errorf("the second Syncer with the same WorkerID while the first holds the person: %v, want an error wrapping ErrLockHeld", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(h.records("Contacts", "Email", c.Visitor.Email)); n != 1 {
		t.Fatalf("%d Contacts, want 1", n)
	}
}
