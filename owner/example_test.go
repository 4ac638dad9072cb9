package owner_test

import (
	"context"
	"fmt"

	"github.com/cloudcx/cxzoho/owner"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
	"golang.org/x/oauth2"
)

// One resolver serves every tenant. Here a tenant's Zoho org (a fake one) has an administrator,
// who connected it, and an agent; a deactivated agent and a chat without a human agent fall back
// to the administrator. Three resolves cost one listing of the users.
func ExampleResolver_Resolve() {
	srv := zohotest.NewServer()
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	org, err := srv.AddOrg(zohotest.OrgConfig{Name: "Zylker", Users: []zohotest.User{
		{ID: "4150868000000225013", Email: "admin@zylker.example", FirstName: "Patricia", LastName: "Boyle"},
		{ID: "4150868000000225021", Email: "Amelia.Burrows@zylker.example", FirstName: "Amelia", LastName: "Burrows"},
		{ID: "4150868000000225034", Email: "ben@zylker.example", FirstName: "Ben", LastName: "Ito", Status: "inactive"},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	client, err := zoho.NewClient(
		zoho.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: org.IssueAccessToken()})),
		zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	resolver, err := owner.New(owner.Config{}) // defaults: TTL 5 min, MinRefreshInterval 30 s
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, agent := range []string{" amelia.burrows@ZYLKER.example", "ben@zylker.example", ""} {
		res, err := resolver.Resolve(context.Background(), owner.Request{
			Tenant:           "acme",
			Directory:        owner.ZohoDirectory(client),
			AgentEmail:       agent,
			ConnectingUserID: "4150868000000225013", // recorded when the tenant connected
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q → %s (%s, %s)\n", agent, res.UserID, res.Name, res.Rule)
	}
	fmt.Println("users listings:", srv.CallCount("GET", "/crm/v2/users"))
	// Output:
	// " amelia.burrows@ZYLKER.example" → 4150868000000225021 (Amelia Burrows, agent-match)
	// "ben@zylker.example" → 4150868000000225013 (Patricia Boyle, connecting-user)
	// "" → 4150868000000225013 (Patricia Boyle, connecting-user)
	// users listings: 1
}
