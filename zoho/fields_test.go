package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

// casesFields is field metadata in the v2 shape (lookup.module as a string), written for these
// tests after the keys of Zoho's field metadata; it is not a captured answer.
const casesFields = `{"fields":[
 {"api_name":"Case_Origin","field_label":"Case Origin","data_type":"picklist","json_type":"string","length":120,
  "system_mandatory":true,"read_only":false,"custom_field":false,"visible":true,"lookup":{},
  "pick_list_values":[{"display_value":"-None-","actual_value":"-None-"},{"display_value":"Email","actual_value":"Email"},
   {"display_value":"Web Chat","actual_value":"Chat","sequence_number":3}]},
 {"api_name":"Subject","data_type":"text","length":255,"system_mandatory":true,"pick_list_values":[]},
 {"api_name":"Description","data_type":"textarea","length":32000,"system_mandatory":false,"pick_list_values":[]},
 {"api_name":"Related_To","data_type":"lookup","length":120,"lookup":{"display_label":"Contact Name","api_name":"Contact_Name","module":"Contacts","id":"1"},"pick_list_values":[]},
 {"api_name":"Account_Name","data_type":"lookup","lookup":{"module":{"api_name":"Accounts","id":"2"}},"pick_list_values":[]},
 {"api_name":"Layout_Required__c","data_type":"text","length":10,"required":true}
]}`

func TestFieldsListDecodesAndHelpers(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", apiBase+"settings/fields", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("module") != "Cases" || len(req.URL.Query()) != 1 {
			t.Errorf("query %q", req.URL.RawQuery)
		}
		return httpmock.NewStringResponse(200, casesFields), nil
	})
	fs, resp, err := c.Fields.List(t.Context(), "Cases")
	if err != nil || resp == nil || fs.Module() != "Cases" || fs.Len() != 6 {
		t.Fatalf("%v %v", fs, err)
	}
	origin, ok := fs.Get("Case_Origin")
	if !ok || !origin.IsPickList() || !origin.Mandatory() || origin.Label != "Case Origin" {
		t.Fatalf("%+v", origin)
	}
	if !origin.AcceptsPickListValue("Chat") || origin.AcceptsPickListValue("Web Chat") || origin.AcceptsPickListValue("chat") {
		t.Fatal("picklist check must use actual values, exactly")
	}
	if origin.PickListValues[2].Extra.String("sequence_number") != "3" {
		t.Fatal("picklist extra keys lost")
	}
	subj, _ := fs.Get("Subject")
	if subj.MaxLength() != 255 || !subj.FitsLength(string(make([]byte, 255))) || subj.AcceptsPickListValue("x") {
		t.Fatal("Subject")
	}
	emoji := ""
	for range 128 {
		emoji += "😀" // 256 UTF-16 units in 128 runes
	}
	if subj.FitsLength(emoji) || UTF16Len(subj.Truncate(emoji)) != 254 {
		t.Fatal("length must be counted in UTF-16 units")
	}
	if rel, _ := fs.Get("Related_To"); rel.LookupModule != "Contacts" {
		t.Fatalf("v2 lookup module %q", rel.LookupModule)
	}
	if acc, _ := fs.Get("Account_Name"); acc.LookupModule != "Accounts" || acc.MaxLength() != 0 || acc.Truncate("abc") != "abc" {
		t.Fatalf("v2.1+ lookup module %q", acc.LookupModule)
	}
	if got := fs.Mandatory(); len(got) != 3 || got[2] != "Layout_Required__c" {
		t.Fatalf("Mandatory %v", got)
	}
	if _, ok := fs.Get("Nope"); ok {
		t.Fatal("unknown field found")
	}
	// Field metadata round-trips too.
	var raw struct {
		Fields []json.RawMessage `json:"fields"`
	}
	_ = json.Unmarshal([]byte(casesFields), &raw)
	for i, f := range fs.All() {
		out, err := json.Marshal(f)
		if err != nil || !jsonEqual(t, out, raw.Fields[i]) {
			t.Fatalf("field %d: %s", i, out)
		}
	}
}

func TestFieldsFixtureDecodes(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", apiBase+"settings/fields", httpmock.NewStringResponder(200, readFixtureString(t, "v8oas_get_fields_response_200.json")))
	fs, _, err := c.Fields.List(t.Context(), "Leads")
	if err != nil || fs.Len() != 5 {
		t.Fatal(err)
	}
	company, ok := fs.Get("Company")
	if !ok || company.DataType != "text" || company.Length != 200 || company.SystemMandatory || company.CustomField || company.ID != "4832675000000000555" {
		t.Fatalf("%+v", company)
	}
	owner, _ := fs.Get("Owner")
	if owner.DataType != "ownerlookup" || !owner.FieldReadOnly || owner.JSONType != "jsonobject" || !owner.Extra.Has("layout_associations") {
		t.Fatalf("%+v", owner)
	}
	lat, _ := fs.Get("Address_1_Coordinates_Latitude")
	if !lat.CustomField || lat.Extra.String("decimal_place") != "9" {
		t.Fatalf("%+v", lat)
	}
	var raw struct {
		Fields []json.RawMessage `json:"fields"`
	}
	_ = json.Unmarshal(readFixture(t, "v8oas_get_fields_response_200.json"), &raw)
	for i, f := range fs.All() {
		out, _ := json.Marshal(f)
		if !jsonEqual(t, out, raw.Fields[i]) {
			t.Fatalf("field %d lost data: %s", i, out)
		}
	}
}

func TestFieldsCacheTTLAndInvalidate(t *testing.T) {
	c, mt := newMockClient(t, WithFieldsCacheTTL(time.Minute))
	var calls atomic.Int32
	mt.RegisterResponder("GET", apiBase+"settings/fields", func(req *http.Request) (*http.Response, error) {
		calls.Add(1)
		return httpmock.NewStringResponse(200, casesFields), nil
	})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.fields.now = func() time.Time { return now }
	ctx := t.Context()
	a, _, _ := c.Fields.List(ctx, "Cases")
	b, resp, _ := c.Fields.List(ctx, "Cases")
	if calls.Load() != 1 || a != b || resp != nil {
		t.Fatalf("not cached: %d calls", calls.Load())
	}
	if _, _, err := c.Fields.List(ctx, "Leads"); err != nil || calls.Load() != 2 {
		t.Fatal("per module")
	}
	now = now.Add(time.Minute + time.Second)
	if _, _, _ = c.Fields.List(ctx, "Cases"); calls.Load() != 3 {
		t.Fatal("not refreshed after the TTL")
	}
	c.Fields.Invalidate("Cases")
	if _, _, _ = c.Fields.List(ctx, "Cases"); calls.Load() != 4 {
		t.Fatal("Invalidate")
	}
	c.Fields.InvalidateAll()
	_, _, _ = c.Fields.List(ctx, "Cases")
	_, _, _ = c.Fields.List(ctx, "Leads")
	if calls.Load() != 6 {
		t.Fatal("InvalidateAll")
	}

	// TTL 0: no cache.
	c2, mt2 := newMockClient(t, WithFieldsCacheTTL(0))
	mt2.RegisterResponder("GET", apiBase+"settings/fields", httpmock.NewStringResponder(200, casesFields))
	for range 3 {
		if _, _, err := c2.Fields.List(ctx, "Cases"); err != nil {
			t.Fatal(err)
		}
	}
	if mt2.GetTotalCallCount() != 3 {
		t.Fatal("TTL 0 cached")
	}
	if _, err := NewClient(WithTokenSource(staticTS("")), WithFieldsCacheTTL(-time.Second)); err == nil {
		t.Fatal("negative TTL accepted")
	}
}

// Concurrent first calls share one request; errors are not cached.
func TestFieldsSingleFlight(t *testing.T) {
	c, mt := newMockClient(t)
	release := make(chan struct{})
	var calls atomic.Int32
	mt.RegisterResponder("GET", apiBase+"settings/fields", func(req *http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			<-release
			return httpmock.NewStringResponse(200, casesFields), nil
		}
		return httpmock.NewStringResponse(200, casesFields), nil
	})
	var wg sync.WaitGroup
	sets := make([]*FieldSet, 8)
	for i := range sets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs, _, err := c.Fields.List(t.Context(), "Cases")
			if err != nil {
				t.Error(err)
			}
			sets[i] = fs
		}()
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others queue up behind the first
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d requests", calls.Load())
	}
	for _, s := range sets {
		if s != sets[0] {
			t.Fatal("different sets")
		}
	}

	// A waiter whose context ends stops waiting.
	c.Fields.Invalidate("Cases")
	block := make(chan struct{})
	mt.RegisterResponder("GET", apiBase+"settings/fields", func(req *http.Request) (*http.Response, error) {
		<-block
		return httpmock.NewStringResponse(500, `{"code":"INTERNAL_ERROR","status":"error","message":"x","details":{}}`), nil
	})
	leaderDone := make(chan error, 1)
	go func() {
		_, _, err := c.Fields.List(context.Background(), "Cases")
		leaderDone <- err
	}()
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := c.Fields.List(ctx, "Cases"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter: %v", err)
	}
	close(block)
	if err := <-leaderDone; err == nil {
		t.Fatal("leader should fail")
	}
	mt.RegisterResponder("GET", apiBase+"settings/fields", httpmock.NewStringResponder(200, casesFields))
	if _, _, err := c.Fields.List(t.Context(), "Cases"); err != nil {
		t.Fatalf("error was cached: %v", err)
	}
}
