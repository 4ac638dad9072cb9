package sync_test

// Adversarial review 14g of 0311822 (rules.MatchDigests/MayMatch), 478cce2 (errStale: a loaded
// chat that would change its person is loaded again under the person's locks) and 905b9fb (the
// look for an interrupted person insert filtered by ambiguity/attempts and by match digests).
// Each test here fails on 905b9fb for the defect its comment names; all pass since the digests
// summarise Full_Name as Zoho makes it, StepError.Ambiguous became NotApplied (its zero value,
// and a step stored before it, read as "may have been applied") with no Attempts guard, and the
// stale check covers a person found by identification or adoption.

import (
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Scenario: the tenant identifies Contacts by name on Full_Name — a field Zoho computes itself
// from Salutation, First_Name and Last_Name; the integration never sends it. Web Chat visitor X
// ("Ada Lovelace") gets a Contact whose insert is applied with its answer lost (step pending,
// ambiguous), and Zoho's search lags. Inbox visitor Y, another id, same name, arrives: the name
// rule's search finds nothing yet, so interruptedPerson should look for X's interrupted insert —
// the Contact Zoho holds has Full_Name "Ada Lovelace", rules.Matches(Y's search, it) is true, and
// once Zoho indexes it identification picks it.
// Expected: Y adopts X's Contact (one Contact named Ada Lovelace).
// Actual: the step's MatchDigests were taken of the record as sent (person.go:
// `step.MatchDigests = rules.MatchDigests(p.Record)`), which has no Full_Name, so
// rules.MayMatch says no and the step is skipped (person.go interruptedPerson, `if !mayMatch {
// continue }`): Y gets a second Contact. The fuzz test of MayMatch holds only for the record it
// digested, not for the record Zoho stores (fields Zoho fills: Full_Name, layout defaults,
// workflow updates).
func TestReview14gDigestsMissFieldsZohoFills(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	st := rules.DefaultSettings()
	st.Identification.Contact = []rules.Rule{{Conditions: []rules.Condition{{CloudCXField: rules.FieldName, ZohoFields: []string{"Full_Name"}}}}}
	h.settings("t1", st)
	vx := cloudcx.Visitor{ID: "v-r14g-fn-x", Name: "Ada Lovelace", Email: "ada.r14g@example.org"}
	vy := cloudcx.Visitor{ID: "v-r14g-fn-y", FirstName: "Ada", LastName: "Lovelace", Email: "countess.r14g@example.org"}
	cx, cy := chat("c-r14g-fn-x", vx), conversation("cv-r14g-fn-y", vy)
	h.host.PutChat(cx)
	h.host.PutConversation(cy)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, cx))
	xs := h.records("Contacts", "Full_Name", "Ada Lovelace")
	if len(xs) != 1 {
		t.Fatalf("X's Contact by Full_Name: %v", xs)
	}
	before := len(h.org.Records("Contacts"))
	res := h.handle(convEvent(cloudcx.EventConversationStarted, cy))
	if n := len(h.org.Records("Contacts")) - before; n != 0 || res.Person == nil || res.Person.ID != xs[0]["id"] {
		t.Fatalf("Y (name rule on Full_Name) got %+v and %d Contact(s) more; want X's Contact %v adopted, none more", res.Person, n, xs[0]["id"])
	}
}

// Scenario: X's Contact insert is refused twice (429 each time — Zoho answered, nothing was
// created; a rate-limit storm makes this common), once per delivery of X's event. The step is
// pending with a non-ambiguous error and Attempts == 2. The same person then arrives through
// Inbox (Y: another visitor id, X's email).
// Expected: as after one refusal (TestRefusedPersonInsertIsNotLookedFor), Y costs a new
// visitor's calls: search, insert — 2. No insert of X's was ever applied: each refusal was an
// answer, and X's second attempt reconciled by marker (found nothing) before it was sent.
// Actual: 3 — a listing of recent Contacts too. The guard counts claims, not attempts whose
// fate is unknown (person.go interruptedPerson, `case st.Err != nil && !st.Err.Ambiguous &&
// st.Attempts <= 1`): every refusal after the first makes the step look possibly applied for
// the next 24 h, and every visitor who MayMatch it pays a listing.
func TestReview14gTwoRefusedInsertsStillLookedFor(t *testing.T) {
	h := newHarness(t)
	h.settings("t1", rules.DefaultSettings())
	vw := cloudcx.Visitor{ID: "v-r14g-ref-w", Name: "Refused Twice", Email: "refused.twice.r14g@example.org"}
	vi := vw
	vi.ID = "v-r14g-ref-i"
	c, conv := chat("c-r14g-ref-w", vw), conversation("cv-r14g-ref-i", vi)
	h.host.PutChat(c)
	h.host.PutConversation(conv)
	for range 2 {
		if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 429, Code: "TOO_MANY_REQUESTS", Message: "rate limited", Times: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
			t.Fatalf("refused insert: %v", err)
		}
	}
	if res := h.handle(convEvent(cloudcx.EventConversationStarted, conv)); res.Calls != 2 || res.Person == nil || res.Person.Outcome != cxsync.Created {
		t.Fatalf("the same person through Inbox after two refused inserts: %d calls (%+v), want 2 (search, insert): no insert was applied, nothing to look for", res.Calls, res.Person)
	}
}

// Scenario: a rolling upgrade. X's Contact insert was applied with its answer lost by a worker
// of the previous release, which kept the step as it always had: pending, Attempts 1, its Err
// the AmbiguousError's message, with neither of the two new fields (no StepError.Ambiguous, no
// MatchDigests: the JSON the stores keep simply lacks them; the CHANGELOG says "nothing to
// migrate"). Within the day, the same person arrives through Inbox on a worker of this release;
// the search lags.
// Expected: Y adopts X's Contact, as the previous release would have (its step says its insert
// "may or may not have been applied").
// Actual: the step reads as a refusal — Err set, Ambiguous false, one attempt — and is skipped
// (person.go interruptedPerson, `case st.Err != nil && !st.Err.Ambiguous && st.Attempts <= 1`):
// a second Contact. An absent Ambiguous means "unknown", not "Zoho refused it".
func TestReview14gStepFromThePreviousReleaseNotLookedFor(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	ctx := t.Context()
	vw := cloudcx.Visitor{ID: "v-r14g-old-w", Name: "Old Release", Email: "old.release.r14g@example.org"}
	vi := vw
	vi.ID = "v-r14g-old-i"
	c, conv := chat("c-r14g-old-w", vw), conversation("cv-r14g-old-i", vi)
	h.host.PutChat(c)
	h.host.PutConversation(conv)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, c))
	key := cxsync.StepKey{TenantID: "t1", OrgID: h.org.ID(), Section: cloudcx.SectionWebChat, SourceID: "visitor:web_chat:" + vw.ID, Kind: cxsync.StepPerson, Name: rules.ModuleContacts}
	st, err := h.store.GetStep(ctx, key)
	if err != nil || st.Status != cxsync.StepPending || st.Err == nil || st.Err.NotApplied || st.Attempts != 1 {
		t.Fatalf("X's step: %+v, %v", st, err)
	}
	st.MatchDigests = nil // as the previous release stored it (no digests; no NotApplied, as for a lost answer)
	if _, err := h.store.PutStep(ctx, st); err != nil {
		t.Fatal(err)
	}
	xs := h.records("Contacts", "Email", vw.Email)
	if len(xs) != 1 {
		t.Fatalf("X's Contact: %v", xs)
	}
	res := h.handle(convEvent(cloudcx.EventConversationStarted, conv))
	if n := len(h.records("Contacts", "Email", vw.Email)); n != 1 || res.Person == nil || res.Person.ID != xs[0]["id"] {
		t.Fatalf("Y got %+v; %d Contacts for %s, want X's Contact %v adopted, one Contact", res.Person, n, vw.Email, xs[0]["id"])
	}
}

// Scenario: an Inbox contact without a visitor id (the person is known by its chat's key and the
// rules' keys only). Zoho holds Contact R (email E1, phone P, seeded: the person map has never
// seen it). Policy Overwrite; rules email then phone. The conversation's start event S is loaded
// with the visitor as first given (E1, P, "Alice Stale") and delayed. The visitor corrects their
// email to E2 and name to "Alice Newer"; the conversation is resolved (event N, loaded then):
// N finds R by phone (rule 2), overwrites it with E2 / "Alice Newer", and remembers it under the
// phone rule's key (the only key R matched). Then S goes on.
// Expected: R keeps the newer visitor (E2, "Alice Newer"): S, loaded before N, must not write
// its older visitor over it — what 478cce2 set out to guarantee "for person-only (started) events
// too".
// Actual: S asks the map under its chat's key (never remembered: R was identified, not created)
// and its first rule's key, email:E1 (a miss: N remembered phone:P) — known() stops at the first
// rule — so person() has no link, the errStale check (person.go, `if link != nil { if w.reload
// != nil && !w.fresh … return nil, errStale`) is never reached, and identification finds R by
// phone and overwrites it with E1 / "Alice Stale". Only a link the map returns can make an event
// stale; the identification path (and the step-done path) write with no such check.
func TestReview14gStaleStartOfIdlessVisitorOverwritesThroughIdentification(t *testing.T) {
	const id = "cv-r14g-idless"
	loader := &staleLoader{loading: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, withConfig(func(c *cxsync.Config) { c.Loader = loader }))
	loader.MemoryHost = h.host
	st := rules.DefaultSettings()
	st.UpdatePolicy.Contact = rules.Overwrite
	h.settings("t1", st)
	const phone = "+1 555 0707 777"
	ids, err := h.org.Seed("Contacts", map[string]any{"Last_Name": "Alice Seeded", "Email": "alice.old.r14g@example.org", "Phone": phone})
	if err != nil {
		t.Fatal(err)
	}
	v1 := cloudcx.Visitor{Name: "Alice Stale", Email: "alice.old.r14g@example.org", Phone: phone}
	c := conversation(id, v1)
	old := *c
	loader.id, loader.old = id, &old
	h.host.PutConversation(c)
	first := make(chan error, 1)
	go func() {
		res, err := h.syncer.Handle(t.Context(), convEvent(cloudcx.EventConversationStarted, c))
		if res != nil && res.Person != nil {
			t.Logf("the delayed start: %s %s (%s)", res.Person.Outcome, res.Person.ID, res.Person.Reason)
		}
		first <- err
	}()
	<-loader.loading
	newer := *c
	newer.Visitor.Name, newer.Visitor.Email = "Alice Newer", "alice.new.r14g@example.org"
	h.host.PutConversation(&newer)
	if res := h.handle(convEvent(cloudcx.EventConversationResolved, &newer)); res.Person == nil || res.Person.ID != ids[0] {
		t.Fatalf("the newer resolve: %+v, want the seeded Contact %s found by phone", res.Person, ids[0])
	}
	close(loader.release)
	if err := <-first; err != nil {
		t.Fatalf("the delayed start: %v", err)
	}
	r, _ := h.org.Record("Contacts", ids[0])
	if r["Last_Name"] != "Alice Newer" || r["Email"] != "alice.new.r14g@example.org" {
		t.Fatalf("the Contact after the delayed start: Last_Name %v, Email %v; want the newer visitor's (Alice Newer, alice.new.r14g@example.org)", r["Last_Name"], r["Email"])
	}
}
