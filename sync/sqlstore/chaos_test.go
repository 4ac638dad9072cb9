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
// expired every ~100 calls, search indexing delayed and loose, and the "process" killed every
// ~200 events, events redelivered until they succeed: once by plain redelivery (every Handle
// under way cancelled, the Syncer thrown away, the store kept, failed events queued again) and
// once through sync/riverjob with River on the same database (a process every ~1/8 of the
// events, at most ~200: the River client stopped with StopAndCancel, or at least three times
// killed without a word to River, and a new Syncer and client started; River retries, snoozes
// and rescues). The fake must end with exactly the expected records: one person per visitor and
// module (none missing, none twice, none in a module the tenant's actions do not write), one Case
// or Task per chat linked to its own visitor's person, every attachment once, every owner right.
// CI runs it in the go-line run (not under -race: it is skipped there; PostgreSQL plays 500
// events by redelivery and 300 through River); CXZOHO_SOAK=1 plays 10,000 events on each.
func TestChaos(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("chaos: run without -race and -short (CI's go-line run does)")
	}
	type db struct {
		store *sqlstore.Store
		river func(t *testing.T) riverDB
	}
	dbs := map[string]func(t *testing.T) db{
		"SQLite": func(t *testing.T) db {
			path := filepath.Join(t.TempDir(), "chaos.db")
			return db{migrated(t, openSQLite(t, path), sqlstore.SQLite), func(t *testing.T) riverDB { return riverSQLite(t, path) }}
		},
	}
	if os.Getenv("CXZOHO_TEST_POSTGRES_DSN") != "" {
		dbs["PostgreSQL"] = func(t *testing.T) db {
			sqldb, schema := openPostgresNamed(t)
			return db{migrated(t, sqldb, sqlstore.PostgreSQL), func(t *testing.T) riverDB { return riverPostgres(t, schema) }}
		}
	}
	for name, open := range dbs {
		for _, via := range []string{"redelivery", "River"} {
			events := 1000
			switch {
			case os.Getenv("CXZOHO_SOAK") == "1":
				events = 10000
			case name == "PostgreSQL" && via == "River":
				events = 300 // CI's time: SQLite plays the full thousand
			case name == "PostgreSQL":
				events = 500
			}
			t.Run(name+"/"+via, func(t *testing.T) {
				d := open(t)
				c := newChaos(t, d.store, events)
				if via == "River" {
					c.viaRiver(t, d.river(t))
				} else {
					c.redeliver(t)
				}
				c.check(t)
			})
		}
	}
}

// chaosRun is one chaos play: its fake Zoho, store, events and what was expected of them.
type chaosRun struct {
	ctx       context.Context
	store     *sqlstore.Store
	srv       *zohotest.Server
	org       *zohotest.Org
	clk       *clock
	anna      string
	evs       []cloudcx.Event
	wants     []chaosWant
	newSyncer func() *cxsync.Syncer
	rng       *rand.Rand

	calls    atomic.Int64   // Zoho calls Handle reported
	handled  atomic.Int64   // Handle calls
	figures  []string       // what the delivery prints beside the books
	failures atomic.Int64   // events failed for good (a permanent class)
	quiet    gosync.RWMutex // held for reading by every Handle, for writing while the clock moves
}

// chaosWant is one event's expected record, and the person it must be linked to: the Lead or
// Contact (person) of the chat's visitor (email).
type chaosWant struct {
	tenant, module, source string
	files                  int
	person, email          string
}

func newChaos(t *testing.T, store *sqlstore.Store, events int) *chaosRun {
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

	// The events: chats and conversations of up to 300 visitors per tenant, each visitor coming
	// through Web Chat and Inbox both (events i and i+3: one Contact of two sections at
	// t-support, one Lead at t-sales, one Contact and one Lead at t-both), every 10th with a file.
	var evs []cloudcx.Event
	var wants []chaosWant
	start := clk.Now()
	for i := range events {
		tn := tenants[i%len(tenants)]
		n := i / (2 * len(tenants)) % 300 // events i and i+3: the visitor's chat and conversation
		v := cloudcx.Visitor{ID: fmt.Sprintf("v%d", n), Name: fmt.Sprintf("Visitor %d", n),
			Email: fmt.Sprintf("visitor%d.%s@example.org", n, tn.id)}
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
			wants = append(wants, chaosWant{tn.id, tn.webModule, rules.Marker(rules.SourceKey{TenantID: tn.id, Section: cloudcx.SectionWebChat, ID: th.ID}), files,
				tn.web.PersonModule(), v.Email})
		} else {
			th.Channel = cloudcx.ChannelEmail
			host.PutConversation(&cloudcx.Conversation{Thread: th, State: cloudcx.ConversationResolved})
			evs = append(evs, cloudcx.Event{Kind: cloudcx.EventConversationResolved, EventID: fmt.Sprint("e", i), TenantID: tn.id, ConversationID: th.ID})
			wants = append(wants, chaosWant{tn.id, tn.inboxModule, rules.Marker(rules.SourceKey{TenantID: tn.id, Section: cloudcx.SectionInbox, ID: th.ID}), files,
				tn.inbox.PersonModule(), v.Email})
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

	return &chaosRun{ctx: ctx, store: store, srv: srv, org: org, clk: clk, anna: anna, evs: evs, wants: wants,
		newSyncer: newSyncer, rng: rand.New(rand.NewPCG(7, 11))}
}

// handle is every delivery's Handle: it counts the calls, expires the tokens every ~100 events
// (a few hundred calls) and moves the clock on, and says whether a failure is for good.
//
// The clock moves only while no Handle is under way (advance). The Syncer judges its leases on
// the play's clock and renews them on real time (every third of LockTTL): a clock moving minutes
// while a Handle holds a lock would end a lease in use, and another worker would take the person
// beside its holder — duplicates of the play's own making (helper 35's experiment, and one CI run
// with 20 s moves). Between moves, a dead process's locks expire as they would in production.

func (c *chaosRun) handle(ctx context.Context, t *testing.T, s *cxsync.Syncer, ev cloudcx.Event) (*cxsync.Result, error) {
	c.quiet.RLock()
	res, err := s.Handle(ctx, ev)
	c.quiet.RUnlock()
	if res != nil {
		c.calls.Add(int64(res.Calls))
	}
	if c.handled.Add(1)%100 == 0 {
		c.advance(2*time.Minute, true)
	}
	if err != nil && cxsync.ClassOf(err) == cxsync.ClassPermanent && !errors.Is(err, context.Canceled) {
		c.failures.Add(1)
		t.Errorf("event %s: permanent failure: %v", ev.EventID, err)
	}
	return res, err
}

// advance moves the play's clock by d, and expires every access token when expire is set, once
// every Handle under way has returned (new ones wait).
func (c *chaosRun) advance(d time.Duration, expire bool) {
	c.quiet.Lock()
	defer c.quiet.Unlock()
	c.clk.Add(d)
	if expire {
		c.org.ExpireTokens()
	}
}

// redeliver plays the events by plain redelivery: workers take events; a "process" ends after
// ~200 events (its Handles cancelled, its Syncer dropped); failed events go back in the queue.
func (c *chaosRun) redeliver(t *testing.T) {
	queue := make([]int, len(c.evs))
	for i := range queue {
		queue[i] = i
	}
	var mu gosync.Mutex
	retries, restarts := 0, 0
	for round := 0; len(queue) > 0; round++ {
		if round > 200 {
			t.Fatalf("%d events still failing after 200 rounds", len(queue))
		}
		pctx, kill := context.WithCancel(c.ctx)
		s := c.newSyncer()
		killAt := 150 + c.rng.IntN(100)
		batch := queue[:min(len(queue), killAt)]
		queue = append([]int(nil), queue[len(batch):]...)
		var failed []int
		work := make(chan int)
		var wg gosync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					if _, err := c.handle(pctx, t, s, c.evs[i]); err != nil {
						mu.Lock()
						if round > 20 {
							t.Logf("round %d, event %d: %v", round, i, err)
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
		c.advance(10*time.Second, false) // indexing catches up a little between processes
	}
	c.figures = append(c.figures, fmt.Sprintf("retried events %d, restarts %d", retries, restarts))
}

// check reads the books: the fake's records against what the events should have made — one
// Case or Task per chat, owned by the agent, with its attachment; one Lead or Contact per visitor
// and module (none missing, none twice, none where the tenant's actions make none); every Case
// and Task linked to its own visitor's person (a Case's Related_To; a Task's What_Id with
// $se_module Leads, or Who_Id for a Contact).
func (c *chaosRun) check(t *testing.T) {
	org, srv, anna := c.org, c.srv, c.anna
	errs := map[string]int{} // the first few of each kind are told
	tell := func(kind, format string, args ...any) {
		t.Helper()
		if errs[kind]++; errs[kind] <= 10 {
			t.Errorf(format, args...)
		}
	}
	// The people: each visitor's Leads and Contacts, by module and email.
	people := map[string][]string{}
	for _, module := range []string{"Contacts", "Leads"} {
		for _, r := range org.Records(module) {
			if e, _ := r["Email"].(string); strings.HasPrefix(e, "visitor") {
				people[module+" "+e] = append(people[module+" "+e], fmt.Sprint(r["id"]))
			}
		}
	}
	// The books: the Cases and Tasks by their chat's marker.
	records := map[string][]map[string]any{}
	for _, module := range []string{"Cases", "Tasks"} {
		for _, r := range org.Records(module) {
			s, _ := r["Subject"].(string)
			if i := strings.LastIndex(s, "[cx:"); i >= 0 {
				records[s[i:]] = append(records[s[i:]], r)
				if o, _ := r["Owner"].(map[string]any); o["email"] != anna {
					tell("owner", "%s owned by %v, want %s", s[i:], o["email"], anna)
				}
			}
		}
	}
	duplicates, missing, files, misLinked := 0, 0, 0, 0
	wantPeople := map[string]bool{}
	for _, w := range c.wants {
		person := w.person + " " + w.email
		wantPeople[person] = true
		rs := records[w.source]
		switch n := len(rs); {
		case n == 0:
			missing++
		case n > 1:
			duplicates += n - 1
		}
		if w.files > 0 && len(rs) > 0 {
			got := len(org.Attachments(w.module, fmt.Sprint(rs[0]["id"])))
			files += got
			if got != w.files {
				tell("attachments", "%s: %d attachments, want %d", w.source, got, w.files)
			}
		}
		if ids := people[person]; len(ids) == 1 { // else told below
			for _, r := range rs {
				if got, want := chaosLink(w.module, r), w.person+" "+ids[0]; got != want {
					misLinked++
					tell("link", "%s %v (%s): linked to %q, want %q (%s)", w.module, r["id"], w.source, got, want, w.email)
				}
			}
		}
	}
	missingPeople, dupPeople, strayPeople := 0, 0, 0
	for k := range wantPeople {
		switch n := len(people[k]); {
		case n == 0:
			missingPeople++
			tell("missing person", "%s: no record", k)
		case n > 1:
			dupPeople += n - 1
			var made []string // which person step made each (its marker)
			module, _, _ := strings.Cut(k, " ")
			for _, id := range people[k] {
				r, _ := org.Record(module, id)
				d, _ := r["Description"].(string)
				made = append(made, id+" "+d[max(0, strings.LastIndex(d, "[cx:")):])
			}
			tell("duplicate person", "%s: %d records %v", k, n, made)
		}
	}
	for k, ids := range people {
		if !wantPeople[k] {
			strayPeople += len(ids)
			tell("stray person", "%s: %d records, want none", k, len(ids))
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
	t.Logf("events %d, Zoho calls %d, faults %v, %s, duplicates %d, missing %d, people %d (missing %d, duplicate %d, stray %d), wrong links %d, attachments %d",
		len(c.evs), c.calls.Load(), faults, strings.Join(c.figures, ", "), duplicates, missing, len(wantPeople), missingPeople, dupPeople, strayPeople, misLinked, files)
	if duplicates != 0 || missing != 0 || missingPeople != 0 || dupPeople != 0 || strayPeople != 0 || misLinked != 0 || c.failures.Load() != 0 {
		t.Fatalf("duplicates %d, missing %d, people missing %d, duplicate %d, stray %d, wrong links %d, permanent failures %d",
			duplicates, missing, missingPeople, dupPeople, strayPeople, misLinked, c.failures.Load())
	}
	if faults["429"] == 0 || faults["drop-after"] == 0 || faults["500"] == 0 {
		t.Fatalf("the faults did not happen: %v", faults)
	}
}

// chaosLink names the person a Case or Task of the fake is linked to, "Contacts <id>" or
// "Leads <id>", or "" when none: a Case's Related_To (a Contact); a Task's Who_Id (a Contact), else
// its What_Id when $se_module says Leads.
func chaosLink(module string, r map[string]any) string {
	id := func(field string) string {
		l, _ := r[field].(map[string]any)
		if l == nil || l["id"] == nil {
			return ""
		}
		return fmt.Sprint(l["id"])
	}
	switch module {
	case "Cases":
		if id := id("Related_To"); id != "" {
			return "Contacts " + id
		}
	case "Tasks":
		if id := id("Who_Id"); id != "" {
			return "Contacts " + id
		}
		if se, _ := r["$se_module"].(string); se == "Leads" && id("What_Id") != "" {
			return "Leads " + id("What_Id")
		}
	}
	return ""
}
