package crm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// This file decodes records fast and losslessly: a record is validated and compacted in one
// pass into one buffer that its values then share, its members are found by a scanner that
// relies on that validity, and the named fields of the typed records are decoded from their raw
// value directly (strings, numbers and booleans without encoding/json), which also tells whether
// the struct would write the value back exactly as it was sent.

// isNull reports whether data is JSON null, surrounded by white space or not.
func isNull(data []byte) bool { return bytes.Equal(bytes.TrimSpace(data), jsonNull) }

// compactObject validates data as one JSON object and returns it compacted into a new buffer,
// which the decoded values may share: nothing writes to it afterwards.
func compactObject(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(data))
	if err := json.Compact(&buf, data); err != nil {
		return nil, fmt.Errorf("zoho: decoding record: %w", err)
	}
	b := buf.Bytes()
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("zoho: decoding record: not a JSON object")
	}
	return b, nil
}

// countMembers returns how many members the compact, valid object obj holds.
func countMembers(obj []byte) int {
	if len(obj) <= 2 {
		return 0
	}
	n, depth, inString := 1, 0, false
	for i := 1; i < len(obj)-1; i++ {
		c := obj[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ',' && depth == 0:
			n++
		}
	}
	return n
}

// members calls fn for each member of the compact, valid object obj, in order: its key decoded,
// the key as it appears in obj (quotes included), and its raw value (a slice of obj).
func members(obj []byte, fn func(key string, rawKey []byte, raw json.RawMessage)) error {
	i := 1
	for i < len(obj)-1 {
		kEnd := skipString(obj, i)
		rawKey := obj[i:kEnd]
		key, err := unquote(rawKey)
		if err != nil {
			return fmt.Errorf("zoho: decoding record: %w", err)
		}
		vStart := kEnd + 1 // after the colon
		vEnd := skipValue(obj, vStart)
		fn(key, rawKey, obj[vStart:vEnd:vEnd])
		i = vEnd + 1 // after the comma (or on the closing brace)
	}
	return nil
}

// skipString returns the index after the JSON string starting at obj[i] (a quote).
func skipString(obj []byte, i int) int {
	for i++; i < len(obj); i++ {
		switch obj[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(obj)
}

// skipValue returns the index after the compact, valid JSON value starting at obj[i].
func skipValue(obj []byte, i int) int {
	switch obj[i] {
	case '"':
		return skipString(obj, i)
	case '{', '[':
		depth := 0
		for ; i < len(obj); i++ {
			switch obj[i] {
			case '"':
				i = skipString(obj, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(obj)
	}
	for ; i < len(obj); i++ {
		if c := obj[i]; c == ',' || c == '}' || c == ']' {
			return i
		}
	}
	return len(obj)
}

// unquote decodes a valid JSON string. A string without escapes, valid UTF-8, is copied as it
// is; others go through encoding/json.
func unquote(raw []byte) (string, error) {
	body := raw[1 : len(raw)-1]
	if plainString(body) {
		return string(body), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// plainString reports whether body, the inside of a valid JSON string, has no escape and is
// valid UTF-8: its value is body itself.
func plainString(body []byte) bool {
	for i, c := range body {
		if c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			return bytes.IndexByte(body[i:], '\\') < 0 && utf8.Valid(body[i:])
		}
	}
	return true
}

// canonicalString reports whether Marshal writes the string body back as it is: no escape, valid
// UTF-8, no U+2028 or U+2029 (which encoding/json escapes).
func canonicalString(body []byte) bool {
	return plainString(body) && !bytes.Contains(body, []byte("\u2028")) && !bytes.Contains(body, []byte("\u2029"))
}

// writesAsIs reports whether Marshal writes the string s as s between quotes: nothing in it needs
// escaping (quote, backslash, control characters, invalid UTF-8, U+2028, U+2029).
func writesAsIs(s string) bool {
	for _, r := range s {
		switch {
		case r < 0x20, r == '"', r == '\\', r == '\u2028', r == '\u2029':
			return false
		}
	}
	return utf8.ValidString(s)
}

// rawDecoder is a field type that decodes itself from a compact, valid JSON value, and tells how
// it encodes back: same when exactly as raw; otherwise enc when it knows it cheaply (nil when it
// does not: the caller marshals it). [Optional], [Lookup], [Date] and [DateTime] are.
type rawDecoder interface {
	decodeRaw(raw []byte) (same bool, enc []byte, err error)
}

// structInfo describes the JSON fields of a struct type, for decodeWithExtra.
type structInfo struct {
	byName map[string]int // JSON name → field index
	fields []fieldInfo    // by field index
}

type fieldInfo struct {
	named      bool // a JSON field (exported, not embedded, not "-")
	omitEmpty  bool
	omitZero   bool
	rawDecoder bool // *T implements rawDecoder
}

// structInfos caches the structInfo of each struct type (read-only once stored), as
// encoding/json caches its own.
var structInfos sync.Map // reflect.Type → *structInfo

var rawDecoderType = reflect.TypeFor[rawDecoder]()

func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: make(map[string]int, t.NumField()), fields: make([]fieldInfo, t.NumField())}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		si.byName[name] = i
		si.fields[i] = fieldInfo{
			named:      true,
			omitEmpty:  hasOption(opts, "omitempty"),
			omitZero:   hasOption(opts, "omitzero"),
			rawDecoder: reflect.PointerTo(f.Type).Implements(rawDecoderType),
		}
	}
	actual, _ := structInfos.LoadOrStore(t, si)
	return actual.(*structInfo)
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// decodeWithExtra decodes data into v, a pointer to a struct type without JSON methods, replacing
// its value, and puts into extra every field of data that v does not write back as it was sent,
// so that encodeWithExtra gives back data's JSON value:
//
//   - only keys equal to a field's JSON name fill that field (encoding/json would also match
//     "status" to a field named "Status", which would then be written back as "Status");
//   - a field whose value does not decode into its Go type (text in a number field, a bare id for
//     a lookup, a malformed date) stays in extra instead of failing the whole record;
//   - a field the struct would drop when encoding (an "" or null under omitempty) stays in extra;
//   - a field the struct would write differently (136.670 as 136.67) keeps the sent text in
//     extra.sent, written back as long as the struct field still encodes as when decoded.
//
// JSON null leaves v and extra alone; data that is not one JSON object leaves them alone too and
// is an error.
func decodeWithExtra(data []byte, v any, extra *Record) error {
	if isNull(data) {
		return nil
	}
	buf, err := compactObject(data)
	if err != nil {
		return err
	}
	return decodeCompact(buf, v, extra)
}

// decodeCompact is decodeWithExtra for a compact, valid object that the decoded values may
// share.
func decodeCompact(obj []byte, v any, extra *Record) error {
	rv := reflect.ValueOf(v).Elem()
	si := structInfoOf(rv.Type())
	rv.SetZero() // extra may be a field of *v: it is set last
	var ex Record
	if n := countMembers(obj) - len(si.byName); n > 0 {
		ex.keys, ex.values = make([]string, 0, n), make(map[string]json.RawMessage, n)
	}
	var decodeErr error
	err := members(obj, func(key string, _ []byte, raw json.RawMessage) {
		idx, ok := si.byName[key]
		if !ok {
			ex.setRaw(key, raw)
			return
		}
		if _, dup := ex.values[key]; dup { // a key sent twice: the last one counts
			ex.Delete(key)
		}
		delete(ex.sent, key)
		fi := si.fields[idx]
		fv := rv.Field(idx)
		same, dec, err := decodeField(fv, fi, raw)
		if err != nil {
			fv.SetZero() // the value does not fit the field's type: kept as sent
			ex.setRaw(key, raw)
			return
		}
		if omitted(fv, fi) {
			ex.setRaw(key, raw) // the struct would not write it: kept as sent
			return
		}
		if same {
			return
		}
		if dec == nil {
			if dec, err = Marshal(fv.Interface()); err != nil {
				decodeErr = fmt.Errorf("zoho: decoding field %q: %w", key, err)
				return
			}
		}
		if !bytes.Equal(dec, raw) {
			if ex.sent == nil {
				ex.sent = map[string]sentValue{}
			}
			ex.sent[key] = sentValue{sent: raw, decoded: dec}
		}
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		rv.SetZero()
		return err
	}
	*extra = ex
	return nil
}

// decodeField decodes raw into the field fv and tells how it encodes back, as a rawDecoder does.
func decodeField(fv reflect.Value, fi fieldInfo, raw []byte) (bool, []byte, error) {
	if fi.rawDecoder {
		return fv.Addr().Interface().(rawDecoder).decodeRaw(raw)
	}
	if fv.Kind() == reflect.String && raw[0] == '"' {
		s, err := unquote(raw)
		if err != nil {
			return false, nil, err
		}
		fv.SetString(s)
		return canonicalString(raw[1 : len(raw)-1]), nil, nil
	}
	return false, nil, decodeValue(raw, fv.Addr().Interface())
}

// decodeValue decodes a compact, valid JSON value into p, calling p's UnmarshalJSON directly
// when it has one (the value needs no second check).
func decodeValue(raw []byte, p any) error {
	if u, ok := p.(json.Unmarshaler); ok {
		return u.UnmarshalJSON(raw)
	}
	return json.Unmarshal(raw, p)
}

// omitted reports whether encoding/json leaves the field out of the struct's encoding.
func omitted(fv reflect.Value, fi fieldInfo) bool {
	if fi.omitZero {
		if z, ok := fv.Addr().Interface().(interface{ IsZero() bool }); ok {
			if z.IsZero() {
				return true
			}
		} else if fv.IsZero() {
			return true
		}
	}
	if !fi.omitEmpty {
		return false
	}
	switch fv.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return fv.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return fv.IsZero()
	}
	return false
}

// decodeRaw decodes a compact, valid JSON value: null as null, anything else as a value. Strings,
// integers, floats and booleans are decoded without encoding/json.
func (o *Optional[T]) decodeRaw(raw []byte) (bool, []byte, error) {
	if bytes.Equal(raw, jsonNull) {
		*o = Null[T]()
		return true, nil, nil
	}
	var v T
	same, enc, err := decodeScalar(raw, &v)
	if err != nil {
		return false, nil, err
	}
	*o = Some(v)
	return same, enc, nil
}

// decodeScalar decodes raw into *p and tells how *p encodes back, as a rawDecoder does.
func decodeScalar(raw []byte, p any) (bool, []byte, error) {
	switch p := p.(type) {
	case *string:
		if raw[0] != '"' {
			return false, nil, fmt.Errorf("zoho: %s is not a JSON string", truncateForError(string(raw)))
		}
		s, err := unquote(raw)
		*p = s
		return canonicalString(raw[1 : len(raw)-1]), nil, err
	case *bool:
		switch string(raw) {
		case "true":
			*p = true
			return true, nil, nil
		case "false":
			*p = false
			return true, nil, nil
		}
		return false, nil, fmt.Errorf("zoho: %s is not a JSON boolean", truncateForError(string(raw)))
	case *int:
		n, err := strconv.ParseInt(string(raw), 10, strconv.IntSize)
		if err != nil {
			return false, nil, fmt.Errorf("zoho: %s is not an integer", truncateForError(string(raw)))
		}
		*p = int(n)
		var b [24]byte
		return bytes.Equal(strconv.AppendInt(b[:0], n, 10), raw), nil, nil
	case *float64:
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return false, nil, fmt.Errorf("zoho: %s is not a JSON number", truncateForError(string(raw)))
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return false, nil, fmt.Errorf("zoho: %s is not a number", truncateForError(string(raw)))
		}
		*p = f
		// encoding/json writes floats in 'f' form between 1e-6 and 1e21: compare in that range.
		if a := math.Abs(f); a == 0 || a >= 1e-6 && a < 1e21 {
			var b [32]byte
			return bytes.Equal(strconv.AppendFloat(b[:0], f, 'f', -1, 64), raw), nil, nil
		}
		return false, nil, nil
	case rawDecoder:
		return p.decodeRaw(raw)
	}
	return false, nil, decodeValue(raw, p)
}

// decodeRaw decodes a lookup from a compact, valid JSON object. Zoho writes "name" before "id",
// which the struct does not, so a lookup is seldom written back as sent; its encoding is built
// directly when its id and name need no escaping (see Lookup.MarshalJSON).
func (l *Lookup) decodeRaw(raw []byte) (bool, []byte, error) {
	if raw[0] != '{' {
		return false, nil, fmt.Errorf("zoho: a lookup must be a JSON object, got %s", truncateForError(string(raw)))
	}
	if err := decodeCompact(raw, (*lookupFields)(l), &l.Extra); err != nil {
		return false, nil, err
	}
	enc := l.appendJSON(make([]byte, 0, len(raw)))
	if enc == nil {
		return false, nil, nil
	}
	return bytes.Equal(enc, raw), enc, nil
}

// appendJSON appends what MarshalJSON writes for l — id and name unless empty, then the keys of
// Extra the struct does not write, in order — or returns nil when it cannot do so cheaply (an id
// or name that needs escaping, sent texts kept in Extra).
func (l *Lookup) appendJSON(b []byte) []byte {
	if len(l.Extra.sent) > 0 || !writesAsIs(l.ID) || !writesAsIs(l.Name) {
		return nil
	}
	b = append(b, '{')
	n := 0
	member := func(key string, raw []byte, quote bool) {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		if quote {
			b = append(b, '"')
		}
		b = append(b, raw...)
		if quote {
			b = append(b, '"')
		}
	}
	if l.ID != "" {
		member("id", []byte(l.ID), true)
	}
	if l.Name != "" {
		member("name", []byte(l.Name), true)
	}
	for _, k := range l.Extra.keys {
		if k == "id" && l.ID != "" || k == "name" && l.Name != "" {
			continue
		}
		if !writesAsIs(k) {
			return nil
		}
		member(k, l.Extra.values[k], false)
	}
	return append(b, '}')
}

// decodeRaw decodes a date-time and tells whether it encodes back as sent.
func (dt *DateTime) decodeRaw(raw []byte) (bool, []byte, error) {
	if err := dt.UnmarshalJSON(raw); err != nil {
		return false, nil, err
	}
	if dt.IsZero() || dt.Year() < 0 || dt.Year() > 9999 {
		return bytes.Equal(raw, jsonNull), nil, nil
	}
	var b [40]byte
	enc := append(dt.AppendFormat(append(b[:0], '"'), DateTimeLayout), '"')
	return bytes.Equal(enc, raw), nil, nil
}

// decodeRaw decodes a date and tells whether it encodes back as sent.
func (d *Date) decodeRaw(raw []byte) (bool, []byte, error) {
	if err := d.UnmarshalJSON(raw); err != nil {
		return false, nil, err
	}
	enc, err := d.MarshalJSON()
	return err == nil && bytes.Equal(enc, raw), nil, nil
}
