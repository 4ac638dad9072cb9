package zoho

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Answers are decoded in one pass (pageAnswer, envelope): every shape an answer may take still
// gets what it got before — Zoho's error envelope on a 2xx is an *APIError, a malformed answer a
// clear error (never a panic, never records made up), page info kept — through a listing, a
// search, a get by id, typed records, and an insert.
func TestAnswersDecodedOnce(t *testing.T) {
	errEnvelope := `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`
	for _, tc := range []struct {
		name, body string
		status     int
		// want: "records" (n records), "api" (*APIError with code), "error" (another error).
		want string
		n    int
		code string
	}{
		{"records and info", `{"data":[{"id":"1","Last_Name":"A"},{"id":"2","Last_Name":"B"}],"info":{"per_page":2,"count":2,"page":1,"more_records":true}}`, 200, "records", 2, ""},
		{"error envelope on 200", errEnvelope, 200, "api", 0, "INVALID_TOKEN"},
		{"error envelope with data of another shape", `{"data":"x","code":"INTERNAL_ERROR","message":"m","status":"error"}`, 200, "api", 0, "INTERNAL_ERROR"},
		{"null record", `{"data":[null]}`, 200, "error", 0, ""},
		{"record not an object", `{"data":["x"]}`, 200, "error", 0, ""},
		{"data an object", `{"data":{}}`, 200, "error", 0, ""},
		{"truncated", `{"data":[{"id":"1"`, 200, "error", 0, ""},
		{"HTML", `<html><body>Bad gateway</body></html>`, 200, "error", 0, ""},
		{"no data", `{"info":{"more_records":false}}`, 200, "records", 0, ""},
		{"empty data", `{"data":[]}`, 200, "records", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			for _, path := range []string{"Leads", "Leads/search", "Leads/1"} {
				mt.RegisterResponder("GET", apiBase+path, httpmock.NewStringResponder(tc.status, tc.body))
			}
			type call struct {
				name string
				do   func() (int, *Response, error)
			}
			calls := []call{
				{"list", func() (int, *Response, error) {
					recs, resp, err := c.Records.List(t.Context(), "Leads", nil)
					return len(recs), resp, err
				}},
				{"search", func() (int, *Response, error) {
					recs, resp, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "a@example.org"}, nil)
					return len(recs), resp, err
				}},
				{"typed search", func() (int, *Response, error) {
					recs, resp, err := c.Leads.Search(t.Context(), crm.SearchQuery{Email: "a@example.org"}, nil)
					return len(recs), resp, err
				}},
				{"get", func() (int, *Response, error) {
					rec, resp, err := c.Records.Get(t.Context(), "Leads", "1")
					if rec == nil {
						return 0, resp, err
					}
					return 1, resp, err
				}},
			}
			for _, cl := range calls {
				n, resp, err := cl.do()
				var api *APIError
				switch tc.want {
				case "records":
					want := tc.n
					if cl.name == "get" {
						if want == 0 {
							if !errors.Is(err, ErrNotFound) {
								t.Errorf("%s: %v, want ErrNotFound", cl.name, err)
							}
							continue
						}
						want = 1
					}
					if err != nil || n != want {
						t.Errorf("%s: %d records, %v; want %d", cl.name, n, err, want)
					}
					if tc.n == 2 && cl.name != "get" && (resp.Info == nil || !resp.Info.MoreRecords || resp.Info.PerPage != 2) {
						t.Errorf("%s: page info %+v", cl.name, resp.Info)
					}
				case "api":
					if !errors.As(err, &api) || api.Code != tc.code {
						t.Errorf("%s: %v, want an *APIError %s", cl.name, err, tc.code)
					}
				case "error":
					if err == nil || errors.As(err, &api) || n != 0 {
						t.Errorf("%s: %d records, %v; want a decoding error", cl.name, n, err)
					}
				}
			}
		})
	}
}

// An insert's answer: Zoho's error envelope on a 2xx is an *APIError (Zoho refused it: not
// ambiguous); an answer that cannot be read after Zoho accepted the call is ambiguous.
func TestInsertAnswerDecodedOnce(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ambiguous  bool
		code       string
	}{
		{"error envelope", `{"code":"INVALID_DATA","details":{},"message":"m","status":"error"}`, false, "INVALID_DATA"},
		{"truncated", `{"data":[{"code":"SUCCESS"`, true, ""},
		{"HTML", `<html>oops</html>`, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder("POST", apiBase+"Leads", httpmock.NewStringResponder(http.StatusCreated, tc.body))
			r := crm.NewRecord()
			_ = r.Set("Last_Name", "A")
			_, _, err := c.Records.Insert(t.Context(), "Leads", []*crm.Record{r}, nil)
			var amb *AmbiguousError
			var api *APIError
			if got := errors.As(err, &amb); got != tc.ambiguous {
				t.Fatalf("%v: ambiguous %v, want %v", err, got, tc.ambiguous)
			}
			if tc.code != "" && (!errors.As(err, &api) || api.Code != tc.code) {
				t.Fatalf("%v: want an *APIError %s", err, tc.code)
			}
			if err != nil && strings.Contains(err.Error(), "oauthtoken") {
				t.Fatalf("a token in %v", err)
			}
		})
	}
}
