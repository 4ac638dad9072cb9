package zoho

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
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

func TestFailedItemScrubsEchoedCredentials(t *testing.T) {
	it := resultItem{Code: "INVALID_DATA", Status: "error",
		Message: "bad value Zoho-oauthtoken 1000.abcdef0123456789.deadbeef\nforged: line",
		Details: []byte(`{"api_name":"Email","echo":"Authorization: Zoho-oauthtoken 1000.abcdef0123456789.deadbeef"}`)}
	res := it.toResult(3, 207, "POST", "/crm/v2/Leads", 1)
	msg := res.Err.Error() + res.Message + fmt.Sprint(res.Details)
	if strings.Contains(msg, "1000.abcdef0123456789") || strings.Contains(res.Message, "\n") {
		t.Fatalf("credential or newline kept: %q", msg)
	}
	if !errors.Is(res.Err, ErrInvalidData) || res.Index != 3 {
		t.Fatalf("result = %+v", res)
	}
}
