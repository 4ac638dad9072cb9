package sync_test

// Adversarial review 14h of e37c843, 5eb08e2 and aabbd76 (errStale on the identification and
// adoption paths, interrupted person steps looked for at once, StepError.NotApplied,
// Full_Name digests). Each test fails on aabbd76 for the defect its comment names; all pass since
// what identification or adoption found is kept across the reload under the same locks, the
// owner is derived again from a reloaded chat, a person step's Hash tells whether an earlier
// attempt sent this visitor's values, and ListSteps filters by kind.

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Scenario: the host's events do not carry the chat (Config.Loader: the harness's default, and
// the usual deployment). A Web Chat visitor new to sync ends a chat; Zoho already holds a
// Contact with their email (made by a salesperson) with no phone, so the default FillEmpty
// policy fills the phone. The owner cache is warm.
// Expected: 3 calls, as when the event carries its chat (and as TestNewVisitorCalls's budget
// for a visitor sync has not seen): the identification search, the update, the Case.
// Actual: 4 — the identification search is made twice. person() finds the Contact, rules.Merge
// says it changes, and it returns errStale (person.go, the `if found != nil { if w.reload != nil
// && !w.fresh { … return nil, errStale` block) after the Zoho search; ensurePerson reloads
// the chat under the very locks it already held (the keys are the same) and calls person()
// again, which searches Zoho again (`found, rule, err := w.identifyBy(ctx, module,
// pw.searches)`) for the same searches, under the same locks: nothing another worker of this
// person could have changed. Every Loader-fed visitor that Zoho already knows and that sync
// updates pays one search more (two with a pending step it MayMatch: the listing is repeated
// too; see the next test).
func TestReview14hStaleFoundPersonSearchedTwice(t *testing.T) {
	h := newHarness(t)
	h.settings("t1", rules.DefaultSettings())
	warm := chat("c-r14h-warm", visitor("r14hwarm"))
	h.host.PutChat(warm)
	h.handle(chatEvent(cloudcx.EventChatEnded, warm))
	v := visitor("r14hfound")
	ids, err := h.org.Seed("Contacts", map[string]any{"Last_Name": "Existing", "Email": v.Email})
	if err != nil {
		t.Fatal(err)
	}
	c := chat("c-r14h-found", v)
	h.host.PutChat(c)
	h.srv.ResetCalls()
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c)) // loaded through the Loader
	if res.Person == nil || res.Person.ID != ids[0] || res.Person.Outcome != cxsync.Updated {
		t.Fatalf("person %+v, want the seeded Contact %s updated", res.Person, ids[0])
	}
	if n := h.srv.CallCount("GET", "/crm/v2/Contacts/search"); res.Calls != 3 || n != 1 {
		t.Fatalf("a visitor Zoho knows, loaded through the Loader: %d calls (%d searches), want 3 (search, update, Case) as with the chat carried by the event", res.Calls, n)
	}
}

// Scenario: as TestReview14hStaleFoundPersonSearchedTwice, on the adoption path. Web Chat
// visitor X's Contact insert is applied with its answer lost (step pending, ambiguous); Zoho's
// search lags. The same person arrives through Inbox (Y: another visitor id, X's email) and has
// a phone X did not give; Y's event is loaded through the Loader.
// Expected: Y adopts X's Contact and fills its phone with a new visitor's calls: search,
// listing, update — 3.
// Actual: 5 — after the listing found X's Contact, rules.Merge says the phone changes it, so
// person() returns errStale (same block as above); the chat is loaded again under the same
// locks and person() repeats both the search and the listing of recent Contacts
// (interruptedPerson) before the update.
func TestReview14hStaleAdoptionListsTwice(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	vx := cloudcx.Visitor{ID: "v-r14h-adopt-x", Name: "Adopt Twice", Email: "adopt.twice.r14h@example.org"}
	vy := vx
	vy.ID, vy.Phone = "v-r14h-adopt-y", "+1 555 014 7788"
	cx, cy := chat("c-r14h-adopt-x", vx), conversation("cv-r14h-adopt-y", vy)
	cy.Agents, cy.Messages = nil, cy.Messages[:1] // no agent: no owner lookup in Y's count
	h.host.PutChat(cx)
	h.host.PutConversation(cy)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, cx))
	xs := h.records("Contacts", "Email", vx.Email)
	if len(xs) != 1 {
		t.Fatalf("X's Contact: %v", xs)
	}
	h.srv.ResetCalls()
	res := h.handle(convEvent(cloudcx.EventConversationStarted, cy))
	if res.Person == nil || res.Person.ID != xs[0]["id"] {
		t.Fatalf("Y got %+v, want X's Contact %v adopted", res.Person, xs[0]["id"])
	}
	if res.Calls != 3 {
		var calls []string
		for _, c := range h.srv.Calls() {
			calls = append(calls, c.Method+" "+c.Path)
		}
		t.Fatalf("Y adopting X's Contact and filling its phone: %d calls %v, want 3 (search, listing, update)", res.Calls, calls)
	}
}

// Scenario: an Inbox conversation is loaded through the Loader before the visitor changed their
// email and phone and before it was handed to another agent (Kris Marrier, a Zoho user), and
// handled only after both. The visitor's old email finds a Contact R in Zoho that lacks the old
// phone, so FillEmpty would change R: person() returns errStale, the conversation is loaded
// again (the newer visitor and agent), the newer keys are locked, and the newer visitor, whom no
// rule finds, gets a new Contact.
// Expected: the new Contact is owned by the reloaded conversation's last agent, Kris — aabbd76
// says "the owner resolved again from the reloaded chat".
// Actual: it is owned by the stale copy's agent, Anna. ensurePerson calls w.resolveOwner again
// after the reload (person.go, `if own, err = w.resolveOwner(ctx); err != nil { // the newer
// chat's agent`), but resolveOwner resolves only `if w.owner == nil` — once per Handle — and
// w.owner still holds the stale chat's owner, so the call returns it unchanged. (The Case or
// Task rendered later in the same Handle takes the same stale owner.)
func TestReview14hOwnerNotResolvedAgainAfterReload(t *testing.T) {
	const id = "cv-r14h-owner"
	loader := &staleLoader{id: id, loading: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, withConfig(func(c *cxsync.Config) { c.Loader = loader }))
	loader.MemoryHost = h.host
	h.settings("t1", rules.DefaultSettings())
	var anna, kris string
	for _, u := range h.org.Users() {
		switch u.Email {
		case "anna.kingsley@zylker.example":
			anna = u.ID
		case "kris.marrier@zylker.example":
			kris = u.ID
		}
	}
	seeded, err := h.org.Seed("Contacts", map[string]any{"Last_Name": "Owner Old", "Email": "owner.old.r14h@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	old := conversation(id, cloudcx.Visitor{ID: "v-r14h-owner", Name: "Owner Visitor", Email: "owner.old.r14h@example.org", Phone: "+1 555 016 1111"})
	loader.old = old
	newer := *old
	newer.Visitor.Email, newer.Visitor.Phone = "owner.new.r14h@example.org", "+1 555 016 2222"
	newer.Agents = append(slices.Clone(old.Agents), cloudcx.Agent{ID: "a2", Name: "Kris Marrier", Email: "kris.marrier@zylker.example"})
	newer.Messages = append(slices.Clone(old.Messages), cloudcx.Message{ID: "m3", SentAt: chatStart.Add(2 * time.Minute), SenderKind: cloudcx.SenderAgent, SenderID: "a2", SenderName: "Kris Marrier", Text: "I'll take it from here."})
	h.host.PutConversation(&newer)
	close(loader.release) // the stale copy is answered at once: handled after the change
	res := h.handle(convEvent(cloudcx.EventConversationStarted, &newer))
	if res.Person == nil || res.Person.Outcome != cxsync.Created || res.Person.ID == seeded[0] {
		t.Fatalf("person %+v, want a new Contact for the newer visitor", res.Person)
	}
	r, _ := h.org.Record("Contacts", res.Person.ID)
	if got := lookupID(r["Owner"]); got != kris {
		t.Fatalf("the newer visitor's Contact is owned by %q (Anna is %q), want the reloaded conversation's last agent Kris (%q)", got, anna, kris)
	}
}

// Scenario: a Web Chat visitor starts a chat with their email only; the start event's Contact
// insert is applied with its answer lost (step pending). During the chat they give their phone;
// the chat's end event reconciles the step (finds the Contact by its marker) and links it.
// Expected: the Contact gets the phone (the default FillEmpty policy fills an empty field), as
// it would had the first answer not been lost — or at least a later chat with the same details
// writes it.
// Actual: the Contact never gets the phone. The reconcile path links the record without
// merging and remembers the incoming values as written (person.go, `return w.personDone(ctx,
// module, pw.keysFor(p.Record), step, id, accountID, incoming, Created, "created by an earlier
// attempt")`: link.Values = incoming), although the record holds what the earlier attempt sent;
// every later event with these details is "known, nothing to update" (applyPolicy: changes()
// compares with link.Values). The step-done path (`step.Status == StepDone && step.RecordID
// != ""`, which an adopter's personStepDone now also leads to) does the same.
func TestReview14hReconciledPersonKeepsTheOlderVisitor(t *testing.T) {
	h := newHarness(t)
	h.settings("t1", rules.DefaultSettings())
	v := cloudcx.Visitor{ID: "v-r14h-recon", Name: "Recon Visitor", Email: "recon.r14h@example.org"}
	c := chat("c-r14h-recon", v)
	h.host.PutChat(c)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, c))
	withPhone := *c
	withPhone.Visitor.Phone = "+1 555 017 3344"
	h.host.PutChat(&withPhone)
	res := h.handle(chatEvent(cloudcx.EventChatEnded, &withPhone))
	if res.Person == nil {
		t.Fatalf("no person: %+v", res)
	}
	c2 := chat("c-r14h-recon-2", withPhone.Visitor)
	h.host.PutChat(c2)
	h.handle(chatEvent(cloudcx.EventChatEnded, c2))
	r, _ := h.org.Record("Contacts", res.Person.ID)
	if r["Phone"] != withPhone.Visitor.Phone {
		t.Fatalf("the Contact's phone after two chats with it: %v, want %s", r["Phone"], withPhone.Visitor.Phone)
	}
}

// Scenario: review 14e's crowding, within the day. The tenant has 500 Case steps left pending in
// the last hours (events the host's queue gave up on during a Zoho outage of Cases; or, at load,
// the Case and person steps of the chats in flight). Web Chat visitor X's Contact insert is then
// applied with its answer lost; Zoho's search lags; the same person arrives through Inbox (Y).
// Expected: Y adopts X's Contact (one Contact), as with no other pending step.
// Actual: a second Contact. interruptedPerson reads one page of the tenant's pending steps of
// every kind, module and org, oldest first (person.go, `ListSteps(ctx, w.conn.TenantID,
// StepFilter{Status: StepPending, Since: now.Add(-interruptedWindow)}, "", maxInterruptedSteps)`)
// and filters kind/module/org only afterwards: 500 older Case steps fill the page and X's step,
// the newest, is never seen. StepFilter.Since (14e's fix) only drops steps older than a day.
func TestReview14hInterruptedPersonCrowdedOutWithinTheDay(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	earlier := time.Now().Add(-2 * time.Hour)
	for i := range 500 {
		st := &cxsync.Step{Key: cxsync.StepKey{TenantID: "t1", OrgID: h.org.ID(), Section: cloudcx.SectionWebChat,
			SourceID: fmt.Sprint("c-r14h-outage-", i), Kind: cxsync.StepRecord, Name: "Cases"},
			Status: cxsync.StepPending, Attempts: 3, UpdatedAt: earlier.Add(time.Duration(i) * time.Second),
			Err: &cxsync.StepError{Class: cxsync.ClassRetry, Code: "TOO_MANY_REQUESTS", Message: "rate limited", NotApplied: true}}
		if _, err := h.store.PutStep(t.Context(), st); err != nil {
			t.Fatal(err)
		}
	}
	v := cloudcx.Visitor{ID: "v-r14h-crowd", Name: "Crowded Today", Email: "crowded.today.r14h@example.org"}
	vi := v
	vi.ID = "v-r14h-crowd-inbox"
	c, cv := chat("c-r14h-crowd", v), conversation("cv-r14h-crowd", vi)
	h.host.PutChat(c)
	h.host.PutConversation(cv)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, c))
	h.handle(convEvent(cloudcx.EventConversationStarted, cv))
	if n := len(h.records("Contacts", "Email", v.Email)); n != 1 {
		t.Fatalf("%d Contacts for %s, want 1 (X's interrupted Contact, adopted)", n, v.Email)
	}
}
