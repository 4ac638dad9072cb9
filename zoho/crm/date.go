package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// DateLayout and DateTimeLayout are Zoho's formats for date and date-time fields: yyyy-MM-dd and
// yyyy-MM-ddTHH:mm:ss±HH:mm (ISO 8601, in the user's time zone, always with a numeric offset).
const (
	DateLayout     = "2006-01-02"
	DateTimeLayout = "2006-01-02T15:04:05-07:00"
)

// Date is the value of a Zoho date field (Due_Date, Date_of_Birth): a calendar day with no time
// and no time zone, written as yyyy-MM-dd. The zero Date is "no date": it encodes as JSON null,
// and null or "" decode to it.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses a yyyy-MM-dd date.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("zoho: %q is not a yyyy-MM-dd date", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String returns the date as yyyy-MM-dd, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// In returns midnight at the start of the day in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalJSON encodes the date as "yyyy-MM-dd", or null for the zero Date. A Date that is not a
// calendar day (February 30th, month 13) is an error.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	if d.Year < 0 || d.Year > 9999 {
		return nil, fmt.Errorf("zoho: year %d cannot be written as yyyy-MM-dd", d.Year)
	}
	if DateOf(d.In(time.UTC)) != d {
		return nil, fmt.Errorf("zoho: %04d-%02d-%02d is not a calendar day", d.Year, int(d.Month), d.Day)
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON decodes "yyyy-MM-dd"; null and "" give the zero Date.
func (d *Date) UnmarshalJSON(data []byte) error {
	s, err := jsonStringOrNull(data, "date")
	if err != nil {
		return err
	}
	return setParsed(d, s, ParseDate)
}

// MarshalText encodes the date as yyyy-MM-dd ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes yyyy-MM-dd; "" gives the zero Date.
func (d *Date) UnmarshalText(text []byte) error { return setParsed(d, string(text), ParseDate) }

// DateTime is the value of a Zoho date-time field (Created_Time, Modified_Time, Remind_At…):
// an instant with the UTC offset Zoho wrote it in. Decoding keeps the offset, so a value read from
// Zoho is written back exactly ("2019-07-25T15:26:49+05:30" stays so). Zoho has whole seconds: a
// DateTime is written without fractions, and UTC as "+00:00", never "Z". The zero DateTime is "no
// date-time": it encodes as JSON null, and null or "" decode to it.
type DateTime struct {
	time.Time
}

// NewDateTime returns t as a DateTime, truncated to the second. Its offset is t's.
func NewDateTime(t time.Time) DateTime { return DateTime{Time: t.Truncate(time.Second)} }

// ParseDateTime parses a Zoho date-time (yyyy-MM-ddTHH:mm:ss±HH:mm; "Z" and fractional seconds
// are accepted too).
func ParseDateTime(s string) (DateTime, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return DateTime{}, fmt.Errorf("zoho: %q is not a yyyy-MM-ddTHH:mm:ss±HH:mm date-time", s)
	}
	return DateTime{Time: t}, nil
}

// String returns the date-time in Zoho's format, or "" for the zero DateTime.
func (dt DateTime) String() string {
	if dt.IsZero() {
		return ""
	}
	return dt.Format(DateTimeLayout)
}

// MarshalJSON encodes the date-time in Zoho's format, or null for the zero DateTime.
func (dt DateTime) MarshalJSON() ([]byte, error) {
	if dt.IsZero() {
		return []byte("null"), nil
	}
	if y := dt.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("zoho: year %d cannot be written as a Zoho date-time", y)
	}
	return []byte(`"` + dt.String() + `"`), nil
}

// UnmarshalJSON decodes a Zoho date-time; null and "" give the zero DateTime.
func (dt *DateTime) UnmarshalJSON(data []byte) error {
	s, err := jsonStringOrNull(data, "date-time")
	if err != nil {
		return err
	}
	return setParsed(dt, s, ParseDateTime)
}

// MarshalText encodes the date-time in Zoho's format ("" for the zero DateTime).
func (dt DateTime) MarshalText() ([]byte, error) { return []byte(dt.String()), nil }

// UnmarshalText decodes a Zoho date-time; "" gives the zero DateTime.
func (dt *DateTime) UnmarshalText(text []byte) error {
	return setParsed(dt, string(text), ParseDateTime)
}

// setParsed sets *dst to parse(s), or to the zero value when s is empty. On a parse error *dst is
// left alone.
func setParsed[T any](dst *T, s string, parse func(string) (T, error)) error {
	if s == "" {
		var zero T
		*dst = zero
		return nil
	}
	v, err := parse(s)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// jsonStringOrNull reads a JSON string, trimmed; null gives "".
func jsonStringOrNull(data []byte, what string) (string, error) {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, jsonNull) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return "", fmt.Errorf("zoho: a %s must be a JSON string, got %s", what, truncateForError(string(data)))
	}
	return strings.TrimSpace(s), nil
}

func truncateForError(s string) string {
	if len(s) > 40 {
		return TruncateUTF16(s, 40) + "…"
	}
	return s
}
