package zohotest

// Requests as Zoho documents them, its error catalogue, empty answers, times, ids and headers,
// and field metadata: the fake answers them as Zoho does.

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestZohoSampleRequestsAreAccepted feeds Zoho's own sample requests to the fake: the ones valid
// in a default org succeed; the others fail the way Zoho would fail them in such an org.
func TestZohoSampleRequestsAreAccepted(t *testing.T) {
	f := newFixture(t)
	owner := f.org.CurrentUser().ID
	// The samples' lookups point to records of Zoho's demo orgs: seed them under the same ids.
	seeds := []struct {
		module string
		rec    map[string]any
	}{
		{"Accounts", map[string]any{"id": "5725767000007910001", "Account_Name": "Bentley Systems"}},
		{"Accounts", map[string]any{"id": "5725767000011373001", "Account_Name": "Bentley Systems"}},
		{"Accounts", map[string]any{"id": "3652397000000624046", "Account_Name": "Zylker"}},
		{"Contacts", map[string]any{"id": "5725767000011356002", "Last_Name": "Kingsley", "First_Name": "Anna"}},
		{"Contacts", map[string]any{"id": "3660682000000516033", "Last_Name": "Marrier", "First_Name": "Kris"}},
		{"Leads", map[string]any{"id": "3660682000000516249", "Last_Name": "Maclead", "First_Name": "Christopher", "Company": "Chapman"}},
		{"Deals", map[string]any{"id": "5725767000011360004", "Deal_Name": "Bentley Systems - Annual License Renewal", "Stage": "Negotiation/Review"}},
	}
	for _, s := range seeds {
		if _, err := f.org.Seed(s.module, s.rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.org.Seed("Products", map[string]any{"id": "5725767000006754021", "Product_Name": "CRM Enterprise Suite"}); err != nil {
		t.Fatal(err)
	}
	send := func(module, sample string, edit func(string) string) answer {
		data, err := os.ReadFile(filepath.Join("testdata", sample))
		if err != nil {
			t.Fatal(err)
		}
		body := string(data)
		if edit != nil {
			body = edit(body)
		}
		body = strings.ReplaceAll(body, "5725767000000411001", owner) // the samples' owner id
		return f.call("POST", "/crm/v2/"+module, body)
	}
	wantStatus(t, send("Leads", "v8oas_create_records_lead_request.json", nil), http.StatusCreated)
	wantStatus(t, send("Contacts", "v8oas_create_records_contact_request.json", nil), http.StatusCreated)
	wantStatus(t, send("Tasks", "v8oas_create_records_task_request.json", nil), http.StatusCreated)
	wantStatus(t, send("Tasks", "kaizen36_v2_create_task_for_lead_request.json", nil), http.StatusCreated)
	wantStatus(t, send("Tasks", "kaizen36_v2_create_task_for_account_request.json", nil), http.StatusCreated)
	// Zoho's Postman sample sends no Company: most orgs' Lead layout requires it (the fake's
	// default), some do not.
	postman := func(s string) string { return strings.ReplaceAll(s, "{{user-id}}", owner) }
	a := send("Leads", "postman_v2_insert_lead_request.json", postman)
	if it := a.data(t)[0]; a.status != http.StatusBadRequest || it["code"] != "MANDATORY_NOT_FOUND" || details(it)["api_name"] != "Company" {
		t.Fatalf("postman sample: %d %s", a.status, a.raw)
	}
	leadFields := f.org.Fields("Leads")
	for i := range leadFields {
		if leadFields[i].APIName == "Company" {
			leadFields[i].Mandatory = false
		}
	}
	if err := f.org.SetFields("Leads", leadFields); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, send("Leads", "postman_v2_insert_lead_request.json", postman), http.StatusCreated)
	wantStatus(t, send("Leads/upsert", "v8oas_upsert_records_request.json", nil), http.StatusBadRequest) // Phone is no duplicate-check field in v2
	// The v8 Case sample uses Status "In Progress", which is not one of the v2 Case statuses
	// (New, Escalated, On Hold, Closed): Zoho's picklist check refuses it.
	a = send("Cases", "v8oas_create_records_case_request.json", nil)
	if it := a.data(t)[0]; a.status != http.StatusBadRequest || it["code"] != "INVALID_DATA" || details(it)["api_name"] != "Status" {
		t.Fatalf("case sample: %d %s", a.status, a.raw)
	}
	a = send("Cases", "v8oas_create_records_case_request.json", func(s string) string { return strings.Replace(s, `"In Progress"`, `"Escalated"`, 1) })
	wantStatus(t, a, http.StatusCreated)
	c, _ := f.org.Record("Cases", str(details(a.data(t)[0])["id"]))
	if c["Product_Name"].(map[string]any)["name"] != "CRM Enterprise Suite" || c["Subject"] != "Unable to export report as PDF" {
		t.Fatalf("case %v", c)
	}
	task := f.org.Records("Tasks")[2]
	if task["$se_module"] != "Accounts" || task["What_Id"].(map[string]any)["id"] != "3652397000000624046" || task["Who_Id"].(map[string]any)["name"] != "Kris Marrier" {
		t.Fatalf("task %v", task)
	}
}

// TestErrorCatalogue: every error the fake answers has Zoho's HTTP status for its code
// (zoho-api.md §7), Zoho's envelope (code, details object, message, status "error"; at top level
// or as items of data[] for record errors) and a JSON content type.
func TestErrorCatalogue(t *testing.T) {
	f := newFixture(t, WithMaxAttachmentSize(4))
	caseID := str(details(f.call("POST", "/crm/v2/Cases", leadBody(map[string]any{"Subject": "S", "Status": "New", "Case_Origin": "Web"})).data(t)[0])["id"])
	fields := append(standardFields("Leads"), Field{APIName: "Visitor_Id", DataType: "text", Length: 10, Unique: true})
	if err := f.org.SetFields("Leads", fields); err != nil {
		t.Fatal(err)
	}
	f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Company": "C", "Last_Name": "L", "Visitor_Id": "v"}))
	spent, err := f.srv.AddOrg(OrgConfig{DailyCredits: 1})
	if err != nil {
		t.Fatal(err)
	}
	spentTok := spent.IssueAccessToken()
	wantStatus(t, rawCall(t, f.srv, spentTok, "GET", "/crm/v2/org", nil), http.StatusOK)
	big, bigCT := multipartBody(t, "big.txt", "", []byte("12345"))
	var hundredAndOne []any
	for range 101 {
		hundredAndOne = append(hundredAndOne, map[string]any{"Account_Name": "n"})
	}
	cases := []struct {
		name   string
		a      func() answer
		status int
		code   string
		item   bool // the error is data[0] of a 400 answer
	}{
		{"no token", func() answer { return rawCall(t, f.srv, "", "GET", "/crm/v2/Leads", nil) }, 401, "AUTHENTICATION_FAILURE", false},
		{"unknown token", func() answer { return rawCall(t, f.srv, "1000.x", "GET", "/crm/v2/Leads", nil) }, 401, "INVALID_TOKEN", false},
		{"scope", func() answer {
			return rawCall(t, f.srv, f.org.IssueAccessToken("ZohoCRM.org.READ"), "GET", "/crm/v2/Leads", nil)
		}, 401, "OAUTH_SCOPE_MISMATCH", false},
		{"url", func() answer { return f.call("GET", "/crm/v2/Leads/1/Nope", nil) }, 404, "INVALID_URL_PATTERN", false},
		{"method", func() answer { return f.call("PATCH", "/crm/v2/Leads", nil) }, 400, "INVALID_REQUEST_METHOD", false},
		{"module", func() answer { return f.call("GET", "/crm/v2/Nope", nil) }, 400, "INVALID_MODULE", false},
		{"param", func() answer { return f.call("DELETE", "/crm/v2/Leads", nil) }, 400, "REQUIRED_PARAM_MISSING", false},
		{"search param", func() answer { return f.call("GET", "/crm/v2/Leads/search", nil) }, 400, "EXPECTED_PARAM_MISSING", false},
		{"query", func() answer { return f.call("GET", "/crm/v2/Leads/search?criteria=(Nope:equals:ab)", nil) }, 400, "INVALID_QUERY", false},
		{"short value", func() answer { return f.call("GET", "/crm/v2/Leads/search?word=a", nil) }, 400, "INVALID_DATA", false},
		{"too many records", func() answer { return f.call("POST", "/crm/v2/Accounts", map[string]any{"data": hundredAndOne}) }, 400, "LIMIT_EXCEEDED", false},
		{"search depth", func() answer { return f.call("GET", "/crm/v2/Leads/search?word=ab&page=11", nil) }, 400, "LIMIT_REACHED", false},
		{"credits", func() answer { return rawCall(t, f.srv, spentTok, "GET", "/crm/v2/org", nil) }, 429, "TOO_MANY_REQUESTS", false},
		{"file size", func() answer {
			return f.call("POST", "/crm/v2/Cases/"+caseID+"/Attachments", big, "Content-Type", bigCT)
		}, 413, "FILE_SIZE_MORE_THAN_ALLOWED_SIZE", false},
		{"mandatory", func() answer { return f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Company": "C"})) }, 400, "MANDATORY_NOT_FOUND", true},
		{"invalid", func() answer {
			return f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Company": "C", "Last_Name": true}))
		}, 400, "INVALID_DATA", true},
		{"duplicate", func() answer {
			return f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Company": "C", "Last_Name": "M", "Visitor_Id": "V"}))
		}, 400, "DUPLICATE_DATA", true},
	}
	for _, c := range cases {
		a := c.a()
		if a.status != c.status || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %q, want %d JSON: %s", c.name, a.status, a.header.Get("Content-Type"), c.status, a.raw)
			continue
		}
		e := a.json(t)
		if c.item {
			e = a.data(t)[0]
		}
		_, isObj := e["details"].(map[string]any)
		msg, _ := e["message"].(string)
		if e["code"] != c.code || e["status"] != "error" || !isObj || msg == "" || len(e) != 4 {
			t.Errorf("%s: %v, want Zoho's envelope with code %s", c.name, e, c.code)
		}
	}
	// A server error from a fault, and 503 keeps the status with Zoho's body.
	if _, err := f.srv.InjectFault(Fault{Status: 503, Times: 1}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.call("GET", "/crm/v2/Leads", nil), http.StatusServiceUnavailable, "INTERNAL_ERROR")
}

// TestNoContentAnswers: empty lists, searches without a match, unknown record and user ids are
// HTTP 204 with an empty body, as in the real v2 capture.
func TestNoContentAnswers(t *testing.T) {
	f := newFixture(t)
	if _, err := f.org.Seed("Leads", map[string]any{"Last_Name": "Boyle", "Company": "C", "Email": "p@c.example"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"/crm/v2/Cases",
		"/crm/v2/Leads/search?email=nobody@c.example",
		"/crm/v2/Leads/search?criteria=(Last_Name:equals:Nobody)",
		"/crm/v2/Leads/search?phone=5550000",
		"/crm/v2/Leads/search?word=nobody",
		"/crm/v2/Leads/1234567890123456789",
		"/crm/v2/users/1234567890123456789",
		"/crm/v2/users?type=DeletedUsers",
	} {
		a := f.call("GET", path, nil)
		if a.status != http.StatusNoContent || len(a.raw) != 0 || a.header.Get("X-Accesstoken-Reset") == "" {
			t.Errorf("%s: %d %q %v", path, a.status, a.raw, a.header)
		}
	}
}

// TestTimesIdsAndHeadersAsZohoWritesThem: times are second-precision ISO 8601 with the org's
// offset (2019-07-25T15:26:49+05:30), in record answers, write answers, users, org and
// attachments and in X-Accesstoken-Reset; every "id" is a 19-digit string.
func TestTimesIdsAndHeadersAsZohoWritesThem(t *testing.T) {
	clock := newTestClock()
	srv := New(t, WithClock(clock.Now))
	org, err := srv.AddOrg(OrgConfig{TimeZone: "Asia/Kolkata"})
	if err != nil {
		t.Fatal(err)
	}
	tok := org.IssueAccessToken()
	call := func(method, path string, body any, hdr ...string) answer {
		t.Helper()
		return rawCall(t, srv, tok, method, path, body, hdr...)
	}
	const want = "2025-03-14T14:56:53+05:30" // the test clock, 09:26:53 UTC, in India
	a := call("POST", "/crm/v2/Contacts", leadBody(map[string]any{"Last_Name": "Kumar", "Email": "k@x.example"}))
	d := details(a.data(t)[0])
	if d["Created_Time"] != want || d["Modified_Time"] != want {
		t.Fatalf("write answer times %v", d)
	}
	id := str(d["id"])
	body, ct := multipartBody(t, "a.txt", "", []byte("a"))
	call("POST", "/crm/v2/Contacts/"+id+"/Attachments", body, "Content-Type", ct)
	timeRE := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`)
	idRE := regexp.MustCompile(`^[1-9]\d{18}$`)
	for _, path := range []string{"/crm/v2/Contacts", "/crm/v2/Contacts/" + id, "/crm/v2/Contacts/search?email=k@x.example",
		"/crm/v2/Contacts/" + id + "/Attachments", "/crm/v2/users", "/crm/v2/org", "/crm/v2/settings/fields?module=Contacts",
		"/crm/v2/settings/modules"} {
		a := call("GET", path, nil)
		wantStatus(t, a, http.StatusOK)
		if h := a.header.Get("X-Accesstoken-Reset"); h != "2025-03-14T15:56:53+05:30" {
			t.Errorf("%s: X-Accesstoken-Reset %q", path, h)
		}
		var walk func(key string, v any)
		walk = func(key string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					walk(k, e)
				}
			case []any:
				for _, e := range x {
					walk(key, e)
				}
			case string:
				if strings.HasSuffix(strings.ToLower(key), "_time") && !timeRE.MatchString(x) {
					t.Errorf("%s: %s %q is not Zoho's time format", path, key, x)
				}
				if (key == "Created_Time" || key == "Modified_Time") && x != want {
					t.Errorf("%s: %s %q, want %s", path, key, x, want)
				}
				if key == "id" && !idRE.MatchString(x) {
					t.Errorf("%s: id %q is not 19 digits", path, x)
				}
			default:
				if key == "id" {
					t.Errorf("%s: id %v is not a string", path, x)
				}
			}
		}
		walk("", decodeAny(t, a.raw))
	}
}

// Every field of the five modules sync uses is served with the keys and JSON types of Zoho's
// field sample, a length Zoho would give (never 0), the json_type of its data type, and a lookup
// object shaped as Zoho's (a module name, or {"api_name": "se_module"} for What_Id) whose module
// the fake serves.
func TestFieldsMetadataAsZohoSendsIt(t *testing.T) {
	f := newFixture(t)
	sample := loadSample(t, "v2docs_get_fields_owner_response.json").(map[string]any)["fields"].([]any)[0].(map[string]any)
	modules := map[string]bool{}
	for _, m := range f.org.Modules() {
		modules[m] = true
	}
	wantJSONType := map[string]string{"ownerlookup": "jsonobject", "lookup": "jsonobject", "boolean": "boolean",
		"integer": "integer", "currency": "double", "text": "string", "email": "string", "phone": "string",
		"datetime": "string", "date": "string", "picklist": "string", "textarea": "string"}
	for _, module := range []string{"Leads", "Contacts", "Accounts", "Cases", "Tasks"} {
		a := f.call("GET", "/crm/v2/settings/fields?module="+module, nil)
		wantStatus(t, a, http.StatusOK)
		for _, raw := range decodeAny(t, a.raw).(map[string]any)["fields"].([]any) {
			fl := raw.(map[string]any)
			name := fmt.Sprintf("%s.%v", module, fl["api_name"])
			for k, sv := range sample {
				gv, ok := fl[k]
				if !ok {
					t.Errorf("%s: no %q (Zoho's sample has it)", name, k)
					continue
				}
				if k != "lookup" && sv != nil && gv != nil && jsonKind(sv) != jsonKind(gv) {
					t.Errorf("%s: %q is %s, Zoho's sample has %s", name, k, jsonKind(gv), jsonKind(sv))
				}
			}
			if n, _ := fl["length"].(float64); n <= 0 {
				t.Errorf("%s: length %v; Zoho never sends 0", name, fl["length"])
			}
			dt, _ := fl["data_type"].(string)
			if want, ok := wantJSONType[dt]; ok && fl["json_type"] != want {
				t.Errorf("%s: json_type %v for %s, want %s", name, fl["json_type"], dt, want)
			}
			lk, _ := fl["lookup"].(map[string]any)
			switch {
			case dt == "lookup":
				if lk["api_name"] != fl["api_name"] || lk["id"] == nil {
					t.Errorf("%s: lookup %v", name, lk)
				}
				switch m := lk["module"].(type) {
				case string:
					if !modules[m] {
						t.Errorf("%s: looks up %s, a module the fake does not serve", name, m)
					}
				case map[string]any:
					if m["api_name"] != "se_module" {
						t.Errorf("%s: lookup module %v", name, m)
					}
				default:
					t.Errorf("%s: lookup module %v", name, lk["module"])
				}
			case len(lk) != 0:
				t.Errorf("%s: a %s field with lookup %v (Zoho sends {})", name, dt, lk)
			}
		}
	}
}
