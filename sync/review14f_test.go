package sync_test

// Adversarial review 14e of sync's two newest fixes (fb037c1: a loaded event loaded again under
// the person's lock; b2390ef/ac42c72: an interrupted person step's record adopted by its marker).
// Each test here fails on the code it was written against (base ddab500) for the defect its
// comment names. All pass since the fixes named in review14d_test.go.

import (
	"fmt"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// A conversation's start event is loaded through the host's Loader (the event carries only the
// conversation id) and delayed (a slow worker, a redelivery); meanwhile the visitor corrects their
// name and the conversation is resolved, handled at once: the Overwrite policy writes "Jane
// Corrected" on the Contact. The delayed start then runs with what it loaded. fb037c1 sets
// w.reload only for events that write a record (handle.go: `if record && ev.Chat == nil …`), so a
// person-only event (chat or conversation started) loaded through the Loader is never loaded
// again under the person's lock, and its older visitor is merged over the newer name.
// Expected: the Contact keeps "Jane Corrected". Actual: "Jane Original" is written over it.
func TestReview14fDelayedLoadedStartOverwritesThePerson(t *testing.T) {
	const id = "cv-r14e-start"
	loader := &staleLoader{id: id, loading: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, withConfig(func(c *cxsync.Config) { c.Loader = loader }))
	loader.MemoryHost = h.host
	st := rules.DefaultSettings()
	st.UpdatePolicy.Contact = rules.Overwrite
	h.settings("t1", st)
	v := visitor("r14estart")
	v.Name = "Jane Original"
	c := conversation(id, v)
	h.host.PutConversation(c)
	old := *c
	old.Messages = slices.Clone(c.Messages)
	loader.old = &old
	first := make(chan error, 1)
	go func() {
		_, err := h.syncer.Handle(t.Context(), convEvent(cloudcx.EventConversationStarted, c))
		first <- err
	}()
	<-loader.loading
	newer := *c
	newer.Visitor.Name = "Jane Corrected"
	h.host.PutConversation(&newer)
	h.handle(convEvent(cloudcx.EventConversationResolved, &newer))
	if got := h.records("Contacts", "Email", v.Email); len(got) != 1 || got[0]["Last_Name"] != "Jane Corrected" {
		t.Fatalf("after the resolve: %v", got)
	}
	close(loader.release)
	if err := <-first; err != nil {
		t.Fatalf("the delayed start: %v", err)
	}
	got := h.records("Contacts", "Email", v.Email)
	if len(got) != 1 || got[0]["Last_Name"] != "Jane Corrected" {
		name := any(nil)
		if len(got) > 0 {
			name = got[0]["Last_Name"]
		}
		t.Fatalf("%d Contacts; Last_Name %v after the delayed loaded start, want the newer \"Jane Corrected\"", len(got), name)
	}
}

// skewClock is a settable clock: the time of the worker handling the next step.
type skewClock struct {
	mu gosync.Mutex
	at time.Time
}

func (c *skewClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *skewClock) Set(t time.Time) { c.mu.Lock(); c.at = t; c.mu.Unlock() }

// The scenario of TestReview14cDelayedOlderEventOverwritesThePerson with two workers whose clocks
// differ by two seconds (the worker of the newer resolve is behind; or one clock stepped back by
// NTP between the two). fb037c1 decides whether the chat was loaded before the person was written
// by comparing wall clocks of different workers (person.go ensurePerson:
// `!l.UpdatedAt.Before(w.loadedAt)`), so the newer write looks older than the load and the
// delayed resolve is not loaded again: its older name is merged over the newer. (ledger.go's
// reconcileWindow says it itself: clocks of the workers differ.)
// Expected: "Jane Corrected" kept. Actual: "Jane Original" written over it.
func TestReview14fClockSkewSkipsTheReload(t *testing.T) {
	const id = "cv-r14e-skew"
	clk := &skewClock{at: time.Now()}
	loader := &staleLoader{loading: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, withConfig(func(c *cxsync.Config) { c.Loader = loader; c.Clock = clk.Now }))
	loader.MemoryHost = h.host
	st := rules.DefaultSettings()
	st.UpdatePolicy.Contact = rules.Overwrite
	h.settings("t1", st)
	v := visitor("r14eskew")
	v.Name = "Jane Original"
	c := conversation(id, v)
	h.host.PutConversation(c)
	h.handle(convEvent(cloudcx.EventConversationStarted, c)) // the Contact exists
	loader.id = id
	old := *c
	old.Messages = slices.Clone(c.Messages)
	loader.old = &old
	t0 := clk.Now()
	first := make(chan error, 1)
	go func() {
		_, err := h.syncer.Handle(t.Context(), convEvent(cloudcx.EventConversationResolved, c))
		first <- err
	}()
	<-loader.loading
	clk.Set(t0.Add(-2 * time.Second)) // the newer resolve's worker is two seconds behind
	newer := *c
	newer.Visitor.Name = "Jane Corrected"
	newer.Messages = append(slices.Clone(c.Messages), cloudcx.Message{ID: "late", SentAt: chatStart.Add(2 * time.Hour), SenderKind: cloudcx.SenderVisitor, SenderName: "Jane", Text: "My name is Jane Corrected"})
	h.host.PutConversation(&newer)
	h.handle(convEvent(cloudcx.EventConversationResolved, &newer))
	if got := h.records("Contacts", "Email", v.Email); len(got) != 1 || got[0]["Last_Name"] != "Jane Corrected" {
		t.Fatalf("after the newer resolve: %v", got)
	}
	clk.Set(t0.Add(time.Second))
	close(loader.release)
	if err := <-first; err != nil {
		t.Fatalf("the delayed first resolve: %v", err)
	}
	got := h.records("Contacts", "Email", v.Email)
	if len(got) != 1 || got[0]["Last_Name"] != "Jane Corrected" {
		name := any(nil)
		if len(got) > 0 {
			name = got[0]["Last_Name"]
		}
		t.Fatalf("%d Contacts; Last_Name %v after the delayed older resolve (clocks 2 s apart), want \"Jane Corrected\"", len(got), name)
	}
}

// A tenant has 500 pending steps older than a day (events the host never delivered again: they
// stay pending; ListSteps lists every kind). ac42c72 reads ONE page of the 500 OLDEST pending
// steps (person.go interruptedPerson: ListSteps(…, "", maxInterruptedSteps)) and then drops those
// older than interruptedWindow — so the page is all steps it throws away, and a person step
// interrupted minutes ago is never seen: the scenario of TestReview14cAmbiguousInsertThenOther
// SectionDuplicates creates a second Contact again. Old abandoned steps are exactly what sorts
// first.
// Expected: one Contact. Actual: two.
func TestReview14fOldPendingStepsHideTheInterruptedOne(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	old := time.Now().Add(-48 * time.Hour)
	for i := range 500 {
		st := &cxsync.Step{Key: cxsync.StepKey{TenantID: "t1", OrgID: h.org.ID(), Section: cloudcx.SectionWebChat, SourceID: fmt.Sprint("c-r14e-old-", i), Kind: cxsync.StepRecord, Name: "Cases"},
			Status: cxsync.StepPending, Module: "Cases", UpdatedAt: old.Add(time.Duration(i) * time.Second)}
		if _, err := h.store.PutStep(t.Context(), st); err != nil {
			t.Fatal(err)
		}
	}
	vw := cloudcx.Visitor{ID: "v-r14e-old-w", Name: "Two Ways", Email: "two.ways.old@example.org"}
	vi := vw
	vi.ID = "v-r14e-old-i"
	c := chat("c-r14e-old-2w", vw)
	conv := conversation("cv-r14e-old-2w", vi)
	h.host.PutChat(c)
	h.host.PutConversation(conv)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("dropped answer: %v", err)
	}
	h.handle(convEvent(cloudcx.EventConversationStarted, conv))
	h.handle(chatEvent(cloudcx.EventChatStarted, c))
	if n := len(h.records("Contacts", "Email", vw.Email)); n != 1 {
		t.Fatalf("%d Contacts for one person through two sections after an ambiguous insert (tenant with 500 pending steps older than a day), want 1", n)
	}
}

// One visitor's Contact insert fails with a temporary error (Zoho 500; the host will deliver the
// event again, or never): its person step stays pending with an error. For the next 24 hours
// (interruptedWindow) every new visitor of the tenant, of any email, pays a listing of recent
// Contacts — up to ReconcilePages (3) calls when the tenant made many records lately, because the
// listing runs until it reaches a record older than the step — before its insert, although no
// record carries the step's marker. A new visitor is budgeted 3 calls (handle_test.go: search,
// insert, Case).
// Expected: an unrelated new visitor costs 3 calls. Actual: 4 (one per new visitor, all day).
func TestReview14fUnrelatedFailedStepTaxesEveryNewVisitor(t *testing.T) {
	h := newHarness(t)
	x := chat("c-r14e-tax-x", visitor("r14etaxx"))
	h.host.PutChat(x)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 500, Code: "INTERNAL_ERROR", Message: "internal error", Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, x)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("refused for now: %v", err)
	}
	for i := range 3 {
		c := chat(fmt.Sprint("c-r14e-tax-", i), visitor(fmt.Sprint("r14etax", i)))
		h.host.PutChat(c)
		res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
		if res.Calls > 3 {
			t.Fatalf("new visitor %d: %d calls with another visitor's step pending with an error, want 3", i, res.Calls)
		}
	}
}
