package zohotest_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
	"golang.org/x/oauth2"
)

// A test starts the fake, adds an org, and points the zoho client at it with a token of that org.
// The fake validates writes as Zoho does and keeps what was written.
func Example() {
	ctx := context.Background()
	srv := zohotest.NewServer() // in a test: zohotest.New(t), closed when the test ends
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	org, err := srv.AddOrg(zohotest.OrgConfig{Name: "Acme"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: org.IssueAccessToken()})
	client, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}))
	if err != nil {
		fmt.Println(err)
		return
	}

	res, _, err := client.Leads.Insert(ctx, []*crm.Lead{
		{LastName: crm.Some("Boyle"), Company: crm.Some("Zylker")},
		{Company: crm.Some("No name")},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Println(r.Code, r.Details["api_name"])
	}
	fmt.Println("stored:", org.Records("Leads")[0]["Last_Name"])
	fmt.Println("calls:", srv.CallCount("POST", "/crm/v2/Leads"))
	// Output:
	// SUCCESS <nil>
	// MANDATORY_NOT_FOUND Last_Name
	// stored: Boyle
	// calls: 1
}

// A connection dropped after Zoho applied a write: the caller cannot know it succeeded. The
// client reports an ambiguous failure; the record exists.
func ExampleServer_InjectFault() {
	ctx := context.Background()
	srv := zohotest.NewServer()
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	org, _ := srv.AddOrg(zohotest.OrgConfig{})
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: org.IssueAccessToken()})
	client, _ := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}))

	if _, err := srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Kind: zohotest.FaultDropAfterApply, Nth: 1}); err != nil {
		fmt.Println(err)
		return
	}
	_, _, err := client.Cases.InsertOne(ctx, &crm.Case{Subject: crm.Some("Chat 7"), Status: crm.Some("New"), CaseOrigin: crm.Some("Chat")}, nil)
	var amb *zoho.AmbiguousError
	fmt.Println("ambiguous:", errors.As(err, &amb))
	fmt.Println("cases stored:", len(org.Records("Cases")))
	last := srv.Calls()[len(srv.Calls())-1]
	fmt.Println(last.Method, last.Path, last.Status, last.Fault)
	// Output:
	// ambiguous: true
	// cases stored: 1
	// POST /crm/v2/Cases 0 drop-after
}

// With an indexing delay, Zoho's search does not find a record written moments ago, as in real
// Zoho; a test clock moves time on.
func ExampleWithIndexingDelay() {
	ctx := context.Background()
	var offset atomic.Int64 // the test clock: a start time plus an offset the example moves
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	srv := zohotest.NewServer(zohotest.WithIndexingDelay(10*time.Second), zohotest.WithClock(clock))
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	org, _ := srv.AddOrg(zohotest.OrgConfig{})
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: org.IssueAccessToken()})
	client, _ := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}))

	_, _, _ = client.Contacts.InsertOne(ctx, &crm.Contact{LastName: crm.Some("Hopper"), Email: crm.Some("grace@navy.example")}, nil)
	found, _, _ := client.Contacts.Search(ctx, crm.SearchQuery{Email: "grace@navy.example"}, nil)
	fmt.Println("found at once:", len(found))
	offset.Add(int64(10 * time.Second))
	found, _, _ = client.Contacts.Search(ctx, crm.SearchQuery{Email: "grace@navy.example"}, nil)
	fmt.Println("found 10s later:", len(found), found[0].CreatedTime.Value())
	// Output:
	// found at once: 0
	// found 10s later: 1 2025-01-02T03:04:05+00:00
}

// Orgs, users and records can be seeded directly (no API call, no credit).
func ExampleOrg_Seed() {
	srv := zohotest.NewServer()
	org, err := srv.AddOrg(zohotest.OrgConfig{ID: "4242", Name: "Zylker", Edition: zohotest.EditionProfessional,
		Users: []zohotest.User{{Email: "boss@zylker.example", FirstName: "Pat", LastName: "Boss"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	acc, _ := org.Seed("Accounts", map[string]any{"Account_Name": "Zylker"})
	_, err = org.Seed("Contacts", map[string]any{"Last_Name": "Marrier", "Account_Name": map[string]any{"id": acc[0]}})
	fmt.Println(err)
	c := org.Records("Contacts")[0]
	fmt.Println(c["Last_Name"], c["Account_Name"].(map[string]any)["name"], c["Owner"].(map[string]any)["email"])
	_, err = org.Seed("Contacts", map[string]any{"Last_Name": 42})
	fmt.Println(err)
	// Output:
	// <nil>
	// Marrier Zylker boss@zylker.example
	// zohotest: Seed Contacts[0]: INVALID_DATA invalid data: map[api_name:Last_Name expected_data_type:text json_path:$.data[0].Last_Name]
}
