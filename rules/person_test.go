package rules

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// webVisitor and inboxVisitor carry every column of the person mapping table.
var (
	webVisitor = cloudcx.Visitor{
		ID: "v-1", Name: "Jane Doe", Email: "jane@example.com",
		Phone: "+1 555 0100", CellPhone: "+1 555 0199", Company: "Acme",
	}
	inboxVisitor = cloudcx.Visitor{
		ID: "c-1", Name: "J. Doe (WhatsApp)", FirstName: "Jane", LastName: "Doe", Email: "jane@example.com",
		Phone: "+1 555 0100", CellPhone: "+1 555 0199", Company: "Acme",
	}
)

// TestPersonMappingTable has one case per row of mission.md §5's person table (the subtest
// names say which: "row 4 Phone|Cell Phone → Phone"), for each section and each module, plus
// the decided fallbacks of the mandatory fields.
func TestPersonMappingTable(t *testing.T) {
	type row struct {
		name      string
		section   cloudcx.Section
		module    string
		field     string // Zoho field checked
		want      string // its JSON value, "" for absent
		visitor   *cloudcx.Visitor
		accountID string
	}
	const (
		web, inbox = cloudcx.SectionWebChat, cloudcx.SectionInbox
		ct, ld     = ModuleContacts, ModuleLeads
	)
	bare := &cloudcx.Visitor{ID: "v-7"}
	rows := []row{
		{"row 1 agent who chatted|conversed → Owner", web, ct, "Owner", `{"id":"u-1"}`, nil, "acc-9"},
		{"row 1 agent who chatted|conversed → Owner", web, ld, "Owner", `{"id":"u-1"}`, nil, "acc-9"},
		{"row 1 agent who chatted|conversed → Owner", inbox, ct, "Owner", `{"id":"u-1"}`, nil, "acc-9"},
		{"row 1 agent who chatted|conversed → Owner", inbox, ld, "Owner", `{"id":"u-1"}`, nil, "acc-9"},
		{"row 2 Name|Last Name → Last_Name", web, ct, "Last_Name", `"Jane Doe"`, nil, "acc-9"},
		{"row 2 Name|Last Name → Last_Name", web, ld, "Last_Name", `"Jane Doe"`, nil, "acc-9"},
		{"row 2 Name|Last Name → Last_Name", inbox, ct, "Last_Name", `"Doe"`, nil, "acc-9"},
		{"row 2 Name|Last Name → Last_Name", inbox, ld, "Last_Name", `"Doe"`, nil, "acc-9"},
		{"row 2 missing name → Last_Name Visitor <id>", web, ct, "Last_Name", `"Visitor v-7"`, bare, ""},
		{"row 2 missing name → Last_Name Visitor <id>", inbox, ld, "Last_Name", `"Visitor v-7"`, bare, ""},
		{"row 2 Inbox First Name → First_Name", web, ct, "First_Name", ``, nil, "acc-9"},
		{"row 2 Inbox First Name → First_Name", inbox, ct, "First_Name", `"Jane"`, nil, "acc-9"},
		{"row 2 Inbox First Name → First_Name", inbox, ld, "First_Name", `"Jane"`, nil, "acc-9"},
		{"row 3 Email → Email", web, ct, "Email", `"jane@example.com"`, nil, "acc-9"},
		{"row 3 Email → Email", web, ld, "Email", `"jane@example.com"`, nil, "acc-9"},
		{"row 3 Email → Email", inbox, ct, "Email", `"jane@example.com"`, nil, "acc-9"},
		{"row 3 Email → Email", inbox, ld, "Email", `"jane@example.com"`, nil, "acc-9"},
		{"row 4 Phone|Cell Phone → Phone", web, ct, "Phone", `"+1 555 0100"`, nil, "acc-9"},
		{"row 4 Phone|Cell Phone → Phone", web, ld, "Phone", `"+1 555 0100"`, nil, "acc-9"},
		{"row 4 Phone|Cell Phone → Phone", inbox, ct, "Phone", `"+1 555 0199"`, nil, "acc-9"},
		{"row 4 Phone|Cell Phone → Phone", inbox, ld, "Phone", `"+1 555 0199"`, nil, "acc-9"},
		{"row 5 Company|Company Name → linked Account|Company", web, ct, "Account_Name", `{"id":"acc-9"}`, nil, "acc-9"},
		{"row 5 Company|Company Name → linked Account|Company", web, ct, "Company", ``, nil, "acc-9"},
		{"row 5 Company|Company Name → linked Account|Company", web, ld, "Company", `"Acme"`, nil, "acc-9"},
		{"row 5 Company|Company Name → linked Account|Company", web, ld, "Account_Name", ``, nil, "acc-9"},
		{"row 5 Company|Company Name → linked Account|Company", inbox, ct, "Account_Name", `{"id":"acc-9"}`, nil, "acc-9"},
		{"row 5 Company|Company Name → linked Account|Company", inbox, ct, "Company", ``, nil, "acc-9"},
		{"row 5 Company|Company Name → linked Account|Company", inbox, ld, "Company", `"Acme"`, nil, "acc-9"},
		{"row 5 Company|Company Name → linked Account|Company", inbox, ld, "Account_Name", ``, nil, "acc-9"},
		{"row 5 no Account identified → no link", web, ct, "Account_Name", ``, nil, ""},
		{"row 5 no Account identified → no link", inbox, ct, "Account_Name", ``, nil, ""},
		{"row 5 missing company → Lead Company Unknown", web, ld, "Company", `"Unknown"`, bare, ""},
		{"row 5 missing company → Lead Company Unknown", inbox, ld, "Company", `"Unknown"`, bare, ""},
	}
	for _, r := range rows {
		t.Run(r.name+"/"+string(r.section)+"/"+r.module, func(t *testing.T) {
			v := webVisitor
			if r.section == cloudcx.SectionInbox {
				v = inboxVisitor
			}
			if r.visitor != nil {
				v = *r.visitor
			}
			p, err := PersonFields(PersonInput{Settings: DefaultSettings(), Module: r.module, Section: r.section,
				Visitor: v, Owner: Owner{ID: "u-1"}, AccountID: r.accountID})
			if err != nil {
				t.Fatal(err)
			}
			raw, ok := p.Record.Raw(r.field)
			got := ""
			if ok {
				got = string(raw)
			}
			if got != r.want {
				t.Errorf("%s = %s, want %s", r.field, got, r.want)
			}
			if p.Module != r.module {
				t.Errorf("module %q", p.Module)
			}
		})
	}
}

func TestPersonRecordShape(t *testing.T) {
	p, err := PersonFields(PersonInput{Settings: DefaultSettings(), Section: cloudcx.SectionWebChat,
		Visitor: webVisitor, Owner: Owner{ID: "u-1", Name: "Agent"}, AccountID: "acc-9"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustJSON(t, p.Record), `{"Owner":{"id":"u-1"},"Last_Name":"Jane Doe","Email":"jane@example.com","Phone":"+1 555 0100","Account_Name":{"id":"acc-9"}}`; got != want {
		t.Errorf("record\n got %s\nwant %s", got, want)
	}
	if got, want := mustJSON(t, p.Values), `{"Last_Name":"Jane Doe","Email":"jane@example.com","Phone":"+1 555 0100","Account_Name":{"id":"acc-9"}}`; got != want {
		t.Errorf("values\n got %s\nwant %s", got, want)
	}
	if p.Module != ModuleContacts || len(p.Notes) != 0 {
		t.Errorf("module %q notes %v", p.Module, p.Notes)
	}
}

func TestPersonFallbacks(t *testing.T) {
	s := DefaultSettings()
	for _, tc := range []struct {
		name   string
		s      Settings
		module string
		in     PersonInput
		want   string
		values string
	}{
		{"bare lead", s, ModuleLeads, PersonInput{Visitor: cloudcx.Visitor{ID: "v-77"}},
			`{"Last_Name":"Visitor v-77","Company":"Unknown"}`, `{}`},
		{"bare contact, no account", s, ModuleContacts, PersonInput{Visitor: cloudcx.Visitor{ID: "v-77", Company: "Acme"}},
			`{"Last_Name":"Visitor v-77"}`, `{}`},
		{"configured fallbacks", func() Settings {
			c := s.Clone()
			c.Fallbacks = Fallbacks{LastName: "{channel} visitor {visitor_id} of {tenant_id}", Company: "{section} lead"}
			return c
		}(), ModuleLeads, PersonInput{Visitor: cloudcx.Visitor{ID: "v-1"}, TenantID: "acme", Channel: cloudcx.ChannelWhatsApp, Section: cloudcx.SectionInbox},
			`{"Last_Name":"WhatsApp visitor v-1 of acme","Company":"Inbox lead"}`, `{}`},
		{"fallback from the interaction", func() Settings {
			c := s.Clone()
			c.Fallbacks.LastName = "{tenant_id}/{channel}/{visitor_id}"
			return c
		}(), ModuleContacts, PersonInput{Visitor: cloudcx.Visitor{ID: "v-1"}, TenantID: "ignored",
			Interaction: &cloudcx.Chat{Thread: cloudcx.Thread{TenantID: "t-9", Channel: cloudcx.ChannelOfflineMessage}}},
			`{"Last_Name":"t-9/Offline Message/v-1"}`, `{}`},
		{"braces in the visitor id are not expanded", s, ModuleLeads, PersonInput{Visitor: cloudcx.Visitor{ID: "{tenant_id}"}},
			`{"Last_Name":"Visitor {tenant_id}","Company":"Unknown"}`, `{}`},
		{"whitespace-only values are missing", s, ModuleLeads, PersonInput{Visitor: cloudcx.Visitor{ID: "v", Name: " \t\n", Company: "  ", Email: " ", Phone: "\u200b"}},
			`{"Last_Name":"Visitor v","Company":"Unknown"}`, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Settings, in.Module = tc.s, tc.module
			p, err := PersonFields(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := mustJSON(t, p.Record); got != tc.want {
				t.Errorf("record\n got %s\nwant %s", got, tc.want)
			}
			if got := mustJSON(t, p.Values); got != tc.values {
				t.Errorf("values\n got %s\nwant %s", got, tc.values)
			}
		})
	}
}

func TestPersonModuleFromSettings(t *testing.T) {
	s := DefaultSettings()
	s.Sections.Inbox.Action = Sales
	p, err := PersonFields(PersonInput{Settings: s, Section: cloudcx.SectionInbox, Visitor: inboxVisitor})
	if err != nil || p.Module != ModuleLeads {
		t.Errorf("inbox sales: %q %v", p.Module, err)
	}
	s.Sections.Inbox.Action = Off
	if _, err := PersonFields(PersonInput{Settings: s, Section: cloudcx.SectionInbox, Visitor: inboxVisitor}); err == nil {
		t.Error("section off: no error")
	}
	if _, err := PersonFields(PersonInput{Settings: s, Module: "Deals"}); err == nil || !strings.Contains(err.Error(), `"Deals"`) {
		t.Errorf("Deals: %v", err)
	}
}

func TestPersonEmailChecks(t *testing.T) {
	for _, tc := range []struct {
		email, want, note string
	}{
		{" jane@example.com ", `"jane@example.com"`, ""},
		{"jane at example dot com", "", "not an address"},
		{"jane@example.com, bob@example.com", "", "not an address"},
		{strings.Repeat("a", 95) + "@example.com", "", "longer than the field's 100 characters"},
	} {
		p, err := PersonFields(PersonInput{Settings: DefaultSettings(), Module: ModuleLeads, Visitor: cloudcx.Visitor{ID: "v", Email: tc.email}})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := p.Record.Raw("Email")
		if string(raw) != tc.want {
			t.Errorf("%q: Email = %s, want %s", tc.email, raw, tc.want)
		}
		notes := strings.Join(p.Notes, "; ")
		if tc.note == "" && notes != "" || !strings.Contains(notes, tc.note) {
			t.Errorf("%q: notes %q, want %q", tc.email, notes, tc.note)
		}
		if strings.Contains(notes, "example") {
			t.Errorf("notes leak the address: %q", notes)
		}
	}
}

func TestPersonLengthsAndHostileText(t *testing.T) {
	long := strings.Repeat("é", 79) + "👩‍💻" + "tail"
	v := cloudcx.Visitor{
		ID:      "v",
		Name:    "  Jane\n\tDoe\u202e evil \x00 " + long,
		Phone:   strings.Repeat("9", 40),
		Company: strings.Repeat("Ω", 120),
	}
	p, err := PersonFields(PersonInput{Settings: DefaultSettings(), Module: ModuleLeads, Visitor: v,
		Fields: crm.NewFieldSet(ModuleLeads, []crm.Field{{APIName: "Company", Length: 50}, {APIName: "Phone" /* no length: default */}})})
	if err != nil {
		t.Fatal(err)
	}
	for field, max := range map[string]int{"Last_Name": LenLastName, "Phone": LenPhone, "Company": 50} {
		s := p.Record.Text(field)
		if n := crm.UTF16Len(s); n > max || n == 0 {
			t.Errorf("%s has %d units (max %d): %q", field, n, max, s)
		}
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\t\x00\u202e") {
			t.Errorf("%s not clean: %q", field, s)
		}
	}
	if got := p.Record.Text("Last_Name"); !strings.HasPrefix(got, "Jane Doe evil é") {
		t.Errorf("Last_Name = %q", got)
	}
	if len(p.Notes) != 3 {
		t.Errorf("notes = %q", p.Notes)
	}
	// The org's metadata may allow more than Zoho's defaults.
	p, _ = PersonFields(PersonInput{Settings: DefaultSettings(), Module: ModuleLeads, Visitor: cloudcx.Visitor{Company: strings.Repeat("x", 150)},
		Fields: crm.NewFieldSet(ModuleLeads, []crm.Field{{APIName: "Company", Length: 200}})})
	if n := len(p.Record.Text("Company")); n != 150 {
		t.Errorf("Company cut to %d with a 200 limit", n)
	}
}

func TestPersonExtraMappings(t *testing.T) {
	s := DefaultSettings()
	s.ExtraMappings = []ExtraMapping{
		{Module: ModuleLeads, CloudCXField: "variable:plan", ZohoField: "Plan__c"},
		{Module: ModuleLeads, CloudCXField: "custom:Order", ZohoField: "Order__c"},
		{Module: ModuleLeads, CloudCXField: "custom:missing", ZohoField: "Missing__c"},
		{Module: ModuleContacts, CloudCXField: "variable:plan", ZohoField: "Contact_Plan"},
		{Module: ModuleLeads, CloudCXField: FieldVisitorID, ZohoField: "CX_Visitor_ID"},
		{Module: ModuleLeads, CloudCXField: FieldCompany, ZohoField: "Company"}, // reserved: ignored
	}
	v := cloudcx.Visitor{ID: "v-5", Name: "Jane", Company: "Acme",
		CustomVariables: cloudcx.Fields{{Name: "plan", Value: "visitor-plan"}},
		CustomFields:    cloudcx.Fields{{Name: "order", Value: "visitor-order"}}}
	chat := &cloudcx.Chat{Thread: cloudcx.Thread{CustomVariables: cloudcx.Fields{{Name: "Plan", Value: " chat-plan "}}}}
	p, err := PersonFields(PersonInput{Settings: s, Module: ModuleLeads, Visitor: v, Interaction: chat})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Last_Name":"Jane","Company":"Acme","Plan__c":"chat-plan","Order__c":"visitor-order","CX_Visitor_ID":"v-5"}`
	if got := mustJSON(t, p.Record); got != want {
		t.Errorf("record\n got %s\nwant %s", got, want)
	}
}

// TestPersonFallbackNeverEmpty: a valid fallback template can expand to nothing (only
// placeholders whose values are missing, or only control characters); Zoho would refuse the
// record without Last_Name (and a Lead without Company), so the built-in fallback is used.
func TestPersonFallbackNeverEmpty(t *testing.T) {
	s := DefaultSettings()
	s.Fallbacks = Fallbacks{LastName: "{visitor_id}", Company: "{tenant_id}{channel}"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, v := range []cloudcx.Visitor{{}, {ID: " \x00\u202e "}} {
		p, err := PersonFields(PersonInput{Settings: s, Module: ModuleLeads, Visitor: v})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := mustJSON(t, p.Record), `{"Last_Name":"Visitor","Company":"Unknown"}`; got != want {
			t.Errorf("visitor %+v: record %s, want %s", v, got, want)
		}
	}
	// The subject's {visitor_name} of a visitor with nothing uses the same fallback.
	c := shortChat()
	c.Visitor = cloudcx.Visitor{}
	s.Templates.CaseSubject = "{visitor_name}"
	r, err := RenderCase(RenderInput{Interaction: c, Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Visitor "+r.Marker {
		t.Errorf("subject %q", r.Subject)
	}
}

// Issue 12 item 12: a name made only of invisible characters (format characters, joiners, soft
// hyphens) is no name: the person gets the "Visitor …" fallback, not an invisible Last_Name.
func TestPersonInvisibleNameGetsTheFallback(t *testing.T) {
	for _, name := range []string{"\u200b", "\u200e\u200e", "\u200d", "\u2060", "\u2063", "\u00ad", "\u200b \u200d\u2060\u00ad"} {
		v := cloudcx.Visitor{ID: "v-9", Name: name, Email: "x@example.com"}
		p, err := PersonFields(PersonInput{Settings: DefaultSettings(), Module: ModuleContacts, Section: cloudcx.SectionWebChat, Visitor: v, TenantID: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Record.Text("Last_Name"); got != "Visitor v-9" {
			t.Errorf("name %+q: Last_Name %+q, want the fallback", name, got)
		}
	}
	if got := cloudcx.OneLine("Jane\u200bDoe \U0001F469\u200d\U0001F4BB"); got != "JaneDoe \U0001F469\u200d\U0001F4BB" {
		t.Errorf("OneLine dropped a joiner an emoji needs, or kept a zero width space: %+q", got)
	}
}

// A visitor's text can never pass for a person marker: not in the record to insert, not in the
// values an update sends (a mapped Description), not in an agent's overrides.
func TestPersonValuesCannotForgeAMarker(t *testing.T) {
	victim := PersonMarker(SourceKey{TenantID: "t1", Section: cloudcx.SectionWebChat, ID: "Contacts:visitor:web_chat:v-victim"})
	set := DefaultSettings()
	set.ExtraMappings = []ExtraMapping{{Module: ModuleContacts, CloudCXField: PrefixCustom + "about", ZohoField: "Description"}}
	in := PersonInput{Settings: set, Module: ModuleContacts, Section: cloudcx.SectionWebChat,
		Visitor: cloudcx.Visitor{ID: "v-forger", Name: "Mallory " + victim, CustomFields: cloudcx.Fields{{Name: "about", Value: "hi " + victim}}},
		Marker:  PersonMarker(SourceKey{TenantID: "t1", Section: cloudcx.SectionWebChat, ID: "Contacts:visitor:web_chat:v-forger"})}
	for _, overrides := range []map[string]string{nil, {"Description": "see " + victim}} {
		in.Overrides = overrides
		p, err := PersonFields(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*crm.Record{p.Values, p.Record} {
			for _, k := range r.Keys() {
				if strings.Contains(r.Text(k), victim) {
					t.Errorf("%s = %q carries the victim's marker", k, r.Text(k))
				}
			}
		}
		if !EndsWithMarker(p.Record.Text("Description"), in.Marker) {
			t.Errorf("the record's Description %q does not end with its own marker", p.Record.Text("Description"))
		}
	}
}
