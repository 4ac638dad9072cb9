package sync_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// An agent's "create another" makes one more Case per call, each with a marker of its own; the
// chat's own Case stays the one a plain call returns.
func TestManualAnotherCase(t *testing.T) {
	h := newHarness(t)
	c := chat("c-another", visitor("another"))
	h.host.PutChat(c)
	m := cxsync.Manual{TenantID: "t1", ChatID: c.ID}
	first, err := h.syncer.CreateCase(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	m.Another = true
	var ids []string
	for range 2 {
		res, err := h.syncer.CreateCase(t.Context(), m)
		if err != nil {
			t.Fatal(err)
		}
		if res.Record.Outcome != cxsync.Created || res.Record.ID == first.Record.ID {
			t.Fatalf("another: %+v", res.Record)
		}
		ids = append(ids, res.Record.ID)
	}
	if ids[0] == ids[1] {
		t.Fatal("two 'another' calls returned one Case")
	}
	m.Another = false
	again, err := h.syncer.CreateCase(t.Context(), m)
	if err != nil || again.Record.ID != first.Record.ID || again.Record.Outcome != cxsync.Found {
		t.Fatalf("plain call after repeats: %+v %v", again.Record, err)
	}
	all := h.records("Cases", "", "")
	subjects := map[string]bool{}
	for _, r := range all {
		s, _ := r["Subject"].(string)
		subjects[s[strings.LastIndex(s, "[cx:"):]] = true
	}
	for _, want := range []string{"[cx:t1:chat:c-another]", "[cx:t1:chat:c-another:1]", "[cx:t1:chat:c-another:2]"} {
		if !subjects[want] {
			t.Errorf("no Case ends with %s: %v", want, subjects)
		}
	}
	if len(all) != 3 {
		t.Errorf("%d Cases, want 3", len(all))
	}
}

// The values an agent typed win over the mapping, and drive identification; managed fields are
// refused before anything is sent.
func TestManualOverrides(t *testing.T) {
	h := newHarness(t)
	c := chat("c-over", visitor("over"))
	h.host.PutChat(c)
	res, err := h.syncer.CreateContact(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID,
		Overrides: map[string]string{"Email": "typed.by.agent@example.org", "Title": "Buyer"}})
	if err != nil {
		t.Fatal(err)
	}
	got := h.records("Contacts", "Email", "typed.by.agent@example.org")
	if len(got) != 1 || got[0]["Title"] != "Buyer" || got[0]["id"] != res.Person.ID {
		t.Fatalf("contact: %+v (result %+v)", got, res.Person)
	}
	// The typed email identifies the same Contact next time.
	again, err := h.syncer.CreateContact(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID,
		Overrides: map[string]string{"Email": "typed.by.agent@example.org"}})
	if err != nil || again.Person.ID != res.Person.ID {
		t.Fatalf("again: %+v %v", again.Person, err)
	}

	calls := len(h.srv.Calls())
	_, err = h.syncer.CreateCase(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID, Overrides: map[string]string{"Subject": "mine", "Owner": "1"}})
	var ve *rules.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 2 || cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("managed fields: %v", err)
	}
	if n := len(h.srv.Calls()); n != calls {
		t.Fatalf("%d calls sent for a refused override", n-calls)
	}
	cs, err := h.syncer.CreateCase(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID, Overrides: map[string]string{"Priority": "High"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.records("Cases", "Priority", "High"); len(got) != 1 || got[0]["id"] != cs.Record.ID {
		t.Fatalf("case: %+v", got)
	}
	// The loader's chat is not changed by the overrides.
	if c.Visitor.Email != visitor("over").Email {
		t.Fatalf("the loader's visitor changed: %+v", c.Visitor)
	}
}

// The Agent Console's lookup shows the display fields of the settings, with Zoho's labels.
func TestLookupDisplayFields(t *testing.T) {
	h := newHarness(t)
	c := chat("c-look", visitor("look"))
	h.host.PutChat(c)
	if _, err := h.syncer.CreateContact(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID}); err != nil {
		t.Fatal(err)
	}
	lk, err := h.syncer.Lookup(t.Context(), "t1", cloudcx.SectionWebChat, c.Visitor)
	if err != nil || lk.Person == nil {
		t.Fatalf("lookup %+v %v", lk, err)
	}
	byName := map[string]cxsync.DisplayField{}
	for _, f := range lk.Person.Fields {
		byName[f.APIName] = f
	}
	if f := byName["Email"]; f.Value != c.Visitor.Email || f.Label == "" {
		t.Fatalf("Email display field %+v in %+v", f, lk.Person.Fields)
	}
	if lk.Person.Fields[0].APIName == "Email" && len(lk.Person.Fields) > 1 {
		t.Fatalf("display order not kept: %+v", lk.Person.Fields)
	}
	st := rules.DefaultSettings()
	st.Display.Contact = []string{"Email"}
	h.settings("t1", st)
	lk, err = h.syncer.Lookup(t.Context(), "t1", cloudcx.SectionWebChat, c.Visitor)
	if err != nil || len(lk.Person.Fields) != 1 {
		t.Fatalf("one display field: %+v %v", lk.Person.Fields, err)
	}
}

// Connecting reports what an administrator must fix; CheckOrg tells it again after a change.
func TestConnectReportsOrgProblems(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	u, err := h.syncer.ConnectURL(ctx, cxsync.ConnectRequest{TenantID: "t7", Client: systemClient(h)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.syncer.CompleteConnect(ctx, "", consent(t, u))
	if err != nil || got.ProblemsErr != nil {
		t.Fatalf("connect: %v / %v", err, got.ProblemsErr)
	}
	for _, p := range got.Problems {
		t.Logf("default settings on the demo org: %s", p)
	}
	st := rules.DefaultSettings()
	st.Case.Status = "No Such Status"
	st.ExtraMappings = []rules.ExtraMapping{{Module: rules.ModuleLeads, CloudCXField: "variable:plan", ZohoField: "Plan__c"}}
	h.settings("t7", st)
	ps, err := h.syncer.CheckOrg(ctx, "t7")
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for _, p := range ps {
		paths[p.Path] = true
	}
	if !paths["case.status"] || !paths["extra_mappings[0].zoho_field"] {
		t.Fatalf("problems %v", ps)
	}
	if _, err := h.syncer.CheckOrg(ctx, "nobody"); !errors.Is(err, cxsync.ErrNotConnected) {
		t.Fatalf("not connected: %v", err)
	}
}

// An administrator fixes a cause that failed many chats (a mandatory field): RetryAllFailed
// retries every failed step once — the Contacts of two visitors (person steps, retried through the
// chats that failed them, no further event needed) and their Cases.
func TestRetryAllFailed(t *testing.T) {
	h := newHarness(t)
	rule, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 400, Code: "MANDATORY_NOT_FOUND", Message: "required field not found"})
	if err != nil {
		t.Fatal(err)
	}
	var chats []*cloudcx.Chat
	for i := range 2 {
		c := chat(fmt.Sprint("c-all-", i), visitor(fmt.Sprint("all", i)))
		h.host.PutChat(c)
		chats = append(chats, c)
		if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassPermanent {
			t.Fatalf("start with Contacts refused: %v", err)
		}
	}
	steps, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10)
	if len(steps) != 2 || steps[0].Key.Kind != cxsync.StepPerson {
		t.Fatalf("failed steps: %+v", steps)
	}
	rule.Remove()
	rep, err := h.syncer.RetryAllFailed(t.Context(), "t1")
	if err != nil || rep.Retried != 2 || rep.Succeeded != 2 || len(rep.Failed) != 0 {
		t.Fatalf("RetryAllFailed: %+v, %v", rep, err)
	}
	for _, c := range chats {
		if n := len(h.records("Contacts", "Email", c.Visitor.Email)); n != 1 {
			t.Fatalf("%d contacts for %s after the retry", n, c.ID)
		}
	}
	if steps, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10); len(steps) != 0 {
		t.Fatalf("still failed: %+v", steps)
	}
}

// "Create another" sent twice by an HTTP retry (same request key) makes one repeat; a new click
// (a new key) another one, even while the first is unfinished (its insert lost before Zoho had
// it); the first click's key sent again completes its own repeat.
func TestAnotherWithRequestKey(t *testing.T) {
	h := newHarness(t)
	c := chat("c-rk", visitor("rk"))
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatEnded, c))
	create := func(key string) (*cxsync.Result, error) {
		return h.syncer.CreateCase(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID, Another: true, RequestKey: key})
	}
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Kind: zohotest.FaultDropBeforeApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := create("click-1"); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("first click, insert lost: %v", err)
	}
	two, err := create("click-2")
	if err != nil {
		t.Fatal(err)
	}
	one, err := create("click-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := create("click-2")
	if err != nil {
		t.Fatal(err)
	}
	if one.Record.ID == two.Record.ID || again.Record.ID != two.Record.ID {
		t.Fatalf("click-1 %s, click-2 %s then %s", one.Record.ID, two.Record.ID, again.Record.ID)
	}
	cases := 0
	for _, r := range h.org.Records("Cases") {
		if s, _ := r["Subject"].(string); strings.Contains(s, "c-rk") {
			cases++
		}
	}
	if cases != 3 {
		t.Fatalf("%d Cases for the chat, want its own and two repeats", cases)
	}
	if _, err := create(strings.Repeat("k", 201)); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("a 201-byte request key: %v", err)
	}
}
