package crm

import (
	"encoding/json"
	"testing"
)

// casesFields is field metadata in the v2 shape (lookup.module as a string), written for these
// tests after the keys of Zoho's field metadata; it is not a captured answer.
const casesFields = `{"fields":[
 {"api_name":"Case_Origin","field_label":"Case Origin","data_type":"picklist","json_type":"string","length":120,
  "system_mandatory":true,"read_only":false,"custom_field":false,"visible":true,"lookup":{},
  "pick_list_values":[{"display_value":"-None-","actual_value":"-None-"},{"display_value":"Email","actual_value":"Email"},
   {"display_value":"Web Chat","actual_value":"Chat","sequence_number":3}]},
 {"api_name":"Subject","data_type":"text","length":255,"system_mandatory":true,"pick_list_values":[]},
 {"api_name":"Description","data_type":"textarea","length":32000,"system_mandatory":false,"pick_list_values":[]},
 {"api_name":"Related_To","data_type":"lookup","length":120,"lookup":{"display_label":"Contact Name","api_name":"Contact_Name","module":"Contacts","id":"1"},"pick_list_values":[]},
 {"api_name":"Account_Name","data_type":"lookup","lookup":{"module":{"api_name":"Accounts","id":"2"}},"pick_list_values":[]},
 {"api_name":"Layout_Required__c","data_type":"text","length":10,"required":true}
]}`

// fieldSet decodes a /settings/fields answer into the FieldSet of module.
func fieldSet(t *testing.T, module string, answer []byte) *FieldSet {
	t.Helper()
	var ans struct {
		Fields []Field `json:"fields"`
	}
	if err := json.Unmarshal(answer, &ans); err != nil {
		t.Fatal(err)
	}
	return NewFieldSet(module, ans.Fields)
}

func TestFieldSetDecodesAndHelpers(t *testing.T) {
	fs := fieldSet(t, "Cases", []byte(casesFields))
	if fs.Module() != "Cases" || fs.Len() != 6 {
		t.Fatalf("%v", fs)
	}
	origin, ok := fs.Get("Case_Origin")
	if !ok || !origin.IsPickList() || !origin.Mandatory() || origin.Label != "Case Origin" {
		t.Fatalf("%+v", origin)
	}
	if !origin.AcceptsPickListValue("Chat") || origin.AcceptsPickListValue("Web Chat") || origin.AcceptsPickListValue("chat") {
		t.Fatal("picklist check must use actual values, exactly")
	}
	if origin.PickListValues[2].Extra.Text("sequence_number") != "3" {
		t.Fatal("picklist extra keys lost")
	}
	subj, _ := fs.Get("Subject")
	if subj.MaxLength() != 255 || !subj.FitsLength(string(make([]byte, 255))) || subj.AcceptsPickListValue("x") {
		t.Fatal("Subject")
	}
	emoji := ""
	for range 128 {
		emoji += "😀" // 256 UTF-16 units in 128 runes
	}
	if subj.FitsLength(emoji) || UTF16Len(subj.Truncate(emoji)) != 254 {
		t.Fatal("length must be counted in UTF-16 units")
	}
	if rel, _ := fs.Get("Related_To"); rel.LookupModule != "Contacts" {
		t.Fatalf("v2 lookup module %q", rel.LookupModule)
	}
	if acc, _ := fs.Get("Account_Name"); acc.LookupModule != "Accounts" || acc.MaxLength() != 0 || acc.Truncate("abc") != "abc" {
		t.Fatalf("v2.1+ lookup module %q", acc.LookupModule)
	}
	if got := fs.Mandatory(); len(got) != 3 || got[2] != "Layout_Required__c" {
		t.Fatalf("Mandatory %v", got)
	}
	if _, ok := fs.Get("Nope"); ok {
		t.Fatal("unknown field found")
	}
	// Field metadata round-trips too.
	var raw struct {
		Fields []json.RawMessage `json:"fields"`
	}
	_ = json.Unmarshal([]byte(casesFields), &raw)
	for i, f := range fs.All() {
		out, err := json.Marshal(f)
		if err != nil || !jsonEqual(t, out, raw.Fields[i]) {
			t.Fatalf("field %d: %s", i, out)
		}
	}
}

func TestFieldsFixtureDecodes(t *testing.T) {
	fs := fieldSet(t, "Leads", readFixture(t, "v8oas_get_fields_response_200.json"))
	if fs.Len() != 5 {
		t.Fatal(fs.Len())
	}
	company, ok := fs.Get("Company")
	if !ok || company.DataType != "text" || company.Length != 200 || company.SystemMandatory || company.CustomField || company.ID != "4832675000000000555" {
		t.Fatalf("%+v", company)
	}
	owner, _ := fs.Get("Owner")
	if owner.DataType != "ownerlookup" || !owner.FieldReadOnly || owner.JSONType != "jsonobject" || !owner.Extra.Has("layout_associations") {
		t.Fatalf("%+v", owner)
	}
	lat, _ := fs.Get("Address_1_Coordinates_Latitude")
	if !lat.CustomField || lat.Extra.Text("decimal_place") != "9" {
		t.Fatalf("%+v", lat)
	}
	var raw struct {
		Fields []json.RawMessage `json:"fields"`
	}
	_ = json.Unmarshal(readFixture(t, "v8oas_get_fields_response_200.json"), &raw)
	for i, f := range fs.All() {
		out, _ := json.Marshal(f)
		if !jsonEqual(t, out, raw.Fields[i]) {
			t.Fatalf("field %d lost data: %s", i, out)
		}
	}
}

// A nil *FieldSet (no metadata) answers every method like an empty one instead of panicking.
func TestNilFieldSet(t *testing.T) {
	var fs *FieldSet
	if fs.Module() != "" || fs.Len() != 0 || fs.All() != nil || fs.Mandatory() != nil {
		t.Fatal("nil FieldSet")
	}
	if _, ok := fs.Get("Subject"); ok {
		t.Fatal("nil FieldSet has a field")
	}
}
