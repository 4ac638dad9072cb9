package storetest_test

// Failing tests of the adversarial review of issue 16 (review17 branch): each one shows a defect.

import (
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
)

// The host's walk that sync.Status's doc describes — list the failed steps page by page and
// RetryFailed each — on memstore: a retry that succeeds takes its step out of the failed list,
// and memstore's cursor (an offset) then skips the next step, which is never retried. The Ledger
// contract says nothing of steps changing during a walk and storetest checks nothing of it
// (sqlstore, keyed on UpdatedAt, repeats steps instead: see sync/sqlstore).
func TestReview17MemstoreWalkDoesNotSkipAStep(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, id := range []string{"a", "b", "c"} {
		st := &cxsync.Step{Key: cxsync.StepKey{TenantID: "t1", OrgID: "o1", Section: cloudcx.SectionWebChat, SourceID: id, Kind: cxsync.StepRecord},
			Status: cxsync.StepFailed, UpdatedAt: base.Add(time.Duration(i) * time.Minute)}
		if _, err := s.PutStep(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	cursor := ""
	for range 10 {
		steps, next, err := s.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, cursor, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range steps {
			seen = append(seen, st.Key.SourceID)
			st.Status, st.UpdatedAt = cxsync.StepDone, base.Add(time.Hour) // retried: done now
			if _, err := s.PutStep(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 3 {
		t.Fatalf("a walk of 3 failed steps, each retried with success as it was listed, saw %v: the others were skipped", seen)
	}
}
