package sync_test

// Adversarial review 14s (after a120813, 582794f, 35e87b9: Zoho, the map, then the step, for
// every person outcome; settleOwnStep). The first test fails on both 582794f and 35e87b9 (35e87b9's
// fix left out visitors without an id); the second passes on 582794f (a regression of 35e87b9).

import (
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// The first defect (a visitor without an id) is played by
// TestReview14rRetryAfterMapWrittenStepNotRecordedFailsForGood/without_an_id (review14r_test.go).

// Scenario: visitor A's Contact insert is answered 500 (not applied; its step stays pending,
// Attempts 1, an error that may have been applied). Visitor B (another id, the same email)
// creates the Contact. A's event comes back: the map finds the Contact under the email rule's
// key and remembers it under A's own key too (keysFor(nil, hit)). A's step stays pending with
// no record — its insert made nothing, and nothing will ever settle it.
// A then starts a new chat: a returning visitor, nothing changed.
// Expected: 1 Zoho call (the Case insert), as for any returning visitor.
// Actual: known() hits A's own key, and settleOwnStep (person.go `id, err :=
// w.reconcilePerson(ctx, pw.module, st)`) lists the Contacts by marker, finds nothing (id != the
// map's record), leaves the step as it was and returns nil: a Contacts listing on every chat of
// A, for good (lookSince only bounds the pages, the first page is always read).
func TestReview14sReturningVisitorWithUnsettledOwnStepListsEveryChat(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	va, vb := visitor("r14sa"), visitor("r14sb")
	vb.Email, vb.Phone = va.Email, va.Phone
	c1 := chat("c-r14s-a1", va)
	h.host.PutChat(c1)
	fr, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 500, Code: "INTERNAL_ERROR", Message: "try again"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatStarted, c1)); err == nil {
		t.Fatal("the 500'd Contact insert answered nil")
	}
	fr.Remove()
	if n := len(h.records("Contacts", "Email", va.Email)); n != 0 {
		t.Fatalf("%d Contacts after the 500, want 0", n)
	}
	cb := chat("c-r14s-b1", vb)
	h.host.PutChat(cb)
	h.handle(chatEvent(cloudcx.EventChatStarted, cb))
	h.handle(chatEvent(cloudcx.EventChatStarted, c1))
	if n := len(h.records("Contacts", "Email", va.Email)); n != 1 {
		t.Fatalf("%d Contacts, want 1", n)
	}
	c2 := chat("c-r14s-a2", va)
	h.host.PutChat(c2)
	h.handle(chatEvent(cloudcx.EventChatStarted, c2)) // warm: the first chat of A through its own key
	c3 := chat("c-r14s-a3", va)
	c3.Agents, c3.Messages[1].SenderID = nil, "" // no agent: no owner lookup (as TestReturningVisitorCostsOneCall)
	c3.Messages[1].SenderKind = cloudcx.SenderVisitor
	h.host.PutChat(c3)
	h.srv.ResetCalls()
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c3))
	if res.Calls != 1 {
		for _, c := range h.srv.Calls() {
			t.Log(c.String())
		}
		t.Fatalf("a returning visitor's chat cost %d Zoho calls, want 1 (%+v)", res.Calls, res.Person)
	}
}
