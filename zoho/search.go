package zoho

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// searchParams validates q and returns its query parameter.
func searchParams(q crm.SearchQuery) (url.Values, error) {
	set := 0
	v := url.Values{}
	if !q.Criteria.IsZero() {
		set++
		s, err := q.Criteria.Build()
		if err != nil {
			return nil, err
		}
		v.Set("criteria", s)
	}
	for _, p := range []struct{ key, val string }{{"email", q.Email}, {"phone", q.Phone}, {"word", q.Word}} {
		if p.val == "" {
			continue
		}
		set++
		if err := crm.CheckSearchValue(p.val); err != nil {
			var ce *crm.CriteriaError
			if errors.As(err, &ce) {
				ce.Field = p.key
			}
			return nil, err
		}
		v.Set(p.key, p.val)
	}
	switch set {
	case 0:
		return nil, errors.New("zoho: search: the query is empty (set one of Criteria, Email, Phone, Word)")
	case 1:
		return v, nil
	}
	return nil, errors.New("zoho: search: set only one of Criteria, Email, Phone, Word (Zoho would use only one)")
}

// SearchOptions filter and page a search. The zero value asks for the first page of 200.
type SearchOptions struct {
	// Converted selects converted leads (Leads only); Approved selects approved records.
	Converted BoolFilter
	Approved  BoolFilter
	// Page is the page number from 1 (0 means 1); PerPage the page size, at most 200 (0 means
	// Zoho's default, 200). Zoho serves at most the first 2,000 results of a search.
	Page    int
	PerPage int
}

func (o *SearchOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := validatePage("SearchOptions", o.Page, o.PerPage); err != nil {
		return err
	}
	return validateBoolFilters("SearchOptions", o.Converted, o.Approved)
}

// Search finds one page of the records of module matching q (GET /{module}/search; scope
// ZohoCRM.modules.{module}.READ, and ZohoSearch.securesearch.READ for some orgs). q sets exactly
// one of Criteria (`criteria=`, conditions on fields), Email (`email=`, any email field), Phone
// (`phone=`, any phone field, compared as written: normalise numbers the way they are stored) or
// Word (`word=`, anywhere in the record):
//
//	recs, resp, err := client.Records.Search(ctx, "Leads", crm.SearchQuery{Email: "jane@example.com"}, nil)
//	recs, resp, err = client.Records.Search(ctx, "Leads", crm.SearchQuery{Criteria: crm.Equals("Last_Name", "Doe")}, &zoho.SearchOptions{Page: 2})
//
// It returns the page opts.Page asks for (the first by default); resp.Info tells whether more
// follow, and [RecordsService.SearchIter] walks them all. No match (HTTP 204) gives no records and
// no error.
//
// The criteria text is escaped as Zoho requires (`\(`, `\)`, `\,`, `\\` inside values) and then
// URL-encoded, so that `+`, `&`, `#`, `%`, `/`, `?`, `:` and non-ASCII reach Zoho intact (Zoho's
// own Node SDK sends `+` raw, so "jane+crm@example.com" arrives as "jane crm@example.com").
//
// Zoho's v2 search is approximate, so treat the results as candidates:
//   - with several conditions, `equals` behaves like "contains" ("ABC" matches "ABC Inc"), and
//     comparisons ignore case;
//   - records created or edited moments ago may not be found until Zoho has indexed them.
//
// Callers that need exact matches re-check each result on the client ([crm.Criteria.Matches]
// does exact comparisons), and must not conclude from an empty result that a just-written record
// does not exist.
//
// Zoho serves at most the first 2,000 results of a search: a page beyond them fails with a
// [*PagingLimitError] (errors.Is(err, ErrPagingLimit)), before sending when the page is known to
// lie beyond, and when Zoho answers LIMIT_REACHED.
func (s *RecordsService) Search(ctx context.Context, module string, q crm.SearchQuery, opts *SearchOptions) ([]*crm.Record, *Response, error) {
	return searchPage[crm.Record](ctx, s, module, q, opts)
}

// SearchIter returns every record of module matching q, page after page, from opts' starting page
// (opts is copied, never modified). It fetches lazily, stops when the loop stops, and on an error
// yields (nil, err) once and ends. Past Zoho's 2,000 results it ends with a [*PagingLimitError]
// instead of stopping silently. See [RecordsService.Search] for the query and the approximations
// of Zoho's search.
func (s *RecordsService) SearchIter(ctx context.Context, module string, q crm.SearchQuery, opts *SearchOptions) iter.Seq2[*crm.Record, error] {
	return searchIter[crm.Record](ctx, s, module, q, opts)
}

// Search finds one page of the records matching q; see [RecordsService.Search].
func (m *ModuleService[T]) Search(ctx context.Context, q crm.SearchQuery, opts *SearchOptions) ([]*T, *Response, error) {
	s, module := m.svc()
	return searchPage[T](ctx, s, module, q, opts)
}

// SearchIter iterates over all matching records; see [RecordsService.SearchIter].
func (m *ModuleService[T]) SearchIter(ctx context.Context, q crm.SearchQuery, opts *SearchOptions) iter.Seq2[*T, error] {
	s, module := m.svc()
	return searchIter[T](ctx, s, module, q, opts)
}

// searchPage fetches and decodes one page.
func searchPage[T any](ctx context.Context, s *RecordsService, module string, q crm.SearchQuery, opts *SearchOptions) ([]*T, *Response, error) {
	if s == nil {
		return nil, nil, errNilRecords
	}
	req, err := s.searchRequest(ctx, module, q, opts)
	if err != nil {
		return nil, nil, err
	}
	return doPage[T](ctx, s, module, req, "a "+module+" search result")
}

// searchRequest builds the request of one page of search results.
func (s *RecordsService) searchRequest(ctx context.Context, module string, q crm.SearchQuery, opts *SearchOptions) (*Request, error) {
	if err := checkModuleCall(ctx, module); err != nil {
		return nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	params, err := searchParams(q)
	if err != nil {
		return nil, err
	}
	var o SearchOptions
	if opts != nil {
		o = *opts
	}
	if page, per := max(o.Page, 1), firstPositive(o.PerPage, MaxPerPage); (page-1)*per >= PagingLimit {
		return nil, &PagingLimitError{Module: module, Limit: PagingLimit}
	}
	if o.Converted != "" {
		params.Set("converted", string(o.Converted))
	}
	if o.Approved != "" {
		params.Set("approved", string(o.Approved))
	}
	if o.Page > 0 {
		params.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		params.Set("per_page", strconv.Itoa(o.PerPage))
	}
	path, err := PathJoin(module, "search")
	if err != nil {
		return nil, err
	}
	return s.client.NewRequest(http.MethodGet, path, params, nil)
}

// searchIter walks the pages of a search. opts is copied now; each range walks the pages from its
// starting page (see [pages]).
func searchIter[T any](ctx context.Context, s *RecordsService, module string, q crm.SearchQuery, opts *SearchOptions) iter.Seq2[*T, error] {
	if s == nil {
		return func(yield func(*T, error) bool) { yield(nil, errNilRecords) }
	}
	var o SearchOptions
	if opts != nil {
		o = *opts
	}
	return pages(ctx, paging{module: module, capped: true, page: o.Page, perPage: o.PerPage},
		func(page int, _ string) ([]*T, *Response, error) {
			po := o
			po.Page = page
			return searchPage[T](ctx, s, module, q, &po)
		})
}
