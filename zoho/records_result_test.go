package zoho

import (
	"errors"
	"reflect"
	"testing"
)

func TestRecordResultsHelpers(t *testing.T) {
	apiErr := &APIError{Code: "INVALID_DATA", Status: "error"}
	rs := RecordResults{
		{Index: 0, Code: "SUCCESS", ID: "a"},
		{Index: 1, Code: "INVALID_DATA", Err: apiErr},
		{Index: 2, Code: "SUCCESS", ID: "c", Action: "insert"},
	}
	if got := rs.IDs(); !reflect.DeepEqual(got, []string{"a", "", "c"}) {
		t.Fatalf("IDs = %q", got)
	}
	if f := rs.Failed(); len(f) != 1 || f[0].Index != 1 {
		t.Fatalf("Failed = %v", f)
	}
	if s := rs.Succeeded(); len(s) != 2 {
		t.Fatalf("Succeeded = %v", s)
	}
	if err := rs.Err(); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("Err = %v", err)
	}
	if (RecordResults{{Index: 0}}).Err() != nil {
		t.Fatal("no failures, no error")
	}
}
