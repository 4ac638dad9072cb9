package sync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho"
)

// Error is what Handle returns when an event could not be handled completely. Class says what
// the host's queue should do; the cause is wrapped (errors.Is(err, zoho.ErrInvalidData) and
// errors.As(err, &apiErr) see through it).
type Error struct {
	// Class is what to do with the event: retry it later, give up on it, or hold the tenant.
	Class ErrorClass
	// Tenant is the tenant the event was for.
	Tenant string
	// Step is the ledger step that failed, when one did.
	Step *StepKey
	// RetryAfter is how long to wait before delivering the event again, when known (Zoho's
	// Retry-After, a tenant's pause).
	RetryAfter time.Duration
	// Err is the cause.
	Err error
}

// Error returns one line: the class, the step and the cause.
func (e *Error) Error() string {
	step := ""
	if e.Step != nil {
		step = fmt.Sprintf(" (%s %s %s)", e.Step.Kind, e.Step.Section, e.Step.SourceID)
	}
	return fmt.Sprintf("sync: %s: tenant %s%s: %v", e.Class, e.Tenant, step, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ClassOf returns the class of an error Handle (or any Syncer method) returned: the Class of the
// *Error it wraps, or, for any other error, the class sync would give it. It returns "" for nil.
func ClassOf(err error) ErrorClass {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return classify(err)
}

// ErrNotConnected: the tenant has no Zoho connection; nothing was sent.
var ErrNotConnected = errors.New("sync: the tenant is not connected to Zoho")

// ErrTenantPaused: work for the tenant is paused (see Connection.Health); nothing was sent.
var ErrTenantPaused = errors.New("sync: the tenant is paused")

// classify decides the class of an error. An *AmbiguousError is looked at first: the write may
// exist, so the step stays pending and is reconciled before anything is sent again, which makes
// a retry safe.
func classify(err error) ErrorClass {
	var amb *zoho.AmbiguousError
	if errors.As(err, &amb) {
		return ClassRetry
	}
	switch {
	case errors.Is(err, ErrTenantPaused),
		errors.Is(err, zoho.ErrCreditsExhausted),
		errors.Is(err, zoho.ErrReconnectRequired),
		errors.Is(err, zoho.ErrScopeMismatch):
		return ClassTenantPaused
	case errors.Is(err, ErrLockHeld),
		errors.Is(err, zoho.ErrRateLimited),
		errors.Is(err, zoho.ErrTokenThrottled),
		errors.Is(err, zoho.ErrInvalidToken),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled):
		return ClassRetry
	case errors.Is(err, ErrNotConnected),
		errors.Is(err, zoho.ErrInvalidData),
		errors.Is(err, zoho.ErrMandatoryMissing),
		errors.Is(err, zoho.ErrDuplicateData),
		errors.Is(err, zoho.ErrNoPermission),
		errors.Is(err, zoho.ErrInvalidModule),
		errors.Is(err, zoho.ErrInvalidRecord),
		errors.Is(err, zoho.ErrRecordTooLarge):
		return ClassPermanent
	}
	var ve *rules.ValidationError
	if errors.As(err, &ve) {
		return ClassPermanent
	}
	var api *zoho.APIError
	if errors.As(err, &api) {
		if api.HTTPStatus >= 500 || api.HTTPStatus == 429 || api.HTTPStatus == 0 {
			return ClassRetry
		}
		if api.HTTPStatus >= 400 {
			return ClassPermanent
		}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return ClassRetry
	}
	return ClassRetry
}

// retryAfter is Zoho's Retry-After carried by err, if any.
func retryAfter(err error) time.Duration {
	var api *zoho.APIError
	if errors.As(err, &api) {
		return api.RetryAfter
	}
	return 0
}

// stepError is what the ledger keeps of err.
func stepError(err error) *StepError {
	se := &StepError{Class: classify(err), Message: err.Error()}
	se.NotApplied = notApplied(err)
	var api *zoho.APIError
	if errors.As(err, &api) {
		se.Code = api.Code
		if f, ok := api.Details["api_name"].(string); ok {
			se.Field = f
		}
	}
	return se
}

// notApplied reports whether err says for certain that the call changed nothing in Zoho: it was
// never sent, or Zoho refused it (a 4xx answer, or a record's own refusal in a batch answer).
// An ambiguous failure, Zoho's INTERNAL_ERROR (which may follow a write, even in a 200 answer),
// and anything else unknown are not.
func notApplied(err error) bool {
	var amb *zoho.AmbiguousError
	if errors.As(err, &amb) {
		return false
	}
	if errors.Is(err, zoho.ErrNotSent) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true // the client answers a call it sent and lost with an *AmbiguousError
	}
	var api *zoho.APIError
	if !errors.As(err, &api) || api.Code == "INTERNAL_ERROR" || api.HTTPStatus >= 500 {
		return false
	}
	if api.HTTPStatus >= 400 {
		return true
	}
	switch api.Code { // a record's own error in an answer that took the others
	case "INVALID_DATA", "MANDATORY_NOT_FOUND", "DUPLICATE_DATA", "NO_PERMISSION", "INVALID_MODULE", "LIMIT_EXCEEDED":
		return true
	}
	return false
}

// duplicateOf is the id of the record Zoho's DUPLICATE_DATA names as the one it keeps ("" for
// any other error): details.id, or details.duplicate_record.id.
func duplicateOf(err error) string {
	var api *zoho.APIError
	if err == nil || !errors.Is(err, zoho.ErrDuplicateData) || !errors.As(err, &api) {
		return ""
	}
	if id, ok := api.Details["id"].(string); ok && numericID(id) {
		return id
	}
	if d, ok := api.Details["duplicate_record"].(map[string]any); ok {
		if id, ok := d["id"].(string); ok && numericID(id) {
			return id
		}
	}
	return ""
}

// numericID: a Zoho record id's shape (digits), so that an odd answer names no record.
func numericID(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// errField is the field a Zoho INVALID_DATA error names ("" when none).
func errField(err error) string {
	var api *zoho.APIError
	if errors.As(err, &api) && errors.Is(err, zoho.ErrInvalidData) {
		f, _ := api.Details["api_name"].(string)
		return f
	}
	return ""
}
