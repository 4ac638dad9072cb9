package crm

import "encoding/json"

// Field is the metadata of one field of a module, from /settings/fields: its API name, type,
// length, whether it is mandatory, and its picklist values. Every key Zoho sent is kept (the
// ones not named here in Extra), so a Field encodes back to what Zoho sent.
type Field struct {
	ID string `json:"id,omitempty"`
	// APIName is the name records use ("Last_Name", "Case_Origin", "Custom__c").
	APIName string `json:"api_name,omitempty"`
	// Label is the label users see (field_label).
	Label string `json:"field_label,omitempty"`
	// DataType is Zoho's type: "text", "textarea", "email", "phone", "website", "picklist",
	// "multiselectpicklist", "lookup", "ownerlookup", "date", "datetime", "integer", "bigint",
	// "double", "currency", "boolean", "autonumber", …
	DataType string `json:"data_type,omitempty"`
	// JSONType is the JSON type of the value ("string", "jsonobject", "double", …).
	JSONType string `json:"json_type,omitempty"`
	// Length is the maximum length of a value, in UTF-16 code units for text (see [UTF16Len]).
	Length int `json:"length,omitempty"`
	// SystemMandatory is true for fields Zoho requires on create in every layout (Leads'
	// Last_Name, Cases' Subject, Status, Case_Origin, …).
	SystemMandatory bool `json:"system_mandatory,omitempty"`
	// Required is true for fields a layout makes mandatory, when Zoho reports it (later API
	// versions).
	Required bool `json:"required,omitempty"`
	// ReadOnly and FieldReadOnly: the field cannot be written (for this user, or at all).
	ReadOnly      bool `json:"read_only,omitempty"`
	FieldReadOnly bool `json:"field_read_only,omitempty"`
	// CustomField is true for fields an administrator added.
	CustomField bool `json:"custom_field,omitempty"`
	Visible     bool `json:"visible,omitempty"`
	// PickListValues are the values of a picklist field.
	PickListValues []PickListValue `json:"pick_list_values,omitempty"`
	// LookupModule is the API name of the module a lookup field points to ("Accounts"), or "".
	LookupModule string `json:"-"`
	// Extra holds every other key of Zoho's field metadata.
	Extra Record `json:"-"`
}

// PickListValue is one value of a picklist field. Records carry ActualValue; DisplayValue is what
// users see, and may differ ("Online Store" shown for "OnlineStore") or be translated.
type PickListValue struct {
	DisplayValue string `json:"display_value,omitempty"`
	ActualValue  string `json:"actual_value,omitempty"`
	// Extra holds every other key (id, sequence_number, type, maps, …).
	Extra Record `json:"-"`
}

type pickListValueFields PickListValue

// MarshalJSON encodes the value with its extra keys.
func (p PickListValue) MarshalJSON() ([]byte, error) {
	return encodeWithExtra((*pickListValueFields)(&p), &p.Extra)
}

// UnmarshalJSON decodes a picklist value, keeping other keys in Extra.
func (p *PickListValue) UnmarshalJSON(data []byte) error {
	return decodeWithExtra(data, (*pickListValueFields)(p), &p.Extra)
}

type fieldFields Field

// UnmarshalJSON decodes Zoho's field metadata, keeping other keys in Extra. The lookup's module
// is read from both shapes Zoho uses: "module":"Accounts" (v2) and "module":{"api_name":…} (later
// versions).
func (f *Field) UnmarshalJSON(data []byte) error {
	if err := decodeWithExtra(data, (*fieldFields)(f), &f.Extra); err != nil {
		return err
	}
	f.LookupModule = ""
	var lk struct {
		Module json.RawMessage `json:"module"`
	}
	if ok, _ := f.Extra.Decode("lookup", &lk); ok && len(lk.Module) > 0 {
		var name string
		if json.Unmarshal(lk.Module, &name) == nil {
			f.LookupModule = name
		} else {
			var obj struct {
				APIName string `json:"api_name"`
			}
			if json.Unmarshal(lk.Module, &obj) == nil {
				f.LookupModule = obj.APIName
			}
		}
	}
	return nil
}

// MarshalJSON encodes the field's metadata with its extra keys.
func (f Field) MarshalJSON() ([]byte, error) {
	return encodeWithExtra((*fieldFields)(&f), &f.Extra)
}

// Mandatory reports whether Zoho requires the field on create: system-mandatory, or required by
// the layout when Zoho says so.
func (f Field) Mandatory() bool { return f.SystemMandatory || f.Required }

// MaxLength returns the longest value the field takes, in UTF-16 code units, or 0 when Zoho gave
// no length.
func (f Field) MaxLength() int { return max(f.Length, 0) }

// FitsLength reports whether s fits the field's length (counted in UTF-16 code units, as Zoho
// counts). It is true when the field has no known length.
func (f Field) FitsLength(s string) bool {
	return f.MaxLength() == 0 || UTF16Len(s) <= f.MaxLength()
}

// Truncate cuts s to the field's length with [TruncateUTF16]; s is returned unchanged when the
// field has no known length.
func (f Field) Truncate(s string) string {
	if f.MaxLength() == 0 {
		return s
	}
	return TruncateUTF16(s, f.MaxLength())
}

// IsPickList reports whether the field is a picklist or a multi-select picklist.
func (f Field) IsPickList() bool {
	return f.DataType == "picklist" || f.DataType == "multiselectpicklist"
}

// AcceptsPickListValue reports whether v is one of the field's picklist values, compared exactly
// with their actual values (what records carry). It is false for fields without picklist values.
//
//	origin, _ := fields.Get("Case_Origin")
//	if !origin.AcceptsPickListValue("Chat") { /* use another origin */ }
func (f Field) AcceptsPickListValue(v string) bool {
	for _, p := range f.PickListValues {
		if p.ActualValue == v {
			return true
		}
	}
	return false
}

// FieldSet is the field metadata of one module. A FieldSet may be shared by several callers (the
// zoho client caches them): treat it as read-only.
type FieldSet struct {
	module string
	fields []Field
	index  map[string]int
}

// NewFieldSet builds a FieldSet from field metadata (for tests and callers with their own source).
func NewFieldSet(module string, fields []Field) *FieldSet {
	fs := &FieldSet{module: module, fields: fields, index: make(map[string]int, len(fields))}
	for i, f := range fields {
		if _, dup := fs.index[f.APIName]; !dup {
			fs.index[f.APIName] = i
		}
	}
	return fs
}

// Module returns the module's API name ("" for a nil FieldSet).
func (fs *FieldSet) Module() string {
	if fs == nil {
		return ""
	}
	return fs.module
}

// Len returns the number of fields (0 for a nil FieldSet).
func (fs *FieldSet) Len() int {
	if fs == nil {
		return 0
	}
	return len(fs.fields)
}

// Get returns the field with the given API name.
func (fs *FieldSet) Get(apiName string) (Field, bool) {
	if fs == nil {
		return Field{}, false
	}
	i, ok := fs.index[apiName]
	if !ok {
		return Field{}, false
	}
	return fs.fields[i], true
}

// All returns the fields in Zoho's order (a new slice; the fields themselves are shared).
func (fs *FieldSet) All() []Field {
	if fs == nil {
		return nil
	}
	return append([]Field(nil), fs.fields...)
}

// Mandatory returns the API names of the fields Zoho requires on create.
func (fs *FieldSet) Mandatory() []string {
	var out []string
	for _, f := range fs.All() {
		if f.Mandatory() {
			out = append(out, f.APIName)
		}
	}
	return out
}
