package zohotest

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// A long run touching many records keeps one count per route, and the call log keeps each
// write's body so a test can see which fields were sent.
func TestCallCountsByRouteAndWriteBodies(t *testing.T) {
	f := newFixture(t)
	for i := range 50 {
		a := f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": fmt.Sprintf("L%d", i), "Company": "C"}))
		id := str(details(a.data(t)[0])["id"])
		wantStatus(t, f.call("GET", "/crm/v2/Leads/"+id, nil), http.StatusOK)
		f.call("PUT", "/crm/v2/Leads/"+id, leadBody(map[string]any{"Phone": "555"}))
	}
	counts := f.srv.CallCounts()
	if counts["GET /crm/v2/Leads/{id}"] != 50 || counts["PUT /crm/v2/Leads/{id}"] != 50 || len(counts) > 6 {
		t.Fatalf("counts %v", counts)
	}
	var puts []Call
	for _, c := range f.srv.Calls() {
		if c.Method == "PUT" {
			puts = append(puts, c)
		}
	}
	recs := puts[0].Records()
	if len(recs) != 1 || recs[0]["Phone"] != "555" || len(recs[0]) != 1 {
		t.Fatalf("the update's body: %v (raw %s)", recs, puts[0].Body)
	}
	for _, c := range f.srv.Calls() {
		if c.Method == "GET" && c.Body != nil {
			t.Fatalf("a read kept a body: %v", c)
		}
	}
}

// Expired access tokens and grant codes are forgotten: a long run keeps a bounded number.
func TestExpiredTokensArePruned(t *testing.T) {
	f := newFixture(t)
	for range 3 * pruneEvery {
		f.org.IssueAccessToken()
		f.clock.Advance(2 * time.Hour) // each expires (one hour) and passes its grace
	}
	f.srv.mu.Lock()
	n := len(f.srv.access)
	f.srv.mu.Unlock()
	if n > pruneEvery+1 {
		t.Fatalf("%d access tokens kept after %d issued, all expired", n, 3*pruneEvery)
	}
}

// A converted Lead and merged Contacts are gone: writes that still point at them are refused
// with INVALID_DATA, as Zoho refuses them.
func TestConvertDeleteMerge(t *testing.T) {
	f := newFixture(t)
	ids, err := f.org.Seed("Leads", map[string]any{"Last_Name": "Doe", "First_Name": "Jo", "Company": "Acme", "Email": "jo@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	contactID, accountID, err := f.org.ConvertLead(ids[0])
	if err != nil || contactID == "" || accountID == "" {
		t.Fatalf("ConvertLead: %q %q %v", contactID, accountID, err)
	}
	if c, ok := f.org.Record("Contacts", contactID); !ok || c["Email"] != "jo@acme.example" {
		t.Fatalf("contact %v", c)
	}
	if _, ok := f.org.Record("Leads", ids[0]); ok {
		t.Fatal("the converted Lead is still served")
	}
	a := f.call("POST", "/crm/v2/Tasks", leadBody(map[string]any{"Subject": "x", "What_Id": map[string]any{"id": ids[0]}, "$se_module": "Leads"}))
	if code := str(a.data(t)[0]["code"]); code != "INVALID_DATA" {
		t.Fatalf("a Task on the converted Lead: %s", a.raw)
	}
	dup, err := f.org.Seed("Contacts", map[string]any{"Last_Name": "Doe", "Email": "jo@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.org.MergeRecords("Contacts", contactID, dup[0]); err != nil {
		t.Fatal(err)
	}
	a = f.call("POST", "/crm/v2/Cases", leadBody(map[string]any{"Subject": "x", "Status": "New", "Case_Origin": "Chat", "Related_To": map[string]any{"id": dup[0]}}))
	if code := str(a.data(t)[0]["code"]); code != "INVALID_DATA" {
		t.Fatalf("a Case on the merged Contact: %s", a.raw)
	}
	if err := f.org.DeleteRecord("Contacts", "1"); err == nil {
		t.Fatal("deleting an unknown record succeeded")
	}
	if err := f.org.SetConsentUser("nobody@x.example"); err == nil {
		t.Fatal("SetConsentUser of an unknown user succeeded")
	}
	second, err := f.org.AddUser(User{Email: "second.admin@x.example", FirstName: "Second", LastName: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.org.SetConsentUser(second.Email); err != nil || f.org.CurrentUser().ID != second.ID {
		t.Fatalf("SetConsentUser: %v, current %v", err, f.org.CurrentUser())
	}
}

// Zoho creates at most 10 refresh tokens per user and client in 10 minutes: the 11th code
// exchange is refused as Zoho refuses it, and the window passing lifts it.
func TestRefreshTokenCreationThrottle(t *testing.T) {
	f := newFixture(t)
	exchange := func() map[string]any {
		code := f.org.IssueGrantCode()
		a := f.call("POST", "/oauth/v2/token?grant_type=authorization_code&client_id="+f.srv.ClientID()+"&client_secret="+f.srv.ClientSecret()+"&code="+code, nil)
		return a.json(t)
	}
	for i := range 10 {
		if got := exchange(); got["refresh_token"] == nil {
			t.Fatalf("exchange %d: %v", i+1, got)
		}
		f.clock.Advance(time.Second)
	}
	if got := exchange(); got["refresh_token"] != nil || got["error"] == nil {
		t.Fatalf("the 11th refresh token in 10 minutes: %v", got)
	}
	f.clock.Advance(10 * time.Minute)
	if got := exchange(); got["refresh_token"] == nil {
		t.Fatalf("after the window: %v", got)
	}
}
