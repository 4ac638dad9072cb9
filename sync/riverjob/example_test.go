package riverjob_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/riverjob"
)

// A worker registered with River calls the Syncer for each job; what sync's error classes become
// in River: Zoho's Retry-After is a snooze, a refused step cancels the job.
func ExampleNewWorker() {
	outcomes := []error{
		nil,
		&cxsync.Error{Class: cxsync.ClassRetry, RetryAfter: 30 * time.Second, Err: errors.New("rate limited")},
		&cxsync.Error{Class: cxsync.ClassPermanent, Err: errors.New("INVALID_DATA")},
	}
	for _, out := range outcomes {
		w := riverjob.NewWorker(handlerFunc(func(context.Context, cloudcx.Event) (*cxsync.Result, error) { return &cxsync.Result{}, out }))
		workers := river.NewWorkers()
		river.AddWorker(workers, w) // what a host does once, with its *sync.Syncer

		err := w.Work(context.Background(), &river.Job[riverjob.Args]{Args: riverjob.Args{Event: cloudcx.Event{Kind: cloudcx.EventChatEnded, TenantID: "t1", ChatID: "c1"}}})
		var snooze *rivertype.JobSnoozeError
		var cancel *rivertype.JobCancelError
		switch {
		case err == nil:
			fmt.Println("completed")
		case errors.As(err, &snooze):
			fmt.Println("snoozed for", snooze.Duration)
		case errors.As(err, &cancel):
			fmt.Println("cancelled")
		}
	}
	// Output:
	// completed
	// snoozed for 30s
	// cancelled
}
