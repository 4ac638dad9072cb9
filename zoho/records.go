package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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

// writeOp describes one kind of batch write.
type writeOp struct {
	name      string // for errors: "insert", "update", "upsert"
	method    string
	suffix    string // path after the module: "" or "upsert"
	needID    bool
	upsert    bool // replayable per call, when every record has a duplicate-check value
	trigger   []string
	dupFields []string
	batchSize int
	maxBody   int
}

// writeBody is the JSON body of a write call.
type writeBody struct {
	Data                 []json.RawMessage `json:"data"`
	Trigger              []string          `json:"trigger,omitzero"`
	DuplicateCheckFields []string          `json:"duplicate_check_fields,omitempty"`
}

// writeAnswer is Zoho's answer to a write call, with the HTTP status and attempts it came with.
type writeAnswer struct {
	Data             []resultItem `json:"data"`
	status, attempts int
}

// notSentError is the Err of a record that was not sent because an earlier call failed. Its
// fate is known, so it never wraps an *AmbiguousError (see notSent).
type notSentError struct{ cause error }

// notSent is the Err of a record not sent because of the failed call's error callErr: it wraps
// [ErrNotSent] and the cause, and when the failed call was ambiguous, the cause under the
// *AmbiguousError, so that errors.As(err, &amb) holds only for records whose fate is unknown.
func notSent(callErr error) error {
	if amb, ok := callErr.(*AmbiguousError); ok && amb.Err != nil {
		callErr = amb.Err
	}
	return &notSentError{cause: callErr}
}

func (e *notSentError) Error() string   { return ErrNotSent.Error() + ": " + e.cause.Error() }
func (e *notSentError) Unwrap() []error { return []error{ErrNotSent, e.cause} }

// write is the one implementation of batch writes: it encodes every record, plans calls of at most
// batchSize records and maxBody bytes, makes them in order, and maps Zoho's items back to the
// caller's indexes. raws[i] is record i encoded, or nil with encErrs[i] set.
func (s *RecordsService) write(ctx context.Context, module string, op writeOp, raws []json.RawMessage, encErrs []error) (RecordResults, *Response, error) {
	if err := checkModuleCall(ctx, module); err != nil {
		return nil, nil, err
	}
	if len(raws) == 0 {
		return nil, nil, nil
	}
	path, err := PathJoin(module)
	if err != nil {
		return nil, nil, err
	}
	if op.suffix != "" {
		path += "/" + op.suffix
	}
	results := make(RecordResults, len(raws))
	for i := range results {
		results[i].Index = i
		if encErrs[i] != nil {
			results[i].Err = encErrs[i]
		}
	}
	// The envelope without records: its size plus each record and a comma must fit the budget.
	envelope, err := crm.Marshal(writeBody{Data: []json.RawMessage{}, Trigger: op.trigger, DuplicateCheckFields: op.dupFields})
	if err != nil {
		return nil, nil, fmt.Errorf("zoho: encoding %s options: %w", op.name, err)
	}
	var batches [][]int
	var cur []int
	curSize := len(envelope)
	for i, raw := range raws {
		if results[i].Err != nil {
			continue
		}
		if op.needID {
			if rec, err := crm.ParseRecord(raw); err != nil || rec.Text("id") == "" {
				results[i].Err = fmt.Errorf("%w: an %s needs the record's id", ErrInvalidRecord, op.name)
				continue
			}
		}
		size := len(raw) + 1
		if len(envelope)+len(raw) > op.maxBody {
			results[i].Err = fmt.Errorf("%w: %d bytes, the budget is %d", ErrRecordTooLarge, len(raw), op.maxBody)
			continue
		}
		if len(cur) == op.batchSize || (len(cur) > 0 && curSize+size > op.maxBody) {
			batches = append(batches, cur)
			cur, curSize = nil, len(envelope)
		}
		cur = append(cur, i)
		curSize += size
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}

	var last *Response
	for b, batch := range batches {
		unsent := b + 1
		var callErr error
		if err := ctx.Err(); err != nil {
			callErr, unsent = err, b // cancelled before this call: it was not sent
		} else {
			var resp *Response
			replayable := op.upsert && upsertReplayable(module, op.dupFields, raws, batch)
			resp, callErr = s.writeBatch(ctx, op, path, raws, batch, replayable, results)
			if resp != nil {
				last = resp
			}
		}
		if callErr != nil {
			if unsent > b {
				for _, i := range batch {
					results[i].Err = callErr
				}
			}
			for _, later := range batches[unsent:] {
				for _, i := range later {
					results[i].Err = notSent(callErr)
				}
			}
			return results, last, callErr
		}
	}
	return results, last, nil
}

// writeBatch makes one call and fills the results of its records. It returns an error only when
// the call failed as a whole.
func (s *RecordsService) writeBatch(ctx context.Context, op writeOp, path string, raws []json.RawMessage, batch []int, replayable bool, results RecordResults) (*Response, error) {
	body := writeBody{Data: make([]json.RawMessage, len(batch)), Trigger: op.trigger, DuplicateCheckFields: op.dupFields}
	for k, i := range batch {
		body.Data[k] = raws[i]
	}
	var ropts []RequestOption
	if replayable {
		ropts = append(ropts, Idempotent())
	}
	req, err := s.client.NewRequest(op.method, path, nil, body, ropts...)
	if err != nil {
		return nil, err
	}
	ans, resp, err := s.doWrite(ctx, req, func(n int) bool { return n == len(batch) })
	if err != nil {
		return resp, err
	}
	method, fullPath := req.Method, s.client.fullPath(req)
	for k, i := range batch {
		if k >= len(ans.Data) {
			// Zoho took the call but said nothing of this record: it may or may not exist.
			results[i].Err = &AmbiguousError{Method: method, Path: fullPath, StatusCode: ans.status,
				Err: fmt.Errorf("the answer (HTTP %d) holds no result for this record", ans.status)}
			continue
		}
		results[i] = ans.Data[k].toResult(i, ans.status, method, fullPath, ans.attempts)
	}
	return resp, nil
}

// doWrite sends a write or delete and returns Zoho's per-record answer. A call that failed for
// every record comes as a 4xx whose body still holds the per-record items ({"data":[…]}): when
// fits(number of items) holds, those are the answer, not a failure of the call. Items are final
// only in answers below 500: a call that may have been applied (an *AmbiguousError, checked first
// since it wraps Zoho's error) or that ended with a server error (after the retries of a call that
// may be replayed) fails as a whole with an *AmbiguousError, so that each of its records says its
// fate is unknown rather than carry a temporary error that invites a blind resend.
func (s *RecordsService) doWrite(ctx context.Context, req *Request, fits func(n int) bool) (*writeAnswer, *Response, error) {
	var ans writeAnswer
	resp, err := s.client.Do(ctx, req, &ans)
	if err != nil {
		var amb *AmbiguousError
		if errors.As(err, &amb) {
			return nil, resp, err
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			return nil, resp, err
		}
		if apiErr.HTTPStatus >= 500 {
			return nil, resp, &AmbiguousError{Method: apiErr.Method, Path: apiErr.Path, StatusCode: apiErr.HTTPStatus, Err: err}
		}
		var failed writeAnswer
		if len(apiErr.Body) == 0 || json.Unmarshal(apiErr.Body, &failed) != nil || !fits(len(failed.Data)) {
			return nil, resp, err
		}
		failed.status, failed.attempts = apiErr.HTTPStatus, apiErr.Attempts
		return &failed, resp, nil
	}
	ans.status, ans.attempts = resp.StatusCode, resp.Attempts
	return &ans, resp, nil
}

// upsertReplayable reports whether an upsert of the records at batch may be sent again after Zoho
// may have applied it. A record with no value in any duplicate-check field is a plain insert, and
// a replay would insert it twice; a record with one is found by the replay and updated. The fields
// checked are dupFields, else the module's system duplicate-check field (Zoho then also checks
// user-defined unique fields, which the client does not know, so they are not counted).
func upsertReplayable(module string, dupFields []string, raws []json.RawMessage, batch []int) bool {
	if len(dupFields) == 0 {
		f := systemDupField(module)
		if f == "" {
			return false
		}
		dupFields = []string{f}
	}
	for _, i := range batch {
		rec, err := crm.ParseRecord(raws[i])
		if err != nil || !slices.ContainsFunc(dupFields, func(f string) bool { return hasValue(rec, f) }) {
			return false
		}
	}
	return true
}

// hasValue reports whether field holds a value Zoho can match on: a string that is not blank, or
// a number.
func hasValue(rec *crm.Record, field string) bool {
	raw, ok := rec.Raw(field)
	if !ok {
		return false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x) != ""
	case float64:
		return true
	}
	return false
}

// systemDupField is the system duplicate-check field of upsert in module, "" for none (Tasks,
// Calls, custom modules…): Leads and Contacts Email, Accounts Account_Name, Deals Deal_Name, Cases
// and the inventory modules Subject, … (Kaizen #56, "Upsert Records API"; zoho-api.md §2.3).
func systemDupField(module string) string {
	switch module {
	case "Leads", "Contacts":
		return "Email"
	case "Accounts":
		return "Account_Name"
	case "Deals":
		return "Deal_Name"
	case "Cases", "Quotes", "Sales_Orders", "Purchase_Orders", "Invoices":
		return "Subject"
	case "Campaigns":
		return "Campaign_Name"
	case "Solutions":
		return "Solution_Title"
	case "Products":
		return "Product_Name"
	case "Vendors":
		return "Vendor_Name"
	case "Price_Books":
		return "Price_Book_Name"
	}
	return ""
}

// encodeAll encodes each record; nil records and encoding failures become per-record errors.
func encodeAll[T any](records []*T) ([]json.RawMessage, []error) {
	raws := make([]json.RawMessage, len(records))
	errs := make([]error, len(records))
	for i, r := range records {
		if r == nil {
			errs[i] = fmt.Errorf("%w: nil record", ErrInvalidRecord)
			continue
		}
		b, err := crm.Marshal(r)
		if err != nil {
			errs[i] = fmt.Errorf("%w: %w", ErrInvalidRecord, err)
			continue
		}
		if len(b) == 0 || b[0] != '{' {
			errs[i] = fmt.Errorf("%w: it does not encode as a JSON object", ErrInvalidRecord)
			continue
		}
		raws[i] = b
	}
	return raws, errs
}

func (s *RecordsService) writeOpFor(name string, o *WriteOptions) (writeOp, error) {
	if err := o.validate(); err != nil {
		return writeOp{}, err
	}
	op := writeOp{name: name, batchSize: MaxWriteBatch, maxBody: DefaultMaxBodyBytes}
	switch name {
	case "insert":
		op.method = http.MethodPost
	case "update":
		op.method, op.needID = http.MethodPut, true
	case "upsert":
		op.method, op.suffix, op.upsert = http.MethodPost, "upsert", true
	}
	if o != nil {
		op.trigger = o.Trigger
		if o.BatchSize > 0 {
			op.batchSize = o.BatchSize
		}
		if o.MaxBodyBytes > 0 {
			op.maxBody = o.MaxBodyBytes
		}
	}
	return op, nil
}

// deleteIDs deletes ids in calls of 100 and maps the answers to the ids' positions.
func (s *RecordsService) deleteIDs(ctx context.Context, module string, ids []string, opts *DeleteOptions) (RecordResults, *Response, error) {
	if err := checkModuleCall(ctx, module); err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		if err := validateRecordID(id); err != nil {
			return nil, nil, err
		}
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	path, err := PathJoin(module)
	if err != nil {
		return nil, nil, err
	}
	results := make(RecordResults, len(ids))
	for i := range results {
		results[i].Index = i
	}
	var last *Response
	for start := 0; start < len(ids); start += MaxWriteBatch {
		end := min(start+MaxWriteBatch, len(ids))
		if err := ctx.Err(); err != nil { // cancelled: this call and the later ones are not sent
			for i := start; i < len(ids); i++ {
				results[i].Err = notSent(err)
			}
			return results, last, err
		}
		resp, callErr := s.deleteBatch(ctx, path, ids, start, end, opts, results)
		if resp != nil {
			last = resp
		}
		if callErr == nil {
			continue
		}
		for i := start; i < end; i++ {
			results[i].Err = callErr
		}
		for i := end; i < len(ids); i++ {
			results[i].Err = notSent(callErr)
		}
		return results, last, callErr
	}
	return results, last, nil
}

func (s *RecordsService) deleteBatch(ctx context.Context, path string, ids []string, start, end int, opts *DeleteOptions, results RecordResults) (*Response, error) {
	q := url.Values{"ids": {strings.Join(ids[start:end], ",")}}
	if opts != nil && opts.SkipWorkflow {
		q.Set("wf_trigger", "false")
	}
	req, err := s.client.NewRequest(http.MethodDelete, path, q, nil)
	if err != nil {
		return nil, err
	}
	ans, resp, err := s.doWrite(ctx, req, func(n int) bool { return n > 0 && n <= end-start })
	if err != nil {
		return resp, err
	}
	method, fullPath := req.Method, s.client.fullPath(req)
	n := end - start
	if len(ans.Data) == n { // one item per id, in order
		for k := range n {
			results[start+k] = ans.Data[k].toResult(start+k, ans.status, method, fullPath, ans.attempts)
		}
		return resp, nil
	}
	// Otherwise match items to ids by details.id.
	got := make([]bool, n)
	for _, it := range ans.Data {
		r := it.toResult(0, ans.status, method, fullPath, ans.attempts)
		for k := range n {
			if !got[k] && r.ID != "" && ids[start+k] == r.ID {
				r.Index = start + k
				results[start+k], got[k] = r, true
				break
			}
		}
	}
	for k := range n {
		if !got[k] {
			results[start+k].Err = fmt.Errorf("zoho: %s %s: Zoho's answer (HTTP %d) holds no result for id %s", method, fullPath, ans.status, ids[start+k])
		}
	}
	return resp, nil
}
