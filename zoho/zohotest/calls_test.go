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
