package sync_test

// Adversarial review 14p (after d66ae52, ca9a321: fenced lock renewals, per-Syncer lock owners).
// Each test here fails on ca9a321 for the defect its comment names.

import (
	"context"
	"testing"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Scenario: a Case was refused for good; the administrator fixes the cause and calls RetryFailed
// from a request whose context ends while the retry's insert is in flight (a request timeout, the
// admin console's client going away). RetryFailed already made the step pending; the retry
// claims it and sends the insert; the context ends.
// Expected: the step goes back on the failed list (as TestReview14RetryFailedInterruptedLosesTheStep
// requires for a 500), so a later RetryFailed reconciles and completes it: one Case.
// Actual: the step stays pending for good. stepFailed's PutStep and RetryFailed's fallback
// (manual.go RetryFailed: `if cur, gerr := s.cfg.Store.GetStep(ctx, key); gerr == nil && ...`
// and `_, _ = s.cfg.Store.PutStep(ctx, cur)`) run on the ended ctx and fail, so the step is not
// listed as failed, the next RetryFailed answers "the step is pending, not failed", and no event
// of the ended chat will come to complete it.
//
// Since the fix the outcome of a write Zoho answered is recorded on a context the caller's end
// does not end (outcomeCtx): answered, the step is done; refused, it is back on the failed list.
func TestReview14pRetryFailedWithEndedContextStrandsTheStep(t *testing.T) {
	for _, refused := range []bool{false, true} {
		t.Run(map[bool]string{false: "answered", true: "refused"}[refused], func(t *testing.T) {
			h := newHarness(t)
			c := chat("c-r14p-retryctx", visitor("r14pretryctx"))
			rule, key := failCase(t, h, c)
			rule.Remove() // fixed
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			fr, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Status: 500, Times: 1, Match: func(zohotest.Call) bool {
				cancel() // the caller's request ends while the insert is in flight
				return refused
			}})
			if err != nil {
				t.Fatal(err)
			}
			_, rerr := h.syncer.RetryFailed(ctx, key)
			fr.Remove()
			st, _ := h.store.GetStep(t.Context(), key)
			switch {
			case !refused && (rerr != nil || st.Status != cxsync.StepDone):
				t.Fatalf("RetryFailed whose context ended while Zoho wrote the Case: %v, step %s; want it recorded done", rerr, st.Status)
			case refused && st.Status != cxsync.StepFailed:
				_, again := h.syncer.RetryFailed(t.Context(), key)
				t.Fatalf("after a RetryFailed whose context ended (%v) the step is %s (attempts %d, err %+v), not on the failed list; RetryFailed again: %v",
					rerr, st.Status, st.Attempts, st.Err, again)
			case refused:
				if _, err := h.syncer.RetryFailed(t.Context(), key); err != nil {
					t.Fatalf("RetryFailed again: %v", err)
				}
			}
			if n := len(h.withMarker("Cases", c)); n != 1 {
				t.Fatalf("%d Cases, want 1", n)
			}
		})
	}
}
