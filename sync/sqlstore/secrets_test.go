package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/riverjob"
	"github.com/cloudcx/cxzoho/sync/sqlstore"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// lockedBuffer is a bytes.Buffer safe for the logger's writers and the test's reader at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// No secret leaves the token column: a tenant connected through the consent flow and served
// through River on SQLite, with every logger at debug, tokens refreshed mid-run, a failed
// connection and a disconnect; then the logs, the errors, %+v of every result, River's job rows
// and every row of the store but the token's own are scanned for every access token, refresh
// token, grant code and client secret that existed: 0 hits.
func TestNoSecretOutsideTheTokenColumn(t *testing.T) {
	ctx := t.Context()
	var logs lockedBuffer // River's goroutines log while the test reads
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The OAuth client stamps tokens with the real time: the test clock starts there.
	clk := &clock{now: time.Now()}
	srv := zohotest.New(t, zohotest.WithClock(clk.Now), zohotest.WithLogger(log))
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cx.db")
	db := openSQLite(t, path)
	store := migrated(t, db, sqlstore.SQLite)
	host := &cloudcx.MemoryHost{}
	s, err := cxsync.New(cxsync.Config{Store: store, Logger: log, Clock: clk.Now, Loader: host, Attachments: host,
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), RedirectURL: "https://app.example/cb", Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}, Logger: log}, nil
		},
		ClientOptions: nil})
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]bool{srv.ClientSecret(): true}
	var seen []string // everything printed that must hold no secret
	collect := func() {
		if tok, _, err := store.LoadToken(ctx, "t1"); err == nil {
			secrets[tok.AccessToken], secrets[tok.RefreshToken] = true, true
		}
	}

	// Connect through consent; a replayed callback fails (its error is scanned too).
	ref := cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}
	u, err := s.ConnectURL(ctx, cxsync.ConnectRequest{TenantID: "t1", Client: ref})
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	secrets[cb.Query().Get("code")] = true
	conn, err := s.CompleteConnect(ctx, "", cb.Query())
	if err != nil {
		t.Fatal(err)
	}
	seen = append(seen, fmt.Sprintf("%+v %+v", conn, conn.Connection))
	_, err = s.CompleteConnect(ctx, "", cb.Query())
	seen = append(seen, fmt.Sprint(err))
	collect()
	if err := s.SaveSettings(ctx, "t1", rules.DefaultSettings()); err != nil {
		t.Fatal(err)
	}

	// Events through River on the same database.
	rdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	rdb.SetMaxOpenConns(1)
	defer rdb.Close()
	driver := riversqlite.New(rdb)
	m, _ := rivermigrate.New(driver, nil)
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, riverjob.NewWorker(s))
	client, err := river.NewClient(driver, &river.Config{Workers: workers, Logger: log, TestOnly: true,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	done, stop := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	defer stop()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Stop(sctx)
	}()
	for i := range 3 {
		c := &cloudcx.Chat{Thread: cloudcx.Thread{ID: fmt.Sprint("c", i), TenantID: "t1", Channel: cloudcx.ChannelWebChat,
			Visitor:   cloudcx.Visitor{ID: fmt.Sprint("v", i), Name: "Visitor", Email: fmt.Sprintf("v%d@example.org", i)},
			Messages:  []cloudcx.Message{{ID: "m", SentAt: clk.Now(), SenderKind: cloudcx.SenderVisitor, Text: "hello"}},
			StartedAt: clk.Now(), EndedAt: clk.Now().Add(time.Minute), Status: cloudcx.StatusNormal}}
		host.PutChat(c)
		if _, err := client.Insert(ctx, riverjob.Args{Event: cloudcx.Event{Kind: cloudcx.EventChatEnded, EventID: fmt.Sprint("e", i), TenantID: "t1", ChatID: c.ID}}, nil); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-done:
			if e.Kind != river.EventKindJobCompleted {
				t.Fatalf("job %s: %v", e.Kind, e.Job.Errors)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("job not worked")
		}
		collect()
		clk.Add(2 * time.Hour) // the access token expires: the next job refreshes it
	}
	// Direct calls, their results and errors.
	for _, f := range []func() (any, error){
		func() (any, error) { return s.Status(ctx, "t1") },
		func() (any, error) {
			return s.Lookup(ctx, "t1", cloudcx.SectionWebChat, cloudcx.Visitor{Email: "v0@example.org"})
		},
		func() (any, error) {
			return s.Handle(ctx, cloudcx.Event{Kind: cloudcx.EventChatEnded, TenantID: "t1", ChatID: "missing"})
		},
	} {
		res, err := f()
		seen = append(seen, fmt.Sprintf("%+v %v", res, err))
	}
	collect()
	org.RevokeTokens() // the refresh token dies: the next call's errors are scanned too
	clk.Add(2 * time.Hour)
	res, err := s.Handle(ctx, cloudcx.Event{Kind: cloudcx.EventChatEnded, EventID: "late", TenantID: "t1", ChatID: "c0"})
	seen = append(seen, fmt.Sprintf("%+v %v", res, err))
	seen = append(seen, fmt.Sprint(s.Disconnect(ctx, "t1")))
	seen = append(seen, logs.String(), fmt.Sprintf("%+v %#v", store, store))

	// Every row of every table (River's included), but the token column of cx_tokens.
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		_ = tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	for _, n := range names {
		rows, err := db.Query("SELECT * FROM " + n)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			_ = rows.Scan(ptrs...)
			for i, v := range vals {
				if n == "cx_tokens" && cols[i] == "token" {
					continue
				}
				seen = append(seen, fmt.Sprintf("%s.%s=%s", n, cols[i], v))
			}
		}
		rows.Close()
	}
	delete(secrets, "")
	if len(secrets) < 4 {
		t.Fatalf("only %d secrets collected: the test did not exercise refreshes", len(secrets))
	}
	text := strings.Join(seen, "\n")
	for sec := range secrets {
		if strings.Contains(text, sec) {
			i := strings.Index(text, sec)
			t.Errorf("a secret appears outside the token column: …%s…", text[max(0, i-80):i])
		}
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Error("no debug logs were written: the scan proves little")
	}
}
