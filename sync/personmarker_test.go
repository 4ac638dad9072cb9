package sync_test

import (
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// contactsNamed returns the org's Contacts whose Last_Name is name.
func (h *harness) contactsNamed(name string) []map[string]any {
	return h.records("Contacts", "Last_Name", name)
}

// An agent's Description for a new Contact still ends with the person marker, so a create
// whose answer was lost is found again by the next click instead of made twice (the visitor has
// no email or phone: no identification search can find it).
func TestManualDescriptionKeepsThePersonMarker(t *testing.T) {
	h := newHarness(t)
	c := chat("c-manual-desc", cloudcx.Visitor{ID: "v-manual-desc", Name: "Quiet Visitor"})
	h.host.PutChat(c)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	m := cxsync.Manual{TenantID: "t1", ChatID: c.ID, Overrides: map[string]string{"Description": "VIP customer"}}
	if _, err := h.syncer.CreateContact(t.Context(), m); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("lost answer: %v, want ClassRetry", err)
	}
	res, err := h.syncer.CreateContact(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	got := h.contactsNamed("Quiet Visitor")
	if len(got) != 1 {
		t.Fatalf("%d Contacts after the agent clicked again (%+v)", len(got), res.Person)
	}
	d, _ := got[0]["Description"].(string)
	if !strings.HasPrefix(d, "VIP customer") || !strings.HasSuffix(d, "]") || !strings.Contains(d, "[cx:") {
		t.Fatalf("Description %q: want the agent's text, then the marker", d)
	}
}

// Two visitors without an id who share a phone are one person only if the rules say so: with
// rules that look at the email alone, the second gets a Contact of its own, not the first's.
func TestVisitorsWithoutIDDoNotShareAPersonByPhone(t *testing.T) {
	h := newHarness(t)
	st := rules.DefaultSettings()
	st.Identification.Contact = st.Identification.Contact[:1] // the email rule alone
	h.settings("t1", st)
	phone := "+1 555 0199"
	a := chat("c-noid-a", cloudcx.Visitor{Name: "Ann Nobody", Phone: phone})
	b := chat("c-noid-b", cloudcx.Visitor{Name: "Bob Nobody", Phone: phone})
	for _, c := range []*cloudcx.Chat{a, b} {
		h.host.PutChat(c)
		h.handle(chatEvent(cloudcx.EventChatEnded, c))
	}
	if n, m := len(h.contactsNamed("Ann Nobody")), len(h.contactsNamed("Bob Nobody")); n != 1 || m != 1 {
		t.Fatalf("%d Contacts of Ann and %d of Bob, want one each", n, m)
	}
	// Each chat's events go on finding their own visitor's Contact.
	h.handle(chatEvent(cloudcx.EventChatEnded, b))
	cases := h.withMarker("Cases", b)
	bob := h.contactsNamed("Bob Nobody")
	if len(cases) != 1 || lookupID(cases[0]["Related_To"]) != bob[0]["id"] || len(bob) != 1 {
		t.Fatalf("Bob's Case %v, Contacts %v", cases, bob)
	}
}

// A Contact the integration created holds only its note and marker in Description: under
// "only fill empty fields" a Description mapped later is written, and the marker kept after it.
func TestFillEmptyWritesDescriptionOverTheMarker(t *testing.T) {
	h := newHarness(t)
	st := rules.DefaultSettings()
	st.UpdatePolicy.Contact = rules.FillEmpty
	st.ExtraMappings = append(st.ExtraMappings, rules.ExtraMapping{Module: rules.ModuleContacts, CloudCXField: "custom:about", ZohoField: "Description"})
	h.settings("t1", st)
	v := visitor("fillmarker")
	first := chat("c-fill-1", v)
	h.host.PutChat(first)
	h.handle(chatEvent(cloudcx.EventChatEnded, first))
	second := chat("c-fill-2", v)
	second.CustomFields = cloudcx.Fields{{Name: "about", Value: "Prefers email"}}
	h.host.PutChat(second)
	h.handle(chatEvent(cloudcx.EventChatEnded, second))
	got := h.records("Contacts", "Email", v.Email)
	if len(got) != 1 {
		t.Fatalf("%d Contacts", len(got))
	}
	d, _ := got[0]["Description"].(string)
	if !strings.HasPrefix(d, "Prefers email") || !strings.Contains(d, "[cx:") || strings.Contains(d, "Created by") {
		t.Fatalf("Description %q: want the mapped text, then the marker", d)
	}
	// A third chat changes nothing: the text is there (FillEmpty does not write it again).
	third := chat("c-fill-3", v)
	third.CustomFields = cloudcx.Fields{{Name: "about", Value: "Prefers phone"}}
	h.host.PutChat(third)
	h.handle(chatEvent(cloudcx.EventChatEnded, third))
	if d2, _ := h.records("Contacts", "Email", v.Email)[0]["Description"].(string); d2 != d {
		t.Fatalf("Description %q after a third chat, want %q kept", d2, d)
	}
}
