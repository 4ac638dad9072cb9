package sync

import (
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
