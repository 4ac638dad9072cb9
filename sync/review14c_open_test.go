package sync_test

// Defects the adversarial review 14c found that are not fixed yet (issue 14). Each test fails on
// the current code and is skipped with the reason until its fix lands; remove the skip with it.

import (
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// A visitor without an id (an offline message, an Inbox contact known by email only) starts chat
// A; its Contact insert is applied by Zoho but the answer is lost, so A's person step (now keyed
// "chat:webchat:A", 632acfc) stays pending. Before A is redelivered, the same visitor starts chat
// B. B's person step is its own ("chat:webchat:B"): it never sees A's pending step, the person
// map has nothing (A never finished), and Zoho's search does not show A's Contact yet (indexing
// delay), so B creates a second Contact for the same email.
// Expected: one Contact for the visitor. Actual: two.
func TestReview14cIdlessVisitorAmbiguousInsertThenNextChatDuplicates(t *testing.T) {
	t.Skip("open defect (issue 14): an ambiguous person insert is not found by another chat of the same person before its retry")
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	v := cloudcx.Visitor{Name: "Noid Person", Email: "noid.person@example.org"}
	a, b := chat("c-r14c-noid-a", v), chat("c-r14c-noid-b", v)
	h.host.PutChat(a)
	h.host.PutChat(b)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, a)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("dropped answer: %v", err)
	}
	h.handle(chatEvent(cloudcx.EventChatStarted, b))
	h.handle(chatEvent(cloudcx.EventChatStarted, a)) // A redelivered: reconciled by its marker
	if n := len(h.records("Contacts", "Email", v.Email)); n != 1 {
		t.Fatalf("%d Contacts for one id-less visitor after an ambiguous insert and its next chat, want 1", n)
	}
}

// The same without the id-less twist: one person reaches Support through Web Chat (visitor id
// v-w) and Inbox (another visitor id), same email. The Web Chat Contact insert is applied but
// its answer lost (step pending under "visitor:webchat:v-w"); the Inbox conversation starts
// before the retry. Its step is "visitor:inbox:…", the map is empty, the search lags: a second
// Contact. ("One person per visitor … same normalised email" — design.md.)
// Expected: one Contact. Actual: two.
func TestReview14cAmbiguousInsertThenOtherSectionDuplicates(t *testing.T) {
	t.Skip("open defect (issue 14): an ambiguous person insert is not found by another section of the same person before its retry")
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	st := rules.DefaultSettings() // both sections Support: one Contact per person
	h.settings("t1", st)
	vw := cloudcx.Visitor{ID: "v-r14c-w", Name: "Two Ways", Email: "two.ways@example.org"}
	vi := vw
	vi.ID = "v-r14c-i"
	c := chat("c-r14c-2w", vw)
	conv := conversation("cv-r14c-2w", vi)
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
		t.Fatalf("%d Contacts for one person through two sections after an ambiguous insert, want 1", n)
	}
}
