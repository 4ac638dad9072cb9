// Command quickstart shows the cxzoho SDK end to end on embedded defaults: no Zoho account, no
// network. For now it builds a zoho.Client against an in-process stand-in for Zoho and prints
// the calls it makes; later versions run the whole CloudCX → Zoho flow on the fake Zoho server.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/cloudcx/cxzoho/zoho"
	"golang.org/x/oauth2"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"org":[{"id":"4150868000000225013","company_name":"Zylker"}]}`)
	}))
	defer srv.Close()

	client, err := zoho.NewClient(
		zoho.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "local-demo-token"})),
		zoho.WithBaseURL(srv.URL),
		zoho.WithCallHook(func(ctx context.Context, info zoho.CallInfo) {
			fmt.Printf("  API call: %s %s -> %d (attempt %d)\n", info.Method, info.Path, info.Status, info.Attempt)
		}),
	)
	if err != nil {
		return err
	}
	fmt.Println("client:", client)
	req, err := client.NewRequest("GET", "org", nil, nil)
	if err != nil {
		return err
	}
	var out struct {
		Org []struct {
			CompanyName string `json:"company_name"`
		} `json:"org"`
	}
	if _, err := client.Do(ctx, req, &out); err != nil {
		return err
	}
	fmt.Println("connected org:", out.Org[0].CompanyName)
	return nil
}
