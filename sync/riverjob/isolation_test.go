package riverjob_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/riverjob"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Tenants are isolated through River's workers too: three tenants connected to three orgs, their
// events worked concurrently by eight workers; every record each org holds is of its own tenant's
// chats, and every API call an org answered carried one of its own tokens.
func TestTenantIsolationThroughRiver(t *testing.T) {
	ctx := t.Context()
	srv := zohotest.New(t)
	store := memstore.New()
	host := &cloudcx.MemoryHost{}
	syncer, err := cxsync.New(cxsync.Config{Store: store, Loader: host, Attachments: host,
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}, nil
		},
		ClientOptions: nil})
	if err != nil {
		t.Fatal(err)
	}
	orgOf := map[string]*zohotest.Org{}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var jobs []riverjob.Args
	for n := range 3 {
		tenant := fmt.Sprint("iso-", n)
		org, err := srv.AddOrg(zohotest.OrgConfig{Name: "Org " + tenant, Users: []zohotest.User{{Email: fmt.Sprintf("admin@%s.example", tenant), FirstName: "A", LastName: tenant}}})
		if err != nil {
			t.Fatal(err)
		}
		orgOf[tenant] = org
		if _, err := store.SaveToken(ctx, tenant, &zoho.Token{RefreshToken: org.IssueRefreshToken(), AccountsServer: srv.URL(), APIDomain: srv.URL()}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := store.PutConnection(ctx, &cxsync.Connection{TenantID: tenant, OrgID: org.ID(), UserID: org.CurrentUser().ID,
			Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}}); err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			c := &cloudcx.Chat{Thread: cloudcx.Thread{ID: fmt.Sprintf("c%d", i), TenantID: tenant, Channel: cloudcx.ChannelWebChat,
				Visitor:   cloudcx.Visitor{ID: fmt.Sprint("v", i), Name: "Visitor", Email: fmt.Sprintf("v%d@%s.example", i, tenant)},
				Messages:  []cloudcx.Message{{ID: "m", SentAt: start, SenderKind: cloudcx.SenderVisitor, Text: "hello"}},
				StartedAt: start, EndedAt: start.Add(time.Minute), Status: cloudcx.StatusNormal}}
			host.PutChat(c) // the same chat ids in every tenant
			jobs = append(jobs, riverjob.Args{Event: cloudcx.Event{Kind: cloudcx.EventChatEnded, EventID: "e" + c.ID, TenantID: tenant, ChatID: c.ID}})
		}
	}
	client, done := newRiver(t, syncer, 8)
	for _, j := range jobs {
		if _, err := client.Insert(ctx, j, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(sctx)
	}()
	for range jobs {
		select {
		case e := <-done:
			if e.Kind != river.EventKindJobCompleted {
				t.Fatalf("job %s: %v", e.Kind, e.Job.Errors)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("jobs not worked")
		}
	}
	for tenant, org := range orgOf {
		cases := org.Records("Cases")
		if len(cases) != 10 {
			t.Errorf("%s: %d Cases, want 10", tenant, len(cases))
		}
		for _, r := range cases {
			if s, _ := r["Subject"].(string); !strings.Contains(s, "[cx:"+tenant+":") {
				t.Errorf("org of %s holds %q", tenant, s)
			}
		}
		for _, r := range org.Records("Contacts") {
			if e, _ := r["Email"].(string); !strings.HasSuffix(e, "@"+tenant+".example") {
				t.Errorf("org of %s holds the Contact %s", tenant, e)
			}
		}
	}
	for _, c := range srv.Calls() {
		if strings.HasPrefix(c.Path, "/crm/") && c.Status == 401 {
			t.Errorf("a call with a token the org does not know: %v", c)
		}
	}
}
