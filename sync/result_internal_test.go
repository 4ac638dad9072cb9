package sync

import (
	"context"
	"errors"
	"testing"

	"github.com/cloudcx/cxzoho/zoho"
)

// An insert Zoho answers with success for a record but without its id may have made it: the
// error is ambiguous (the step is reconciled by its marker, never sent again blindly), and only
// a record the answer does not reach at all was not sent.
func TestResultOfSuccessWithoutIDIsAmbiguous(t *testing.T) {
	var amb *zoho.AmbiguousError
	if _, err := resultOf(zoho.RecordResults{{Code: "SUCCESS", Status: "success"}}, 0, nil); !errors.As(err, &amb) {
		t.Fatalf("success without an id: %v, want an *zoho.AmbiguousError", err)
	}
	if id, err := resultOf(zoho.RecordResults{{Code: "SUCCESS", Status: "success", ID: "42"}}, 0, nil); id != "42" || err != nil {
		t.Fatalf("success: %q, %v", id, err)
	}
	if _, err := resultOf(nil, 0, nil); !errors.Is(err, zoho.ErrNotSent) || errors.As(err, &amb) {
		t.Fatalf("no answer for the record and no error: %v, want zoho.ErrNotSent", err)
	}
	if se := stepError(errors.Join(&zoho.AmbiguousError{Method: "POST"})); se.NotApplied {
		t.Fatal("an ambiguous error's step error says NotApplied")
	}
	if se := stepError(zoho.ErrNotSent); !se.NotApplied {
		t.Fatal("a call never sent: its step error must say NotApplied")
	}
}

// NotApplied only when the error says for certain that Zoho changed nothing.
func TestNotApplied(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"429", &zoho.APIError{HTTPStatus: 429, Code: "TOO_MANY_REQUESTS"}, true},
		{"400 INVALID_DATA", &zoho.APIError{HTTPStatus: 400, Code: "INVALID_DATA"}, true},
		{"a record's refusal in a 202 answer", &zoho.APIError{HTTPStatus: 202, Code: "MANDATORY_NOT_FOUND"}, true},
		{"INTERNAL_ERROR in a 200 answer", &zoho.APIError{HTTPStatus: 200, Code: "INTERNAL_ERROR"}, false},
		{"INTERNAL_ERROR in a 400 answer", &zoho.APIError{HTTPStatus: 400, Code: "INTERNAL_ERROR"}, false},
		{"500", &zoho.APIError{HTTPStatus: 500, Code: "X"}, false},
		{"an unknown code in a 200 answer", &zoho.APIError{HTTPStatus: 200, Code: "SOMETHING_NEW"}, false},
		{"ambiguous 400", &zoho.AmbiguousError{Err: &zoho.APIError{HTTPStatus: 400, Code: "INVALID_DATA"}}, false},
		{"never sent", zoho.ErrNotSent, true},
		{"cancelled before sending", context.Canceled, true},
		{"something else", errors.New("store down"), false},
	} {
		if got := notApplied(tc.err); got != tc.want {
			t.Errorf("%s: notApplied = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// DUPLICATE_DATA names the record Zoho keeps in details.id or details.duplicate_record.id; any
// other error, or an id of another shape, names none.
func TestDuplicateOf(t *testing.T) {
	dup := func(d map[string]any) error {
		return &zoho.APIError{HTTPStatus: 400, Code: "DUPLICATE_DATA", Details: d}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{dup(map[string]any{"api_name": "Email", "id": "4150868000000225227"}), "4150868000000225227"},
		{dup(map[string]any{"duplicate_record": map[string]any{"id": "42"}}), "42"},
		{dup(map[string]any{"id": "../42"}), ""},
		{dup(nil), ""},
		{&zoho.APIError{HTTPStatus: 400, Code: "INVALID_DATA", Details: map[string]any{"id": "42"}}, ""},
		{nil, ""},
	} {
		if got := duplicateOf(tc.err); got != tc.want {
			t.Errorf("duplicateOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
