package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// jsonEqual reports whether a and b hold the same JSON value (whitespace and key order aside).
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("unmarshal %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestRecordKeepsOrderAndValues(t *testing.T) {
	in := `{"Last_Name":"Boyle", "id":"554023000000527003","No_of_Employees":1791,"Annual_Revenue":136.670,
		"Email":null,"Owner":{"name":"Patricia Boyle","id":"1","email":"p@x.io"},"Tag":[{"name":"A"}],"$approved":true,
		"Modified_Time":"2021-05-02T11:17:33+05:30","Custom__c":"<b>&</b>"}`
	r, err := ParseRecord([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(r) // as request bodies are encoded: no HTML escaping
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Last_Name":"Boyle","id":"554023000000527003","No_of_Employees":1791,"Annual_Revenue":136.670,"Email":null,"Owner":{"name":"Patricia Boyle","id":"1","email":"p@x.io"},"Tag":[{"name":"A"}],"$approved":true,"Modified_Time":"2021-05-02T11:17:33+05:30","Custom__c":"<b>&</b>"}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	if r.ID() != "554023000000527003" || r.Text("Last_Name") != "Boyle" || r.Text("No_of_Employees") != "1791" ||
		r.Text("Email") != "" || !r.IsNull("Email") || r.Has("Nope") || r.Text("$approved") != "true" {
		t.Fatalf("accessors: %q %q %q", r.ID(), r.Text("Last_Name"), r.Text("No_of_Employees"))
	}
	owner, ok := r.Lookup("Owner")
	if !ok || owner.ID != "1" || owner.Name != "Patricia Boyle" || owner.Extra.Text("email") != "p@x.io" {
		t.Fatalf("Owner = %+v %v", owner, ok)
	}
	if _, ok := r.Lookup("Last_Name"); ok {
		t.Fatal("a string is not a lookup")
	}
	mt := r.ModifiedTime()
	if want := time.Date(2021, 5, 2, 5, 47, 33, 0, time.UTC); !mt.Equal(want) {
		t.Fatalf("ModifiedTime = %v", mt)
	}
	if _, off := mt.Zone(); off != 5*3600+1800 {
		t.Fatalf("offset lost: %v", mt)
	}
	if !r.CreatedTime().IsZero() {
		t.Fatal("no Created_Time")
	}
}

func TestRecordSetClearDelete(t *testing.T) {
	var r Record // the zero value is usable
	if err := r.Set("Last_Name", "O'Brien <x>"); err != nil {
		t.Fatal(err)
	}
	if err := r.Set("Account_Name", Lookup{ID: "42"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Set("Due_Date", Date{2026, 8, 28}); err != nil {
		t.Fatal(err)
	}
	r.Clear("Phone")
	r.SetID("9")
	if err := r.Set("Last_Name", "Smith"); err != nil { // keeps its place
		t.Fatal(err)
	}
	if err := r.Set("", 1); err == nil {
		t.Fatal("empty name accepted")
	}
	if err := r.Set("Bad", func() {}); err == nil {
		t.Fatal("unencodable value accepted")
	}
	if err := r.SetRaw("Bad", json.RawMessage("{")); err == nil {
		t.Fatal("invalid raw accepted")
	}
	out, _ := Marshal(&r)
	want := `{"Last_Name":"Smith","Account_Name":{"id":"42"},"Due_Date":"2026-08-28","Phone":null,"id":"9"}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	c := r.Clone()
	r.Delete("Phone")
	r.Delete("Nope")
	out, _ = Marshal(&r)
	if string(out) != `{"Last_Name":"Smith","Account_Name":{"id":"42"},"Due_Date":"2026-08-28","id":"9"}` {
		t.Fatalf("after Delete: %s", out)
	}
	if !c.IsNull("Phone") || c.Len() != 5 {
		t.Fatal("Clone shares state")
	}
	var d Date
	if ok, err := c.Decode("Due_Date", &d); !ok || err != nil || d.String() != "2026-08-28" {
		t.Fatalf("Decode: %v %v %v", d, ok, err)
	}
	if ok, err := c.Decode("Phone", &d); ok || err != nil {
		t.Fatal("Decode of null")
	}
	var n int
	if _, err := c.Decode("Last_Name", &n); err == nil {
		t.Fatal("Decode type mismatch accepted")
	}
}

func TestRecordRejectsNonObjects(t *testing.T) {
	for _, bad := range []string{`[]`, `"x"`, `{"a":}`, `{"a":1} {}`, `{1:2}`, ``} {
		if _, err := ParseRecord([]byte(bad)); err == nil {
			t.Errorf("ParseRecord(%q) accepted", bad)
		}
	}
	var r Record
	if err := json.Unmarshal([]byte(`null`), &r); err != nil || r.Len() != 0 {
		t.Fatal("null")
	}
	var zero Record
	if zero.Len() != 0 || zero.Has("x") || zero.ID() != "" || zero.Keys() != nil || zero.Clone().Len() != 0 {
		t.Fatal("zero record accessors")
	}
	if out, _ := json.Marshal(zero); string(out) != "{}" {
		t.Fatal(string(out))
	}
}

// Any JSON object survives Record decode → encode as the same JSON value, and never panics.
func FuzzRecordRoundTrip(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":{"b":[1,2,{"c":null}]},"$x":"\u00e9<>"}`, `{"a":1,"a":2}`, `[1]`, `{"a":`, `{"n":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecord(data)
		var v map[string]any
		if json.Unmarshal(data, &v) != nil || v == nil {
			return // not an object: only "no panic" is checked
		}
		if err != nil {
			t.Fatalf("valid object refused: %q: %v", data, err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(v, back) {
			t.Fatalf("%q → %s", data, out)
		}
	})
}

// Printing a record shows no value (values may be personal data or secrets): only its id and how
// many fields it holds, for every fmt verb and through slog.
func TestRecordStringShowsNoValues(t *testing.T) {
	r, err := ParseRecord([]byte(`{"id":"4150868000000224005","Email":"jane@example.com","Last_Name":"Doe","Token__c":"1000.secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("record", "r", r)
	for _, got := range []string{r.String(), fmt.Sprint(r), fmt.Sprintf("%v %+v %#v %s", *r, r, *r, r), logged.String()} {
		for _, secret := range []string{"jane", "Doe", "secret", "Email"} {
			if strings.Contains(got, secret) {
				t.Errorf("%q shows %q", got, secret)
			}
		}
	}
	if got, want := r.String(), "crm.Record{id: 4150868000000224005, 4 fields}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var odd Record
	_ = odd.Set("id", "jane@example.com") // not a record id: not printed
	if got, want := odd.String(), "crm.Record{1 fields}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := r.Text("Email"); got != "jane@example.com" {
		t.Errorf("Text(Email) = %q", got)
	}
}
