// Command quickstart shows the cxzoho SDK end to end on embedded defaults: no Zoho account, no
// network. It starts the fake Zoho CRM of package zohotest in process, connects to it through the
// full OAuth flow with the zoho client (consent, callback, code exchange, a refreshing token
// source), inserts a Lead and a Contact, finds them with Zoho's search, opens a Case for the
// Contact with the chat transcript attached, lists the active users, and prints what it did and
// the API calls it used.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// demoClock is the fake Zoho's clock: record times (and so the output) are the same on every run.
func demoClock() time.Time { return time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC) }

func run(ctx context.Context, out io.Writer) error {
	// A fake Zoho CRM v2 on loopback, with a demo org (Zylker Demo: four users, a few records).
	srv := zohotest.NewServer(zohotest.WithClock(demoClock))
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Close()
	org, err := srv.AddDemoOrg()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "cxzoho quickstart: a fake Zoho CRM v2 runs in this process (no account, no network)")

	// 1. Connect: the OAuth flow a tenant administrator goes through.
	cfg := &zoho.OAuthConfig{
		ClientID:            srv.ClientID(),
		ClientSecret:        srv.ClientSecret(),
		RedirectURL:         "https://app.example.com/zoho/callback",
		AccountsURLOverride: srv.URL(), // the fake is the accounts server; never set in production
	}
	tok, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	store := zoho.NewMemoryTokenStore() // the host's database in production
	if _, _, err := zoho.ReplaceToken(ctx, store, "tenant-1", tok); err != nil {
		return err
	}
	ts, err := zoho.NewTokenSource(cfg, store, "tenant-1")
	if err != nil {
		return err
	}
	var calls callLog
	client, err := zoho.NewClient(
		zoho.WithTokenSource(ts),
		zoho.WithAllowedHosts(srv.Host()), // follow the token's api_domain to the fake
		zoho.WithCallHook(calls.add),
	)
	if err != nil {
		return err
	}
	o, _, err := client.Org.Get(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "1. Connected through OAuth (consent, callback with location %q, code exchange, refresh token stored)\n", "us")
	fmt.Fprintf(out, "   org %q (%s edition: %d simultaneous calls allowed)\n", o.CompanyName, o.Edition(), o.ConcurrencyLimit())

	// 2. Insert a Lead and a Contact.
	leads, _, err := client.Records.Leads().Insert(ctx, []*crm.Lead{{
		FirstName: crm.Some("Ada"), LastName: crm.Some("Lovelace"), Company: crm.Some("Analytical Engines"),
		Email: crm.Some("ada@analytical.example"), LeadSource: crm.Some("Chat"),
	}}, nil)
	if err := firstErr(err, leads); err != nil {
		return fmt.Errorf("insert lead: %w", err)
	}
	contacts, _, err := client.Records.Contacts().Insert(ctx, []*crm.Contact{{
		FirstName: crm.Some("Grace"), LastName: crm.Some("Hopper"), Email: crm.Some("grace@navy.example"),
		Phone: crm.Some("+1 555 0199"),
	}}, nil)
	if err := firstErr(err, contacts); err != nil {
		return fmt.Errorf("insert contact: %w", err)
	}
	fmt.Fprintf(out, "2. Inserted Lead %s (Ada Lovelace) and Contact %s (Grace Hopper)\n", leads[0].ID, contacts[0].ID)

	// 3. Find them again, as the identification rules do: by email, then by phone.
	foundLeads, _, err := client.Records.Leads().SearchEmail(ctx, "ada@analytical.example", nil)
	if err != nil {
		return fmt.Errorf("search leads: %w", err)
	}
	foundContacts, _, err := client.Records.Contacts().SearchPhone(ctx, "+15550199", nil)
	if err != nil {
		return fmt.Errorf("search contacts: %w", err)
	}
	if len(foundLeads) != 1 || foundLeads[0].ID != leads[0].ID || len(foundContacts) != 1 || foundContacts[0].ID != contacts[0].ID {
		return errors.New("search did not find the records just inserted")
	}
	fmt.Fprintf(out, "3. Found the Lead by email (%s) and the Contact by phone (%s)\n",
		foundLeads[0].FullName.Value(), foundContacts[0].FullName.Value())

	// 4. A Case for the Contact's chat, with the transcript attached.
	cases, _, err := client.Records.Cases().Insert(ctx, []*crm.Case{{
		Subject: crm.Some("Chat 1001 with Grace Hopper"), Status: crm.Some("New"), CaseOrigin: crm.Some("Chat"),
		RelatedTo: crm.Some(crm.Lookup{ID: contacts[0].ID}), Description: crm.Some("Visitor asked about COBOL support."),
	}}, nil)
	if err := firstErr(err, cases); err != nil {
		return fmt.Errorf("insert case: %w", err)
	}
	transcript := "[10:00] Grace Hopper: Do you support COBOL?\n[10:01] Anna Kingsley: We do.\n"
	att, _, err := client.Attachments.Upload(ctx, "Cases", cases[0].ID, "transcript.txt", "text/plain", strings.NewReader(transcript), nil)
	if err != nil {
		return fmt.Errorf("attach transcript: %w", err)
	}
	stored := org.Attachments("Cases", cases[0].ID)
	if len(stored) != 1 || string(stored[0].Data) != transcript {
		return errors.New("the fake did not store the transcript")
	}
	fmt.Fprintf(out, "4. Opened Case %s for the Contact and attached %s (%d bytes, id %s)\n",
		cases[0].ID, stored[0].FileName, len(stored[0].Data), att.ID)

	// 5. The active users: owners of what agents create are matched to them by email.
	users, _, err := client.Users.List(ctx, &zoho.ListUsersOptions{Type: zoho.ActiveUsers})
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	fmt.Fprintf(out, "5. %d active users:\n", len(users))
	for _, u := range users {
		fmt.Fprintf(out, "   %-16s %s\n", u.FullName, u.Email)
	}

	// What it cost: API calls (each one credit at Zoho) and token calls.
	fmt.Fprintf(out, "API calls (%d, each one Zoho credit):\n", len(calls.lines()))
	for _, l := range calls.lines() {
		fmt.Fprintln(out, "   "+l)
	}
	token := 0
	for _, c := range srv.Calls() {
		if strings.HasPrefix(c.Path, "/oauth/") {
			token++
		}
	}
	fmt.Fprintf(out, "Accounts-server calls: %d (consent and code exchange; the access token was reused for every API call)\n", token)
	return nil
}

// connect runs the consent flow against the fake: the fake approves at once and redirects to the
// callback, which a browser would follow to the host application.
func connect(ctx context.Context, cfg *zoho.OAuthConfig) (*zoho.Token, error) {
	consent, err := cfg.AuthCodeURL(zoho.US, "state-quickstart")
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, consent, nil)
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
	cb, err := zoho.ParseOAuthCallback(callback.Query())
	if err != nil {
		return nil, err
	}
	if cb.State != "state-quickstart" {
		return nil, errors.New("callback state does not match")
	}
	return cfg.Exchange(ctx, cb.Code, cb.AccountsServer)
}

func firstErr(err error, res zoho.RecordResults) error {
	if err != nil {
		return err
	}
	if len(res) == 0 {
		return errors.New("no result")
	}
	return res.Err()
}

// callLog collects the client's API calls (its call hook).
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(_ context.Context, info zoho.CallInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf("%-6s %s -> %d", info.Method, info.Path, info.Status))
}

func (l *callLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}
