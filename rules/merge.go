package rules

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// unmergedFields are never part of an update: the record's identity and ownership.
var unmergedFields = map[string]bool{"id": true, "Owner": true, "Layout": true}

// Merge returns the update to send for a person the identification rules found, or (nil, false)
// when nothing would change. existing is the record as Zoho has it; incoming holds the values
// CloudCX has ([Person.Values]), which are the only fields considered (id, Owner and Layout are
// never updated). A Description ending with the marker of a person the integration created
// ([PersonMarker]) is compared without it, the note the integration wrote with it counting as
// empty, and an update of it keeps the marker at its end.
//
//   - Never: nothing is updated.
//   - FillEmpty: a field is written only when it is empty in Zoho (absent, null, blank text, a
//     lookup without an id); a non-empty Zoho value is never overwritten.
//   - Overwrite: a field is written when its value differs from Zoho's; a Zoho value is never
//     blanked because CloudCX has none (empty incoming values are skipped).
//
// Values are compared normalised, so that no update is sent for a difference Zoho would not
// show: text trimmed with runs of spaces collapsed, emails ignoring case, phones by their
// significant digits (see SignificantPhoneDigits), text in NFC; a one-field name equal to the
// record's Full_Name or First_Name and Last_Name is not written over the split name, and one that
// differs is written with the record's First_Name cleared (Zoho would otherwise show "Jane" before
// "Jane Doe"); lookups by id, other JSON values by their compact form. The update carries the
// existing record's id and the changed fields, in incoming's order.
func Merge(policy UpdatePolicy, existing, incoming *crm.Record) (*crm.Record, bool) {
	if existing == nil || incoming == nil || (policy != FillEmpty && policy != Overwrite) {
		return nil, false
	}
	update := crm.NewRecord()
	changed := false
	for _, k := range incoming.Keys() {
		if unmergedFields[k] {
			continue
		}
		in, _ := incoming.Raw(k)
		if isEmptyValue(in) {
			continue
		}
		cur, has := existing.Raw(k)
		// A person marker ending Zoho's Description (a record the integration created) is not
		// the field's value: the text before it is compared, and the marker is kept by the
		// update, so a Description holding only the marker is empty to FillEmpty.
		var marker string
		if k == "Description" && has {
			cur, marker = cutMarkerRaw(cur)
		}
		switch policy {
		case FillEmpty:
			if has && !isEmptyValue(cur) {
				continue
			}
		case Overwrite:
			if has && sameValue(k, cur, in) {
				continue
			}
			if k == "Last_Name" && !incoming.Has("First_Name") && sameName(existing, in) {
				continue // "Jane Doe" is the record's First_Name "Jane" and Last_Name "Doe"
			}
		}
		if marker != "" {
			var text string
			if json.Unmarshal(in, &text) != nil {
				continue
			}
			in, _ = json.Marshal(withPersonMarker(text, marker, defaultLengths["Description"]))
		}
		if err := update.SetRaw(k, in); err != nil {
			continue
		}
		changed = true
		// A one-field name written over a name Zoho stores split: the old First_Name would be
		// shown before it ("Jane" + "Jane Doe"), so it is cleared, and the record reads as the
		// name CloudCX holds.
		if policy == Overwrite && k == "Last_Name" && !incoming.Has("First_Name") && strings.TrimSpace(existing.Text("First_Name")) != "" {
			update.Clear("First_Name")
		}
	}
	if !changed {
		return nil, false
	}
	if id := existing.ID(); id != "" {
		update.SetID(id)
	}
	return update, true
}

// cutMarkerRaw splits a JSON text value ending with a person marker (see cutPersonMarker) into
// the text before it, as JSON, and the marker; other values are returned as they are.
func cutMarkerRaw(raw json.RawMessage) (json.RawMessage, string) {
	var text string
	if json.Unmarshal(raw, &text) != nil {
		return raw, ""
	}
	body, marker := cutPersonMarker(text)
	if marker == "" {
		return raw, ""
	}
	out, err := json.Marshal(body)
	if err != nil {
		return raw, ""
	}
	return out, marker
}

// sameName reports whether a name CloudCX holds in one field (Last_Name alone) is the name Zoho
// stores split: equal to the record's Full_Name, or to First_Name and Last_Name joined by a
// space, compared as text is (see normText, ignoring case). Overwriting the split name with the
// whole of it would show "Jane Jane Doe" in Zoho.
func sameName(existing *crm.Record, in json.RawMessage) bool {
	var name string
	if json.Unmarshal(in, &name) != nil {
		return false
	}
	name = normText(name)
	if name == "" {
		return false
	}
	for _, whole := range []string{existing.Text("Full_Name"), existing.Text("First_Name") + " " + existing.Text("Last_Name")} {
		if strings.EqualFold(normText(whole), name) {
			return true
		}
	}
	return false
}

// isEmptyValue reports an absent, null, blank-string, empty-array or id-less lookup value.
func isEmptyValue(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return true
	}
	switch raw[0] {
	case 'n':
		return true
	case '"':
		var s string
		return json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) == ""
	case '[':
		var a []json.RawMessage
		return json.Unmarshal(raw, &a) == nil && len(a) == 0
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return false
		}
		if id, ok := m["id"]; ok { // a lookup: empty without an id
			return isEmptyValue(id)
		}
		return len(m) == 0
	}
	return false
}

// sameValue compares two JSON values of field name, normalised.
func sameValue(name string, a, b json.RawMessage) bool {
	a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
	if len(a) > 0 && len(b) > 0 && a[0] == '"' && b[0] == '"' {
		var sa, sb string
		if json.Unmarshal(a, &sa) != nil || json.Unmarshal(b, &sb) != nil {
			return bytes.Equal(a, b)
		}
		switch fieldKindOfZoho(name) {
		case kindEmail:
			return normEmail(sa) == normEmail(sb)
		case kindPhone:
			if phoneKey(sa) != "" || phoneKey(sb) != "" {
				return samePhone(sa, sb)
			}
		}
		return strings.EqualFold(normText(sa), normText(sb))
	}
	if len(a) > 0 && len(b) > 0 && a[0] == '{' && b[0] == '{' {
		var la, lb struct {
			ID *string `json:"id"`
		}
		if json.Unmarshal(a, &la) == nil && json.Unmarshal(b, &lb) == nil && la.ID != nil && lb.ID != nil {
			return *la.ID == *lb.ID
		}
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// fieldKindOfZoho guesses how a Zoho field's values compare from its API name.
func fieldKindOfZoho(name string) fieldKind {
	switch name {
	case "Email", "Secondary_Email":
		return kindEmail
	case "Phone", "Mobile", "Home_Phone", "Other_Phone", "Asst_Phone", "Fax":
		return kindPhone
	}
	return kindText
}
