package zoho

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/jarcoal/httpmock"
)

const leadsSearchURL = "https://www.zohoapis.com/crm/v2/Leads/search"

// queryCapture records the raw query strings a responder saw.
type queryCapture struct {
	mu  sync.Mutex
	raw []string
}

func (q *queryCapture) last() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.raw) == 0 {
		return ""
	}
	return q.raw[len(q.raw)-1]
}

func (q *queryCapture) responder(status int, body string) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		q.mu.Lock()
		q.raw = append(q.raw, r.URL.RawQuery)
		q.mu.Unlock()
		return httpmock.NewStringResponse(status, body), nil
	}
}

func TestSearchFixturesDecode(t *testing.T) {
	cases := []struct {
		file   string
		search func(c *Client) ([]*crm.Record, *Response, error)
		param  string
		ids    []string
	}{
		{"v7docs_search_leads_by_email_response.json", func(c *Client) ([]*crm.Record, *Response, error) {
			return c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "newcrmapi@zoho.com"}, nil)
		}, "email", []string{"3652397000000415002"}},
		{"v7docs_search_leads_by_word_response.json", func(c *Client) ([]*crm.Record, *Response, error) {
			return c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Word: "abc"}, nil)
		}, "word", []string{"3652397000000562046", "3652397000000538029"}},
		{"v7docs_search_leads_by_criteria_response.json", func(c *Client) ([]*crm.Record, *Response, error) {
			return c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Criteria: crm.And(crm.Equals("Last_Name", "Smith"), crm.StartsWith("Company", "AB"))}, nil)
		}, "criteria", []string{"554023000003701012"}},
		{"v8oas_search_leads_response_200.json", func(c *Client) ([]*crm.Record, *Response, error) {
			return c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Phone: "+1 555 0100"}, nil)
		}, "phone", []string{"5843104000000624035"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c, mt := newMockClient(t)
			var qc queryCapture
			mt.RegisterResponder("GET", leadsSearchURL, qc.responder(200, string(readTestdataFile(t, tc.file))))
			recs, resp, err := tc.search(c)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range recs {
				ids = append(ids, r.ID())
				if r.CreatedTime().IsZero() {
					t.Errorf("record %s: no Created_Time", r.ID())
				}
			}
			if !reflect.DeepEqual(ids, tc.ids) || resp.Info == nil || resp.Info.Count != len(tc.ids) || resp.Info.MoreRecords {
				t.Errorf("ids %v info %+v", ids, resp.Info)
			}
			q, _ := url.ParseQuery(qc.last())
			if len(q) != 1 || q.Get(tc.param) == "" {
				t.Errorf("query %q", qc.last())
			}
		})
	}
}

func TestSearchTyped(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", leadsSearchURL, httpmock.NewBytesResponder(200, readTestdataFile(t, "v7docs_search_leads_by_email_response.json")))
	leads, _, err := c.Leads.Search(t.Context(), crm.SearchQuery{Email: "newcrmapi@zoho.com"}, nil)
	if err != nil || len(leads) != 1 {
		t.Fatalf("%v %v", leads, err)
	}
	if leads[0].ID != "3652397000000415002" || leads[0].Email.Value() != "newcrmapi@zoho.com" || !leads[0].Extra.Has("$converted") {
		t.Errorf("lead = %+v", leads[0])
	}
	for name, fn := range map[string]func() error{
		"criteria": func() error {
			_, _, err := c.Leads.Search(t.Context(), crm.SearchQuery{Criteria: crm.Equals("Email", "newcrmapi@zoho.com")}, nil)
			return err
		},
		"phone": func() error {
			_, _, err := c.Leads.Search(t.Context(), crm.SearchQuery{Phone: "12345"}, nil)
			return err
		},
		"word": func() error { _, _, err := c.Leads.Search(t.Context(), crm.SearchQuery{Word: "zoho"}, nil); return err },
	} {
		if err := fn(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	n := 0
	for l, err := range c.Leads.SearchIter(t.Context(), crm.SearchQuery{Email: "newcrmapi@zoho.com"}, nil) {
		if err != nil || l.ID == "" {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("iterated %d", n)
	}
}

// hostileValues are values that break naive encoders: Zoho's Node SDK sends `+` raw (it arrives
// as a space) and escapes nothing. (Package crm's criteria tests use the same values.)
var hostileValues = []string{
	"jane+crm@example.com", "a&b", "#hash", "100%", "a/b", "why?", "a:b", "(x)", "a,b",
	`back\slash`, `trailing\`, `\\`, "Müller", "田中太郎", "🙂🙃", "a b", "a=b", "x;y", `"quoted"`,
	"'single'", "a%2Bb", "+49 30 1234", "<script>", "a\u00a0b", "%%", "++",
}

// TestSearchWireEncoding checks the raw query on the wire for hostile values: each must come back
// through url.ParseQuery (what Zoho's server does) and ParseCriteria unchanged.
func TestSearchWireEncoding(t *testing.T) {
	c, mt := newMockClient(t)
	var qc queryCapture
	mt.RegisterResponder("GET", leadsSearchURL, qc.responder(204, ""))
	for _, v := range hostileValues {
		crit := crm.And(crm.Equals("Email", v), crm.StartsWith("Last_Name", v))
		if _, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Criteria: crit}, &SearchOptions{Page: 2, PerPage: 10}); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		raw := qc.last()
		if strings.Count(raw, "&") != 2 || strings.Contains(raw, "#") {
			t.Errorf("%q: raw query %s", v, raw)
		}
		if strings.Contains(v, "+") && strings.Count(raw, "%2B") < 2 {
			t.Errorf("%q: + not encoded: %s", v, raw)
		}
		q, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		if q.Get("page") != "2" || q.Get("per_page") != "10" {
			t.Errorf("%q: paging lost: %s", v, raw)
		}
		back, err := crm.ParseCriteria(q.Get("criteria"))
		if err != nil {
			t.Fatalf("%q: ParseCriteria(%q): %v", v, q.Get("criteria"), err)
		}
		if !reflect.DeepEqual(back, crit) {
			t.Errorf("%q: round trip gave %v", v, back.Conditions())
		}

		if _, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: v}, nil); err != nil {
			t.Fatal(err)
		}
		q, _ = url.ParseQuery(qc.last())
		if len(q) != 1 || q.Get("email") != v {
			t.Errorf("%q: email query %s", v, qc.last())
		}
	}
}

func TestSearchExactEncodedQuery(t *testing.T) {
	c, mt := newMockClient(t)
	var qc queryCapture
	mt.RegisterResponder("GET", leadsSearchURL, qc.responder(204, ""))
	for _, tc := range []struct {
		run  func() error
		want string
	}{
		{func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Criteria: crm.And(crm.Equals("Last_Name", "Burns,B"), crm.StartsWith("First_Name", "Ma"))}, nil)
			return err
		}, "criteria=%28%28Last_Name%3Aequals%3ABurns%5C%2CB%29and%28First_Name%3Astarts_with%3AMa%29%29"},
		{func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "jane+crm@example.com"}, nil)
			return err
		}, "email=jane%2Bcrm%40example.com"},
		{func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Phone: "+49 (30) 1234"}, &SearchOptions{Converted: FilterBoth, Approved: FilterTrue})
			return err
		}, "approved=true&converted=both&phone=%2B49+%2830%29+1234"},
		{func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Word: "Müller&Söhne"}, nil)
			return err
		}, "word=M%C3%BCller%26S%C3%B6hne"},
		{func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Criteria: crm.Equals("Last_Name", `K\`)}, nil)
			return err
		}, "criteria=%28Last_Name%3Aequals%3AK%5C%5C%29"},
	} {
		if err := tc.run(); err != nil {
			t.Fatal(err)
		}
		if got := qc.last(); got != tc.want {
			t.Errorf("query\n got %s\nwant %s", got, tc.want)
		}
	}
}

func TestSearchNoContent(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", leadsSearchURL, httpmock.NewStringResponder(204, ""))
	recs, resp, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "nobody@example.com"}, nil)
	if err != nil || recs != nil || resp.StatusCode != 204 {
		t.Fatalf("%v %v %v", recs, resp, err)
	}
	for r, err := range c.Records.SearchIter(t.Context(), "Leads", crm.SearchQuery{Word: "nothing"}, nil) {
		t.Errorf("got %v %v", r, err)
	}
}

func TestSearchRefusedBeforeSending(t *testing.T) {
	c, mt := newMockClient(t)
	eleven := make([]crm.Criteria, 11)
	for i := range eleven {
		eleven[i] = crm.Equals("Email", fmt.Sprintf("user%d@example.com", i))
	}
	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"short email", func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "a"}, nil)
			return err
		}, crm.ErrSearchValue},
		{"one-rune word", func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Word: "田"}, nil)
			return err
		}, crm.ErrSearchValue},
		{"control char phone", func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Phone: "12\n34"}, nil)
			return err
		}, crm.ErrSearchValue},
		{"short criteria value", func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Criteria: crm.Equals("Last_Name", "K")}, nil)
			return err
		}, crm.ErrSearchValue},
		{"11 conditions", func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Criteria: crm.Or(eleven...)}, nil)
			return err
		}, crm.ErrTooManyConditions},
		{"bad field", func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Criteria: crm.Equals("Last Name", "Kay")}, nil)
			return err
		}, crm.ErrCriteriaSyntax},
		{"page past 2000", func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "a@b.c"}, &SearchOptions{Page: 11, PerPage: 200})
			return err
		}, ErrPagingLimit},
		{"page past 2000 default size", func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "a@b.c"}, &SearchOptions{Page: 11})
			return err
		}, ErrPagingLimit},
	}
	for _, tc := range cases {
		if err := tc.run(); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	for name, run := range map[string]func() error{
		"empty query": func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Criteria: crm.Criteria{}}, nil)
			return err
		},
		"bad module": func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads/../x", crm.SearchQuery{Email: "a@b.c"}, nil)
			return err
		},
		"empty module": func() error {
			_, _, err := c.Records.Search(t.Context(), "", crm.SearchQuery{Email: "a@b.c"}, nil)
			return err
		},
		"per_page 201": func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "a@b.c"}, &SearchOptions{PerPage: 201})
			return err
		},
		"negative page": func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "a@b.c"}, &SearchOptions{Page: -1})
			return err
		},
		"bad bool filter": func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "a@b.c"}, &SearchOptions{Approved: "yes"})
			return err
		},
		"empty email": func() error {
			_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: ""}, nil)
			return err
		},
	} {
		if err := run(); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	var got error
	for _, err := range c.Records.SearchIter(t.Context(), "Leads", crm.SearchQuery{Email: "ab@c.d", Word: "cd"}, nil) {
		got = err
	}
	if got == nil || !strings.Contains(got.Error(), "only one") {
		t.Errorf("two kinds of query: %v", got)
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d calls sent", n)
	}
	// Page 10 of 200 is the last one Zoho serves: sent.
	mt.RegisterResponder("GET", leadsSearchURL, httpmock.NewStringResponder(204, ""))
	if _, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: "a@b.c"}, &SearchOptions{Page: 10, PerPage: 200}); err != nil {
		t.Errorf("page 10: %v", err)
	}
}

func TestSearchLimitReached(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", leadsSearchURL, httpmock.NewStringResponder(400,
		`{"code":"LIMIT_REACHED","details":{},"message":"Maximum response iteration limit reached","status":"error"}`))
	_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Word: "zylker"}, &SearchOptions{Page: 3})
	var ple *PagingLimitError
	var ae *APIError
	if !errors.Is(err, ErrPagingLimit) || !errors.As(err, &ple) || !errors.As(err, &ae) || ae.Code != "LIMIT_REACHED" || ple.Limit != 2000 {
		t.Fatalf("err = %v", err)
	}
}

func TestSearchIterPagesAndStopsAt2000(t *testing.T) {
	page := func(p, per int, more bool) string {
		var b strings.Builder
		b.WriteString(`{"data":[`)
		for i := 0; i < per; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"%d"}`, (p-1)*per+i+1)
		}
		fmt.Fprintf(&b, `],"info":{"per_page":%d,"count":%d,"page":%d,"more_records":%v}}`, per, per, p, more)
		return b.String()
	}
	t.Run("pages until more_records is false", func(t *testing.T) {
		c, mt := newMockClient(t)
		var qc queryCapture
		mt.RegisterResponder("GET", leadsSearchURL, func(r *http.Request) (*http.Response, error) {
			qc.responder(0, "")(r)
			p := r.URL.Query().Get("page")
			switch p {
			case "", "1":
				return httpmock.NewStringResponse(200, page(1, 3, true)), nil
			case "2":
				return httpmock.NewStringResponse(200, page(2, 3, false)), nil
			}
			t.Errorf("page %s asked", p)
			return httpmock.NewStringResponse(500, ""), nil
		})
		opts := &SearchOptions{PerPage: 3}
		n := 0
		for r, err := range c.Records.SearchIter(t.Context(), "Leads", crm.SearchQuery{Criteria: crm.StartsWith("Company", "Zy")}, opts) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if r.ID() != fmt.Sprint(n) {
				t.Errorf("record %d has id %s", n, r.ID())
			}
		}
		if n != 6 || opts.Page != 0 {
			t.Errorf("n %d opts %+v", n, opts)
		}
		q, _ := url.ParseQuery(qc.raw[1])
		if q.Get("page") != "2" || q.Get("per_page") != "3" || q.Get("criteria") != "(Company:starts_with:Zy)" {
			t.Errorf("second query %s", qc.raw[1])
		}
	})
	t.Run("ends with a typed error at 2000", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", leadsSearchURL, func(r *http.Request) (*http.Response, error) {
			var p int
			fmt.Sscan(r.URL.Query().Get("page"), &p)
			return httpmock.NewStringResponse(200, page(max(p, 1), 200, true)), nil
		})
		n := 0
		var last error
		for r, err := range c.Records.SearchIter(t.Context(), "Leads", crm.SearchQuery{Email: "a@b.c"}, nil) {
			if err != nil {
				last = err
				continue
			}
			_ = r
			n++
		}
		var ple *PagingLimitError
		if n != 2000 || !errors.As(last, &ple) || ple.Delivered != 2000 || mt.GetTotalCallCount() != 10 {
			t.Errorf("n %d err %v calls %d", n, last, mt.GetTotalCallCount())
		}
	})
	t.Run("break stops fetching", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", leadsSearchURL, httpmock.NewStringResponder(200, page(1, 5, true)))
		for range c.Records.SearchIter(t.Context(), "Leads", crm.SearchQuery{Phone: "12345"}, nil) {
			break
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Errorf("%d calls", n)
		}
	})
	t.Run("error mid-stream", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", leadsSearchURL, func(r *http.Request) (*http.Response, error) {
			if r.URL.Query().Get("page") == "2" {
				return httpmock.NewStringResponse(401, `{"code":"OAUTH_SCOPE_MISMATCH","message":"Unauthorized","status":"error","details":{}}`), nil
			}
			return httpmock.NewStringResponse(200, page(1, 2, true)), nil
		})
		n, errs := 0, 0
		for r, err := range c.Records.SearchIter(t.Context(), "Leads", crm.SearchQuery{Word: "zylker"}, nil) {
			if err != nil {
				errs++
				if r != nil || !errors.Is(err, ErrScopeMismatch) {
					t.Errorf("%v %v", r, err)
				}
				continue
			}
			n++
		}
		if n != 2 || errs != 1 {
			t.Errorf("n %d errs %d", n, errs)
		}
	})
}

// TestNoTokenInServiceErrors: the errors of search, users, org and attachments never carry the
// access token.
func TestNoTokenInServiceErrors(t *testing.T) {
	c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{MaxRetries: -1}))
	mt.RegisterNoResponder(httpmock.NewStringResponder(401, `{"code":"INVALID_TOKEN","message":"invalid oauth token","status":"error","details":{}}`))
	var errs []error
	_, _, err := c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Criteria: crm.Equals("Email", "a@b.c")}, nil)
	errs = append(errs, err)
	_, _, err = c.Users.List(t.Context(), nil)
	errs = append(errs, err)
	_, _, err = c.Org.Get(t.Context())
	errs = append(errs, err)
	_, _, err = c.Attachments.Upload(t.Context(), "Leads", "1", File{Name: "a.txt", Body: strings.NewReader("hi")}, nil)
	errs = append(errs, err)
	_, _, err = c.Attachments.Download(t.Context(), "Leads", "1", "2")
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil || !errors.Is(err, ErrInvalidToken) || strings.Contains(fmt.Sprintf("%v %+v", err, err), testToken) {
			t.Errorf("call %d: %v", i, err)
		}
	}
}
