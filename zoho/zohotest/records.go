package zohotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
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

func fieldError(code, message string, i int, field string, extra obj) obj {
	d := obj{"api_name": field, "json_path": jsonPath(i, field)}
	for k, v := range extra {
		d[k] = v
	}
	return errorItem(code, message, d)
}

// writeMode says what a validation is for.
type writeMode int

const (
	modeInsert writeMode = iota
	modeUpdate
	modeSeed
)

// validateLocked checks one input record against the module's fields and returns the values to
// store (only the fields given; system and read-only fields are dropped, unknown fields are
// ignored as Zoho v2 does) or Zoho's error item. cur is the record being updated (nil on insert).
// o.mu must be held.
func (o *Org) validateLocked(mod *module, in map[string]any, i int, mode writeMode, cur *record) (map[string]any, obj) {
	if in == nil {
		return nil, errorItem("INVALID_DATA", "invalid data", obj{"json_path": fmt.Sprintf("$.data[%d]", i)})
	}
	// Mandatory fields first, in metadata order.
	for _, fm := range mod.fields {
		if !fm.Mandatory || fm.ReadOnly {
			continue
		}
		v, given := in[fm.APIName]
		missing := !given && mode == modeInsert || given && isEmpty(v)
		if missing {
			return nil, fieldError("MANDATORY_NOT_FOUND", "required field not found", i, fm.APIName, nil)
		}
	}
	out := map[string]any{}
	for _, fm := range mod.fields {
		v, given := in[fm.APIName]
		if !given || fm.ReadOnly {
			continue
		}
		switch fm.APIName {
		case "Created_Time", "Modified_Time", "Created_By", "Modified_By":
			continue
		}
		nv, e := o.checkValueLocked(mod, fm, v, in, i, cur)
		if e != nil {
			return nil, e
		}
		out[fm.APIName] = nv
	}
	if tag, ok := in["Tag"]; ok {
		if _, isList := tag.([]any); !isList && tag != nil {
			return nil, fieldError("INVALID_DATA", "invalid data", i, "Tag", obj{"expected_data_type": "jsonarray"})
		}
		out["Tag"] = tag
	}
	// Unique fields.
	for _, fm := range mod.fields {
		v, ok := out[fm.APIName]
		if !fm.Unique || !ok || isEmpty(v) {
			continue
		}
		for _, r := range mod.records {
			if cur != nil && r.id == cur.id {
				continue
			}
			if sameValue(r.values[fm.APIName], v) {
				owner, _ := r.values["Owner"].(map[string]any)
				dup := obj{"id": r.id}
				if owner != nil {
					dup["Owner"] = obj{"name": owner["name"], "id": owner["id"], "zuid": owner["id"]}
				}
				return nil, fieldError("DUPLICATE_DATA", "duplicate data", i, fm.APIName,
					obj{"id": r.id, "duplicate_record": dup, "more_records": false})
			}
		}
	}
	return out, nil
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// sameValue compares two stored values for duplicate checks: strings without case, lookups by id.
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return false
	}
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return strings.EqualFold(strings.TrimSpace(as), strings.TrimSpace(bs))
	}
	return fmt.Sprint(scalar(a)) == fmt.Sprint(scalar(b))
}

// scalar reduces a lookup to its id.
func scalar(v any) any {
	if m, ok := v.(map[string]any); ok {
		return m["id"]
	}
	return v
}

// checkValueLocked validates one field value and returns what to store.
func (o *Org) checkValueLocked(mod *module, fm *fieldMeta, v any, in map[string]any, i int, cur *record) (any, obj) {
	name := fm.APIName
	invalid := func(extra obj) obj { return fieldError("INVALID_DATA", "invalid data", i, name, extra) }
	if v == nil {
		return nil, nil
	}
	switch fm.DataType {
	case "text", "textarea", "email", "phone", "website", "picklist":
		s, ok := v.(string)
		if !ok {
			return nil, invalid(obj{"expected_data_type": expectedType(fm.DataType)})
		}
		if fm.Length > 0 && crm.UTF16Len(s) > fm.Length {
			return nil, invalid(obj{"maximum_length": fm.Length})
		}
		switch fm.DataType {
		case "email":
			if s != "" && !validEmail(s) {
				return nil, invalid(obj{"expected_data_type": "email"})
			}
		case "picklist":
			if s == "-None-" || s == "" {
				return nil, nil
			}
			if !contains(fm.PickList, s) {
				return nil, invalid(obj{"expected_data_type": "picklist"})
			}
		}
		return s, nil
	case "multiselectpicklist":
		list, ok := v.([]any)
		if !ok {
			return nil, invalid(obj{"expected_data_type": "jsonarray"})
		}
		for _, it := range list {
			s, ok := it.(string)
			if !ok || !contains(fm.PickList, s) {
				return nil, invalid(obj{"expected_data_type": "multiselectpicklist"})
			}
		}
		return list, nil
	case "integer", "bigint":
		n, ok := v.(json.Number)
		if !ok {
			return nil, invalid(obj{"expected_data_type": "integer"})
		}
		if _, err := n.Int64(); err != nil {
			return nil, invalid(obj{"expected_data_type": "integer"})
		}
		if fm.DataType == "integer" && len(strings.TrimLeft(n.String(), "-")) > 9 {
			return nil, invalid(obj{"maximum_length": 9})
		}
		return n, nil
	case "double", "currency", "decimal", "percent":
		n, ok := v.(json.Number)
		if !ok {
			return nil, invalid(obj{"expected_data_type": "double"})
		}
		if _, err := n.Float64(); err != nil {
			return nil, invalid(obj{"expected_data_type": "double"})
		}
		return n, nil
	case "boolean":
		if _, ok := v.(bool); !ok {
			return nil, invalid(obj{"expected_data_type": "boolean"})
		}
		return v, nil
	case "date":
		s, ok := v.(string)
		if _, err := time.Parse("2006-01-02", s); !ok || err != nil {
			return nil, invalid(obj{"expected_data_type": "date"})
		}
		return s, nil
	case "datetime":
		s, ok := v.(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			return nil, invalid(obj{"expected_data_type": "datetime"})
		}
		return s, nil
	case "ownerlookup", "userlookup":
		id, ok := refID(v)
		if !ok {
			return nil, invalid(obj{"expected_data_type": "jsonobject"})
		}
		u := o.userLocked(id)
		if u == nil || u.Status != "active" {
			return nil, fieldError("INVALID_DATA", "the id given seems to be invalid", i, name, nil)
		}
		return userRef(u, true), nil
	case "lookup":
		id, ok := refID(v)
		if !ok {
			return nil, invalid(obj{"expected_data_type": "jsonobject"})
		}
		target := fm.LookupModule
		if target == "$se_module" {
			se, _ := in["$se_module"].(string)
			if se == "" && cur != nil {
				se, _ = cur.values["$se_module"].(string)
			}
			tm := o.moduleLocked(se)
			if se == "" || tm == nil || tm == mod {
				return nil, fieldError("INVALID_DATA", "invalid data", i, "$se_module", nil)
			}
			target = tm.name
		}
		tm := o.moduleLocked(target)
		var ref *record
		if tm != nil {
			ref = tm.records[id]
		}
		if ref == nil {
			return nil, fieldError("INVALID_DATA", "the id given seems to be invalid", i, name, nil)
		}
		return obj{"name": displayName(tm, ref), "id": ref.id}, nil
	}
	// Types the fake does not model (ALARM, RRULE, autonumber…): stored as given.
	return v, nil
}

func expectedType(dataType string) string {
	if dataType == "picklist" {
		return "picklist"
	}
	return "text"
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

// refID reads a lookup value: {"id": "…"} (Zoho's form) or a bare id string.
func refID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case json.Number:
		return x.String(), true
	case map[string]any:
		switch id := x["id"].(type) {
		case string:
			return id, id != ""
		case json.Number:
			return id.String(), true
		}
	}
	return "", false
}

func userRef(u *User, withEmail bool) obj {
	ref := obj{"name": u.FullName(), "id": u.ID}
	if withEmail {
		ref["email"] = u.Email
	}
	return ref
}

// displayName is what names a record in a lookup.
func displayName(mod *module, r *record) any {
	if mod.display == "" {
		return nil
	}
	return r.values[mod.display]
}

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
