package zohotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Every answer shape the fake serves is checked against Zoho's verbatim samples in testdata/
// (sources in testdata/README.md): same keys, same JSON types.

func loadSample(t *testing.T, name string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func decodeAny(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, raw)
	}
	return v
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

// shapeDiff lists how got differs from sample. Every key of got must be in sample with the same
// JSON type (null on either side matches anything). With exact, every key of sample must be in
// got too (except the paths in optional), and array items are compared by position (the last
// sample item for the rest); otherwise array items are compared with the union of the sample's
// items.
func shapeDiff(path string, sample, got any, exact bool, optional map[string]bool) []string {
	if sample == nil || got == nil {
		return nil
	}
	if jsonKind(sample) != jsonKind(got) {
		return []string{fmt.Sprintf("%s: %s in the sample, %s served", path, jsonKind(sample), jsonKind(got))}
	}
	var diffs []string
	switch s := sample.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for _, k := range sortedKeys(g) {
			sv, ok := s[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: not in the sample", path, k))
				continue
			}
			diffs = append(diffs, shapeDiff(path+"."+k, sv, g[k], exact, optional)...)
		}
		if exact {
			for _, k := range sortedKeys(s) {
				if _, ok := g[k]; !ok && !optional[path+"."+k] {
					diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
				}
			}
		}
	case []any:
		g := got.([]any)
		if len(s) == 0 {
			return nil
		}
		union := unionItems(s)
		for i, gi := range g {
			want := union
			if exact {
				want = s[min(i, len(s)-1)]
			}
			diffs = append(diffs, shapeDiff(path+"[]", want, gi, exact, optional)...)
		}
	}
	return diffs
}

// unionItems merges sample array items that are objects, deeply (first non-null value per key).
func unionItems(items []any) any {
	u := map[string]any{}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return items[0]
		}
		for k, v := range m {
			um, uIsObj := u[k].(map[string]any)
			vm, vIsObj := v.(map[string]any)
			switch {
			case u[k] == nil:
				u[k] = v
			case uIsObj && vIsObj:
				u[k] = unionItems([]any{um, vm})
			}
		}
	}
	return u
}

func unionSamples(t *testing.T, names ...string) any {
	var items []any
	for _, n := range names {
		items = append(items, loadSample(t, n))
	}
	return unionItems(items)
}

func checkShape(t *testing.T, what string, sample any, got []byte, exact bool, optional ...string) {
	t.Helper()
	opt := map[string]bool{}
	for _, o := range optional {
		opt[o] = true
	}
	if diffs := shapeDiff("$", sample, decodeAny(t, got), exact, opt); len(diffs) > 0 {
		sort.Strings(diffs)
		t.Errorf("%s differs from Zoho's sample:\n  %s\nserved: %s", what, strings.Join(diffs, "\n  "), got)
	}
}

func TestShapesOfTokenAnswers(t *testing.T) {
	f := newFixture(t)
	form := func(v url.Values) []byte {
		resp, err := http.PostForm(f.srv.URL()+"/oauth/v2/token", v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return buf.Bytes()
	}
	client := url.Values{"client_id": {f.srv.ClientID()}, "client_secret": {f.srv.ClientSecret()}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, x := range client {
			v[k] = x
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	got := form(with("grant_type", "authorization_code", "code", f.org.IssueGrantCode()))
	checkShape(t, "code exchange", loadSample(t, "token_authorization_code_response_zoho_contracts_docs.json"), got, true)
	rt := f.org.IssueRefreshToken()
	got = form(with("grant_type", "refresh_token", "refresh_token", rt))
	checkShape(t, "refresh", loadSample(t, "token_refresh_response_crm_vertical_v6_docs.json"), got, true)
	got = form(with("grant_type", "client_credentials", "scope", "ZohoCRM.modules.ALL", "soid", "ZohoCRM."+f.org.ID()))
	checkShape(t, "client credentials", loadSample(t, "token_client_credentials_response_kaizen164.json"), got, true)
	got = form(with("grant_type", "refresh_token", "refresh_token", "1000.nope"))
	checkShape(t, "invalid code", loadSample(t, "token_error_invalid_code.json"), got, true)
	if !bytes.Equal(got, []byte(`{"error":"invalid_code"}`)) {
		t.Errorf("invalid code: %s", got)
	}
	for range 10 {
		form(with("grant_type", "refresh_token", "refresh_token", rt))
	}
	got = form(with("grant_type", "refresh_token", "refresh_token", rt))
	checkShape(t, "throttle", loadSample(t, "token_error_access_denied_throttle_crm_v4_docs.json"), got, true)
	resp, err := http.Post(f.srv.URL()+"/oauth/v2/token/revoke?token="+url.QueryEscape(rt), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	checkShape(t, "revoke", loadSample(t, "revoke_token_response.json"), buf.Bytes(), true)
}

func TestShapesOfRecordAnswers(t *testing.T) {
	f := newFixture(t)
	// Insert: 201, and 207 mixed (success then error, as in the sample).
	a := f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": "Boyle", "Company": "ABC", "Email": "boyle@abc.example", "Phone": "111"}))
	checkShape(t, "insert 201", loadSample(t, "v8oas_create_records_response_201_success.json"), a.raw, true, "$.data[].details.$approval_state")
	lead := str(details(a.data(t)[0])["id"])
	a = f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": "Ok", "Company": "C"}, map[string]any{"Company": "C"}))
	wantStatus(t, a, http.StatusMultiStatus)
	checkShape(t, "insert 207", loadSample(t, "v8oas_create_records_response_207_mixed.json"), a.raw, true,
		"$.data[].details.$approval_state")
	// Update, upsert (update then insert, as in the sample), upsert 207.
	a = f.call("PUT", "/crm/v2/Leads", leadBody(map[string]any{"id": lead, "Phone": "222"}))
	checkShape(t, "update", loadSample(t, "v7docs_update_records_response.json"), a.raw, true)
	a = f.call("POST", "/crm/v2/Leads/upsert", leadBody(map[string]any{"Last_Name": "Boyle", "Company": "ABC", "Email": "boyle@abc.example"},
		map[string]any{"Last_Name": "New", "Company": "N", "Email": "new@abc.example"}))
	checkShape(t, "upsert", loadSample(t, "v7docs_upsert_records_response.json"), a.raw, true)
	a = f.call("POST", "/crm/v2/Leads/upsert", leadBody(map[string]any{"Last_Name": "Third", "Company": "T", "Email": "third@abc.example"},
		map[string]any{"Last_Name": "Bad", "Company": 7}))
	checkShape(t, "upsert 207", loadSample(t, "v8oas_upsert_records_response_207_mixed.json"), a.raw, true)
	// Get, list, search: records carry only keys Zoho's samples have.
	recordSamples := []string{"v7docs_search_leads_by_email_response.json", "v7docs_search_leads_by_criteria_response.json",
		"v8oas_search_leads_response_200.json", "v7docs_get_records_leads_response.json"}
	var samples []any
	for _, n := range recordSamples {
		samples = append(samples, loadSample(t, n).(map[string]any)["data"].([]any)...)
	}
	leadSample := map[string]any{"data": []any{unionItems(samples)}, "info": loadSample(t, "v7docs_get_records_leads_response.json").(map[string]any)["info"]}
	a = f.call("GET", "/crm/v2/Leads/"+lead, nil)
	checkShape(t, "get", leadSample, a.raw, false)
	a = f.call("GET", "/crm/v2/Leads?per_page=2", nil)
	checkShape(t, "list", leadSample, a.raw, false)
	a = f.call("GET", "/crm/v2/Leads/search?email=boyle@abc.example", nil)
	checkShape(t, "search", leadSample, a.raw, false)
	checkShape(t, "search envelope", loadSample(t, "v7docs_search_leads_by_email_response.json"),
		[]byte(fmt.Sprintf(`{"data":[],"info":%s}`, mustJSON(t, a.json(t)["info"]))), true)
	// Delete: one and two records.
	a = f.call("DELETE", "/crm/v2/Leads/"+lead, nil)
	checkShape(t, "delete one", loadSample(t, "v2docs_delete_record_response.json"), a.raw, true)
	var ids []string
	for _, r := range f.org.Records("Leads")[:2] {
		ids = append(ids, r["id"].(string))
	}
	a = f.call("DELETE", "/crm/v2/Leads?ids="+strings.Join(ids, ","), nil)
	checkShape(t, "delete two", loadSample(t, "v7docs_delete_records_response.json"), a.raw, true)
	// 204: no body, Zoho's content type (real v2 capture).
	cassette, err := os.ReadFile(filepath.Join("testdata", "zoho_hub_v2_related_notes_204_no_content.cassette.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(cassette, []byte("code: 204")) || !bytes.Contains(cassette, []byte("string: ''")) {
		t.Fatal("cassette is not the 204 sample")
	}
	a = f.call("GET", "/crm/v2/Cases", nil)
	if a.status != 204 || len(a.raw) != 0 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") || a.header.Get("X-Accesstoken-Reset") == "" {
		t.Fatalf("204: %d %q %v", a.status, a.raw, a.header)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestShapesOfUsersOrgAndAttachments(t *testing.T) {
	f := newFixture(t)
	if _, err := f.org.AddUser(User{Email: "off@acme.example", Status: "inactive"}); err != nil {
		t.Fatal(err)
	}
	users := unionSamples(t, "v7docs_get_users_response.json", "v8oas_get_users_response_200.json").(map[string]any)
	users["users"] = []any{unionItems(append(users["users"].([]any), loadSample(t, "v8oas_get_users_response_200.json").(map[string]any)["users"].([]any)...))}
	a := f.call("GET", "/crm/v2/users", nil)
	checkShape(t, "users", users, a.raw, false)
	checkShape(t, "users info", loadSample(t, "v7docs_get_users_response.json").(map[string]any)["info"], mustJSON(t, a.json(t)["info"]), true)

	org := unionSamples(t, "v2docs_get_org_response.json", "v7docs_get_org_response.json").(map[string]any)
	org["org"] = []any{unionItems(append(loadSample(t, "v2docs_get_org_response.json").(map[string]any)["org"].([]any),
		loadSample(t, "v7docs_get_org_response.json").(map[string]any)["org"].([]any)...))}
	checkShape(t, "org", org, f.call("GET", "/crm/v2/org", nil).raw, false)
	// Every key of the v2 sample is served (with the same type).
	if diffs := shapeDiff("$", decodeAny(t, f.call("GET", "/crm/v2/org", nil).raw), loadSample(t, "v2docs_get_org_response.json"), false, nil); len(diffs) > 0 {
		t.Errorf("org lacks keys of the v2 sample: %v", diffs)
	}

	caseID := str(details(f.call("POST", "/crm/v2/Cases", leadBody(map[string]any{"Subject": "S", "Status": "New", "Case_Origin": "Web"})).data(t)[0])["id"])
	body, ct := multipartBody(t, "Q4_Report.pdf", "application/pdf", []byte("%PDF-1.4"))
	a = f.call("POST", "/crm/v2/Cases/"+caseID+"/Attachments", body, "Content-Type", ct)
	checkShape(t, "upload", loadSample(t, "v8oas_upload_attachment_response_200.json"), a.raw, true)
	checkShape(t, "upload (v7)", loadSample(t, "v7docs_upload_attachment_response.json"), a.raw, true)
	fileID := str(details(a.data(t)[0])["id"])
	body, ct = multipartBody(t, "", "", nil, "attachmentUrl", "https://www.google.com", "title", "Google")
	f.call("POST", "/crm/v2/Cases/"+caseID+"/Attachments", body, "Content-Type", ct)
	body, ct = multipartBody(t, "Q4_Report.pdf", "application/pdf", []byte("%PDF-1.4"))
	f.call("POST", "/crm/v2/Cases/"+caseID+"/Attachments", body, "Content-Type", ct)
	a = f.call("GET", "/crm/v2/Cases/"+caseID+"/Attachments", nil)
	// Newest first: a file, then the link, then a file, as in the sample (file, link).
	checkShape(t, "list attachments", loadSample(t, "v8oas_list_attachments_response_200.json"), a.raw, true, "$.data[].$link_url")
	a = f.call("DELETE", "/crm/v2/Cases/"+caseID+"/Attachments/"+fileID, nil)
	checkShape(t, "delete attachment", loadSample(t, "v8oas_delete_attachment_response_200.json"), a.raw, true)
}

func TestShapesOfErrors(t *testing.T) {
	f := newFixture(t, WithMaxAttachmentSize(4))
	exactly := func(what, sample string, a answer) {
		t.Helper()
		checkShape(t, what, loadSample(t, sample), a.raw, true)
		var want, got any
		_ = json.Unmarshal(mustJSON(t, loadSample(t, sample)), &want)
		got = decodeAny(t, a.raw)
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Errorf("%s: served %s, Zoho's sample %v", what, a.raw, want)
		}
	}
	exactly("401 invalid token", "v8oas_error_401_invalid_token.json", rawCall(t, f.srv, "1000.expired", "GET", "/crm/v2/Leads", nil))
	exactly("401 scope", "v8oas_error_401_oauth_scope_mismatch.json", rawCall(t, f.srv, f.org.IssueAccessToken("ZohoCRM.org.READ"), "GET", "/crm/v2/Leads", nil))
	exactly("404 url", "v8oas_error_404_invalid_url_pattern.json", f.call("GET", "/crm/v2/Leads/1/Nope", nil))
	caseID := str(details(f.call("POST", "/crm/v2/Cases", leadBody(map[string]any{"Subject": "S", "Status": "New", "Case_Origin": "Web"})).data(t)[0])["id"])
	body, ct := multipartBody(t, "big.txt", "", []byte("12345"))
	exactly("413 file size", "v8oas_error_413_file_size_exceeded.json", f.call("POST", "/crm/v2/Cases/"+caseID+"/Attachments", body, "Content-Type", ct))
	if _, err := f.srv.InjectFault(Fault{Status: 500, Times: 1}); err != nil {
		t.Fatal(err)
	}
	exactly("500", "v8oas_error_500_internal_error.json", f.call("GET", "/crm/v2/Leads", nil))
	if _, err := f.srv.InjectFault(Fault{Status: 429, Times: 1}); err != nil {
		t.Fatal(err)
	}
	checkShape(t, "429", loadSample(t, "v8oas_error_429_rate_limit_exceeded.json"), f.call("GET", "/crm/v2/Leads", nil).raw, true)
	many := strings.TrimSuffix(strings.Repeat("F,", 51), ",")
	exactly("400 fields limit", "v8oas_error_400_limit_exceeded_fields.json", f.call("GET", "/crm/v2/Leads?fields="+many, nil))
	checkShape(t, "400 mandatory", loadSample(t, "v8oas_error_400_mandatory_not_found.json"), f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Company": "C"})).raw, true)
	checkShape(t, "400 length", loadSample(t, "v8oas_error_400_invalid_data_max_length.json"),
		f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Company": "C", "Last_Name": strings.Repeat("x", 81)})).raw, true)
	exactly("400 invalid module (item)", "v8oas_error_400_invalid_module.json", answer{raw: mustJSON(t, map[string]any{"data": []any{f.call("GET", "/crm/v2/Nope", nil).json(t)}})})
	fields := append(standardFields("Leads"), Field{APIName: "Unique_1", DataType: "text", Length: 10, Unique: true})
	if err := f.org.SetFields("Leads", fields); err != nil {
		t.Fatal(err)
	}
	f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Company": "C", "Last_Name": "L", "Unique_1": "u"}))
	checkShape(t, "400 duplicate", loadSample(t, "v8oas_error_400_duplicate_data.json"),
		f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Company": "C", "Last_Name": "M", "Unique_1": "u"})).raw, true)
}
