package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// The ledger protocol of every Zoho write that creates something:
//
//  1. take the lock of what is written (a person's identity keys, a chat);
//  2. read the step: done with the same content → nothing to do;
//  3. pending → an earlier attempt may have written it without recording it (a crash, a lost
//     answer, an *AmbiguousError): reconcile — look for it in Zoho — before sending anything;
//  4. claim (pending, one more attempt) → call Zoho → done with the ids, or failed for good.
//
// Reconciling never uses Zoho's search, which lags behind writes: it reads the module's most
// recent records (a listing sorted by Created_Time, newest first) and matches on the client — a
// Case or Task by the marker at the end of its subject (rules.Marker), a Lead or Contact by the
// marker at the end of its Description (rules.PersonMarker: another visitor's record with the
// same name is never adopted, and an edit made in Zoho meanwhile does not hide it), an
// attachment by its file name, which is unique within its chat (a transcript replaced after a
// re-resolve: by its name and an id other than the file it replaces).

// claim marks the step pending for one more attempt (compare-and-swap on its version), after
// renewing the leases the work holds: a worker whose lease ran out while it read Zoho (a stall
// longer than LockTTL) and was taken by another must not write beside it.
func (w *work) claim(ctx context.Context, st *Step) (*Step, error) {
	if err := w.keepLeases(ctx, &st.Key); err != nil {
		return nil, err
	}
	st.unsettled = mayHaveApplied(st)
	st.Status, st.Err = StepPending, nil
	st.Attempts++
	st.UpdatedAt = w.s.cfg.Clock()
	if !st.unsettled || st.SentSince.IsZero() {
		st.SentSince = st.UpdatedAt // nothing sent before may be in Zoho: from this attempt on
	}
	v, err := w.s.cfg.Store.PutStep(ctx, st)
	if errors.Is(err, ErrConflict) {
		return nil, &Error{Class: ClassRetry, Tenant: w.conn.TenantID, Step: &st.Key, Err: fmt.Errorf("sync: another worker changed the step: %w", err)}
	}
	if err != nil {
		return nil, fmt.Errorf("sync: claiming a step: %w", err)
	}
	st.Version = v
	return st, nil
}

// keepLeases renews the person's and the chat's leases the work holds, before a write to Zoho.
// It returns a ClassRetry *Error wrapping ErrLockHeld when a lease has ended (another worker may
// have held its locks since, even if none holds them now), and the store's error when it cannot
// tell. key names the step written, if any.
func (w *work) keepLeases(ctx context.Context, key *StepKey) error {
	for _, l := range []*lease{w.personLease, w.chatLease} {
		if l == nil {
			continue
		}
		if err := l.renew(ctx); errors.Is(err, ErrLockHeld) {
			return &Error{Class: ClassRetry, Tenant: w.conn.TenantID, Step: key, Err: fmt.Errorf("sync: a lease ended before the write: %w", err)}
		} else if err != nil {
			return fmt.Errorf("sync: renewing a lease: %w", err)
		}
	}
	return nil
}

// outcomeTimeout bounds the store call that records what Zoho answered (see outcomeCtx).
const outcomeTimeout = 30 * time.Second

// outcomeCtx is the context a write's outcome is recorded with once Zoho answered: not ended with
// ctx (a caller that gave up while the write was in flight must not leave a step pending that
// no event will come back to, or a done write unrecorded), but bounded by outcomeTimeout.
func outcomeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), outcomeTimeout)
}

// stepFailed records a failed write. A write that may have happened (*zoho.AmbiguousError) and
// any temporary failure leave the step pending, so that the next attempt reconciles before it
// sends; a permanent refusal marks it failed with the error kept for the host to show.
func (w *work) stepFailed(ctx context.Context, st *Step, cause error) error {
	class := classify(cause)
	st.Err = stepError(cause)
	if st.unsettled {
		st.Err.NotApplied = false // this attempt's refusal says nothing of an earlier one's write
	}
	st.UpdatedAt = w.s.cfg.Clock()
	if class == ClassPermanent {
		st.Status = StepFailed
	}
	rctx, cancel := outcomeCtx(ctx)
	defer cancel()
	if v, err := w.s.cfg.Store.PutStep(rctx, st); err == nil {
		st.Version = v
	}
	return &Error{Class: class, Tenant: w.conn.TenantID, Step: &st.Key, RetryAfter: retryAfter(cause), Err: cause}
}

// recentRecords calls fn for the module's records created since `since`, newest first, reading
// at most ReconcilePages pages. fn returns true to stop.
func (w *work) recentRecords(ctx context.Context, module string, since time.Time, fn func(*crm.Record) bool) error {
	for page := 1; page <= w.s.cfg.ReconcilePages; page++ {
		recs, resp, err := w.client.Records.List(ctx, module, &zoho.ListOptions{SortBy: "Created_Time", SortOrder: zoho.SortDesc, Page: page, PerPage: 200})
		if err != nil {
			return err
		}
		for _, r := range recs {
			if ct := r.CreatedTime(); !ct.IsZero() && ct.Before(since) {
				return nil
			}
			if fn(r) {
				return nil
			}
		}
		if resp == nil || resp.Info == nil || !resp.Info.MoreRecords || len(recs) == 0 {
			return nil
		}
	}
	return nil
}

// lookSince is when the records a step may have made begin: its first attempt that may have
// been applied, or its last change.
func lookSince(st *Step) time.Time {
	if !st.SentSince.IsZero() && st.SentSince.Before(st.UpdatedAt) {
		return st.SentSince.Add(-reconcileWindow)
	}
	return st.UpdatedAt.Add(-reconcileWindow)
}

// reconcileWindow is how long before a step's claim a record it created may say it was created
// (clocks of Zoho and of the workers differ).
const reconcileWindow = 15 * time.Minute

// reconcilePerson looks for the Lead or Contact a pending step may have created: a recent record
// whose Description ends with the step's marker (rules.PersonMarker). It returns "" when there
// is none.
func (w *work) reconcilePerson(ctx context.Context, module string, st *Step) (string, error) {
	marker := personMarker(st.Key)
	found := ""
	err := w.recentRecords(ctx, module, lookSince(st), func(r *crm.Record) bool {
		if rules.EndsWithMarker(r.Text("Description"), marker) {
			found = r.ID()
			return true
		}
		return false
	})
	return found, err
}

// personMarker is the marker of the person a step creates: per tenant, section, module and
// identity, so that a Lead converted into a Contact (its Description carried over) is never
// taken for a Contact the step created.
func personMarker(k StepKey) string {
	return rules.PersonMarker(rules.SourceKey{TenantID: k.TenantID, Section: k.Section, ID: k.Name + ":" + k.SourceID})
}

// reconcileRecord looks for the Case or Task a pending step may have created, by its marker.
func (w *work) reconcileRecord(ctx context.Context, module string, st *Step, key rules.SourceKey) (string, error) {
	found := ""
	err := w.recentRecords(ctx, module, lookSince(st), func(r *crm.Record) bool {
		if rules.HasMarker(r.Text("Subject"), key) {
			found = r.ID()
			return true
		}
		return false
	})
	return found, err
}

// reconcileAttachment looks for a file a pending step may have uploaded, by its name; not the
// file the step replaces (replaced), which has the same name.
func (w *work) reconcileAttachment(ctx context.Context, module, recordID, name, replaced string) (string, error) {
	for a, err := range w.client.Attachments.ListIter(ctx, module, recordID, nil) {
		if err != nil {
			return "", err
		}
		if a.FileName == name && a.ID != replaced {
			return a.ID, nil
		}
	}
	return "", nil
}
