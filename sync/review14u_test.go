package sync_test

// Adversarial review 14u (after 8cfdc53: settleOwnStep leaves a person step whose own record is
// another than the map's pending, naming that record).

import (
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
)

// Scenario: visitor B (email E) has Contact YB. Visitor A (email E1) starts chat ca1: A's
// Contact insert is applied (XA, carrying A's step marker) and its answer lost. The step is then
// left failed for good by a later attempt whose write may have landed (the state mayHaveApplied
// and interruptedPerson describe: "refused for good after an attempt whose write may have landed
// late"; set here in the store, Err not NotApplied). A's email becomes E (the host returns ca1
// with A's current details), and the administrator retries the step: RetryFailed handles ca1,
// the map finds YB under email:E, settleOwnStep looks for the step's record, finds XA (not YB)
// and leaves the step pending naming XA. RetryFailed sees it pending and puts it back on the
// failed list ("the retry did not write the step"), now with RecordID XA.
// Expected: the step is settled (pending for adoption, or done); at the latest a second
// RetryFailed succeeds.
// Actual: every later RetryFailed fails (ClassPermanent) and leaves the step failed for good:
// settleOwnStep returns at once for a step with a RecordID (person.go, settleOwnStep: `if
// st.Status == StepDone || st.RecordID != "" { return nil }`), so the retry never writes the
// step, and RetryFailed (manual.go, "the retry did not write the step") fails it again. The
// failed list (and RetryAllFailed) carries it forever.
func TestReview14uRetryFailedOfASettledPendingStepFailsForever(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	vb := visitor("r14ub")
	cb := chat("c-r14u-b", vb)
	h.host.PutChat(cb)
	h.handle(chatEvent(cloudcx.EventChatStarted, cb))

	va := visitor("r14ua")
	e1 := va.Email
	ca1 := chat("c-r14u-a1", va)
	h.host.PutChat(ca1)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, ca1))
	xa := h.records("Contacts", "Email", e1)
	if len(xa) != 1 {
		t.Fatalf("%d Contacts with A's email after the lost answer, want 1", len(xa))
	}
	aStep := cxsync.StepKey{TenantID: "t1", OrgID: h.org.ID(), Section: cloudcx.SectionWebChat, SourceID: "visitor:web_chat:" + va.ID, Kind: cxsync.StepPerson, Name: rules.ModuleContacts}
	st, err := h.store.GetStep(ctx, aStep)
	if err != nil || st.Status != cxsync.StepPending {
		t.Fatalf("A's step: %+v, %v", st, err)
	}
	st.Status = cxsync.StepFailed
	st.Err = &cxsync.StepError{Class: cxsync.ClassPermanent, Code: "INVALID_DATA", Message: "refused after an attempt whose write may have landed"}
	if _, err := h.store.PutStep(ctx, st); err != nil {
		t.Fatal(err)
	}

	va2 := va
	va2.Email = vb.Email
	ca1b := chat("c-r14u-a1", va2)
	h.host.PutChat(ca1b)

	// Since the fix, the first RetryFailed settles it: off the failed list, pending and naming
	// XA for the person it was made for (before, it went back on the failed list, every time).
	_, err1 := h.syncer.RetryFailed(ctx, aStep)
	s1, _ := h.store.GetStep(ctx, aStep)
	if err1 != nil || s1.Status == cxsync.StepFailed {
		t.Fatalf("RetryFailed: %v (class %v); step %s record %q (XA %v): the step can never leave the failed list", err1, cxsync.ClassOf(err1), s1.Status, s1.RecordID, xa[0]["id"])
	}
}
