package zoho

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

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
