package sync_test

// Adversarial review 14c of sync's latest fixes (exactly-once, connect, manual mode). Each test
// here failed on the code it was written against (base c82292e); it is kept as evidence of a
// defect and as a regression test for its fix.

import (
	"errors"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// A host whose OAuth client asks for broader scopes than sync's defaults (ZohoCRM.settings.ALL,
// ZohoCRM.users.ALL, ZohoCRM.org.ALL, ZohoSearch.securesearch.ALL; ZohoCRM.modules.ALL covers
// attachments in the fake; Zoho's attachment pages ask for ZohoCRM.modules.attachments too, so
// it is granted here) — or a self-client token made with them — is refused as "missing scopes",
// although every call sync makes is allowed (the fake enforces Zoho's scope hierarchy; the
// Handle below goes through). finishConnect compares granted scope names for equality
// (connect.go: slices.ContainsFunc … EqualFold) instead of asking whether a granted scope covers
// a needed one.
// Expected: connected. Actual: ConnectMissingScopes.
func TestReview14cBroaderScopesRefusedAtConnect(t *testing.T) {
	h := newHarness(t)
	broad := []string{"ZohoCRM.modules.ALL", "ZohoCRM.modules.attachments.ALL", "ZohoCRM.settings.ALL", "ZohoCRM.users.ALL", "ZohoCRM.org.ALL", "ZohoSearch.securesearch.ALL"}
	// The token works for what sync does: a tenant connected with it syncs a chat.
	h.syncer.Disconnect(t.Context(), "t1") //nolint:errcheck // the harness token is replaced by the broad one
	tok := &zoho.Token{RefreshToken: h.org.IssueRefreshToken(broad...), AccountsServer: h.srv.URL(), APIDomain: h.srv.URL()}
	if _, err := h.store.SaveToken(t.Context(), "t1", tok, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.PutConnection(t.Context(), &cxsync.Connection{TenantID: "t1", OrgID: h.org.ID(), OrgName: h.org.Name(),
		Edition: h.org.Edition(), UserID: h.org.CurrentUser().ID, UserEmail: h.org.CurrentUser().Email,
		Client: systemClient(h), ConnectedAt: chatStart}); err != nil {
		t.Fatal(err)
	}
	c := chat("c-r14c-broad", visitor("r14cbroad"))
	h.host.PutChat(c)
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); err != nil {
		t.Fatalf("the broad token cannot sync: %v", err)
	}
	fresh := &zoho.Token{RefreshToken: h.org.IssueRefreshToken(broad...), AccountsServer: h.srv.URL()}
	_, err := h.syncer.ConnectRefreshToken(t.Context(), "t-r14c-broad", systemClient(h), fresh)
	var ce *cxsync.ConnectError
	if errors.As(err, &ce) && ce.Kind == cxsync.ConnectMissingScopes {
		t.Fatalf("a token whose scopes cover everything sync calls is refused: missing %v", ce.Missing)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// CompleteConnect exchanges the code (Zoho mints a refresh token) and then fails reading the org
// or the user (a 500, a timeout): ConnectFailed, nothing stored — but the minted refresh token is
// never revoked (it is only revoked on missing scopes). Each failed attempt leaves a live token
// at Zoho; Zoho keeps 20 per user and client, the 21st evicting the oldest, which may be another
// tenant's live connection by the same Zoho user.
// Expected: the org's active refresh tokens unchanged after a failed connect. Actual: one more.
func TestReview14cFailedConnectLeavesMintedTokenLive(t *testing.T) {
	h := newHarness(t)
	before := h.org.ActiveRefreshTokens()
	u, err := h.syncer.ConnectURL(t.Context(), cxsync.ConnectRequest{TenantID: "t-r14c-leak", Client: systemClient(h)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "GET", Path: "/crm/v2/users", Status: 500, Code: "INTERNAL_ERROR", Message: "internal error"}); err != nil {
		t.Fatal(err)
	}
	_, err = h.syncer.CompleteConnect(t.Context(), "", consent(t, u))
	var ce *cxsync.ConnectError
	if !errors.As(err, &ce) || ce.Kind != cxsync.ConnectFailed {
		t.Fatalf("connect with the users call failing: %v, want ConnectFailed", err)
	}
	if after := h.org.ActiveRefreshTokens(); after != before {
		t.Fatalf("%d active refresh tokens after a failed connect, %d before: the minted token was left live", after, before)
	}
}

// A Case Zoho refused is on the failed list. The administrator switches the Web Chat section off
// (or changes a creation rule so the chat no longer qualifies), then runs RetryAllFailed:
// RetryFailed makes the step pending, Handle answers "section webchat is off" with no error, and
// the report counts the step as Succeeded. The step is now pending with no event to come: off the
// failed list, no Case in Zoho, and nothing tells the administrator.
// Expected: the step not reported as succeeded, and still listed as failed. Actual: Succeeded 1,
// failed list empty, no Case.
func TestReview14cRetryAllFailedCountsASkipAsSuccess(t *testing.T) {
	h := newHarness(t)
	c := chat("c-r14c-skip", visitor("r14cskip"))
	_, _ = failCase(t, h, c)
	steps, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10)
	if len(steps) != 1 {
		t.Fatalf("failed steps: %+v", steps)
	}
	st := rules.DefaultSettings()
	st.Sections.Inbox.Action = rules.Sales
	st.Sections.WebChat.Action = rules.Off
	h.settings("t1", st)
	rep, err := h.syncer.RetryAllFailed(t.Context(), "t1")
	if err != nil {
		t.Fatal(err)
	}
	left, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10)
	if rep.Succeeded != 0 || len(left) != 1 {
		t.Fatalf("RetryAllFailed %+v with nothing written (%d Cases); failed steps left: %d", rep, len(h.withMarker("Cases", c)), len(left))
	}
}

// repeatCases returns the org's Cases whose Subject ends with the marker of the chat's repeat seq.
func (h *harness) repeatCases(c *cloudcx.Chat, seq int) []map[string]any {
	k := rules.KeyOf(c)
	k.Seq = seq
	var out []map[string]any
	for _, r := range h.org.Records("Cases") {
		if s, _ := r["Subject"].(string); rules.HasMarker(s, k) {
			out = append(out, r)
		}
	}
	return out
}

// An agent clicks "create another" twice (request keys k1, k2). k1's insert is lost before
// Zoho had it (repeat 1 pending, unfinished); Zoho refuses k2's for good (repeat 2 failed). The
// administrator fixes the cause and retries repeat 2 (RetryFailed on its key): retryRecord goes
// through CreateCase{Another: true} without a request key, whose nextRepeat takes the first
// pending repeat — repeat 1, k1's. Repeat 1 is written; repeat 2, the step retried, is left
// pending, off the failed list, with no event or click to complete it (k2 sent again answers
// with repeat 2's step, which is pending and never claimed by anyone else; a new click gets
// repeat 3). RetryFailed reports success.
// Expected: RetryFailed(repeat 2) writes repeat 2. Actual: it writes repeat 1, repeat 2 is lost.
func TestReview14cRetryFailedRepeatWritesAnotherRepeat(t *testing.T) {
	h := newHarness(t)
	c := chat("c-r14c-rep", visitor("r14crep"))
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatEnded, c))
	create := func(key string) error {
		_, err := h.syncer.CreateCase(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID, Another: true, RequestKey: key})
		return err
	}
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Kind: zohotest.FaultDropBeforeApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if err := create("k1"); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("k1, insert lost: %v", err)
	}
	rule, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Status: 400, Code: "MANDATORY_NOT_FOUND", Message: "required field not found"})
	if err != nil {
		t.Fatal(err)
	}
	if err := create("k2"); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("k2 refused: %v", err)
	}
	rule.Remove()
	steps, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10)
	if len(steps) != 1 || steps[0].Key.Seq != 2 {
		t.Fatalf("failed steps: %+v", steps)
	}
	if _, err := h.syncer.RetryFailed(t.Context(), steps[0].Key); err != nil {
		t.Fatal(err)
	}
	if n := len(h.repeatCases(c, 2)); n != 1 {
		st, _ := h.store.GetStep(t.Context(), steps[0].Key)
		t.Fatalf("RetryFailed(repeat 2): %d Cases of repeat 2 (repeat 1: %d); its step is now %s", n, len(h.repeatCases(c, 1)), st.Status)
	}
}

// A conversation's resolve is loaded by the host's Loader, then delayed (a slow worker); meanwhile
// the visitor corrects their name and the conversation is resolved again, handled at once: the
// Overwrite policy writes "Jane Corrected" on the Contact. The delayed first resolve then runs
// with what it loaded: the chat is loaded again under the chat's lock for the Case (24af2a4), but
// not for the person, so its older visitor ("Jane Original") is merged over the newer name.
// Expected: the Contact keeps the newer name. Actual: the older name is written over it.
func TestReview14cDelayedOlderEventOverwritesThePerson(t *testing.T) {
	h, v := delayedOlderResolve(t, "cv-r14c-stale", "r14cstale", func(c *cloudcx.Conversation) {
		c.Visitor.Name = "Jane Corrected"
		c.Messages = append(c.Messages, cloudcx.Message{ID: "late", SentAt: chatStart.Add(2 * time.Hour), SenderKind: cloudcx.SenderVisitor, SenderName: "Jane", Text: "My name is Jane Corrected"})
	}, func(h *harness) {
		if got := h.records("Contacts", "Email", visitor("r14cstale").Email); len(got) != 1 || got[0]["Last_Name"] != "Jane Corrected" {
			t.Fatalf("after the newer resolve: %v", got)
		}
	})
	got := h.records("Contacts", "Email", v.Email)
	if len(got) != 1 || got[0]["Last_Name"] != "Jane Corrected" {
		name := any(nil)
		if len(got) > 0 {
			name = got[0]["Last_Name"]
		}
		t.Fatalf("%d Contacts; Last_Name %v after the delayed older resolve, want the newer \"Jane Corrected\"", len(got), name)
	}
}

// A visitor without an id (an offline message, an Inbox contact known by email only) starts chat
// A; its Contact insert is applied by Zoho but the answer is lost, so A's person step (now keyed
// "chat:webchat:A", 632acfc) stays pending. Before A is redelivered, the same visitor starts chat
// B. B's person step is its own ("chat:webchat:B"): it never sees A's pending step, the person
// map has nothing (A never finished), and Zoho's search does not show A's Contact yet (indexing
// delay), so B creates a second Contact for the same email.
// Expected: one Contact for the visitor. Actual: two.
func TestReview14cIdlessVisitorAmbiguousInsertThenNextChatDuplicates(t *testing.T) {

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
