package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/sqlstore"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// clock is a test clock shared by the fake Zoho, the token sources and the syncers.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Two replicas (separate pools, stores, Syncers and Zoho clients) on one database, fed the same
// events at once: one person per visitor, one Case per chat, and one token refresh per expiry
// across both.
func TestReplicasPostgreSQL(t *testing.T) {
	first := openPostgres(t)
	var schema string
	if err := first.QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	testReplicas(t, sqlstore.PostgreSQL, first, openPostgresSchema(t, postgresDSN(t), schema))
}

func TestReplicasSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	testReplicas(t, sqlstore.SQLite, openSQLite(t, path), openSQLite(t, path))
}

func testReplicas(t *testing.T, d sqlstore.Dialect, dbA, dbB *sql.DB) {
	ctx := t.Context()
	clk := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	srv := zohotest.New(t, zohotest.WithClock(clk.Now), zohotest.WithTokenLifetime(time.Hour))
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	host := &cloudcx.MemoryHost{}
	newReplica := func(db *sql.DB, name string) *cxsync.Syncer {
		store := migrated(t, db, d)
		s, err := cxsync.New(cxsync.Config{
			Store: store,
			OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
				return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}, nil
			},
			Loader: host, Attachments: host, Clock: clk.Now, WorkerID: name,
			ClientOptions: nil,
			LockWait:      time.Minute,
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := newReplica(dbA, "replica-a"), newReplica(dbB, "replica-b")
	storeA, _ := sqlstore.New(dbA, d)
	if _, err := storeA.SaveToken(ctx, "t1", &zoho.Token{RefreshToken: org.IssueRefreshToken(zoho.DefaultScopes()...), AccountsServer: srv.URL(), APIDomain: srv.URL()}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := storeA.PutConnection(ctx, &cxsync.Connection{TenantID: "t1", OrgID: org.ID(), UserID: org.CurrentUser().ID, UserEmail: org.CurrentUser().Email,
		Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}}); err != nil {
		t.Fatal(err)
	}
	set := rules.DefaultSettings()
	set.Sections.Inbox.Action = rules.Sales
	if err := a.SaveSettings(ctx, "t1", set); err != nil {
		t.Fatal(err)
	}

	const visitors, chatsEach = 6, 2
	var events []cloudcx.Event
	for v := range visitors {
		vis := cloudcx.Visitor{ID: fmt.Sprintf("v%d", v), Name: fmt.Sprintf("Visitor %d", v), Email: fmt.Sprintf("visitor%d@example.org", v)}
		for c := range chatsEach {
			start := clk.Now().Add(time.Duration(v*10+c) * time.Minute)
			if c%2 == 0 {
				ch := &cloudcx.Chat{Thread: cloudcx.Thread{ID: fmt.Sprintf("c%d-%d", v, c), TenantID: "t1", Channel: cloudcx.ChannelWebChat, Visitor: vis,
					Messages:  []cloudcx.Message{{ID: "m", SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: vis.Name, Text: "hello"}},
					StartedAt: start, EndedAt: start.Add(time.Minute), Status: cloudcx.StatusNormal}}
				host.PutChat(ch)
				events = append(events, cloudcx.Event{Kind: cloudcx.EventChatEnded, EventID: "end:" + ch.ID, TenantID: "t1", ChatID: ch.ID})
			} else {
				cv := &cloudcx.Conversation{Thread: cloudcx.Thread{ID: fmt.Sprintf("t%d-%d", v, c), TenantID: "t1", Channel: cloudcx.ChannelEmail, Visitor: vis,
					Messages:  []cloudcx.Message{{ID: "m", SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: vis.Name, Text: "hello"}},
					StartedAt: start, EndedAt: start.Add(time.Minute)}, State: cloudcx.ConversationResolved}
				host.PutConversation(cv)
				events = append(events, cloudcx.Event{Kind: cloudcx.EventConversationResolved, EventID: "res:" + cv.ID, TenantID: "t1", ConversationID: cv.ID})
			}
		}
	}
	play := func(evs []cloudcx.Event) {
		var wg sync.WaitGroup
		errs := make(chan error, 2*len(evs))
		for _, ev := range evs {
			for _, s := range []*cxsync.Syncer{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for attempt := 0; ; attempt++ {
						_, err := s.Handle(ctx, ev)
						if err == nil || cxsync.ClassOf(err) != cxsync.ClassRetry || attempt == 20 {
							errs <- err
							return
						}
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Handle: %v", err)
			}
		}
	}
	tokenCalls := func() int { return srv.CallCount("POST", "/oauth/v2/token") }
	play(events[:len(events)/2])
	if n := tokenCalls(); n != 1 {
		t.Errorf("%d token calls for the first access token across two replicas, want 1", n)
	}
	clk.Add(2 * time.Hour) // the access token expired
	play(events[len(events)/2:])
	if n := tokenCalls(); n != 2 {
		t.Errorf("%d token calls after one expiry across two replicas, want 2 (one refresh per expiry)", n)
	}

	contacts := map[string]int{}
	for _, r := range org.Records("Contacts") {
		if e, _ := r["Email"].(string); strings.HasPrefix(e, "visitor") {
			contacts[e]++
		}
	}
	leads := map[string]int{}
	for _, r := range org.Records("Leads") {
		if e, _ := r["Email"].(string); strings.HasPrefix(e, "visitor") {
			leads[e]++
		}
	}
	for v := range visitors {
		e := fmt.Sprintf("visitor%d@example.org", v)
		if contacts[e] != 1 || leads[e] != 1 {
			t.Errorf("%s: %d Contacts and %d Leads, want one of each", e, contacts[e], leads[e])
		}
	}
	marked := map[string]int{}
	for _, module := range []string{"Cases", "Tasks"} {
		for _, r := range org.Records(module) {
			s, _ := r["Subject"].(string)
			if i := strings.LastIndex(s, "[cx:"); i >= 0 {
				marked[s[i:]]++
			}
		}
	}
	if len(marked) != visitors*chatsEach {
		t.Errorf("%d chats with a Case or Task, want %d", len(marked), visitors*chatsEach)
	}
	for m, n := range marked {
		if n != 1 {
			t.Errorf("%s: %d records, want 1", m, n)
		}
	}
}
