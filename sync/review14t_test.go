package sync_test

// Adversarial review 14t (after 08bf9fd: settleOwnStep records the visitor's own person step
// done with the map's record whenever it is left pending or failed without one, without asking
// Zoho).

import (
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Scenario (search lagging): visitor B (email E) has a Contact, mapped under email:E. Visitor A
// (email E1) starts a chat: A's Contact insert is applied, its answer lost (A's step pending,
// may have been applied; the Contact XA carries A's step marker). Before that chat is
// redelivered, A starts another chat with email E (A's email changed): the map finds B's
// Contact under email:E, and settleOwnStep records A's step done with B's Contact — without
// looking for what the step's own insert made. Visitor C (email E1, another id) then starts a
// chat while XA is not searchable yet.
// Expected: C is identified with XA (interruptedPerson finds A's pending step's record by its
// marker, as it did on 35e87b9, where the step stayed pending): one Contact with email E1.
// Actual: A's step is done, interruptedPerson skips it (it lists pending and failed steps
// only), and C inserts a second Contact with email E1; XA stays an orphan no step or map
// entry names. At fault: person.go settleOwnStep, `if st.Status == StepDone || st.RecordID
// != "" { return nil }` followed by personStepDone(ctx, st, link.RecordID) for a step whose
// own write may be in Zoho (pending, not NotApplied), without reconciling it.
func TestReview14tSettlingAMayHaveAppliedStepHidesItsRecordAndDuplicates(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	ctx := t.Context()
	vb := visitor("r14tb")
	cb := chat("c-r14t-b", vb)
	h.host.PutChat(cb)
	h.handle(chatEvent(cloudcx.EventChatStarted, cb))

	va := visitor("r14ta")
	e1 := va.Email
	ca1 := chat("c-r14t-a1", va)
	h.host.PutChat(ca1)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, ca1))
	if n := len(h.records("Contacts", "Email", e1)); n != 1 {
		t.Fatalf("%d Contacts with A's first email after the lost answer, want 1", n)
	}
	aStep := cxsync.StepKey{TenantID: "t1", OrgID: h.org.ID(), Section: cloudcx.SectionWebChat, SourceID: "visitor:web_chat:" + va.ID, Kind: cxsync.StepPerson, Name: rules.ModuleContacts}
	if s, err := h.store.GetStep(ctx, aStep); err != nil || s.Status != cxsync.StepPending {
		t.Fatalf("A's step: %+v, %v", s, err)
	}

	va2 := va
	va2.Email = vb.Email // A's email is now B's
	ca2 := chat("c-r14t-a2", va2)
	h.host.PutChat(ca2)
	h.handle(chatEvent(cloudcx.EventChatStarted, ca2))
	if s, err := h.store.GetStep(ctx, aStep); err == nil {
		t.Logf("A's step after A's second chat: %s, record %q", s.Status, s.RecordID)
	}

	vc := visitor("r14tc")
	vc.Email = e1
	cc := chat("c-r14t-c", vc)
	h.host.PutChat(cc)
	res := h.handle(chatEvent(cloudcx.EventChatStarted, cc))
	if recs := h.records("Contacts", "Email", e1); len(recs) != 1 {
		t.Fatalf("%d Contacts with email %s, want 1 (C linked to %+v)", len(recs), e1, res.Person)
	}
}
