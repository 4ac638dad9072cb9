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

// The one implementation of batch writes and deletes behind [RecordsService] and [ModuleService]:
// batches cut by count and body size, per-record results mapped back to the caller's order, and
// what may be replayed.

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
	envelope
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

func (e *notSentError) Error() string { return ErrNotSent.Error() + ": " + e.cause.Error() }

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
