package zoho_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/cloudcx/cxzoho/zoho"
	"golang.org/x/oauth2"
)

// Reading the org's edition to size the client's concurrency limit.
func ExampleOrgService_Get() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"org":[{"id":"5725767000000020005","company_name":"Zylker","time_zone":"America/Los_Angeles",
			"license_details":{"paid":true,"paid_type":"enterprise"}}]}`)
	}))
	defer srv.Close()
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "1000.example"})
	probe, err := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}))
	if err != nil {
		fmt.Println(err)
		return
	}
	org, _, err := probe.Org.Get(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(org.CompanyName, org.Edition(), org.ConcurrencyLimit())

	client, _ := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}), zoho.WithConcurrency(org.ConcurrencyLimit()))
	fmt.Println(client.Concurrency())
	// Output:
	// Zylker enterprise 20
	// 20
}
