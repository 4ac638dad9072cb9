package sqlstore_test

// Failing tests of the adversarial review of issue 16 (review17 branch): each one shows a defect.

import (
	"math"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/sqlstore"
)

// ListSteps with the largest limit ("all of them") sends LIMIT limit+1, which overflows to a
// negative LIMIT: PostgreSQL refuses it ("LIMIT must not be negative").
func TestReview17ListStepsWithTheLargestLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) *sqlstore.Store
	}{
		{"SQLite", func(t *testing.T) *sqlstore.Store { return migrated(t, openSQLite(t, ""), sqlstore.SQLite) }},
		{"PostgreSQL", func(t *testing.T) *sqlstore.Store { return migrated(t, openPostgres(t), sqlstore.PostgreSQL) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.open(t)
			st := &cxsync.Step{Key: cxsync.StepKey{TenantID: "t1", OrgID: "o1", Section: cloudcx.SectionWebChat, SourceID: "a", Kind: cxsync.StepRecord},
				Status: cxsync.StepFailed, UpdatedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
			if _, err := s.PutStep(t.Context(), st); err != nil {
				t.Fatal(err)
			}
			steps, next, err := s.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", math.MaxInt)
			if err != nil || len(steps) != 1 || next != "" {
				t.Fatalf("ListSteps(limit math.MaxInt) = %d steps, %q, %v; want the one step", len(steps), next, err)
			}
		})
	}
}
