package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/jarcoal/httpmock"
)

const apiBase = "https://www.zohoapis.com/crm/v2/"

// bodyOf reads a request body in a responder.
func bodyOf(t *testing.T, req *http.Request) string {
	t.Helper()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		t.Error(err)
	}
	return string(b)
}

// okItems answers a write of n records with n successes whose ids are prefix+index.
func okItems(n int, prefix string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"code":"SUCCESS","details":{"id":"%s%d","Created_Time":"2023-05-10T01:10:47-07:00"},"message":"record added","status":"success"}`, prefix, i)
	}
	return `{"data":[` + strings.Join(items, ",") + `]}`
}

// countData returns how many records a write body holds.
func countData(t *testing.T, body string) int {
	t.Helper()
	var b struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Errorf("body %q: %v", body, err)
	}
	return len(b.Data)
}

func leadRecords(n int) []*crm.Record {
	recs := make([]*crm.Record, n)
	for i := range recs {
		recs[i] = &crm.Record{}
		_ = recs[i].Set("Last_Name", fmt.Sprintf("Lead %d", i))
	}
	return recs
}

func TestInsertRequestShapeAndTriggers(t *testing.T) {
	c, mt := newMockClient(t)
	var bodies []string
	mt.RegisterResponder("POST", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		if req.URL.RawQuery != "" || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("query %q content type %q", req.URL.RawQuery, req.Header.Get("Content-Type"))
		}
		bodies = append(bodies, bodyOf(t, req))
		return httpmock.NewStringResponse(201, readFixtureString(t, "v8oas_create_records_response_201_success.json")), nil
	})
	rec := &crm.Record{}
	_ = rec.Set("Last_Name", "O'Brien & <Sons>")
	_ = rec.Set("Owner", crm.Lookup{ID: "5725767000000411001"})
	rec.Clear("Phone")
	for _, opts := range []*WriteOptions{nil, {Trigger: NoTriggers()}, {Trigger: []string{TriggerWorkflow, TriggerBlueprint}}} {
		res, resp, err := c.Records.Insert(t.Context(), "Leads", []*crm.Record{rec}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 201 || len(res) != 1 || res[0].Err != nil || res[0].ID != "5725767000000524157" || res[0].Message != "record added" {
			t.Fatalf("results %+v", res)
		}
		if res[0].Details["$approval_state"] != "approved" {
			t.Fatalf("details %v", res[0].Details)
		}
	}
	want := []string{
		`{"data":[{"Last_Name":"O'Brien & <Sons>","Owner":{"id":"5725767000000411001"},"Phone":null}]}`,
		`{"data":[{"Last_Name":"O'Brien & <Sons>","Owner":{"id":"5725767000000411001"},"Phone":null}],"trigger":[]}`,
		`{"data":[{"Last_Name":"O'Brien & <Sons>","Owner":{"id":"5725767000000411001"},"Phone":null}],"trigger":["workflow","blueprint"]}`,
	}
	for i := range want {
		if bodies[i] != want[i] {
			t.Errorf("body %d\n got %s\nwant %s", i, bodies[i], want[i])
		}
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFixtureString(t *testing.T, name string) string { return string(readFixture(t, name)) }

// jsonEqual reports whether a and b hold the same JSON value (whitespace and key order aside).
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("unmarshal %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestTypedFacadesWriteTheSameShapes(t *testing.T) {
	c, mt := newMockClient(t)
	var got []string
	for _, m := range []string{"Leads", "Contacts", "Accounts", "Cases", "Tasks"} {
		mt.RegisterResponder("POST", apiBase+m, func(req *http.Request) (*http.Response, error) {
			got = append(got, req.URL.Path+" "+bodyOf(t, req))
			return httpmock.NewStringResponse(201, okItems(1, m)), nil
		})
	}
	ctx := t.Context()
	steps := []func() (RecordResults, *Response, error){
		func() (RecordResults, *Response, error) {
			return c.Leads.Insert(ctx, []*crm.Lead{{LastName: crm.Some("Boyle"), Company: crm.Some("Zylker"), Email: crm.Some("p@zylker.com")}}, nil)
		},
		func() (RecordResults, *Response, error) {
			return c.Contacts.Insert(ctx, []*crm.Contact{{LastName: crm.Some("Kingsley"), AccountName: crm.Some(crm.Lookup{ID: "7"}), Mobile: crm.Some("555")}}, nil)
		},
		func() (RecordResults, *Response, error) {
			return c.Accounts.Insert(ctx, []*crm.Account{{AccountName: crm.Some("Zylker")}}, nil)
		},
		func() (RecordResults, *Response, error) {
			return c.Cases.Insert(ctx, []*crm.Case{{Subject: crm.Some("Chat"), Status: crm.Some("New"), CaseOrigin: crm.Some("Chat"), RelatedTo: crm.Some(crm.Lookup{ID: "9"})}}, nil)
		},
		func() (RecordResults, *Response, error) {
			return c.Tasks.Insert(ctx, []*crm.Task{{Subject: crm.Some("Call back"), WhoID: crm.Some(crm.Lookup{ID: "9"}), DueDate: crm.Some(crm.Date{Year: 2026, Month: 1, Day: 2})}}, nil)
		},
	}
	for _, step := range steps {
		res, _, err := step()
		if err != nil || len(res) != 1 || res[0].Err != nil {
			t.Fatalf("%v %v", res, err)
		}
	}
	want := []string{
		`/crm/v2/Leads {"data":[{"Company":"Zylker","Last_Name":"Boyle","Email":"p@zylker.com"}]}`,
		`/crm/v2/Contacts {"data":[{"Last_Name":"Kingsley","Account_Name":{"id":"7"},"Mobile":"555"}]}`,
		`/crm/v2/Accounts {"data":[{"Account_Name":"Zylker"}]}`,
		`/crm/v2/Cases {"data":[{"Subject":"Chat","Status":"New","Case_Origin":"Chat","Related_To":{"id":"9"}}]}`,
		`/crm/v2/Tasks {"data":[{"Subject":"Call back","Due_Date":"2026-01-02","Who_Id":{"id":"9"}}]}`,
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("\n got %s\nwant %s", got[i], want[i])
		}
	}
}

// A 207 answer: each result belongs to its input, the failed one carries an *APIError.
func TestInsert207MixedResultsMapToInputs(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("POST", apiBase+"Leads", httpmock.NewStringResponder(207, readFixtureString(t, "v8oas_create_records_response_207_mixed.json")))
	res, resp, err := c.Records.Insert(t.Context(), "Leads", leadRecords(2), nil)
	if err != nil || resp.StatusCode != 207 {
		t.Fatalf("err %v", err)
	}
	if len(res) != 2 || res[0].Err != nil || res[0].ID != "5725767000000524157" || res[1].Err == nil {
		t.Fatalf("%v", res)
	}
	var apiErr *APIError
	if !errors.As(res[1].Err, &apiErr) || !errors.Is(res[1].Err, ErrInvalidData) || apiErr.Details["api_name"] != "Last_Name" ||
		apiErr.HTTPStatus != 207 || apiErr.Path != "/crm/v2/Leads" || res[1].Index != 1 || res[1].Code != "INVALID_DATA" {
		t.Fatalf("%+v / %+v", res[1], apiErr)
	}
	if f := res.Failed(); len(f) != 1 || f[0].Index != 1 {
		t.Fatalf("Failed %v", f)
	}
	if ids := res.IDs(); ids[0] != "5725767000000524157" || ids[1] != "" {
		t.Fatalf("IDs %v", ids)
	}
}

// A 400 whose body lists one error per record is per-record results, not a failed call.
func TestInsert400AllFailedStillGivesPerRecordResults(t *testing.T) {
	for _, fx := range []struct {
		file     string
		sentinel error
	}{
		{"v8oas_error_400_invalid_data.json", ErrInvalidData},
		{"v8oas_error_400_mandatory_not_found.json", ErrMandatoryMissing},
		{"v8oas_error_400_duplicate_data.json", ErrDuplicateData},
		{"v8oas_error_400_invalid_data_max_length.json", ErrInvalidData},
	} {
		c, mt := newMockClient(t)
		body := readFixtureString(t, fx.file)
		var env struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(body), &env); err != nil || len(env.Data) == 0 {
			t.Fatalf("%s: not a per-record error body", fx.file)
		}
		mt.RegisterResponder("POST", apiBase+"Leads", httpmock.NewStringResponder(400, body))
		res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(len(env.Data)), nil)
		if err != nil {
			t.Fatalf("%s: call error %v", fx.file, err)
		}
		for i, r := range res {
			if r.Err == nil || !errors.Is(r.Err, fx.sentinel) || r.Index != i {
				t.Fatalf("%s: %+v", fx.file, r)
			}
		}
		if fx.sentinel == ErrDuplicateData && res[0].ID == "" {
			t.Fatalf("duplicate's existing id not kept: %+v", res[0])
		}
	}
}

// Top-level errors are the call's error, and every record of the call carries it.
func TestInsertTopLevelErrorIsTheCallError(t *testing.T) {
	for _, fx := range []struct {
		file     string
		status   int
		sentinel error
	}{
		{"v8oas_error_401_oauth_scope_mismatch.json", 401, ErrScopeMismatch},
		{"v8oas_error_403_no_permission.json", 403, ErrNoPermission},
		{"v8oas_error_400_invalid_module.json", 400, ErrInvalidModule},
	} {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", apiBase+"Leads", httpmock.NewStringResponder(fx.status, readFixtureString(t, fx.file)))
		res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(3), nil)
		if !errors.Is(err, fx.sentinel) {
			t.Fatalf("%s: err %v", fx.file, err)
		}
		if len(res) != 3 || !errors.Is(res[2].Err, fx.sentinel) {
			t.Fatalf("%s: %v", fx.file, res)
		}
	}
}

// 250 records go as 100, 100 and 50, in order, and every input gets its own result.
func TestWriteSplits250Into100_100_50(t *testing.T) {
	c, mt := newMockClient(t)
	var sizes []int
	var firsts []string
	mt.RegisterResponder("POST", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		var b struct {
			Data []*crm.Record `json:"data"`
		}
		if err := json.NewDecoder(req.Body).Decode(&b); err != nil {
			t.Error(err)
		}
		sizes = append(sizes, len(b.Data))
		firsts = append(firsts, b.Data[0].Text("Last_Name"))
		return httpmock.NewStringResponse(201, okItems(len(b.Data), fmt.Sprintf("c%d-", len(sizes)))), nil
	})
	res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(250), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[100 100 50]" || fmt.Sprint(firsts) != "[Lead 0 Lead 100 Lead 200]" {
		t.Fatalf("calls %v %v", sizes, firsts)
	}
	if len(res) != 250 || res[0].ID != "c1-0" || res[150].ID != "c2-50" || res[249].ID != "c3-49" || res[249].Index != 249 {
		t.Fatalf("results %v %v %v", res[0], res[150], res[249])
	}
	if len(res.Failed()) != 0 {
		t.Fatal(res.Err())
	}

	// BatchSize lowers the batch.
	sizes = nil
	if _, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(25), &WriteOptions{BatchSize: 10}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[10 10 5]" {
		t.Fatalf("BatchSize 10: %v", sizes)
	}
}

// The body budget also cuts batches; a record alone over it fails on its own and is not sent.
func TestWriteSplitsByBodySize(t *testing.T) {
	c, mt := newMockClient(t)
	var sizes, lens []int
	mt.RegisterResponder("POST", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		body := bodyOf(t, req)
		n := countData(t, body)
		sizes, lens = append(sizes, n), append(lens, len(body))
		return httpmock.NewStringResponse(201, okItems(n, "x")), nil
	})
	recs := make([]*crm.Record, 7)
	for i := range recs {
		recs[i] = &crm.Record{}
		_ = recs[i].Set("Description", strings.Repeat("a", 300))
	}
	_ = recs[3].Set("Description", strings.Repeat("b", 5000)) // alone over the budget
	const budget = 1000
	res, _, err := c.Records.Insert(t.Context(), "Leads", recs, &WriteOptions{MaxBodyBytes: budget})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[3 3]" {
		t.Fatalf("batches %v", sizes)
	}
	for _, l := range lens {
		if l > budget {
			t.Fatalf("body of %d bytes over the %d budget", l, budget)
		}
	}
	if !errors.Is(res[3].Err, ErrRecordTooLarge) || res[3].Index != 3 || len(res.Failed()) != 1 {
		t.Fatalf("%v", res)
	}
	if res[4].ID != "x0" || res[2].ID != "x2" { // record 4 opens the second batch
		t.Fatalf("%v %v", res[2], res[4])
	}
}

// A failure of call k returns the results of calls before it; call k's records carry the error,
// later ones ErrNotSent.
func TestWriteChunkFailureKeepsEarlierResults(t *testing.T) {
	c, mt := newMockClient(t)
	calls := 0
	mt.RegisterResponder("POST", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		calls++
		n := countData(t, bodyOf(t, req))
		if calls == 2 {
			return httpmock.NewStringResponse(401, readFixtureString(t, "v8oas_error_401_oauth_scope_mismatch.json")), nil
		}
		return httpmock.NewStringResponse(201, okItems(n, "ok")), nil
	})
	res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(250), nil)
	if !errors.Is(err, ErrScopeMismatch) || calls != 2 {
		t.Fatalf("err %v calls %d", err, calls)
	}
	if len(res) != 250 || res[99].Err != nil || res[99].ID != "ok99" {
		t.Fatalf("first call's results lost: %v", res[99])
	}
	if !errors.Is(res[100].Err, ErrScopeMismatch) || errors.Is(res[100].Err, ErrNotSent) {
		t.Fatalf("failed call: %v", res[100])
	}
	if !errors.Is(res[200].Err, ErrNotSent) || !errors.Is(res[200].Err, ErrScopeMismatch) {
		t.Fatalf("unsent: %v", res[200])
	}

	// A cancelled context before a call: that call and the later ones are not sent.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	calls = 0
	mt.RegisterResponder("POST", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		calls++
		cancel()
		return httpmock.NewStringResponse(201, okItems(countData(t, bodyOf(t, req)), "ok")), nil
	})
	res, _, err = c.Records.Insert(ctx, "Leads", leadRecords(150), nil)
	// (Whether the first call's answer is read before the cancellation is seen is a race; that
	// the second call is never sent is not.)
	if !errors.Is(err, context.Canceled) || calls != 1 || !errors.Is(res[120].Err, ErrNotSent) {
		t.Fatalf("cancel: %v %d %v", err, calls, res[120])
	}
}

// Insert is not replayed after a server error (it may have been applied); an Upsert whose records
// all have a duplicate-check value is.
func TestInsertIsNotRetriedUpsertIs(t *testing.T) {
	c, mt := newMockClient(t)
	var inserts, upserts atomic.Int32
	mt.RegisterResponder("POST", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		inserts.Add(1)
		return httpmock.NewStringResponse(500, readFixtureString(t, "v8oas_error_500_internal_error.json")), nil
	})
	var upsertBodies []string
	mt.RegisterResponder("POST", apiBase+"Leads/upsert", func(req *http.Request) (*http.Response, error) {
		upsertBodies = append(upsertBodies, bodyOf(t, req))
		if upserts.Add(1) == 1 {
			return httpmock.NewStringResponse(500, readFixtureString(t, "v8oas_error_500_internal_error.json")), nil
		}
		return httpmock.NewStringResponse(207, readFixtureString(t, "v8oas_upsert_records_response_207_mixed.json")), nil
	})
	res, _, err := c.Records.Insert(t.Context(), "Leads", leadRecords(1), nil)
	var amb *AmbiguousError
	if !errors.As(err, &amb) || inserts.Load() != 1 || !errors.As(res[0].Err, &amb) {
		t.Fatalf("insert: %v, %d attempts", err, inserts.Load())
	}

	recs := leadRecords(2) // each with a duplicate-check value: the upsert may be replayed
	_ = recs[0].Set("Email", "a@zylker.com")
	_ = recs[1].Set("Phone", "+1 555 0100")
	res, resp, err := c.Records.Upsert(t.Context(), "Leads", recs, &UpsertOptions{DuplicateCheckFields: []string{"Email", "Phone"}, WriteOptions: WriteOptions{Trigger: NoTriggers()}})
	if err != nil || upserts.Load() != 2 || resp.Attempts != 2 {
		t.Fatalf("upsert: %v, %d calls", err, upserts.Load())
	}
	want := `{"data":[{"Last_Name":"Lead 0","Email":"a@zylker.com"},{"Last_Name":"Lead 1","Phone":"+1 555 0100"}],"trigger":[],"duplicate_check_fields":["Email","Phone"]}`
	if upsertBodies[0] != want || upsertBodies[1] != want {
		t.Fatalf("upsert bodies %q", upsertBodies)
	}
	if res[0].Action != "insert" || res[0].DuplicateField != "Email" || res[0].ID != "111112000000142001" || res[1].Err == nil ||
		!errors.Is(res[1].Err, ErrInvalidData) {
		t.Fatalf("%+v", res)
	}
}

func TestUpsertResultsFixtures(t *testing.T) {
	c, mt := newMockClient(t)
	for _, f := range []string{"v8oas_upsert_records_response_200.json", "v7docs_upsert_records_response.json"} {
		mt.RegisterResponder("POST", apiBase+"Leads/upsert", httpmock.NewStringResponder(200, readFixtureString(t, f)))
		res, _, err := c.Leads.Upsert(t.Context(), []*crm.Lead{{LastName: crm.Some("A")}, {LastName: crm.Some("B")}}, nil)
		if err != nil || len(res.Failed()) != 0 {
			t.Fatalf("%s: %v %v", f, err, res)
		}
		if res[0].Action != "update" || res[0].DuplicateField != "Email" || res[0].ID != "4150868000000376008" ||
			res[1].Action != "insert" || res[1].ID != "4150868000003194003" {
			t.Fatalf("%s: %+v", f, res)
		}
	}
}

func TestUpdateNeedsIDsAndUsesPUT(t *testing.T) {
	c, mt := newMockClient(t)
	var body string
	mt.RegisterResponder("PUT", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		body = bodyOf(t, req)
		return httpmock.NewStringResponse(200, readFixtureString(t, "v7docs_update_records_response.json")), nil
	})
	withID := &crm.Record{}
	withID.SetID("554023000000527003")
	_ = withID.Set("Phone", "1")
	res, _, err := c.Records.Update(t.Context(), "Leads", []*crm.Record{{}, withID, nil}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if body != `{"data":[{"id":"554023000000527003","Phone":"1"}]}` {
		t.Fatal(body)
	}
	if !errors.Is(res[0].Err, ErrInvalidRecord) || res[1].Err != nil || res[1].Message != "record updated" || !errors.Is(res[2].Err, ErrInvalidRecord) {
		t.Fatalf("%v", res)
	}
	// Typed update
	res, _, err = c.Leads.Update(t.Context(), []*crm.Lead{{ID: "554023000000527003", Email: crm.Null[string]()}}, nil)
	if err != nil || res[0].Err != nil || body != `{"data":[{"id":"554023000000527003","Email":null}]}` {
		t.Fatalf("%v %v %s", res, err, body)
	}
}

func TestGetByID(t *testing.T) {
	c, mt := newMockClient(t)
	var env struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(readFixture(t, "v7docs_search_leads_by_email_response.json"), &env); err != nil || len(env.Data) != 1 {
		t.Fatal(err)
	}
	record := string(env.Data[0])
	mt.RegisterResponder("GET", apiBase+"Leads/3652397000000415002", httpmock.NewStringResponder(200, `{"data":[`+record+`]}`))
	mt.RegisterResponder("GET", apiBase+"Leads/404", httpmock.NewStringResponder(204, ""))
	mt.RegisterResponder("GET", apiBase+"Leads/405", httpmock.NewStringResponder(200, `{"data":[]}`))
	rec, _, err := c.Records.Get(t.Context(), "Leads", "3652397000000415002")
	if err != nil || rec.ID() != "3652397000000415002" || rec.Text("Email") != "newcrmapi@zoho.com" {
		t.Fatalf("%v %v", rec, err)
	}
	lead, _, err := c.Leads.Get(t.Context(), "3652397000000415002")
	if err != nil || lead.Owner.Value().Name != "Patricia Boyle" {
		t.Fatalf("%v %v", lead, err)
	}
	out, _ := crm.Marshal(lead)
	if !jsonEqual(t, out, []byte(record)) {
		t.Fatal("typed Get lost fields")
	}
	for _, id := range []string{"404", "405"} {
		if _, _, err := c.Records.Get(t.Context(), "Leads", id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: %v", id, err)
		}
	}
}

func TestDeleteShapesAndResults(t *testing.T) {
	c, mt := newMockClient(t)
	var queries []string
	mt.RegisterResponder("DELETE", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		queries = append(queries, req.URL.Query().Get("ids")+"|"+req.URL.Query().Get("wf_trigger"))
		if strings.HasPrefix(req.URL.Query().Get("ids"), "410405000002264040") {
			return httpmock.NewStringResponse(200, readFixtureString(t, "v7docs_delete_records_response.json")), nil
		}
		n := len(strings.Split(req.URL.Query().Get("ids"), ","))
		return httpmock.NewStringResponse(200, okItems(n, "d")), nil
	})
	res, _, err := c.Records.Delete(t.Context(), "Leads", []string{"410405000002264040", "410405000002264025"}, &DeleteOptions{SkipWorkflow: true})
	if err != nil || res[0].ID != "410405000002264040" || res[1].ID != "410405000002264025" || res[1].Message != "record deleted" {
		t.Fatalf("%v %v", res, err)
	}
	if queries[0] != "410405000002264040,410405000002264025|false" {
		t.Fatal(queries)
	}
	ids := make([]string, 150)
	for i := range ids {
		ids[i] = fmt.Sprint(1000 + i)
	}
	queries = nil
	res, _, err = c.Leads.Delete(t.Context(), ids, nil)
	if err != nil || len(res) != 150 || len(queries) != 2 || !strings.HasSuffix(queries[1], "|") || strings.Count(queries[0], ",") != 99 {
		t.Fatalf("%v %v", queries, err)
	}
	// Out-of-order answers are matched by id.
	mt.RegisterResponder("DELETE", apiBase+"Cases", httpmock.NewStringResponder(200,
		`{"data":[{"code":"SUCCESS","details":{"id":"2"},"message":"record deleted","status":"success"}]}`))
	res, _, err = c.Records.Delete(t.Context(), "Cases", []string{"1", "2"}, nil)
	if err != nil || res[0].Err == nil || res[1].Err != nil || res[1].ID != "2" {
		t.Fatalf("%v %v", res, err)
	}
	if _, _, err := c.Records.Delete(t.Context(), "Leads", []string{"1,2"}, nil); err == nil {
		t.Fatal("comma in id accepted")
	}
}

func TestValidationFailsBeforeSending(t *testing.T) {
	c, mt := newMockClient(t)
	ctx := t.Context()
	checks := map[string]error{}
	_, _, checks["empty module"] = c.Records.Insert(ctx, "", leadRecords(1), nil)
	_, _, checks["path module"] = c.Records.Insert(ctx, "../org", leadRecords(1), nil)
	_, _, checks["slash module"] = c.Records.Get(ctx, "Leads/1", "2")
	_, _, checks["empty id"] = c.Records.Get(ctx, "Leads", "")
	_, _, checks["dot id"] = c.Records.Get(ctx, "Leads", "..")
	_, _, checks["batch 101"] = c.Records.Insert(ctx, "Leads", leadRecords(1), &WriteOptions{BatchSize: 101})
	_, _, checks["bad trigger"] = c.Records.Insert(ctx, "Leads", leadRecords(1), &WriteOptions{Trigger: []string{"workflows"}})
	_, _, checks["bad dup field"] = c.Records.Upsert(ctx, "Leads", leadRecords(1), &UpsertOptions{DuplicateCheckFields: []string{"Email,Phone"}})
	_, _, checks["per_page 201"] = c.Records.List(ctx, "Leads", &ListOptions{PerPage: 201})
	_, _, checks["sort order"] = c.Records.List(ctx, "Leads", &ListOptions{SortOrder: "up"})
	_, _, checks["converted"] = c.Records.List(ctx, "Leads", &ListOptions{Converted: "yes"})
	_, _, checks["fields"] = c.Records.List(ctx, "Leads", &ListOptions{Fields: []string{"a,b"}})
	_, _, checks["page"] = c.Records.List(ctx, "Leads", &ListOptions{Page: -1})
	//lint:ignore SA1012 a nil context is refused, not dereferenced
	_, _, checks["nil ctx"] = c.Records.Insert(nil, "Leads", leadRecords(1), nil)
	for name, err := range checks {
		if err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d calls sent", n)
	}
	res, resp, err := c.Records.Insert(ctx, "Leads", nil, nil)
	if res != nil || resp != nil || err != nil {
		t.Fatal("empty insert")
	}
}

func TestListRequestShape(t *testing.T) {
	c, mt := newMockClient(t)
	var got *http.Request
	mt.RegisterResponder("GET", apiBase+"Custom_Chats", func(req *http.Request) (*http.Response, error) {
		got = req
		return httpmock.NewStringResponse(200, readFixtureString(t, "v7docs_get_records_leads_response.json")), nil
	})
	ims := time.Date(2019, 7, 25, 15, 26, 49, 0, time.FixedZone("IST", 5*3600+1800))
	opts := &ListOptions{Fields: []string{"Last_Name", "Email"}, SortBy: "Modified_Time", SortOrder: SortAsc, Page: 2, PerPage: 5,
		Converted: FilterBoth, Approved: FilterTrue, CustomViewID: "77", IfModifiedSince: ims}
	recs, resp, err := c.Records.List(t.Context(), "Custom_Chats", opts)
	if err != nil {
		t.Fatal(err)
	}
	q := got.URL.Query()
	want := map[string]string{"fields": "Last_Name,Email", "sort_by": "Modified_Time", "sort_order": "asc", "page": "2",
		"per_page": "5", "converted": "both", "approved": "true", "cvid": "77"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q) != len(want) {
		t.Errorf("query %v", q)
	}
	if h := got.Header.Get("If-Modified-Since"); h != "2019-07-25T15:26:49+05:30" {
		t.Errorf("If-Modified-Since %q", h)
	}
	if len(recs) != 5 || recs[0].Text("Last_Name") != "test8000" || !resp.Info.MoreRecords || resp.Info.NextPageToken != "c8582xx9e7c7" {
		t.Fatalf("%d %+v", len(recs), resp.Info)
	}
	if opts.Page != 2 || len(opts.Fields) != 2 {
		t.Fatal("opts modified")
	}

	// A page token replaces the page number.
	_, _, err = c.Records.List(t.Context(), "Custom_Chats", &ListOptions{Page: 3, PageToken: "tok"})
	if err != nil || got.URL.Query().Get("page_token") != "tok" || got.URL.Query().Has("page") {
		t.Fatalf("%v %v", got.URL.RawQuery, err)
	}
}

func TestListNothingFor204And304(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", apiBase+"Notes", httpmock.NewStringResponder(204, ""))
	mt.RegisterResponder("GET", apiBase+"Leads", httpmock.NewStringResponder(304, ""))
	for _, m := range []string{"Notes", "Leads"} {
		recs, _, err := c.Records.List(t.Context(), m, &ListOptions{IfModifiedSince: time.Now()})
		if err != nil || len(recs) != 0 {
			t.Fatalf("%s: %v %v", m, recs, err)
		}
		n := 0
		for _, err := range c.Records.ListIter(t.Context(), m, nil) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 0 {
			t.Fatal(n)
		}
	}
}

// pagedLeads serves total records, perPage per page, counting calls.
func pagedLeads(t *testing.T, mt *httpmock.MockTransport, module string, total, perPage int, calls *atomic.Int32) {
	mt.RegisterResponder("GET", apiBase+module, func(req *http.Request) (*http.Response, error) {
		calls.Add(1)
		page := 1
		if p := req.URL.Query().Get("page"); p != "" {
			fmt.Sscan(p, &page)
		}
		start := (page - 1) * perPage
		end := min(start+perPage, total)
		items := []string{}
		for i := start; i < end; i++ {
			items = append(items, fmt.Sprintf(`{"id":"%d","Last_Name":"L%d"}`, i, i))
		}
		if len(items) == 0 {
			return httpmock.NewStringResponse(204, ""), nil
		}
		return httpmock.NewStringResponse(200, fmt.Sprintf(`{"data":[%s],"info":{"per_page":%d,"count":%d,"page":%d,"more_records":%v}}`,
			strings.Join(items, ","), perPage, len(items), page, end < total)), nil
	})
}

func TestListIterPagesToTheEnd(t *testing.T) {
	c, mt := newMockClient(t)
	var calls atomic.Int32
	pagedLeads(t, mt, "Leads", 450, 200, &calls)
	var ids []string
	for lead, err := range c.Leads.ListIter(t.Context(), &ListOptions{PerPage: 200}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, lead.ID)
	}
	if len(ids) != 450 || ids[449] != "449" || calls.Load() != 3 {
		t.Fatalf("%d records in %d calls", len(ids), calls.Load())
	}

	// Breaking out stops fetching.
	calls.Store(0)
	n := 0
	for range c.Records.ListIter(t.Context(), "Leads", nil) {
		n++
		if n == 250 {
			break
		}
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls after break", calls.Load())
	}
}

func TestListIterStopsOnErrorAndCancel(t *testing.T) {
	c, mt := newMockClient(t)
	calls := 0
	mt.RegisterResponder("GET", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		calls++
		if calls == 2 {
			return httpmock.NewStringResponse(401, readFixtureString(t, "v8oas_error_401_invalid_token.json")), nil
		}
		return httpmock.NewStringResponse(200, `{"data":[{"id":"1"}],"info":{"per_page":1,"page":1,"more_records":true}}`), nil
	})
	var got []error
	n := 0
	for rec, err := range c.Records.ListIter(t.Context(), "Leads", nil) {
		if err != nil {
			got = append(got, err)
			continue
		}
		n++
		_ = rec
	}
	if n != 1 || len(got) != 1 || !errors.Is(got[0], ErrInvalidToken) {
		t.Fatalf("%d records, errors %v", n, got)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	calls = 0
	var errs []error
	for _, err := range c.Records.ListIter(ctx, "Leads", nil) {
		if err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) || calls != 1 {
		t.Fatalf("%v after %d calls", errs, calls)
	}
}

// Without a page token Zoho pages only the first 2,000 records: the iterator ends with a typed
// error, never silently.
func TestListIterEndsWithPagingLimitError(t *testing.T) {
	c, mt := newMockClient(t)
	var calls atomic.Int32
	pagedLeads(t, mt, "Leads", 2500, 200, &calls)
	n := 0
	var last error
	for _, err := range c.Records.ListIter(t.Context(), "Leads", &ListOptions{PerPage: 200}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	var ple *PagingLimitError
	if n != 2000 || !errors.Is(last, ErrPagingLimit) || !errors.As(last, &ple) || ple.Delivered != 2000 || calls.Load() != 10 {
		t.Fatalf("%d records, %d calls, err %v", n, calls.Load(), last)
	}
	// Exactly 2,000 records: no error.
	c2, mt2 := newMockClient(t)
	pagedLeads(t, mt2, "Leads", 2000, 200, &calls)
	n = 0
	for _, err := range c2.Records.ListIter(t.Context(), "Leads", nil) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2000 {
		t.Fatal(n)
	}
	// Zoho's own refusal is the same typed error.
	c3, mt3 := newMockClient(t)
	mt3.RegisterResponder("GET", apiBase+"Leads", httpmock.NewStringResponder(400,
		`{"code":"LIMIT_REACHED","details":{},"message":"Maximum response iteration limit reached","status":"error"}`))
	_, _, err := c3.Records.List(t.Context(), "Leads", &ListOptions{Page: 11})
	if !errors.As(err, &ple) || ple.Err == nil {
		t.Fatalf("%v", err)
	}
}

func TestListIterFollowsPageTokens(t *testing.T) {
	c, mt := newMockClient(t)
	var seen []string
	mt.RegisterResponder("GET", apiBase+"Leads", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		seen = append(seen, q.Get("page")+"/"+q.Get("page_token"))
		switch q.Get("page_token") {
		case "":
			return httpmock.NewStringResponse(200, readFixtureString(t, "v7docs_get_records_leads_response.json")), nil
		case "c8582xx9e7c7":
			return httpmock.NewStringResponse(200, `{"data":[{"id":"x"}],"info":{"per_page":5,"count":1,"page":2,"more_records":false}}`), nil
		}
		return httpmock.NewStringResponse(400, `{"code":"INVALID_DATA","status":"error","message":"bad token","details":{}}`), nil
	})
	n := 0
	for _, err := range c.Records.ListIter(t.Context(), "Leads", &ListOptions{PerPage: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 6 || fmt.Sprint(seen) != "[/ /c8582xx9e7c7]" {
		t.Fatalf("%d %v", n, seen)
	}
}
