package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Optional is a field of the typed records ([Lead], [Contact], [Account], [Case], [Task]) and the
// one pattern this package uses for Zoho's three field states:
//
//   - unset (the zero value): the field is not sent, and Zoho leaves it unchanged;
//   - set ([Some]): the value is sent;
//   - null ([Null]): JSON null is sent, and Zoho empties the field.
//
// Decoding keeps the distinction: a field Zoho did not send is unset, a field Zoho sent as null is
// null, so a record read and written back is unchanged. Struct fields of this type must be tagged
// `json:"Name,omitzero"` (Go 1.24) so that unset fields are left out.
//
//	lead := crm.Lead{LastName: crm.Some("Boyle"), Phone: crm.Null[string]()}
//	if email, ok := lead.Email.Get(); ok { … }
type Optional[T any] struct {
	value T
	state optionalState
}

type optionalState uint8

const (
	optUnset optionalState = iota
	optSet
	optNull
)

// Some returns an Optional set to v.
func Some[T any](v T) Optional[T] { return Optional[T]{value: v, state: optSet} }

// Null returns an Optional that is sent as JSON null, clearing the field in Zoho.
func Null[T any]() Optional[T] { return Optional[T]{state: optNull} }

// FromPtr returns Some(*p), or the unset Optional when p is nil.
func FromPtr[T any](p *T) Optional[T] {
	if p == nil {
		return Optional[T]{}
	}
	return Some(*p)
}

// Get returns the value and true when o is set; the zero value and false when it is unset or null.
func (o Optional[T]) Get() (T, bool) { return o.value, o.state == optSet }

// Value returns the value when o is set, else T's zero value.
func (o Optional[T]) Value() T { return o.value }

// Ptr returns a pointer to a copy of the value when o is set, else nil.
func (o Optional[T]) Ptr() *T {
	if o.state != optSet {
		return nil
	}
	v := o.value
	return &v
}

// IsSet reports whether o holds a value.
func (o Optional[T]) IsSet() bool { return o.state == optSet }

// IsNull reports whether o is an explicit null.
func (o Optional[T]) IsNull() bool { return o.state == optNull }

// IsZero reports whether o is unset; with the `omitzero` tag option, unset fields are not encoded.
func (o Optional[T]) IsZero() bool { return o.state == optUnset }

// String formats the value, "null" or "unset".
func (o Optional[T]) String() string {
	switch o.state {
	case optSet:
		return fmt.Sprint(o.value)
	case optNull:
		return "null"
	}
	return "unset"
}

// MarshalJSON encodes the value, or null when o is null (or unset: tag the field `omitzero` to
// leave unset fields out).
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if o.state != optSet {
		return []byte("null"), nil
	}
	return Marshal(o.value)
}

// UnmarshalJSON decodes JSON null as null and anything else as a value.
func (o *Optional[T]) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), jsonNull) {
		*o = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*o = Some(v)
	return nil
}
