package rules

import (
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

func digestRecord(t testing.TB, fields map[string]any) *crm.Record {
	t.Helper()
	r := crm.NewRecord()
	for k, v := range fields {
		if err := r.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func check(field string, zoho []string, value string) Search {
	return Search{Module: ModuleContacts, Checks: []Check{{CloudCXField: field, ZohoFields: zoho, Value: value}}}
}

// MayMatch answers from the digests what Matches answers from the record, erring towards true:
// every comparison Choose makes (emails by case, phones by significant digits, text by case and
// spaces, lookups by name) is kept, and a record whose value differs is told apart.
func TestMayMatchFollowsMatches(t *testing.T) {
	rec := digestRecord(t, map[string]any{
		"Last_Name":    "Ödeg\u212a  Smith", // Kelvin sign: EqualFold's k
		"First_Name":   "Ann",
		"Salutation":   "Dr.",
		"Email":        "Ann.Example@Example.ORG",
		"Mobile":       "+33 6 12 34 56 78",
		"Phone":        "12",
		"Account_Name": crm.Lookup{ID: "42"},
		"Description":  "created by cxzoho",
	})
	d := MatchDigests(rec)
	for _, tc := range []struct {
		name string
		s    Search
		want bool
	}{
		{"email in another case", check(FieldEmail, []string{"Email"}, "ann.example@example.org"), true},
		{"another email", check(FieldEmail, []string{"Email"}, "bob@example.org"), false},
		{"email checked on another field", check(FieldEmail, []string{"Secondary_Email"}, "ann.example@example.org"), false},
		{"Full_Name as Zoho makes it", check(FieldName, []string{"Full_Name"}, "Dr. Ann Ödegk Smith"), true},
		{"Full_Name in the last-first order", check(FieldName, []string{"Full_Name"}, "ödegk smith ann"), true},
		{"Full_Name of another", check(FieldName, []string{"Full_Name"}, "Bob Ödegk Smith"), false},
		{"phone written otherwise", check(FieldPhone, []string{"Phone", "Mobile"}, "06 12 34 56 78"), true},
		{"another phone", check(FieldPhone, []string{"Phone", "Mobile"}, "06 12 34 56 79"), false},
		{"name by case and spaces", check(FieldName, []string{"Last_Name"}, " ödegk smith "), true},
		{"another name", check(FieldName, []string{"Last_Name"}, "Odegk Smith"), false},
		{"a lookup without its name holds any value", check(FieldCompany, []string{"Account_Name"}, "Zylker"), true},
		{"two checks, one fails", Search{Checks: []Check{
			{CloudCXField: FieldEmail, ZohoFields: []string{"Email"}, Value: "ann.example@example.org"},
			{CloudCXField: FieldPhone, ZohoFields: []string{"Phone"}, Value: "+1 555 0100 100"},
		}}, false},
		{"no checks", Search{}, false},
	} {
		if got := MayMatch(tc.s, d); got != tc.want {
			t.Errorf("%s: MayMatch = %v, want %v", tc.name, got, tc.want)
		}
		if tc.want && !strings.Contains(tc.name, "lookup without") && !strings.Contains(tc.name, "Full_Name") && !Matches(tc.s, rec) {
			t.Errorf("%s: the table is wrong: Matches is false", tc.name)
		}
	}
	if !MayMatch(check(FieldEmail, []string{"Email"}, "x@example.org"), nil) {
		t.Error("no digests: MayMatch must say a record may match")
	}
	if MatchDigests(nil) != nil {
		t.Error("MatchDigests(nil) != nil")
	}
	for _, x := range d {
		if len(x) != 16 {
			t.Fatalf("digest %q: want 16 hex characters", x)
		}
	}
}

// Whatever the values, a search that Matches a record MayMatch its digests: the filter package
// sync puts in front of the look for an interrupted insert never hides a record the rules would
// have chosen.
func FuzzMayMatchNeverMissesAMatch(f *testing.F) {
	f.Add("Ann@Example.org", "ann@example.org", "+1 (555) 010-0100", "555 010 0100", "Zoë  K", "zoë k")
	f.Add("a@b", "A@B ", "12345", "012345", "\u212a", "k")
	f.Add("", "", "", "", "ß", "SS")
	f.Fuzz(func(t *testing.T, recEmail, visEmail, recPhone, visPhone, recName, visName string) {
		rec := digestRecord(t, map[string]any{"Email": recEmail, "Phone": recPhone, "Last_Name": recName})
		d := MatchDigests(rec)
		for _, s := range []Search{
			check(FieldEmail, []string{"Email"}, visEmail),
			check(FieldPhone, []string{"Phone"}, visPhone),
			check(FieldName, []string{"Last_Name"}, visName),
			check(FieldName, []string{"Email", "Phone", "Last_Name"}, visName),
		} {
			if Matches(s, rec) && !MayMatch(s, d) {
				t.Fatalf("%+v matches the record but not its digests", s.Checks)
			}
		}
		// Full_Name, which Zoho makes (as the fake does) in the record it stores from the one sent.
		sent := digestRecord(t, map[string]any{"Salutation": recEmail, "First_Name": recPhone, "Last_Name": recName})
		var parts []string
		for _, k := range []string{"Salutation", "First_Name", "Last_Name"} {
			if v := sent.Text(k); v != "" {
				parts = append(parts, v)
			}
		}
		stored := sent.Clone()
		if err := stored.Set("Full_Name", strings.Join(parts, " ")); err != nil {
			t.Fatal(err)
		}
		if s := check(FieldName, []string{"Full_Name"}, visName); Matches(s, stored) && !MayMatch(s, MatchDigests(sent)) {
			t.Fatalf("%q matches the stored Full_Name %q but not the digests of the record sent", visName, stored.Text("Full_Name"))
		}
	})
}
