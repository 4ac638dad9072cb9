package sync_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
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
	got, err := h.syncer.CompleteConnect(ctx, consent(t, u))
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
