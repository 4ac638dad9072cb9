package zoho_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"golang.org/x/oauth2"
)

// Searching Contacts for a chat visitor by email, then re-checking the candidates on the client,
// because Zoho's search is approximate.
func ExampleRecordsService_Search() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("Zoho saw:", r.URL.Path, "criteria =", r.URL.Query().Get("criteria"))
		fmt.Fprint(w, `{"data":[
			{"id":"1001","Last_Name":"Doe","Email":"jane+crm@example.com"},
			{"id":"1002","Last_Name":"Doe","Email":"jane+crm@example.com.invalid"}],
			"info":{"per_page":200,"count":2,"page":1,"more_records":false}}`)
	}))
	defer srv.Close()
	client, err := zoho.NewClient(
		zoho.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "1000.example"})),
		zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	crit := crm.Equals("Email", "jane+crm@example.com")
	recs, _, err := client.Records.Search(context.Background(), "Contacts", crm.SearchQuery{Criteria: crit}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, rec := range recs {
		exact := crit.Matches(func(field string) (string, bool) { return rec.Text(field), rec.Has(field) })
		fmt.Println(rec.ID(), "exact match:", exact)
	}
	// Output:
	// Zoho saw: /crm/v2/Contacts/search criteria = (Email:equals:jane+crm@example.com)
	// 1001 exact match: true
	// 1002 exact match: false
}

// Walking all results of an email search; no match is simply no results.
func ExampleRecordsService_SearchIter() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent) // Zoho's answer when nothing matches
	}))
	defer srv.Close()
	client, _ := zoho.NewClient(
		zoho.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "1000.example"})),
		zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}),
	)
	n := 0
	for _, err := range client.Records.SearchIter(context.Background(), "Leads", crm.SearchQuery{Email: "nobody@example.com"}, nil) {
		if err != nil {
			fmt.Println(err)
			return
		}
		n++
	}
	fmt.Println("found:", n)
	// Output:
	// found: 0
}
