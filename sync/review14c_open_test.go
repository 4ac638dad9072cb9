package sync_test

// Defects the adversarial review 14c found that are not fixed yet (issue 14). Each test fails on
// the current code and is skipped with the reason until its fix lands; remove the skip with it.

import (
	"slices"
	"testing"
	"time"

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

// A conversation's resolve is loaded by the host's Loader, then delayed (a slow worker); meanwhile
// the visitor corrects their name and the conversation is resolved again, handled at once: the
// Overwrite policy writes "Jane Corrected" on the Contact. The delayed first resolve then runs
// with what it loaded: the chat is loaded again under the chat's lock for the Case (24af2a4), but
// not for the person, so its older visitor ("Jane Original") is merged over the newer name.
// Expected: the Contact keeps the newer name. Actual: the older name is written over it.
func TestReview14cDelayedOlderEventOverwritesThePerson(t *testing.T) {
	t.Skip("open defect (issue 14): the chat is reloaded under its lock for the Case/Task only, not for the person; as written the test also waits for a Loader call its resolve event does not make: finish it with the fix")
	loader := &staleLoader{id: "cv-r14c-stale", loading: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, withConfig(func(c *cxsync.Config) { c.Loader = loader }))
	loader.MemoryHost = h.host
	st := rules.DefaultSettings()
	st.UpdatePolicy.Contact = rules.Overwrite
	h.settings("t1", st)
	v := visitor("r14cstale")
	v.Name = "Jane Original"
	c := conversation(loader.id, v)
	h.host.PutConversation(c)
	h.handle(convEvent(cloudcx.EventConversationStarted, c)) // the Contact exists, named as then
	old := *c
	old.Messages = slices.Clone(c.Messages)
	loader.old = &old
	first := make(chan error, 1)
	go func() {
		_, err := h.syncer.Handle(t.Context(), convEvent(cloudcx.EventConversationResolved, c))
		first <- err
	}()
	<-loader.loading
	newer := *c
	newer.Visitor.Name = "Jane Corrected"
	newer.Messages = append(slices.Clone(c.Messages), cloudcx.Message{ID: "late", SentAt: chatStart.Add(2 * time.Hour), SenderKind: cloudcx.SenderVisitor, SenderName: "Jane", Text: "My name is Jane Corrected"})
	h.host.PutConversation(&newer)
	h.handle(convEvent(cloudcx.EventConversationResolved, &newer))
	if got := h.records("Contacts", "Email", v.Email); len(got) != 1 || got[0]["Last_Name"] != "Jane Corrected" {
		t.Fatalf("after the newer resolve: %v", got)
	}
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
		t.Fatalf("%d Contacts; Last_Name %v after the delayed older resolve, want the newer \"Jane Corrected\"", len(got), name)
	}
}
