package zoho_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// From a refresh token to a client in one call, here against the fake Zoho: the OAuth config's
// Endpoints point both the API calls and the token renewals at it. Against Zoho, leave them out.
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
	oauth := &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
		Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}
	client, err := zoho.NewClientFromRefreshToken(ctx, oauth, refreshToken, zoho.US)
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

// One logger, given once in the OAuthConfig, reaches the client (its retry lines say
// how long it waits and why), the token source (renewals) and the OAuth calls (accounts server).
func TestOneLoggerReachesClientTokenSourceAndOAuth(t *testing.T) {
	srv := zohotest.New(t)
	org, err := srv.AddOrg(zohotest.OrgConfig{Name: "Zylker"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.InjectFault(zohotest.Fault{Method: "GET", Path: "/crm/v2/org", Kind: zohotest.FaultStatus, Status: 503, Nth: 1}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer // slog's handler serialises writes; every line is written before Get returns
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	oauth := &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Logger: logger,
		Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}
	client, err := zoho.NewClientFromRefreshToken(t.Context(), oauth, org.IssueRefreshToken(), zoho.US,
		zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.Org.Get(t.Context()); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	for _, want := range []string{
		`msg="zoho: accounts call"`,                                   // the OAuth config
		`msg="zoho: access token renewed"`,                            // the token source
		`msg="zoho: retrying in `, "(backoff)", "status=503", "wait=", // the client
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "1000.") {
		t.Errorf("a token in the log:\n%s", log)
	}
}
