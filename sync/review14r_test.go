package sync_test

// Adversarial review 14r (after 564a566: a person is mapped before its step is recorded done).
// Each test here fails on 564a566 for the defect its comment names (the first passes on 5d0fb38:
// a regression of 564a566; the second fails on both).

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// personDoneFailsOnce is a store whose next PutStep recording a person step done fails (a store
// error, not the caller's).
type personDoneFailsOnce struct {
	cxsync.Store
	armed atomic.Bool
}

func (s *personDoneFailsOnce) PutStep(ctx context.Context, st *cxsync.Step) (int64, error) {
	if st.Key.Kind == cxsync.StepPerson && st.Status == cxsync.StepDone && s.armed.CompareAndSwap(true, false) {
		return 0, errors.New("store: connection reset by peer")
	}
	return s.Store.PutStep(ctx, st)
}

// Scenario: a visitor's Contact insert is refused for good (a validation rule); the administrator
// fixes it and calls RetryFailed. The retry inserts the Contact, maps the visitor to it (564a566:
// the map first), and the store fails recording the step done: RetryFailed puts the step back on
// the failed list (right: it is not done). The administrator calls RetryFailed again.
// Expected: the second RetryFailed completes the step (the Contact is the visitor's; it is found
// through the map or by the step's marker) and answers nil; the step is done.
// Actual: the second retry finds the person through the map (person.go, `link, hit, err :=
// w.known(ctx, pw)` → the known path, which never looks at the step), writes nothing for the
// step, and RetryFailed's check (manual.go `cur.Status == StepPending` → "the retry did not write
// the step") answers ClassPermanent and puts the step back on the failed list — every retry,
// for good. Before 564a566 the map was not written when the step could not be recorded, and the
// next retry reconciled the step by its marker.
//
// Review 14s: the same for a visitor without an id (its person step is its chat's, and the map
// holds it under the rules' keys only): the "without an id" subtest.
func TestReview14rRetryAfterMapWrittenStepNotRecordedFailsForGood(t *testing.T) {
	t.Run("with an id", func(t *testing.T) { retryAfterMapWritten(t, visitor("r14rretry")) })
	v := visitor("r14sidless")
	v.ID = ""
	t.Run("without an id", func(t *testing.T) { retryAfterMapWritten(t, v) })
}

func retryAfterMapWritten(t *testing.T, v cloudcx.Visitor) {
	ps := &personDoneFailsOnce{Store: memstore.New()}
	h := newHarness(t, withStore(ps))
	ctx := t.Context()
	c := chat("c-"+v.Email, v)
	h.host.PutChat(c)
	fr, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Status: 400, Code: "INVALID_DATA", Message: "refused by a validation rule", Times: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("the refused Contact: %v, want a permanent failure", err)
	}
	fr.Remove()
	failed, _, err := ps.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed, Kind: cxsync.StepPerson}, "", 10)
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed person steps: %v, %v", failed, err)
	}
	key := failed[0].Key
	ps.armed.Store(true)
	if _, err := h.syncer.RetryFailed(ctx, key); err == nil {
		t.Fatal("RetryFailed whose step could not be recorded answered nil")
	}
	_, rerr := h.syncer.RetryFailed(ctx, key)
	st, _ := ps.GetStep(ctx, key)
	contacts := h.records("Contacts", "Email", c.Visitor.Email)
	if rerr != nil || st.Status != cxsync.StepDone || len(contacts) != 1 {
		t.Fatalf("RetryFailed again: %v; step %s (record %q), %d Contacts; want nil, the step done, one Contact", rerr, st.Status, st.RecordID, len(contacts))
	}
}

// The review's second defect (attack 3: a DUPLICATE_DATA merge refused once was never tried
// again, the step recorded done first) was fixed in a120813 and is tested by
// TestDuplicateDataNamesThePerson/merge_retried (interrupted_test.go), which plays the same.
