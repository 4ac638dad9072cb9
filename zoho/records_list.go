package zoho

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// BoolFilter selects records by a boolean system state in a listing (Zoho's `converted` and
// `approved` parameters). The empty value leaves the parameter out (Zoho's default).
type BoolFilter string

// The values of a [BoolFilter].
const (
	FilterTrue  BoolFilter = "true"
	FilterFalse BoolFilter = "false"
	FilterBoth  BoolFilter = "both"
)

// Sort orders for [ListOptions.SortOrder].
const (
	SortAsc  = "asc"
	SortDesc = "desc"
)

// ListOptions select and page the records of a listing (GET /{module}). The zero value lists the
// first page of 200 with Zoho's defaults.
type ListOptions struct {
	// Fields limits the answer to these field API names (at most 50; v2 returns all fields when
	// empty).
	Fields []string `url:"fields,omitempty,comma"`
	// SortBy is the API name of the field to sort by (Zoho v2 sorts by id, Created_Time or
	// Modified_Time); SortOrder is [SortAsc] or [SortDesc] (Zoho's default).
	SortBy    string `url:"sort_by,omitempty"`
	SortOrder string `url:"sort_order,omitempty"`
	// Converted selects converted leads (Leads only); Approved selects approved records.
	Converted BoolFilter `url:"converted,omitempty"`
	Approved  BoolFilter `url:"approved,omitempty"`
	// CustomViewID lists the records of a custom view (cvid).
	CustomViewID string `url:"cvid,omitempty"`
	// Page is the page number from 1 (0 means 1); PerPage the page size, at most 200 (0 means
	// Zoho's default, 200).
	Page    int `url:"page,omitempty"`
	PerPage int `url:"per_page,omitempty"`
	// PageToken continues a listing from a next_page_token Zoho returned (API versions that page
	// with tokens); Page is then ignored.
	PageToken string `url:"page_token,omitempty"`
	// IfModifiedSince lists only records modified after this instant (the If-Modified-Since
	// header, written as yyyy-MM-ddTHH:mm:ss±HH:mm in the instant's own offset). Zoho answers 304
	// when there are none; the listing is then empty.
	IfModifiedSince time.Time `url:"-"`
}

func (o *ListOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := validatePage("ListOptions", o.Page, o.PerPage); err != nil {
		return err
	}
	if len(o.Fields) > 50 {
		return fmt.Errorf("zoho: ListOptions.Fields names %d fields; Zoho takes at most 50", len(o.Fields))
	}
	for _, f := range o.Fields {
		if err := validateFieldName(f); err != nil {
			return fmt.Errorf("zoho: ListOptions.Fields: %w", err)
		}
	}
	if o.SortBy != "" {
		if err := validateFieldName(o.SortBy); err != nil {
			return fmt.Errorf("zoho: ListOptions.SortBy: %w", err)
		}
	}
	switch o.SortOrder {
	case "", SortAsc, SortDesc:
	default:
		return fmt.Errorf("zoho: ListOptions.SortOrder %q is not asc or desc", o.SortOrder)
	}
	return validateBoolFilters("ListOptions", o.Converted, o.Approved)
}

func (o *ListOptions) clone() ListOptions {
	if o == nil {
		return ListOptions{}
	}
	c := *o
	c.Fields = append([]string(nil), o.Fields...)
	return c
}

// List reads one page of the records of module (GET /{module}). resp.Info tells whether more
// records follow (MoreRecords) and, in API versions that page with tokens, the NextPageToken. An
// empty module (HTTP 204) and "nothing modified" (HTTP 304, with IfModifiedSince) give no records
// and no error. Use [RecordsService.ListIter] to read every page.
func (s *RecordsService) List(ctx context.Context, module string, opts *ListOptions) ([]*crm.Record, *Response, error) {
	return listPage[crm.Record](ctx, s, module, opts)
}

// ListIter returns an iterator over all the records of module, page after page, from opts'
// starting page (opts is copied, never modified). It fetches lazily, stops when the loop stops,
// and on an error yields (nil, err) once and ends; the context's end is such an error. Without a
// page token, Zoho serves only the first 2,000 records of a listing: the iterator then ends with a
// [*PagingLimitError] rather than stopping silently.
func (s *RecordsService) ListIter(ctx context.Context, module string, opts *ListOptions) iter.Seq2[*crm.Record, error] {
	return listIter[crm.Record](ctx, s, module, opts)
}

// pageAnswer is Zoho's answer to a listing, a search or a get by id, its records decoded as T
// within the one decode of the whole answer (a T that decodes itself is handed each record's
// bytes by encoding/json as it goes).
type pageAnswer[T any] struct {
	envelope
	Data []*T `json:"data"`
}

// listRequest builds the request of one page of a listing.
func (s *RecordsService) listRequest(ctx context.Context, module string, opts *ListOptions) (*Request, error) {
	if err := checkModuleCall(ctx, module); err != nil {
		return nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	path, err := PathJoin(module)
	if err != nil {
		return nil, err
	}
	o := opts.clone()
	if o.PageToken != "" {
		o.Page = 0
	}
	return s.client.NewRequest(http.MethodGet, path, &o, nil, IfModifiedSince(o.IfModifiedSince))
}

// doPage sends one page of a listing or search of module and returns its records as T values
// (nil for none). Zoho's LIMIT_REACHED (a page beyond the first 2,000 records) becomes a
// [*PagingLimitError]; what names the records in errors ("a Leads record").
func doPage[T any](ctx context.Context, s *RecordsService, module string, req *Request, what string) ([]*T, *Response, error) {
	var ans pageAnswer[T]
	resp, err := s.client.Do(ctx, req, &ans)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.Code == "LIMIT_REACHED" {
			err = &PagingLimitError{Module: module, Limit: PagingLimit, Err: err}
		}
		return nil, resp, err
	}
	for _, v := range ans.Data {
		if v == nil {
			return nil, resp, fmt.Errorf("zoho: decoding %s: null in Zoho's data", what)
		}
	}
	if len(ans.Data) == 0 {
		return nil, resp, nil
	}
	return ans.Data, resp, nil
}

// listPage reads one page of a listing as T values.
func listPage[T any](ctx context.Context, s *RecordsService, module string, opts *ListOptions) ([]*T, *Response, error) {
	if s == nil {
		return nil, nil, errNilRecords
	}
	req, err := s.listRequest(ctx, module, opts)
	if err != nil {
		return nil, nil, err
	}
	return doPage[T](ctx, s, module, req, "a "+module+" record")
}

// listIter iterates over the records of a listing, for any record type. opts is copied now; each
// range walks the pages from its starting page (see [pages]).
func listIter[T any](ctx context.Context, s *RecordsService, module string, opts *ListOptions) iter.Seq2[*T, error] {
	if s == nil {
		return func(yield func(*T, error) bool) { yield(nil, errNilRecords) }
	}
	o := opts.clone()
	return pages(ctx, paging{module: module, capped: true, tokens: true, page: o.Page, perPage: o.PerPage, token: o.PageToken},
		func(page int, token string) ([]*T, *Response, error) {
			po := o
			po.Page, po.PageToken = page, token
			return listPage[T](ctx, s, module, &po)
		})
}
