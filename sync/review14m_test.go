package sync_test

// Adversarial review 14m of 3365692 (Step.SentSince anchors the look for a step's record; a
// failed Case step that may have been applied is looked for even with unchanged content). Each
// test fails at 3365692 for the defect its comment names.
// It passes since a record found for a step claimed more than once is written again (which
// attempt's content it holds is not known), for Cases and persons.

import (
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Scenario: the chat's end (content A) is inserted as a Case; the answer is lost (ambiguous,
// applied late). The wrap-up (content B) arrives: the look by marker finds nothing yet, the step
// is claimed with B's hash and the insert is refused for good (400 INVALID_DATA, e.g. a
// validation rule on a field the update does not send): StepFailed, Err.NotApplied false,
// Hash = B. Attempt 1's Case (content A) lands. The wrap-up is delivered again (the host's
// queue, or a replay once the administrator relaxed the rule): same content B.
// Expected: the Case attempt 1 made is found by its marker and brought up to date with the
// wrap-up (one Case, its Description holding "Refund promised"), or at least the step not
// recorded as holding B.
// Actual: the Case is found and the step recorded done with Hash = B (the refused attempt's
// content, not what the Case that landed says); since that equals the current hash no update
// is sent: the Case keeps the end's content A for good and every later wrap-up redelivery
// answers "written earlier with the same content". The wrap-up is lost.
// At fault: record.go ensureRecord, `sent := st.Hash` in the reconcile branch — for a step
// with several attempts that may have been applied (reached with unchanged content only since
// 3365692's `case st.Status == StepFailed && st.Hash == hash && !mayHaveApplied(st)`), st.Hash
// is the last attempt's content, not the found record's.
func TestReview14mFoundCaseOfAnEarlierAttemptKeepsItsOldContent(t *testing.T) {
	h := newHarness(t)
	h.settings("t1", rules.DefaultSettings())
	c := chat("c-r14m-content", visitor("r14mcontent"))
	h.host.PutChat(c)
	ctx := t.Context()
	h.lostAnswer("Cases", chatEvent(cloudcx.EventChatEnded, c))
	cs := h.withMarker("Cases", c)
	if len(cs) != 1 {
		t.Fatalf("attempt 1's Case: %v", cs)
	}
	late := h.holdBack("Cases", cs[0]) // not landed yet
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Status: 400, Code: "INVALID_DATA", Message: "refused by a validation rule", Times: 1}); err != nil {
		t.Fatal(err)
	}
	wrap := chatEvent(cloudcx.EventChatWrappedUp, c)
	wrap.WrapUp = &cloudcx.WrapUp{Categories: []string{"Billing"}, Comment: "Refund promised"}
	if _, err := h.syncer.Handle(ctx, wrap); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("attempt 2 (the wrap-up), refused for good: %v, want a permanent error", err)
	}
	h.lateInsert("Cases", late) // attempt 1's insert (the end's content) lands
	res, err := h.syncer.Handle(ctx, wrap)
	got := h.withMarker("Cases", c)
	if len(got) != 1 {
		t.Fatalf("Cases of the chat: %d, want 1 (err %v)", len(got), err)
	}
	if d, _ := got[0]["Description"].(string); !contains(d, "Refund promised") {
		var rec *cxsync.RecordResult
		if res != nil {
			rec = res.Record
		}
		t.Fatalf("the wrap-up redelivered after attempt 1's Case landed: record %+v, err %v; the Case's Description lacks the wrap-up:\n%s", rec, err, d)
	}
}
