package crm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Record is one Zoho CRM record of any module, custom modules included. It keeps every field Zoho
// sent, in Zoho's order and with its exact JSON value (numbers keep their literal text), so that a
// record read and written back loses nothing. The zero value is an empty record ready to use.
//
// Fields are addressed by their API name ("Last_Name", "Custom_Field__c", "$se_module"). A field
// is in one of three states: absent (not sent: Zoho leaves it alone), set to a value, or null
// (sent as JSON null: Zoho clears it). [Record.Set] sets a value, [Record.Clear] sets null and
// [Record.Delete] makes the field absent again.
//
// Reading methods have value receivers, so they work on any Record value (a lookup's Extra
// returned by value, say); the methods that change a record need a pointer. A Record is not safe
// for concurrent modification.
type Record struct {
	keys   []string
	values map[string]json.RawMessage
	// sent is set on the Extra of a typed record (see decodeWithExtra): for each named field whose
	// value the struct writes differently from what Zoho sent (136.670 read as 136.67, "\u00e9"
	// as "é", a date-time in "Z"), the text Zoho sent and the struct's text at decoding. It is not
	// one of the record's fields and is never changed after decoding.
	sent map[string]sentValue
	// read is set on a record decoded from JSON (Zoho's answer); changed then names the fields set,
	// cleared or deleted since, so that an update sends only those (see [Record.Changes]).
	read    bool
	changed map[string]bool
}

// sentValue is a value as Zoho sent it, and as the typed record's field wrote it when decoded.
type sentValue struct{ sent, decoded json.RawMessage }

// NewRecord returns an empty record.
func NewRecord() *Record { return &Record{} }

// ParseRecord decodes one JSON object into a Record.
func ParseRecord(data []byte) (*Record, error) {
	r := &Record{}
	if err := r.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return r, nil
}

var jsonNull = json.RawMessage("null")

// UnmarshalJSON replaces the record's fields with those of a JSON object, keeping their order and
// their exact values (compacted: whitespace between tokens is dropped). JSON null leaves the
// record unchanged.
func (r *Record) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	buf, err := compactObject(data)
	if err != nil {
		return err
	}
	fresh := Record{}
	if n := countMembers(buf); n > 0 {
		fresh.keys = make([]string, 0, n)
		fresh.values = make(map[string]json.RawMessage, n)
	}
	if err := members(buf, func(key string, _ []byte, raw json.RawMessage) {
		fresh.setRaw(key, raw)
	}); err != nil {
		return err
	}
	fresh.read, fresh.changed = true, nil
	*r = fresh
	return nil
}

// Changes returns what an update of r should send: for a record read from Zoho (decoded from
// JSON), its id and the fields set, cleared or deleted… since it was read (a deleted field is
// simply not sent); for a record built by hand, every field. Records.Update sends Changes, so
// reading a record, changing one field and updating it writes that field only, and does not
// overwrite what others changed meanwhile.
func (r Record) Changes() *Record {
	if !r.read {
		return r.Clone()
	}
	c := &Record{}
	for _, k := range r.keys {
		if k == "id" || r.changed[k] {
			c.setRaw(k, append(json.RawMessage(nil), r.values[k]...))
		}
	}
	return c
}

// Changed reports whether the record was read from Zoho and a field was changed since (an update
// of it would send something besides its id), or was built by hand.
func (r Record) Changed() bool {
	return !r.read || len(r.changed) > 0
}

// MarshalJSON encodes the record as a JSON object, fields in order.
func (r Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range r.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(r.values[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Len returns the number of fields, null ones included.
func (r Record) Len() int { return len(r.keys) }

// Keys returns the API names of the record's fields, in order.
func (r Record) Keys() []string { return append([]string(nil), r.keys...) }

// Has reports whether the field is present (with a value or null).
func (r Record) Has(name string) bool {
	_, ok := r.values[name]
	return ok
}

// IsNull reports whether the field is present and JSON null.
func (r Record) IsNull(name string) bool {
	raw, ok := r.Raw(name)
	return ok && bytes.Equal(raw, jsonNull)
}

// Raw returns the field's JSON value as Zoho sent it (or as set). The returned bytes must not be
// modified.
func (r Record) Raw(name string) (json.RawMessage, bool) {
	raw, ok := r.values[name]
	return raw, ok
}

// ID returns the record id (the "id" field), or "" if it has none.
func (r Record) ID() string { return r.Text("id") }

// String describes the record without its values, which may be personal data or secrets: its id
// (when it has one) and how many fields it holds, such as `crm.Record{id: 4150868000000224005,
// 12 fields}`. Read a field's value with [Record.Text] and the other accessors.
func (r Record) String() string {
	if id := r.Text("id"); id != "" && safeID(id) {
		return fmt.Sprintf("crm.Record{id: %s, %d fields}", id, len(r.keys))
	}
	return fmt.Sprintf("crm.Record{%d fields}", len(r.keys))
}

// GoString describes the record as String does, so that %#v prints no value either.
func (r Record) GoString() string { return r.String() }

// safeID reports whether id looks like a Zoho record id (digits, at most 30), the only value
// String prints.
func safeID(id string) bool {
	if len(id) > 30 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Text returns a field as text: a JSON string's value, or the literal text of a number or a
// boolean. It returns "" for an absent or null field and for objects and arrays.
func (r Record) Text(name string) string {
	raw, ok := r.Raw(name)
	if !ok || len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	case '{', '[', 'n':
		return ""
	}
	return string(raw)
}

// Decode decodes the field's value into v (a pointer). It reports false, and leaves v alone, when
// the field is absent or null.
func (r Record) Decode(name string, v any) (bool, error) {
	raw, ok := r.Raw(name)
	if !ok || bytes.Equal(raw, jsonNull) {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("zoho: decoding field %q: %w", name, err)
	}
	return true, nil
}

// Lookup returns a lookup (or user) field such as "Owner" or "Account_Name" as {id, name}. It
// reports false when the field is absent, null or not an object.
func (r Record) Lookup(name string) (Lookup, bool) {
	raw, ok := r.Raw(name)
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return Lookup{}, false
	}
	var l Lookup
	if err := json.Unmarshal(raw, &l); err != nil {
		return Lookup{}, false
	}
	return l, true
}

// DateTime returns a date-time field (such as "Modified_Time") parsed. It reports false when the
// field is absent, null, empty or not a Zoho date-time.
func (r Record) DateTime(name string) (DateTime, bool) {
	var dt DateTime
	ok, err := r.Decode(name, &dt)
	if !ok || err != nil || dt.IsZero() {
		return DateTime{}, false
	}
	return dt, true
}

// Date returns a date field (such as "Due_Date") parsed. It reports false when the field is
// absent, null, empty or not a yyyy-MM-dd date.
func (r Record) Date(name string) (Date, bool) {
	var d Date
	ok, err := r.Decode(name, &d)
	if !ok || err != nil || d.IsZero() {
		return Date{}, false
	}
	return d, true
}

// CreatedTime returns the record's Created_Time, or the zero time if it has none.
func (r Record) CreatedTime() time.Time {
	dt, _ := r.DateTime("Created_Time")
	return dt.Time
}

// ModifiedTime returns the record's Modified_Time, or the zero time if it has none.
func (r Record) ModifiedTime() time.Time {
	dt, _ := r.DateTime("Modified_Time")
	return dt.Time
}

// Set sets a field to v encoded as JSON (a string, number, bool, [Lookup], [Date], [DateTime],
// slice, map, …). A new field goes last; an existing one keeps its place. A nil v sets JSON null,
// like [Record.Clear].
func (r *Record) Set(name string, v any) error {
	if name == "" {
		return errors.New("zoho: Record.Set: empty field name")
	}
	raw, err := Marshal(v)
	if err != nil {
		return fmt.Errorf("zoho: Record.Set %q: %w", name, err)
	}
	r.setRaw(name, raw)
	return nil
}

// SetRaw sets a field to a JSON value given as text. It fails if raw is not valid JSON.
func (r *Record) SetRaw(name string, raw json.RawMessage) error {
	if name == "" {
		return errors.New("zoho: Record.SetRaw: empty field name")
	}
	if !json.Valid(raw) {
		return fmt.Errorf("zoho: Record.SetRaw %q: invalid JSON", name)
	}
	r.setRaw(name, compactRaw(raw))
	return nil
}

// SetID sets the record id (the "id" field), as updates need.
func (r *Record) SetID(id string) { r.setRaw("id", mustMarshalString(id)) }

// Clear sets the field to JSON null, which tells Zoho to empty it.
func (r *Record) Clear(name string) {
	if name == "" {
		return
	}
	r.setRaw(name, jsonNull)
}

// Delete removes the field, so it is not sent at all (Zoho leaves it unchanged).
func (r *Record) Delete(name string) {
	if !r.Has(name) {
		return
	}
	delete(r.values, name)
	delete(r.changed, name)
	for i, k := range r.keys {
		if k == name {
			r.keys = append(r.keys[:i:i], r.keys[i+1:]...)
			break
		}
	}
}

// Clone returns a deep copy of the record (what was changed since it was read included).
func (r Record) Clone() *Record {
	c := &Record{sent: r.sent} // never modified: shared
	for _, k := range r.keys {
		c.setRaw(k, append(json.RawMessage(nil), r.values[k]...))
	}
	c.read, c.changed = r.read, nil
	for k := range r.changed {
		c.markChanged(k)
	}
	return c
}

func (r *Record) markChanged(name string) {
	if !r.read {
		return
	}
	if r.changed == nil {
		r.changed = map[string]bool{}
	}
	r.changed[name] = true
}

func (r *Record) setRaw(name string, raw json.RawMessage) {
	r.markChanged(name)
	if r.values == nil {
		r.values = map[string]json.RawMessage{}
	}
	if _, ok := r.values[name]; !ok {
		r.keys = append(r.keys, name)
	}
	r.values[name] = raw
}

// Marshal encodes v as JSON the way the SDK sends it to Zoho: without HTML escaping (so <, > and
// & in names and descriptions arrive as written) and without a trailing newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func mustMarshalString(s string) json.RawMessage {
	b, _ := Marshal(s) // a string always encodes
	return b
}

func compactRaw(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return buf.Bytes()
}

// Lookup is the value of a lookup or user field ("Owner", "Account_Name", "What_Id", …): Zoho
// sends {"name","id"} and sometimes more keys (an Owner's "email"), which are kept in Extra. To
// link a record, set only ID.
type Lookup struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	// Extra holds any other keys Zoho sent, written back unchanged.
	Extra Record `json:"-"`
}

type lookupFields Lookup

// MarshalJSON encodes the lookup with its extra keys.
func (l Lookup) MarshalJSON() ([]byte, error) {
	return encodeWithExtra((*lookupFields)(&l), &l.Extra)
}

// UnmarshalJSON decodes a lookup, keeping keys it does not name in Extra.
func (l *Lookup) UnmarshalJSON(data []byte) error {
	return decodeWithExtra(data, (*lookupFields)(l), &l.Extra)
}

// encodeWithExtra encodes v, a pointer to a struct type without JSON methods, and adds the fields
// of extra that v did not write. A field v writes as it did when decoded is written as Zoho sent
// it (see decodeWithExtra).
func encodeWithExtra(v any, extra *Record) ([]byte, error) {
	out, err := Marshal(v)
	if err != nil {
		return nil, err
	}
	if extra.Len() == 0 && len(extra.sent) == 0 {
		return out, nil
	}
	var rec Record
	if err := rec.UnmarshalJSON(out); err != nil {
		return nil, err
	}
	for k, sv := range extra.sent {
		if cur, ok := rec.values[k]; ok && bytes.Equal(cur, sv.decoded) {
			rec.values[k] = sv.sent
		}
	}
	for _, k := range extra.keys {
		if !rec.Has(k) {
			rec.setRaw(k, extra.values[k])
		}
	}
	return rec.MarshalJSON()
}
