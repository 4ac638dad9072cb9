package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/jarcoal/httpmock"
)

// batchZoho answers each write call from the records it holds, so that every result can be traced
// back to its input: a record named "Lead i" gets the id "id-Lead i". answer decides, per call (from
// 1), the HTTP status and which records fail; nil items means one per record.
type batchZoho struct {
	mu     sync.Mutex
	calls  int
	bodies []string
	answer func(call int, names []string) (status int, items []string)
}

func (z *batchZoho) responder(t *testing.T) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		body := bodyOf(t, req)
		var b struct {
			Data []*crm.Record `json:"data"`
		}
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			t.Errorf("body %q: %v", body, err)
		}
		names := make([]string, len(b.Data))
		for i, r := range b.Data {
			names[i] = r.Text("Last_Name")
		}
		z.mu.Lock()
		z.calls++
		call := z.calls
		z.bodies = append(z.bodies, body)
		z.mu.Unlock()
		status, items := z.answer(call, names)
		return httpmock.NewStringResponse(status, `{"data":[`+strings.Join(items, ",")+`]}`), nil
	}
}

// keyedLeads returns n Leads named "Lead i", each with an Email (Leads' duplicate-check field), so
// that an upsert of them may be replayed.
func keyedLeads(n int) []*crm.Record {
	recs := leadRecords(n)
	for i, r := range recs {
		_ = r.Set("Email", fmt.Sprintf("lead%d@x.test", i))
	}
	return recs
}

// allOK answers every record with a success.
func allOK(names []string) []string {
	items := make([]string, len(names))
	for k, name := range names {
		items[k] = okItem(name)
	}
	return items
}

func okItem(name string) string {
	return fmt.Sprintf(`{"code":"SUCCESS","details":{"id":"id-%s"},"message":"record added","status":"success"}`, name)
}

func invalidItem(i int) string {
	return fmt.Sprintf(`{"code":"INVALID_DATA","details":{"api_name":"Last_Name","json_path":"$.data[%d].Last_Name"},"message":"invalid data","status":"error"}`, i)
}

// checkOneResultPerInput: every input has exactly one result, at its own index, that says either
// what Zoho did or why the record was not written.
func checkOneResultPerInput(t *testing.T, res RecordResults, n int) {
	t.Helper()
	if len(res) != n {
		t.Fatalf("%d results for %d inputs", len(res), n)
	}
	for i, r := range res {
		if r.Index != i {
			t.Fatalf("result %d has Index %d", i, r.Index)
		}
		if r.Err == nil && (r.Code != "SUCCESS" || r.ID == "") {
			t.Fatalf("result %d: OK without Zoho's success: %+v", i, r)
		}
	}
}

// Results map to their inputs whatever the mix: a 201, a 207 with failures, a 400 listing one
// error per record, and inputs refused before sending (nil records) shifting the positions
// within the calls.
func TestWriteResultsMapToInputsAcrossCalls(t *testing.T) {
	c, mt := newMockClient(t)
	z := &batchZoho{answer: func(call int, names []string) (int, []string) {
		items := make([]string, len(names))
		for k, name := range names {
			var i int
			fmt.Sscanf(name, "Lead %d", &i)
			switch {
			case call == 3, call == 2 && i%7 == 0:
				items[k] = invalidItem(k)
			default:
				items[k] = okItem(name)
			}
		}
		return map[int]int{1: 201, 2: 207, 3: 400}[call], items
	}}
	mt.RegisterResponder("POST", apiBase+"Leads", z.responder(t))
	recs := leadRecords(250)
	recs[3], recs[150] = nil, nil
	res, resp, err := c.Records.Insert(t.Context(), "Leads", recs, nil)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("err %v", err)
	}
	checkOneResultPerInput(t, res, 250)
	if z.calls != 3 || countData(t, z.bodies[0]) != 100 || countData(t, z.bodies[1]) != 100 || countData(t, z.bodies[2]) != 48 {
		t.Fatalf("%d calls", z.calls)
	}
	// Call 1 holds inputs 0..100 without 3, call 2 inputs 101..201 without 150, call 3 the rest.
	for i, r := range res {
		var apiErr *APIError
		switch {
		case i == 3 || i == 150:
			if !errors.Is(r.Err, ErrInvalidRecord) {
				t.Fatalf("%d: %v", i, r)
			}
		case i >= 202:
			if !errors.As(r.Err, &apiErr) || apiErr.HTTPStatus != 400 || !errors.Is(r.Err, ErrInvalidData) {
				t.Fatalf("%d: %v", i, r)
			}
		case i >= 101 && i%7 == 0:
			if !errors.As(r.Err, &apiErr) || apiErr.HTTPStatus != 207 || !errors.Is(r.Err, ErrInvalidData) || r.ID != "" {
				t.Fatalf("%d: %v", i, r)
			}
		default:
			if r.Err != nil || r.ID != fmt.Sprintf("id-Lead %d", i) {
				t.Fatalf("%d: %v (%s)", i, r, r.ID)
			}
		}
	}
}

// An insert whose second call gets a 500 is not replayed (Zoho may have written it): its records
// carry the *AmbiguousError, the first call's results stand, the third call is never sent.
func TestWriteAmbiguousChunk(t *testing.T) {
	c, mt := newMockClient(t)
	z := &batchZoho{answer: func(call int, names []string) (int, []string) {
		if call == 2 {
			return 500, nil
		}
		return 201, allOK(names)
	}}
	mt.RegisterResponder("POST", apiBase+"Leads", z.responder(t))
	res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(250), nil)
	var amb *AmbiguousError
	if !errors.As(err, &amb) || z.calls != 2 {
		t.Fatalf("err %v, %d calls", err, z.calls)
	}
	checkOneResultPerInput(t, res, 250)
	for i, r := range res {
		switch {
		case i < 100:
			if r.Err != nil || r.ID != fmt.Sprintf("id-Lead %d", i) {
				t.Fatalf("%d: %v", i, r)
			}
		case i < 200:
			if !errors.As(r.Err, &amb) || errors.Is(r.Err, ErrNotSent) {
				t.Fatalf("%d: %v", i, r)
			}
		default:
			// Not sent: its fate is known, so it is not ambiguous; the failed call's cause is
			// still there.
			var apiErr *APIError
			if !errors.Is(r.Err, ErrNotSent) || errors.As(r.Err, &amb) || !errors.As(r.Err, &apiErr) || apiErr.HTTPStatus != 500 {
				t.Fatalf("%d: %v", i, r)
			}
		}
	}

	// An upsert's second call, whose Leads all have an Email, is replayed with the same body, and
	// every record is written.
	z = &batchZoho{answer: func(call int, names []string) (int, []string) {
		if call == 2 {
			return 500, nil
		}
		return 200, allOK(names)
	}}
	mt.RegisterResponder("POST", apiBase+"Leads/upsert", z.responder(t))
	res, _, err = c.Records.Upsert(t.Context(), "Leads", keyedLeads(250), nil)
	if err != nil || z.calls != 4 || z.bodies[1] != z.bodies[2] {
		t.Fatalf("err %v, %d calls", err, z.calls)
	}
	checkOneResultPerInput(t, res, 250)
	if len(res.Failed()) != 0 || res[150].ID != "id-Lead 150" {
		t.Fatalf("%v", res.Err())
	}
}

// A 2xx answer with fewer items than records sent: the records without an item are not reported
// as written. A 4xx whose data[] does not match the records sent is a failed call.
func TestWriteAnswerWithMissingItems(t *testing.T) {
	c, mt := newMockClient(t)
	z := &batchZoho{answer: func(call int, names []string) (int, []string) {
		if call == 1 {
			return 201, []string{okItem(names[0])}
		}
		return 400, []string{invalidItem(0)}
	}}
	mt.RegisterResponder("POST", apiBase+"Leads", z.responder(t))
	res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(3), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkOneResultPerInput(t, res, 3)
	if res[0].Err != nil || res[1].Err == nil || res[2].Err == nil || !strings.Contains(res[2].Err.Error(), "no result") {
		t.Fatalf("%v", res)
	}
	res, _, err = c.Records.Insert(t.Context(), "Leads", leadRecords(3), nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 400 {
		t.Fatalf("err %v", err)
	}
	checkOneResultPerInput(t, res, 3)
	for _, r := range res {
		if !errors.Is(r.Err, ErrInvalidData) {
			t.Fatalf("%v", r)
		}
	}
}

// A write Zoho may have applied is never reported with an error that invites sending it again: an
// insert whose success answer cannot be read, or whose context ends while it is in flight, fails
// with an *AmbiguousError (wrapping the cause); the same for an upload.
func TestWriteMaybeAppliedIsAmbiguous(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("POST", apiBase+"Leads", httpmock.NewStringResponder(201, `{"data":[{"code":"SUCC`))
	res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(2), nil)
	var amb *AmbiguousError
	if !errors.As(err, &amb) || amb.StatusCode != 201 || !errors.As(res[1].Err, &amb) {
		t.Fatalf("unreadable answer: %v / %v", err, res)
	}
	// An upsert that may be sent again (its Lead has an Email): its error is left as it is.
	mt.RegisterResponder("POST", apiBase+"Leads/upsert", httpmock.NewStringResponder(200, `{"data":[{"code":"SUCC`))
	if _, _, err := c.Records.Upsert(t.Context(), "Leads", keyedLeads(1), nil); err == nil || errors.As(err, &amb) {
		t.Fatalf("upsert: %v", err)
	}
	// Without an Email it is an insert for Zoho: ambiguous.
	if _, _, err := c.Records.Upsert(t.Context(), "Leads", leadRecords(1), nil); !errors.As(err, &amb) {
		t.Fatalf("upsert without a duplicate-check value: %v", err)
	}
	// A 2xx carrying Zoho's error envelope was refused: not ambiguous.
	mt.RegisterResponder("POST", apiBase+"Cases", httpmock.NewStringResponder(200, `{"code":"INVALID_MODULE","message":"x","status":"error","details":{}}`))
	if _, _, err := c.Records.Insert(t.Context(), "Cases", leadRecords(1), nil); !errors.Is(err, ErrInvalidModule) || errors.As(err, &amb) {
		t.Fatalf("refused: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	mt.RegisterResponder("POST", apiBase+"Contacts", func(req *http.Request) (*http.Response, error) {
		cancel()
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	res, _, err = c.Records.Insert(ctx, "Contacts", leadRecords(150), nil)
	if !errors.As(err, &amb) || !errors.Is(err, context.Canceled) || !errors.As(res[99].Err, &amb) ||
		!errors.Is(res[100].Err, ErrNotSent) {
		t.Fatalf("cancelled in flight: %v / %v / %v", err, res[99], res[100])
	}

	mt.RegisterResponder("POST", apiBase+"Leads/1/Attachments", httpmock.NewStringResponder(200, `<html>gateway</html>`))
	if _, _, err := c.Attachments.Upload(t.Context(), "Leads", "1", File{Name: "a.txt", Body: strings.NewReader("hi")}, nil); !errors.As(err, &amb) {
		t.Fatalf("upload: %v", err)
	}
	if _, _, err := c.Attachments.UploadURL(t.Context(), "Leads", "1", Link{URL: "https://example.com/", Title: ""}, nil); !errors.As(err, &amb) {
		t.Fatalf("upload URL: %v", err)
	}
}

// ListOptions.SortBy names a field: anything else is refused before sending.
func TestListSortByValidated(t *testing.T) {
	c, mt := newMockClient(t)
	for _, bad := range []string{"Modified_Time desc", "a&b", "Email,Phone"} {
		if _, _, err := c.Records.List(t.Context(), "Leads", &ListOptions{SortBy: bad}); err == nil || !strings.HasPrefix(err.Error(), "zoho: ListOptions.SortBy") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d calls", n)
	}
}

// A server error is never a final answer for the records of a write, even when its body holds
// per-record items: Zoho may have applied the call, so the call fails and every record of it says
// that its fate is unknown (an *AmbiguousError, wrapping Zoho's error), for an insert as for the
// writes that were retried (update, delete). Items are final only in answers below 500.
func TestWriteServerErrorWithItemsIsAmbiguous(t *testing.T) {
	c, mt := newMockClient(t)
	items := func(n int) string {
		its := make([]string, n)
		for i := range its {
			its[i] = `{"code":"INTERNAL_ERROR","details":{},"message":"Internal Server Error","status":"error"}`
		}
		return `{"data":[` + strings.Join(its, ",") + `]}`
	}
	mt.RegisterResponder("POST", apiBase+"Leads", httpmock.NewStringResponder(500, items(2)))
	mt.RegisterResponder("PUT", apiBase+"Leads", httpmock.NewStringResponder(503, items(2)))
	mt.RegisterResponder("PUT", apiBase+"Contacts", httpmock.NewStringResponder(502, `<html>Bad Gateway</html>`))
	mt.RegisterResponder("DELETE", apiBase+"Leads", httpmock.NewStringResponder(500, items(2)))
	withIDs := func(n int) []*crm.Record {
		recs := leadRecords(n)
		for i, r := range recs {
			r.SetID(fmt.Sprint(i + 1))
		}
		return recs
	}
	calls := map[string]func() (RecordResults, error){
		"insert": func() (RecordResults, error) {
			res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(2), nil)
			return res, err
		},
		"update": func() (RecordResults, error) {
			res, _, err := c.Records.Update(t.Context(), "Leads", withIDs(2), nil)
			return res, err
		},
		"update, no items": func() (RecordResults, error) {
			res, _, err := c.Records.Update(t.Context(), "Contacts", withIDs(2), nil)
			return res, err
		},
		"delete": func() (RecordResults, error) {
			res, _, err := c.Records.Delete(t.Context(), "Leads", []string{"1", "2"}, nil)
			return res, err
		},
	}
	for name, call := range calls {
		res, err := call()
		var amb *AmbiguousError
		var apiErr *APIError
		if !errors.As(err, &amb) || amb.StatusCode < 500 || !errors.As(err, &apiErr) || !errors.Is(apiErr, ErrTemporary) {
			t.Errorf("%s: err = %v, want an *AmbiguousError around the server error", name, err)
		}
		checkOneResultPerInput(t, res, 2)
		for _, r := range res {
			if !errors.As(r.Err, &amb) || r.Err == nil {
				t.Errorf("%s: record %d: %v, want an *AmbiguousError", name, r.Index, r.Err)
			}
		}
	}
}
