package zoho_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/cloudcx/cxzoho/zoho"
	"golang.org/x/oauth2"
)

// A client for one Zoho org, pointed at a local stand-in for Zoho, making one raw call and
// counting the HTTP attempts it took.
func ExampleNewClient() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("Zoho saw:", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"org":[{"id":"4150868000000225013","company_name":"Zylker"}]}`)
	}))
	defer srv.Close()

	calls := 0
	client, err := zoho.NewClient(
		zoho.WithDataCenter(zoho.EU),
		zoho.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "1000.example"})),
		zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}), // tests and local runs only: the token's api_domain decides otherwise
		zoho.WithCallHook(func(ctx context.Context, info zoho.CallInfo) { calls++ }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	req, err := client.NewRequest("GET", "org", nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var out struct {
		Org []struct {
			ID          string `json:"id"`
			CompanyName string `json:"company_name"`
		} `json:"org"`
	}
	if _, err := client.Do(context.Background(), req, &out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Org[0].CompanyName, "calls:", calls)
	// Output:
	// Zoho saw: GET /crm/v2/org Zoho-oauthtoken 1000.example
	// Zylker calls: 1
}

func ExampleDataCenter_RecordURL() {
	fmt.Println(zoho.EU.RecordURL("20001234", "Contacts", "4150868000000224005"))
	fmt.Println(zoho.CA.RecordURL("20001234", "Leads", "1"))
	// Output:
	// https://crm.zoho.eu/crm/org20001234/tab/Contacts/4150868000000224005
	// https://crm.zohocloud.ca/crm/org20001234/tab/Leads/1
}
