package zoho_test

import (
	"context"
	"fmt"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// From a refresh token to a client in one call, here against the fake Zoho: WithEndpoints points
// both the API calls and the token renewals at it. Against Zoho, leave WithEndpoints out.
func ExampleNewClientFromRefreshToken() {
	srv := zohotest.NewServer()
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	org, _ := srv.AddOrg(zohotest.OrgConfig{Name: "Zylker"})
	refreshToken := org.IssueRefreshToken() // from a consent or a Self Client in real life

	ctx := context.Background() // lives as long as the client: token renewals run under it
	oauth := &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret()}
	client, err := zoho.NewClientFromRefreshToken(ctx, oauth, refreshToken, zoho.US,
		zoho.WithEndpoints(zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, _, err := client.Contacts.InsertOne(ctx, &crm.Contact{LastName: crm.Some("Kingsley")}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created:", res.ID != "", "contacts stored:", len(org.Records("Contacts")))
	// Output:
	// created: true contacts stored: 1
}
