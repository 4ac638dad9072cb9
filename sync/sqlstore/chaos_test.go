package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/sqlstore"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// TestChaos plays 1,000 chats and conversations of three tenants (Support, Sales, both) through
// Syncers on a SQLite store (and PostgreSQL when CXZOHO_TEST_POSTGRES_DSN is set) against the fake
// Zoho with seeded random faults — ~10% 429, ~5% 500, ~2% connections dropped after Zoho applied
// the write, ~1% dropped before, ~1% answers slower than the client's timeout — access tokens
// expired every ~100 calls, search indexing delayed and loose, and the "process" killed (every
// Handle under way cancelled, the Syncer thrown away, the store kept) every ~200 events, events
// redelivered until they succeed. The fake must end with exactly the expected records: one person
// per visitor and module, one Case or Task per chat, every attachment once, every owner right.
// CI runs it in the go-line run (not under -race; 500 events on PostgreSQL); CXZOHO_SOAK=1 plays
// 10,000 events on each.
func TestChaos(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("chaos: run without -race and -short (CI's go-line run does)")
	}
	stores := map[string]func(t *testing.T) *sqlstore.Store{
		"SQLite": func(t *testing.T) *sqlstore.Store {
			return migrated(t, openSQLite(t, filepath.Join(t.TempDir(), "chaos.db")), sqlstore.SQLite)
		},
	}
	if os.Getenv("CXZOHO_TEST_POSTGRES_DSN") != "" {
		stores["PostgreSQL"] = func(t *testing.T) *sqlstore.Store { return migrated(t, openPostgres(t), sqlstore.PostgreSQL) }
	}
	for name, open := range stores {
		events := 1000
		if name == "PostgreSQL" {
			events = 500 // CI's time: SQLite plays the full thousand
		}
		if os.Getenv("CXZOHO_SOAK") == "1" {
			events = 10000
		}
		t.Run(name, func(t *testing.T) { chaos(t, open(t), events) })
	}
}

func chaos(t *testing.T, store *sqlstore.Store, events int) {
	ctx := t.Context()
	clk := &clock{now: time.Now()}
	srv := zohotest.New(t, zohotest.WithClock(clk.Now), zohotest.WithIndexingDelay(5*time.Second), zohotest.WithSeed(42),
		zohotest.WithCallLogLimit(1_000_000))
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	org.SetDailyCredits(-1)
	anna := "anna.kingsley@zylker.example"
	host := &cloudcx.MemoryHost{}
	oauth := func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
		return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}, nil
	}
	newSyncer := func() *cxsync.Syncer {
		s, err := cxsync.New(cxsync.Config{Store: store, OAuthClient: oauth, Loader: host, Attachments: host, Clock: clk.Now,
			LockWait: 2 * time.Second, LockTTL: 30 * time.Second,
			ClientOptions: []zoho.Option{zoho.WithTimeout(200 * time.Millisecond),
				// Zoho's waits, shortened: the faults, not the waiting, are what is tested.
				zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: 3, MinWait: 5 * time.Millisecond, MaxWait: 50 * time.Millisecond, MaxRetryAfter: 50 * time.Millisecond})}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tenants := []struct {
		id          string
		web, inbox  rules.Action
		webModule   string
		inboxModule string
	}{
		{"t-support", rules.Support, rules.Support, "Cases", "Cases"},
		{"t-sales", rules.Sales, rules.Sales, "Tasks", "Tasks"},
		{"t-both", rules.Support, rules.Sales, "Cases", "Tasks"},
	}
	setup := newSyncer()
	for _, tn := range tenants {
		if _, err := store.SaveToken(ctx, tn.id, &zoho.Token{RefreshToken: org.IssueRefreshToken(zoho.DefaultScopes()...), AccountsServer: srv.URL(), APIDomain: srv.URL()}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := store.PutConnection(ctx, &cxsync.Connection{TenantID: tn.id, OrgID: org.ID(), Edition: org.Edition(),
			UserID: org.CurrentUser().ID, UserEmail: org.CurrentUser().Email, Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}}); err != nil {
			t.Fatal(err)
		}
		set := rules.DefaultSettings()
		set.Sections.WebChat.Action, set.Sections.Inbox.Action = tn.web, tn.inbox
		if err := setup.SaveSettings(ctx, tn.id, set); err != nil {
			t.Fatal(err)
		}
	}

	// The events: chats and conversations of 300 visitors per tenant, every 10th with a file.
	type want struct {
		tenant, module, source string
		files                  int
	}
	var evs []cloudcx.Event
	var wants []want
	start := clk.Now()
	for i := range events {
		tn := tenants[i%len(tenants)]
		v := cloudcx.Visitor{ID: fmt.Sprintf("v%d", i/len(tenants)%300), Name: fmt.Sprintf("Visitor %d", i/len(tenants)%300),
			Email: fmt.Sprintf("visitor%d.%s@example.org", i/len(tenants)%300, tn.id)}
		th := cloudcx.Thread{ID: fmt.Sprint("x", i), TenantID: tn.id, Visitor: v, Agents: []cloudcx.Agent{{ID: "a1", Name: "Anna Kingsley", Email: anna}},
			Messages:  []cloudcx.Message{{ID: "m1", SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: v.Name, Text: "hello"}, {ID: "m2", SentAt: start.Add(time.Minute), SenderKind: cloudcx.SenderAgent, SenderID: "a1", SenderName: "Anna Kingsley", Text: "hi"}},
			StartedAt: start, EndedAt: start.Add(2 * time.Minute)}
		files := 0
		if i%10 == 0 {
			th.Attachments = []cloudcx.Attachment{{ID: fmt.Sprint("f", i), Name: "note.txt", MIMEType: "text/plain"}}
			host.PutAttachment(tn.id, fmt.Sprint("f", i), []byte(strings.Repeat("x", 100)), "text/plain")
			files = 1
		}
		if i%2 == 0 {
			th.Channel, th.Status = cloudcx.ChannelWebChat, cloudcx.StatusNormal
			host.PutChat(&cloudcx.Chat{Thread: th})
			evs = append(evs, cloudcx.Event{Kind: cloudcx.EventChatEnded, EventID: fmt.Sprint("e", i), TenantID: tn.id, ChatID: th.ID})
			wants = append(wants, want{tn.id, tn.webModule, rules.Marker(rules.SourceKey{TenantID: tn.id, Section: cloudcx.SectionWebChat, ID: th.ID}), files})
		} else {
			th.Channel = cloudcx.ChannelEmail
			host.PutConversation(&cloudcx.Conversation{Thread: th, State: cloudcx.ConversationResolved})
			evs = append(evs, cloudcx.Event{Kind: cloudcx.EventConversationResolved, EventID: fmt.Sprint("e", i), TenantID: tn.id, ConversationID: th.ID})
			wants = append(wants, want{tn.id, tn.inboxModule, rules.Marker(rules.SourceKey{TenantID: tn.id, Section: cloudcx.SectionInbox, ID: th.ID}), files})
		}
	}

	// Faults, seeded.
	api := func(c zohotest.Call) bool { return strings.HasPrefix(c.Path, "/crm/") }
	write := func(c zohotest.Call) bool { return api(c) && (c.Method == "POST" || c.Method == "PUT") }
	for _, f := range []zohotest.Fault{
		{Match: api, Fraction: 0.10, Status: 429},
		{Match: api, Fraction: 0.05, Status: 500},
		{Match: write, Fraction: 0.02, Kind: zohotest.FaultDropAfterApply},
		{Match: api, Fraction: 0.01, Kind: zohotest.FaultDropBeforeApply},
		{Match: api, Fraction: 0.01, Kind: zohotest.FaultSlow, Delay: 300 * time.Millisecond},
	} {
		if _, err := srv.InjectFault(f); err != nil {
			t.Fatal(err)
		}
	}

	// Play: workers take events; a "process" ends after ~200 events (its Handles cancelled, its
	// Syncer dropped); failed events go back in the queue.
	rng := rand.New(rand.NewPCG(7, 11))
	queue := make([]int, len(evs))
	for i := range queue {
		queue[i] = i
	}
	var mu gosync.Mutex
	retries, restarts, permanent := 0, 0, 0
	var calls atomic.Int64
	for round := 0; len(queue) > 0; round++ {
		if round > 200 {
			t.Fatalf("%d events still failing after 200 rounds", len(queue))
		}
		pctx, kill := context.WithCancel(ctx)
		s := newSyncer()
		killAt := 150 + rng.IntN(100)
		batch := queue[:min(len(queue), killAt)]
		queue = append([]int(nil), queue[len(batch):]...)
		var failed []int
		work := make(chan int)
		var wg gosync.WaitGroup
		var handled atomic.Int64
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					res, err := s.Handle(pctx, evs[i])
					if res != nil {
						calls.Add(int64(res.Calls))
					}
					n := handled.Add(1)
					if n%100 == 0 {
						org.ExpireTokens() // every ~100 events (a few hundred calls): tokens expire
						clk.Add(2 * time.Minute)
					}
					if err != nil {
						mu.Lock()
						if round > 20 {
							t.Logf("round %d, event %d: %v", round, i, err)
						}
						if cxsync.ClassOf(err) == cxsync.ClassPermanent && !errors.Is(err, context.Canceled) {
							permanent++
							t.Errorf("event %d: permanent failure: %v", i, err)
						}
						failed = append(failed, i)
						mu.Unlock()
					}
				}
			}()
		}
		for k, i := range batch {
			if k == len(batch)-8 && len(batch) >= 100 { // the process dies with Handles under way
				kill()
			}
			work <- i
		}
		close(work)
		wg.Wait()
		kill()
		restarts++
		retries += len(failed)
		queue = append(queue, failed...)
		clk.Add(10 * time.Second) // indexing catches up a little between processes
	}

	// The books.
	byMarker := map[string]int{}
	recordIDs := map[string]string{}
	for _, module := range []string{"Cases", "Tasks"} {
		for _, r := range org.Records(module) {
			s, _ := r["Subject"].(string)
			if i := strings.LastIndex(s, "[cx:"); i >= 0 {
				byMarker[s[i:]]++
				recordIDs[s[i:]] = fmt.Sprint(r["id"])
				if o, _ := r["Owner"].(map[string]any); o["email"] != anna {
					t.Errorf("%s owned by %v, want %s", s[i:], o["email"], anna)
				}
			}
		}
	}
	duplicates, missing, files := 0, 0, 0
	for _, w := range wants {
		switch n := byMarker[w.source]; {
		case n == 0:
			missing++
		case n > 1:
			duplicates += n - 1
		}
		if w.files > 0 {
			got := len(org.Attachments(w.module, recordIDs[w.source]))
			files += got
			if got != w.files+0 && !(got == w.files) {
				t.Errorf("%s: %d attachments, want %d", w.source, got, w.files)
			}
		}
	}
	people := map[string]int{}
	for _, module := range []string{"Contacts", "Leads"} {
		for _, r := range org.Records(module) {
			if e, _ := r["Email"].(string); strings.HasPrefix(e, "visitor") {
				people[module+" "+e]++
			}
		}
	}
	dupPeople := 0
	for k, n := range people {
		if n > 1 {
			dupPeople += n - 1
			t.Errorf("%s: %d records", k, n)
		}
	}
	faults := map[string]int{}
	for _, c := range srv.Calls() {
		if c.Fault != "" {
			key := c.Fault
			if c.Fault == "status" {
				key = fmt.Sprint(c.Status)
			}
			faults[key]++
		}
	}
	t.Logf("events %d, Zoho calls %d, faults %v, retried events %d, restarts %d, duplicates %d, missing %d, duplicate people %d, attachments %d",
		len(evs), calls.Load(), faults, retries, restarts, duplicates, missing, dupPeople, files)
	if duplicates != 0 || missing != 0 || dupPeople != 0 || permanent != 0 {
		t.Fatalf("duplicates %d, missing %d, duplicate people %d, permanent failures %d", duplicates, missing, dupPeople, permanent)
	}
	if faults["429"] == 0 || faults["drop-after"] == 0 || faults["500"] == 0 {
		t.Fatalf("the faults did not happen: %v", faults)
	}
}
