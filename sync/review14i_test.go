package sync_test

// Adversarial review 14i of c32be96, 4c2c317 and 1108dcd (StepFilter.Kind, what identification
// found kept across a reload, a person step's Hash and sentEarlier, the owner derived again from
// a reloaded chat, a vanished person's step marked NotApplied). Each test fails on 2af1fc2 for
// the defect its comment names. All pass since: a done step's vanished record resets it and
// the visitor is identified again; the chat is loaded again before Zoho is read for a person the
// map does not know (nothing found before a reload is reused); interruptedPerson reads a few
// pages; and a step whose last insert Zoho refused (StepError.NotApplied, now only for definite
// refusals) is not looked for by its own visitor either, for persons and Cases.

import (
	"context"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// seqLoader answers the loads of one chat with the copies in seq, in turn (the last one again
// once they are used up), calling during(n) while the nth load (0 = the first) is under way: the
// host's chat changing between an event's loads, and what other workers do meanwhile.
type seqLoader struct {
	*cloudcx.MemoryHost
	id     string
	seq    []*cloudcx.Chat
	during func(n int)
	mu     gosync.Mutex
	n      int
}

func (l *seqLoader) LoadChat(ctx context.Context, tenant, id string) (*cloudcx.Chat, error) {
	if id != l.id {
		return l.MemoryHost.LoadChat(ctx, tenant, id)
	}
	l.mu.Lock()
	n := l.n
	l.n++
	l.mu.Unlock()
	if l.during != nil {
		l.during(n)
	}
	c := *l.seq[min(n, len(l.seq)-1)]
	return &c, nil
}

// Scenario: a Web Chat visitor's Contact insert is applied with its answer lost (the start
// event's; step pending). During the chat they give their phone. The chat's end event (loaded
// through the Loader, the usual deployment) reconciles the step and records it done with the
// Contact R; bringing R up to date with the phone (sentEarlier) then fails on a passing Zoho
// error (a 503 on the GET of R), so the event is delivered again — the person map never
// learnt R. Meanwhile an agent merges R into an older Contact in Zoho (R is gone), as agents
// do with a fresh duplicate-looking Contact.
// Expected: the redelivered end event finds R gone and identifies or creates the visitor again
// (as the known-person path does through vanished(), and as the step-done path did before
// 4c2c317: the Case insert's refused Related_To led to vanished()), and writes the Case.
// Actual: every delivery fails with "the Zoho record is gone" (ClassRetry), for ever: the
// step-done path now calls sentEarlier (person.go, `if err := w.sentEarlier(ctx, module,
// link, step.Hash, p.Values, incoming); err != nil { return nil, err }`), whose applyPolicy
// answers errVanished for the GET of R, but nothing calls w.vanished for the step, which stays
// done with R; ensurePerson's one retry on errVanished finds the same step, and so does every
// redelivery. The chat's Case is never written.
func TestReview14iSentEarlierVanishedStepStaysDone(t *testing.T) {
	h := newHarness(t)
	h.settings("t1", rules.DefaultSettings())
	v := cloudcx.Visitor{ID: "v-r14i-gone", Name: "Gone Visitor", Email: "gone.r14i@example.org"}
	c := chat("c-r14i-gone", v)
	h.host.PutChat(c)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, c))
	rs := h.records("Contacts", "Email", v.Email)
	if len(rs) != 1 {
		t.Fatalf("the interrupted Contact: %v", rs)
	}
	rid := rs[0]["id"].(string)
	withPhone := *c
	withPhone.Visitor.Phone = "+1 555 018 4455"
	h.host.PutChat(&withPhone)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "GET", Path: "/crm/v2/Contacts/" + rid, Status: 503, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, &withPhone)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("the end event with Zoho's 503: %v, want a retry", err)
	}
	if err := h.deleteRecord("Contacts", rid); err != nil {
		t.Fatal(err)
	}
	var err error
	var res *cxsync.Result
	for range 3 { // the host's queue delivers it again
		if res, err = h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, &withPhone)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the end event, delivered three more times after its Contact was merged away: %v (class %s)", err, cxsync.ClassOf(err))
	}
	if res.Record == nil || res.Record.Outcome != cxsync.Created || res.Person == nil || res.Person.ID == rid {
		t.Fatalf("person %+v, record %+v: want the visitor's person again and the Case", res.Person, res.Record)
	}
}

// Scenario: a Web Chat chat start is loaded through the Loader (the usual deployment). Its
// visitor V (email E, company Acme) is known to Zoho as a Contact F with E, phone PF and no
// Account. The first pass finds F by email; filling F's empty Account would change it, so the
// chat is loaded again (errStale). While it loads, another visitor W of the same person (email
// E3, which finds nothing; phone PF, which finds F: the default rules' second rule) and company
// Beta has their chat handled: identification finds F and fills its Account with Beta (the
// default FillEmpty policy). W's locks (email E3, phone PF) share nothing with V's (V's id,
// email E): nothing serialises the two, before 4c2c317 or since.
// Expected: F's Account stays Beta: FillEmpty never overwrites a value, and F as Zoho has it
// after the reload already has one (before 4c2c317 the search after the reload saw it).
// Actual: F's Account becomes Acme, over W's Beta. The pass after the reload takes F as the
// first pass found it (person.go, `if sf := w.staleFound; sf != nil && slices.Equal(sf.locks,
// pw.locks) { found, rule, adopted = sf.found, …`), on the premise that under the same locks
// "nothing else could write it" — but the locks are the visitor's keys, not the record's: any
// visitor a later rule joins to F (a shared phone, a custom rule), an adopter, a Zoho workflow
// or user writes F without them. rules.Merge then runs on the stale copy (no Account) and sends
// Acme. ensurePerson also keeps staleFound when it releases the locks for another visitor's
// keys and takes the same ones back after a second reload (it is cleared only when
// identification is reached), where even another visitor with email E writes F meanwhile.
func TestReview14iStaleFoundOverwritesAWriteMadeDuringTheReload(t *testing.T) {
	const id = "c-r14i-stalefound"
	loader := &seqLoader{id: id}
	h := newHarness(t, withConfig(func(c *cxsync.Config) { c.Loader = loader }))
	loader.MemoryHost = h.host
	h.settings("t1", rules.DefaultSettings())
	const e, pf = "stalefound.r14i@example.org", "+1 555 019 7777"
	acc, err := h.org.Seed("Accounts", map[string]any{"Account_Name": "Acme R14i"}, map[string]any{"Account_Name": "Beta R14i"})
	if err != nil {
		t.Fatal(err)
	}
	acme, beta := acc[0], acc[1]
	fs, err := h.org.Seed("Contacts", map[string]any{"Last_Name": "Existing Stale", "Email": e, "Phone": pf})
	if err != nil {
		t.Fatal(err)
	}
	f := fs[0]
	v := cloudcx.Visitor{ID: "v-r14i-stalefound", Name: "Stale Found", Email: e, Company: "Acme R14i"}
	c := chat(id, v)
	loader.seq = []*cloudcx.Chat{c}
	loader.during = func(n int) {
		if n == 1 { // the reload: W's chat is handled meanwhile
			w := chat("c-r14i-stalefound-w", cloudcx.Visitor{ID: "v-r14i-stalefound-w", Name: "Other Writer", Email: "other.r14i@example.org", Phone: pf, Company: "Beta R14i"})
			h.host.PutChat(w)
			if res := h.handle(chatEvent(cloudcx.EventChatStarted, w)); res.Person == nil || res.Person.ID != f || res.Person.Outcome != cxsync.Updated {
				t.Errorf("W: %+v, want F %s updated", res.Person, f)
			}
		}
	}
	h.host.PutChat(c)
	res := h.handle(chatEvent(cloudcx.EventChatStarted, c))
	if loader.n < 2 || res.Person == nil || res.Person.ID != f {
		t.Fatalf("%d loads, person %+v: the scenario did not happen", loader.n, res.Person)
	}
	r, _ := h.org.Record("Contacts", f)
	if got := lookupID(r["Account_Name"]); got != beta {
		t.Fatalf("F's Account %q (Acme is %q), want Beta %q: written by W during the reload, kept by FillEmpty", got, acme, beta)
	}
}

// Scenario: review 14h's crowding, by person steps. Earlier today a rate-limit storm (Zoho's
// 429 for the org's concurrency) refused 500 Contact inserts; their steps are pending with
// NotApplied (Zoho refused them: nothing was created) and the host's queue gave up on their
// events. Web Chat visitor X's Contact insert is then applied with its answer lost; Zoho's
// search lags; the same person arrives through Inbox (Y).
// Expected: Y adopts X's Contact (one Contact), as with no other pending step.
// Actual: a second Contact. interruptedPerson reads one page of the day's pending person steps,
// oldest first (person.go, `ListSteps(ctx, w.conn.TenantID, StepFilter{Status: StepPending,
// Since: now.Add(-interruptedWindow), Kind: StepPerson}, "", maxInterruptedSteps)`), and only
// then leaves out the steps known to have created nothing (`if st.Err != nil &&
// st.Err.NotApplied { continue }`) — and those of the other module or org: the 500 refused
// steps fill the page and X's, the newest, is never seen. 1108dcd adds to them: every person
// whose record vanished leaves a pending NotApplied step. The Kind filter moved the crowding
// from Case steps to person steps; the page should be read newest first, or leave out
// NotApplied steps and other modules in the store, or follow the cursor.
func TestReview14iInterruptedPersonCrowdedOutByRefusedPersonSteps(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	earlier := time.Now().Add(-2 * time.Hour)
	for i := range 500 {
		st := &cxsync.Step{Key: cxsync.StepKey{TenantID: "t1", OrgID: h.org.ID(), Section: cloudcx.SectionWebChat,
			SourceID: fmt.Sprint("visitor:webchat:v-r14i-storm-", i), Kind: cxsync.StepPerson, Name: "Contacts"},
			Status: cxsync.StepPending, Attempts: 1, UpdatedAt: earlier.Add(time.Duration(i) * time.Second), Module: "Contacts",
			Err: &cxsync.StepError{Class: cxsync.ClassRetry, Code: "TOO_MANY_REQUESTS", Message: "rate limited", NotApplied: true}}
		if _, err := h.store.PutStep(t.Context(), st); err != nil {
			t.Fatal(err)
		}
	}
	v := cloudcx.Visitor{ID: "v-r14i-crowd", Name: "Crowded By Persons", Email: "crowded.persons.r14i@example.org"}
	vi := v
	vi.ID = "v-r14i-crowd-inbox"
	c, cv := chat("c-r14i-crowd", v), conversation("cv-r14i-crowd", vi)
	h.host.PutChat(c)
	h.host.PutConversation(cv)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, c))
	h.handle(convEvent(cloudcx.EventConversationStarted, cv))
	if n := len(h.records("Contacts", "Email", v.Email)); n != 1 {
		t.Fatalf("%d Contacts for %s, want 1 (X's interrupted Contact, adopted)", n, v.Email)
	}
}

// Scenario: a new Web Chat visitor's chat ends during a burst of Zoho's 429s (the org's
// concurrency limit): the Contact insert is refused (nothing created; the step is pending with
// StepError.NotApplied) and the event is delivered again a moment later. The owner cache is warm.
// Expected: the redelivery costs what a new visitor costs (TestNewVisitorCalls): the
// identification search, the Contact, the Case — 3. The step says Zoho created nothing
// (NotApplied), which is why interruptedPerson leaves it out for every other visitor (and why
// 1108dcd marks a vanished person's step so).
// Actual: 4 — the visitor's own event lists the recent Contacts looking for a record its
// refused insert cannot have made: person.go, `if step.Status == StepPending { id, err :=
// w.reconcilePerson(ctx, module, step)` runs for any pending step, whatever its Err says. Each
// redelivery in a 429 burst pays this listing (adding to the burst), and so does the visitor of
// a vanished person on the retry right after vanished() (Get 404, listing, search, insert).
// (The Case step has the same shape: record.go, `if st.Status == StepPending && st.Attempts > 0`
// reconciles a Case whose insert Zoho refused.)
func TestReview14iRefusedPersonInsertIsReconciledByItsOwnVisitor(t *testing.T) {
	h := newHarness(t)
	warm := chat("c-r14i-warm", visitor("r14iwarm"))
	h.host.PutChat(warm)
	h.handle(chatEvent(cloudcx.EventChatEnded, warm))
	c := chat("c-r14i-429", visitor("r14i429"))
	h.host.PutChat(c)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 429, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("the 429: %v, want a retry", err)
	}
	h.srv.ResetCalls()
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	if res.Person == nil || res.Person.Outcome != cxsync.Created || res.Calls != 3 {
		var calls []string
		for _, c := range h.srv.Calls() {
			calls = append(calls, c.Method+" "+c.Path)
		}
		t.Fatalf("the redelivery after a refused insert: person %+v, %d calls %v, want 3 (search, Contact, Case)", res.Person, res.Calls, calls)
	}
}

// Scenario: as TestReview14iRefusedPersonInsertIsReconciledByItsOwnVisitor, for the Case: the
// chat's Case insert is refused with a 429 (nothing created: the step is pending with
// NotApplied) and the chat end is delivered again.
// Expected: the redelivery sends the Case: 1 call (the Contact is known and unchanged).
// Actual: 2 — a listing of the recent Cases first, looking for the Case the refused insert
// cannot have made: record.go, `if st.Status == StepPending && st.Attempts > 0 { // never
// claimed: nothing was sent` ignores st.Err.NotApplied.
func TestReview14iRefusedCaseInsertIsReconciled(t *testing.T) {
	h := newHarness(t)
	c := chat("c-r14i-429case", visitor("r14i429case"))
	h.host.PutChat(c)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Status: 429, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("the 429: %v, want a retry", err)
	}
	h.srv.ResetCalls()
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	if res.Record == nil || res.Record.Outcome != cxsync.Created || res.Calls != 1 {
		var calls []string
		for _, c := range h.srv.Calls() {
			calls = append(calls, c.Method+" "+c.Path)
		}
		t.Fatalf("the redelivery after a refused Case insert: record %+v, %d calls %v, want 1 (the Case)", res.Record, res.Calls, calls)
	}
}

// Scenario: TestReview14iSentEarlierVanishedStepStaysDone's defect reached with no Zoho error
// at all. Web Chat visitor X (email E, phone P) has their Contact insert applied with its answer
// lost; Zoho's search lags. Inbox visitor Y (email F, phone P) adopts X's Contact R through the
// phone rule and records X's step done with R; the map learns R under Y's id and P's rule key,
// not under X's id or E. An agent then merges R into another Contact (R is gone), and X, who
// meanwhile gave their full name, ends the chat (loaded through the Loader). Had X not changed,
// the Case insert's refused Related_To would have led to vanished() and a new person.
// Expected: X gets a person again (identified or created) and the chat its Case.
// Actual: every delivery of X's end fails with "the Zoho record is gone" (ClassRetry): the map
// cannot answer for X (its visitor key and email rule key were never written), X's step is done
// with R, and X's values differ from what X's insert sent, so sentEarlier GETs R; the
// errVanished it gets leaves the step done (person.go, the step-done path's `if err :=
// w.sentEarlier(…); err != nil { return nil, err }`: no w.vanished call).
func TestReview14iAdoptedPersonGoneStepStaysDone(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	vx := cloudcx.Visitor{ID: "v-r14i-adg-x", Name: "Adopted Gone", Email: "adopted.gone.r14i@example.org", Phone: "+1 555 020 3030"}
	vy := cloudcx.Visitor{ID: "v-r14i-adg-y", Name: "Adopted Gone", Email: "other.gone.r14i@example.org", Phone: vx.Phone}
	cx, cy := chat("c-r14i-adg-x", vx), conversation("cv-r14i-adg-y", vy)
	h.host.PutChat(cx)
	h.host.PutConversation(cy)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, cx))
	rs := h.records("Contacts", "Email", vx.Email)
	if len(rs) != 1 {
		t.Fatalf("X's Contact: %v", rs)
	}
	rid := rs[0]["id"].(string)
	if res := h.handle(convEvent(cloudcx.EventConversationStarted, cy)); res.Person == nil || res.Person.ID != rid {
		t.Fatalf("Y: %+v, want X's Contact %s adopted", res.Person, rid)
	}
	if err := h.deleteRecord("Contacts", rid); err != nil {
		t.Fatal(err)
	}
	later := *cx
	later.Visitor.Name = "Adopted Gone-Smith"
	h.host.PutChat(&later)
	var err error
	var res *cxsync.Result
	for range 3 {
		if res, err = h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, &later)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("X's chat end, delivered three times after R was merged away: %v (class %s)", err, cxsync.ClassOf(err))
	}
	if res.Record == nil || res.Record.Outcome != cxsync.Created || res.Person == nil || res.Person.ID == rid {
		t.Fatalf("person %+v, record %+v: want X's person again and the Case", res.Person, res.Record)
	}
}
