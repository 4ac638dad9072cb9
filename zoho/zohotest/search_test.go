package zohotest

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func searchPath(module string, params url.Values) string {
	return "/crm/v2/" + module + "/search?" + params.Encode()
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	if _, err := f.org.Seed("Contacts",
		map[string]any{"Last_Name": "Burns,B", "First_Name": "Mary", "Email": "mary@burns.example", "Phone": "+1 (555) 010-0101"},
		map[string]any{"Last_Name": "Burnside", "First_Name": "Max", "Email": "max@burnside.example", "Mobile": "555 0102"},
		map[string]any{"Last_Name": "Smith", "Email": "MARY@burns.example", "Description": "met at the chat fair"},
	); err != nil {
		t.Fatal(err)
	}
	names := func(a answer) []string {
		var out []string
		for _, r := range a.data(t) {
			out = append(out, str(r["Last_Name"]))
		}
		return out
	}
	cases := []struct {
		params url.Values
		want   string
	}{
		{url.Values{"criteria": {`((Last_Name:equals:Burns\,B)and(First_Name:starts_with:Ma))`}}, "[Burns,B]"},
		{url.Values{"criteria": {`(Last_Name:starts_with:burn)`}}, "[Burnside Burns,B]"}, // newest first
		{url.Values{"criteria": {`((Last_Name:equals:Smith)or(First_Name:equals:max))`}}, "[Smith Burnside]"},
		{url.Values{"email": {"mary@BURNS.example"}}, "[Smith Burns,B]"},
		{url.Values{"phone": {"+1 (555) 010-0101"}}, "[Burns,B]"}, // as written
		{url.Values{"phone": {"555 0102"}}, "[Burnside]"},
		{url.Values{"criteria": {`(Last_Name:equals:burns)`}}, "[Burnside Burns,B]"},       // loose, as Zoho
		{url.Values{"criteria": {`(Email:equals:mary@burns.example)`}}, "[Smith Burns,B]"}, // emails whole
		{url.Values{"word": {"CHAT"}}, "[Smith]"},
		{url.Values{"criteria": {`(Last_Name:equals:Smith)`}, "email": {"max@burnside.example"}}, "[Smith]"}, // criteria wins
	}
	for _, c := range cases {
		a := f.call("GET", searchPath("Contacts", c.params), nil)
		if a.status != http.StatusOK {
			t.Fatalf("%v: %d %s", c.params, a.status, a.raw)
		}
		if got := fmt.Sprint(names(a)); got != c.want {
			t.Errorf("%v: %s, want %s", c.params, got, c.want)
		}
	}
	info := f.call("GET", searchPath("Contacts", url.Values{"word": {"burn"}, "per_page": {"1"}}), nil).json(t)["info"].(map[string]any)
	if info["more_records"] != true || fmt.Sprint(info["count"]) != "1" {
		t.Fatalf("info %v", info)
	}
	wantStatus(t, f.call("GET", searchPath("Contacts", url.Values{"email": {"nobody@x.example"}}), nil), http.StatusNoContent)
	// Zoho documents no phone normalisation: other forms of a number are not found.
	wantStatus(t, f.call("GET", searchPath("Contacts", url.Values{"phone": {"15550100101"}}), nil), http.StatusNoContent)
	wantCode(t, f.call("GET", searchPath("Contacts", url.Values{"word": {"x"}}), nil), http.StatusBadRequest, "INVALID_DATA")
	wantCode(t, f.call("GET", searchPath("Contacts", url.Values{"criteria": {"(Last_Name:equals:x)"}}), nil), http.StatusBadRequest, "INVALID_DATA")
	wantCode(t, f.call("GET", searchPath("Contacts", url.Values{"criteria": {"(Last_Name:not_equal:xy)"}}), nil), http.StatusBadRequest, "INVALID_QUERY")
	wantCode(t, f.call("GET", searchPath("Contacts", url.Values{"criteria": {"(Nope:equals:xy)"}}), nil), http.StatusBadRequest, "INVALID_QUERY")
	wantCode(t, f.call("GET", searchPath("Contacts", nil), nil), http.StatusBadRequest, "EXPECTED_PARAM_MISSING")
	wantCode(t, f.call("GET", searchPath("Contacts", url.Values{"word": {"burn"}, "page": {"11"}}), nil), http.StatusBadRequest, "LIMIT_REACHED")
}

func TestSearchIndexingDelay(t *testing.T) {
	f := newFixture(t, WithIndexingDelay(30*time.Second))
	a := f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": "Fresh", "Company": "C", "Email": "fresh@x.example"}))
	id := str(details(a.data(t)[0])["id"])
	byEmail := func(email string) int {
		return f.call("GET", searchPath("Leads", url.Values{"email": {email}}), nil).status
	}
	// Not searchable yet, but listed and readable at once.
	if s := byEmail("fresh@x.example"); s != http.StatusNoContent {
		t.Fatalf("new record found at once: %d", s)
	}
	wantStatus(t, f.call("GET", "/crm/v2/Leads/"+id, nil), http.StatusOK)
	f.clock.Advance(30 * time.Second)
	if s := byEmail("fresh@x.example"); s != http.StatusOK {
		t.Fatalf("indexed record not found: %d", s)
	}
	// An edit is searched by its previous values until indexed.
	f.call("PUT", "/crm/v2/Leads/"+id, leadBody(map[string]any{"Email": "changed@x.example"}))
	if byEmail("changed@x.example") != http.StatusNoContent || byEmail("fresh@x.example") != http.StatusOK {
		t.Fatal("edited record searched by its new values before indexing")
	}
	f.clock.Advance(31 * time.Second)
	if byEmail("changed@x.example") != http.StatusOK || byEmail("fresh@x.example") != http.StatusNoContent {
		t.Fatal("edited record not searched by its new values after indexing")
	}
}

func TestSearchCapAt2000(t *testing.T) {
	f := newFixture(t)
	recs := make([]map[string]any, 2100)
	for i := range recs {
		recs[i] = map[string]any{"Account_Name": fmt.Sprintf("Zylker %04d", i)}
	}
	if _, err := f.org.Seed("Accounts", recs...); err != nil {
		t.Fatal(err)
	}
	a := f.call("GET", searchPath("Accounts", url.Values{"word": {"zylker"}, "page": {"10"}}), nil)
	wantStatus(t, a, http.StatusOK)
	if info := a.json(t)["info"].(map[string]any); info["more_records"] != true || fmt.Sprint(info["count"]) != "200" {
		t.Fatalf("page 10 of 2,100 matches: info %v, want more_records true as Zoho says", info)
	}
	wantCode(t, f.call("GET", searchPath("Accounts", url.Values{"word": {"zylker"}, "page": {"11"}}), nil), http.StatusBadRequest, "LIMIT_REACHED")
}

// WithExactSearch compares whole values; the default is Zoho's looseness.
func TestExactSearchOption(t *testing.T) {
	for _, tc := range []struct {
		opts []Option
		want int
	}{{nil, http.StatusOK}, {[]Option{WithExactSearch()}, http.StatusNoContent}} {
		f := newFixture(t, tc.opts...)
		if _, err := f.org.Seed("Leads", map[string]any{"Last_Name": "Doe 1", "Company": "C"}); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, f.call("GET", searchPath("Leads", url.Values{"criteria": {"(Last_Name:equals:Doe)"}}), nil), tc.want)
	}
}
