package sync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// A chat ends: the visitor becomes a Contact (Support), the chat a Case under it. Delivering the
// event again writes nothing.
func ExampleSyncer_Handle() {
	ctx := context.Background()
	srv := zohotest.NewServer() // a fake Zoho CRM; in production, Zoho itself
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()
	org, _ := srv.AddDemoOrg()

	// The host's storage and its CloudCX data.
	store := memstore.New()
	host := &cloudcx.MemoryHost{}

	// A connected tenant (sync's Connect does this from Zoho's OAuth callback).
	tok := &zoho.Token{RefreshToken: org.IssueRefreshToken(), AccountsServer: srv.URL(), APIDomain: srv.URL()}
	_, _ = store.SaveToken(ctx, "tenant-1", tok, 0)
	_, _ = store.PutConnection(ctx, &cxsync.Connection{TenantID: "tenant-1", OrgID: org.ID(), UserID: org.CurrentUser().ID,
		Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}})

	s, err := cxsync.New(cxsync.Config{
		Store: store,
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}, nil
		},
		Loader:        host,
		Attachments:   host,
		ClientOptions: nil,
	})
	if err != nil {
		panic(err)
	}
	if err := s.SaveSettings(ctx, "tenant-1", rules.DefaultSettings()); err != nil {
		panic(err)
	}

	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	host.PutChat(&cloudcx.Chat{Thread: cloudcx.Thread{
		ID: "chat-42", TenantID: "tenant-1", Channel: cloudcx.ChannelWebChat,
		Visitor:   cloudcx.Visitor{ID: "v-7", Name: "Jane Roe", Email: "jane.roe@example.org"},
		Messages:  []cloudcx.Message{{SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: "Jane Roe", Text: "Where is my order?"}},
		StartedAt: start, EndedAt: start.Add(5 * time.Minute),
	}})
	ev := cloudcx.Event{Kind: cloudcx.EventChatEnded, EventID: "e1", ChatID: "chat-42"}
	ev.SetTenant("tenant-1")

	for range 2 {
		res, err := s.Handle(ctx, ev)
		if err != nil {
			fmt.Println("error:", err, "class:", cxsync.ClassOf(err))
			return
		}
		fmt.Printf("%s %s, %s %s\n", res.Person.Module, res.Person.Outcome, res.Record.Module, res.Record.Outcome)
	}
	fmt.Println("Cases in Zoho:", len(org.Records("Cases")))
	// Output:
	// Contacts created, Cases created
	// Contacts found, Cases found
	// Cases in Zoho: 1
}

// exampleSyncer is a Syncer on a fake Zoho and a memory store, for the examples below.
func exampleSyncer(srv *zohotest.Server, host *cloudcx.MemoryHost) *cxsync.Syncer {
	s, err := cxsync.New(cxsync.Config{
		Store: memstore.New(),
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
				RedirectURL: "https://app.example/zoho/callback", Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}, nil
		},
		Loader:        host,
		Attachments:   host,
		ClientOptions: nil,
	})
	if err != nil {
		panic(err)
	}
	return s
}

// Connecting a tenant: the administrator is sent to Zoho's consent page, and Zoho's redirect to
// the host's callback completes the connection.
func ExampleSyncer_CompleteConnect() {
	ctx := context.Background()
	srv := zohotest.NewServer()
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()
	if _, err := srv.AddDemoOrg(); err != nil {
		panic(err)
	}
	s := exampleSyncer(srv, &cloudcx.MemoryHost{})

	ref := cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}
	authURL, err := s.ConnectURL(ctx, cxsync.ConnectRequest{TenantID: "tenant-1", Client: ref, DataCenter: zoho.US})
	if err != nil {
		panic(err)
	}
	// The browser: Zoho's consent page (the fake approves at once) redirects to the callback.
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))

	// The host's /zoho/callback handler.
	conn, err := s.CompleteConnect(ctx, "", callback.Query())
	if err != nil {
		fmt.Println("connect failed:", err)
		return
	}
	fmt.Println("connected to", conn.Connection.OrgName, "as", conn.Connection.UserEmail, "- problems to fix:", len(conn.Problems))
	st, _ := s.Status(ctx, "tenant-1")
	fmt.Println("status: connected", st.Connected, "mode", st.Mode)
	// Output:
	// connected to Zylker Demo as patricia.boyle@zylker.example - problems to fix: 0
	// status: connected true mode automatic
}

// The Agent Console's "Create Case" in manual mode: the visitor's Contact and the chat's Case,
// once however often the agent clicks; Another asks for one more on purpose.
func ExampleSyncer_CreateCase() {
	ctx := context.Background()
	srv := zohotest.NewServer()
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()
	org, _ := srv.AddDemoOrg()
	host := &cloudcx.MemoryHost{}
	s := exampleSyncer(srv, host)
	tok := &zoho.Token{RefreshToken: org.IssueRefreshToken(zoho.DefaultScopes()...), AccountsServer: srv.URL()}
	if _, err := s.ConnectRefreshToken(ctx, "tenant-1", cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}, tok); err != nil {
		panic(err)
	}
	set := rules.DefaultSettings()
	set.Mode = rules.Manual // nothing happens on its own; agents create records
	if err := s.SaveSettings(ctx, "tenant-1", set); err != nil {
		panic(err)
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	host.PutChat(&cloudcx.Chat{Thread: cloudcx.Thread{ID: "chat-7", TenantID: "tenant-1", Channel: cloudcx.ChannelWebChat,
		Visitor:   cloudcx.Visitor{ID: "v-9", Name: "Sam Poe", Email: "sam.poe@example.org"},
		Messages:  []cloudcx.Message{{SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: "Sam Poe", Text: "I need an invoice copy."}},
		StartedAt: start, EndedAt: start.Add(time.Minute)}})

	m := cxsync.Manual{TenantID: "tenant-1", ChatID: "chat-7"}
	for _, another := range []bool{false, false, true} {
		m.Another = another
		res, err := s.CreateCase(ctx, m)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(res.Person.Module, res.Person.Outcome+",", res.Record.Module, res.Record.Outcome)
	}
	fmt.Println("Cases in Zoho:", len(org.Records("Cases")))
	// Output:
	// Contacts created, Cases created
	// Contacts found, Cases found
	// Contacts found, Cases created
	// Cases in Zoho: 2
}
