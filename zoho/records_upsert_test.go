package zoho

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/jarcoal/httpmock"
)

// An upsert is a plain insert for a record with no value in any duplicate-check field, so it may
// be replayed only when every record of the call has one. Otherwise a 502 after Zoho may have
// applied it is ambiguous, as for Insert.
func TestUpsertReplayedOnlyWhenEveryRecordHasADuplicateCheckValue(t *testing.T) {
	rec := func(kv ...any) *crm.Record {
		r := crm.NewRecord()
		for i := 0; i < len(kv); i += 2 {
			_ = r.Set(kv[i].(string), kv[i+1])
		}
		return r
	}
	cases := []struct {
		name   string
		module string
		dup    []string
		recs   []*crm.Record
		replay bool
	}{
		{"Tasks have no duplicate field", "Tasks", nil, []*crm.Record{rec("Subject", "Call back")}, false},
		{"Leads without Email", "Leads", nil, []*crm.Record{rec("Last_Name", "A", "Email", "a@x.test"), rec("Last_Name", "B")}, false},
		{"Leads with an empty Email", "Leads", nil, []*crm.Record{rec("Last_Name", "A", "Email", "  ")}, false},
		{"Leads with a null Email", "Leads", nil, []*crm.Record{rec("Last_Name", "A", "Email", nil)}, false},
		{"Leads with Email", "Leads", nil, []*crm.Record{rec("Last_Name", "A", "Email", "a@x.test"), rec("Last_Name", "B", "Email", "b@x.test")}, true},
		{"Cases with Subject", "Cases", nil, []*crm.Record{rec("Subject", "Chat 1")}, true},
		{"checked fields the records lack", "Leads", []string{"Phone"}, []*crm.Record{rec("Last_Name", "A", "Email", "a@x.test")}, false},
		{"each record one checked field", "Leads", []string{"Phone", "Email"}, []*crm.Record{rec("Email", "a@x.test"), rec("Phone", "+1 555 0100")}, true},
		{"a custom module without checked fields", "Chat_Transcripts", nil, []*crm.Record{rec("Name", "x")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			var calls atomic.Int32
			mt.RegisterResponder("POST", apiBase+tc.module+"/upsert", func(*http.Request) (*http.Response, error) {
				if calls.Add(1) == 1 {
					return httpmock.NewStringResponse(502, `<html>Bad Gateway</html>`), nil
				}
				return httpmock.NewStringResponse(200, okItems(len(tc.recs), "7")), nil
			})
			var opts *UpsertOptions
			if tc.dup != nil {
				opts = &UpsertOptions{DuplicateCheckFields: tc.dup}
			}
			res, _, err := c.Records.Upsert(t.Context(), tc.module, tc.recs, opts)
			var amb *AmbiguousError
			if tc.replay {
				if err != nil || calls.Load() != 2 || res.Err() != nil {
					t.Fatalf("want a replay: err %v, %d calls, %v", err, calls.Load(), res.Err())
				}
				return
			}
			if !errors.As(err, &amb) || amb.StatusCode != 502 || calls.Load() != 1 {
				t.Fatalf("want no replay and an *AmbiguousError: err %v, %d calls", err, calls.Load())
			}
			for _, r := range res {
				if !errors.As(r.Err, &amb) {
					t.Fatalf("record %d: %v", r.Index, r.Err)
				}
			}
		})
	}
}

// Replaying is decided per call: the call whose records all have a duplicate-check value is
// replayed, the next one, with a record that has none, is not.
func TestUpsertReplayDecidedPerCall(t *testing.T) {
	c, mt := newMockClient(t)
	var calls atomic.Int32
	mt.RegisterResponder("POST", apiBase+"Leads/upsert", func(req *http.Request) (*http.Response, error) {
		n := countData(t, bodyOf(t, req))
		if calls.Add(1)%2 == 1 {
			return httpmock.NewStringResponse(503, `{"code":"INTERNAL_ERROR","status":"error","message":"x","details":{}}`), nil
		}
		return httpmock.NewStringResponse(200, okItems(n, "7")), nil
	})
	recs := make([]*crm.Record, 3)
	for i := range recs {
		recs[i] = crm.NewRecord()
		_ = recs[i].Set("Last_Name", "L")
		if i < 2 {
			_ = recs[i].Set("Email", "l@x.test")
		}
	}
	res, _, err := c.Records.Upsert(t.Context(), "Leads", recs, &UpsertOptions{WriteOptions: WriteOptions{BatchSize: 2}})
	var amb *AmbiguousError
	if !errors.As(err, &amb) || calls.Load() != 3 || res[0].Err != nil || res[1].Err != nil || !errors.As(res[2].Err, &amb) {
		t.Fatalf("err %v, %d calls, %v", err, calls.Load(), res)
	}
}
