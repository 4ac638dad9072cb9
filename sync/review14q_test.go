package sync_test

// Adversarial review 14q (after 5d0fb38: outcomes recorded on outcomeCtx).

import (
	"context"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Scenario: a Web Chat visitor A's chat start is handled from a job whose context ends while the
// Contact insert is in flight (River's job timeout, StopAndCancel). Zoho writes the Contact; Zoho's
// search lags behind writes. Before A's event is delivered again, visitor B (another visitor id,
// the same email and phone: the same person by the email rule) starts a chat.
// Expected: one Contact: B's event finds A's Contact (through the person map, or through A's
// step, which interruptedPerson looks at while it is pending).
// Actual: two Contacts. personStepDone (person.go) now records A's step done on outcomeCtx, but
// the person map entries are written by remember (person.go `w.s.cfg.Store.PutPerson(ctx, ...)`)
// on the ended ctx and fail. A's step is done (so interruptedPerson, which lists pending and
// failed person steps only, leaves it out), the map knows nothing under the email rule's key,
// the lagging search finds nothing: B's event inserts a second Contact. Before 5d0fb38 A's step
// stayed pending and interruptedPerson found A's Contact by its marker.
func TestReview14qCancelledPersonInsertLeavesMapUnwritten(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(time.Hour)))
	h.settings("t1", rules.DefaultSettings())
	a := visitor("r14qsame")
	b := a
	b.ID = "v-r14qsame-other"
	c1, c2 := chat("c-r14q-a", a), chat("c-r14q-b", b)
	h.host.PutChat(c1)
	h.host.PutChat(c2)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fr, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 500, Times: 1, Match: func(zohotest.Call) bool {
		cancel() // the job's context ends while Zoho writes the Contact
		return false
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, aerr := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatStarted, c1))
	fr.Remove()
	if n := len(h.records("Contacts", "Email", a.Email)); n != 1 {
		t.Fatalf("after A's cancelled attempt (%v): %d Contacts, want 1 written", aerr, n)
	}
	res := h.handle(chatEvent(cloudcx.EventChatStarted, c2))
	if n := len(h.records("Contacts", "Email", a.Email)); n != 1 {
		t.Fatalf("A's attempt ended with %v; B's event: person %+v; %d Contacts for one person, want 1", aerr, res.Person, n)
	}
}
