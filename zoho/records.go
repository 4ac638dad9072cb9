package zoho

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Limits of Zoho's record APIs that the service enforces or works within.
const (
	// MaxWriteBatch is the most records Zoho takes in one insert, update, upsert or delete call.
	// Larger writes are split into calls of at most this many records.
	MaxWriteBatch = 100
	// DefaultMaxBodyBytes is the default budget for one write call's JSON body. Zoho documents no
	// limit for JSON bodies; calls are kept well under a few MB.
	DefaultMaxBodyBytes = 4 << 20
	// MaxPerPage is the largest page Zoho serves when listing records.
	MaxPerPage = 200
	// PagingLimit is how far Zoho pages without a page token: records beyond the 2,000th cannot be
	// reached with page and per_page.
	PagingLimit = 2000
)

// Trigger names for [WriteOptions.Trigger]: the automation a write may run.
const (
	TriggerWorkflow  = "workflow"
	TriggerApproval  = "approval"
	TriggerBlueprint = "blueprint"
)

// NoTriggers returns an empty, non-nil trigger list: with it, a write runs no workflow, approval
// or blueprint. (A nil list runs them all.)
func NoTriggers() []string { return []string{} }

// WriteOptions tune an insert or an update.
type WriteOptions struct {
	// Trigger lists the automation the write runs. nil (the default) leaves `trigger` out, and
	// Zoho runs all of them; an empty non-nil slice ([NoTriggers]) sends `"trigger": []`, and Zoho
	// runs none. Allowed names: [TriggerWorkflow], [TriggerApproval], [TriggerBlueprint].
	Trigger []string
	// BatchSize is how many records go in one call, 1..100 (default 100). Zoho counts writes of
	// more than 10 records against a lower "sub-concurrency" limit; 10 avoids that at the price of
	// more calls.
	BatchSize int
	// MaxBodyBytes is the budget for one call's body (default [DefaultMaxBodyBytes]). Batches are
	// cut so that no body exceeds it; a record that alone exceeds it fails with
	// [ErrRecordTooLarge] and is not sent.
	MaxBodyBytes int
}

// UpsertOptions tune an upsert.
type UpsertOptions struct {
	WriteOptions
	// DuplicateCheckFields are the API names of the fields Zoho checks, in order, to find the
	// record to update (system duplicate-check fields such as Leads' Email, or unique fields).
	// Empty: Zoho's default order, system-defined then user-defined unique fields.
	DuplicateCheckFields []string
}

// DeleteOptions tune a delete.
type DeleteOptions struct {
	// SkipWorkflow sends wf_trigger=false, so that the deletion runs no workflow rule. By default
	// Zoho runs them.
	SkipWorkflow bool
}

// ErrPagingLimit is matched (errors.Is) by the error that ends a page walk at Zoho's paging limit
// or at the walk's own bound: see [PagingLimitError].
var ErrPagingLimit = errors.New("zoho: paging limit reached")

// PagingLimitError ends a page walk (an iterator over a listing) that went as far as it may. Most
// often it is Zoho's paging limit: without a page token, Zoho serves only the first [PagingLimit]
// records of a listing. The records before it were delivered; narrow the listing
// (If-Modified-Since, a custom view, sorting by Modified_Time and resuming from the last one seen)
// to reach the rest. A walk also ends with it when the server would have it go on without end
// (Reason says how): more pages than the listing can hold, or a page token handed out twice.
type PagingLimitError struct {
	// Module names the walk: the module ("Leads"), "users", or "attachments of Leads/123".
	Module string
	// Delivered is how many items the walk delivered before it stopped.
	Delivered int
	// Limit is the limit in items that ended the walk: [PagingLimit] for Zoho's paging limit, the
	// most items the listing can hold for a walk's own bound, 0 when the walk stopped a server
	// that did not end.
	Limit int
	// Reason says why the walk stopped when it was not Zoho's paging limit ("" for that).
	Reason string
	// Err is Zoho's own error, when Zoho refused the page (nil when the client stopped first).
	Err error
}

// Error describes the limit.
func (e *PagingLimitError) Error() string {
	var s string
	if e.Reason != "" {
		s = fmt.Sprintf("zoho: listing %s stopped after %d items: %s", e.Module, e.Delivered, e.Reason)
	} else {
		s = fmt.Sprintf("zoho: listing %s stopped after %d records: Zoho pages at most %d records without a page token", e.Module, e.Delivered, e.Limit)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return oneLine(s)
}

// Is matches [ErrPagingLimit].
func (e *PagingLimitError) Is(target error) bool { return target == ErrPagingLimit }

// Unwrap returns Zoho's error, if any.
func (e *PagingLimitError) Unwrap() error { return e.Err }

// Insert creates records in module (POST /{module}). Writes of more than 100 records, or of more
// than the body budget, are split into several calls, made one after the other. To write one
// record, [RecordsService.InsertOne] returns its result and folds a refusal into the error.
//
// The results hold one [RecordResult] per input record, in input order, with Index set to the
// record's position: a record Zoho refused has its Err set (an *[APIError]; errors.Is(res.Err,
// ErrInvalidData) and so on) while the others are written — as in Zoho's 207 answers. The error
// return is for failures of a whole call (auth, rate limit, server error, invalid module…): the
// calls before it were made and their results are returned with it; the records of the failed
// call carry its error — an *[AmbiguousError] when Zoho may have written them (a server error, a
// lost connection, an unreadable success answer, the context ending while the call was in
// flight) — and later records carry [ErrNotSent]. An answer with a server error (5xx) is never
// read as per-record results, even when it holds items: its records' fate is unknown, so they
// carry the *AmbiguousError (for every write: insert, update, upsert, delete), and errors.As
// still finds Zoho's *[APIError] inside. The Response is the last call's. Insert is not retried
// after it reached Zoho (Zoho has no idempotency keys): use Upsert, with a duplicate-check value
// in every record, for writes that must be safe to repeat.
func (s *RecordsService) Insert(ctx context.Context, module string, records []*crm.Record, opts *WriteOptions) (RecordResults, *Response, error) {
	return writeRecords(ctx, s, module, "insert", records, opts, nil)
}

// Update changes records in module (PUT /{module}); each record must carry its id (see
// [crm.Record.SetID]) and only the fields to change. Splitting and results are as for [Insert].
//
// [Insert]: RecordsService.Insert
//
// A record read from Zoho sends only its id and the fields changed since it was read
// ([crm.Record.Changes]); one built by hand sends every field it holds.
func (s *RecordsService) Update(ctx context.Context, module string, records []*crm.Record, opts *WriteOptions) (RecordResults, *Response, error) {
	return writeRecords(ctx, s, module, "update", records, opts, nil)
}

// Upsert updates the record that matches each input on the duplicate-check fields, or inserts it
// when none matches (POST /{module}/upsert). Each result's Action says which ("insert" or
// "update") and DuplicateField which field matched. Splitting and results are as for [Insert].
//
// A call is replayed after a server error or a lost connection only when every one of its
// records has a value (a non-blank string or a number) in one of the duplicate-check fields:
// opts.DuplicateCheckFields, or when none are given the module's system duplicate-check field
// (Leads and Contacts Email, Accounts Account_Name, Deals Deal_Name, Cases Subject, …). A replay
// then finds what the first attempt wrote and updates it. A record without such a value is a
// plain insert for Zoho (every Task; a Lead without Email), so a call holding one is not replayed
// once it may have reached Zoho: like Insert, it fails with an *[AmbiguousError].
//
// [Insert]: RecordsService.Insert
func (s *RecordsService) Upsert(ctx context.Context, module string, records []*crm.Record, opts *UpsertOptions) (RecordResults, *Response, error) {
	return upsertRecords(ctx, s, module, records, opts)
}

// InsertOne creates one record in module, as [RecordsService.Insert] does, and returns its
// result. err is the call's error or, when Zoho refused the record, the record's own (res.Err, an
// *[APIError]: errors.Is(err, ErrInvalidData) and so on), so err == nil means the record was
// written and res.ID is its id:
//
//	res, _, err := client.Records.InsertOne(ctx, "Chat_Transcripts", rec, nil)
//	if err != nil { … }
//	id := res.ID
func (s *RecordsService) InsertOne(ctx context.Context, module string, record *crm.Record, opts *WriteOptions) (RecordResult, *Response, error) {
	return oneResult(writeRecords(ctx, s, module, "insert", []*crm.Record{record}, opts, nil))
}

// UpdateOne changes one record in module, as [RecordsService.Update] does; its result and error
// are as for [RecordsService.InsertOne].
func (s *RecordsService) UpdateOne(ctx context.Context, module string, record *crm.Record, opts *WriteOptions) (RecordResult, *Response, error) {
	return oneResult(writeRecords(ctx, s, module, "update", []*crm.Record{record}, opts, nil))
}

// UpsertOne inserts or updates one record in module, as [RecordsService.Upsert] does; its result
// and error are as for [RecordsService.InsertOne], and res.Action says which it was.
func (s *RecordsService) UpsertOne(ctx context.Context, module string, record *crm.Record, opts *UpsertOptions) (RecordResult, *Response, error) {
	return oneResult(upsertRecords(ctx, s, module, []*crm.Record{record}, opts))
}

// Get reads one record by id (GET /{module}/{id}). A record that does not exist (Zoho answers 204
// or an empty list) is an error matching [ErrNotFound].
func (s *RecordsService) Get(ctx context.Context, module, id string) (*crm.Record, *Response, error) {
	return getRecord[crm.Record](ctx, s, module, id)
}

// Delete deletes records by id (DELETE /{module}?ids=…), 100 ids per call. Results are one per
// id, in the order given, as for [Insert].
//
// [Insert]: RecordsService.Insert
func (s *RecordsService) Delete(ctx context.Context, module string, ids []string, opts *DeleteOptions) (RecordResults, *Response, error) {
	if s == nil {
		return nil, nil, errNilRecords
	}
	return s.deleteIDs(ctx, module, ids, opts)
}

// checkModuleCall refuses, before anything is sent, a nil context and an invalid module name.
func checkModuleCall(ctx context.Context, module string) error {
	if ctx == nil {
		return errors.New("zoho: nil context")
	}
	return validateModule(module)
}

// validateModule checks a module API name: letters, digits and underscores, as Zoho's module API
// names (standard and custom) are.
func validateModule(module string) error {
	if module == "" {
		return errors.New("zoho: empty module name")
	}
	if len(module) > 100 {
		return fmt.Errorf("zoho: module name %q is too long", module[:100])
	}
	for _, r := range module {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("zoho: %q is not a module API name (letters, digits and _ only)", module)
		}
	}
	return nil
}

func validateRecordID(id string) error {
	if id == "" {
		return errors.New("zoho: empty record id")
	}
	if strings.ContainsAny(id, ",/?#") || strings.TrimSpace(id) != id || len(id) > 100 {
		return fmt.Errorf("zoho: %q is not a record id", id)
	}
	return nil
}

func (o *WriteOptions) validate() error {
	if o == nil {
		return nil
	}
	if o.BatchSize < 0 || o.BatchSize > MaxWriteBatch {
		return fmt.Errorf("zoho: WriteOptions.BatchSize %d is out of range 1..%d", o.BatchSize, MaxWriteBatch)
	}
	if o.MaxBodyBytes < 0 {
		return fmt.Errorf("zoho: WriteOptions.MaxBodyBytes %d is negative", o.MaxBodyBytes)
	}
	for _, t := range o.Trigger {
		switch t {
		case TriggerWorkflow, TriggerApproval, TriggerBlueprint:
		default:
			return fmt.Errorf("zoho: WriteOptions.Trigger: unknown trigger %q (known: workflow, approval, blueprint)", t)
		}
	}
	return nil
}
