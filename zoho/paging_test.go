package zoho

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
)

// fakePages serves items 0..total-1 in pages of per (numbered from 1; page 0 is page 1) and
// records each fetch as "page/token".
type fakePages struct {
	total, per int
	info       func(page int, more bool) *PageInfo // nil: {page, per_page, more_records}
	asked      []string
}

func (f *fakePages) fetch(page int, token string) ([]int, *Response, error) {
	f.asked = append(f.asked, fmt.Sprintf("%d/%s", page, token))
	p := max(page, 1)
	var items []int
	for i := (p - 1) * f.per; i < min(p*f.per, f.total); i++ {
		items = append(items, i)
	}
	more := p*f.per < f.total
	info := &PageInfo{Page: p, PerPage: f.per, MoreRecords: more}
	if f.info != nil {
		info = f.info(p, more)
	}
	return items, &Response{Info: info}, nil
}

func collect(t *testing.T, seq func(func(int, error) bool)) (n int, err error) {
	t.Helper()
	for v, e := range seq {
		if e != nil {
			if v != 0 {
				t.Errorf("item %d yielded with error %v", v, e)
			}
			return n, e
		}
		if v != n {
			t.Fatalf("item %d at position %d", v, n)
		}
		n++
	}
	return n, nil
}

func TestPagesUncappedCountsPages(t *testing.T) {
	// Zoho's info says page 1 every time: an uncapped walk counts pages itself and is not limited.
	f := &fakePages{total: 2500, per: 200}
	f.info = func(_ int, more bool) *PageInfo { return &PageInfo{Page: 1, MoreRecords: more} }
	n, err := collect(t, pages(t.Context(), paging{page: 1}, f.fetch))
	if n != 2500 || err != nil || len(f.asked) != 13 || f.asked[12] != "13/" {
		t.Fatalf("n %d err %v asked %v", n, err, f.asked)
	}
}

func TestPagesCappedEndsWithPagingLimitError(t *testing.T) {
	f := &fakePages{total: 2500, per: 200}
	n, err := collect(t, pages(t.Context(), paging{module: "Leads", capped: true}, f.fetch))
	var ple *PagingLimitError
	if n != 2000 || !errors.As(err, &ple) || ple.Delivered != 2000 || ple.Module != "Leads" || ple.Limit != PagingLimit {
		t.Fatalf("n %d err %v", n, err)
	}
	if len(f.asked) != 10 || f.asked[0] != "0/" || f.asked[1] != "2/" {
		t.Fatalf("asked %v", f.asked)
	}
	// The page size comes from Zoho's info; without it, from the size asked for.
	f = &fakePages{total: 2500, per: 100}
	f.info = func(p int, more bool) *PageInfo { return &PageInfo{Page: p, MoreRecords: more} }
	n, err = collect(t, pages(t.Context(), paging{module: "Leads", capped: true, perPage: 100}, f.fetch))
	if n != 2000 || !errors.Is(err, ErrPagingLimit) || len(f.asked) != 20 {
		t.Fatalf("n %d err %v asked %d", n, err, len(f.asked))
	}
}

func TestPagesFetchPagingLimitErrorCarriesDelivered(t *testing.T) {
	calls := 0
	fetch := func(page int, _ string) ([]int, *Response, error) {
		calls++
		if calls == 2 {
			return nil, nil, &PagingLimitError{Module: "Leads", Limit: PagingLimit, Err: errors.New("LIMIT_REACHED")}
		}
		return []int{0, 1, 2}, &Response{Info: &PageInfo{Page: 1, PerPage: 3, MoreRecords: true}}, nil
	}
	n, err := collect(t, pages(t.Context(), paging{module: "Leads", capped: true}, fetch))
	var ple *PagingLimitError
	if n != 3 || !errors.As(err, &ple) || ple.Delivered != 3 {
		t.Fatalf("n %d err %v", n, err)
	}
}

func TestPagesTokens(t *testing.T) {
	tokenInfo := func(p int, more bool) *PageInfo {
		info := &PageInfo{Page: p, PerPage: 2, MoreRecords: more}
		if more {
			info.NextPageToken = fmt.Sprintf("t%d", p+1)
		}
		return info
	}
	// Followed when the listing takes tokens…
	f := &fakePages{total: 5, per: 2, info: tokenInfo}
	var asked []string
	tokFetch := func(page int, token string) ([]int, *Response, error) {
		asked = append(asked, fmt.Sprintf("%d/%s", page, token))
		if token != "" {
			fmt.Sscanf(token, "t%d", &page)
		}
		return f.fetch(page, token)
	}
	n, err := collect(t, pages(t.Context(), paging{capped: true, tokens: true, page: 1}, tokFetch))
	if n != 5 || err != nil || strings.Join(asked, ",") != "1/,0/t2,0/t3" {
		t.Fatalf("n %d err %v asked %v", n, err, asked)
	}
	// …and ignored otherwise.
	f = &fakePages{total: 5, per: 2, info: tokenInfo}
	n, err = collect(t, pages(t.Context(), paging{capped: true}, f.fetch))
	if n != 5 || err != nil || strings.Join(f.asked, ",") != "0/,2/,3/" {
		t.Fatalf("n %d err %v asked %v", n, err, f.asked)
	}
}

func TestPagesStops(t *testing.T) {
	t.Run("empty page despite more_records", func(t *testing.T) {
		f := &fakePages{total: 0, per: 2}
		f.info = func(int, bool) *PageInfo { return &PageInfo{MoreRecords: true} }
		n, err := collect(t, pages(t.Context(), paging{}, f.fetch))
		if n != 0 || err != nil || len(f.asked) != 1 {
			t.Fatalf("n %d err %v asked %v", n, err, f.asked)
		}
	})
	t.Run("no info", func(t *testing.T) {
		f := &fakePages{total: 5, per: 2}
		f.info = func(int, bool) *PageInfo { return nil }
		n, err := collect(t, pages(t.Context(), paging{}, f.fetch))
		if n != 2 || err != nil || len(f.asked) != 1 {
			t.Fatalf("n %d err %v asked %v", n, err, f.asked)
		}
	})
	t.Run("break", func(t *testing.T) {
		f := &fakePages{total: 5, per: 2}
		for v := range pages(t.Context(), paging{}, f.fetch) {
			if v == 2 {
				break
			}
		}
		if len(f.asked) != 2 {
			t.Fatalf("asked %v", f.asked)
		}
	})
	t.Run("error yielded once", func(t *testing.T) {
		boom := errors.New("boom")
		var yields atomic.Int32
		for _, err := range pages(t.Context(), paging{}, func(int, string) ([]int, *Response, error) { return nil, nil, boom }) {
			yields.Add(1)
			if err != boom {
				t.Errorf("err %v", err)
			}
		}
		if yields.Load() != 1 {
			t.Fatalf("%d yields", yields.Load())
		}
	})
	t.Run("context ends between pages", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f := &fakePages{total: 5, per: 2}
		var got []error
		for _, err := range pages(ctx, paging{}, f.fetch) {
			cancel()
			got = append(got, err)
		}
		if len(got) != 3 || got[2] != context.Canceled || len(f.asked) != 1 {
			t.Fatalf("got %v asked %v", got, f.asked)
		}
	})
}

func TestPagesRangeAgainStartsOver(t *testing.T) {
	f := &fakePages{total: 5, per: 2}
	seq := pages(t.Context(), paging{page: 1}, f.fetch)
	for range 2 {
		if n, err := collect(t, seq); n != 5 || err != nil {
			t.Fatalf("n %d err %v", n, err)
		}
	}
	if strings.Join(f.asked, ",") != "1/,2/,3/,1/,2/,3/" {
		t.Fatalf("asked %v", f.asked)
	}
}

func TestPagesEndlessServerIsStopped(t *testing.T) {
	// A server that always says more_records: the walk stops after maxWalkPages pages.
	fetches := 0
	endless := func(page int, token string) ([]int, *Response, error) {
		fetches++
		return []int{0}, &Response{Info: &PageInfo{Page: page, MoreRecords: true}}, nil
	}
	var err error
	for _, e := range pages(t.Context(), paging{module: "users"}, endless) {
		if e != nil {
			err = e
		}
	}
	if wantWalkLimit(t, err, "users"); fetches != maxWalkPages {
		t.Fatalf("err %v after %d fetches", err, fetches)
	}
	// A server that hands out the same page token again is stopped at once.
	fetches = 0
	sameToken := func(page int, token string) ([]int, *Response, error) {
		fetches++
		return []int{0}, &Response{Info: &PageInfo{MoreRecords: true, NextPageToken: "t1"}}, nil
	}
	err = nil
	for _, e := range pages(t.Context(), paging{module: "Leads", tokens: true}, sameToken) {
		if e != nil {
			err = e
		}
	}
	if wantWalkLimit(t, err, "Leads"); fetches != 2 {
		t.Fatalf("same token: err %v after %d fetches", err, fetches)
	}
}

// walkErr runs a walk to its end and returns its error and how many pages it fetched.
func walkErr(t *testing.T, p paging, fetch func(page int, token string) ([]int, *Response, error)) (int, error) {
	t.Helper()
	fetches := 0
	counted := func(page int, token string) ([]int, *Response, error) {
		fetches++
		return fetch(page, token)
	}
	var err error
	for _, e := range pages(t.Context(), p, counted) {
		if e != nil {
			err = e
		}
	}
	return fetches, err
}

// wantWalkLimit checks that err is the one typed error that names the walk.
func wantWalkLimit(t *testing.T, err error, walk string) *PagingLimitError {
	t.Helper()
	var ple *PagingLimitError
	if !errors.As(err, &ple) || !errors.Is(err, ErrPagingLimit) || ple.Module != walk ||
		!strings.Contains(err.Error(), "listing "+walk+" ") || strings.Contains(err.Error(), "listing :") {
		t.Fatalf("err = %v (%T), want a *PagingLimitError naming %q", err, err, walk)
	}
	return ple
}

// Every page token seen is remembered: a server that alternates two tokens, or hands back the
// caller's starting token, is stopped at the first repeat.
func TestPagesRepeatedTokenOfAnyEarlierPageStops(t *testing.T) {
	alternate := func(page int, token string) ([]int, *Response, error) {
		next := map[string]string{"": "t1", "t1": "t2", "t2": "t1"}[token]
		return []int{0}, &Response{Info: &PageInfo{MoreRecords: true, NextPageToken: next}}, nil
	}
	fetches, err := walkErr(t, paging{module: "Leads", capped: true, tokens: true}, alternate)
	if ple := wantWalkLimit(t, err, "Leads"); fetches != 3 || ple.Delivered != 3 {
		t.Fatalf("%d fetches, %d delivered", fetches, ple.Delivered)
	}
	back := func(page int, token string) ([]int, *Response, error) {
		return []int{0}, &Response{Info: &PageInfo{MoreRecords: true, NextPageToken: "t0"}}, nil
	}
	fetches, err = walkErr(t, paging{module: "Leads", capped: true, tokens: true, token: "t0"}, back)
	if wantWalkLimit(t, err, "Leads"); fetches != 1 {
		t.Fatalf("%d fetches", fetches)
	}
}

// A capped walk whose server says page 1 every time still moves on, and ends at Zoho's limit.
func TestPagesCappedServerRepeatingItsPageNumber(t *testing.T) {
	same := func(page int, token string) ([]int, *Response, error) {
		return make([]int, 200), &Response{Info: &PageInfo{Page: 1, PerPage: 200, MoreRecords: true}}, nil
	}
	fetches, err := walkErr(t, paging{module: "Leads", capped: true}, same)
	if ple := wantWalkLimit(t, err, "Leads"); fetches != 10 || ple.Limit != PagingLimit {
		t.Fatalf("%d fetches, %+v", fetches, ple)
	}
}

// A walk with an item bound stops once it has fetched as many pages as that bound fills.
func TestPagesItemBound(t *testing.T) {
	endless := func(page int, token string) ([]int, *Response, error) {
		return make([]int, 200), &Response{Info: &PageInfo{Page: page, MoreRecords: true}}, nil
	}
	fetches, err := walkErr(t, paging{module: "users", page: 1, maxItems: 1000}, endless)
	if ple := wantWalkLimit(t, err, "users"); fetches != 5 || ple.Delivered != 1000 || ple.Limit != 1000 {
		t.Fatalf("%d fetches, %+v", fetches, ple)
	}
	// The bound is counted in the page size asked for.
	fetches, err = walkErr(t, paging{module: "users", page: 1, perPage: 100, maxItems: 1000}, endless)
	if wantWalkLimit(t, err, "users"); fetches != 10 {
		t.Fatalf("%d fetches", fetches)
	}
}

// The users and attachments walks are bounded by what such a listing can hold (in pages of the
// size asked for), and end with the typed error naming them, not after 5,000 calls. The server
// here answers the same short page for ever.
func TestUsersAndAttachmentsWalksAreBounded(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", apiBase+"users", httpmock.NewStringResponder(200, `{"users":[{"id":"1"}],"info":{"page":1,"more_records":true}}`))
	mt.RegisterResponder("GET", apiBase+"Leads/1/Attachments", httpmock.NewStringResponder(200, `{"data":[{"id":"1"}],"info":{"page":1,"more_records":true}}`))
	var err error
	for _, e := range c.Users.ListIter(t.Context(), nil) {
		err = e
	}
	ple := wantWalkLimit(t, err, "users")
	if n := mt.GetCallCountInfo()["GET "+apiBase+"users"]; n != maxUsersWalk/MaxPerPage || ple.Delivered != n || ple.Limit != maxUsersWalk {
		t.Fatalf("users: %d calls, %+v", n, ple)
	}
	for _, e := range c.Attachments.ListIter(t.Context(), "Leads", "1", nil) {
		err = e
	}
	ple = wantWalkLimit(t, err, "attachments of Leads/1")
	if n := mt.GetCallCountInfo()["GET "+apiBase+"Leads/1/Attachments"]; n != maxAttachmentsWalk/MaxPerPage || ple.Delivered != n {
		t.Fatalf("attachments: %d calls, %+v", n, ple)
	}
}
