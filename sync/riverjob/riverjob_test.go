package riverjob_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/riverjob"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

type handlerFunc func(context.Context, cloudcx.Event) (*cxsync.Result, error)

func (f handlerFunc) Handle(ctx context.Context, ev cloudcx.Event) (*cxsync.Result, error) {
	return f(ctx, ev)
}

// Each of sync's error classes becomes what River should do with the job.
func TestWorkMapsErrorClassesOntoRiver(t *testing.T) {
	zohoDown := &cxsync.Error{Class: cxsync.ClassRetry, Err: errors.New("503")}
	for _, tc := range []struct {
		name   string
		err    error
		cancel bool
		snooze time.Duration // > 0: a snooze of that length
		same   bool          // the error itself: River retries with its backoff
	}{
		{name: "done"},
		{name: "retry", err: zohoDown, same: true},
		{name: "retry after", err: &cxsync.Error{Class: cxsync.ClassRetry, RetryAfter: 30 * time.Second, Err: errors.New("429")}, snooze: 30 * time.Second},
		{name: "permanent", err: &cxsync.Error{Class: cxsync.ClassPermanent, Err: zoho.ErrInvalidData}, cancel: true},
		{name: "paused for credits", err: &cxsync.Error{Class: cxsync.ClassTenantPaused, RetryAfter: 20 * time.Minute, Err: cxsync.ErrTenantPaused}, snooze: 20 * time.Minute},
		{name: "paused past MaxPause", err: &cxsync.Error{Class: cxsync.ClassTenantPaused, RetryAfter: 5 * time.Hour, Err: cxsync.ErrTenantPaused}, snooze: time.Hour},
		{name: "paused until an administrator acts", err: &cxsync.Error{Class: cxsync.ClassTenantPaused, Err: cxsync.ErrTenantPaused}, snooze: 15 * time.Minute},
		{name: "unclassified", err: context.DeadlineExceeded, same: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := riverjob.NewWorker(handlerFunc(func(context.Context, cloudcx.Event) (*cxsync.Result, error) { return &cxsync.Result{}, tc.err }))
			got := w.Work(t.Context(), &river.Job[riverjob.Args]{Args: riverjob.Args{Event: cloudcx.Event{Kind: cloudcx.EventChatEnded, TenantID: "t1", ChatID: "c1"}}})
			var cancel *rivertype.JobCancelError
			var snooze *rivertype.JobSnoozeError
			switch {
			case tc.err == nil:
				if got != nil {
					t.Fatalf("Work = %v, want nil", got)
				}
			case tc.cancel:
				if !errors.As(got, &cancel) || !errors.Is(got, zoho.ErrInvalidData) {
					t.Fatalf("Work = %v, want a JobCancel wrapping the cause", got)
				}
			case tc.snooze > 0:
				if !errors.As(got, &snooze) || snooze.Duration != tc.snooze {
					t.Fatalf("Work = %v, want a snooze of %v", got, tc.snooze)
				}
			case tc.same:
				if got != tc.err {
					t.Fatalf("Work = %v, want the error itself (a River retry)", got)
				}
			}
		})
	}
	if err := (&riverjob.Worker{}).Work(t.Context(), &river.Job[riverjob.Args]{}); !errors.As(err, new(*rivertype.JobCancelError)) {
		t.Fatalf("a worker without a handler: %v", err)
	}
}

// A webhook delivered three times is one job; River's worker hands it to the Syncer, and the fake
// Zoho ends with one Contact and one Case.
func TestRiverOnSQLiteHandlesEachEventOnce(t *testing.T) {
	ctx := t.Context()
	srv := zohotest.New(t)
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	host := &cloudcx.MemoryHost{}
	syncer, err := cxsync.New(cxsync.Config{
		Store: store,
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}, nil
		},
		Loader:        host,
		Attachments:   host,
		ClientOptions: nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SaveToken(ctx, "t1", &zoho.Token{RefreshToken: org.IssueRefreshToken(), AccountsServer: srv.URL(), APIDomain: srv.URL()}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutConnection(ctx, &cxsync.Connection{TenantID: "t1", OrgID: org.ID(), UserID: org.CurrentUser().ID, UserEmail: org.CurrentUser().Email,
		Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	chat := &cloudcx.Chat{Thread: cloudcx.Thread{ID: "c-river", TenantID: "t1", Channel: cloudcx.ChannelWebChat,
		Visitor:   cloudcx.Visitor{ID: "v-river", Name: "Rita River", Email: "rita.river@example.org"},
		Messages:  []cloudcx.Message{{ID: "m1", SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: "Rita River", Text: "Hello"}},
		StartedAt: start, EndedAt: start.Add(time.Minute), Status: cloudcx.StatusNormal}}
	host.PutChat(chat)

	client, done := newRiver(t, syncer, 4)

	body := `{"event":"LiveChatSessionEnd","sessionId":"c-river"}`
	var inserted int
	for range 3 {
		ev, err := cloudcx.DecodeWebhook([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		ev.SetTenant("t1")
		res, err := client.Insert(ctx, riverjob.Args{Event: ev}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !res.UniqueSkippedAsDuplicate {
			inserted++
		}
	}
	if inserted != 1 {
		t.Fatalf("%d jobs for one webhook delivered three times, want 1", inserted)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx)
	}()
	select {
	case e := <-done:
		if e.Kind != river.EventKindJobCompleted {
			t.Fatalf("job ended %s: %v", e.Kind, e.Job.Errors)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the job was not worked")
	}
	cases := 0
	for _, r := range org.Records("Cases") {
		if s, _ := r["Subject"].(string); strings.HasSuffix(s, "[cx:t1:chat:c-river]") {
			cases++
		}
	}
	if cases != 1 {
		t.Fatalf("%d Cases for the chat, want 1", cases)
	}
}

// newRiver starts nothing: it returns a River client on a fresh SQLite file (migrated, one
// connection as River's SQLite driver wants) whose workers hand jobs to h, and the channel of its
// finished jobs (completed, failed or cancelled).
func newRiver(t *testing.T, h riverjob.Handler, maxWorkers int) (*river.Client[*sql.Tx], <-chan *river.Event) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "river.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(t.Context(), rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, riverjob.NewWorker(h))
	client, err := river.NewClient(driver, &river.Config{Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}, Workers: workers, TestOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	done, stop := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	t.Cleanup(stop)
	return client, done
}
