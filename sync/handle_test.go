package sync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

func TestSupportChatCreatesContactAndCase(t *testing.T) {
	h := newHarness(t)
	c := chat("c1", visitor("one"))
	h.host.PutChat(c)

	start := h.handle(chatEvent(cloudcx.EventChatStarted, c))
	if start.Person == nil || start.Person.Outcome != cxsync.Created || start.Person.Module != "Contacts" {
		t.Fatalf("chat start: person %+v", start.Person)
	}
	if start.Record != nil {
		t.Fatalf("chat start created a record: %+v", start.Record)
	}
	end := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	if end.Record == nil || end.Record.Outcome != cxsync.Created || end.Record.Module != "Cases" {
		t.Fatalf("chat end: record %+v", end.Record)
	}
	contacts := h.records("Contacts", "Email", c.Visitor.Email)
	if len(contacts) != 1 {
		t.Fatalf("%d contacts, want 1", len(contacts))
	}
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 {
		t.Fatalf("%d cases, want 1", len(cases))
	}
	if got := lookupID(cases[0]["Related_To"]); got != contacts[0]["id"] {
		t.Fatalf("case linked to %q, want the contact %v", got, contacts[0]["id"])
	}
	// The agent is a Zoho user: she owns both.
	var anna string
	for _, u := range h.org.Users() {
		if u.Email == "anna.kingsley@zylker.example" {
			anna = u.ID
		}
	}
	if lookupID(contacts[0]["Owner"]) != anna || lookupID(cases[0]["Owner"]) != anna {
		t.Fatalf("owners %v / %v, want the agent's user %s", contacts[0]["Owner"], cases[0]["Owner"], anna)
	}
	desc, _ := cases[0]["Description"].(string)
	if !contains(desc, "Hello, my order is late.") || !contains(desc, "c1") {
		t.Fatalf("description lacks the transcript or the chat id:\n%s", desc)
	}
}

func TestSalesConversationCreatesLeadAndTask(t *testing.T) {
	h := newHarness(t)
	c := conversation("conv1", visitor("two"))
	h.host.PutConversation(c)
	res := h.handle(convEvent(cloudcx.EventConversationResolved, c))
	if res.Person == nil || res.Person.Module != "Leads" || res.Person.Outcome != cxsync.Created {
		t.Fatalf("person %+v", res.Person)
	}
	if res.Record == nil || res.Record.Module != "Tasks" {
		t.Fatalf("record %+v", res.Record)
	}
	leads := h.records("Leads", "Email", c.Visitor.Email)
	tasks := h.withMarker("Tasks", c)
	if len(leads) != 1 || len(tasks) != 1 {
		t.Fatalf("%d leads, %d tasks; want 1 and 1", len(leads), len(tasks))
	}
	if lookupID(tasks[0]["What_Id"]) != leads[0]["id"] || tasks[0]["$se_module"] != "Leads" {
		t.Fatalf("task links %v / %v", tasks[0]["What_Id"], tasks[0]["$se_module"])
	}
}

func TestRedeliveryWritesOnce(t *testing.T) {
	h := newHarness(t)
	c := chat("c-redeliver", visitor("three"))
	h.host.PutChat(c)
	for range 10 {
		h.handle(chatEvent(cloudcx.EventChatStarted, c))
		h.handle(chatEvent(cloudcx.EventChatEnded, c))
	}
	if n := len(h.records("Contacts", "Email", c.Visitor.Email)); n != 1 {
		t.Fatalf("%d contacts after 10 deliveries, want 1", n)
	}
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d cases after 10 deliveries, want 1", n)
	}
}

func TestReturningVisitorCostsOneCall(t *testing.T) {
	h := newHarness(t)
	v := visitor("four")
	c1 := chat("c-first", v)
	c1.Agents, c1.Messages[1].SenderID = nil, "" // no agent: no owner lookup needed
	c1.Messages[1].SenderKind = cloudcx.SenderVisitor
	h.host.PutChat(c1)
	h.handle(chatEvent(cloudcx.EventChatEnded, c1))

	c2 := chat("c-second", v)
	c2.Agents, c2.Messages = nil, c1.Messages
	h.host.PutChat(c2)
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c2))
	if res.Calls != 1 {
		t.Fatalf("returning visitor, unchanged: %d calls, want 1 (%+v)", res.Calls, res.Person)
	}
	if res.Person.Outcome != cxsync.Found {
		t.Fatalf("person %+v", res.Person)
	}
}

func TestExistingContactIsFoundAndFilled(t *testing.T) {
	h := newHarness(t)
	// A Contact with an empty phone exists for this email.
	ids, err := h.org.Seed("Contacts", map[string]any{"Last_Name": "Existing", "Email": "jane.five@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	v := visitor("five")
	c := chat("c5", v)
	h.host.PutChat(c)
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	if res.Person.ID != ids[0] || res.Person.Outcome != cxsync.Updated {
		t.Fatalf("person %+v, want the existing contact updated", res.Person)
	}
	got, _ := h.org.Record("Contacts", ids[0])
	if got["Last_Name"] != "Existing" || got["Phone"] != v.Phone {
		t.Fatalf("fill-empty wrote %v / %v", got["Last_Name"], got["Phone"])
	}
	if n := len(h.records("Contacts", "Email", v.Email)); n != 1 {
		t.Fatalf("%d contacts", n)
	}
}

func TestUpdatePolicyNeverSendsNoUpdate(t *testing.T) {
	h := newHarness(t)
	st := rules.DefaultSettings()
	st.UpdatePolicy.Contact = rules.Never
	h.settings("t1", st)
	ids, _ := h.org.Seed("Contacts", map[string]any{"Last_Name": "Existing", "Email": "jane.six@example.org"})
	c := chat("c6", visitor("six"))
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatEnded, c))
	if n := h.srv.CallCount("PUT", "/crm/v2/Contacts"); n != 0 {
		t.Fatalf("%d updates under the never policy", n)
	}
	got, _ := h.org.Record("Contacts", ids[0])
	if _, ok := got["Phone"]; ok && got["Phone"] != nil {
		t.Fatalf("phone written: %v", got["Phone"])
	}
}

func TestWrapUpAfterEndUpdatesTheCase(t *testing.T) {
	h := newHarness(t)
	c := chat("c-wrap", visitor("seven"))
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatEnded, c))
	ev := chatEvent(cloudcx.EventChatWrappedUp, c)
	ev.WrapUp = &cloudcx.WrapUp{Categories: []string{"Billing"}, Comment: "Refund promised"}
	res := h.handle(ev)
	if res.Record == nil || res.Record.Outcome != cxsync.Updated {
		t.Fatalf("wrap-up: %+v", res.Record)
	}
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 {
		t.Fatalf("%d cases", len(cases))
	}
	if d, _ := cases[0]["Description"].(string); !contains(d, "Refund promised") {
		t.Fatalf("description lacks the wrap-up:\n%s", d)
	}
	// Delivered again: nothing more is written.
	again := h.handle(ev)
	if again.Record.Outcome != cxsync.Found {
		t.Fatalf("second wrap-up: %+v", again.Record)
	}
}

func TestReResolvedConversationUpdatesTheTask(t *testing.T) {
	h := newHarness(t)
	c := conversation("conv-rr", visitor("eight"))
	h.host.PutConversation(c)
	h.handle(convEvent(cloudcx.EventConversationResolved, c))
	h.handle(convEvent(cloudcx.EventConversationReopened, c))
	c.Messages = append(c.Messages, cloudcx.Message{ID: "m3", SentAt: chatStart.Add(20 * 60e9), SenderKind: cloudcx.SenderVisitor, SenderName: c.Visitor.Name, Text: "One more thing"})
	h.host.PutConversation(c)
	res := h.handle(convEvent(cloudcx.EventConversationResolved, c))
	if res.Record.Outcome != cxsync.Updated {
		t.Fatalf("re-resolved: %+v", res.Record)
	}
	tasks := h.withMarker("Tasks", c)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
	if d, _ := tasks[0]["Description"].(string); !contains(d, "One more thing") {
		t.Fatalf("description not updated:\n%s", d)
	}
}

func TestOfflineMessageCreatesPersonAndCaseAtOnce(t *testing.T) {
	h := newHarness(t)
	c := chat("off1", visitor("nine"))
	c.Channel, c.Status, c.Agents = cloudcx.ChannelOfflineMessage, cloudcx.StatusOfflineMessage, nil
	c.Messages = c.Messages[:1]
	h.host.PutChat(c)
	res := h.handle(chatEvent(cloudcx.EventOfflineMessage, c))
	if res.Person.Outcome != cxsync.Created || res.Record == nil || res.Record.Outcome != cxsync.Created {
		t.Fatalf("offline message: %+v %+v", res.Person, res.Record)
	}
	// No agent: the connecting user owns it.
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 || lookupID(cases[0]["Owner"]) != h.org.CurrentUser().ID {
		t.Fatalf("cases %v", cases)
	}
}

func TestAccountIdentifiedByCompanyIsLinked(t *testing.T) {
	h := newHarness(t)
	v := visitor("ten")
	v.Company = "Zylker"
	c := chat("c-acc", v)
	h.host.PutChat(c)
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	if res.Account == nil || res.Account.ID == "" {
		t.Fatalf("no account identified: %+v", res)
	}
	contacts := h.records("Contacts", "Email", v.Email)
	if len(contacts) != 1 || lookupID(contacts[0]["Account_Name"]) != res.Account.ID {
		t.Fatalf("contact not linked to the account: %v", contacts)
	}
}

func TestDisconnectedTenantAndManualModeSendNothing(t *testing.T) {
	h := newHarness(t)
	c := chat("c-x", visitor("eleven"))
	c.TenantID = "nobody"
	res, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c))
	if err != nil || res.Skipped == "" || res.Calls != 0 {
		t.Fatalf("not connected: %+v, %v", res, err)
	}
	st := rules.DefaultSettings()
	st.Mode = rules.Manual
	h.settings("t1", st)
	c2 := chat("c-y", visitor("twelve"))
	h.host.PutChat(c2)
	res, err = h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c2))
	if err != nil || res.Skipped == "" || res.Calls != 0 {
		t.Fatalf("manual: %+v, %v", res, err)
	}
}

func TestOnePersonForConcurrentFirstEvents(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	v := visitor("concurrent")
	var wg gosync.WaitGroup
	for i := range 50 {
		c := chat(fmt.Sprint("cc", i), v)
		h.host.PutChat(c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.syncer.Handle(context.Background(), chatEvent(cloudcx.EventChatStarted, c)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(h.records("Contacts", "Email", v.Email)); n != 1 {
		t.Fatalf("%d contacts for one visitor, want 1", n)
	}
}

// The same person arriving through Web Chat and Inbox at once (two visitor ids) is one Contact,
// whatever the rules combine: the default rules, email AND name (TestReview14's compound rule:
// the email key alone must not be what serialises them), phone AND name.
func TestSameEmailThroughWebChatAndInboxIsOnePerson(t *testing.T) {
	for name, rs := range map[string][]rules.Rule{
		"default": nil,
		"email and name": {{Conditions: []rules.Condition{
			{CloudCXField: rules.FieldEmail, ZohoFields: []string{"Email"}},
			{CloudCXField: rules.FieldName, ZohoFields: []string{"Last_Name"}}}}},
		"phone and name": {{Conditions: []rules.Condition{
			{CloudCXField: rules.FieldPhone, ZohoFields: []string{"Phone", "Mobile"}},
			{CloudCXField: rules.FieldName, ZohoFields: []string{"Last_Name"}}}}},
	} {
		t.Run(name, func(t *testing.T) { samePersonTwoSections(t, rs) })
	}
}

func samePersonTwoSections(t *testing.T, rs []rules.Rule) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	st := rules.DefaultSettings() // both sections Support → Contacts
	if rs != nil {
		st.Identification.Contact = rs
	}
	h.settings("t1", st)
	v := visitor("both")
	web := chat("w1", v)
	inboxV := v
	inboxV.ID = "contact-77"
	conv := conversation("i1", inboxV)
	h.host.PutChat(web)
	h.host.PutConversation(conv)
	var wg gosync.WaitGroup
	for _, ev := range []cloudcx.Event{chatEvent(cloudcx.EventChatStarted, web), convEvent(cloudcx.EventConversationStarted, conv)} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.syncer.Handle(context.Background(), ev); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(h.records("Contacts", "Email", v.Email)); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
}

// failingStore fails PutStep once a step is about to be recorded done: the Zoho write happened
// but was not recorded, as in a crash.
type failingStore struct {
	cxsync.Store
	mu    gosync.Mutex
	fails int
}

func (f *failingStore) PutStep(ctx context.Context, s *cxsync.Step) (int64, error) {
	f.mu.Lock()
	fail := s.Status == cxsync.StepDone && f.fails > 0
	if fail {
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return 0, errors.New("store down")
	}
	return f.Store.PutStep(ctx, s)
}

func TestCrashAfterWriteIsReconciled(t *testing.T) {
	fs := &failingStore{Store: memstore.New(), fails: 2}
	h := newHarness(t, withStore(fs), withFake(zohotest.WithIndexingDelay(10e9)))
	c := chat("c-crash", visitor("crash"))
	h.host.PutChat(c)
	ev := chatEvent(cloudcx.EventChatEnded, c)
	for range 3 {
		_, _ = h.syncer.Handle(t.Context(), ev)
	}
	if _, err := h.syncer.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if n := len(h.records("Contacts", "Email", c.Visitor.Email)); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d cases, want 1", n)
	}
}

func TestDroppedAfterApplyIsReconciled(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	c := chat("c-drop", visitor("drop"))
	h.host.PutChat(c)
	ev := chatEvent(cloudcx.EventChatEnded, c)
	var err error
	for range 5 {
		if _, err = h.syncer.Handle(t.Context(), ev); err == nil {
			break
		}
		if cxsync.ClassOf(err) != cxsync.ClassRetry {
			t.Fatalf("class %q for %v", cxsync.ClassOf(err), err)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.records("Contacts", "Email", c.Visitor.Email)); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d cases, want 1", n)
	}
}

func TestAttachmentsUploadedOnce(t *testing.T) {
	h := newHarness(t)
	c := chat("c-att", visitor("att"))
	c.Attachments = []cloudcx.Attachment{{ID: "f1", Name: "invoice.pdf", MIMEType: "application/pdf"}, {ID: "f2", Name: "gone.png"}}
	h.host.PutChat(c)
	h.host.PutAttachment("t1", "f1", []byte("%PDF-1.4 fake"), "application/pdf")
	var res *cxsync.Result
	for range 3 {
		res = h.handle(chatEvent(cloudcx.EventChatEnded, c))
	}
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 {
		t.Fatalf("%d cases", len(cases))
	}
	atts := h.org.Attachments("Cases", cases[0]["id"].(string))
	if len(atts) != 1 || atts[0].FileName != "invoice.pdf" {
		t.Fatalf("attachments %v", atts)
	}
	var reported bool
	for _, a := range res.Attachments {
		if a.FileName == "gone.png" && !a.Uploaded && a.Reason != "" {
			reported = true
		}
	}
	if !reported {
		t.Fatalf("the missing file is not reported: %+v", res.Attachments)
	}
	if d, _ := cases[0]["Description"].(string); !contains(d, "gone.png") {
		t.Fatalf("the description does not list the missing file")
	}
}

func TestLongChatAttachesFullTranscript(t *testing.T) {
	h := newHarness(t)
	c := chat("c-long", visitor("long"))
	c.Messages = longMessages(12000)
	h.host.PutChat(c)
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 {
		t.Fatalf("%d cases", len(cases))
	}
	d, _ := cases[0]["Description"].(string)
	if n := len([]rune(d)); n > 32000 {
		t.Fatalf("description has %d characters", n)
	}
	atts := h.org.Attachments("Cases", cases[0]["id"].(string))
	if len(atts) != 1 || !contains(string(atts[0].Data), "message number 11999 with some more words in it") {
		t.Fatalf("full transcript not attached: %d attachments, results %+v", len(atts), res.Attachments)
	}
}

func TestAgentNotAZohoUserConnectingUserOwns(t *testing.T) {
	h := newHarness(t)
	c := chat("c-own", visitor("own"))
	c.Agents[0].Email = "someone.else@elsewhere.example"
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatEnded, c))
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 || lookupID(cases[0]["Owner"]) != h.org.CurrentUser().ID {
		t.Fatalf("owner %v, want the connecting user %s", cases[0]["Owner"], h.org.CurrentUser().ID)
	}
}

func TestTenantIsolation(t *testing.T) {
	h := newHarness(t)
	cfg := zohotest.DemoOrgConfig()
	cfg.ID, cfg.Name = "900000002", "Second Org"
	org2, err := h.srv.AddOrg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.connect("t2", org2)
	var wg gosync.WaitGroup
	for i := range 20 {
		tenant := []string{"t1", "t2"}[i%2]
		c := chat(fmt.Sprint("iso", i), visitor(fmt.Sprint("iso", i)))
		c.TenantID = tenant
		h.host.PutChat(c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.syncer.Handle(context.Background(), chatEvent(cloudcx.EventChatEnded, c)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, org := range []*zohotest.Org{h.org, org2} {
		n := 0
		for _, r := range org.Records("Cases") {
			s, _ := r["Subject"].(string)
			if contains(s, "[cx:t1:") && org == org2 || contains(s, "[cx:t2:") && org == h.org {
				t.Fatalf("a case of the other tenant in org %s: %s", org.ID(), s)
			}
			if contains(s, "[cx:") {
				n++
			}
		}
		if n != 10 {
			t.Fatalf("org %s has %d cases, want 10", org.ID(), n)
		}
	}
	// Every API call carried the token of the org it wrote to: the fake names the org of the
	// token each call used, and no call of one tenant's records went to the other org.
	for _, call := range h.srv.Calls() {
		if contains(call.Path, "/crm/") && call.Org != "" && call.Org != h.org.ID() && call.Org != org2.ID() {
			t.Fatalf("a call with a foreign token: %v", call)
		}
	}
}

// A new visitor costs one search per identification rule tried, one insert and one Case (the
// owner cache warm, no company, no attachment).
func TestNewVisitorCalls(t *testing.T) {
	h := newHarness(t)
	warm := chat("c-warm", visitor("warm"))
	h.host.PutChat(warm)
	h.handle(chatEvent(cloudcx.EventChatEnded, warm))
	c := chat("c-new", visitor("new"))
	h.host.PutChat(c)
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	// One identification search (the email and phone rules folded into one), the Contact, the
	// Case: 3 (issue 18's target; the owner cache is warm).
	if res.Calls != 3 {
		t.Fatalf("new visitor: %d calls, want 3", res.Calls)
	}
}

// staleLoader answers the first load of one conversation with an older copy, handed over only
// once release is closed: an event loaded before a later one and delayed until that one is done.
type staleLoader struct {
	*cloudcx.MemoryHost
	id      string
	old     *cloudcx.Conversation
	loading chan struct{} // closed when the stale load has begun
	release chan struct{}
	once    gosync.Once
}

func (l *staleLoader) LoadConversation(ctx context.Context, tenant, id string) (*cloudcx.Conversation, error) {
	stale := false
	if id == l.id {
		l.once.Do(func() { stale = true })
	}
	if !stale {
		return l.MemoryHost.LoadConversation(ctx, tenant, id)
	}
	close(l.loading)
	<-l.release
	return l.old, nil
}

// A conversation resolved, reopened and resolved again: the first resolve's event, loaded before
// the second and delayed until it was handled, neither writes its older content over the Task
// nor replaces the newer transcript with the older one (the chat is loaded again under its lock).
func TestOlderResolveLeavesTheNewerContent(t *testing.T) {
	loader := &staleLoader{id: "c-older-resolve", loading: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, withConfig(func(c *cxsync.Config) { c.Loader = loader }))
	loader.MemoryHost = h.host
	c := conversation(loader.id, visitor("olderresolve"))
	c.Messages = longMessages(1500)
	old := *c
	old.Messages = slices.Clone(c.Messages)
	loader.old = &old
	h.host.PutConversation(c)
	first := make(chan error, 1)
	go func() {
		_, err := h.syncer.Handle(t.Context(), convEvent(cloudcx.EventConversationResolved, c))
		first <- err
	}()
	<-loader.loading
	// Reopened and resolved again with one more message, handled while the first waits.
	newer := *c
	newer.Messages = append(slices.Clone(c.Messages), cloudcx.Message{ID: "late", SentAt: chatStart.Add(2 * time.Hour), SenderKind: cloudcx.SenderVisitor, SenderName: "Jane", Text: "The very last word"})
	h.host.PutConversation(&newer)
	h.handle(convEvent(cloudcx.EventConversationResolved, &newer))
	close(loader.release)
	if err := <-first; err != nil {
		t.Fatalf("the delayed first resolve: %v", err)
	}
	tasks := h.withMarker("Tasks", c)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
	atts := h.org.Attachments("Tasks", tasks[0]["id"].(string))
	if len(atts) != 1 || !strings.Contains(string(atts[0].Data), "The very last word") {
		t.Fatalf("%d attachments; want the newer transcript alone", len(atts))
	}
}
