package zoho_test

import (
	"errors"
	"testing"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
	"golang.org/x/oauth2"
)

// Against the fake Zoho: an upsert of a Task (a plain insert: Tasks have no duplicate-check
// field) whose connection drops after Zoho applied it is not sent again, so one Task exists and
// the caller hears that the outcome is unknown; a Lead with an Email is replayed safely (the
// replay finds the Lead by its Email and updates it).
func TestUpsertAfterApplyAgainstTheFake(t *testing.T) {
	srv := zohotest.New(t)
	org, err := srv.AddOrg(zohotest.OrgConfig{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: org.IssueAccessToken()})
	c, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}), zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: 3, MinWait: 1, MaxWait: 1}))
	if err != nil {
		t.Fatal(err)
	}
	for _, module := range []string{"Tasks", "Leads"} {
		if _, err := srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/" + module + "/upsert", Nth: 1, Kind: zohotest.FaultDropAfterApply}); err != nil {
			t.Fatal(err)
		}
	}

	res, _, err := c.Tasks.Upsert(t.Context(), []*crm.Task{{Subject: crm.Some("Call the visitor back")}}, nil)
	var amb *zoho.AmbiguousError
	if !errors.As(err, &amb) || !errors.As(res[0].Err, &amb) {
		t.Fatalf("task upsert: err %v, result %v", err, res)
	}
	if n := len(org.Records("Tasks")); n != 1 {
		t.Fatalf("%d Tasks after one upsert", n)
	}

	res, _, err = c.Leads.Upsert(t.Context(), []*crm.Lead{{LastName: crm.Some("Boyle"), Company: crm.Some("Zylker"), Email: crm.Some("p.boyle@x.test")}}, nil)
	if err != nil || res.Err() != nil || res[0].Action != "update" {
		t.Fatalf("lead upsert: err %v, result %v", err, res)
	}
	if n := len(org.Records("Leads")); n != 1 {
		t.Fatalf("%d Leads after one upsert", n)
	}
}
