package zohotest

// Validating a record written: the field errors Zoho answers, value by value.

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

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
