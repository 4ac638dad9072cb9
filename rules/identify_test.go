package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// describe renders a search as one line for table tests.
func describeSearch(s Search) string {
	switch s.Kind {
	case SearchCriteria:
		txt, err := s.Criteria.Build()
		if err != nil {
			return fmt.Sprintf("#%d criteria <%v>", s.RuleIndex, err)
		}
		return fmt.Sprintf("#%d criteria %s", s.RuleIndex, txt)
	default:
		return fmt.Sprintf("#%d %s %s", s.RuleIndex, s.Kind, s.Value)
	}
}

func describeAll(ss []Search) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = describeSearch(s)
	}
	return strings.Join(out, " | ")
}

func TestIdentifyDefaults(t *testing.T) {
	def := DefaultSettings().Identification
	for _, tc := range []struct {
		name    string
		module  string
		section cloudcx.Section
		v       cloudcx.Visitor
		want    string
	}{
		{"email and phone", ModuleContacts, cloudcx.SectionWebChat,
			cloudcx.Visitor{Email: " Jane@Example.com ", Phone: "+1 (555) 010-9999"},
			"#0 email Jane@Example.com | #1 criteria ((Phone:equals:+1 \\(555\\) 010-9999)or(Mobile:equals:+1 \\(555\\) 010-9999)or(Phone:equals:15550109999)or(Mobile:equals:15550109999)or(Phone:equals:+15550109999)or(Mobile:equals:+15550109999))"},
		{"email only", ModuleLeads, cloudcx.SectionWebChat,
			cloudcx.Visitor{Email: "jane@example.com"},
			"#0 email jane@example.com"},
		{"phone too short", ModuleContacts, cloudcx.SectionWebChat,
			cloudcx.Visitor{Email: "jane@example.com", Phone: "12-34"},
			"#0 email jane@example.com"},
		{"not an email", ModuleContacts, cloudcx.SectionWebChat,
			cloudcx.Visitor{Email: "jane at example", Phone: "0612345678"},
			"#1 criteria ((Phone:equals:0612345678)or(Mobile:equals:0612345678))"},
		{"nothing", ModuleContacts, cloudcx.SectionWebChat, cloudcx.Visitor{Name: "Jane"}, ""},
		{"inbox uses the cell phone", ModuleContacts, cloudcx.SectionInbox,
			cloudcx.Visitor{Phone: "+33 1 11 11 11 11", CellPhone: "+33 6 22 22 22 22"},
			"#1 criteria ((Phone:equals:+33 6 22 22 22 22)or(Mobile:equals:+33 6 22 22 22 22)or(Phone:equals:33622222222)or(Mobile:equals:33622222222)or(Phone:equals:+33622222222)or(Mobile:equals:+33622222222))"},
		{"inbox falls back to the office phone", ModuleContacts, cloudcx.SectionInbox,
			cloudcx.Visitor{Phone: "+33 1 11 11 11 11"},
			"#1 criteria ((Phone:equals:+33 1 11 11 11 11)or(Mobile:equals:+33 1 11 11 11 11)or(Phone:equals:33111111111)or(Mobile:equals:33111111111)or(Phone:equals:+33111111111)or(Mobile:equals:+33111111111))"},
		{"web chat ignores the cell phone", ModuleContacts, cloudcx.SectionWebChat,
			cloudcx.Visitor{CellPhone: "+33 6 22 22 22 22"}, ""},
		{"arabic-indic digits", ModuleLeads, cloudcx.SectionWebChat,
			cloudcx.Visitor{Phone: "٠٥٥٥ ١٢٣ ٤٥٦"},
			"#1 criteria ((Phone:equals:٠٥٥٥ ١٢٣ ٤٥٦)or(Mobile:equals:٠٥٥٥ ١٢٣ ٤٥٦)or(Phone:equals:0555123456)or(Mobile:equals:0555123456))"},
		{"account by company", ModuleAccounts, cloudcx.SectionWebChat,
			cloudcx.Visitor{Company: "  Burns, Smithers (and Sons) \\ Ltd + Co "},
			`#0 criteria (Account_Name:equals:Burns\, Smithers \(and Sons\) \\ Ltd + Co)`},
		{"account: company of one character", ModuleAccounts, cloudcx.SectionWebChat,
			cloudcx.Visitor{Company: "X"}, ""},
		{"account: control character", ModuleAccounts, cloudcx.SectionWebChat,
			cloudcx.Visitor{Company: "Acme\x00Corp"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := describeAll(Identify(tc.module, def.For(tc.module), tc.v, tc.section))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			for _, s := range Identify(tc.module, def.For(tc.module), tc.v, tc.section) {
				if s.Module != tc.module {
					t.Errorf("module %q", s.Module)
				}
			}
		})
	}
}

func TestIdentifyCustomRules(t *testing.T) {
	v := cloudcx.Visitor{
		ID: "v-42", ContactID: "c-7", Name: "Jane Doe", FirstName: "Jane", LastName: "Doe",
		Email: "jane@example.com", Phone: "555-0100-22", Company: "Acme",
		CustomFields:    cloudcx.Fields{{Name: "Order Number", Value: "A-1"}, {Name: "Customer ID", Value: "CUST-9"}},
		CustomVariables: cloudcx.Fields{{Name: "plan", Value: "gold"}},
	}
	rules := []Rule{
		{Conditions: []Condition{{CloudCXField: FieldLastName, ZohoFields: []string{"Last_Name"}}, {CloudCXField: FieldCompany, ZohoFields: []string{"Company"}}}},
		{Conditions: []Condition{{CloudCXField: "custom:customer id", ZohoFields: []string{"Customer_ID"}}}},
		{Conditions: []Condition{{CloudCXField: "variable:plan", ZohoFields: []string{"Plan"}}, {CloudCXField: FieldPhone, ZohoFields: []string{"Phone", "Mobile"}}}},
		{Conditions: []Condition{{CloudCXField: FieldEmail, ZohoFields: []string{"Email", "Secondary_Email"}}, {CloudCXField: FieldName, ZohoFields: []string{"Full_Name"}}}},
		{Conditions: []Condition{{CloudCXField: "variable:missing", ZohoFields: []string{"X"}}}},
		{Conditions: []Condition{{CloudCXField: FieldVisitorID, ZohoFields: []string{"CX_Visitor"}}}},
		{Conditions: []Condition{{CloudCXField: FieldContactID, ZohoFields: []string{"CX_Contact"}}, {CloudCXField: FieldFirstName, ZohoFields: []string{"First_Name"}}}},
		{Conditions: []Condition{{CloudCXField: FieldEmail, ZohoFields: []string{"bad field"}}}},
		{},
	}
	want := strings.Join([]string{
		"#0 criteria ((Last_Name:equals:Doe)and(Company:equals:Acme))",
		"#1 criteria (Customer_ID:equals:CUST-9)",
		"#2 criteria ((Plan:equals:gold)and((Phone:equals:555-0100-22)or(Mobile:equals:555-0100-22)or(Phone:equals:555010022)or(Mobile:equals:555010022)))",
		"#3 criteria (((Email:equals:jane@example.com)or(Secondary_Email:equals:jane@example.com))and(Full_Name:equals:Jane Doe))",
		"#5 criteria (CX_Visitor:equals:v-42)",
		"#6 criteria ((CX_Contact:equals:c-7)and(First_Name:equals:Jane))",
	}, " | ")
	if got := describeAll(Identify(ModuleLeads, rules, v, cloudcx.SectionWebChat)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestIdentifyLastNameBySection(t *testing.T) {
	rules := []Rule{{Conditions: []Condition{{CloudCXField: FieldLastName, ZohoFields: []string{"Last_Name"}}}}}
	web := cloudcx.Visitor{Name: "Jane Doe"}
	if got := describeAll(Identify(ModuleContacts, rules, web, cloudcx.SectionWebChat)); got != "#0 criteria (Last_Name:equals:Jane Doe)" {
		t.Errorf("web chat: %s", got)
	}
	// Inbox maps its Last Name only; a contact without one is not searched by last name.
	if got := describeAll(Identify(ModuleContacts, rules, web, cloudcx.SectionInbox)); got != "" {
		t.Errorf("inbox: %s", got)
	}
}

// rec builds a record from alternating field names and values; values that start with '{' are raw JSON.
func rec(t testing.TB, kv ...string) *crm.Record {
	t.Helper()
	r := crm.NewRecord()
	for i := 0; i+1 < len(kv); i += 2 {
		var err error
		if strings.HasPrefix(kv[i+1], "{") {
			err = r.SetRaw(kv[i], []byte(kv[i+1]))
		} else {
			err = r.Set(kv[i], kv[i+1])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestChooseRechecksExactly(t *testing.T) {
	def := DefaultSettings().Identification
	v := cloudcx.Visitor{Email: "Jane@Example.com", Phone: "+1 555 010 9999", Company: "ABC"}
	emailSearch := Identify(ModuleContacts, def.Contact, v, cloudcx.SectionWebChat)[0]
	phoneSearch := Identify(ModuleContacts, def.Contact, v, cloudcx.SectionWebChat)[1]
	accountSearch := Identify(ModuleAccounts, def.Account, v, cloudcx.SectionWebChat)[0]

	for _, tc := range []struct {
		name   string
		search Search
		cands  []*crm.Record
		want   string // id, or "" for no match
	}{
		{"email differs in case and spaces", emailSearch, []*crm.Record{
			rec(t, "id", "1", "Email", " jane@example.COM "),
		}, "1"},
		{"email found in Secondary_Email only", emailSearch, []*crm.Record{
			rec(t, "id", "1", "Email", "other@example.com", "Secondary_Email", "jane@example.com"),
		}, ""},
		{"email contains the address", emailSearch, []*crm.Record{
			rec(t, "id", "1", "Email", "mary.jane@example.com"),
		}, ""},
		{"phone by digits in Mobile", phoneSearch, []*crm.Record{
			rec(t, "id", "1", "Phone", "555 0109", "Mobile", "(1) 555-010-9999"),
		}, "1"},
		{"phone found in Home_Phone only", phoneSearch, []*crm.Record{
			rec(t, "id", "1", "Home_Phone", "+1 555 010 9999"),
		}, ""},
		{"phone with a longer number", phoneSearch, []*crm.Record{
			rec(t, "id", "1", "Phone", "+1 555 010 99991"),
		}, ""},
		{"company: contains is not equals", accountSearch, []*crm.Record{
			rec(t, "id", "1", "Account_Name", "ABC Inc"),
			rec(t, "id", "2", "Account_Name", "abc"),
		}, "2"},
		{"most recently modified wins", emailSearch, []*crm.Record{
			rec(t, "id", "10", "Email", "jane@example.com", "Modified_Time", "2024-01-01T10:00:00+00:00"),
			rec(t, "id", "11", "Email", "jane@example.com", "Modified_Time", "2024-03-01T10:00:00+01:00"),
			rec(t, "id", "12", "Email", "jane@example.com", "Modified_Time", "2024-02-01T10:00:00+00:00"),
			rec(t, "id", "13", "Email", "x@example.com", "Modified_Time", "2025-01-01T10:00:00+00:00"),
		}, "11"},
		{"same instant in two zones: greatest id", emailSearch, []*crm.Record{
			rec(t, "id", "99", "Email", "jane@example.com", "Modified_Time", "2024-01-01T10:00:00+00:00"),
			rec(t, "id", "100", "Email", "jane@example.com", "Modified_Time", "2024-01-01T11:00:00+01:00"),
			rec(t, "id", "98", "Email", "jane@example.com", "Modified_Time", "2024-01-01T10:00:00+00:00"),
		}, "100"},
		{"no Modified_Time loses", emailSearch, []*crm.Record{
			rec(t, "id", "5", "Email", "jane@example.com"),
			rec(t, "id", "4", "Email", "jane@example.com", "Modified_Time", "2020-01-01T00:00:00+00:00"),
		}, "4"},
		{"nil candidates", emailSearch, []*crm.Record{nil, nil}, ""},
		{"no candidates", emailSearch, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Choose(tc.search, tc.cands)
			if tc.want == "" {
				if ok || got != nil {
					t.Errorf("chose %v", got)
				}
				return
			}
			if !ok || got.ID() != tc.want {
				t.Errorf("chose %v, want id %s", got, tc.want)
			}
			// Deterministic whatever the order of candidates.
			rev := make([]*crm.Record, len(tc.cands))
			for i, c := range tc.cands {
				rev[len(rev)-1-i] = c
			}
			if got2, _ := Choose(tc.search, rev); got2.ID() != tc.want {
				t.Errorf("reversed order chose %v", got2.ID())
			}
		})
	}
}

func TestChooseCompoundRule(t *testing.T) {
	rules := []Rule{{Conditions: []Condition{
		{CloudCXField: FieldLastName, ZohoFields: []string{"Last_Name"}},
		{CloudCXField: FieldCompany, ZohoFields: []string{"Company"}},
	}}}
	v := cloudcx.Visitor{Name: "Burns", Company: "ABC"}
	s := Identify(ModuleLeads, rules, v, cloudcx.SectionWebChat)[0]
	// Zoho's multi-condition `equals` behaves like "contains": all of these come back.
	cands := []*crm.Record{
		rec(t, "id", "1", "Last_Name", "Burnside", "Company", "ABC"),
		rec(t, "id", "2", "Last_Name", "Burns", "Company", "ABC Inc"),
		rec(t, "id", "3", "Last_Name", " burns ", "Company", "abc"),
		rec(t, "id", "4", "Last_Name", "Burns"),
	}
	got, ok := Choose(s, cands)
	if !ok || got.ID() != "3" {
		t.Errorf("chose %v", got)
	}
	if Matches(Search{}, cands[2]) {
		t.Error("a search without checks matches")
	}
	if Matches(s, nil) {
		t.Error("nil record matches")
	}
}

func TestChooseContactLookupText(t *testing.T) {
	// A rule comparing company with a Contact's Account_Name lookup compares the lookup's name.
	rules := []Rule{{Conditions: []Condition{{CloudCXField: FieldCompany, ZohoFields: []string{"Account_Name"}}}}}
	s := Identify(ModuleContacts, rules, cloudcx.Visitor{Company: "Acme"}, cloudcx.SectionWebChat)[0]
	got, ok := Choose(s, []*crm.Record{rec(t, "id", "1", "Account_Name", `{"name":"ACME","id":"9"}`)})
	if !ok || got.ID() != "1" {
		t.Errorf("chose %v", got)
	}
}

func TestLooksLikeEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"a@b.co": true, "jane.doe+tag@example.co.uk": true, "jänë@exämple.de": true,
		"": false, "@b.co": false, "a@": false, "a@b": false, "a@@b.co": false, "a b@c.de": false,
		"a@b.co.": false, "a@.b.co": false, "a,b@c.de": false, "<a@b.co>": false, "a@b.co\n": false,
		strings.Repeat("a", 250) + "@b.co": false,
	} {
		if got := looksLikeEmail(s); got != want {
			t.Errorf("looksLikeEmail(%q) = %v", s, got)
		}
	}
}

func FuzzIdentify(f *testing.F) {
	f.Add("jane@example.com", "+1 555 0100", "Acme (UK), Ltd\\", "Jane", "{tenant_id}")
	f.Add("", "", "", "", "")
	f.Add("a@b.c", "٠٥٥٥١٢٣٤٥٦", "\x00\xff", "😀", ")(,")
	f.Add(strings.Repeat("a", 250)+"@b.co", strings.Repeat("9", 31), strings.Repeat(`\(`, 128), strings.Repeat("😀", 128), strings.Repeat(",", 256))
	f.Fuzz(func(t *testing.T, email, phone, company, name, custom string) {
		v := cloudcx.Visitor{Email: email, Phone: phone, CellPhone: phone, Company: company, Name: name,
			CustomFields: cloudcx.Fields{{Name: "x", Value: custom}}}
		rules := append(DefaultSettings().Identification.Contact,
			Rule{Conditions: []Condition{{CloudCXField: "custom:x", ZohoFields: []string{"X"}}, {CloudCXField: FieldName, ZohoFields: []string{"Last_Name", "First_Name"}}}},
			Rule{Conditions: []Condition{{CloudCXField: FieldCompany, ZohoFields: []string{"Account_Name"}}}})
		for _, sec := range []cloudcx.Section{cloudcx.SectionWebChat, cloudcx.SectionInbox} {
			for _, s := range Identify(ModuleContacts, rules, v, sec) {
				switch s.Kind {
				case SearchCriteria:
					txt, err := s.Criteria.Build()
					if err != nil {
						t.Fatalf("unbuildable criteria: %v", err)
					}
					back, err := crm.ParseCriteria(txt)
					if err != nil {
						t.Fatalf("criteria %q does not parse back: %v", txt, err)
					}
					if back.String() != txt {
						t.Fatalf("criteria round trip %q → %q", txt, back.String())
					}
				case SearchEmail:
					if !looksLikeEmail(s.Value) {
						t.Fatalf("email search for %q", s.Value)
					}
				case SearchPhone:
					if len(s.Value) < MinPhoneDigits || strings.Trim(s.Value, "0123456789") != "" {
						t.Fatalf("phone search for %q", s.Value)
					}
				default:
					t.Fatalf("kind %q", s.Kind)
				}
				if crm.CheckSearchValue(s.Value) != nil && s.Kind != SearchCriteria {
					t.Fatalf("unsearchable value %q", s.Value)
				}
				// A record holding exactly the visitor's values is found.
				r := crm.NewRecord()
				for _, c := range s.Checks {
					for _, f := range c.ZohoFields {
						_ = r.Set(f, c.Value)
					}
				}
				if !Matches(s, r) {
					t.Fatalf("record with the visitor's own values does not match %s", describeSearch(s))
				}
			}
		}
	})
}

func TestSearchQuery(t *testing.T) {
	v := cloudcx.Visitor{Email: "jane@example.com", Phone: "+1 555 0100", Company: "Acme"}
	def := DefaultSettings().Identification
	ss := Identify(ModuleContacts, def.Contact, v, cloudcx.SectionWebChat)
	if q := ss[0].Query(); q.Email != "jane@example.com" || q.Phone != "" || !q.Criteria.IsZero() {
		t.Errorf("email query %+v", q)
	}
	if q := ss[1].Query(); q.Criteria.String() != "((Phone:equals:+1 555 0100)or(Mobile:equals:+1 555 0100)or(Phone:equals:15550100)or(Mobile:equals:15550100)or(Phone:equals:+15550100)or(Mobile:equals:+15550100))" || q.Email != "" || q.Phone != "" {
		t.Errorf("phone query %+v", q)
	}
	acc := Identify(ModuleAccounts, def.Account, v, cloudcx.SectionWebChat)[0]
	if q := acc.Query(); q.Criteria.String() != "(Account_Name:equals:Acme)" || q.Email != "" || q.Phone != "" {
		t.Errorf("criteria query %+v", q)
	}
}

// TestIdentifyHostileValuesRoundTrip: values with criteria syntax, backslashes, '+' and any
// Unicode go through the crm criteria builder and read back unchanged with crm.ParseCriteria
// (as the fake Zoho and Zoho read them); the rules keep their order.
func TestIdentifyHostileValuesRoundTrip(t *testing.T) {
	hostile := []string{
		`Burns (and Sons), Ltd`,
		`back\slash\\ and \( escaped`,
		`+44 (0) 20 7946 0958`,
		`a+b=c&d#e%20f?g`,
		`日本語の会社 株式会社`,
		`Zoë 👩‍💻 🇫🇷 e\u0301`,
		`﷽ مرحبا עברית`,
		`):equals:(x)or(Last_Name:equals:y`,
		`((()))`,
		`,,`,
	}
	for _, val := range hostile {
		v := cloudcx.Visitor{Company: val, Name: val, CustomFields: cloudcx.Fields{{Name: "ref", Value: val}}}
		rules := []Rule{
			{Conditions: []Condition{{CloudCXField: "custom:ref", ZohoFields: []string{"Ref__c"}}}},
			{Conditions: []Condition{{CloudCXField: FieldCompany, ZohoFields: []string{"Account_Name"}}}},
			{Conditions: []Condition{{CloudCXField: FieldName, ZohoFields: []string{"Last_Name", "Full_Name"}}, {CloudCXField: FieldCompany, ZohoFields: []string{"Company"}}}},
		}
		ss := Identify(ModuleLeads, rules, v, cloudcx.SectionWebChat)
		if len(ss) != 3 {
			t.Fatalf("%q: %d searches, want 3", val, len(ss))
		}
		for i, s := range ss {
			if s.RuleIndex != i || s.Kind != SearchCriteria {
				t.Errorf("%q: search %d is rule %d kind %s", val, i, s.RuleIndex, s.Kind)
			}
			txt, err := s.Criteria.Build()
			if err != nil {
				t.Fatalf("%q: %v", val, err)
			}
			back, err := crm.ParseCriteria(txt)
			if err != nil {
				t.Fatalf("%q: criteria %q does not parse: %v", val, txt, err)
			}
			if !reflect.DeepEqual(back, s.Criteria) {
				t.Errorf("%q: round trip\n got %#v\nwant %#v", val, back, s.Criteria)
			}
			for _, c := range back.Conditions() {
				if c.Value != strings.TrimSpace(val) {
					t.Errorf("%q: condition value %q", val, c.Value)
				}
			}
		}
	}
}

// TestIdentifySkipsUnsearchableValues: empty, blank, one-character, control-character and
// over-long values skip their rule; the other rules keep their order and indexes.
func TestIdentifySkipsUnsearchableValues(t *testing.T) {
	rules := []Rule{
		{Conditions: []Condition{{CloudCXField: "custom:a", ZohoFields: []string{"A"}}}},
		{Conditions: []Condition{{CloudCXField: FieldCompany, ZohoFields: []string{"Company"}}}},
		{Conditions: []Condition{{CloudCXField: "custom:b", ZohoFields: []string{"B"}}}},
		{Conditions: []Condition{{CloudCXField: FieldEmail, ZohoFields: []string{"Email"}}}},
		{Conditions: []Condition{{CloudCXField: FieldPhone, ZohoFields: []string{"Phone"}}}},
	}
	for _, tc := range []struct {
		name, a, b, email, phone string
		want                     string
	}{
		{"empty", "", "", "", "", "#1 criteria (Company:equals:Acme)"},
		{"blank", " \t\n", "   ", " ", " ", "#1 criteria (Company:equals:Acme)"},
		{"one character", "x", " y ", "@", "1", "#1 criteria (Company:equals:Acme)"},
		{"two characters", "xy", "é😀", "", "", "#0 criteria (A:equals:xy) | #1 criteria (Company:equals:Acme) | #2 criteria (B:equals:é😀)"},
		{"control characters", "a\x00b", "a\u0085b", "", "", "#1 criteria (Company:equals:Acme)"},
		{"invalid UTF-8", "a\xffb", "ok", "", "", "#1 criteria (Company:equals:Acme) | #2 criteria (B:equals:ok)"},
		{"longest searchable value", strings.Repeat("a", maxSearchValue), "", "", "",
			"#0 criteria (A:equals:" + strings.Repeat("a", maxSearchValue) + ") | #1 criteria (Company:equals:Acme)"},
		{"longer than any searchable field", strings.Repeat("a", maxSearchValue+1), strings.Repeat("😀", 70000), "", "", "#1 criteria (Company:equals:Acme)"},
		{"over-long email and phone", "", "", strings.Repeat("a", 300) + "@example.com", strings.Repeat("5", 300), "#1 criteria (Company:equals:Acme)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := cloudcx.Visitor{Company: "Acme", Email: tc.email, Phone: tc.phone,
				CustomFields: cloudcx.Fields{{Name: "a", Value: tc.a}, {Name: "b", Value: tc.b}}}
			ss := Identify(ModuleLeads, rules, v, cloudcx.SectionWebChat)
			if got := describeAll(ss); got != tc.want {
				t.Errorf("got  %.300s\nwant %.300s", got, tc.want)
			}
			for _, s := range ss {
				if s.Kind == SearchCriteria {
					if _, err := crm.ParseCriteria(s.Criteria.String()); err != nil {
						t.Errorf("rule %d: %v", s.RuleIndex, err)
					}
				}
			}
		})
	}
}

// permutations calls f with every ordering of rs.
func permutations(rs []*crm.Record, f func([]*crm.Record)) {
	var perm func(k int)
	perm = func(k int) {
		if k == len(rs) {
			f(append([]*crm.Record(nil), rs...))
			return
		}
		for i := k; i < len(rs); i++ {
			rs[k], rs[i] = rs[i], rs[k]
			perm(k + 1)
			rs[k], rs[i] = rs[i], rs[k]
		}
	}
	perm(0)
}

// TestChooseApproximateZohoResults: what Zoho's loose searches really return — "ABC Inc" for
// equals "ABC", a number in Mobile or Home_Phone for phone=, an address in Secondary_Email for
// email= — is re-checked exactly; among the true matches the most recently modified wins, then
// the greatest id, whatever the order Zoho returned them in.
func TestChooseApproximateZohoResults(t *testing.T) {
	def := DefaultSettings().Identification
	v := cloudcx.Visitor{Email: "Jane.Doe@Example.COM", Phone: "+44 20 7946 0958", Company: "ABC"}
	acc := Identify(ModuleAccounts, def.Account, v, cloudcx.SectionWebChat)[0]
	email := Identify(ModuleContacts, def.Contact, v, cloudcx.SectionWebChat)[0]
	phone := Identify(ModuleContacts, def.Contact, v, cloudcx.SectionWebChat)[1]
	for _, tc := range []struct {
		name   string
		search Search
		cands  []*crm.Record
		want   string
	}{
		{"equals ABC returns ABC Inc", acc, []*crm.Record{
			rec(t, "id", "1", "Account_Name", "ABC Inc", "Modified_Time", "2025-01-01T00:00:00+00:00"),
			rec(t, "id", "2", "Account_Name", "abc", "Modified_Time", "2023-01-01T00:00:00+00:00"),
			rec(t, "id", "3", "Account_Name", " ABC ", "Modified_Time", "2024-01-01T00:00:00+00:00"),
			rec(t, "id", "4", "Account_Name", "XABC", "Modified_Time", "2026-01-01T00:00:00+00:00"),
		}, "3"},
		{"only ABC Inc", acc, []*crm.Record{rec(t, "id", "1", "Account_Name", "ABC Inc")}, ""},
		{"phone on Mobile, not on Home_Phone", phone, []*crm.Record{
			rec(t, "id", "1", "Home_Phone", "+44 20 7946 0958", "Modified_Time", "2025-01-01T00:00:00+00:00"),
			rec(t, "id", "2", "Mobile", "0044 (20) 7946-0958", "Modified_Time", "2024-01-01T00:00:00+00:00"),
			rec(t, "id", "3", "Phone", "442079460958", "Mobile", "1", "Modified_Time", "2023-01-01T00:00:00+00:00"),
			rec(t, "id", "4", "Phone", "+44 20 7946 0958", "Modified_Time", "2024-06-01T00:00:00+00:00"),
		}, "4"},
		{"email in any case, not in Secondary_Email", email, []*crm.Record{
			rec(t, "id", "1", "Secondary_Email", "jane.doe@example.com", "Modified_Time", "2025-01-01T00:00:00+00:00"),
			rec(t, "id", "2", "Email", "JANE.DOE@example.com", "Modified_Time", "2024-01-01T00:00:00+00:00"),
			rec(t, "id", "3", "Email", "jane.doe@example.com.evil", "Modified_Time", "2026-01-01T00:00:00+00:00"),
		}, "2"},
		{"tie on Modified_Time: greatest id", email, []*crm.Record{
			rec(t, "id", "5000000000000000001", "Email", "jane.doe@example.com", "Modified_Time", "2024-01-01T10:00:00+00:00"),
			rec(t, "id", "5000000000000000010", "Email", "jane.doe@example.com", "Modified_Time", "2024-01-01T12:00:00+02:00"),
			rec(t, "id", "999999999999999999", "Email", "jane.doe@example.com", "Modified_Time", "2024-01-01T10:00:00+00:00"),
			rec(t, "id", "5000000000000000002", "Email", "jane.doe@example.com", "Modified_Time", "2023-01-01T10:00:00+00:00"),
		}, "5000000000000000010"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			permutations(tc.cands, func(order []*crm.Record) {
				got, ok := Choose(tc.search, order)
				if tc.want == "" {
					if ok {
						t.Fatalf("chose %s", got.ID())
					}
					return
				}
				if !ok || got.ID() != tc.want {
					t.Fatalf("chose %v, want %s (order %v)", got, tc.want, order)
				}
			})
		})
	}
}

// Issue 12 item 10: the phone forms fit Zoho's 10 conditions: with four phone fields, the E.164
// form is dropped rather than the rule.
func TestIdentifyPhoneFormsWithinTenConditions(t *testing.T) {
	rs := []Rule{{Conditions: []Condition{{CloudCXField: FieldPhone, ZohoFields: []string{"Phone", "Mobile", "Home_Phone", "Other_Phone"}}}}}
	ss := Identify(ModuleContacts, rs, cloudcx.Visitor{Phone: "+44 20 7946 0958"}, cloudcx.SectionWebChat)
	if len(ss) != 1 {
		t.Fatalf("rule dropped: %v", describeAll(ss))
	}
	got := ss[0].Criteria.String()
	if strings.Contains(got, "+442079460958") || !strings.Contains(got, "(Other_Phone:equals:442079460958)") || !strings.Contains(got, `(Phone:equals:+44 20 7946 0958)`) {
		t.Fatalf("criteria %s", got)
	}
}
