package cloudcx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DecodeError reports input a decoder could not turn into a model.
type DecodeError struct {
	// What was being decoded ("comm100 chat", "webhook").
	What string
	// Field is the JSON field at fault, when one is.
	Field string
	Err   error
}

// Error returns "cloudcx: decode <what>[ <field>]: <err>".
func (e *DecodeError) Error() string {
	s := "cloudcx: decode " + e.What
	if e.Field != "" {
		s += " field " + strconv.Quote(e.Field)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// lenientJSON turns vendor-published "almost JSON" into JSON: it drops a
// UTF-8 byte order mark, // and /* */ comments outside strings and commas
// that are followed only by whitespace and a closing bracket (or the end),
// and wraps a member fragment (`"chat": {…}`) in braces. Everything else is
// left to encoding/json. It copies the input once.
func lenientJSON(data []byte) []byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimSpace(data)
	out := make([]byte, 0, len(data)+2)
	inStr, esc := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inStr {
			out = append(out, c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			out = append(out, c)
		case '/':
			switch {
			case i+1 < len(data) && data[i+1] == '/':
				j := bytes.IndexByte(data[i:], '\n')
				if j < 0 {
					i = len(data)
				} else {
					i += j - 1 // keep the newline
				}
			case i+1 < len(data) && data[i+1] == '*':
				j := bytes.Index(data[i+2:], []byte("*/"))
				if j < 0 {
					i = len(data)
				} else {
					i += j + 3
				}
				out = append(out, ' ')
			default:
				out = append(out, c)
			}
		case ',':
			j := i + 1
			for j < len(data) && isJSONSpace(data[j]) {
				j++
			}
			if j == len(data) || data[j] == ']' || data[j] == '}' {
				continue
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	out = bytes.TrimSpace(out)
	if len(out) > 0 && out[0] == '"' && isMemberFragment(out) {
		wrapped := make([]byte, 0, len(out)+2)
		wrapped = append(wrapped, '{')
		wrapped = append(wrapped, out...)
		return append(wrapped, '}')
	}
	return out
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isMemberFragment reports whether b (starting with a quote) is a string
// followed by a colon.
func isMemberFragment(b []byte) bool {
	esc := false
	for i := 1; i < len(b); i++ {
		switch {
		case esc:
			esc = false
		case b[i] == '\\':
			esc = true
		case b[i] == '"':
			rest := bytes.TrimLeft(b[i+1:], " \t\r\n")
			return len(rest) > 0 && rest[0] == ':'
		}
	}
	return false
}

// members decodes an object into its raw members; it fails on anything
// but an object.
func members(b []byte) (map[string]json.RawMessage, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// member returns the member named name, matched exactly, else ignoring
// case; of several that match ignoring case, the one whose name sorts
// first, so that the answer does not depend on map order.
func member(m map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	found := ""
	var val json.RawMessage
	for k, v := range m {
		if strings.EqualFold(k, name) && (val == nil || k < found) {
			found, val = k, v
		}
	}
	return val, val != nil
}

// unwrapMember returns the value of the only member of obj when that member
// is one of names (`{"chat": {…}}` → `{…}`), else obj.
func unwrapMember(obj []byte, names ...string) []byte {
	m, err := members(obj)
	if err != nil || len(m) != 1 {
		return obj
	}
	for k, v := range m {
		for _, n := range names {
			if strings.EqualFold(k, n) && isObject(v) {
				return v
			}
		}
	}
	return obj
}

func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

func isNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// flexString accepts a string, a number or a boolean (kept as written) or
// null; objects and arrays are ignored.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case 'n', '{', '[':
		*s = ""
	default:
		*s = flexString(b)
	}
	return nil
}

func (s flexString) String() string { return strings.TrimSpace(string(s)) }

// flexValue accepts any JSON value as text: strings as they are, numbers
// and booleans as written, null as "", arrays as their elements joined by
// ", " (an array nested in an array too; deeper ones and objects as
// compact JSON).
type flexValue string

func (v *flexValue) UnmarshalJSON(b []byte) error {
	s, err := valueText(b)
	*v = flexValue(s)
	return err
}

// maxValueDepth is how many levels of nested arrays valueText flattens;
// deeper ones are kept as compact JSON. Each level is parsed (and copied)
// again, so without a bound hostile nesting costs depth × size.
const maxValueDepth = 2

// valueText renders a JSON value as text (see flexValue).
func valueText(b []byte) (string, error) { return valueTextAt(b, 0) }

func valueTextAt(b []byte, depth int) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", nil
	}
	switch b[0] {
	case '"':
		var s string
		err := json.Unmarshal(b, &s)
		return s, err
	case 'n':
		return "", nil
	case '[':
		if depth >= maxValueDepth {
			return compactText(b)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return "", err
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			s, err := valueTextAt(it, depth+1)
			if err != nil {
				return "", err
			}
			if s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", "), nil
	case '{':
		return compactText(b)
	}
	return string(b), nil
}

// compactText returns the JSON value b compacted, as valid UTF-8.
func compactText(b []byte) (string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return "", err
	}
	// Compact keeps the bytes of strings as they were.
	return strings.ToValidUTF8(buf.String(), "\uFFFD"), nil
}

// flexList accepts an array, a single object (a list of one), null or an
// empty string.
type flexList[T any] []T

func (l *flexList[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '[':
		var v []T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*l = v
	case '{':
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*l = []T{v}
	case 'n':
		*l = nil
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) != "" {
			return fmt.Errorf("got the string %q where a list was expected", clip(s, 40))
		}
		*l = nil
	default:
		return fmt.Errorf("got %s where a list was expected", clip(string(b), 40))
	}
	return nil
}

// flexStrings accepts an array of strings, one string, or null.
type flexStrings []string

func (l *flexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == 'n' {
		*l = nil
		return nil
	}
	if b[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		var out []string
		for _, it := range items {
			s, err := valueTextAt(it, 1)
			if err != nil {
				return err
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*l = out
		return nil
	}
	s, err := valueText(b)
	if err != nil {
		return err
	}
	if s = strings.TrimSpace(s); s != "" {
		*l = []string{s}
	} else {
		*l = nil
	}
	return nil
}

// rawField is a field in any of the vendor spellings.
type rawField struct {
	Name      flexString `json:"name"`
	FieldName flexString `json:"fieldName"`
	Label     flexString `json:"label"`
	ID        flexString `json:"id"`
	FieldID   flexString `json:"field_id"`
	Value     flexValue  `json:"value"`
	Values    flexValue  `json:"values"`
	Hyperlink flexString `json:"hyperlink"`
}

// flexFields accepts an array of {name, value} objects, one such object,
// an object mapping names to values (order kept), null or "".
type flexFields Fields

func (f *flexFields) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		var out Fields
		for _, it := range items {
			if fl, ok, err := oneField(it); err != nil {
				return err
			} else if ok {
				out = append(out, fl)
			}
		}
		*f = flexFields(out)
	case '{':
		m, err := members(b)
		if err != nil {
			return err
		}
		if _, ok := member(m, "name"); ok {
			fl, ok, err := oneField(b)
			if err != nil {
				return err
			}
			if ok {
				*f = flexFields{fl}
			}
			return nil
		}
		out, err := orderedFields(b)
		if err != nil {
			return err
		}
		*f = flexFields(out)
	case 'n', '"':
		*f = nil
	default:
		return fmt.Errorf("got %s where fields were expected", clip(string(b), 40))
	}
	return nil
}

func oneField(b json.RawMessage) (Field, bool, error) {
	if !isObject(b) {
		return Field{}, false, nil
	}
	var r rawField
	if err := json.Unmarshal(b, &r); err != nil {
		return Field{}, false, err
	}
	name := firstNonEmpty(r.Name.String(), r.FieldName.String(), r.Label.String(), r.ID.String(), r.FieldID.String())
	value := string(r.Value)
	if value == "" {
		value = string(r.Values)
	}
	if value == "" {
		value = r.Hyperlink.String()
	}
	if name == "" && value == "" {
		return Field{}, false, nil
	}
	return Field{Name: name, Value: value}, true, nil
}

// orderedFields reads an object of name → value in document order.
func orderedFields(b []byte) (Fields, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out Fields
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		v, err := valueText(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, Field{Name: name, Value: v})
	}
	return out, nil
}

// flexTime keeps a time as written (a string, or a number's digits) for
// parseTime, which needs the decoder's time zone.
type flexTime string

func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = flexTime(s.String())
	return nil
}

// Epoch numbers at or above this magnitude are milliseconds, below it
// seconds: 1e11 ms is March 1973, 1e11 s is the year 5138.
const epochMillisThreshold = 1e11

// parseTime reads the time formats Comm100 and CloudCX use: .NET
// "/Date(ms)/" (optionally with a ±hhmm offset), bare epoch numbers
// (seconds or milliseconds by magnitude), RFC 3339, and zone-less
// "yyyy-MM-ddTHH:mm:ss[.fff]", "yyyy-MM-dd HH:mm:ss", "MM/dd/yyyy
// HH:mm[:ss][ AM]" and dates, which are read in loc. "" is the zero time.
func parseTime(raw string, loc *time.Location) (time.Time, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return time.Time{}, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	var t time.Time
	var err error
	if inner, ok := dotNetDate(s); ok {
		t, err = parseDotNet(inner)
	} else if isInteger(s) {
		t, err = parseEpoch(s)
	} else {
		t, err = parseLayouts(s, loc)
	}
	if err != nil {
		return time.Time{}, err
	}
	if !jsonSafeTime(t) {
		return time.Time{}, fmt.Errorf("time %q is out of range", clip(s, 40))
	}
	return t, nil
}

// jsonSafeTime reports whether t can be written as RFC 3339 (and so as
// JSON): a year from 1 to 9999 and a zone offset under 24 hours.
func jsonSafeTime(t time.Time) bool {
	y := t.Year()
	_, off := t.Zone()
	return y >= 1 && y <= 9999 && off > -24*3600 && off < 24*3600
}

func dotNetDate(s string) (string, bool) {
	s = strings.TrimPrefix(s, "\\")
	s = strings.TrimPrefix(s, "/")
	if !strings.HasPrefix(s, "Date(") {
		return "", false
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return "", false
	}
	return s[len("Date("):end], true
}

func parseDotNet(inner string) (time.Time, error) {
	num, offset := inner, ""
	if i := strings.LastIndexAny(inner, "+-"); i > 0 {
		num, offset = inner[:i], inner[i:]
	}
	t, err := parseEpoch(num)
	if err != nil {
		return time.Time{}, err
	}
	if offset != "" {
		if len(offset) != 5 || !isInteger(offset[1:]) {
			return time.Time{}, fmt.Errorf("bad offset %q in /Date()/", clip(offset, 20))
		}
		h, _ := strconv.Atoi(offset[1:3])
		m, _ := strconv.Atoi(offset[3:5])
		if h > 23 || m > 59 {
			return time.Time{}, fmt.Errorf("bad offset %q in /Date()/", offset)
		}
		secs := h*3600 + m*60
		if offset[0] == '-' {
			secs = -secs
		}
		t = t.In(time.FixedZone("", secs))
	}
	return t, nil
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseEpoch(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad epoch time %q", clip(s, 30))
	}
	if n >= epochMillisThreshold || n <= -epochMillisThreshold {
		return time.UnixMilli(n).UTC(), nil
	}
	return time.Unix(n, 0).UTC(), nil
}

func parseLayouts(s string, loc *time.Location) (time.Time, error) {
	zonedLayouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02 15:04:05Z07:00",
		"2006-01-02T15:04Z07:00",
	}
	localLayouts := [...]string{
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05",
		"2006-01-02T15:04",
		"2006-01-02 15:04",
		"2006-01-02",
		"1/2/2006 15:04:05",
		"1/2/2006 15:04",
		"1/2/2006 3:04:05 PM",
		"1/2/2006 3:04 PM",
		"1/2/2006",
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", clip(s, 40))
}

// parseClock reads a time of day: "15:04:05", "15:04", "3:04:05 PM", "3:04 PM".
func parseClock(s string) (h, m, sec int, ok bool) {
	s = strings.TrimSpace(s)
	for _, l := range [...]string{"15:04:05", "15:04", "3:04:05 PM", "3:04 PM"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.Hour(), t.Minute(), t.Second(), true
		}
	}
	return 0, 0, 0, false
}

// atClock returns the instant at h:m:s in loc nearest to ref (within
// twelve hours of it), so a transcript that crosses midnight moves on to
// the next day.
func atClock(ref time.Time, h, m, s int, loc *time.Location) time.Time {
	r := ref.In(loc)
	t := time.Date(r.Year(), r.Month(), r.Day(), h, m, s, 0, loc)
	switch d := t.Sub(ref); {
	case d > 12*time.Hour:
		t = t.AddDate(0, 0, -1)
	case d < -12*time.Hour:
		t = t.AddDate(0, 0, 1)
	}
	return t
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// clip shortens s to at most n bytes (on a rune boundary) for error messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// parseSize reads a byte count written as an integer or a number; it
// returns 0 (not known) for anything else, negative or out of range.
func parseSize(s string) int64 {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return max(n, 0)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f < math.MaxInt64) {
		return 0
	}
	return int64(f)
}

// atoiDefault parses a small integer, returning def when s is not one.
func atoiDefault(s string, def int) int {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f > 1e9 || f < -1e9 {
		return def
	}
	return int(f)
}
