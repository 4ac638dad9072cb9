// Package riverjob runs sync on River (github.com/riverqueue/river), a durable job queue on
// PostgreSQL (riverpgxv5) or SQLite (riversqlite): a host that answers CloudCX's webhook inserts
// a job and answers at once, and River's workers call Syncer.Handle with retries and backoff,
// across replicas, surviving restarts. The host keeps its River client, driver, queues and
// migrations; this package adds only the job and its worker:
//
//	workers := river.NewWorkers()
//	river.AddWorker(workers, riverjob.NewWorker(syncer))
//	client, _ := river.NewClient(riversqlite.New(db), &river.Config{Workers: workers, Queues: …})
//	…
//	_, err := client.Insert(ctx, riverjob.Args{Event: ev}, nil) // in the webhook handler
//
// The worker maps sync's error classes onto River: ClassRetry is a River retry (with River's
// backoff), or a snooze for Zoho's Retry-After when Zoho gave one; ClassPermanent cancels the
// job (the ledger holds the step's error, and Syncer.RetryFailed retries it once fixed);
// ClassTenantPaused snoozes the job for the pause, bounded by Worker.MaxPause, without using up
// attempts. Jobs are unique by their event, so a webhook CloudCX delivers twice is one job (sync's
// ledger would make a second one harmless anyway).
package riverjob

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
)

// Kind is the River job kind of Args.
const Kind = "cxzoho_cloudcx_event"

// Args is the River job of one CloudCX event. The event must carry its tenant
// (cloudcx.Event.SetTenant): the job is all the worker gets.
type Args struct {
	// Event is the event to handle. It carries ids (and, for some kinds, the chat itself) but no
	// secrets: job rows may be read by whoever reads the queue's tables.
	Event cloudcx.Event `json:"event"`
}

// Kind returns Kind.
func (Args) Kind() string { return Kind }

// InsertOpts makes jobs unique by their whole event (a webhook CloudCX delivers twice decodes to
// the same event) while one waits or runs, so a redelivery inserts no second job; and gives them
// up to 25 attempts.
func (a Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates}}
}

// uniqueStates are River's default unique states without "completed": a webhook redelivered
// while its job waits or runs is one job, but an event that decodes like one already worked (a
// conversation resolved, reopened and resolved again, whose bodies carry no time) is a new job.
// Sync's ledger makes a true redelivery after completion cost nothing anyway.
var uniqueStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// Handler is what the worker calls: *sync.Syncer implements it.
type Handler interface {
	Handle(ctx context.Context, ev cloudcx.Event) (*cxsync.Result, error)
}

// Worker works Args jobs by calling Handler.Handle.
type Worker struct {
	river.WorkerDefaults[Args]
	handler Handler
	// MaxPause bounds the snooze of a job whose tenant is paused (default 1 hour): the job comes
	// back at least that often to see whether the tenant was reconnected or its credits renewed.
	MaxPause time.Duration
	// DefaultPause is the snooze of a paused tenant's job when sync gave no RetryAfter (an
	// administrator must act: reconnect required, scope missing); default 15 minutes.
	DefaultPause time.Duration
	// JobTimeout bounds one Handle call (default 10 minutes: large attachments take time). River's
	// own default of one minute would cut uploads. River rescues a job a dead process left
	// running only once its timeout has passed (and RescueStuckJobsAfter with it, which River
	// wants above river.Config.JobTimeout): a host that wants crashed work back sooner shortens
	// both, as the chaos test does (sync/sqlstore/chaos_river_test.go).
	JobTimeout time.Duration
}

// NewWorker returns the worker that hands each job's event to h (usually a *sync.Syncer).
func NewWorker(h Handler) *Worker {
	return &Worker{handler: h, MaxPause: time.Hour, DefaultPause: 15 * time.Minute, JobTimeout: 10 * time.Minute}
}

// Timeout returns JobTimeout.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return w.JobTimeout }

// Work handles the job's event and maps the outcome onto River (see the package doc).
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	if w.handler == nil {
		return river.JobCancel(errors.New("riverjob: the worker has no handler (use NewWorker)"))
	}
	_, err := w.handler.Handle(ctx, job.Args.Event)
	return w.outcome(err)
}

// outcome maps Handle's error onto what River should do.
func (w *Worker) outcome(err error) error {
	if err == nil {
		return nil
	}
	var after time.Duration
	var e *cxsync.Error
	if errors.As(err, &e) {
		after = e.RetryAfter
	}
	switch cxsync.ClassOf(err) {
	case cxsync.ClassPermanent:
		return river.JobCancel(err)
	case cxsync.ClassTenantPaused:
		if after <= 0 {
			after = w.DefaultPause
		}
		if after <= 0 {
			after = 15 * time.Minute // a DefaultPause of 0 must not re-run a paused tenant's jobs every second
		}
		if w.MaxPause > 0 && after > w.MaxPause {
			after = w.MaxPause
		}
		return river.JobSnooze(max(after, time.Second))
	default: // ClassRetry, and anything unclassified
		if after > 0 {
			// Zoho's Retry-After, bounded like a pause. A snooze uses no attempt, so a job
			// throttled for ever is not discarded: Zoho's limits end, and the event is not lost.
			if w.MaxPause > 0 && after > w.MaxPause {
				after = w.MaxPause
			}
			return river.JobSnooze(after)
		}
		return err
	}
}
