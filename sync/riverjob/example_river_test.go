package riverjob_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/riverjob"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// A host on River: the webhook handler inserts a job (a redelivery is the same job) and River's
// worker hands the event to the Syncer — here on a SQLite file and the fake Zoho.
func Example_river() {
	ctx := context.Background()
	srv := zohotest.NewServer()
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()
	org, _ := srv.AddDemoOrg()

	store, host := memstore.New(), &cloudcx.MemoryHost{}
	syncer, err := cxsync.New(cxsync.Config{Store: store, Loader: host, Attachments: host,
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}, nil
		},
		ClientOptions: nil})
	if err != nil {
		panic(err)
	}
	tok := &zoho.Token{RefreshToken: org.IssueRefreshToken(zoho.DefaultScopes()...), AccountsServer: srv.URL()}
	if _, err := syncer.ConnectRefreshToken(ctx, "acme", cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}, tok); err != nil {
		panic(err)
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	host.PutChat(&cloudcx.Chat{Thread: cloudcx.Thread{ID: "s-1", TenantID: "acme", Channel: cloudcx.ChannelWebChat,
		Visitor:   cloudcx.Visitor{ID: "v-1", Name: "Jane Roe", Email: "jane.roe@example.org"},
		Messages:  []cloudcx.Message{{SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: "Jane Roe", Text: "Hi"}},
		StartedAt: start, EndedAt: start.Add(time.Minute), Status: cloudcx.StatusNormal}})

	// River on a SQLite file (one connection, as River's SQLite driver wants).
	dir, _ := os.MkdirTemp("", "riverjob-example")
	defer os.RemoveAll(dir)
	db, _ := sql.Open("sqlite", "file:"+filepath.Join(dir, "river.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	db.SetMaxOpenConns(1)
	defer db.Close()
	driver := riversqlite.New(db)
	migrator, _ := rivermigrate.New(driver, nil)
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		panic(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, riverjob.NewWorker(syncer))
	client, err := river.NewClient(driver, &river.Config{Workers: workers, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}})
	if err != nil {
		panic(err)
	}
	done, stop := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	defer stop()

	// The webhook handler: decode, set the tenant, insert; CloudCX delivers it twice.
	for range 2 {
		ev, err := cloudcx.DecodeWebhook([]byte(`{"event":"LiveChatSessionEnd","sessionId":"s-1"}`))
		if err != nil {
			panic(err)
		}
		ev.SetTenant("acme")
		res, err := client.Insert(ctx, riverjob.Args{Event: ev}, nil)
		if err != nil {
			panic(err)
		}
		fmt.Println("queued, duplicate:", res.UniqueSkippedAsDuplicate)
	}
	if err := client.Start(ctx); err != nil {
		panic(err)
	}
	e := <-done
	fmt.Println("job:", e.Kind)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = client.Stop(sctx)
	fmt.Println("Cases in Zoho:", len(org.Records("Cases")))
	// Output:
	// queued, duplicate: false
	// queued, duplicate: true
	// job: job_completed
	// Cases in Zoho: 1
}
