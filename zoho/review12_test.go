package zoho

// Adversarial review of issue 12 (branch review12): each test fails on main at the time of the
// review and names the item it attacks.

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/jarcoal/httpmock"
)

// Item 9: WithEndpoints must refuse a base URL with a path ("…/crm/v2" gave /crm/v2/crm/v2/users
// and an error naming /crm/v2/users), and say which URL to give instead.
func TestReview12BaseURLWithAPathIsRefused(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8089/crm/v2", "https://proxy.example.com/zoho"} {
		if _, err := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: u})); err == nil {
			t.Errorf("WithEndpoints(Endpoints{API: %q}) accepted: requests go to %s/crm/v2/…", u, u)
		}
	}
}

// Item 7: read → change one field → update must send only what changed, not every field read
// (Created_Time, Full_Name, $approved, Owner, custom fields…), which overwrites what others
// changed meanwhile.
func TestReview12UpdateAfterReadSendsOnlyTheChangedField(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", apiBase+"Leads/7", httpmock.NewStringResponder(200,
		`{"data":[{"id":"7","Last_Name":"Doe","Full_Name":"Jane Doe","Created_Time":"2024-01-02T03:04:05+00:00","$approved":true,"Owner":{"id":"1","name":"A"},"Custom_1":"x"}]}`))
	var sent map[string]json.RawMessage
	mt.RegisterResponder("PUT", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		var b struct{ Data []map[string]json.RawMessage }
		_ = json.Unmarshal([]byte(bodyOf(t, req)), &b)
		if len(b.Data) == 1 {
			sent = b.Data[0]
		}
		return httpmock.NewStringResponse(200, okItems(1, "7")), nil
	})
	rec, _, err := c.Records.Get(t.Context(), "Leads", "7")
	if err != nil {
		t.Fatal(err)
	}
	_ = rec.Set("Phone", "+1 555 0100")
	if _, _, err := c.Records.Update(t.Context(), "Leads", []*crm.Record{rec}, nil); err != nil {
		t.Fatal(err)
	}
	for k := range sent {
		if k != "id" && k != "Phone" {
			t.Errorf("the update sent %s, which the caller did not change (sent %d fields)", k, len(sent))
		}
	}
}

// Item 2: a 2xx answer holding fewer items than records sent leaves the missing records' fate
// unknown (Zoho took the call), so they must carry an *AmbiguousError, as RecordResult.Err
// promises ("errors.As(res.Err, &amb) holds exactly for the records whose fate is unknown").
// Today they carry a plain error, which invites a blind resend of an insert.
func TestReview12RecordMissingFromASuccessAnswerIsAmbiguous(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("POST", apiBase+"Leads", httpmock.NewStringResponder(201, okItems(1, "id")))
	res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	var amb *AmbiguousError
	if res[0].Err != nil || !errors.As(res[1].Err, &amb) {
		t.Fatalf("record 1 had no item in a 201 answer: %v, want an *AmbiguousError", res[1].Err)
	}
}

// Item 2: an upsert that may be replayed (every record has its Email) and whose every attempt
// lost its connection after the request was written: Zoho may have applied it, so each record
// must say its fate is unknown, as a 5xx answer to the same call does (doWrite turns those into
// an *AmbiguousError for every write). Today it is a plain error.
func TestReview12ReplayableUpsertLostAfterSendingIsAmbiguous(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.ReadAll(r.Body)
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	c, err := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: srv.URL}), WithRetryPolicy(fastRetry))
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := c.Records.Upsert(t.Context(), "Leads", keyedLeads(1), nil)
	if err == nil || hits.Load() < 2 {
		t.Fatalf("err %v after %d attempts; want a failure after replays", err, hits.Load())
	}
	var amb *AmbiguousError
	if !errors.As(res[0].Err, &amb) {
		t.Fatalf("record 0: %v; want an *AmbiguousError (Zoho may have applied the upsert)", res[0].Err)
	}
}
