package sync_test

// Regression tests for the fixes of review 14c's defects, beside its tests of the defects
// themselves: adopting a Lead/Contact an interrupted person step created (sync/person.go
// interruptedPerson), and a loaded event loaded again under the person's lock (ensurePerson).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// The interrupted step of one person is not adopted for another: a different visitor arriving
// after it gets a Contact of their own, and the interrupted one is still reconciled (not
// duplicated) when its own event comes back.
func TestInterruptedPersonNotAdoptedForAnother(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	first := cloudcx.Visitor{ID: "v-ip-1", Name: "First Person", Email: "first.person@example.org", Phone: "+1 555 0100"}
	other := cloudcx.Visitor{ID: "v-ip-2", Name: "Other Person", Email: "other.person@example.org", Phone: "+1 555 0199"}
	c1, c2 := chat("c-ip-1", first), conversation("cv-ip-2", other)
	h.host.PutChat(c1)
	h.host.PutConversation(c2)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c1)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("dropped answer: %v", err)
	}
	res := h.handle(convEvent(cloudcx.EventConversationStarted, c2))
	if res.Person == nil || res.Person.Outcome != cxsync.Created {
		t.Fatalf("the other visitor: %+v, want a Contact created for them", res.Person)
	}
	h.handle(chatEvent(cloudcx.EventChatStarted, c1))
	for _, v := range []cloudcx.Visitor{first, other} {
		if n := len(h.records("Contacts", "Email", v.Email)); n != 1 {
			t.Errorf("%d Contacts for %s, want 1", n, v.Email)
		}
	}
}

// A batched person insert whose answer is lost leaves several people's steps pending at once;
// each of them arriving through the other section adopts their own Contact (not another's),
// and their own events coming back write nothing twice.
func TestInterruptedBatchOfPeopleAdoptedEachTheirOwn(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9), zohotest.WithLatency(20*time.Millisecond)))
	h.settings("t1", rules.DefaultSettings())
	before := len(h.org.Records("Contacts"))
	const n = 6
	var chats []*cloudcx.Chat
	var convs []*cloudcx.Conversation
	for i := range n {
		v := cloudcx.Visitor{ID: fmt.Sprint("v-ib-", i), Name: fmt.Sprint("Batch Person ", i), Email: fmt.Sprintf("batch.person%d@example.org", i)}
		c := chat(fmt.Sprint("c-ib-", i), v)
		vi := v
		vi.ID = fmt.Sprint("v-ib-inbox-", i)
		cv := conversation(fmt.Sprint("cv-ib-", i), vi)
		h.host.PutChat(c)
		h.host.PutConversation(cv)
		chats, convs = append(chats, c), append(convs, cv)
	}
	// Every Contacts insert of this first wave is applied but its answer lost.
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: n}); err != nil {
		t.Fatal(err)
	}
	var wg gosync.WaitGroup
	for _, c := range chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
				t.Errorf("dropped answer: %v", err)
			}
		}()
	}
	wg.Wait()
	h.srv.ClearFaults()
	batched := false
	for _, c := range h.srv.Calls() {
		if c.Method == "POST" && c.Path == "/crm/v2/Contacts" && c.Fault != "" && strings.Count(string(c.Body), `"Email"`) > 1 {
			batched = true
		}
	}
	if !batched {
		t.Fatal("no lost insert carried several people: the test did not batch")
	}
	for _, cv := range convs {
		h.handle(convEvent(cloudcx.EventConversationStarted, cv))
	}
	for _, c := range chats {
		h.handle(chatEvent(cloudcx.EventChatStarted, c))
	}
	for i, c := range chats {
		if got := len(h.records("Contacts", "Email", c.Visitor.Email)); got != 1 {
			t.Errorf("person %d: %d Contacts, want 1", i, got)
		}
	}
	if got := len(h.org.Records("Contacts")); got != before+n {
		t.Errorf("%d Contacts in the org, want %d new", got, n)
	}
}

// Two interrupted steps created records this visitor's rules both find: one by phone (rule 2),
// the newer, and one by email (rule 1), the older. The rules are asked in order, as
// identification would: the email's record is adopted.
func TestInterruptedPersonAdoptedInRuleOrder(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	byEmail := cloudcx.Visitor{ID: "v-ro-email", Name: "Rule One", Email: "rule.order@example.org"}
	byPhone := cloudcx.Visitor{ID: "v-ro-phone", Name: "Rule Two", Email: "someone.else@example.org", Phone: "+1 555 0142"}
	c1, c2 := chat("c-ro-1", byEmail), chat("c-ro-2", byPhone)
	h.host.PutChat(c1)
	h.host.PutChat(c2)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: 2}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*cloudcx.Chat{c1, c2} { // the email's record first: the phone's is newer
		if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
			t.Fatalf("dropped answer: %v", err)
		}
	}
	both := cloudcx.Visitor{ID: "v-ro-both", Name: "Rule One", Email: byEmail.Email, Phone: byPhone.Phone}
	conv := conversation("cv-ro", both)
	h.host.PutConversation(conv)
	res := h.handle(convEvent(cloudcx.EventConversationStarted, conv))
	want := h.records("Contacts", "Email", byEmail.Email)
	if len(want) != 1 || res.Person == nil || res.Person.ID != fmt.Sprint(want[0]["id"]) {
		t.Fatalf("adopted %+v, want the Contact found by email (rule 1): %v", res.Person, want)
	}
}

// delayedOlderResolve plays a delayed older resolve: conversation id, its visitor visitorID named
// "Jane Original", is started; a resolve event is handled with its load held, the conversation
// is changed by change and resolved again (between runs then), and the held load is let go with
// the older conversation. It returns once both resolves are handled.
func delayedOlderResolve(t *testing.T, id, visitorID string, change func(*cloudcx.Conversation), between func(*harness)) (*harness, cloudcx.Visitor) {
	t.Helper()
	loader := &staleLoader{loading: make(chan struct{}), release: make(chan struct{})} // no stale load yet
	h := newHarness(t, withConfig(func(c *cxsync.Config) { c.Loader = loader }))
	loader.MemoryHost = h.host
	st := rules.DefaultSettings()
	st.UpdatePolicy.Contact = rules.Overwrite
	h.settings("t1", st)
	v := visitor(visitorID)
	v.Name = "Jane Original"
	c := conversation(id, v)
	h.host.PutConversation(c)
	h.handle(convEvent(cloudcx.EventConversationStarted, c)) // the Contact exists, named as then
	loader.id = id                                           // the next load of it is the stale one
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
	newer.Messages = slices.Clone(c.Messages)
	change(&newer)
	h.host.PutConversation(&newer)
	h.handle(convEvent(cloudcx.EventConversationResolved, &newer))
	if between != nil {
		between(h)
	}
	close(loader.release)
	if err := <-first; err != nil {
		t.Fatalf("the delayed first resolve: %v", err)
	}
	return h, v
}

// A delayed older resolve whose visitor has since changed their email (so the newer visitor's
// person keys differ from the ones it locked first): it is loaded again, holds the newer keys
// instead, and writes nothing older over the Contact.
func TestDelayedOlderEventWithChangedKeysKeepsTheNewerPerson(t *testing.T) {
	h, _ := delayedOlderResolve(t, "cv-stale-keys", "stalekeys", func(c *cloudcx.Conversation) {
		c.Visitor.Name, c.Visitor.Email = "Jane Corrected", "jane.corrected@example.org"
	}, nil)
	got := h.records("Contacts", "Last_Name", "Jane Corrected")
	if len(got) != 1 || got[0]["Email"] != "jane.corrected@example.org" || len(h.records("Contacts", "Last_Name", "Jane Original")) != 0 {
		t.Fatalf("Contacts named Jane Corrected %v; the delayed older resolve wrote its visitor back", got)
	}
}

// A person insert Zoho refused (429: an answer, so nothing was created) is not looked for: the
// same person arriving through the other section — whose rules would find that record, were
// there one — costs a new visitor's calls (search, insert), no listing of recent Contacts.
func TestRefusedPersonInsertIsNotLookedFor(t *testing.T) {
	h := newHarness(t)
	h.settings("t1", rules.DefaultSettings())
	vw := cloudcx.Visitor{ID: "v-refused-w", Name: "Refused Once", Email: "refused.once@example.org"}
	vi := vw
	vi.ID = "v-refused-i"
	c, conv := chat("c-refused-w", vw), conversation("cv-refused-i", vi)
	h.host.PutChat(c)
	h.host.PutConversation(conv)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 429, Code: "TOO_MANY_REQUESTS", Message: "rate limited", Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("refused insert: %v", err)
	}
	if res := h.handle(convEvent(cloudcx.EventConversationStarted, conv)); res.Calls != 2 || res.Person == nil || res.Person.Outcome != cxsync.Created {
		t.Fatalf("the same person through Inbox after a refused insert: %d calls (%+v), want 2 (search, insert)", res.Calls, res.Person)
	}
	h.handle(chatEvent(cloudcx.EventChatStarted, c))
	if n := len(h.records("Contacts", "Email", vw.Email)); n != 1 {
		t.Fatalf("%d Contacts, want 1", n)
	}
}

// The look for an interrupted insert is made only by visitors whose rules could find its record
// (its step's match digests), but by those it is: the same person through the other section
// adopts it, with one listing call.
func TestInterruptedPersonLookedForOnlyByWhoCouldMatch(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	vw := cloudcx.Visitor{ID: "v-digest-w", Name: "Digest Person", Email: "Digest.Person@Example.org"}
	vi := vw
	vi.ID, vi.Email = "v-digest-i", "digest.person@example.org"
	c, conv := chat("c-digest-w", vw), conversation("cv-digest-i", vi)
	h.host.PutChat(c)
	h.host.PutConversation(conv)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("dropped answer: %v", err)
	}
	other := conversation("cv-digest-other", visitor("digestother"))
	h.host.PutConversation(other)
	if res := h.handle(convEvent(cloudcx.EventConversationStarted, other)); res.Calls != 2 {
		t.Fatalf("another person: %d calls, want 2 (search, insert): no look for a record their rules cannot find", res.Calls)
	}
	res := h.handle(convEvent(cloudcx.EventConversationStarted, conv))
	if res.Calls != 2 || res.Person == nil || res.Person.Outcome != cxsync.Found {
		t.Fatalf("the same person through Inbox: %d calls, %+v; want 2 (search, listing) and the Contact adopted", res.Calls, res.Person)
	}
	if n := len(h.records("Contacts", "Last_Name", "Digest Person")); n != 1 {
		t.Fatalf("%d Contacts, want 1", n)
	}
}

// The person's insert applied and answered, but recording it failed (the store was down): its
// step is left as claimed, pending without an error. The same person arriving through the other
// section at once (well within a lock's lease) adopts that Contact instead of inserting another.
func TestUnrecordedPersonInsertAdoptedAtOnce(t *testing.T) {
	fs := &failingStore{Store: memstore.New(), fails: 1}
	h := newHarness(t, withStore(fs), withFake(zohotest.WithIndexingDelay(10e9)))
	h.settings("t1", rules.DefaultSettings())
	vw := cloudcx.Visitor{ID: "v-unrec-w", Name: "Unrecorded Person", Email: "unrecorded@example.org"}
	vi := vw
	vi.ID = "v-unrec-i"
	c, conv := chat("c-unrec-w", vw), conversation("cv-unrec-i", vi)
	h.host.PutChat(c)
	h.host.PutConversation(conv)
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); err == nil {
		t.Fatal("the person step was recorded although the store failed")
	}
	res := h.handle(convEvent(cloudcx.EventConversationStarted, conv))
	if res.Person == nil || res.Person.Outcome != cxsync.Found {
		t.Fatalf("the same person through Inbox: %+v, want the Contact found", res.Person)
	}
	h.handle(chatEvent(cloudcx.EventChatStarted, c))
	if n := len(h.records("Contacts", "Email", vw.Email)); n != 1 {
		t.Fatalf("%d Contacts, want 1", n)
	}
}

// A visitor of the other section, whom the rules join to a person by another field (the Mobile
// of an extra mapping), adopts that person's Contact while its own worker is still recording it:
// the worker's record of the same Contact then stands (no error for the host to retry), and there
// is one Contact.
func TestOwnerRecordingAfterAnAdoptionStands(t *testing.T) {
	hs := &stepHookStore{Store: memstore.New()}
	h := newHarness(t, withStore(hs), withFake(zohotest.WithIndexingDelay(10e9)))
	st := rules.DefaultSettings()
	st.ExtraMappings = []rules.ExtraMapping{{Module: rules.ModuleContacts, CloudCXField: rules.PrefixCustom + "mobile", ZohoField: "Mobile"}}
	h.settings("t1", st)
	ctx := t.Context()
	const mobile = "+1 555 0707 777"
	vx := cloudcx.Visitor{ID: "v-own-x", Name: "Owner Xu", Email: "owner.xu@example.org", Phone: "+1 555 0808 888"}
	vy := cloudcx.Visitor{ID: "v-own-y", Name: "Owner Yu", Email: "owner.yu@example.org", Phone: mobile}
	cx := chat("c-own-x", vx)
	cx.CustomFields = cloudcx.Fields{{Name: "mobile", Value: mobile}}
	cy := conversation("cv-own-y", vy)
	h.host.PutChat(cx)
	h.host.PutConversation(cy)
	xStep := cxsync.StepKey{TenantID: "t1", OrgID: h.org.ID(), Section: cloudcx.SectionWebChat, SourceID: "visitor:web_chat:" + vx.ID, Kind: cxsync.StepPerson, Name: rules.ModuleContacts}
	before := len(h.org.Records("Contacts"))
	var yRes *cxsync.Result
	var yErr error
	hs.mu.Lock()
	hs.key = xStep
	hs.hook = func() {
		yRes, yErr = h.syncer.Handle(context.WithoutCancel(ctx), convEvent(cloudcx.EventConversationStarted, cy))
	}
	hs.mu.Unlock()
	xRes, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatStarted, cx))
	if err != nil {
		t.Fatalf("X, recording its Contact after Y adopted it: %v", err)
	}
	if yErr != nil || yRes == nil || yRes.Person == nil || xRes.Person == nil || yRes.Person.ID != xRes.Person.ID {
		t.Fatalf("Y: %+v, %v; X: %+v; want Y linked to X's Contact", yRes, yErr, xRes.Person)
	}
	if n := len(h.org.Records("Contacts")) - before; n != 1 {
		t.Fatalf("%d Contacts made, want 1", n)
	}
}

// personMapFailStore fails the first PutPerson: the person's step is recorded done, its links
// are not (a store that went away between the two writes).
type personMapFailStore struct {
	cxsync.Store
	mu   gosync.Mutex
	fail bool
}

func (s *personMapFailStore) PutPerson(ctx context.Context, k cxsync.PersonKey, l *cxsync.PersonLink) error {
	s.mu.Lock()
	fail := s.fail
	s.fail = false
	s.mu.Unlock()
	if fail {
		return errors.New("store down")
	}
	return s.Store.PutPerson(ctx, k, l)
}

// A person whose step is done but whose links were never written, deleted in Zoho before the
// visitor comes back with another phone: the update finds the record gone, the step is reset
// and the visitor gets a new Contact, rather than every delivery failing on the vanished record.
func TestDoneStepOfAVanishedPersonIsCreatedAgain(t *testing.T) {
	fs := &personMapFailStore{Store: memstore.New(), fail: true}
	h := newHarness(t, withStore(fs))
	st := rules.DefaultSettings()
	st.UpdatePolicy.Contact = rules.Overwrite
	h.settings("t1", st)
	v := cloudcx.Visitor{ID: "v-vanish-done", Name: "Gone Person", Email: "gone.person@example.org"}
	c := chat("c-vanish-done", v)
	h.host.PutChat(c)
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); err == nil {
		t.Fatal("the links were written although the store failed")
	}
	first := h.records("Contacts", "Email", v.Email)
	if len(first) != 1 {
		t.Fatalf("%d Contacts after the first delivery, want 1", len(first))
	}
	if err := h.deleteRecord("Contacts", fmt.Sprint(first[0]["id"])); err != nil {
		t.Fatal(err)
	}
	c2 := chat("c-vanish-done", cloudcx.Visitor{ID: v.ID, Name: v.Name, Email: v.Email, Phone: "+1 555 0123 456"})
	h.host.PutChat(c2)
	res := h.handle(chatEvent(cloudcx.EventChatStarted, c2))
	got := h.records("Contacts", "Email", v.Email)
	if len(got) != 1 || res.Person == nil || res.Person.ID == first[0]["id"] {
		t.Fatalf("after the deleted Contact's visitor came back: %+v, Contacts %v; want a new one", res.Person, got)
	}
}

// The tenant made Contacts' Email unique in Zoho. A Contact with the visitor's email exists
// but Zoho's search does not show it yet: the insert is answered DUPLICATE_DATA naming it, and
// that Contact is taken as the visitor's (the update policy applied), not the chat's event lost
// to a permanent failure.
func TestDuplicateDataNamesThePerson(t *testing.T) {
	for _, mergeFails := range []bool{false, true} {
		t.Run(map[bool]string{false: "merged", true: "merge retried"}[mergeFails], func(t *testing.T) { duplicateDataNamesThePerson(t, mergeFails) })
	}
}

// duplicateDataNamesThePerson plays TestDuplicateDataNamesThePerson; with mergeFails, Zoho answers
// the update that fills the named Contact 500 once: the redelivery fills it (the step is
// recorded done only after the merge, or its values would count as sent).
func duplicateDataNamesThePerson(t *testing.T, mergeFails bool) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	fields := h.org.Fields("Contacts")
	for i := range fields {
		if fields[i].APIName == "Email" {
			fields[i].Unique = true
		}
	}
	if err := h.org.SetFields("Contacts", fields); err != nil {
		t.Fatal(err)
	}
	v := cloudcx.Visitor{ID: "v-dup", Name: "Dup Person", Email: "dup.person@example.org", Phone: "+1 555 0199 321"}
	rec := crm.NewRecord()
	_ = rec.Set("Last_Name", "Dup Person")
	_ = rec.Set("Email", v.Email)
	made, _, err := h.admin().Records.Insert(t.Context(), "Contacts", []*crm.Record{rec}, nil) // by a salesperson: not searchable yet
	if err != nil || len(made) != 1 || made[0].ID == "" {
		t.Fatalf("the salesperson's Contact: %v, %v", made, err)
	}
	existing := made[0].ID
	c := chat("c-dup", v)
	h.host.PutChat(c)
	if mergeFails {
		if _, err := h.srv.InjectFault(zohotest.Fault{Method: "PUT", Path: "/crm/v2/Contacts", Status: 500, Times: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
			t.Fatalf("the merge answered 500: %v, want a retry", err)
		}
	}
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	got := h.records("Contacts", "Email", v.Email)
	if res.Person == nil || res.Person.ID != existing || !strings.Contains(res.Person.Reason, "duplicate check") || len(got) != 1 || got[0]["Phone"] != v.Phone || res.Record == nil || res.Record.ID == "" {
		t.Fatalf("person %+v, record %+v, Contacts %v; want the existing %s, its phone filled, and the Case", res.Person, res.Record, got, existing)
	}
}

// A person step failed for good after an attempt whose write landed late (its Contact exists,
// Zoho's search does not show it yet): the same person arriving through the other section adopts
// that Contact rather than making a second one.
func TestFailedStepWithALateWriteAdoptedByTheOtherSection(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(time.Hour)))
	h.settings("t1", rules.DefaultSettings())
	ctx := t.Context()
	vw := cloudcx.Visitor{ID: "v-late-w", Name: "Late Writer", Email: "late.writer@example.org"}
	vi := vw
	vi.ID = "v-late-i"
	c, conv := chat("c-late-w", vw), conversation("cv-late-i", vi)
	h.host.PutChat(c)
	h.host.PutConversation(conv)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, c))
	rs := h.records("Contacts", "Email", vw.Email)
	if len(rs) != 1 {
		t.Fatalf("attempt 1's Contact: %v", rs)
	}
	late := h.holdBack("Contacts", rs[0]) // not landed yet
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 400, Code: "INVALID_DATA", Message: "refused by a validation rule", Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("attempt 2, refused for good: %v", err)
	}
	h.lateInsert("Contacts", late) // attempt 1's insert lands
	res := h.handle(convEvent(cloudcx.EventConversationStarted, conv))
	if got := h.records("Contacts", "Email", vw.Email); len(got) != 1 || res.Person == nil || res.Person.ID != got[0]["id"] {
		t.Fatalf("the same person through Inbox: %+v, Contacts %v; want the late Contact adopted", res.Person, got)
	}
}

// putPersonFailsOnce is a store whose next PutPerson fails (a store error, not the caller's).
type putPersonFailsOnce struct {
	cxsync.Store
	armed atomic.Bool
}

func (s *putPersonFailsOnce) PutPerson(ctx context.Context, k cxsync.PersonKey, l *cxsync.PersonLink) error {
	if s.armed.CompareAndSwap(true, false) {
		return errors.New("store: connection reset by peer")
	}
	return s.Store.PutPerson(ctx, k, l)
}

// A new Contact is made, but the store fails to map the visitor to it. Until the visitor's event
// comes back, the same person arriving another way (Inbox: another visitor id, the same email)
// must still find it — by the pending step's marker, since Zoho's search lags — and not make a
// second: the map is written before the step is recorded done, never neither.
func TestPersonMappedBeforeItsStepIsDone(t *testing.T) {
	ps := &putPersonFailsOnce{Store: memstore.New()}
	h := newHarness(t, withStore(ps), withFake(zohotest.WithIndexingDelay(time.Hour)))
	w := newTwoWays(h, "mapped-first")
	ps.armed.Store(true)
	if _, err := h.syncer.Handle(t.Context(), w.a()); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("A with its map write failing: %v, want a retry", err)
	}
	h.handle(w.b())
	h.handle(w.a())
	if n := len(h.records("Contacts", "Email", w.v.Email)); n != 1 {
		t.Fatalf("%d Contacts for one person, want 1", n)
	}
}

// A person insert whose answer was lost is found again by its own event, which brings a new
// phone: the update filling it is refused once (a 500). Until that update is made, the step is
// not recorded done, so the same person arriving through the other section (Zoho's search
// lagging) still finds the Contact by the pending step's marker instead of making a second.
func TestReconciledPersonRecordedDoneOnlyOnceUpdated(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(time.Hour)))
	w := newTwoWays(h, "reconciled-last")
	phone := w.chat.Visitor.Phone
	w.chat.Visitor.Phone = ""
	h.host.PutChat(w.chat)
	h.lostAnswer("Contacts", w.a())
	w.chat.Visitor.Phone = phone
	h.host.PutChat(w.chat)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "PUT", Path: "/crm/v2/Contacts", Status: 500, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), w.a()); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("the reconciled Contact's update answered 500: %v, want a retry", err)
	}
	h.handle(w.b())
	h.handle(w.a())
	got := h.records("Contacts", "Email", w.v.Email)
	if len(got) != 1 {
		t.Fatalf("%d Contacts for one person, want 1", len(got))
	}
	if got[0]["Phone"] != phone {
		t.Fatalf("the Contact's phone is %v, want %s", got[0]["Phone"], phone)
	}
}
