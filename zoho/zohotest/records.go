package zohotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Zoho's per-call caps (zoho-api.md §6).
const (
	maxWriteRecords = 100
	maxPerPage      = 200
	maxFieldsParam  = 50
	maxJSONBody     = 16 << 20
)

// record is a stored record. values holds the field values as Zoho serves them (lookups as
// {"name","id"}, Owner as {"name","id","email"}); system fields live beside them.
type record struct {
	id                    string
	values                map[string]any
	created, modified     time.Time
	createdBy, modifiedBy string
	// Search sees prev (the values as last indexed; nil: never indexed) until indexAt, then values.
	prev    map[string]any
	indexAt time.Time
}

// searchable returns the values search sees at now, or nil when the record is not indexed yet.
func (r *record) searchable(now time.Time) map[string]any {
	if !now.Before(r.indexAt) {
		return r.values
	}
	return r.prev
}

// writeBody is the JSON body of insert, update and upsert.
type writeBody struct {
	Data                 []json.RawMessage `json:"data"`
	Trigger              []string          `json:"trigger"`
	DuplicateCheckFields []string          `json:"duplicate_check_fields"`
}

// readWriteBody reads a write body. Zoho's official clients send JSON without a Content-Type;
// any content type is accepted.
// The body is kept in the call log (Call.Body), cut at maxLoggedBody.
func readWriteBody(x *exchange) ([]map[string]any, *writeBody, *reply) {
	data, err := io.ReadAll(io.LimitReader(x.r.Body, maxJSONBody+1))
	x.call.Body = append([]byte(nil), data[:min(len(data), maxLoggedBody)]...)
	if err != nil {
		return nil, nil, errInvalidData("the request body could not be read", nil)
	}
	if len(data) > maxJSONBody {
		return nil, nil, errorReply(http.StatusRequestEntityTooLarge, "BODY_SIZE_REACHED", "the request body is too large", nil)
	}
	var wb writeBody
	if err := json.Unmarshal(data, &wb); err != nil {
		return nil, nil, errInvalidData("body is not a valid JSON", obj{})
	}
	if wb.Data == nil {
		return nil, nil, errParamMissing("data")
	}
	if len(wb.Data) == 0 {
		return nil, nil, errInvalidData("invalid data", obj{"api_name": "data", "json_path": "$.data"})
	}
	if len(wb.Data) > maxWriteRecords {
		return nil, nil, errorReply(http.StatusBadRequest, "LIMIT_EXCEEDED", "limit exceeded", obj{"limit": maxWriteRecords, "param_name": "data"})
	}
	items := make([]map[string]any, len(wb.Data))
	for i, raw := range wb.Data {
		m, err := decodeObject(raw)
		if err != nil {
			items[i] = nil // reported per item
			continue
		}
		items[i] = m
	}
	return items, &wb, nil
}

// decodeObject decodes a JSON object keeping numbers exact.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("null")
	}
	return m, nil
}

// normalize turns Go values (from Seed) into the JSON-decoded form the server stores.
func normalize(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeObject(b)
}

func jsonPath(i int, field string) string { return fmt.Sprintf("$.data[%d].%s", i, field) }

// applyLocked writes validated values into a record (a new one when r is nil) and returns it.
// o.mu must be held.
func (o *Org) applyLocked(mod *module, r *record, values map[string]any, userID string, now time.Time) *record {
	now = now.Truncate(time.Second)
	indexAt := now.Add(o.s.opts.indexDelay)
	if r == nil {
		r = &record{id: o.newIDLocked(), values: map[string]any{}, created: now, createdBy: userID}
		if _, ok := values["Owner"]; !ok {
			if u := o.userLocked(userID); u != nil {
				values["Owner"] = userRef(u, true)
			}
		}
		if mod.name == "Cases" {
			o.caseNumber++
			r.values["Case_Number"] = strconv.Itoa(o.caseNumber)
		}
		if mod.name == "Tasks" {
			if _, ok := values["$se_module"]; !ok {
				r.values["$se_module"] = nil
			}
		}
		mod.records[r.id] = r
	} else if !now.Before(r.indexAt) {
		r.prev = copyValues(r.values)
	}
	for k, v := range values {
		r.values[k] = v
	}
	if mod.name == "Tasks" {
		if _, ok := values["What_Id"]; ok {
			if values["What_Id"] == nil {
				r.values["$se_module"] = nil
			}
		}
	}
	if _, ok := mod.byName["Full_Name"]; ok {
		var parts []string
		for _, k := range []string{"Salutation", "First_Name", "Last_Name"} {
			if s, ok := r.values[k].(string); ok && s != "" {
				parts = append(parts, s)
			}
		}
		r.values["Full_Name"] = strings.Join(parts, " ")
	}
	r.modified, r.modifiedBy = now, userID
	r.indexAt = indexAt
	return r
}

// seModule copies $se_module from the input when What_Id was given.
func seModule(in, values map[string]any) {
	if _, ok := values["What_Id"]; ok {
		if se, ok := in["$se_module"].(string); ok {
			values["$se_module"] = se
		}
	}
}

func copyValues(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyValues(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// successItem is a write's per-record success ({code, details, message, status}).
func (o *Org) successItemLocked(r *record, message string) obj {
	return obj{
		"code": "SUCCESS",
		"details": obj{
			"Modified_Time": o.format(r.modified),
			"Modified_By":   o.userRefByIDLocked(r.modifiedBy),
			"Created_Time":  o.format(r.created),
			"id":            r.id,
			"Created_By":    o.userRefByIDLocked(r.createdBy),
		},
		"message": message,
		"status":  "success",
	}
}

func (o *Org) userRefByIDLocked(id string) any {
	if u := o.userLocked(id); u != nil {
		return userRef(u, false)
	}
	if id == "" {
		return nil
	}
	return obj{"name": nil, "id": id}
}

// batchStatus is the HTTP status of a batch write: allOK when every item succeeded, 207 when
// some did, 400 when none did.
func batchStatus(ok, total, allOK int) int {
	switch ok {
	case total:
		return allOK
	case 0:
		return http.StatusBadRequest
	}
	return http.StatusMultiStatus
}

func (x *exchange) userID() string {
	if x.tok != nil {
		return x.tok.userID
	}
	return ""
}

// writeOneLocked validates one input record and writes it: into cur, or a new record when cur is
// nil. It returns Zoho's result item for it (success or error) and whether it was written.
// o.mu must be held.
func (o *Org) writeOneLocked(mod *module, in map[string]any, i int, cur *record, userID string, now time.Time) (obj, bool) {
	mode, message := modeInsert, "record added"
	if cur != nil {
		mode, message = modeUpdate, "record updated"
	}
	values, e := o.validateLocked(mod, in, i, mode, cur)
	if e != nil {
		return e, false
	}
	seModule(in, values)
	return o.successItemLocked(o.applyLocked(mod, cur, values, userID, now), message), true
}

// handleInsert serves POST /crm/v2/{module}: 201 all added, 207 mixed, 400 none.
func (o *Org) handleInsert(x *exchange) *reply {
	items, _, rep := readWriteBody(x)
	if rep != nil {
		return rep
	}
	now := o.s.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(x.mod)
	results := make([]any, len(items))
	ok := 0
	for i, in := range items {
		item, written := o.writeOneLocked(mod, in, i, nil, x.userID(), now)
		results[i] = item
		if written {
			ok++
		}
	}
	return jsonReply(batchStatus(ok, len(items), http.StatusCreated), obj{"data": results})
}

// handleUpdate serves PUT /crm/v2/{module} (each item names its id) and PUT
// /crm/v2/{module}/{id}: 200 all updated, 207 mixed, 400 none.
func (o *Org) handleUpdate(x *exchange) *reply {
	items, _, rep := readWriteBody(x)
	if rep != nil {
		return rep
	}
	pathID := ""
	if len(x.segs) == 2 {
		pathID = x.segs[1]
		if len(items) != 1 {
			return errInvalidData("invalid data", obj{"api_name": "data", "json_path": "$.data"})
		}
	}
	now := o.s.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(x.mod)
	results := make([]any, len(items))
	ok := 0
	for i, in := range items {
		id := pathID
		if id == "" && in != nil {
			id, _ = refID(in["id"])
			if _, isMap := in["id"].(map[string]any); isMap {
				id = ""
			}
		}
		if id == "" {
			results[i] = fieldError("MANDATORY_NOT_FOUND", "required field not found", i, "id", nil)
			continue
		}
		cur := mod.records[id]
		if cur == nil {
			results[i] = fieldError("INVALID_DATA", "the id given seems to be invalid", i, "id", nil)
			continue
		}
		item, written := o.writeOneLocked(mod, in, i, cur, x.userID(), now)
		results[i] = item
		if written {
			ok++
		}
	}
	return jsonReply(batchStatus(ok, len(items), http.StatusOK), obj{"data": results})
}

// handleUpsert serves POST /crm/v2/{module}/upsert: each record updates the first existing record
// that has the same value in a duplicate-check field (duplicate_check_fields, else the module's
// system duplicate fields and unique fields), or is inserted. 200 all ok, 207 mixed, 400 none.
func (o *Org) handleUpsert(x *exchange) *reply {
	items, wb, rep := readWriteBody(x)
	if rep != nil {
		return rep
	}
	now := o.s.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(x.mod)
	dupFields := mod.dupFields
	if wb.DuplicateCheckFields != nil {
		for _, f := range wb.DuplicateCheckFields {
			if !contains(mod.dupFields, f) {
				return errInvalidData("invalid data", obj{"api_name": f, "json_path": "$.duplicate_check_fields"})
			}
		}
		dupFields = wb.DuplicateCheckFields
	}
	results := make([]any, len(items))
	ok := 0
	for i, in := range items {
		var match *record
		var matchField string
		if in != nil {
			for _, f := range dupFields {
				v, given := in[f]
				if !given || isEmpty(v) {
					continue
				}
				match = oldestMatch(mod, f, v)
				if match != nil {
					matchField = f
					break
				}
			}
		}
		item, written := o.writeOneLocked(mod, in, i, match, x.userID(), now)
		results[i] = item
		if !written {
			continue
		}
		if match != nil {
			item["action"], item["duplicate_field"] = "update", matchField
		} else {
			item["action"], item["duplicate_field"] = "insert", nil
		}
		ok++
	}
	return jsonReply(batchStatus(ok, len(items), http.StatusOK), obj{"data": results})
}

// oldestMatch finds the oldest record whose field equals v (without case, lookups by id).
func oldestMatch(mod *module, field string, v any) *record {
	want := scalar(v)
	var best *record
	for _, r := range mod.records {
		if sameValue(scalar(r.values[field]), want) && (best == nil || idLess(r.id, best.id)) {
			best = r
		}
	}
	return best
}

// idLess orders numeric ids.
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// handleDelete serves DELETE /crm/v2/{module}?ids=a,b and DELETE /crm/v2/{module}/{id}.
func (o *Org) handleDelete(x *exchange) *reply {
	var ids []string
	if len(x.segs) == 2 {
		ids = []string{x.segs[1]}
	} else {
		raw := x.r.URL.Query().Get("ids")
		if raw == "" {
			return errParamMissing("ids")
		}
		for _, id := range strings.Split(raw, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) > maxWriteRecords {
			return errorReply(http.StatusBadRequest, "LIMIT_EXCEEDED", "limit exceeded", obj{"limit": maxWriteRecords, "param_name": "ids"})
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(x.mod)
	results := make([]any, len(ids))
	ok := 0
	for i, id := range ids {
		if mod.records[id] == nil {
			results[i] = errorItem("INVALID_DATA", "the id given seems to be invalid", obj{"id": id})
			continue
		}
		delete(mod.records, id)
		delete(o.attachments, id)
		results[i] = obj{"code": "SUCCESS", "details": obj{"id": id}, "message": "record deleted", "status": "success"}
		ok++
	}
	return jsonReply(batchStatus(ok, len(ids), http.StatusOK), obj{"data": results})
}
