// Command backfill syncs past CloudCX events into Zoho CRM for one tenant: a JSON Lines file, one
// cloudcx.Event a line with its chat or conversation, through sync.Syncer, with a progress bar.
//
//	go run ./examples/backfill                       # 10,000 generated events into a fake Zoho
//	go run ./examples/backfill -in events.jsonl -store backfill.db
//
// It is resumable: the ledger lives in a SQLite file (-store), so a second run against the same
// Zoho skips what is done (no Zoho call) and retries what failed for a temporary reason. (The
// default in-process fake is a new, empty Zoho on every run: resume against a real Zoho or a
// standalone fakezoho.) Concurrency stays within the
// org's limit (the client's bound; -concurrency caps it lower). Bad lines are reported with their
// number and skipped. A summary ends the run.
//
// By default it runs against an in-process fake Zoho with a generated file; with ZOHO_CLIENT_ID,
// ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN and ZOHO_DC it connects the tenant to that Zoho.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	_ "modernc.org/sqlite"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/sqlstore"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := command(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}

// options are one run's settings.
type options struct {
	Tenant      string
	In          string // JSON Lines file
	Store       string // SQLite file of the ledger
	Concurrency int
	Progress    io.Writer // the progress bar's output; nil: none
	// OAuth and ClientOptions point at the Zoho to use; Token connects the tenant when the store
	// has no connection yet.
	OAuth         *zoho.OAuthConfig
	ClientOptions []zoho.Option
	Token         *zoho.Token
	// Reconnect connects the tenant with Token even when the store holds a connection (a new
	// in-process fake each run: the stored one points at the last run's).
	Reconnect bool
}

// summary is what a run did.
type summary struct {
	Events, Done, Already, Failed, BadLines, Calls int
	FailedLines                                    []string
	Elapsed                                        time.Duration
}

func command(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{}
	fs.StringVar(&o.Tenant, "tenant", "acme", "the CloudCX tenant")
	fs.StringVar(&o.In, "in", "", "JSON Lines file of events (default: generate -generate events into a temp file)")
	fs.StringVar(&o.Store, "store", "", "SQLite file of the ledger, to resume (default: a temp file)")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "events handled at once (the org's limit bounds Zoho calls anyway)")
	generate := fs.Int("generate", 10000, "events to generate when -in is not given")
	quiet := fs.Bool("q", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if !*quiet {
		o.Progress = stderr
	}
	tmp, err := os.MkdirTemp("", "cxzoho-backfill")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.Store == "" {
		o.Store = filepath.Join(tmp, "ledger.db")
	}
	if o.In == "" {
		o.In = filepath.Join(tmp, "events.jsonl")
		if err := generateEvents(o.In, o.Tenant, *generate); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "generated %d events into %s\n", *generate, o.In)
	}
	if id := getenv("ZOHO_CLIENT_ID"); id != "" {
		dc := zoho.DataCenter(getenv("ZOHO_DC"))
		if dc.AccountsURL() == "" || getenv("ZOHO_CLIENT_SECRET") == "" || getenv("ZOHO_REFRESH_TOKEN") == "" {
			return errors.New("with ZOHO_CLIENT_ID set, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN and ZOHO_DC (us, eu, in, au, jp, cn, ca, sa, uk) are needed too")
		}
		o.OAuth = &zoho.OAuthConfig{ClientID: id, ClientSecret: getenv("ZOHO_CLIENT_SECRET")}
		o.Token = &zoho.Token{RefreshToken: getenv("ZOHO_REFRESH_TOKEN"), DataCenter: dc, AccountsServer: dc.AccountsURL()}
	} else {
		fake := zohotest.NewServer()
		if err := fake.Start(); err != nil {
			return err
		}
		defer fake.Close()
		org, err := fake.AddDemoOrg()
		if err != nil {
			return err
		}
		o.OAuth = &zoho.OAuthConfig{ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), Endpoints: zoho.Endpoints{API: fake.URL(), Accounts: fake.URL()}}
		o.ClientOptions = nil
		o.Token = &zoho.Token{RefreshToken: org.IssueRefreshToken(zoho.DefaultScopes()...), AccountsServer: fake.URL()}
		o.Reconnect = true
		fmt.Fprintln(stdout, "using an in-process fake Zoho (set ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN, ZOHO_DC for a real one)")
	}
	sum, err := run(ctx, o)
	if err != nil {
		return err
	}
	sum.print(stdout)
	return nil
}

// run syncs the file's events.
func run(ctx context.Context, o options) (*summary, error) {
	started := time.Now()
	db, err := sql.Open("sqlite", "file:"+o.Store+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	store, err := sqlstore.New(db, sqlstore.SQLite)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		return nil, err
	}
	host := &cloudcx.MemoryHost{} // events carry their chats; the loader serves them by id too
	syncer, err := cxsync.New(cxsync.Config{
		Store:         store,
		OAuthClient:   func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) { return o.OAuth, nil },
		Loader:        host,
		Attachments:   host,
		ClientOptions: o.ClientOptions,
	})
	if err != nil {
		return nil, err
	}
	if st, err := syncer.Status(ctx, o.Tenant); err != nil {
		return nil, err
	} else if !st.Connected || o.Reconnect {
		if _, err := syncer.ConnectRefreshToken(ctx, o.Tenant, cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: o.OAuth.ClientID}, o.Token); err != nil {
			return nil, err
		}
	}

	events, bad, err := readEvents(o.In, o.Tenant, host)
	if err != nil {
		return nil, err
	}
	sum := &summary{Events: len(events), BadLines: len(bad), FailedLines: bad}
	var bar *progressbar.ProgressBar
	if o.Progress != nil {
		bar = progressbar.NewOptions(len(events), progressbar.OptionSetWriter(o.Progress), progressbar.OptionSetDescription("syncing"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	var mu sync.Mutex
	var failed atomic.Int64
	work := make(chan lineEvent)
	var wg sync.WaitGroup
	for range max(o.Concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for le := range work {
				res, err := handle(ctx, syncer, le.ev)
				mu.Lock()
				switch {
				case err != nil:
					sum.Failed++
					sum.FailedLines = append(sum.FailedLines, fmt.Sprintf("line %d: %v", le.line, err))
					if bar != nil {
						bar.Describe(fmt.Sprintf("syncing (%d failed)", failed.Add(1)))
					}
				case res.Calls == 0 && !wrote(res):
					sum.Already++
				default:
					sum.Done++
				}
				if res != nil {
					sum.Calls += res.Calls
				}
				mu.Unlock()
				if bar != nil {
					_ = bar.Add(1)
				}
			}
		}()
	}
	for _, le := range events {
		select {
		case work <- le:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if bar != nil {
		_ = bar.Finish()
	}
	sum.Elapsed = time.Since(started)
	return sum, ctx.Err()
}

// handle hands one event to the Syncer, retrying what sync says to retry a few times.
func handle(ctx context.Context, s *cxsync.Syncer, ev cloudcx.Event) (*cxsync.Result, error) {
	for attempt := 0; ; attempt++ {
		res, err := s.Handle(ctx, ev)
		if err == nil || cxsync.ClassOf(err) != cxsync.ClassRetry || attempt == 4 {
			return res, err
		}
		wait := time.Duration(1<<attempt) * 200 * time.Millisecond
		var e *cxsync.Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			wait = e.RetryAfter
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(wait):
		}
	}
}

type lineEvent struct {
	line int
	ev   cloudcx.Event
}

// readEvents reads the file: good lines become events (their chats served by host), bad ones
// are listed with their number.
func readEvents(path, tenant string, host *cloudcx.MemoryHost) ([]lineEvent, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var out []lineEvent
	var bad []string
	br := bufio.NewReaderSize(f, 64<<10)
	for n := 1; ; n++ {
		line, tooLong, err := readLine(br, maxLine)
		if err == io.EOF && len(line) == 0 && !tooLong {
			break
		}
		if err != nil && err != io.EOF {
			return nil, nil, fmt.Errorf("reading %s: %w", path, err)
		}
		switch {
		case tooLong:
			bad = append(bad, fmt.Sprintf("line %d: longer than %d MiB; skipped", n, maxLine>>20))
		case len(line) == 0:
		default:
			var ev cloudcx.Event
			if jerr := json.Unmarshal(line, &ev); jerr != nil {
				bad = append(bad, fmt.Sprintf("line %d: not an event: %v", n, jerr))
				break
			}
			ev.SetTenant(tenant)
			if verr := ev.Validate(); verr != nil {
				bad = append(bad, fmt.Sprintf("line %d: %v", n, verr))
				break
			}
			if ev.Chat != nil {
				host.PutChat(ev.Chat)
			}
			if ev.Conversation != nil {
				host.PutConversation(ev.Conversation)
			}
			out = append(out, lineEvent{line: n, ev: ev})
		}
		if err == io.EOF {
			break
		}
	}
	return out, bad, nil
}

// maxLine bounds one event line (a whole chat with its messages).
const maxLine = 32 << 20

// readLine reads one line without its newline; a line longer than limit is read to its end and
// reported too long (so the next line is read from its start), its bytes not kept.
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, rerr := br.ReadLine()
		if !tooLong {
			if len(line)+len(chunk) > limit {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if rerr != nil {
			return line, tooLong, rerr
		}
		if !isPrefix {
			return line, tooLong, nil
		}
	}
}

func (s *summary) print(w io.Writer) {
	fmt.Fprintf(w, "events: %d, synced now: %d, already synced (no Zoho call): %d, failed: %d, bad lines: %d\n",
		s.Events, s.Done, s.Already, s.Failed, s.BadLines)
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Events) / s.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "Zoho API calls: %d; %.0f events/s\n", s.Calls, rate)
	for i, l := range s.FailedLines {
		if i == 20 {
			fmt.Fprintf(w, "  … and %d more\n", len(s.FailedLines)-20)
			break
		}
		fmt.Fprintln(w, "  "+l)
	}
}

// wrote reports whether the event created or changed a Zoho record. Its Calls may be 0 even so:
// a batched insert is counted in the Result of the event whose worker sent it.
func wrote(res *cxsync.Result) bool {
	for _, r := range []*cxsync.RecordResult{res.Person, res.Account, res.Record} {
		if r != nil && (r.Outcome == cxsync.Created || r.Outcome == cxsync.Updated) {
			return true
		}
	}
	return false
}
