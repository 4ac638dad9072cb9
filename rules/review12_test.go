package rules

// Adversarial review of issue 12 (branch review12): each test fails on main at the time of the
// review and names the item it attacks.

import (
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Item 10: a phone rule that Settings.Validate accepts (one Zoho field per condition counted, at
// most 10) must still search. With every stored form searched in every field, a phone condition
// over 6 phone fields (3 forms → 18, 2 forms → 12 conditions) or an email condition plus a phone
// condition over 5 fields (16, then 11) exceeds Zoho's 10, and Identify drops the whole rule
// silently: the visitor is never found by it and a duplicate person is created.
func TestReview12PhoneRuleOverManyFieldsIsNotDropped(t *testing.T) {
	phones := []string{"Phone", "Mobile", "Home_Phone", "Other_Phone", "Asst_Phone", "Fax"}
	cases := map[string][]Condition{
		"phone in 6 fields":             {{CloudCXField: FieldPhone, ZohoFields: phones}},
		"email and phone in 5 fields":   {{CloudCXField: FieldEmail, ZohoFields: []string{"Email"}}, {CloudCXField: FieldPhone, ZohoFields: phones[:5]}},
		"phone in 4 fields and company": {{CloudCXField: FieldPhone, ZohoFields: phones[:4]}, {CloudCXField: FieldCompany, ZohoFields: []string{"Account_Name", "Company"}}},
	}
	v := cloudcx.Visitor{Email: "jane@example.com", Phone: "+44 20 7946 0958", Company: "Acme"}
	for name, conds := range cases {
		s := DefaultSettings()
		s.Identification.Contact = []Rule{{Conditions: conds}}
		if err := s.Validate(); err != nil {
			t.Fatalf("%s: settings refused: %v", name, err)
		}
		if ss := Identify(ModuleContacts, s.Identification.Contact, v, cloudcx.SectionWebChat); len(ss) == 0 {
			t.Errorf("%s: the rule validated but Identify dropped it (no search)", name)
		}
	}
}

// Item 12: names made only of characters that render as nothing but are letters or symbols for
// Unicode (Hangul fillers U+3164, U+115F, U+FFA0, the braille blank U+2800 — the usual
// "invisible name" tricks) are still written as Last_Name instead of the "Visitor …" fallback.
func TestReview12BlankLetterNamesGetTheFallback(t *testing.T) {
	for _, name := range []string{"\u3164", "\u115f\u1160", "\uffa0", "\u2800\u2800"} {
		v := cloudcx.Visitor{ID: "v-9", Name: name, Email: "x@example.com"}
		p, err := PersonFields(PersonInput{Settings: DefaultSettings(), Module: ModuleContacts, Section: cloudcx.SectionWebChat, Visitor: v, TenantID: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Record.Text("Last_Name"); got != "Visitor v-9" {
			t.Errorf("name %+q: Last_Name %+q, want the fallback", name, got)
		}
	}
}

// Item 13: Overwrite must not garble a name Zoho stores split. The fix only skips a one-field
// name equal to First+Last; a one-field name that differs ("Jane Doe" on a record First "Jane",
// Last "Smith") still becomes {"Last_Name":"Jane Doe"}, which Zoho shows as "Jane Jane Doe" —
// the garbling the item describes, on every chat of a visitor who changed name.
func TestReview12OverwriteNeverGarblesASplitName(t *testing.T) {
	existing, err := crm.ParseRecord([]byte(`{"id":"42","First_Name":"Jane","Last_Name":"Smith","Full_Name":"Jane Smith"}`))
	if err != nil {
		t.Fatal(err)
	}
	incoming := crm.NewRecord()
	_ = incoming.Set("Last_Name", "Jane Doe")
	update, changed := Merge(Overwrite, existing, incoming)
	if !changed {
		return // leaving the split name alone is acceptable
	}
	first, last := existing.Text("First_Name"), existing.Text("Last_Name")
	if update.Has("First_Name") {
		first = update.Text("First_Name")
	}
	if update.Has("Last_Name") {
		last = update.Text("Last_Name")
	}
	if shown := strings.TrimSpace(first + " " + last); shown != "Jane Doe" {
		raw, _ := update.MarshalJSON()
		t.Fatalf("update %s makes Zoho show %q", raw, shown)
	}
}

// Item 11: equal values must match, decomposed "José" and composed "José" included. Choose now
// compares in NFC, but Identify still sends the visitor's decomposed text to Zoho's criteria
// search, whose equals compares as written: an Account "Café Müller" typed in Zoho (NFC, as
// browsers send) is never returned for a visitor whose company arrived decomposed, so Choose
// never sees it and the Account is not linked. The NFC form (and, for records this SDK wrote
// unnormalised, the form as given) must be searched.
func TestReview12DecomposedTextSearchesTheComposedForm(t *testing.T) {
	v := cloudcx.Visitor{Company: "Cafe\u0301 Mu\u0308ller"}
	ss := Identify(ModuleAccounts, DefaultSettings().Identification.For(ModuleAccounts), v, cloudcx.SectionWebChat)
	if len(ss) == 0 {
		t.Fatal("no search")
	}
	if got := ss[0].Criteria.String(); !strings.Contains(got, "Caf\u00e9 M\u00fcller") {
		t.Fatalf("criteria %+q does not search the composed (NFC) form", got)
	}
}
