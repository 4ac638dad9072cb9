package zoho

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Errors of individual records in a batch write, matched with errors.Is against
// [RecordResult.Err].
var (
	// ErrNotSent: the record was never sent, because an earlier call of the same batch write
	// failed as a whole (the cause of that failure is wrapped too, but never as an
	// *AmbiguousError: this record's fate is known). Sending it again is safe.
	ErrNotSent = errors.New("zoho: record not sent: an earlier call of the batch failed")
	// ErrRecordTooLarge: the record alone is larger than the request body budget.
	ErrRecordTooLarge = errors.New("zoho: record too large for one request")
	// ErrInvalidRecord: the record could not be encoded, was nil, or lacks what the operation
	// needs (an update without an id).
	ErrInvalidRecord = errors.New("zoho: invalid record")
)

// RecordResult is the outcome of one input record of a write (insert, update, upsert, delete).
// Zoho answers a batch with one item per record, in input order, whatever the HTTP status (201,
// 200, 207 mixed, or 400 when all failed); each becomes a RecordResult. Items of an answer with a
// server error (5xx) are not final and are not used: see Err.
type RecordResult struct {
	// Index is the record's position in the caller's input (or in the ids given to Delete).
	Index int
	// Code is Zoho's code: "SUCCESS", or an error code such as "INVALID_DATA",
	// "MANDATORY_NOT_FOUND", "DUPLICATE_DATA". It is "" when the record got no answer from Zoho
	// (see Err).
	Code string
	// Status is Zoho's status word, "success" or "error" ("" when Zoho did not answer).
	Status string
	// Message is Zoho's message ("record added", "the field api name given seems to be invalid").
	Message string
	// Details is Zoho's details object: for a success the record's id, Created_Time,
	// Modified_Time, Created_By, Modified_By; for an error the api_name, json_path,
	// expected_data_type, maximum_length, … of the field at fault.
	Details map[string]any
	// ID is details.id: the id of the written record (for DUPLICATE_DATA, the existing record's).
	ID string
	// Action is the upsert's action: "insert" or "update" ("" for other writes).
	Action string
	// DuplicateField is the upsert's duplicate_field: the field that matched an existing record,
	// "" when none did.
	DuplicateField string
	// Err is nil when the record was written. Otherwise it says why not: an *[APIError] with
	// Zoho's code for a record Zoho refused (errors.Is(res.Err, ErrInvalidData) works), the call's
	// error for the records of a call that failed as a whole (an *[AmbiguousError] when Zoho may
	// have written them, as after any server error, whatever Zoho's answer said per record), or
	// [ErrNotSent], [ErrRecordTooLarge], [ErrInvalidRecord] for records that were not sent.
	// errors.As(res.Err, &amb) holds exactly for the records whose fate is unknown.
	Err error
}

// String describes the result in one line.
func (r RecordResult) String() string {
	if r.Err != nil {
		return fmt.Sprintf("#%d: %v", r.Index, r.Err)
	}
	s := fmt.Sprintf("#%d: %s %s", r.Index, r.Code, r.ID)
	if r.Action != "" {
		s += " (" + r.Action + ")"
	}
	return s
}

// RecordResults are the results of a batch write, one per input record, in input order.
type RecordResults []RecordResult

// Failed returns the results of the records that were not written.
func (rs RecordResults) Failed() RecordResults {
	var out RecordResults
	for _, r := range rs {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}

// Succeeded returns the results of the records that were written.
func (rs RecordResults) Succeeded() RecordResults {
	var out RecordResults
	for _, r := range rs {
		if r.Err == nil {
			out = append(out, r)
		}
	}
	return out
}

// IDs returns the written records' ids in input order: ids[i] belongs to the result with Index i,
// "" where that record was not written. Its length is one more than the largest Index.
func (rs RecordResults) IDs() []string {
	n := 0
	for _, r := range rs {
		n = max(n, r.Index+1)
	}
	ids := make([]string, n)
	for _, r := range rs {
		if r.Err == nil && r.Index >= 0 {
			ids[r.Index] = r.ID
		}
	}
	return ids
}

// Err joins the errors of the failed records (nil when all were written). Each is prefixed with
// the record's index.
func (rs RecordResults) Err() error {
	var errs []error
	for _, r := range rs {
		if r.Err != nil {
			errs = append(errs, &indexedError{index: r.Index, err: r.Err})
		}
	}
	return errors.Join(errs...)
}

type indexedError struct {
	index int
	err   error
}

func (e *indexedError) Error() string { return fmt.Sprintf("record #%d: %v", e.index, e.err) }
func (e *indexedError) Unwrap() error { return e.err }

// resultItem is one item of Zoho's data[] answer to a write.
type resultItem struct {
	Code           string          `json:"code"`
	Status         string          `json:"status"`
	Message        string          `json:"message"`
	Details        json.RawMessage `json:"details"`
	Action         string          `json:"action"`
	DuplicateField *string         `json:"duplicate_field"`
}

// toResult turns a Zoho item into a RecordResult; failed items get an *APIError carrying the
// call's identity.
func (it resultItem) toResult(index, httpStatus int, method, path string, attempts int) RecordResult {
	res := RecordResult{Index: index, Code: it.Code, Status: it.Status, Message: it.Message, Action: it.Action}
	if it.DuplicateField != nil {
		res.DuplicateField = *it.DuplicateField
	}
	if len(it.Details) > 0 && it.Details[0] == '{' {
		_ = json.Unmarshal(it.Details, &res.Details)
		if id, ok := res.Details["id"].(string); ok {
			res.ID = id
		}
	}
	ok := (it.Status == "success" || it.Status == "") && (it.Code == "SUCCESS" || it.Code == "") && it.Status+it.Code != ""
	if !ok {
		// Zoho may echo input in an item's message or details: scrub anything shaped like a
		// credential, as for whole-call errors (defence in depth; requests carry no token in
		// their bodies).
		res.Message = oneLine(scrubAuth(res.Message, ""))
		if d, ok := scrubAuthValue(res.Details, "").(map[string]any); ok {
			res.Details = d
		}
		res.Err = &APIError{HTTPStatus: httpStatus, Code: it.Code, Message: res.Message, Status: it.Status,
			Details: res.Details, Method: method, Path: path, Attempts: attempts}
	}
	return res
}
