package zoho

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// paging describes how a Zoho listing walks its pages, for [pages].
type paging struct {
	// module names the walk in a [*PagingLimitError]: the module ("Leads"), "users",
	// "attachments of Leads/123".
	module string
	// capped: Zoho serves only the first [PagingLimit] items by page number. The next page and
	// the page size are then read from Zoho's info (never going back to an earlier page), and the
	// walk ends with a *PagingLimitError rather than ask for a page beyond the limit. Uncapped
	// listings count pages themselves.
	capped bool
	// tokens: follow info.next_page_token when Zoho sends one.
	tokens bool
	// page and token are the first page asked for (page 0: the parameter left out, Zoho's 1);
	// perPage is the page size asked for (0: Zoho's default, MaxPerPage).
	page, perPage int
	token         string
	// maxItems, when positive, is the most items such a listing can hold: the walk fetches no
	// more pages than it takes to deliver that many at the page size asked for.
	maxItems int
}

// Bounds of the walks whose listings Zoho does not cap itself, in items.
const (
	// maxUsersWalk is far more users than a Zoho CRM org has (editions are sold per user; the
	// largest orgs have thousands, and package owner accepts at most 100,000 per tenant, which
	// its walks must be able to reach and pass): 1,000 pages of 200.
	maxUsersWalk = 200000
	// maxAttachmentsWalk is what a record's attachments listing can reach: it pages by number
	// only, and Zoho serves a listing by page number up to its 2,000th item ([PagingLimit]).
	maxAttachmentsWalk = PagingLimit
)

// pages is the one implementation of Zoho's page walking. fetch gets one page: the page number
// (0 when a token is given or the caller left it out) and the page token ("" for none). The
// iterator fetches lazily and stops when the loop stops; on an error it yields (zero, err) once
// and ends. Between pages it checks ctx. It ends after a page with more_records false (or no
// info) and after an empty page. It also ends, with a [*PagingLimitError] naming the walk, when a
// server would have it go on without end: at Zoho's paging limit (capped walks), at the walk's own
// bound (maxItems; every walk stops after [maxWalkPages] pages), and when the server hands out a
// page token it gave before (any earlier page's, not only the last). Such an error, or a
// *PagingLimitError from fetch, carries the number of items delivered.
func pages[T any](ctx context.Context, p paging, fetch func(page int, token string) ([]T, *Response, error)) iter.Seq2[T, error] {
	limit := maxWalkPages // in pages
	if p.maxItems > 0 {
		per := firstPositive(p.perPage, MaxPerPage)
		limit = min(limit, (p.maxItems+per-1)/per)
	}
	return func(yield func(T, error) bool) {
		var zero T
		page, token, delivered := p.page, p.token, 0
		stop := func(limit int, reason string) {
			yield(zero, &PagingLimitError{Module: p.module, Delivered: delivered, Limit: limit, Reason: reason})
		}
		seen := map[string]bool{}
		if token != "" {
			seen[token] = true
		}
		for walked := 1; ; walked++ {
			items, resp, err := fetch(page, token)
			if err != nil {
				var ple *PagingLimitError
				if errors.As(err, &ple) {
					ple.Delivered = delivered
				}
				yield(zero, err)
				return
			}
			for _, it := range items {
				delivered++
				if !yield(it, nil) {
					return
				}
			}
			if len(items) == 0 || resp == nil || resp.Info == nil || !resp.Info.MoreRecords {
				return
			}
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			if walked >= limit {
				if p.maxItems > 0 && limit < maxWalkPages {
					stop(p.maxItems, fmt.Sprintf("the server still answered more_records after %d pages, more than such a listing holds (%d items)", walked, p.maxItems))
				} else {
					stop(0, fmt.Sprintf("the server still answered more_records after %d pages; stopped rather than spend API credits without end", walked))
				}
				return
			}
			if tok := resp.Info.NextPageToken; p.tokens && tok != "" {
				if seen[tok] {
					stop(0, "the server handed out a page token it had given before")
					return
				}
				seen[tok] = true
				page, token = 0, tok
				continue
			}
			page, token = max(page, 1), ""
			if p.capped {
				page = max(page, resp.Info.Page)
				if page*firstPositive(resp.Info.PerPage, p.perPage, MaxPerPage) >= PagingLimit {
					stop(PagingLimit, "")
					return
				}
			}
			page++
		}
	}
}

// maxWalkPages bounds every page walk. Zoho's own listings end long before (records and search
// stop at 2,000 or follow page tokens up to Zoho's 100,000): a walk this long is a server that
// never says more_records false, and each page costs an API credit.
const maxWalkPages = 5000

func firstPositive(vs ...int) int {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}

// validatePage checks the page number (from 1; 0 leaves it to Zoho) and page size (1..200; 0
// leaves it to Zoho) of the options type named opts.
func validatePage(opts string, page, perPage int) error {
	if page < 0 {
		return fmt.Errorf("zoho: %s.Page %d is negative", opts, page)
	}
	if perPage < 0 || perPage > MaxPerPage {
		return fmt.Errorf("zoho: %s.PerPage %d is out of range 1..%d", opts, perPage, MaxPerPage)
	}
	return nil
}

// validateBoolFilters checks the Converted and Approved filters of the options type named opts.
func validateBoolFilters(opts string, converted, approved BoolFilter) error {
	for _, f := range []struct {
		name string
		v    BoolFilter
	}{{"Converted", converted}, {"Approved", approved}} {
		switch f.v {
		case "", FilterTrue, FilterFalse, FilterBoth:
		default:
			return fmt.Errorf("zoho: %s.%s %+.64q is not true, false or both", opts, f.name, string(f.v))
		}
	}
	return nil
}
