// Command quickstart runs the whole mission of cxzoho end to end: a CloudCX tenant connects to a
// Zoho CRM org, and chats and conversations become Contacts, Leads, Cases and Tasks through
// sync.Syncer, exactly once.
//
//	go run ./examples/quickstart
//
// With no configuration it starts a fake Zoho CRM (package zohotest) and an in-memory store in
// this process — no account, no network — connects the tenant through the full OAuth consent
// flow, configures Web Chat as Support and Inbox as Sales, and plays realistic CloudCX webhooks
// (decoded with cloudcx.DecodeWebhook, the chats served by a loader): a new visitor, a returning
// one, a chat with attachments, an offline message, a very long chat, a visitor whose Contact
// exists with empty fields, a wrap-up after the end, and a conversation resolved, reopened and
// resolved again. It prints what each event did, the API calls it cost, and what now exists in
// Zoho. The output is the same on every run.
//
// To run the same flows against a real Zoho org (use a sandbox), set ZOHO_CLIENT_ID,
// ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN (a self-client's, with the scopes zoho.DefaultScopes
// lists) and either ZOHO_DC (us, eu, in, au, jp, cn, ca, sa, uk) or ZOHO_ACCOUNTS_URL and
// ZOHO_API_URL (what `go run ./examples/fakezoho -print-env` prints for a standalone fake).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

const tenant = "acme"

// demoClock is the fake Zoho's clock: record times and ids (and so the output) are the same on
// every run.
func demoClock() time.Time { return time.Date(2026, 6, 2, 10, 0, 0, 0, time.UTC) }

// env is where the quickstart sends its calls.
type env struct {
	real bool
	// oauth is the OAuth client (its Endpoints point at the fake or a custom Zoho).
	oauth *zoho.OAuthConfig
	token *zoho.Token // real mode: the refresh token to connect with
	srv   *zohotest.Server
	org   *zohotest.Org
}

// setup reads the environment: all of the real-Zoho variables, or none of them.
func setup(getenv func(string) string) (*env, error) {
	names := []string{"ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN", "ZOHO_DC", "ZOHO_ACCOUNTS_URL", "ZOHO_API_URL"}
	var set []string
	for _, n := range names {
		if getenv(n) != "" {
			set = append(set, n)
		}
	}
	if len(set) == 0 {
		srv := zohotest.NewServer(zohotest.WithClock(demoClock))
		if err := srv.Start(); err != nil {
			return nil, err
		}
		org, err := srv.AddDemoOrg()
		if err != nil {
			srv.Close()
			return nil, err
		}
		return &env{srv: srv, org: org,
			oauth: &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), RedirectURL: "https://app.example/zoho/callback", Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}}, nil
	}
	id, secret, refresh := getenv("ZOHO_CLIENT_ID"), getenv("ZOHO_CLIENT_SECRET"), getenv("ZOHO_REFRESH_TOKEN")
	dc, accounts, api := getenv("ZOHO_DC"), getenv("ZOHO_ACCOUNTS_URL"), getenv("ZOHO_API_URL")
	var missing []string
	for n, v := range map[string]string{"ZOHO_CLIENT_ID": id, "ZOHO_CLIENT_SECRET": secret, "ZOHO_REFRESH_TOKEN": refresh} {
		if v == "" {
			missing = append(missing, n)
		}
	}
	switch {
	case dc == "" && (accounts == "" || api == ""):
		missing = append(missing, "ZOHO_DC (or both ZOHO_ACCOUNTS_URL and ZOHO_API_URL)")
	case dc != "" && (accounts != "" || api != ""):
		return nil, errors.New("set ZOHO_DC or ZOHO_ACCOUNTS_URL and ZOHO_API_URL, not both")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("a half-set environment (%s set; missing %s): set all of them to use a real Zoho, or none to use the fake", strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	e := &env{real: true, oauth: &zoho.OAuthConfig{ClientID: id, ClientSecret: secret}}
	if dc != "" {
		d := zoho.DataCenter(strings.ToLower(dc))
		if d.AccountsURL() == "" {
			return nil, fmt.Errorf("ZOHO_DC=%q is not a Zoho data centre (us, eu, in, au, jp, cn, ca, sa, uk)", dc)
		}
		e.token = &zoho.Token{RefreshToken: refresh, DataCenter: d, AccountsServer: d.AccountsURL()}
		return e, nil
	}
	au, err := url.Parse(accounts)
	if err != nil || au.Host == "" {
		return nil, fmt.Errorf("ZOHO_ACCOUNTS_URL=%q is not a URL", accounts)
	}
	pu, err := url.Parse(api)
	if err != nil || pu.Host == "" {
		return nil, fmt.Errorf("ZOHO_API_URL=%q is not a URL", api)
	}
	e.oauth.Endpoints = zoho.Endpoints{API: api, Accounts: accounts}
	e.token = &zoho.Token{RefreshToken: refresh, AccountsServer: accounts, APIDomain: api}
	return e, nil
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	e, err := setup(getenv)
	if err != nil {
		return err
	}
	if e.srv != nil {
		defer e.srv.Close()
		fmt.Fprintln(out, "cxzoho quickstart: a fake Zoho CRM v2 runs in this process (no account, no network)")
	} else {
		target := "the REAL Zoho org of ZOHO_REFRESH_TOKEN (use a sandbox org)"
		if e.oauth.Endpoints.Accounts != "" {
			target = "the Zoho at " + e.oauth.Endpoints.Accounts + " (ZOHO_ACCOUNTS_URL, ZOHO_API_URL)"
		}
		fmt.Fprintln(out, "cxzoho quickstart: using "+target)
	}

	// The host's side: a store (its database in production) and its CloudCX data.
	store := memstore.New()
	host := &cloudcx.MemoryHost{}
	syncer, err := cxsync.New(cxsync.Config{
		Store: store,
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return e.oauth, nil // one system-wide client here; a tenant's own client is looked up the same way
		},
		Loader:      host,
		Attachments: host,
	})
	if err != nil {
		return err
	}

	// 1. Connect the tenant.
	ref := cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: e.oauth.ClientID}
	var conn *cxsync.Connected
	if e.real {
		conn, err = syncer.ConnectRefreshToken(ctx, tenant, ref, e.token)
	} else {
		conn, err = connect(ctx, syncer, ref)
	}
	if err != nil {
		return err
	}
	c := conn.Connection
	fmt.Fprintf(out, "1. Tenant %q connected to Zoho org %q (%s edition), as %s\n", tenant, c.OrgName, c.Edition, c.UserEmail)
	for _, p := range conn.Problems {
		fmt.Fprintf(out, "   to fix: %s\n", p)
	}

	// 2. Settings: Web Chat → Support (Contact + Case), Inbox → Sales (Lead + Task).
	set := rules.DefaultSettings()
	set.Sections.WebChat.Action = rules.Support
	set.Sections.Inbox.Action = rules.Sales
	set.TimeZone = "Europe/London"
	if err := syncer.SaveSettings(ctx, tenant, set); err != nil {
		return err
	}
	fmt.Fprintln(out, "2. Settings saved: Web Chat → Support (Contact, Case), Inbox → Sales (Lead, Task); update policy: fill empty fields")

	// 3. Events, as CloudCX's webhooks deliver them.
	fmt.Fprintln(out, "3. Events:")
	d := &demo{ctx: ctx, out: out, syncer: syncer, host: host, e: e}
	if err := d.play(); err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d events, %d Zoho API calls (each one credit); token calls not counted\n", d.events, d.calls)

	// 4. What exists in Zoho now.
	if e.org != nil {
		d.report()
		return nil
	}
	client, err := e.readClient(ctx)
	if err != nil {
		return err
	}
	return d.reportFrom(client)
}

// readClient is a zoho client on the real Zoho's refresh token, to read back what was created.
func (e *env) readClient(ctx context.Context) (*zoho.Client, error) {
	if e.token.DataCenter != "" {
		return zoho.NewClientFromRefreshToken(ctx, e.oauth, e.token.RefreshToken, e.token.DataCenter)
	}
	return zoho.NewClientFromRefreshToken(ctx, e.oauth, e.token.RefreshToken, zoho.US) // e.oauth.Endpoints
}

// connect runs the consent flow: the authorisation URL, the administrator's consent (the fake
// approves at once and redirects), and the callback.
func connect(ctx context.Context, s *cxsync.Syncer, ref cxsync.OAuthClientRef) (*cxsync.Connected, error) {
	authURL, err := s.ConnectURL(ctx, cxsync.ConnectRequest{TenantID: tenant, Client: ref, DataCenter: zoho.US})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	callback, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	return s.CompleteConnect(ctx, "", callback.Query()) // what the host's /zoho/callback handler calls
}
