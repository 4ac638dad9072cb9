package sync_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// updates returns the records of the person updates sent to Zoho (from the fake's call log).
func (h *harness) updates(module string) []map[string]any {
	var out []map[string]any
	for _, c := range h.srv.Calls() {
		if c.Method == "PUT" && strings.HasPrefix(c.Path, "/crm/v2/"+module) {
			out = append(out, c.Records()...)
		}
	}
	return out
}

func onlyKeys(rec map[string]any, allowed ...string) bool {
	for k := range rec {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return false
		}
	}
	return true
}

// Fill empty sends only the fields Zoho has empty; overwrite only the fields that changed; and
// nothing is sent when nothing would change.
func TestUpdatePoliciesSendOnlyWhatTheyMust(t *testing.T) {
	t.Run("fill empty", func(t *testing.T) {
		h := newHarness(t)
		v := visitor("fill")
		ids, _ := h.org.Seed("Contacts", map[string]any{"Last_Name": "Someone Else", "Email": v.Email})
		c := chat("c-fill", v)
		h.host.PutChat(c)
		h.handle(chatEvent(cloudcx.EventChatEnded, c))
		ups := h.updates("Contacts")
		if len(ups) != 1 || ups[0]["Phone"] != v.Phone || !onlyKeys(ups[0], "id", "Phone") {
			t.Fatalf("fill-empty sent %v, want only the empty Phone", ups)
		}
		if got, _ := h.org.Record("Contacts", ids[0]); got["Last_Name"] != "Someone Else" {
			t.Fatalf("Last_Name overwritten: %v", got["Last_Name"])
		}
	})
	t.Run("overwrite", func(t *testing.T) {
		h := newHarness(t)
		st := rules.DefaultSettings()
		st.UpdatePolicy.Contact = rules.Overwrite
		h.settings("t1", st)
		v := visitor("over")
		h.org.Seed("Contacts", map[string]any{"Last_Name": v.Name, "Email": v.Email, "Phone": "+1 555 0000000"})
		c := chat("c-over", v)
		h.host.PutChat(c)
		h.handle(chatEvent(cloudcx.EventChatEnded, c))
		ups := h.updates("Contacts")
		if len(ups) != 1 || ups[0]["Phone"] != v.Phone || !onlyKeys(ups[0], "id", "Phone") {
			t.Fatalf("overwrite sent %v, want only the changed Phone", ups)
		}
	})
	t.Run("nothing changed", func(t *testing.T) {
		h := newHarness(t)
		st := rules.DefaultSettings()
		st.UpdatePolicy.Contact = rules.Overwrite
		h.settings("t1", st)
		v := visitor("same")
		h.org.Seed("Contacts", map[string]any{"Last_Name": v.Name, "Email": v.Email, "Phone": v.Phone})
		c := chat("c-same", v)
		h.host.PutChat(c)
		res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
		if ups := h.updates("Contacts"); len(ups) != 0 || res.Person.Outcome != cxsync.Found {
			t.Fatalf("an unchanged Contact was updated: %v (%+v)", ups, res.Person)
		}
	})
}

// A Lead converted in Zoho after sync created it: the Task of the conversation cannot point at it
// (INVALID_DATA on What_Id), so the mapping is dropped, the visitor identified again, and the
// Task created under the Lead that now stands for the visitor.
func TestConvertedLeadIsReplaced(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	cv := conversation("t-conv", visitor("conv"))
	h.host.PutConversation(cv)
	res := h.handle(convEvent(cloudcx.EventConversationStarted, cv))
	if res.Person == nil || res.Person.Module != "Leads" {
		t.Fatalf("person %+v", res.Person)
	}
	if _, _, err := h.org.ConvertLead(res.Person.ID); err != nil {
		t.Fatal(err)
	}
	res2, err := h.syncer.Handle(t.Context(), convEvent(cloudcx.EventConversationResolved, cv))
	if err != nil {
		t.Fatalf("after the Lead was converted: %v", err)
	}
	tasks := h.withMarker("Tasks", cv)
	if len(tasks) != 1 {
		t.Fatalf("%d Tasks", len(tasks))
	}
	lead := lookupID(tasks[0]["What_Id"])
	if _, ok := h.org.Record("Leads", lead); !ok || lead == res.Person.ID || lead != res2.Person.ID {
		t.Fatalf("the Task points at %s (converted %s, result %+v)", lead, res.Person.ID, res2.Person)
	}
}

// Contacts merged in Zoho: the one sync created is gone, the Case goes under the Contact the
// identification rules find now.
func TestMergedContactIsReplaced(t *testing.T) {
	h := newHarness(t)
	v := visitor("merged")
	c1 := chat("c-merge-1", v)
	h.host.PutChat(c1)
	first := h.handle(chatEvent(cloudcx.EventChatEnded, c1))
	master, _ := h.org.Seed("Contacts", map[string]any{"Last_Name": "Master", "Email": v.Email})
	if err := h.org.MergeRecords("Contacts", master[0], first.Person.ID); err != nil {
		t.Fatal(err)
	}
	c2 := chat("c-merge-2", v)
	h.host.PutChat(c2)
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c2)); err != nil {
		t.Fatalf("after the merge: %v", err)
	}
	cases := h.withMarker("Cases", c2)
	if len(cases) != 1 || lookupID(cases[0]["Related_To"]) != master[0] {
		t.Fatalf("the Case is related to %v, want the surviving Contact %s", cases, master[0])
	}
}

// Another administrator connected the tenant: records of agents who are not Zoho users are owned
// by that connecting user, not by the org's first user.
func TestConnectingUserIsTheFallbackOwner(t *testing.T) {
	h := newHarness(t)
	admin, err := h.org.AddUser(zohotest.User{Email: "second.admin@zylker.example", FirstName: "Second", LastName: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.org.SetConsentUser(admin.Email); err != nil {
		t.Fatal(err)
	}
	conn, err := h.syncer.ConnectRefreshToken(t.Context(), "t2", systemClient(h), &zoho.Token{RefreshToken: h.org.IssueRefreshToken(zoho.DefaultScopes()...), AccountsServer: h.srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if conn.Connection.UserID != admin.ID {
		t.Fatalf("connecting user %s, want %s", conn.Connection.UserID, admin.ID)
	}
	c := chat("c-fallback", visitor("fallback"))
	c.TenantID = "t2"
	c.Agents[0].Email = "temp.agent@agency.example"
	h.host.PutChat(c)
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); err != nil {
		t.Fatal(err)
	}
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 || lookupID(cases[0]["Owner"]) != admin.ID {
		t.Fatalf("owner %v, want the connecting user %s (not the first user %s)", cases[0]["Owner"], admin.ID, h.org.Users()[0].ID)
	}
}

// Redelivery with the search index lagging (and Zoho's loose search): still the records of once.
func TestRedeliveryWithIndexingDelay(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	c := chat("c-lag", visitor("lag"))
	h.host.PutChat(c)
	for range 10 {
		h.handle(chatEvent(cloudcx.EventChatStarted, c))
		h.handle(chatEvent(cloudcx.EventChatEnded, c))
	}
	if n := len(h.records("Contacts", "Email", c.Visitor.Email)); n != 1 {
		t.Fatalf("%d contacts", n)
	}
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d cases", n)
	}
}

// Visitors of one company cost one Account search per cache period; an Account deleted in Zoho
// meanwhile is looked up again when Zoho refuses the link.
func TestAccountSearchCachedPerCompany(t *testing.T) {
	h := newHarness(t)
	accs, _ := h.org.Seed("Accounts", map[string]any{"Account_Name": "Globex"})
	for i := range 3 {
		v := visitor(fmt.Sprint("globex", i))
		v.Company = "Globex"
		c := chat(fmt.Sprint("c-globex-", i), v)
		h.host.PutChat(c)
		res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
		if res.Account == nil || res.Account.ID != accs[0] {
			t.Fatalf("visitor %d: account %+v", i, res.Account)
		}
	}
	if n := h.srv.CallCount("GET", "/crm/v2/Accounts/search"); n != 1 {
		t.Fatalf("%d Account searches for three visitors of one company, want 1", n)
	}
	// The Account is deleted in Zoho and another made: the next visitor's Contact is still
	// created, linked to the Account that exists now.
	if err := h.org.DeleteRecord("Accounts", accs[0]); err != nil {
		t.Fatal(err)
	}
	again, _ := h.org.Seed("Accounts", map[string]any{"Account_Name": "Globex"})
	v := visitor("globex-late")
	v.Company = "Globex"
	c := chat("c-globex-late", v)
	h.host.PutChat(c)
	res, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := h.org.Record("Contacts", res.Person.ID)
	if lookupID(got["Account_Name"]) != again[0] {
		t.Fatalf("the Contact is linked to %v, want the Account that exists now (%s)", got["Account_Name"], again[0])
	}
}
