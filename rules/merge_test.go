package rules

import (
	"fmt"
	"testing"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// TestMergePolicies covers every policy × (Zoho value empty, equal, different) for each kind of
// mapped field.
func TestMergePolicies(t *testing.T) {
	type state struct {
		name     string
		existing string // JSON of the existing record besides its id
	}
	fields := []struct {
		field, incoming string   // incoming JSON value
		states          []state  // empty, equal, different
		emptyVariants   []string // other spellings of "empty" in Zoho
	}{
		{"Last_Name", `"Jane Doe"`, []state{
			{"empty", `{}`},
			{"equal", `{"Last_Name":"  Jane   Doe "}`},
			{"different", `{"Last_Name":"Janet Doe"}`},
		}, []string{`{"Last_Name":null}`, `{"Last_Name":""}`, `{"Last_Name":"   "}`}},
		{"Email", `"Jane@Example.com"`, []state{
			{"empty", `{"Email":null}`},
			{"equal", `{"Email":"jane@example.COM"}`},
			{"different", `{"Email":"jane@example.org"}`},
		}, []string{`{}`, `{"Email":""}`}},
		{"Phone", `"+1 (555) 010-0100"`, []state{
			{"empty", `{"Phone":""}`},
			{"equal", `{"Phone":"15550100100"}`},
			{"different", `{"Phone":"+1 555 010 0101"}`},
		}, []string{`{}`, `{"Phone":null}`}},
		{"Account_Name", `{"id":"acc-1"}`, []state{
			{"empty", `{"Account_Name":null}`},
			{"equal", `{"Account_Name":{"name":"Acme","id":"acc-1"}}`},
			{"different", `{"Account_Name":{"name":"Other","id":"acc-2"}}`},
		}, []string{`{}`, `{"Account_Name":{"id":""}}`, `{"Account_Name":{}}`}},
	}
	for _, f := range fields {
		incoming := crm.NewRecord()
		if err := incoming.SetRaw(f.field, []byte(f.incoming)); err != nil {
			t.Fatal(err)
		}
		for _, st := range f.states {
			for _, policy := range []UpdatePolicy{Never, FillEmpty, Overwrite} {
				existing, err := crm.ParseRecord([]byte(st.existing))
				if err != nil {
					t.Fatal(err)
				}
				existing.SetID("42")
				update, changed := Merge(policy, existing, incoming)
				wantChange := policy == FillEmpty && st.name == "empty" ||
					policy == Overwrite && (st.name == "empty" || st.name == "different")
				if changed != wantChange || (update != nil) != wantChange {
					t.Errorf("%s %s/%s: changed=%v update=%v, want change %v", f.field, policy, st.name, changed, update, wantChange)
					continue
				}
				if changed {
					want := `{"` + f.field + `":` + f.incoming + `,"id":"42"}`
					if got := mustJSON(t, update); got != want {
						t.Errorf("%s %s/%s: update %s, want %s", f.field, policy, st.name, got, want)
					}
				}
			}
		}
		for _, e := range f.emptyVariants {
			existing, _ := crm.ParseRecord([]byte(e))
			if _, changed := Merge(FillEmpty, existing, incoming); !changed {
				t.Errorf("%s: FillEmpty does not fill %s", f.field, e)
			}
		}
	}
}

func TestMergeNeverBlanks(t *testing.T) {
	existing := rec(t, "id", "1", "Last_Name", "Doe", "Email", "jane@example.com")
	incoming, _ := crm.ParseRecord([]byte(`{"Last_Name":"","Email":null,"Phone":"  "}`))
	for _, p := range []UpdatePolicy{Never, FillEmpty, Overwrite} {
		if u, changed := Merge(p, existing, incoming); changed || u != nil {
			t.Errorf("%s: blanked with %s", p, mustJSON(t, u))
		}
	}
}

func TestMergeSkipsIdentityAndOwner(t *testing.T) {
	existing := rec(t, "id", "1", "Owner", `{"id":"u-1"}`, "Last_Name", "Doe")
	incoming := rec(t, "id", "999", "Owner", `{"id":"u-2"}`, "Layout", `{"id":"l"}`, "Last_Name", "Doe")
	if u, changed := Merge(Overwrite, existing, incoming); changed {
		t.Errorf("update %s", mustJSON(t, u))
	}
}

func TestMergeSeveralFieldsKeepsOrder(t *testing.T) {
	existing := rec(t, "id", "7", "Email", "jane@example.com", "Phone", "", "Company", "Old Co")
	incoming := rec(t, "Last_Name", "Doe", "Company", "New Co", "Phone", "555 0100 22", "Email", "JANE@example.com")
	u, changed := Merge(FillEmpty, existing, incoming)
	if !changed || mustJSON(t, u) != `{"Last_Name":"Doe","Phone":"555 0100 22","id":"7"}` {
		t.Errorf("fill empty: %s", mustJSON(t, u))
	}
	u, changed = Merge(Overwrite, existing, incoming)
	if !changed || mustJSON(t, u) != `{"Last_Name":"Doe","Company":"New Co","Phone":"555 0100 22","id":"7"}` {
		t.Errorf("overwrite: %s", mustJSON(t, u))
	}
}

func TestMergeOtherValues(t *testing.T) {
	// Numbers and booleans from extra mappings compare by their compact JSON.
	existing, _ := crm.ParseRecord([]byte(`{"id":"1","Score":10,"Opt_In":true,"Tags":[]}`))
	incoming, _ := crm.ParseRecord([]byte(`{"Score":10,"Opt_In":false,"Tags":["a"]}`))
	u, changed := Merge(Overwrite, existing, incoming)
	if !changed || mustJSON(t, u) != `{"Opt_In":false,"Tags":["a"],"id":"1"}` {
		t.Errorf("overwrite: %s", mustJSON(t, u))
	}
	u, changed = Merge(FillEmpty, existing, incoming)
	if !changed || mustJSON(t, u) != `{"Tags":["a"],"id":"1"}` {
		t.Errorf("fill empty: %s", mustJSON(t, u))
	}
}

func TestMergeNilAndUnknownPolicy(t *testing.T) {
	r := rec(t, "Last_Name", "Doe")
	for _, tc := range []struct {
		p    UpdatePolicy
		a, b *crm.Record
	}{{Overwrite, nil, r}, {Overwrite, crm.NewRecord(), nil}, {"bogus", crm.NewRecord(), r}} {
		if u, changed := Merge(tc.p, tc.a, tc.b); changed || u != nil {
			t.Errorf("%s: %v", tc.p, u)
		}
	}
}

// TestMergeMatrix: every policy × Zoho value (empty, equal after normalisation, different) ×
// CloudCX value (present; absent as a missing key, null, "" or blanks), for each kind of mapped
// field. fill_empty never overwrites a non-empty value, overwrite never blanks one, and nothing
// is sent when nothing changes.
func TestMergeMatrix(t *testing.T) {
	type zoho struct{ empty, equal, different string } // existing JSON value; "" = key absent
	fields := []struct {
		name, present string
		zoho          zoho
	}{
		{"Last_Name", `"Jane  Doe"`, zoho{`null`, `" Jane Doe "`, `"Janet Doe"`}},
		{"Email", `"Jane@Example.com"`, zoho{`""`, `"jane@example.COM"`, `"jane@example.org"`}},
		{"Phone", `"+1 (555) 010-0100"`, zoho{``, `"1 555 010 0100"`, `"+1 555 010 0101"`}},
		{"Account_Name", `{"id":"acc-1"}`, zoho{`{"name":null,"id":null}`, `{"name":"Acme","id":"acc-1"}`, `{"name":"Other","id":"acc-2"}`}},
		{"Custom_Text__c", `"gold"`, zoho{`"  "`, `"gold"`, `"silver"`}},
	}
	absent := map[string]string{"missing key": ``, "null": `null`, "empty string": `""`, "blanks": `" \t "`}
	for _, f := range fields {
		for _, zs := range []struct{ state, raw string }{{"empty", f.zoho.empty}, {"equal", f.zoho.equal}, {"different", f.zoho.different}} {
			existing := crm.NewRecord()
			existing.SetID("42")
			if zs.raw != "" {
				if err := existing.SetRaw(f.name, []byte(zs.raw)); err != nil {
					t.Fatal(err)
				}
			}
			incomings := map[string]string{"present": f.present}
			for k, v := range absent {
				incomings["absent ("+k+")"] = v
			}
			for cx, raw := range incomings {
				incoming := crm.NewRecord()
				_ = incoming.Set("Unrelated_Empty", "")
				if raw != "" {
					if err := incoming.SetRaw(f.name, []byte(raw)); err != nil {
						t.Fatal(err)
					}
				}
				for _, policy := range []UpdatePolicy{Never, FillEmpty, Overwrite} {
					t.Run(fmt.Sprintf("%s/%s/zoho=%s/cloudcx=%s", f.name, policy, zs.state, cx), func(t *testing.T) {
						want := cx == "present" && (policy == FillEmpty && zs.state == "empty" ||
							policy == Overwrite && zs.state != "equal")
						before := mustJSON(t, existing)
						update, changed := Merge(policy, existing, incoming)
						if changed != want || (update != nil) != want {
							t.Fatalf("changed=%v update=%s, want change %v", changed, mustJSON(t, update), want)
						}
						if want {
							if got, w := mustJSON(t, update), `{"`+f.name+`":`+f.present+`,"id":"42"}`; got != w {
								t.Errorf("update %s, want %s", got, w)
							}
						}
						if mustJSON(t, existing) != before {
							t.Error("Merge changed the existing record")
						}
					})
				}
			}
		}
	}
}

// Issue 12 items 11 and 13: what counts as equal.
func TestEqualValues(t *testing.T) {
	for _, c := range []struct {
		kind fieldKind
		a, b string
		want bool
	}{
		{kindPhone, "+1 (555) 010-0100", "(555) 010-0100", true},
		{kindPhone, "+33 6 12 34 56 78", "06 12 34 56 78", true},
		{kindPhone, "+33 6 12 34 56 78", "+33 6 12 34 56 79", false},
		{kindPhone, "555-0101", "5550101", true},
		{kindPhone, "555-0101", "1555-0101", false},
		{kindEmail, " Jane@Example.COM", "jane@example.com", true},
		{kindText, "Jose\u0301", "Jos\u00e9", true},
		{kindText, "JOSÉ  Díaz", "josé díaz", true},
	} {
		if got := valuesEqual(c.kind, c.a, c.b); got != c.want {
			t.Errorf("valuesEqual(%v, %q, %q) = %v, want %v", c.kind, c.a, c.b, got, c.want)
		}
	}
}

func TestMergeOverwriteKeepsASplitName(t *testing.T) {
	existing, _ := crm.ParseRecord([]byte(`{"id":"1","First_Name":"Jane","Last_Name":"Doe","Full_Name":"Jane Doe"}`))
	in := crm.NewRecord()
	_ = in.Set("Last_Name", "jane  doe")
	if upd, changed := Merge(Overwrite, existing, in); changed {
		t.Fatalf("overwrote a split name with itself: %v", upd)
	}
	_ = in.Set("Last_Name", "Jane Roe")
	if _, changed := Merge(Overwrite, existing, in); !changed {
		t.Fatal("a different name was not written")
	}
}

// FuzzMerge: any two records and either policy: no panic; the update, when there is one, names
// the existing record's id and only fields the incoming record has (First_Name cleared under
// Overwrite when a one-field name replaces a split one), never an unmerged field.
func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"id":"1","First_Name":"Jane","Last_Name":"Smith","Email":"j@x.example"}`), []byte(`{"Last_Name":"Jane Doe","Phone":"+1 555 0100"}`), true)
	f.Add([]byte(`{"id":"2","Phone":null,"Owner":{"id":"9"}}`), []byte(`{"Phone":"5550100","Owner":{"id":"8"},"Email":""}`), false)
	f.Add([]byte(`{}`), []byte(`{"Last_Name":"\u00e9","x":[1,2]}`), true)
	f.Fuzz(func(t *testing.T, existingJSON, incomingJSON []byte, overwrite bool) {
		existing, err1 := crm.ParseRecord(existingJSON)
		incoming, err2 := crm.ParseRecord(incomingJSON)
		if err1 != nil || err2 != nil {
			return
		}
		policy := FillEmpty
		if overwrite {
			policy = Overwrite
		}
		update, changed := Merge(policy, existing, incoming)
		if !changed {
			if update != nil {
				t.Fatal("an update without a change")
			}
			return
		}
		for _, k := range update.Keys() {
			switch {
			case k == "id":
				if update.ID() != existing.ID() {
					t.Fatalf("update id %q, existing %q", update.ID(), existing.ID())
				}
			case k == "First_Name" && update.IsNull("First_Name") && overwrite:
			case !incoming.Has(k):
				t.Fatalf("the update writes %q, which the incoming record does not have", k)
			case unmergedFields[k]:
				t.Fatalf("the update writes the unmerged field %q", k)
			}
		}
	})
}

// A Description ending with a person marker: only the text before it counts; the note the
// integration wrote with it is empty to FillEmpty; an update keeps the marker at the end.
func TestMergeKeepsThePersonMarker(t *testing.T) {
	marker := PersonMarker(SourceKey{TenantID: "t1", Section: "web_chat", ID: "Contacts:visitor:web_chat:v1"})
	rec := func(desc string) *crm.Record {
		r := crm.NewRecord()
		r.SetID("42")
		_ = r.Set("Description", desc)
		return r
	}
	in := crm.NewRecord()
	_ = in.Set("Description", "Prefers email")
	for _, tc := range []struct {
		name     string
		policy   UpdatePolicy
		existing string
		want     string // "" for no update
	}{
		{"fill the note", FillEmpty, personMarkerNote + marker, "Prefers email\n\n" + marker},
		{"fill a bare marker", FillEmpty, marker, "Prefers email\n\n" + marker},
		{"fill keeps text", FillEmpty, "Met at the fair\n\n" + marker, ""},
		{"overwrite keeps the marker", Overwrite, "Met at the fair\n\n" + marker, "Prefers email\n\n" + marker},
		{"overwrite, same text", Overwrite, "Prefers email\n\n" + marker, ""},
		{"not a marker", FillEmpty, "notes [cx:not a marker]", ""},
		{"overwrite without a marker", Overwrite, "Met at the fair", "Prefers email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upd, changed := Merge(tc.policy, rec(tc.existing), in)
			got := ""
			if changed {
				got = upd.Text("Description")
			}
			if got != tc.want {
				t.Fatalf("Description %q (changed %v), want %q", got, changed, tc.want)
			}
		})
	}
}
