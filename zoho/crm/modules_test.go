package crm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureRecords returns the records (data[]) of a fixture.
func fixtureRecords(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	var env struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(readFixture(t, name), &env); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(env.Data) == 0 {
		t.Fatalf("%s: no records", name)
	}
	return env.Data
}

// roundTrip decodes raw into a new T, encodes it again and checks that nothing was lost or
// changed (as JSON values).
func roundTrip[T any](t *testing.T, name string, raw json.RawMessage) *T {
	t.Helper()
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: decoding into %T: %v", name, v, err)
	}
	out, err := Marshal(v)
	if err != nil {
		t.Fatalf("%s: encoding %T: %v", name, v, err)
	}
	if !jsonEqual(t, raw, out) {
		t.Fatalf("%s: %T round trip changed the record\n in: %s\nout: %s", name, v, raw, out)
	}
	return v
}

// Every verbatim record sample decodes into the generic Record and into its module's typed
// struct, and encodes back to the same JSON value: nothing Zoho sent is lost.
func TestFixtureRecordsRoundTripLossless(t *testing.T) {
	cases := []struct {
		file string
		typ  string
	}{
		{"postman_v2_insert_lead_request.json", "Lead"},
		{"v8oas_create_records_lead_request.json", "Lead"},
		{"v8oas_upsert_records_request.json", "Lead"},
		{"v7docs_get_records_leads_response.json", "Lead"},
		{"v7docs_search_leads_by_email_response.json", "Lead"},
		{"v8oas_create_records_contact_request.json", "Contact"},
		{"v8oas_create_records_case_request.json", "Case"},
		{"v8oas_create_records_task_request.json", "Task"},
		{"kaizen36_v2_create_task_for_lead_request.json", "Task"},
		{"kaizen36_v2_create_task_for_account_request.json", "Task"},
	}
	for _, c := range cases {
		for i, raw := range fixtureRecords(t, c.file) {
			name := c.file + "#" + string(rune('0'+i))
			rec := roundTrip[Record](t, name, raw)
			if rec.Len() == 0 {
				t.Fatalf("%s: empty record", name)
			}
			switch c.typ {
			case "Lead":
				roundTrip[Lead](t, name, raw)
			case "Contact":
				roundTrip[Contact](t, name, raw)
			case "Case":
				roundTrip[Case](t, name, raw)
			case "Task":
				roundTrip[Task](t, name, raw)
			}
		}
	}
}

func TestTypedRecordsDecodeIntoTheRightFields(t *testing.T) {
	lead := roundTrip[Lead](t, "lead", fixtureRecords(t, "v8oas_create_records_lead_request.json")[0])
	if lead.LastName.Value() != "Boyle" || lead.Company.Value() != "ABC Corp" || lead.NoOfEmployees.Value() != 250 ||
		lead.AnnualRevenue.Value() != 500000 || lead.Owner.Value().ID != "5725767000000411001" ||
		lead.Owner.Value().Name != "Patricia Boyle" || !lead.EmailOptOut.IsSet() || lead.EmailOptOut.Value() {
		t.Fatalf("lead: %+v", lead)
	}
	if lead.Extra.Len() != 0 {
		t.Fatalf("lead Extra should be empty, has %v", lead.Extra.Keys())
	}
	if lead.Description.IsZero() || lead.FullName.IsSet() {
		t.Fatal("set/unset states")
	}

	searched := roundTrip[Lead](t, "search", fixtureRecords(t, "v7docs_search_leads_by_email_response.json")[0])
	if !searched.Company.IsNull() || searched.Company.IsSet() || searched.Company.IsZero() {
		t.Fatalf("Company was null: %v", searched.Company)
	}
	if got := searched.ModifiedTime.Value().String(); got != "2019-03-22T11:10:55+05:30" {
		t.Fatalf("Modified_Time = %q", got)
	}
	if !searched.Extra.Has("$approved") || !searched.Extra.IsNull("Visitor_Score") {
		t.Fatalf("unknown fields not kept: %v", searched.Extra.Keys())
	}

	listed := roundTrip[Lead](t, "list", fixtureRecords(t, "v7docs_get_records_leads_response.json")[0])
	if listed.ID != "3652397000009851001" || !listed.Email.IsNull() || listed.Extra.Text("Converted__s") != "true" {
		t.Fatalf("listed: %+v", listed)
	}

	contact := roundTrip[Contact](t, "contact", fixtureRecords(t, "v8oas_create_records_contact_request.json")[0])
	if contact.AccountName.Value().ID != "5725767000007910001" || contact.DateOfBirth.Value() != (Date{1985, time.April, 12}) {
		t.Fatalf("contact: %+v", contact)
	}

	cs := roundTrip[Case](t, "case", fixtureRecords(t, "v8oas_create_records_case_request.json")[0])
	if cs.CaseOrigin.Value() != "Email" || cs.Status.Value() != "In Progress" || cs.ReportedBy.Value() != "Anna Kingsley" ||
		cs.ProductName.Value().ID != "5725767000006754021" || !cs.Extra.Has("Tag") || !cs.Extra.Has("Currency") {
		t.Fatalf("case: %+v", cs)
	}

	acct := roundTrip[Account](t, "account", json.RawMessage(`{"Account_Name":"Zylker","Parent_Account":{"name":"Zylker Group","id":"1"},"Employees":12,"Billing_Code":"75001","Custom__c":[1,2]}`))
	if acct.AccountName.Value() != "Zylker" || acct.ParentAccount.Value().Name != "Zylker Group" || acct.Employees.Value() != 12 || !acct.Extra.Has("Custom__c") {
		t.Fatalf("account: %+v", acct)
	}

	task := roundTrip[Task](t, "task", fixtureRecords(t, "kaizen36_v2_create_task_for_account_request.json")[0])
	if task.SeModule.Value() != "Accounts" || task.WhatID.Value().ID != "3652397000000624046" ||
		task.WhoID.Value().ID != "3660682000000516033" || task.DueDate.Value().String() != "2020-05-02" ||
		!task.Extra.Has("Remind_At") || !task.Extra.Has("Recurring_Activity") {
		t.Fatalf("task: %+v", task)
	}
}

// A typed record written by a caller: unset fields are left out, Null clears, Extra adds custom
// fields, and a read-modify-write keeps what the caller did not touch.
func TestTypedRecordWriteShapes(t *testing.T) {
	task := Task{
		Subject:  Some("Chat with Anna"),
		DueDate:  Some(Date{2026, 8, 28}),
		WhatID:   Some(Lookup{ID: "3652397000000624046"}),
		SeModule: Some("Leads"),
		Status:   Null[string](),
	}
	if err := task.Extra.Set("Chat_Id__c", "cx-42"); err != nil {
		t.Fatal(err)
	}
	if err := task.Extra.Set("Subject", "ignored: the struct writes Subject"); err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Subject":"Chat with Anna","Due_Date":"2026-08-28","Status":null,"What_Id":{"id":"3652397000000624046"},"$se_module":"Leads","Chat_Id__c":"cx-42"}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}

	// Read, change one field, write back: everything else is as Zoho sent it.
	raw := fixtureRecords(t, "v7docs_search_leads_by_email_response.json")[0]
	var lead Lead
	if err := json.Unmarshal(raw, &lead); err != nil {
		t.Fatal(err)
	}
	lead.Phone = Some("+33 1 23 45 67 89")
	lead.Company = Some("Zylker")
	out, err = Marshal(lead)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseRecord(out)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := ParseRecord(raw)
	for _, k := range orig.Keys() {
		if k == "Phone" || k == "Company" {
			continue
		}
		a, _ := orig.Raw(k)
		b, ok := back.Raw(k)
		if !ok || !jsonEqual(t, a, b) {
			t.Fatalf("field %s changed: %s → %s", k, a, b)
		}
	}
	if back.Text("Phone") != "+33 1 23 45 67 89" || back.Text("Company") != "Zylker" || back.Len() != orig.Len() {
		t.Fatalf("changed fields: %s", out)
	}
}

func TestOptionalStates(t *testing.T) {
	type rec struct {
		A Optional[string] `json:"A,omitzero"`
		B Optional[string] `json:"B,omitzero"`
		C Optional[int]    `json:"C,omitzero"`
	}
	out, err := json.Marshal(rec{A: Some(""), B: Null[string]()})
	if err != nil || string(out) != `{"A":"","B":null}` {
		t.Fatalf("%s %v", out, err)
	}
	var back rec
	if err := json.Unmarshal([]byte(`{"A":"x","B":null}`), &back); err != nil {
		t.Fatal(err)
	}
	if v, ok := back.A.Get(); !ok || v != "x" || !back.B.IsNull() || !back.C.IsZero() || back.C.Ptr() != nil {
		t.Fatalf("%+v", back)
	}
	if p := back.A.Ptr(); p == nil || *p != "x" {
		t.Fatal("Ptr")
	}
	s := "y"
	if FromPtr(&s).Value() != "y" || !FromPtr[string](nil).IsZero() {
		t.Fatal("FromPtr")
	}
	if back.A.String() != "x" || back.B.String() != "null" || back.C.String() != "unset" {
		t.Fatal("String")
	}
	if err := json.Unmarshal([]byte(`{"C":"not a number"}`), &back); err == nil {
		t.Fatal("type mismatch accepted")
	}
}

func TestDateAndDateTime(t *testing.T) {
	for _, s := range []string{"2019-07-25T15:26:49+05:30", "2023-05-10T01:10:47-07:00", "2023-01-15T10:30:00+00:00", "2020-05-01T11:00:00-09:30"} {
		var dt DateTime
		if err := json.Unmarshal([]byte(`"`+s+`"`), &dt); err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(dt)
		if string(out) != `"`+s+`"` {
			t.Errorf("%s → %s", s, out)
		}
	}
	var dt DateTime
	if err := json.Unmarshal([]byte(`"2023-01-15T10:30:00Z"`), &dt); err != nil || dt.String() != "2023-01-15T10:30:00+00:00" {
		t.Fatalf("Z: %v %v", dt, err)
	}
	for _, in := range []string{`null`, `""`} {
		dt = NewDateTime(time.Now())
		var d Date = Date{2020, 1, 1}
		if json.Unmarshal([]byte(in), &dt) != nil || !dt.IsZero() || json.Unmarshal([]byte(in), &d) != nil || !d.IsZero() {
			t.Fatalf("%s: not zero", in)
		}
	}
	if out, _ := json.Marshal(DateTime{}); string(out) != "null" {
		t.Fatal(string(out))
	}
	if out, _ := json.Marshal(Date{}); string(out) != "null" {
		t.Fatal(string(out))
	}
	for _, bad := range []string{`"2020-13-01"`, `"yesterday"`, `12`, `{}`} {
		var d Date
		if json.Unmarshal([]byte(bad), &d) == nil {
			t.Errorf("Date accepted %s", bad)
		}
		var dt DateTime
		if json.Unmarshal([]byte(bad), &dt) == nil {
			t.Errorf("DateTime accepted %s", bad)
		}
	}
	ist := time.FixedZone("IST", 5*3600+1800)
	if got := NewDateTime(time.Date(2024, 2, 29, 23, 59, 59, 999, ist)).String(); got != "2024-02-29T23:59:59+05:30" {
		t.Fatal(got)
	}
	if got := DateOf(time.Date(2024, 2, 29, 23, 0, 0, 0, ist)); got.String() != "2024-02-29" || !got.In(time.UTC).Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) {
		t.Fatal(got)
	}
	var d Date
	if err := d.UnmarshalText([]byte("2026-08-28")); err != nil || d.String() != "2026-08-28" {
		t.Fatal(d, err)
	}
	if txt, _ := d.MarshalText(); string(txt) != "2026-08-28" {
		t.Fatal(string(txt))
	}
	if err := dt.UnmarshalText([]byte("2026-08-28T10:00:00+02:00")); err != nil {
		t.Fatal(err)
	}
	if txt, _ := dt.MarshalText(); string(txt) != "2026-08-28T10:00:00+02:00" {
		t.Fatal(string(txt))
	}
	if _, err := json.Marshal(Date{Year: 10000, Month: 1, Day: 1}); err == nil {
		t.Fatal("year 10000 accepted")
	}
}
