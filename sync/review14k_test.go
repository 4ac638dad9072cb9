package sync_test

// Adversarial review 14k of 14dfda3 and 808af10 (Step.unsettled kept by stepFailed; a person
// insert answered DUPLICATE_DATA adopts the record Zoho names). Each test fails at 808af10 for
// the defect its comment names. All pass since a failed step whose earlier
// attempt may have been applied is looked for by its marker too (persons and Cases), RetryFailed
// keeps that, and a DUPLICATE_DATA is taken as the person only when the visitor's rules find it.

import (
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Scenario: a Web Chat's Case insert (its end event, attempt 1) fails ambiguously and Zoho
// applies it late (as in review 14j: taken out, written again by the test once attempt 2 is
// over). Attempt 2 looks for it by its marker (nothing yet), claims the step (unsettled) and
// sends the Case again; Zoho refuses it for good (a 400 INVALID_DATA, e.g. a validation rule an
// administrator then relaxes): the step is StepFailed, and — since 14dfda3 — its Err keeps
// NotApplied false (an earlier attempt may have been applied). Attempt 1's Case lands. The chat
// is then wrapped up (new content, another hash).
// Expected: the wrap-up looks for the Case the unsettled step may have made (its Err says so)
// and updates it: one Case for the chat.
// Actual: two Cases. record.go ensureRecord, `default:` branch: `if st.Status == StepPending &&
// st.Attempts > 0 && (st.Err == nil || !st.Err.NotApplied)` reconciles only a PENDING step; a
// FAILED step whose Err.NotApplied is false (exactly what stepFailed now keeps for an unsettled
// step) goes straight to insertRecord. The flag 14dfda3 keeps is never read for failed steps.
func TestReview14kFailedUnsettledCaseStepIsNotLookedFor(t *testing.T) {
	h := newHarness(t)
	h.settings("t1", rules.DefaultSettings())
	c := chat("c-r14k-failed", visitor("r14kfailed"))
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
	if _, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatEnded, c)); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("attempt 2, refused for good: %v, want a permanent error", err)
	}
	h.lateInsert("Cases", late) // attempt 1's insert lands
	ev := chatEvent(cloudcx.EventChatWrappedUp, c)
	ev.WrapUp = &cloudcx.WrapUp{Categories: []string{"Billing"}, Comment: "Refund promised"}
	res, err := h.syncer.Handle(ctx, ev)
	if got := h.withMarker("Cases", c); len(got) != 1 {
		t.Fatalf("Cases of the chat after the wrap-up: %d (record %+v, err %v), want 1: the failed step's unsettled attempt is never looked for", len(got), res.Record, err)
	}
}

// Scenario: as above for the person (Zoho's search an hour behind): a new visitor's Contact
// insert fails ambiguously and lands late; the redelivery looks by marker (nothing yet), claims
// (unsettled), inserts and is refused for good (400 INVALID_DATA): the person step is FAILED
// with Err.NotApplied false. Attempt 1's Contact lands. The visitor's next event (the chat's
// end) arrives.
// Expected: one Contact for the visitor (the step's own look, or interruptedPerson, finds
// attempt 1's Contact by its marker).
// Actual: two. person.go, `if step.Status == StepPending && (step.Err == nil ||
// !step.Err.NotApplied)` skips reconcilePerson for a failed step, and interruptedPerson lists
// only StepPending steps (and leaves out `k == pw.step`); the search lags; a new Contact is
// inserted.
func TestReview14kFailedUnsettledPersonStepIsNotLookedFor(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(time.Hour)))
	h.settings("t1", rules.DefaultSettings())
	v := visitor("r14kfailedp")
	c := chat("c-r14k-failedp", v)
	h.host.PutChat(c)
	ctx := t.Context()
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, c))
	rs := h.records("Contacts", "Email", v.Email)
	if len(rs) != 1 {
		t.Fatalf("attempt 1's Contact: %v", rs)
	}
	late := h.holdBack("Contacts", rs[0]) // not landed yet
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 400, Code: "INVALID_DATA", Message: "refused by a validation rule", Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("attempt 2, refused for good: %v, want a permanent error", err)
	}
	h.lateInsert("Contacts", late) // attempt 1's insert lands
	res, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatEnded, c))
	if got := h.records("Contacts", "Email", v.Email); len(got) != 1 {
		var p *cxsync.RecordResult
		if res != nil {
			p = res.Person
		}
		t.Fatalf("Contacts of the visitor after the next event: %d (person %+v, err %v), want 1", len(got), p, err)
	}
}

// Scenario: the tenant identifies Contacts by Email only, and made Phone unique in Zoho (a
// unique field other than the visitor's identity). Contact A (a.other@…, phone P) exists. A new
// visitor B (another email, the same phone P: a shared switchboard) ends a chat. The search by
// B's email finds nothing; the insert is answered DUPLICATE_DATA on Phone, naming A.
// Expected: B is not A (the tenant's rules say a phone does not identify): no adoption of A —
// B's chat is not filed on A's Contact and A's record is not merged with B's values (the insert
// fails for good, naming the field, as before 808af10, or B is created without the field).
// Actual: B adopted as A: B's Case is related to A, B's keys map to A for every later chat, and
// the person step is recorded done with A. person.go, `if dup := duplicateOf(err); dup != ""`
// takes any DUPLICATE_DATA as "the person" without checking which field Zoho names
// (details.api_name) against the visitor's identification rules.
func TestReview14kDuplicateOnANonIdentityUniqueFieldAdoptsAnotherPerson(t *testing.T) {
	h := newHarness(t)
	set := rules.DefaultSettings()
	set.Identification.Contact = []rules.Rule{{Conditions: []rules.Condition{{CloudCXField: rules.FieldEmail, ZohoFields: []string{"Email"}}}}}
	h.settings("t1", set)
	fields := h.org.Fields("Contacts")
	for i := range fields {
		if fields[i].APIName == "Phone" {
			fields[i].Unique = true
		}
	}
	if err := h.org.SetFields("Contacts", fields); err != nil {
		t.Fatal(err)
	}
	b := visitor("r14kdupb")
	rec := crm.NewRecord()
	_ = rec.Set("Last_Name", "Other Person")
	_ = rec.Set("Email", "a.other@example.org")
	_ = rec.Set("Phone", b.Phone)
	made, _, err := h.admin().Records.Insert(t.Context(), "Contacts", []*crm.Record{rec}, nil)
	if err != nil || len(made) != 1 || made[0].ID == "" {
		t.Fatalf("A's Contact: %v, %v", made, err)
	}
	a := made[0].ID
	c := chat("c-r14k-dup", b)
	h.host.PutChat(c)
	res, herr := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c))
	if res != nil && res.Person != nil && res.Person.ID == a {
		t.Fatalf("visitor B (%s) adopted as Contact A (a.other@example.org) by a DUPLICATE_DATA on Phone: person %+v, record %+v, err %v", b.Email, res.Person, res.Record, herr)
	}
}
