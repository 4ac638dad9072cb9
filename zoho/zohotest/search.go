package zohotest

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// maxSearchRecords is how many records a search can reach in all (zoho-api.md §2.4).
const maxSearchRecords = 2000

// handleSearch serves GET /crm/v2/{module}/search with criteria (parsed by crm.ParseCriteria;
// `equals` on a text field is loose as in Zoho — the value contains the searched text, without
// case — unless WithExactSearch), email (every email field, without case), phone (every phone
// field, compared as written: Zoho documents no normalisation, so "+1 555 0100" does not find
// "5550100") or word (any text field contains it, without case), in that precedence.
// Records written less than the indexing delay ago are searched by their previous values (new
// ones are not found). Results come newest first; 204 when nothing matches; 400 LIMIT_REACHED
// beyond 2,000 records.
func (o *Org) handleSearch(x *exchange) *reply {
	q := x.r.URL.Query()
	page, perPage, rep := pageParams(x.r)
	if rep != nil {
		return rep
	}
	if page-1 >= (maxSearchRecords+perPage-1)/perPage { // (page-1)*perPage >= 2000, without overflow
		return errorReply(http.StatusBadRequest, "LIMIT_REACHED", "Maximum response iteration limit reached", obj{"limit": maxSearchRecords})
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(x.mod)
	var match func(vals map[string]any, r *record) bool
	switch {
	case q.Get("criteria") != "":
		c, err := crm.ParseCriteria(q.Get("criteria"))
		if err != nil {
			return criteriaError(err)
		}
		for _, cond := range c.Conditions() {
			if _, ok := mod.byName[cond.Field]; !ok && cond.Field != "id" {
				return errorReply(http.StatusBadRequest, "INVALID_QUERY", "invalid query formed",
					obj{"api_name": cond.Field, "reason": "the field is not a field of the module"})
			}
		}
		exact := o.s.opts.exactSearch
		var curVals map[string]any // the record being matched: one get for the whole walk
		var cur *record
		get := func(field string) (string, bool) { return o.searchValueLocked(curVals, cur, field) }
		match = func(vals map[string]any, r *record) bool {
			curVals, cur = vals, r
			if exact {
				return c.Matches(get)
			}
			return looseMatch(c, mod, get)
		}
	case q.Get("email") != "":
		v := q.Get("email")
		if err := crm.CheckSearchValue(v); err != nil {
			return criteriaError(err)
		}
		fields := fieldsOfType(mod, "email")
		match = func(vals map[string]any, _ *record) bool {
			for _, f := range fields {
				if s, ok := vals[f].(string); ok && strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(v)) {
					return true
				}
			}
			return false
		}
	case q.Get("phone") != "":
		v := q.Get("phone")
		if err := crm.CheckSearchValue(v); err != nil {
			return criteriaError(err)
		}
		want := strings.TrimSpace(v)
		fields := fieldsOfType(mod, "phone")
		match = func(vals map[string]any, _ *record) bool {
			for _, f := range fields {
				if s, ok := vals[f].(string); ok && strings.EqualFold(strings.TrimSpace(s), want) {
					return true
				}
			}
			return false
		}
	case q.Get("word") != "":
		v := strings.ToLower(q.Get("word"))
		if err := crm.CheckSearchValue(v); err != nil {
			return criteriaError(err)
		}
		var fields []string
		for _, t := range []string{"text", "textarea", "email", "phone", "website", "picklist"} {
			fields = append(fields, fieldsOfType(mod, t)...)
		}
		match = func(vals map[string]any, _ *record) bool {
			for _, f := range fields {
				if s, ok := vals[f].(string); ok && strings.Contains(strings.ToLower(s), v) {
					return true
				}
			}
			return false
		}
	default:
		return errorReply(http.StatusBadRequest, "EXPECTED_PARAM_MISSING", "one of the expected parameter is missing",
			obj{"expected_params": []string{"criteria", "email", "phone", "word"}})
	}
	now := o.s.now()
	var found []*record
	for _, r := range mod.records {
		if vals := r.searchable(now); vals != nil && match(vals, r) {
			found = append(found, r)
		}
	}
	sort.Slice(found, func(i, j int) bool { return idLess(found[j].id, found[i].id) })
	// At most 2,000 records are served; past 2,000 matches the page holding the 2,000th still says
	// more_records (as Zoho does), and the next is refused above with LIMIT_REACHED: a client
	// walking pages meets Zoho's limit error, whatever its page size.
	beyond := len(found) > maxSearchRecords
	if beyond {
		found = found[:maxSearchRecords]
	}
	pg, info := pageOf(found, page, perPage)
	if len(pg) == 0 {
		return noContent()
	}
	if beyond {
		info["more_records"] = true
	}
	data := make([]any, len(pg))
	for i, r := range pg {
		data[i] = o.renderLocked(mod, r, nil)
	}
	return jsonReply(http.StatusOK, obj{"data": data, "info": info})
}

// criteriaError maps a zoho criteria error to Zoho's answer: a refused value is INVALID_DATA,
// anything else INVALID_QUERY. The criteria error holds no searched value.
func criteriaError(err error) *reply {
	reason := err.Error()
	var ce *crm.CriteriaError
	if errors.As(err, &ce) {
		reason = ce.Reason
	}
	if errors.Is(err, crm.ErrSearchValue) {
		return errInvalidData("invalid data", obj{"reason": reason})
	}
	return errorReply(http.StatusBadRequest, "INVALID_QUERY", "invalid query formed", obj{"reason": reason})
}

// searchValueLocked is the text a criteria compares for field: strings as they are, numbers and
// booleans as JSON writes them, lookups and owners by id.
func (o *Org) searchValueLocked(vals map[string]any, r *record, field string) (string, bool) {
	switch field {
	case "id":
		return r.id, true
	case "Created_Time":
		return o.format(r.created), true
	case "Modified_Time":
		return o.format(r.modified), true
	case "Created_By":
		return r.createdBy, true
	case "Modified_By":
		return r.modifiedBy, true
	}
	switch v := vals[field].(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case map[string]any:
		id, ok := v["id"].(string)
		return id, ok
	}
	return "", false
}

func fieldsOfType(mod *module, dataType string) []string {
	var out []string
	for _, fm := range mod.fields {
		if fm.DataType == dataType {
			out = append(out, fm.APIName)
		}
	}
	return out
}

// looseMatch evaluates c as Zoho does, as far as clients can tell: `equals` on a text-like field
// (text, textarea, website, picklist) holds when the value contains the searched text, ignoring
// case; on other fields (email, phone, ids, lookups, numbers) it is whole-value equality ignoring
// case; `starts_with` is a prefix test.
func looseMatch(c crm.Criteria, mod *module, get func(string) (string, bool)) bool {
	switch c.Logic {
	case "":
		if c.Op != crm.OpEquals {
			return c.Matches(get)
		}
		fm, ok := mod.byName[c.Field]
		if !ok || !looseType(fm.DataType) {
			return c.Matches(get)
		}
		v, ok := get(c.Field)
		return ok && strings.Contains(strings.ToLower(v), strings.ToLower(c.Value))
	case crm.LogicAnd:
		for _, t := range c.Terms {
			if !looseMatch(t, mod, get) {
				return false
			}
		}
		return len(c.Terms) > 0
	case crm.LogicOr:
		for _, t := range c.Terms {
			if looseMatch(t, mod, get) {
				return true
			}
		}
	}
	return false
}

func looseType(dataType string) bool {
	switch dataType {
	case "text", "textarea", "website", "picklist":
		return true
	}
	return false
}
