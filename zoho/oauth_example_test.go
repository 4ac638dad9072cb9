package zoho_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/cloudcx/cxzoho/zoho"
)

// The connect flow: send the user to Zoho's consent page, exchange the code of the callback at
// the accounts server the callback names, store the token, and build a client over a token source
// that refreshes it once for every goroutine and process. A local server stands in for Zoho.
func ExampleOAuthConfig_Exchange() {
	zohoStandIn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth/v2/token":
			fmt.Fprint(w, `{"access_token":"1000.a5c1","refresh_token":"1000.r9e2","api_domain":"https://www.zohoapis.eu","token_type":"Bearer","expires_in":3600}`)
		case "/crm/v2/org":
			fmt.Fprint(w, `{"org":[{"company_name":"Zylker"}]}`)
		}
	}))
	defer zohoStandIn.Close()
	ctx := context.Background()

	cfg := &zoho.OAuthConfig{
		ClientID:     "1000.EXAMPLECLIENT",
		ClientSecret: "example-secret",
		RedirectURL:  "https://app.example.com/zoho/callback",
		// Tests and examples only: a stand-in for Zoho's accounts server and API.
		Endpoints: zoho.Endpoints{API: zohoStandIn.URL, Accounts: zohoStandIn.URL},
	}

	// 1. Send the user to Zoho's consent page (state: single-use, kept in your session store).
	consent, err := cfg.AuthCodeURL(zoho.EU, "state-7f3a")
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := url.Parse(consent)
	fmt.Println(u.Path, u.Query().Get("access_type"), u.Query().Get("prompt"))

	// 2. Zoho redirects the user to RedirectURL with the code and the user's accounts server.
	callback, _ := url.Parse(cfg.RedirectURL +
		"?state=state-7f3a&code=1000.grant-code&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu")
	cb, err := zoho.ParseOAuthCallback(callback.Query())
	if err != nil || cb.State != "state-7f3a" { // check the state you issued
		fmt.Println("bad callback", err)
		return
	}
	tok, err := cfg.Exchange(ctx, cb.Code, cb.AccountsServer)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.DataCenter, tok.APIDomain, tok.RefreshToken != "")

	// 3. Store it (your database in production), revoke what a reconnect replaced, and call Zoho
	// through a token source.
	store := zoho.NewMemoryTokenStore()
	prev, _, err := zoho.ReplaceToken(ctx, store, "tenant-42", tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	if prev != nil && prev.RefreshToken != "" && prev.RefreshToken != tok.RefreshToken {
		_ = cfg.RevokeToken(ctx, prev.AccountsServer, prev.RefreshToken)
	}
	ts, err := zoho.NewTokenSource(cfg, store, "tenant-42")
	if err != nil {
		fmt.Println(err)
		return
	}
	client, err := zoho.NewClient(
		zoho.WithDataCenter(tok.DataCenter),
		zoho.WithTokenSource(ts), // its config's Endpoints, else the token's api_domain
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	req, _ := client.NewRequest("GET", "org", nil, nil)
	var out struct {
		Org []struct {
			CompanyName string `json:"company_name"`
		} `json:"org"`
	}
	if _, err := client.Do(ctx, req, &out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("connected to", out.Org[0].CompanyName)
	// Output:
	// /oauth/v2/auth offline consent
	// eu https://www.zohoapis.eu true
	// connected to Zylker
}
