package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/riverjob"
)

// chaosRiverClient is what the chaos play uses of a River client, whichever its driver.
type chaosRiverClient interface {
	Start(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// riverDB makes River clients on the chaos store's database (River's tables migrated in it),
// each on a connection pool of its own, as each process has: closing it is how a process dies
// without telling River anything. leader reads River's leader table: the id of the client that
// holds or last held River's leadership.
type riverDB struct {
	newClient func(t *testing.T, cfg *river.Config) (client chaosRiverClient, closePool func())
	leader    func(ctx context.Context) (string, error)
}

// riverSQLite is River on the SQLite file the store uses, through pools of their own (one
// connection each, as riversqlite wants), whose transactions begin IMMEDIATE as the store's do:
// a deferred one that reads and then writes (River's scheduler's) cannot wait for another
// writer and fails with SQLITE_BUSY whatever the busy timeout.
func riverSQLite(t *testing.T, path string) riverDB {
	t.Helper()
	open := func(t *testing.T) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	admin := open(t)
	migrateRiver(t, riversqlite.New(admin))
	return riverDB{newClient: func(t *testing.T, cfg *river.Config) (chaosRiverClient, func()) {
		db := open(t)
		client, err := river.NewClient(riversqlite.New(db), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return client, func() { db.Close() }
	}, leader: func(ctx context.Context) (id string, err error) {
		err = admin.QueryRowContext(ctx, "SELECT leader_id FROM river_leader").Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
		return id, err
	}}
}

// riverPostgres is River in the store's PostgreSQL schema, through pgx's pools as riverpgxv5
// wants.
func riverPostgres(t *testing.T, schema string) riverDB {
	t.Helper()
	dsn := postgresDSN(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	open := func(t *testing.T) *pgxpool.Pool {
		pool, err := pgxpool.New(t.Context(), dsn+sep+"search_path="+schema)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
	admin := open(t)
	migrateRiver(t, riverpgxv5.New(admin))
	return riverDB{newClient: func(t *testing.T, cfg *river.Config) (chaosRiverClient, func()) {
		pool := open(t)
		cfg.Schema = schema
		client, err := river.NewClient(riverpgxv5.New(pool), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return client, pool.Close
	}, leader: func(ctx context.Context) (id string, err error) {
		err = admin.QueryRow(ctx, "SELECT leader_id FROM river_leader").Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
		return id, err
	}}
}

func migrateRiver[TTx any](t *testing.T, driver riverdriver.Driver[TTx]) {
	t.Helper()
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(t.Context(), rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
}

// chaosRetry is the retry policy a host in a hurry would give River: a short wait growing with
// the attempts (River's default waits attempt⁴ seconds), so the play is about the faults.
type chaosRetry struct{}

func (chaosRetry) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(time.Duration(10<<min(job.Attempt, 7)) * time.Millisecond)
}

// chaosHandler is the Syncer as the worker's Handler, through the play's counting handle. live
// counts its process's Handles under way; a dead process starts none.
type chaosHandler struct {
	c    *chaosRun
	t    *testing.T
	s    *cxsync.Syncer
	dead *atomic.Bool
	live *atomic.Int64
}

func (h chaosHandler) Handle(ctx context.Context, ev cloudcx.Event) (*cxsync.Result, error) {
	h.live.Add(1)
	defer h.live.Add(-1)
	if h.dead.Load() {
		return nil, context.Canceled
	}
	return h.c.handle(ctx, h.t, h.s, ev)
}

// riverLog is River's logger in the play: it counts the SQLite busy errors River logs (its
// scheduler's, its completer's…), which fail the run, and drops everything else (a killed
// process's River logs its closed pool).
type riverLog struct{ busy *atomic.Int64 }

func (l riverLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l riverLog) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l riverLog) WithGroup(string) slog.Handler                 { return l }
func (l riverLog) Handle(_ context.Context, r slog.Record) error {
	text := r.Message
	r.Attrs(func(a slog.Attr) bool { text += " " + a.Value.String(); return true })
	if strings.Contains(text, "SQLITE_BUSY") || strings.Contains(text, "database is locked") {
		l.busy.Add(1)
	}
	return nil
}

// viaRiver plays the events as River jobs worked by riverjob's worker: every event inserted at
// once; a "process" (a Syncer and a River client with 16 workers) ends after some jobs completed
// (~1/8 of the events, at most ~200) and a new one starts on the same database. The first
// process (River's leader), the next two and then about every other one die without a word to
// River (at least three must): their pool is closed first, so the jobs they were running stay
// "running" until a leader's rescuer takes them (after RescueStuckJobsAfter), and the dead
// client's own stop (River retrying what its closed pool refuses) goes on in the background while
// the next process works. The others are stopped with StopAndCancel (their running jobs
// cancelled and made available again), and so is the leader after the first: River has no leader
// (no rescue, no scheduling) for ~15 s after its leader died, and one such wait is what CI's time
// affords. Every stop must return within stopWithin and every Handle of a process end within
// handlesEnd of its end, or the run fails: a process that lives on would work beside its
// successor. A process that has had nothing to do for idleAfter is stopped too: River's rescuer
// runs when a client becomes the leader and then only every 30 seconds, and jobs stuck too
// briefly for one leader's first run would wait for its next. It ends when every job completed,
// or fails with River's job states after three minutes.
func (c *chaosRun) viaRiver(t *testing.T, db riverDB) {
	const (
		jobTimeout = 5 * time.Second
		stopWithin = 10 * time.Second
		// A dead client's stop takes longer: River retries what its closed pool refuses, for ~7 s
		// (its resignation; on SQLite, where riversqlite does not tell River that the pool is
		// closed, every batch of completions in turn — up to 37 s a batch by River's own count).
		deadStopWithin = time.Minute
		handlesEnd     = 5 * time.Second
		idleAfter      = time.Second
	)
	var busy atomic.Int64
	newClient := func(id string, dead *atomic.Bool, live *atomic.Int64) (chaosRiverClient, func()) {
		w := riverjob.NewWorker(chaosHandler{c, t, c.newSyncer(), dead, live})
		w.JobTimeout = jobTimeout
		w.MaxPause = 100 * time.Millisecond // Zoho's Retry-After, shortened like the client's waits
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		return db.newClient(t, &river.Config{
			ID:                   id,
			Logger:               slog.New(riverLog{&busy}),
			Workers:              workers,
			Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 16}},
			RetryPolicy:          chaosRetry{},
			JobTimeout:           jobTimeout,
			RescueStuckJobsAfter: jobTimeout + time.Second, // more than the job timeout, as River asks
			FetchCooldown:        5 * time.Millisecond,
			FetchPollInterval:    20 * time.Millisecond,
			TestOnly:             true,
		})
	}

	// Insert every event as a job, with riverjob's options (unique by event, 25 attempts).
	ins, _ := newClient("chaos-inserter", new(atomic.Bool), new(atomic.Int64)) // inserts and reads; never started
	params := make([]river.InsertManyParams, len(c.evs))
	for i, ev := range c.evs {
		params[i] = river.InsertManyParams{Args: riverjob.Args{Event: ev}}
	}
	for len(params) > 0 {
		n := min(len(params), 500)
		if _, err := ins.InsertMany(c.ctx, params[:n]); err != nil {
			t.Fatal(err)
		}
		params = params[n:]
	}

	// stop stops a process's client, and fails the run when it takes too long.
	var slowest atomic.Int64
	stop := func(client chaosRiverClient, n int, hard bool) {
		within := stopWithin
		if hard {
			within = deadStopWithin
		}
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		began := time.Now()
		if err := client.StopAndCancel(ctx); err != nil {
			t.Errorf("process %d (killed without a word: %v): StopAndCancel did not return within %v (%v): the process lives on", n, hard, within, err)
		}
		took := int64(time.Since(began))
		for old := slowest.Load(); took > old && !slowest.CompareAndSwap(old, took); old = slowest.Load() {
		}
	}
	var dying gosync.WaitGroup // dead processes' clients stopping in the background
	defer dying.Wait()

	per := min(200, max(40, len(c.evs)/8)) // jobs a process completes before it dies, on average
	deadline := time.After(3 * time.Minute)
	attempts, snoozes, interrupted, restarts, kills, hardKills, idles := 0, 0, 0, 0, 0, 0, 0
	for c.completedJobs(t, ins) < len(c.evs) {
		dead, live := new(atomic.Bool), new(atomic.Int64)
		id := fmt.Sprint("chaos-process-", restarts)
		client, closePool := newClient(id, dead, live)
		events, unsubscribe := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
			river.EventKindJobCancelled, river.EventKindJobSnoozed, river.EventKindJobInterrupted)
		if err := client.Start(c.ctx); err != nil {
			t.Fatal(err)
		}
		killAt := per*3/4 + c.rng.IntN(per/2) // jobs this process completes before it dies
		tick := time.NewTicker(500 * time.Millisecond)
		killed, last := true, time.Now()
	play:
		for done := 0; done < killAt; {
			select {
			case e := <-events:
				attempts++
				last = time.Now()
				switch e.Kind {
				case river.EventKindJobCompleted:
					done++
				case river.EventKindJobSnoozed:
					snoozes++
				case river.EventKindJobInterrupted:
					interrupted++
				case river.EventKindJobCancelled:
					t.Errorf("job %d (%s) cancelled: %v", e.Job.ID, e.Job.EncodedArgs, e.Job.Errors)
				case river.EventKindJobFailed:
					if e.Job.State == rivertype.JobStateDiscarded {
						t.Errorf("job %d (%s) discarded after %d attempts: %v", e.Job.ID, e.Job.EncodedArgs, e.Job.Attempt, e.Job.Errors)
					}
				}
			case <-tick.C:
				if c.completedJobs(t, ins) == len(c.evs) { // the last process ends when River has nothing left
					killed = false
					break play
				}
				if time.Since(last) > idleAfter && live.Load() == 0 { // waiting for a rescue: a new leader rescues at once
					killed = false
					idles++
					break play
				}
			case <-deadline:
				c.riverStates(t, client)
				t.Fatalf("%d of %d jobs completed after 3 minutes", c.completedJobs(t, ins), len(c.evs))
			case <-c.ctx.Done():
				killed = false
				break play
			}
		}
		tick.Stop()
		// The process dies with jobs under way: the first (River's leader) and the next two, then
		// about every other one, without a word to River (its pool closed first: the jobs it was
		// running stay "running" until River's rescuer takes them), else stopped (its running
		// jobs cancelled and made available again). After the first, the leader is always
		// stopped (see above).
		hard := false
		if killed {
			leader, err := db.leader(c.ctx)
			if err != nil {
				t.Fatalf("reading River's leader: %v", err)
			}
			hard = hardKills == 0 || (leader != id && (hardKills < 3 || hardKills*2 <= kills))
			kills++
		}
		dead.Store(true)
		if hard {
			closePool()
			hardKills++
			dying.Add(1)
			go func(n int) {
				defer dying.Done()
				stop(client, n, true)
				unsubscribe()
			}(restarts)
		} else {
			stop(client, restarts, false)
			for drained := false; !drained; { // what River said while it stopped
				select {
				case e, ok := <-events:
					if !ok {
						drained = true
					} else if e.Kind == river.EventKindJobInterrupted {
						interrupted++
					}
				default:
					drained = true
				}
			}
			unsubscribe()
			closePool()
		}
		// Its Handles end before the next process starts (they were cancelled).
		for began := time.Now(); live.Load() > 0; time.Sleep(5 * time.Millisecond) {
			if time.Since(began) > handlesEnd {
				t.Errorf("process %d: %d Handles still under way %v after it ended", restarts, live.Load(), handlesEnd)
				break
			}
		}
		restarts++
		c.advance(10*time.Second, false) // indexing catches up a little between processes
		if t.Failed() {
			c.riverStates(t, ins)
			t.FailNow()
		}
	}
	dying.Wait()
	if hardKills < 3 {
		t.Errorf("%d processes died without a word to River, want at least 3", hardKills)
	}
	if n := busy.Load(); n > 0 {
		t.Errorf("River logged %d SQLite busy errors", n)
	}
	rescued := 0
	res, err := ins.JobList(c.ctx, river.NewJobListParams().States(rivertype.JobStateCompleted).First(10000))
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range res.Jobs {
		for _, e := range j.Errors {
			if strings.Contains(e.Error, "rescued") {
				rescued++
			}
		}
	}
	c.figures = append(c.figures, fmt.Sprintf("River jobs %d, attempts ended %d, snoozes %d, interrupted by a stop %d, rescued %d, "+
		"processes %d (killed %d, %d of them without a word; ended idle %d), slowest stop %v, SQLite busy errors logged %d",
		len(c.evs), attempts, snoozes, interrupted, rescued, restarts, kills, hardKills, idles,
		time.Duration(slowest.Load()).Round(time.Millisecond), busy.Load()))
}

// completedJobs counts River's completed jobs.
func (c *chaosRun) completedJobs(t *testing.T, client chaosRiverClient) int {
	t.Helper()
	res, err := client.JobList(c.ctx, river.NewJobListParams().States(rivertype.JobStateCompleted).First(10000))
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Jobs)
}

// riverStates logs how many jobs are in each River state.
func (c *chaosRun) riverStates(t *testing.T, client chaosRiverClient) {
	t.Helper()
	states := map[rivertype.JobState]int{}
	res, err := client.JobList(context.Background(), river.NewJobListParams().States(rivertype.JobStates()...).First(10000))
	if err != nil {
		t.Logf("listing River's jobs: %v", err)
		return
	}
	for _, j := range res.Jobs {
		states[j.State]++
	}
	t.Logf("River's jobs by state: %v", states)
}
