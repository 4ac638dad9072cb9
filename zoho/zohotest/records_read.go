package zohotest

// Reading records: get, list, pages and sorting.

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// renderLocked is a record as Zoho serves it: every field of the module (null when empty), or
// only those named in fields (plus id). o.mu must be held.
func (o *Org) renderLocked(mod *module, r *record, fields []string) obj {
	out := obj{"id": r.id}
	for _, fm := range mod.fields {
		if fields != nil && !contains(fields, fm.APIName) {
			continue
		}
		switch fm.APIName {
		case "Created_Time":
			out[fm.APIName] = o.format(r.created)
		case "Modified_Time":
			out[fm.APIName] = o.format(r.modified)
		case "Created_By":
			out[fm.APIName] = o.userRefByIDLocked(r.createdBy)
		case "Modified_By":
			out[fm.APIName] = o.userRefByIDLocked(r.modifiedBy)
		default:
			out[fm.APIName] = deepCopy(r.values[fm.APIName])
		}
	}
	if fields != nil {
		return out
	}
	tag, _ := r.values["Tag"].([]any)
	if tag == nil {
		tag = []any{}
	}
	out["Tag"] = deepCopy(tag)
	out["$approved"] = true
	out["$editable"] = true
	out["$process_flow"] = false
	out["$currency_symbol"] = "$"
	out["$approval"] = obj{"delegate": false, "approve": false, "reject": false, "resubmit": false}
	switch mod.name {
	case "Leads":
		out["$converted"] = false
		out["$converted_detail"] = obj{}
	case "Tasks":
		out["$se_module"] = r.values["$se_module"]
	}
	return out
}

// handleGet serves GET /crm/v2/{module}/{id}: {"data":[record]}, or 204 when there is no such
// record (as Zoho v2 answers for a deleted or unknown id).
func (o *Org) handleGet(x *exchange) *reply {
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(x.mod)
	r := mod.records[x.segs[1]]
	if r == nil {
		return noContent()
	}
	fields, rep := fieldsParam(x.r)
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, obj{"data": []any{o.renderLocked(mod, r, fields)}})
}

func fieldsParam(r *http.Request) ([]string, *reply) {
	raw := r.URL.Query().Get("fields")
	if raw == "" {
		return nil, nil
	}
	var fields []string
	for _, f := range strings.Split(raw, ",") {
		if f = strings.TrimSpace(f); f != "" {
			fields = append(fields, f)
		}
	}
	if len(fields) > maxFieldsParam {
		return nil, errorReply(http.StatusBadRequest, "LIMIT_EXCEEDED", "limit exceeded", obj{"limit": maxFieldsParam, "param_name": "fields"})
	}
	return fields, nil
}

// pageParams reads page (default 1) and per_page (default and max 200).
func pageParams(r *http.Request) (page, perPage int, rep *reply) {
	q := r.URL.Query()
	page, perPage = 1, maxPerPage
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, 0, errInvalidData("invalid data", obj{"param_name": "page"})
		}
		page = n
	}
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, 0, errInvalidData("invalid data", obj{"param_name": "per_page"})
		}
		perPage = min(n, maxPerPage)
	}
	return page, perPage, nil
}

// pageOf cuts one page of items and builds Zoho's info object. page and perPage are at least 1;
// a page past the end (however large) is empty.
func pageOf[T any](items []T, page, perPage int) ([]T, obj) {
	start := len(items)
	if page-1 < (len(items)+perPage-1)/perPage { // so (page-1)*perPage cannot overflow
		start = (page - 1) * perPage
	}
	end := min(start+perPage, len(items))
	return items[start:end], obj{"per_page": perPage, "count": end - start, "page": page, "more_records": end < len(items)}
}

// handleList serves GET /crm/v2/{module}: fields, ids, sort_by (id, Created_Time,
// Modified_Time), sort_order (default desc), page, per_page and If-Modified-Since (records
// modified at or after it; 304 when none). 204 when the page is empty.
func (o *Org) handleList(x *exchange) *reply {
	q := x.r.URL.Query()
	fields, rep := fieldsParam(x.r)
	if rep != nil {
		return rep
	}
	page, perPage, rep := pageParams(x.r)
	if rep != nil {
		return rep
	}
	sortBy := q.Get("sort_by")
	switch sortBy {
	case "", "id", "Created_Time", "Modified_Time":
	default:
		return errInvalidData("invalid data", obj{"param_name": "sort_by", "supported_values": []string{"id", "Created_Time", "Modified_Time"}})
	}
	desc := true
	switch q.Get("sort_order") {
	case "", "desc":
	case "asc":
		desc = false
	default:
		return errInvalidData("invalid data", obj{"param_name": "sort_order", "supported_values": []string{"asc", "desc"}})
	}
	var since time.Time
	if h := x.r.Header.Get("If-Modified-Since"); h != "" {
		t, err := time.Parse(time.RFC3339, h)
		if err != nil {
			if t, err = http.ParseTime(h); err != nil {
				return errInvalidData("invalid data", obj{"param_name": "If-Modified-Since"})
			}
		}
		since = t
	}
	var ids []string
	if raw := q.Get("ids"); raw != "" {
		ids = strings.Split(raw, ",")
		if len(ids) > maxWriteRecords {
			return errorReply(http.StatusBadRequest, "LIMIT_EXCEEDED", "limit exceeded", obj{"limit": maxWriteRecords, "param_name": "ids"})
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(x.mod)
	var recs []*record
	for _, r := range mod.records {
		if ids != nil && !contains(ids, r.id) {
			continue
		}
		if !since.IsZero() && r.modified.Before(since.Truncate(time.Second)) {
			continue
		}
		recs = append(recs, r)
	}
	if !since.IsZero() && len(recs) == 0 {
		r := newReply()
		r.status = http.StatusNotModified
		return r
	}
	sortRecords(recs, sortBy, desc)
	return o.recordPageLocked(mod, recs, page, perPage, fields)
}

// recordPageLocked answers one page of records: {"data": […], "info": {…}}, or 204 when the page
// is empty. o.mu must be held.
func (o *Org) recordPageLocked(mod *module, recs []*record, page, perPage int, fields []string) *reply {
	pg, info := pageOf(recs, page, perPage)
	if len(pg) == 0 {
		return noContent()
	}
	data := make([]any, len(pg))
	for i, r := range pg {
		data[i] = o.renderLocked(mod, r, fields)
	}
	return jsonReply(http.StatusOK, obj{"data": data, "info": info})
}

func sortRecords(recs []*record, sortBy string, desc bool) {
	cmp := func(a, b *record) int {
		var ta, tb time.Time
		switch sortBy {
		case "Created_Time":
			ta, tb = a.created, b.created
		case "Modified_Time":
			ta, tb = a.modified, b.modified
		}
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		switch {
		case a.id == b.id:
			return 0
		case idLess(a.id, b.id):
			return -1
		}
		return 1
	}
	sort.Slice(recs, func(i, j int) bool {
		if desc {
			return cmp(recs[i], recs[j]) > 0
		}
		return cmp(recs[i], recs[j]) < 0
	})
}
