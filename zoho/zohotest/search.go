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

// handleSearch serves GET /crm/v2/{module}/search with criteria (parsed by crm.ParseCriteria and
// evaluated by its exact evaluator), email (every email field, without case), phone (every phone
// field, by digits) or word (any text field contains it, without case), in that precedence.
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
		match = func(vals map[string]any, r *record) bool {
			return c.Matches(func(field string) (string, bool) { return o.searchValueLocked(vals, r, field) })
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
		want := digits(v)
		fields := fieldsOfType(mod, "phone")
		match = func(vals map[string]any, _ *record) bool {
			for _, f := range fields {
				s, ok := vals[f].(string)
				if !ok {
					continue
				}
				if want != "" && digits(s) == want || want == "" && strings.EqualFold(s, v) {
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
	if len(found) > maxSearchRecords {
		found = found[:maxSearchRecords]
	}
	return o.recordPageLocked(mod, found, page, perPage, nil)
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

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
