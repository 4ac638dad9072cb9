package crm

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// literalValue decodes JSON keeping numbers as their literal text (json.Number), so that two
// values compare equal only if every number is written the same way.
func literalValue(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

// sameLiteralJSON reports whether a and b are the same JSON value with numbers written alike (key
// order and whitespace aside).
func sameLiteralJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	return reflect.DeepEqual(literalValue(t, a), literalValue(t, b))
}

// recordTypes are the record types whose decode → encode must lose nothing.
var recordTypes = []struct {
	name string
	new  func() any
}{
	{"Record", func() any { return new(Record) }},
	{"Lead", func() any { return new(Lead) }},
	{"Contact", func() any { return new(Contact) }},
	{"Account", func() any { return new(Account) }},
	{"Case", func() any { return new(Case) }},
	{"Task", func() any { return new(Task) }},
	{"Lookup", func() any { return new(Lookup) }},
}

// checkLossless decodes raw into every record type and checks that encoding gives back the same
// JSON value, numbers with their literal text.
func checkLossless(t *testing.T, name string, raw []byte) {
	t.Helper()
	for _, rt := range recordTypes {
		v := rt.new()
		if err := json.Unmarshal(raw, v); err != nil {
			t.Errorf("%s: decoding into %s: %v", name, rt.name, err)
			continue
		}
		out, err := Marshal(v)
		if err != nil {
			t.Errorf("%s: encoding %s: %v", name, rt.name, err)
			continue
		}
		if !sameLiteralJSON(t, raw, out) {
			t.Errorf("%s: %s round trip changed the record\n in: %s\nout: %s", name, rt.name, raw, out)
		}
	}
}

// Every object of every fixture (the records of requests, listings and searches in data[]),
// decoded into the generic Record or any typed record and encoded again, is the same JSON value,
// numbers keeping their literal text: nothing Zoho sent is lost or altered, whatever the type.
func TestEveryFixtureObjectRoundTripsExactly(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Data []json.RawMessage `json:"data"`
		}
		if json.Unmarshal(b, &env) != nil || len(env.Data) == 0 {
			continue
		}
		for i, raw := range env.Data {
			seen++
			checkLossless(t, filepath.Base(f)+"#"+strings.Repeat("I", i+1), raw)
		}
	}
	if seen < 15 {
		t.Fatalf("only %d fixture records", seen)
	}
}

// Zoho's answers to writes (data[] items with "status", "code", …) are objects too: decoded into
// a typed record they stay what they were. Go's encoding/json matches keys without regard to case,
// so a naive decode would read "status" into Case.Status and write it back as "Status" — a field
// the caller never set, sent to Zoho on the next write.
func TestTypedRecordsMatchKeysExactly(t *testing.T) {
	for _, raw := range []string{
		`{"code":"SUCCESS","details":{"id":"1"},"message":"record deleted","status":"success"}`,
		`{"status":"x","SUBJECT":"shouting","Subject":"real","subject":"quiet","owner":{"ID":"7"}}`,
		`{"last_name":"lower","Last_Name":"Boyle","EMAIL":"a@b.c","due_date":"2020-01-01"}`,
		`{"ID":"5","Id":"6","id":"7"}`,
	} {
		checkLossless(t, raw, []byte(raw))
	}
	var c Case
	if err := json.Unmarshal([]byte(`{"status":"x","SUBJECT":"shouting","Subject":"real","subject":"quiet"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Status.IsSet() || c.Subject.Value() != "real" || !c.Extra.Has("status") || !c.Extra.Has("SUBJECT") || !c.Extra.Has("subject") {
		t.Fatalf("case %+v, extra %v", c, c.Extra.Keys())
	}
	var l Lookup
	if err := json.Unmarshal([]byte(`{"ID":"5","Name":"n"}`), &l); err != nil || l.ID != "" || l.Name != "" || l.Extra.Len() != 2 {
		t.Fatalf("lookup %+v %v", l, err)
	}
}

// Values a typed field reads in a normalised form are written back as Zoho sent them while the
// field is left alone; a field the caller changes is written from its new value.
func TestTypedRecordsKeepLiteralValues(t *testing.T) {
	raw := `{"Last_Name":"Caf\u00e9","Annual_Revenue":136.670,"No_of_Employees":1.0E3,"Email_Opt_Out":false,` +
		`"Modified_Time":"2023-01-15T10:30:00Z","Created_Time":"2023-01-15T10:30:00.000+05:30",` +
		`"Owner":{"id":"1","name":"P\u0041t"},"Tag":[]}`
	checkLossless(t, "literal", []byte(raw))

	var lead Lead
	if err := json.Unmarshal([]byte(raw), &lead); err != nil {
		t.Fatal(err)
	}
	if lead.AnnualRevenue.Value() != 136.67 || lead.LastName.Value() != "Café" || lead.Owner.Value().Name != "PAt" ||
		lead.ModifiedTime.Value().String() != "2023-01-15T10:30:00+00:00" {
		t.Fatalf("typed values: %+v", lead)
	}
	// 1.0E3 is not a Go int: No_of_Employees stays in Extra, as sent.
	if strings.Join(lead.Extra.Keys(), ",") != "No_of_Employees,Tag" || lead.NoOfEmployees.IsSet() {
		t.Fatalf("Extra holds %v", lead.Extra.Keys())
	}
	lead.AnnualRevenue = Some(200.5)
	lead.Owner = Some(Lookup{ID: "2"})
	out, err := Marshal(lead)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Owner":{"id":"2"},"Last_Name":"Caf\u00e9","Annual_Revenue":200.5,"Email_Opt_Out":false,` +
		`"Created_Time":"2023-01-15T10:30:00.000+05:30","Modified_Time":"2023-01-15T10:30:00Z","No_of_Employees":1.0E3,"Tag":[]}`
	if string(out) != want {
		t.Fatalf("changed lead\n got %s\nwant %s", out, want)
	}
}

// A named field whose value does not fit its Go type (a number sent as text, an owner sent as a
// bare id, a malformed date) does not fail the whole record — one odd field would otherwise end a
// listing — but stays in Extra, written back unchanged.
func TestTypedRecordsKeepValuesOfUnexpectedType(t *testing.T) {
	raw := `{"Last_Name":"Boyle","No_of_Employees":"250","Owner":"5725767000000411001","Modified_Time":"yesterday","Email":"a@b.c"}`
	checkLossless(t, "types", []byte(raw))
	var lead Lead
	if err := json.Unmarshal([]byte(raw), &lead); err != nil {
		t.Fatal(err)
	}
	if lead.LastName.Value() != "Boyle" || lead.Email.Value() != "a@b.c" || lead.NoOfEmployees.IsSet() || lead.Owner.IsSet() ||
		lead.ModifiedTime.IsSet() || lead.Extra.Text("No_of_Employees") != "250" || lead.Extra.Text("Owner") != "5725767000000411001" {
		t.Fatalf("lead %+v extra %v", lead, lead.Extra.Keys())
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"a":`, `{"Last_Name":"a"} x`} {
		if json.Unmarshal([]byte(bad), &lead) == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// Decoding replaces a typed record, like a Record: nothing of an earlier value survives.
func TestTypedRecordDecodeReplaces(t *testing.T) {
	var lead Lead
	if err := json.Unmarshal([]byte(`{"Last_Name":"A","Phone":"1","X__c":1}`), &lead); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"Last_Name":"B"}`), &lead); err != nil {
		t.Fatal(err)
	}
	out, _ := Marshal(lead)
	if string(out) != `{"Last_Name":"B"}` {
		t.Fatalf("got %s", out)
	}
	// JSON null leaves it alone.
	if err := json.Unmarshal([]byte(`null`), &lead); err != nil || lead.LastName.Value() != "B" {
		t.Fatalf("%v %+v", err, lead)
	}
}

// Any JSON object that decodes into a typed record encodes back to the same JSON value.
func FuzzTypedRecordRoundTrip(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"Last_Name":"a","last_name":"b"}`, `{"Annual_Revenue":1.50,"Due_Date":""}`,
		`{"Owner":{"id":"1","ID":"2","email":"e"},"Status":null,"status":1}`,
		`{"Modified_Time":"2020-01-01T00:00:00Z","Due_Date":"2020-02-30"}`, `{"id":null,"What_Id":"x"}`,
		`{"No_of_Employees":1e400,"Email_Opt_Out":"true","$se_module":"Leads"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var probe map[string]any
		if json.Unmarshal(data, &probe) != nil || probe == nil {
			return
		}
		for _, v := range []any{new(Lead), new(Task), new(Case), new(Lookup)} {
			if err := json.Unmarshal(data, v); err != nil {
				t.Fatalf("%T refused a JSON object %q: %v", v, data, err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T: encoding: %v", v, err)
			}
			if !sameLiteralJSON(t, data, out) {
				t.Fatalf("%T: %q → %s", v, data, out)
			}
		}
	})
}

// A Date that is not a calendar day is refused when encoded, rather than sent for Zoho to refuse
// (or to read as another day).
func TestDateRefusesImpossibleDays(t *testing.T) {
	for _, d := range []Date{{2026, 2, 30}, {2026, 13, 1}, {2026, 0, 1}, {2026, 4, 0}, {2025, 2, 29}} {
		if out, err := json.Marshal(d); err == nil {
			t.Errorf("%v encoded as %s", d, out)
		}
	}
	if out, err := json.Marshal(Date{2024, 2, 29}); err != nil || string(out) != `"2024-02-29"` {
		t.Fatalf("%s %v", out, err)
	}
}

// A lookup's encoding built while decoding (to tell whether it is written back as sent) is
// exactly what MarshalJSON writes.
func FuzzLookupEncodingBuiltWhileDecoding(f *testing.F) {
	for _, s := range []string{`{"name":"Patricia Boyle","id":"4150868000000225013"}`, `{"id":"1","email":"p@zylker.example","name":"Ünïcode"}`,
		`{"id":"","name":"a\"b"}`, `{"id":1,"name":null,"x":[1,{"y":2}]}`, `{"id":"1","id":"2"}`, `{"\u00e9":"é","name":"\u2028"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		buf, err := compactObject(data)
		if err != nil {
			return
		}
		var l Lookup
		if _, _, err := l.decodeRaw(buf); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		built := l.appendJSON(nil)
		if built == nil {
			return
		}
		want, err := Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built, want) {
			t.Fatalf("%q: built %s, MarshalJSON %s", data, built, want)
		}
	})
}
