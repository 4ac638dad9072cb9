package zoho_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/cloudcx/cxzoho/zoho"
	"golang.org/x/oauth2"
)

// Finding a CRM user by email among the active users, page after page (Zoho's v2 /users has no
// email filter).
func ExampleUsersService_ListIter() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("Zoho saw:", r.URL.RawQuery)
		if r.URL.Query().Get("page") == "1" {
			fmt.Fprint(w, `{"users":[{"id":"1","email":"ann@zylker.com","status":"active"}],"info":{"page":1,"more_records":true}}`)
			return
		}
		fmt.Fprint(w, `{"users":[{"id":"2","email":"bob@zylker.com","status":"active","role":{"id":"7","name":"Agent"}}],"info":{"page":2,"more_records":false}}`)
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
	for u, err := range client.Users.ListIter(context.Background(), &zoho.ListUsersOptions{Type: zoho.ActiveUsers, PerPage: 1}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if u.Email == "bob@zylker.com" {
			fmt.Println("owner:", u.ID, u.Role.Name, u.Active())
			break
		}
	}
	// Output:
	// Zoho saw: page=1&per_page=1&type=ActiveUsers
	// Zoho saw: page=2&per_page=1&type=ActiveUsers
	// owner: 2 Agent true
}
