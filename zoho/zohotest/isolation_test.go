package zohotest

import (
	"net/http"
	"net/url"
	"testing"
)

// TestOrgIsolation: a token of org A never reads or writes anything of org B — records, search,
// attachments, users, org data, field metadata — even given B's ids, and the call is logged as
// A's.
func TestOrgIsolation(t *testing.T) {
	clock := newTestClock()
	srv := New(t, WithClock(clock.Now))
	a, err := srv.AddOrg(OrgConfig{ID: "111", Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := srv.AddOrg(OrgConfig{ID: "222", Name: "B", Users: []User{
		{Email: "boss@b.example", FirstName: "Bea", LastName: "Boss"},
		{Email: "agent@b.example", FirstName: "Bo", LastName: "Agent"},
	}, Modules: []Module{{APIName: "Chats"}}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := b.Seed("Contacts", map[string]any{"Last_Name": "Secret", "Email": "secret@b.example", "Phone": "5550100"})
	if err != nil {
		t.Fatal(err)
	}
	bContact := ids[0]
	bAgent := b.Users()[1].ID
	ta, tb := a.IssueAccessToken(), b.IssueAccessToken()
	call := func(tok, method, path string, body any, hdr ...string) answer {
		t.Helper()
		return rawCall(t, srv, tok, method, path, body, hdr...)
	}
	upload, ct := multipartBody(t, "t.txt", "text/plain", []byte("B's transcript"))
	wantStatus(t, call(tb, "POST", "/crm/v2/Contacts/"+bContact+"/Attachments", upload, "Content-Type", ct), http.StatusOK)
	bAtt := b.Attachments("Contacts", bContact)[0].ID

	// Reads: nothing of B is visible to A.
	wantStatus(t, call(ta, "GET", "/crm/v2/Contacts", nil), http.StatusNoContent)
	wantStatus(t, call(ta, "GET", "/crm/v2/Contacts/"+bContact, nil), http.StatusNoContent)
	wantStatus(t, call(ta, "GET", "/crm/v2/Contacts?ids="+bContact, nil), http.StatusNoContent)
	for _, q := range []url.Values{{"email": {"secret@b.example"}}, {"phone": {"5550100"}}, {"word": {"Secret"}},
		{"criteria": {"(Last_Name:equals:Secret)"}}, {"criteria": {"(id:equals:" + bContact + ")"}}} {
		wantStatus(t, call(ta, "GET", searchPath("Contacts", q), nil), http.StatusNoContent)
	}
	wantCode(t, call(ta, "GET", "/crm/v2/Contacts/"+bContact+"/Attachments", nil), http.StatusBadRequest, "INVALID_DATA")
	wantCode(t, call(ta, "GET", "/crm/v2/Contacts/"+bContact+"/Attachments/"+bAtt, nil), http.StatusBadRequest, "INVALID_DATA")
	wantStatus(t, call(ta, "GET", "/crm/v2/users/"+bAgent, nil), http.StatusNoContent)
	users := call(ta, "GET", "/crm/v2/users?type=AllUsers", nil).json(t)["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["email"] == "boss@b.example" {
		t.Fatalf("A's users: %v", users)
	}
	if org := call(ta, "GET", "/crm/v2/org", nil).json(t)["org"].([]any)[0].(map[string]any); org["company_name"] != "A" {
		t.Fatalf("A's org: %v", org)
	}
	wantCode(t, call(ta, "GET", "/crm/v2/Chats", nil), http.StatusBadRequest, "INVALID_MODULE")
	wantCode(t, call(ta, "GET", "/crm/v2/settings/fields?module=Chats", nil), http.StatusBadRequest, "INVALID_MODULE")

	// Writes: B's records, attachments and users cannot be touched or referenced from A.
	r := call(ta, "PUT", "/crm/v2/Contacts/"+bContact, leadBody(map[string]any{"Last_Name": "Hacked"}))
	if r.status != http.StatusBadRequest || r.data(t)[0]["code"] != "INVALID_DATA" {
		t.Fatalf("update of B's record: %d %s", r.status, r.raw)
	}
	r = call(ta, "PUT", "/crm/v2/Contacts", leadBody(map[string]any{"id": bContact, "Last_Name": "Hacked"}))
	wantStatus(t, r, http.StatusBadRequest)
	r = call(ta, "DELETE", "/crm/v2/Contacts?ids="+bContact, nil)
	if r.status != http.StatusBadRequest || r.data(t)[0]["status"] != "error" {
		t.Fatalf("delete of B's record: %d %s", r.status, r.raw)
	}
	wantStatus(t, call(ta, "DELETE", "/crm/v2/Contacts/"+bContact, nil), http.StatusBadRequest)
	wantCode(t, call(ta, "POST", "/crm/v2/Contacts/"+bContact+"/Attachments", upload, "Content-Type", ct), http.StatusBadRequest, "INVALID_DATA")
	wantCode(t, call(ta, "DELETE", "/crm/v2/Contacts/"+bContact+"/Attachments/"+bAtt, nil), http.StatusBadRequest, "INVALID_DATA")
	for field, value := range map[string]any{"Owner": map[string]any{"id": bAgent}, "Account_Name": map[string]any{"id": bContact},
		"Reports_To": map[string]any{"id": bContact}} {
		r := call(ta, "POST", "/crm/v2/Contacts", leadBody(map[string]any{"Last_Name": "L", field: value}))
		if r.status != http.StatusBadRequest || details(r.data(t)[0])["api_name"] != field {
			t.Errorf("A's record pointing at B's %s: %d %s", field, r.status, r.raw)
		}
	}
	// An upsert by B's email inserts into A; B's record is untouched.
	r = call(ta, "POST", "/crm/v2/Contacts/upsert", leadBody(map[string]any{"Last_Name": "Mine", "Email": "secret@b.example"}))
	if it := r.data(t)[0]; it["action"] != "insert" || str(details(it)["id"]) == bContact {
		t.Fatalf("upsert from A: %v", it)
	}
	rec, ok := b.Record("Contacts", bContact)
	if !ok || rec["Last_Name"] != "Secret" || len(b.Records("Contacts")) != 1 || len(b.Attachments("Contacts", bContact)) != 1 {
		t.Fatalf("B's data changed: %v %v", ok, rec)
	}
	if n := len(a.Records("Contacts")); n != 1 {
		t.Fatalf("A has %d contacts", n)
	}
	// Every call of A's token was logged as A's.
	for _, c := range srv.Calls() {
		if srv.TokenID(ta) == c.TokenID && c.Org != "111" {
			t.Fatalf("call of A's token logged for org %s: %v", c.Org, c)
		}
	}
	// B still sees its own data.
	wantStatus(t, call(tb, "GET", searchPath("Contacts", url.Values{"email": {"secret@b.example"}}), nil), http.StatusOK)
}
