package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// zohoLike answers a search as Zoho does, as far as clients can tell: `equals` on text fields is
// loose (the value contains the searched text, ignoring case), on email and phone fields whole
// (ignoring case); an email search looks at every email field.
func zohoLike(records []*crm.Record, s Search) []*crm.Record {
	isEmail := func(f string) bool { return strings.Contains(f, "Email") }
	isPhone := func(f string) bool { return f == "Phone" || f == "Mobile" }
	var eval func(c crm.Criteria, r *crm.Record) bool
	eval = func(c crm.Criteria, r *crm.Record) bool {
		switch c.Logic {
		case crm.LogicAnd:
			for _, t := range c.Terms {
				if !eval(t, r) {
					return false
				}
			}
			return true
		case crm.LogicOr:
			for _, t := range c.Terms {
				if eval(t, r) {
					return true
				}
			}
			return false
		}
		v := r.Text(c.Field)
		if isEmail(c.Field) || isPhone(c.Field) {
			return v != "" && strings.EqualFold(v, c.Value)
		}
		return v != "" && strings.Contains(strings.ToLower(v), strings.ToLower(c.Value))
	}
	var out []*crm.Record
	for _, r := range records {
		switch s.Kind {
		case SearchEmail:
			for _, f := range []string{"Email", "Secondary_Email"} {
				if strings.EqualFold(r.Text(f), s.Value) {
					out = append(out, r)
					break
				}
			}
		case SearchCriteria:
			if eval(s.Criteria, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

func crec(id string, minute int, fields ...string) *crm.Record {
	r := crm.NewRecord()
	r.SetID(id)
	_ = r.Set("Modified_Time", time.Date(2026, 1, 1, 9, minute, 0, 0, time.UTC).Format(time.RFC3339))
	for i := 0; i+1 < len(fields); i += 2 {
		_ = r.Set(fields[i], fields[i+1])
	}
	return r
}

// One folded search decides exactly as the rules run one by one, on a table of visitors and
// records that includes Zoho's loose equals, phones stored in other forms, duplicates and rules
// that find nothing.
func TestCombineDecidesAsTheRulesOneByOne(t *testing.T) {
	records := []*crm.Record{
		crec("1", 1, "Last_Name", "Doe 1", "Company", "Acme Ltd", "Email", "someone@acme.example"),
		crec("2", 2, "Last_Name", "Doe", "Company", "Acme", "Phone", "+44 20 7946 0001"),
		crec("3", 3, "Last_Name", "Roe", "Email", "jane@roe.example", "Mobile", "442079460001"),
		crec("4", 4, "Last_Name", "Roe", "Email", "JANE@roe.example"), // newer duplicate by email
		crec("5", 5, "Last_Name", "Poe", "Secondary_Email", "edgar@poe.example", "Phone", "5550100"),
		crec("6", 6, "Last_Name", "Jane Roe Junior", "Email", "junior@roe.example"),
	}
	ruleSets := map[string][]Rule{
		"default": DefaultSettings().Identification.Contact,
		"phone first": {
			{Conditions: []Condition{{CloudCXField: FieldPhone, ZohoFields: []string{"Phone", "Mobile"}}}},
			{Conditions: []Condition{{CloudCXField: FieldEmail, ZohoFields: []string{"Email"}}}},
		},
		"name and company, then email": {
			{Conditions: []Condition{{CloudCXField: FieldLastName, ZohoFields: []string{"Last_Name"}}, {CloudCXField: FieldCompany, ZohoFields: []string{"Company"}}}},
			{Conditions: []Condition{{CloudCXField: FieldEmail, ZohoFields: []string{"Email", "Secondary_Email"}}}},
		},
	}
	visitors := []cloudcx.Visitor{
		{Name: "Jane Roe", Email: "jane@roe.example"},
		{Name: "Jane Roe", Email: "nobody@x.example", Phone: "+44 20 7946 0001"},
		{Name: "Doe", Company: "Acme", Email: "doe@acme.example"},
		{Name: "Doe", Company: "Acme Ltd"},
		{Name: "Edgar", Email: "edgar@poe.example", Phone: "555 0100"},
		{Name: "Nobody", Email: "none@none.example", Phone: "+1 202 555 0199"},
		{Name: "Jane Roe", Phone: "(020) 7946 0001"},
	}
	folded := 0
	for name, rs := range ruleSets {
		for i, v := range visitors {
			searches := Identify(ModuleContacts, rs, v, cloudcx.SectionWebChat)
			oneByOne, oneRule := "", -1
			for _, s := range searches {
				if r, ok := Choose(s, zohoLike(records, s)); ok {
					oneByOne, oneRule = r.ID(), s.RuleIndex
					break
				}
			}
			comb, ok := Combine(searches)
			if !ok {
				if len(searches) > 1 {
					t.Errorf("%s, visitor %d: %d searches not folded", name, i, len(searches))
				}
				continue
			}
			folded++
			found := zohoLike(records, comb)
			got, gotRule := "", -1
			for _, s := range searches {
				if r, ok := Choose(s, found); ok {
					got, gotRule = r.ID(), s.RuleIndex
					break
				}
			}
			if got != oneByOne || gotRule != oneRule {
				t.Errorf("%s, visitor %d (%+v): folded finds %q by rule %d, one by one %q by rule %d (criteria %s)",
					name, i, v, got, gotRule, oneByOne, oneRule, comb.Criteria)
			}
		}
	}
	if folded < 6 {
		t.Fatalf("only %d cases folded", folded)
	}
}

func TestCombineRefuses(t *testing.T) {
	v := cloudcx.Visitor{Email: "a@b.example", Phone: "+44 20 7946 0001"}
	one := Identify(ModuleContacts, DefaultSettings().Identification.Contact[:1], v, cloudcx.SectionWebChat)
	if _, ok := Combine(one); ok {
		t.Error("a single search was folded")
	}
	// Too many conditions for one search.
	many := []Rule{}
	for i := range 6 {
		many = append(many, Rule{Conditions: []Condition{{CloudCXField: FieldPhone, ZohoFields: []string{"Phone", fmt.Sprintf("Phone_%d", i)}}}})
	}
	if _, ok := Combine(Identify(ModuleContacts, many, v, cloudcx.SectionWebChat)); ok {
		t.Error("more than 10 conditions were folded")
	}
	mixed := append(Identify(ModuleContacts, DefaultSettings().Identification.Contact, v, cloudcx.SectionWebChat),
		Identify(ModuleLeads, DefaultSettings().Identification.Lead, v, cloudcx.SectionWebChat)...)
	if _, ok := Combine(mixed); ok {
		t.Error("searches of two modules were folded")
	}
}
