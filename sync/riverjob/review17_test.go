package riverjob_test

// Failing tests of the adversarial review of issue 17 (review17 branch): each one shows a defect.

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/riverjob"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// A conversation resolved, reopened and resolved again, whose webhooks carry no eventTime (the
// cloudcx.DecodeWebhook doc says the two resolve bodies then decode to the same event): the second
// resolve is a new happening (the Task must be updated with the messages after the reopen), but
// riverjob's InsertOpts (UniqueOpts ByArgs, River's default unique states include "completed")
// drops it as a duplicate of the first, already completed, job.
func TestReview17ResolvedAgainIsNotADuplicateJob(t *testing.T) {
	ctx := t.Context()
	client, events := newRiver(t, handlerFunc(func(context.Context, cloudcx.Event) (*cxsync.Result, error) {
		return &cxsync.Result{}, nil
	}), 1)
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(sctx)
	}()
	deliver := func(body string) *rivertype.JobInsertResult {
		t.Helper()
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
			select {
			case e := <-events:
				if e.Kind != river.EventKindJobCompleted {
					t.Fatalf("job ended %s", e.Kind)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the job was not worked")
			}
		}
		return res
	}
	resolved := `{"event":"TicketStatusChanged","ticketId":"t-1","beforeTicketStatus":"Open","afterTicketStatus":"Resolved"}`
	reopened := `{"event":"TicketStatusChanged","ticketId":"t-1","beforeTicketStatus":"Resolved","afterTicketStatus":"Open"}`
	deliver(resolved) // worked and completed: the Task is created
	deliver(reopened)
	if res := deliver(resolved); res.UniqueSkippedAsDuplicate {
		t.Fatalf("the conversation resolved again (after a reopen, the first resolve's job completed) was dropped as a duplicate of job %d: its Task is never updated", res.Job.ID)
	}
}

// settingsDown is a store whose settings read fails for a moment (a dropped connection, a
// cancelled context on shutdown): a temporary failure.
type settingsDown struct{ *memstore.Store }

func (settingsDown) GetSettings(context.Context, string) ([]byte, error) {
	return nil, fmt.Errorf("sqlstore: get settings: %w", context.Canceled)
}

// A temporary failure of the store while Handle reads the tenant's settings is classed
// ClassPermanent by sync (begin wraps any Settings error as permanent), so the worker cancels the
// job. Nothing was written to the ledger (the failure is before any step), so the event is lost
// for good: no retry, no failed step for Syncer.RetryFailed.
func TestReview17TransientStoreErrorDoesNotCancelTheJob(t *testing.T) {
	ctx := t.Context()
	srv := zohotest.New(t)
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	mem := memstore.New()
	if _, err := mem.SaveToken(ctx, "t1", &zoho.Token{RefreshToken: org.IssueRefreshToken(), AccountsServer: srv.URL(), APIDomain: srv.URL()}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.PutConnection(ctx, &cxsync.Connection{TenantID: "t1", OrgID: org.ID(), UserID: org.CurrentUser().ID, UserEmail: org.CurrentUser().Email,
		Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: srv.ClientID()}}); err != nil {
		t.Fatal(err)
	}
	host := &cloudcx.MemoryHost{}
	syncer, err := cxsync.New(cxsync.Config{
		Store: settingsDown{mem},
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}, nil
		},
		Loader: host, Attachments: host,
		ClientOptions: nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := cloudcx.Event{Kind: cloudcx.EventChatEnded, EventID: "LiveChatSessionEnd:c1", TenantID: "t1", ChatID: "c1"}
	err = riverjob.NewWorker(syncer).Work(ctx, &river.Job[riverjob.Args]{Args: riverjob.Args{Event: ev}})
	var cancel *rivertype.JobCancelError
	if errors.As(err, &cancel) {
		steps, _, _ := mem.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 0)
		t.Fatalf("a temporary store failure cancelled the job (class %q) and the ledger holds %d failed steps: the event is lost; %v", cxsync.ClassOf(err), len(steps), err)
	}
}
