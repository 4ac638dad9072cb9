package zohotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestInsertAllOKMixedAndFailed(t *testing.T) {
	f := newFixture(t)
	// All ok: 201, and the record is stored with Zoho-like ids and times.
	a := f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": "Boyle", "Company": "ABC", "Email": "p@abc.example"}))
	wantStatus(t, a, http.StatusCreated)
	items := a.data(t)
	if len(items) != 1 || items[0]["code"] != "SUCCESS" || items[0]["message"] != "record added" || items[0]["status"] != "success" {
		t.Fatalf("items %v", items)
	}
	d := details(items[0])
	id := str(d["id"])
	if len(id) != 19 || strings.Trim(id, "0123456789") != "" {
		t.Fatalf("id %q is not 19 digits", id)
	}
	if d["Created_Time"] != "2025-03-14T09:26:53+00:00" || d["Modified_Time"] != d["Created_Time"] {
		t.Fatalf("times %v", d)
	}
	by, _ := d["Created_By"].(map[string]any)
	if by["id"] != f.org.CurrentUser().ID || by["name"] != "Patricia Boyle" {
		t.Fatalf("Created_By %v", by)
	}
	rec, ok := f.org.Record("Leads", id)
	if !ok || rec["Last_Name"] != "Boyle" || rec["Full_Name"] != "Boyle" || rec["Phone"] != nil {
		t.Fatalf("stored %v", rec)
	}
	owner, _ := rec["Owner"].(map[string]any)
	if owner["id"] != f.org.CurrentUser().ID || owner["email"] != f.org.CurrentUser().Email {
		t.Fatalf("default owner %v", owner)
	}

	// Mixed: 207, an error item per failed record with api_name and json_path.
	a = f.call("POST", "/crm/v2/Leads", leadBody(
		map[string]any{"Last_Name": "Ok", "Company": "C"},
		map[string]any{"Company": "No name"},
	))
	wantStatus(t, a, http.StatusMultiStatus)
	items = a.data(t)
	if items[0]["status"] != "success" || items[1]["code"] != "MANDATORY_NOT_FOUND" || items[1]["status"] != "error" {
		t.Fatalf("items %v", items)
	}
	if d := details(items[1]); d["api_name"] != "Last_Name" || d["json_path"] != "$.data[1].Last_Name" {
		t.Fatalf("details %v", d)
	}
	// Ids increase.
	if id2 := str(details(items[0])["id"]); !idLess(id, id2) {
		t.Fatalf("ids %s then %s do not increase", id, id2)
	}

	// All failed: 400 with data[].
	a = f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": "No company"}))
	wantStatus(t, a, http.StatusBadRequest)
	if it := a.data(t)[0]; it["code"] != "MANDATORY_NOT_FOUND" || details(it)["api_name"] != "Company" {
		t.Fatalf("item %v", it)
	}
	if n := len(f.org.Records("Leads")); n != 2 {
		t.Fatalf("%d leads stored, want 2", n)
	}
}

func TestMandatoryFieldsPerModule(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		module string
		record map[string]any
		want   string
	}{
		{"Leads", map[string]any{"Company": "X"}, "Last_Name"},
		{"Leads", map[string]any{"Last_Name": "X"}, "Company"},
		{"Contacts", map[string]any{"Email": "a@b.example"}, "Last_Name"},
		{"Accounts", map[string]any{"Phone": "1"}, "Account_Name"},
		{"Tasks", map[string]any{"Status": "Completed"}, "Subject"},
		{"Cases", map[string]any{"Status": "New", "Case_Origin": "Chat"}, "Subject"},
		{"Cases", map[string]any{"Subject": "S", "Case_Origin": "Chat"}, "Status"},
		{"Cases", map[string]any{"Subject": "S", "Status": "New"}, "Case_Origin"},
		{"Cases", map[string]any{"Subject": "  ", "Status": "New", "Case_Origin": "Chat"}, "Subject"},
		{"Cases", map[string]any{"Subject": nil, "Status": "New", "Case_Origin": "Chat"}, "Subject"},
	}
	for _, c := range cases {
		a := f.call("POST", "/crm/v2/"+c.module, leadBody(c.record))
		wantStatus(t, a, http.StatusBadRequest)
		it := a.data(t)[0]
		if it["code"] != "MANDATORY_NOT_FOUND" || details(it)["api_name"] != c.want || it["message"] != "required field not found" {
			t.Errorf("%s %v: %v, want MANDATORY_NOT_FOUND %s", c.module, c.record, it, c.want)
		}
	}
}

func TestFieldValidation(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("x", 80)
	emoji := strings.Repeat("😀", 40) // 40 runes, 80 UTF-16 units, 160 bytes
	cases := []struct {
		name   string
		module string
		record map[string]any
		field  string
		detail string // a details key that must be present
		ok     bool
	}{
		{"80 units fit Last_Name", "Leads", map[string]any{"Last_Name": long, "Company": "C"}, "", "", true},
		{"81 units do not", "Leads", map[string]any{"Last_Name": long + "y", "Company": "C"}, "Last_Name", "maximum_length", false},
		{"40 emoji are 80 units", "Leads", map[string]any{"Last_Name": emoji, "Company": "C"}, "", "", true},
		{"40 emoji and one more", "Leads", map[string]any{"Last_Name": emoji + "a", "Company": "C"}, "Last_Name", "maximum_length", false},
		{"phone 30", "Contacts", map[string]any{"Last_Name": "L", "Phone": strings.Repeat("1", 31)}, "Phone", "maximum_length", false},
		{"description 32000", "Cases", map[string]any{"Subject": "S", "Status": "New", "Case_Origin": "Chat", "Description": strings.Repeat("d", 32001)}, "Description", "maximum_length", false},
		{"text must be a string", "Leads", map[string]any{"Last_Name": 12, "Company": "C"}, "Last_Name", "expected_data_type", false},
		{"bad email", "Leads", map[string]any{"Last_Name": "L", "Company": "C", "Email": "not an email"}, "Email", "expected_data_type", false},
		{"picklist", "Cases", map[string]any{"Subject": "S", "Status": "In Progress", "Case_Origin": "Chat"}, "Status", "expected_data_type", false},
		{"picklist ok", "Tasks", map[string]any{"Subject": "S", "Status": "Waiting on someone else"}, "", "", true},
		{"integer", "Leads", map[string]any{"Last_Name": "L", "Company": "C", "No_of_Employees": "many"}, "No_of_Employees", "expected_data_type", false},
		{"boolean", "Leads", map[string]any{"Last_Name": "L", "Company": "C", "Email_Opt_Out": "yes"}, "Email_Opt_Out", "expected_data_type", false},
		{"date", "Tasks", map[string]any{"Subject": "S", "Due_Date": "31/12/2025"}, "Due_Date", "expected_data_type", false},
		{"unknown fields are ignored", "Leads", map[string]any{"Last_Name": "L", "Company": "C", "No_Such_Field": 1}, "", "", true},
	}
	for _, c := range cases {
		a := f.call("POST", "/crm/v2/"+c.module, leadBody(c.record))
		it := a.data(t)[0]
		if c.ok {
			if a.status != http.StatusCreated {
				t.Errorf("%s: %d %v", c.name, a.status, it)
			}
			continue
		}
		d := details(it)
		if a.status != http.StatusBadRequest || it["code"] != "INVALID_DATA" || d["api_name"] != c.field || d[c.detail] == nil {
			t.Errorf("%s: %d %v, want INVALID_DATA on %s with %s", c.name, a.status, it, c.field, c.detail)
		}
	}
	a := f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": long + "y", "Company": "C"}))
	if ml := details(a.data(t)[0])["maximum_length"]; fmt.Sprint(ml) != "80" {
		t.Fatalf("maximum_length %v", ml)
	}
}

func TestLookupsAndOwner(t *testing.T) {
	f := newFixture(t)
	agent, err := f.org.AddUser(User{Email: "agent@acme.example", FirstName: "Ann", LastName: "Agent"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := f.org.AddUser(User{Email: "gone@acme.example", Status: "inactive"})
	if err != nil {
		t.Fatal(err)
	}
	contact := details(f.call("POST", "/crm/v2/Contacts", leadBody(map[string]any{"Last_Name": "Marrier", "First_Name": "Kris"})).data(t)[0])["id"]
	lead := details(f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": "Maclead", "Company": "C"})).data(t)[0])["id"]

	// Case linked to a contact, owned by an agent.
	a := f.call("POST", "/crm/v2/Cases", leadBody(map[string]any{"Subject": "Chat 1", "Status": "New", "Case_Origin": "Chat",
		"Related_To": map[string]any{"id": contact}, "Owner": map[string]any{"id": agent.ID}}))
	wantStatus(t, a, http.StatusCreated)
	c, _ := f.org.Record("Cases", str(details(a.data(t)[0])["id"]))
	if rt, _ := c["Related_To"].(map[string]any); rt["id"] != contact || rt["name"] != "Kris Marrier" {
		t.Fatalf("Related_To %v", c["Related_To"])
	}
	if o, _ := c["Owner"].(map[string]any); o["id"] != agent.ID || o["name"] != "Ann Agent" {
		t.Fatalf("Owner %v", c["Owner"])
	}
	if c["Case_Number"] != "1" {
		t.Fatalf("Case_Number %v", c["Case_Number"])
	}

	// Task linked to a lead through What_Id + $se_module, and to a contact through Who_Id.
	a = f.call("POST", "/crm/v2/Tasks", leadBody(map[string]any{"Subject": "Chat", "What_Id": map[string]any{"id": lead}, "$se_module": "Leads",
		"Who_Id": map[string]any{"id": contact}}))
	wantStatus(t, a, http.StatusCreated)
	task, _ := f.org.Record("Tasks", str(details(a.data(t)[0])["id"]))
	if task["$se_module"] != "Leads" || task["What_Id"].(map[string]any)["name"] != "Maclead" {
		t.Fatalf("task %v", task)
	}

	bad := []struct {
		module string
		record map[string]any
		field  string
	}{
		{"Cases", map[string]any{"Subject": "S", "Status": "New", "Case_Origin": "Chat", "Related_To": map[string]any{"id": "1234567890123456789"}}, "Related_To"},
		{"Cases", map[string]any{"Subject": "S", "Status": "New", "Case_Origin": "Chat", "Related_To": map[string]any{"id": lead}}, "Related_To"},
		{"Tasks", map[string]any{"Subject": "S", "What_Id": map[string]any{"id": lead}}, "$se_module"},
		{"Tasks", map[string]any{"Subject": "S", "What_Id": map[string]any{"id": lead}, "$se_module": "Nope"}, "$se_module"},
		{"Tasks", map[string]any{"Subject": "S", "What_Id": map[string]any{"id": contact}, "$se_module": "Leads"}, "What_Id"},
		{"Tasks", map[string]any{"Subject": "S", "Who_Id": map[string]any{"id": lead}}, "Who_Id"},
		{"Leads", map[string]any{"Last_Name": "L", "Company": "C", "Owner": map[string]any{"id": "999"}}, "Owner"},
		{"Leads", map[string]any{"Last_Name": "L", "Company": "C", "Owner": map[string]any{"id": gone.ID}}, "Owner"},
		{"Leads", map[string]any{"Last_Name": "L", "Company": "C", "Owner": true}, "Owner"},
	}
	for _, b := range bad {
		a := f.call("POST", "/crm/v2/"+b.module, leadBody(b.record))
		it := a.data(t)[0]
		if a.status != http.StatusBadRequest || it["code"] != "INVALID_DATA" || details(it)["api_name"] != b.field {
			t.Errorf("%s %v: %d %v, want INVALID_DATA on %s", b.module, b.record, a.status, it, b.field)
		}
	}
}

func TestUpdateUpsertDeleteGet(t *testing.T) {
	f := newFixture(t)
	id := str(details(f.call("POST", "/crm/v2/Contacts", leadBody(map[string]any{"Last_Name": "Smith", "Email": "j@x.example"})).data(t)[0])["id"])
	f.clock.Advance(time.Minute)

	// PUT /{module}/{id}
	a := f.call("PUT", "/crm/v2/Contacts/"+id, leadBody(map[string]any{"Phone": "555"}))
	wantStatus(t, a, http.StatusOK)
	it := a.data(t)[0]
	if it["message"] != "record updated" || details(it)["Modified_Time"] == details(it)["Created_Time"] {
		t.Fatalf("update %v", it)
	}
	// PUT /{module} with ids, one unknown: 207.
	a = f.call("PUT", "/crm/v2/Contacts", leadBody(map[string]any{"id": id, "Last_Name": "Smyth"}, map[string]any{"id": "42", "Last_Name": "x"}, map[string]any{"Last_Name": "no id"}))
	wantStatus(t, a, http.StatusMultiStatus)
	items := a.data(t)
	if items[0]["status"] != "success" || items[1]["code"] != "INVALID_DATA" || items[2]["code"] != "MANDATORY_NOT_FOUND" {
		t.Fatalf("items %v", items)
	}
	// Clearing a mandatory field is refused.
	a = f.call("PUT", "/crm/v2/Contacts/"+id, leadBody(map[string]any{"Last_Name": nil}))
	wantStatus(t, a, http.StatusBadRequest)

	rec, _ := f.org.Record("Contacts", id)
	if rec["Last_Name"] != "Smyth" || rec["Phone"] != "555" || rec["Email"] != "j@x.example" || rec["Full_Name"] != "Smyth" {
		t.Fatalf("record %v", rec)
	}

	// Upsert: matched by Email (without case) → update; else insert.
	a = f.call("POST", "/crm/v2/Contacts/upsert", leadBody(map[string]any{"Last_Name": "Smith", "Email": "J@X.example"}, map[string]any{"Last_Name": "New", "Email": "n@x.example"}))
	wantStatus(t, a, http.StatusOK)
	items = a.data(t)
	if items[0]["action"] != "update" || items[0]["duplicate_field"] != "Email" || str(details(items[0])["id"]) != id {
		t.Fatalf("upsert update %v", items[0])
	}
	if items[1]["action"] != "insert" || items[1]["duplicate_field"] != nil || items[1]["message"] != "record added" {
		t.Fatalf("upsert insert %v", items[1])
	}
	// duplicate_check_fields must be duplicate-check fields of the module.
	wantCode(t, f.call("POST", "/crm/v2/Contacts/upsert", map[string]any{"data": []any{map[string]any{"Last_Name": "x"}}, "duplicate_check_fields": []string{"Phone"}}), http.StatusBadRequest, "INVALID_DATA")

	// GET by id, and 204 for an unknown id.
	a = f.call("GET", "/crm/v2/Contacts/"+id, nil)
	wantStatus(t, a, http.StatusOK)
	if got := a.data(t)[0]; got["id"] != id || got["Last_Name"] != "Smith" {
		t.Fatalf("get %v", got)
	}
	wantStatus(t, f.call("GET", "/crm/v2/Contacts/1234", nil), http.StatusNoContent)

	// DELETE ?ids= with an unknown id: 207; then the record is gone.
	a = f.call("DELETE", "/crm/v2/Contacts?ids="+id+",77", nil)
	wantStatus(t, a, http.StatusMultiStatus)
	items = a.data(t)
	if items[0]["message"] != "record deleted" || details(items[0])["id"] != id || items[1]["status"] != "error" {
		t.Fatalf("delete %v", items)
	}
	wantStatus(t, f.call("GET", "/crm/v2/Contacts/"+id, nil), http.StatusNoContent)
	wantCode(t, f.call("DELETE", "/crm/v2/Contacts", nil), http.StatusBadRequest, "REQUIRED_PARAM_MISSING")
}

func TestUniqueFieldDuplicate(t *testing.T) {
	f := newFixture(t)
	fields := append(standardFields("Leads"), Field{APIName: "Visitor_Id", DataType: "text", Length: 64, Unique: true, Custom: true})
	if err := f.org.SetFields("Leads", fields); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": "A", "Company": "C", "Visitor_Id": "v1"})), http.StatusCreated)
	a := f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": "B", "Company": "C", "Visitor_Id": "V1"}))
	wantStatus(t, a, http.StatusBadRequest)
	it := a.data(t)[0]
	d := details(it)
	if it["code"] != "DUPLICATE_DATA" || d["api_name"] != "Visitor_Id" || d["duplicate_record"] == nil {
		t.Fatalf("%v", it)
	}
	// Upsert on the unique field updates.
	a = f.call("POST", "/crm/v2/Leads/upsert", map[string]any{"data": []any{map[string]any{"Last_Name": "B", "Company": "C", "Visitor_Id": "v1"}}, "duplicate_check_fields": []string{"Visitor_Id"}})
	if it := a.data(t)[0]; it["action"] != "update" || it["duplicate_field"] != "Visitor_Id" {
		t.Fatalf("%v", it)
	}
}

func TestListPagingSortingAndIfModifiedSince(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for i := range 5 {
		a := f.call("POST", "/crm/v2/Accounts", leadBody(map[string]any{"Account_Name": fmt.Sprintf("A%d", i)}))
		ids = append(ids, str(details(a.data(t)[0])["id"]))
		f.clock.Advance(time.Minute)
	}
	a := f.call("GET", "/crm/v2/Accounts?per_page=2&page=1", nil)
	wantStatus(t, a, http.StatusOK)
	m := a.json(t)
	info := m["info"].(map[string]any)
	if fmt.Sprintf("%v %v %v %v", info["per_page"], info["count"], info["page"], info["more_records"]) != "2 2 1 true" {
		t.Fatalf("info %v", info)
	}
	data := a.data(t)
	if data[0]["id"] != ids[4] || data[1]["id"] != ids[3] { // default: newest first
		t.Fatalf("order %v %v", data[0]["id"], data[1]["id"])
	}
	a = f.call("GET", "/crm/v2/Accounts?per_page=2&page=3&sort_order=asc&sort_by=Created_Time&fields=Account_Name", nil)
	data = a.data(t)
	if len(data) != 1 || data[0]["id"] != ids[4] || len(data[0]) != 2 || a.json(t)["info"].(map[string]any)["more_records"] != false {
		t.Fatalf("last page %v", data)
	}
	wantStatus(t, f.call("GET", "/crm/v2/Accounts?page=4&per_page=2", nil), http.StatusNoContent)
	wantStatus(t, f.call("GET", "/crm/v2/Leads", nil), http.StatusNoContent)
	wantCode(t, f.call("GET", "/crm/v2/Accounts?sort_by=Account_Name", nil), http.StatusBadRequest, "INVALID_DATA")
	many := strings.TrimSuffix(strings.Repeat("F,", 51), ",")
	wantCode(t, f.call("GET", "/crm/v2/Accounts?fields="+many, nil), http.StatusBadRequest, "LIMIT_EXCEEDED")

	// If-Modified-Since: records modified at or after the time; 304 when none.
	since := newTestClock().Now().Add(3 * time.Minute).Format(time.RFC3339)
	a = f.call("GET", "/crm/v2/Accounts", nil, "If-Modified-Since", since)
	if data := a.data(t); len(data) != 2 {
		t.Fatalf("modified since: %d records", len(data))
	}
	a = f.call("GET", "/crm/v2/Accounts", nil, "If-Modified-Since", f.clock.Now().Add(time.Hour).Format(time.RFC3339))
	wantStatus(t, a, http.StatusNotModified)
}

func TestWriteBodies(t *testing.T) {
	f := newFixture(t)
	// JSON without a Content-Type, and with an odd one, are accepted (Zoho's clients send none).
	wantStatus(t, f.call("POST", "/crm/v2/Accounts", `{"data":[{"Account_Name":"X"}]}`), http.StatusCreated)
	wantStatus(t, f.call("POST", "/crm/v2/Accounts", `{"data":[{"Account_Name":"Y"}]}`, "Content-Type", "text/plain"), http.StatusCreated)
	wantCode(t, f.call("POST", "/crm/v2/Accounts", `{"data":`), http.StatusBadRequest, "INVALID_DATA")
	wantCode(t, f.call("POST", "/crm/v2/Accounts", `{}`), http.StatusBadRequest, "REQUIRED_PARAM_MISSING")
	var many []any
	for range 101 {
		many = append(many, map[string]any{"Account_Name": "n"})
	}
	wantCode(t, f.call("POST", "/crm/v2/Accounts", map[string]any{"data": many}), http.StatusBadRequest, "LIMIT_EXCEEDED")
	a := f.call("POST", "/crm/v2/Accounts", `{"data":[1]}`)
	if a.status != http.StatusBadRequest || a.data(t)[0]["code"] != "INVALID_DATA" {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	// Numbers keep their exact text.
	a = f.call("POST", "/crm/v2/Leads", `{"data":[{"Last_Name":"N","Company":"C","Annual_Revenue":136.67,"No_of_Employees":1791}]}`)
	rec, _ := f.org.Record("Leads", str(details(a.data(t)[0])["id"]))
	if b, _ := json.Marshal(rec["Annual_Revenue"]); string(b) != "136.67" {
		t.Fatalf("Annual_Revenue %s", b)
	}
}

func TestRoutingErrors(t *testing.T) {
	f := newFixture(t)
	wantCode(t, f.call("GET", "/crm/v2/NoSuchModule", nil), http.StatusBadRequest, "INVALID_MODULE")
	wantCode(t, f.call("GET", "/crm/v3/Leads", nil), http.StatusNotFound, "INVALID_URL_PATTERN")
	wantCode(t, f.call("GET", "/nothing", nil), http.StatusNotFound, "INVALID_URL_PATTERN")
	wantCode(t, f.call("PATCH", "/crm/v2/Leads", nil), http.StatusBadRequest, "INVALID_REQUEST_METHOD")
	wantCode(t, f.call("GET", "/crm/v2/Leads/1/Notes", nil), http.StatusNotFound, "INVALID_URL_PATTERN")
	// v2.1 is served too; module names ignore case.
	wantStatus(t, f.call("POST", "/crm/v2.1/leads", leadBody(map[string]any{"Last_Name": "L", "Company": "C"})), http.StatusCreated)
}

func TestCustomModuleAndFieldsMetadata(t *testing.T) {
	f := newFixture(t)
	if err := f.org.AddModule(Module{APIName: "Chats", Fields: []Field{
		{APIName: "Name", DataType: "text", Length: 120, Mandatory: true},
		{APIName: "Channel", DataType: "picklist", PickList: []string{"Web", "WhatsApp"}},
		{APIName: "Contact", DataType: "lookup", LookupModule: "Contacts"},
	}}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.call("POST", "/crm/v2/Chats", leadBody(map[string]any{"Name": "c1", "Channel": "Web"})), http.StatusCreated)
	a := f.call("POST", "/crm/v2/Chats", leadBody(map[string]any{"Name": "c2", "Channel": "Fax"}))
	wantStatus(t, a, http.StatusBadRequest)

	a = f.call("GET", "/crm/v2/settings/fields?module=Cases", nil)
	wantStatus(t, a, http.StatusOK)
	fields, _ := a.json(t)["fields"].([]any)
	byName := map[string]map[string]any{}
	for _, x := range fields {
		m := x.(map[string]any)
		byName[str(m["api_name"])] = m
	}
	status := byName["Status"]
	if status["data_type"] != "picklist" || status["system_mandatory"] != true {
		t.Fatalf("Status %v", status)
	}
	var values []string
	for _, v := range status["pick_list_values"].([]any) {
		values = append(values, str(v.(map[string]any)["actual_value"]))
	}
	if strings.Join(values, ",") != "-None-,New,Escalated,On Hold,Closed" {
		t.Fatalf("Status values %v", values)
	}
	if rt := byName["Related_To"]; rt["data_type"] != "lookup" || rt["lookup"].(map[string]any)["module"] != "Contacts" {
		t.Fatalf("Related_To %v", rt)
	}
	if sub := byName["Subject"]; fmt.Sprint(sub["length"]) != "255" {
		t.Fatalf("Subject %v", sub)
	}
	wantCode(t, f.call("GET", "/crm/v2/settings/fields", nil), http.StatusBadRequest, "REQUIRED_PARAM_MISSING")
	wantCode(t, f.call("GET", "/crm/v2/settings/fields?module=Nope", nil), http.StatusBadRequest, "INVALID_MODULE")
	a = f.call("GET", "/crm/v2/settings/modules", nil)
	if mods := a.json(t)["modules"].([]any); len(mods) != 8 { // the standard modules (Products included) and the custom one
		t.Fatalf("%d modules", len(mods))
	}
}

func TestSeedAndReadBack(t *testing.T) {
	f := newFixture(t)
	ids, err := f.org.Seed("Accounts", map[string]any{"id": "1000000000000000001", "Account_Name": "Zylker", "Created_Time": "2024-01-02T03:04:05+05:30"})
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != "1000000000000000001" {
		t.Fatalf("ids %v", ids)
	}
	if _, err := f.org.Seed("Contacts", map[string]any{"Last_Name": "K", "Account_Name": map[string]any{"id": ids[0]}}); err != nil {
		t.Fatal(err)
	}
	recs := f.org.Records("Contacts")
	if len(recs) != 1 || recs[0]["Account_Name"].(map[string]any)["name"] != "Zylker" {
		t.Fatalf("%v", recs)
	}
	acc, _ := f.org.Record("Accounts", ids[0])
	if acc["Created_Time"] != "2024-01-01T21:34:05+00:00" {
		t.Fatalf("Created_Time %v", acc["Created_Time"])
	}
	// Read-back maps are copies.
	recs[0]["Last_Name"] = "changed"
	recs[0]["Account_Name"].(map[string]any)["name"] = "changed"
	if again := f.org.Records("Contacts"); again[0]["Last_Name"] != "K" || again[0]["Account_Name"].(map[string]any)["name"] != "Zylker" {
		t.Fatal("Records shares state with the server")
	}
	for _, bad := range []map[string]any{
		{"Account_Name": "x", "Nope": 1},
		{"Account_Name": 5},
		{"id": "abc", "Account_Name": "x"},
		{"id": ids[0], "Account_Name": "x"},
		{"Account_Name": "x", "Created_Time": "yesterday"},
	} {
		if _, err := f.org.Seed("Accounts", bad); err == nil || !strings.HasPrefix(err.Error(), "zohotest: ") {
			t.Errorf("Seed %v: %v", bad, err)
		}
	}
	if _, err := f.org.Seed("Nope", map[string]any{}); err == nil {
		t.Error("Seed into an unknown module")
	}
}

func TestSeededIDsAreNeverGenerated(t *testing.T) {
	f := newFixture(t)
	// The next ids the org would generate.
	probe := str(details(f.call("POST", "/crm/v2/Accounts", leadBody(map[string]any{"Account_Name": "probe"})).data(t)[0])["id"])
	n, err := strconv.ParseInt(probe, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var next []string
	for i := int64(1); i <= 3; i++ {
		next = append(next, strconv.FormatInt(n+i, 10))
	}
	for _, id := range next {
		if _, err := f.org.Seed("Accounts", map[string]any{"id": id, "Account_Name": "seeded " + id}); err != nil {
			t.Fatal(err)
		}
	}
	id := str(details(f.call("POST", "/crm/v2/Accounts", leadBody(map[string]any{"Account_Name": "new"})).data(t)[0])["id"])
	for _, n := range next {
		if id == n {
			t.Fatalf("generated id %s was seeded", id)
		}
	}
	if n := len(f.org.Records("Accounts")); n != 5 {
		t.Fatalf("%d accounts", n)
	}
}

// TestHugePageNumbers: a page number whose offset overflows int is an empty page (204), or
// LIMIT_REACHED for search, never a panic.
func TestHugePageNumbers(t *testing.T) {
	f := newFixture(t)
	if _, err := f.org.Seed("Accounts", map[string]any{"Account_Name": "Zylker"}); err != nil {
		t.Fatal(err)
	}
	const huge = "9223372036854775807"
	wantStatus(t, f.call("GET", "/crm/v2/Accounts?page="+huge, nil), http.StatusNoContent)
	wantStatus(t, f.call("GET", "/crm/v2/Accounts?per_page=1&page=4611686018427387904", nil), http.StatusNoContent)
	wantStatus(t, f.call("GET", "/crm/v2/users?page="+huge, nil), http.StatusNoContent)
	wantCode(t, f.call("GET", "/crm/v2/Accounts/search?word=zylker&page="+huge, nil), http.StatusBadRequest, "LIMIT_REACHED")
	wantStatus(t, f.call("GET", "/crm/v2/Accounts/search?word=zylker&per_page=1&page=2000", nil), http.StatusNoContent)
	wantCode(t, f.call("GET", "/crm/v2/Accounts/search?word=zylker&per_page=1&page=2001", nil), http.StatusBadRequest, "LIMIT_REACHED")
	a := f.call("GET", "/crm/v2/Accounts/search?word=zylker&per_page=1&page=1", nil)
	wantStatus(t, a, http.StatusOK)
}

// TestIDsStay19DigitsForManyOrgs: every org's ids are 19 digits that fit an int64 (as Zoho's
// do, and as clients parse them), however many orgs the server has seen.
func TestIDsStay19DigitsForManyOrgs(t *testing.T) {
	srv := NewServer()
	for _, seq := range []int{0, 4340, 4341, 5300, 8260, 1 << 20} {
		srv.mu.Lock()
		srv.orgSeq = seq
		srv.mu.Unlock()
		o, err := srv.AddOrg(OrgConfig{})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := o.Seed("Accounts", map[string]any{"Account_Name": "A"})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{ids[0], o.CurrentUser().ID} {
			n, err := strconv.ParseInt(id, 10, 64)
			if len(id) != 19 || err != nil || n < 1e18 {
				t.Errorf("org #%d: id %s is not 19 digits within int64: %v", seq+1, id, err)
			}
		}
	}
}

// TestLengthLimitsAtTheBoundary: lengths are counted in UTF-16 code units, exactly at the limit
// accepted and one unit over refused (Subject 255, Description 32,000, Phone 30).
func TestLengthLimitsAtTheBoundary(t *testing.T) {
	f := newFixture(t)
	newCase := func(subject, description string) answer {
		return f.call("POST", "/crm/v2/Cases", leadBody(map[string]any{"Subject": subject, "Status": "New", "Case_Origin": "Chat",
			"Description": description}))
	}
	cases := []struct {
		name                 string
		subject, description string
		field                string // "" when accepted
		max                  int
	}{
		{"subject 255", strings.Repeat("s", 255), "", "", 0},
		{"subject 256", strings.Repeat("s", 256), "", "Subject", 255},
		{"subject 127 emoji and one unit", strings.Repeat("😀", 127) + "s", "", "", 0},
		{"subject 128 emoji", strings.Repeat("😀", 128), "", "Subject", 255},
		{"subject 255 non-BMP-free runes", strings.Repeat("é", 255), "", "", 0},
		{"description 32000", "S", strings.Repeat("d", 32000), "", 0},
		{"description 32001", "S", strings.Repeat("d", 32001), "Description", 32000},
		{"description 16000 emoji", "S", strings.Repeat("😀", 16000), "", 0},
		{"description 16000 emoji and one unit", "S", strings.Repeat("😀", 16000) + "d", "Description", 32000},
	}
	for _, c := range cases {
		a := newCase(c.subject, c.description)
		if c.field == "" {
			if a.status != http.StatusCreated {
				t.Errorf("%s: %d %.200s", c.name, a.status, a.raw)
			}
			continue
		}
		it := a.data(t)[0]
		if d := details(it); a.status != http.StatusBadRequest || it["code"] != "INVALID_DATA" || d["api_name"] != c.field ||
			fmt.Sprint(d["maximum_length"]) != strconv.Itoa(c.max) {
			t.Errorf("%s: %d %v", c.name, a.status, it)
		}
	}
	wantStatus(t, f.call("POST", "/crm/v2/Contacts", leadBody(map[string]any{"Last_Name": "L", "Phone": strings.Repeat("1", 30)})), http.StatusCreated)
}
