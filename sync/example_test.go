package sync_test

import (
	"context"
	"fmt"
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
			return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), AccountsURLOverride: srv.URL()}, nil
		},
		Loader:        host,
		Attachments:   host,
		ClientOptions: []zoho.Option{zoho.WithAllowedHosts(srv.Host())},
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
