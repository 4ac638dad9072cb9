package rules

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's time-zone database

	"github.com/cloudcx/cxzoho/cloudcx"
)

func TestDefaultSettingsValid(t *testing.T) {
	s := DefaultSettings()
	if err := s.Validate(); err != nil {
		t.Fatalf("default settings invalid: %v", err)
	}
	if got := s.Action(cloudcx.SectionWebChat); got != Support {
		t.Errorf("web chat action = %q", got)
	}
	if got := s.Action(cloudcx.SectionInbox); got != Support {
		t.Errorf("inbox action = %q", got)
	}
	if got := s.Action("nope"); got != Off {
		t.Errorf("unknown section action = %q", got)
	}
	if s.UpdatePolicy.For(ModuleContacts) != FillEmpty || s.UpdatePolicy.For(ModuleLeads) != FillEmpty || s.UpdatePolicy.For("Deals") != Never {
		t.Errorf("policies = %+v", s.UpdatePolicy)
	}
	if n := len(s.Identification.For(ModuleContacts)); n != 2 {
		t.Errorf("contact rules = %d", n)
	}
	if s.Identification.For("Deals") != nil {
		t.Error("rules for an unknown module")
	}
}

func TestActionModules(t *testing.T) {
	for _, tc := range []struct {
		a              Action
		person, interx string
	}{
		{Sales, ModuleLeads, ModuleTasks},
		{Support, ModuleContacts, ModuleCases},
		{Off, "", ""},
		{"bogus", "", ""},
	} {
		if got := tc.a.PersonModule(); got != tc.person {
			t.Errorf("%s.PersonModule() = %q", tc.a, got)
		}
		if got := tc.a.InteractionModule(); got != tc.interx {
			t.Errorf("%s.InteractionModule() = %q", tc.a, got)
		}
	}
}

func TestSettingsJSONRoundTrip(t *testing.T) {
	s := DefaultSettings()
	s.Mode = Manual
	s.Sections.WebChat.Action = Sales
	s.UpdatePolicy.Lead = Overwrite
	s.ExtraMappings = append(s.ExtraMappings, ExtraMapping{Module: ModuleLeads, CloudCXField: "variable:Plan", ZohoField: "Plan__c"})
	s.Case.OriginByChannel = map[string]string{"whatsapp": "WhatsApp"}
	s.TimeZone = "Europe/Paris"
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"version":2,"mode":"manual",`) {
		t.Errorf("JSON starts %s", data[:40])
	}
	got, err := ParseSettings(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
	// Through UnmarshalJSON too (settings embedded in a host struct).
	var host struct {
		Settings Settings `json:"settings"`
	}
	if err := json.Unmarshal([]byte(`{"settings":`+string(data)+`}`), &host); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(host.Settings, s) {
		t.Error("embedded round trip differs")
	}
}

func TestParseSettingsMissingKeysKeepDefaults(t *testing.T) {
	got, err := ParseSettings([]byte(`{"version":1,"sections":{"web_chat":{"action":"sales"}},
		"identification":{"contact":[{"conditions":[{"cloudcx_field":"phone","zoho_fields":["Mobile"]}]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultSettings()
	want.Sections.WebChat.Action = Sales
	want.Identification.Contact = []Rule{{Conditions: []Condition{{CloudCXField: FieldPhone, ZohoFields: []string{"Mobile"}}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// An explicitly empty list stays empty: the tenant removed every rule.
	got, err = ParseSettings([]byte(`{"version":1,"identification":{"account":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Identification.Account) != 0 || len(got.Identification.Lead) != 2 {
		t.Errorf("identification = %+v", got.Identification)
	}
}

func TestParseSettingsVersions(t *testing.T) {
	for _, tc := range []struct {
		doc     string
		version int // VersionError expected when >= 0
		substr  string
	}{
		{`{"mode":"automatic"}`, 0, "not a valid version"},
		{`{"version":0}`, 0, "not a valid version"},
		{`{"version":3}`, 3, "newer than this SDK"},
		{`{"version":99,"mode":"whatever"}`, 99, "upgrade the SDK"},
		{`{"version":"1"}`, -1, "not an integer"},
		{`[1]`, -1, "rules: settings"},
		{`{"version":1,"mode":7}`, -1, "mode"},
		{`not json`, -1, "rules: settings"},
	} {
		_, err := ParseSettings([]byte(tc.doc))
		if err == nil {
			t.Errorf("%s: no error", tc.doc)
			continue
		}
		if !strings.Contains(err.Error(), tc.substr) {
			t.Errorf("%s: error %q lacks %q", tc.doc, err, tc.substr)
		}
		var ve *VersionError
		if tc.version >= 0 {
			if !errors.As(err, &ve) || ve.Version != tc.version {
				t.Errorf("%s: error %v is not VersionError{%d}", tc.doc, err, tc.version)
			}
		} else if errors.As(err, &ve) {
			t.Errorf("%s: unexpected VersionError", tc.doc)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	s := DefaultSettings()
	s.Mode = "sometimes"
	s.Sections.Inbox.Action = "sell"
	s.UpdatePolicy.Contact = "merge"
	s.Identification.Contact = append(s.Identification.Contact,
		Rule{Conditions: []Condition{{CloudCXField: "foo", ZohoFields: []string{"Email"}}, {CloudCXField: "custom:", ZohoFields: nil}}},
		Rule{},
		Rule{Conditions: []Condition{{CloudCXField: "email", ZohoFields: []string{"E mail", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J"}}}},
	)
	s.ExtraMappings = []ExtraMapping{
		{Module: "Deals", CloudCXField: "variable:x", ZohoField: "X"},
		{Module: ModuleCases, CloudCXField: "company", ZohoField: "Subject"},
		{Module: ModuleLeads, CloudCXField: "variable:a", ZohoField: "Plan"},
		{Module: ModuleLeads, CloudCXField: "variable:b", ZohoField: "Plan"},
	}
	s.Templates.CaseSubject = "{chanel} {tenant_id"
	s.Templates.TaskSubject = " "
	s.Fallbacks.LastName = "Visitor {visitor_name}"
	s.Case.Status = ""
	s.Case.OriginByChannel = map[string]string{"sms": "Text\nMessage"}
	s.TimeZone = "Mars/Olympus Mons"
	s.Creation.RequireIdentity = "passport"

	err := s.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v, want *ValidationError", err)
	}
	want := []string{
		`mode: must be "automatic" or "manual", not "sometimes"`,
		`sections.inbox.action: must be "sales", "support" or "off", not "sell"`,
		`update_policy.contact: must be "never", "overwrite" or "fill_empty", not "merge"`,
		`identification.contact[2].conditions[0].cloudcx_field: unknown field "foo" (known: name, first_name, last_name, email, phone, company, visitor_id, contact_id, custom:<name>, variable:<name>)`,
		`identification.contact[2].conditions[1].cloudcx_field: "custom:" names no custom`,
		`identification.contact[2].conditions[1].zoho_fields: name at least one Zoho field`,
		`identification.contact[3].conditions: a rule needs at least one condition`,
		`identification.contact[4].conditions[0].zoho_fields[0]: "E mail" is not a Zoho field API name`,
		`identification.contact[4].conditions: 11 Zoho fields in one rule; Zoho searches at most 10 conditions at once`,
		`extra_mappings[0].module: must be "Leads", "Contacts", "Cases" or "Tasks", not "Deals"`,
		`extra_mappings[1].zoho_field: Cases.Subject is written by the integration itself`,
		`extra_mappings[3].zoho_field: Leads.Plan is already mapped by extra_mappings[2]`,
		`templates.case_subject: unknown placeholder {chanel}`,
		`templates.case_subject: unclosed "{" at byte 9 (write {{ for a literal brace)`,
		`templates.task_subject: must not be empty`,
		`fallbacks.last_name: unknown placeholder {visitor_name}`,
		`case.status: must not be empty: Zoho requires the field`,
		`case.origin_by_channel.sms: must be a non-empty value without control characters`,
		`time_zone: "Mars/Olympus Mons" is not an IANA time zone name`,
		`creation.require_identity: must be "none", "email", "phone" or "email_or_phone", not "passport"`,
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.String())
	}
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range min(len(got), len(want)) {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	if !strings.HasPrefix(err.Error(), "rules: invalid settings (20 problems): mode: ") {
		t.Errorf("Error() = %.80s", err.Error())
	}
}

func TestValidateOneProblemMessage(t *testing.T) {
	s := DefaultSettings()
	s.TimeZone = ""
	err := s.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "rules: invalid settings: time_zone: ") {
		t.Errorf("Validate() = %v", err)
	}
}

func TestCloneIsDeep(t *testing.T) {
	s := DefaultSettings()
	s.Case.OriginByChannel = map[string]string{"sms": "SMS"}
	s.ExtraMappings = []ExtraMapping{{Module: ModuleLeads, CloudCXField: "company", ZohoField: "X"}}
	c := s.Clone()
	c.Identification.Contact[0].Conditions[0].ZohoFields[0] = "Changed"
	c.Case.OriginByChannel["sms"] = "Changed"
	c.ExtraMappings[0].ZohoField = "Changed"
	if !reflect.DeepEqual(s.Identification, DefaultSettings().Identification) || s.Case.OriginByChannel["sms"] != "SMS" || s.ExtraMappings[0].ZohoField != "X" {
		t.Error("Clone shares memory with the original")
	}
	// DefaultSettings never shares memory between calls either.
	d := DefaultSettings()
	d.Identification.Lead[0].Conditions[0].ZohoFields[0] = "Changed"
	if DefaultSettings().Identification.Lead[0].Conditions[0].ZohoFields[0] != "Email" {
		t.Error("DefaultSettings shares memory")
	}
}

// TestValidateTimeZone: Validate reads no time-zone database; it checks the shape of an IANA
// name, and refuses "Local" (the server's zone) and path tricks.
func TestValidateTimeZone(t *testing.T) {
	for zone, ok := range map[string]bool{
		"UTC": true, "Europe/Paris": true, "America/Argentina/Buenos_Aires": true, "Etc/GMT+5": true,
		"Etc/GMT-14": true, "America/Port-au-Prince": true, "EST5EDT": true, "Asia/Kolkata": true,
		"": false, "Local": false, "../../etc/passwd": false, "/etc/localtime": false, "Europe/": false,
		"Europe//Paris": false, "Europe/./Paris": false, "Europe Paris": false, "Europe/Paris\n": false,
		"Europe/Парис": false, "5Europe/Paris": false, strings.Repeat("A", 65): false,
	} {
		s := DefaultSettings()
		s.TimeZone = zone
		err := s.Validate()
		if (err == nil) != ok {
			t.Errorf("TimeZone %q: Validate() = %v", zone, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "time_zone: ")) {
			t.Errorf("TimeZone %q: problem not named time_zone: %v", zone, err)
		}
		if ok {
			// Every well-formed name Validate accepts here is one time.LoadLocation knows.
			if _, err := time.LoadLocation(zone); err != nil {
				t.Errorf("%q: %v", zone, err)
			}
		}
	}
}

// TestRenderLocation: the zone comes resolved from the caller and must be the settings' zone;
// nil is UTC only when the settings say UTC.
func TestRenderLocation(t *testing.T) {
	c := &cloudcx.Chat{Thread: cloudcx.Thread{ID: "1", TenantID: "t", StartedAt: time.Date(2024, 5, 1, 21, 45, 0, 0, time.UTC)}}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		zone  string
		loc   *time.Location
		start string // "" when an error is expected
	}{
		{"", nil, "Start time: 2024-05-01 21:45:00 +00:00"},
		{"UTC", nil, "Start time: 2024-05-01 21:45:00 +00:00"},
		{"UTC", time.UTC, "Start time: 2024-05-01 21:45:00 +00:00"},
		{"", time.UTC, "Start time: 2024-05-01 21:45:00 +00:00"},
		{"Asia/Kolkata", kolkata, "Start time: 2024-05-02 03:15:00 +05:30"},
		{"Asia/Kolkata", nil, ""},
		{"Europe/Paris", kolkata, ""},
		{"UTC", kolkata, ""},
		{"Local", time.Local, "Start time: "}, // Validate refuses "Local"; rendering does what it is told
	} {
		s := DefaultSettings()
		s.TimeZone = tc.zone
		r, err := RenderCase(RenderInput{Interaction: c, Settings: s, Location: tc.loc})
		switch {
		case tc.start == "" && err == nil:
			t.Errorf("zone %q, location %v: no error", tc.zone, tc.loc)
		case tc.start == "":
			if !strings.HasPrefix(err.Error(), "rules: render: ") {
				t.Errorf("zone %q, location %v: error %q", tc.zone, tc.loc, err)
			}
		case err != nil:
			t.Errorf("zone %q, location %v: %v", tc.zone, tc.loc, err)
		case !strings.Contains(r.Description, "\n"+tc.start):
			t.Errorf("zone %q, location %v: description %q", tc.zone, tc.loc, r.Description)
		}
	}
}

func TestMayCreatePerson(t *testing.T) {
	email := cloudcx.Visitor{Email: "jane@example.com"}
	badEmail := cloudcx.Visitor{Email: "jane"}
	phone := cloudcx.Visitor{Phone: "+1 555 0100"}
	cell := cloudcx.Visitor{CellPhone: "+1 555 0100"}
	none := cloudcx.Visitor{Name: "Jane"}
	for _, tc := range []struct {
		id      Identity
		v       cloudcx.Visitor
		section cloudcx.Section
		want    bool
	}{
		{IdentityNone, none, cloudcx.SectionWebChat, true},
		{IdentityEmail, email, cloudcx.SectionWebChat, true},
		{IdentityEmail, badEmail, cloudcx.SectionWebChat, false},
		{IdentityEmail, phone, cloudcx.SectionWebChat, false},
		{IdentityPhone, phone, cloudcx.SectionWebChat, true},
		{IdentityPhone, cell, cloudcx.SectionWebChat, false},
		{IdentityPhone, cell, cloudcx.SectionInbox, true},
		{IdentityEmailOrPhone, email, cloudcx.SectionInbox, true},
		{IdentityEmailOrPhone, phone, cloudcx.SectionInbox, true},
		{IdentityEmailOrPhone, none, cloudcx.SectionInbox, false},
	} {
		s := DefaultSettings()
		s.Creation.RequireIdentity = tc.id
		ok, why := s.MayCreatePerson(tc.v, tc.section)
		if ok != tc.want || (ok == (why != "")) {
			t.Errorf("%s %+v %s: %v %q", tc.id, tc.v, tc.section, ok, why)
		}
	}
}

func TestMayRecord(t *testing.T) {
	human := []cloudcx.Agent{{ID: "a", Name: "Alice"}}
	bot := []cloudcx.Agent{{ID: "b", Name: "Ava", IsBot: true}}
	for _, tc := range []struct {
		name            string
		skipMissed, bot bool
		thread          cloudcx.Thread
		want            bool
	}{
		{"defaults record a missed chat", false, false, cloudcx.Thread{Status: cloudcx.StatusMissed}, true},
		{"missed skipped", true, false, cloudcx.Thread{Status: cloudcx.StatusMissed}, false},
		{"refused skipped", true, false, cloudcx.Thread{Status: cloudcx.StatusRefused}, false},
		{"offline message kept", true, true, cloudcx.Thread{Status: cloudcx.StatusOfflineMessage}, true},
		{"normal kept", true, true, cloudcx.Thread{Status: cloudcx.StatusNormal, Agents: human}, true},
		{"bot only skipped", false, true, cloudcx.Thread{Agents: bot}, false},
		{"bot message only skipped", false, true, cloudcx.Thread{Messages: []cloudcx.Message{{SenderKind: cloudcx.SenderBot}}}, false},
		{"bot then human kept", false, true, cloudcx.Thread{Agents: append(bot, human...)}, true},
		{"bot only kept by default", false, false, cloudcx.Thread{Agents: bot}, true},
	} {
		s := DefaultSettings()
		s.Creation.SkipMissed, s.Creation.SkipBotOnly = tc.skipMissed, tc.bot
		ok, why := s.MayRecord(&cloudcx.Chat{Thread: tc.thread})
		if ok != tc.want || (ok == (why != "")) {
			t.Errorf("%s: %v %q", tc.name, ok, why)
		}
	}
	if ok, _ := DefaultSettings().MayRecord(nil); ok {
		t.Error("nil interaction recorded")
	}
}

func FuzzParseSettings(f *testing.F) {
	def, _ := json.Marshal(DefaultSettings())
	f.Add(def)
	f.Add([]byte(`{"version":1,"identification":{"contact":null},"case":{"origin_by_channel":{"sms":"x"}}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"templates":{"case_subject":"{{{tenant_id}}}}"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSettings(data)
		if err != nil {
			return
		}
		_ = s.Validate() // never panics
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseSettings(again)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip differs:\n%+v\n%+v", s, s2)
		}
	})
}

// TestSettingsJSONRoundTripEveryField: settings where every field differs from the default
// survive Marshal → ParseSettings unchanged, and the JSON names every field.
func TestSettingsJSONRoundTripEveryField(t *testing.T) {
	s := Settings{
		Mode:         Manual,
		Sections:     Sections{WebChat: SectionSettings{Action: Sales}, Inbox: SectionSettings{Action: Off}},
		UpdatePolicy: UpdatePolicies{Contact: Overwrite, Lead: Never},
		Identification: Identification{
			Account: []Rule{{Conditions: []Condition{{CloudCXField: "custom:Account no", ZohoFields: []string{"Account_Number"}}}}},
			Contact: []Rule{{Conditions: []Condition{{CloudCXField: FieldLastName, ZohoFields: []string{"Last_Name"}}, {CloudCXField: FieldFirstName, ZohoFields: []string{"First_Name"}}}}},
			Lead:    []Rule{},
		},
		ExtraMappings: []ExtraMapping{{Module: ModuleTasks, CloudCXField: "variable:plan", ZohoField: "Plan__c"}},
		Templates:     Templates{CaseSubject: "{chat_id} {{literal}}", TaskSubject: "Task {visitor}"},
		Case:          CaseSettings{Status: "Open", OriginWebChat: "Live Chat", OriginByChannel: map[string]string{"whatsapp": "WhatsApp"}, OriginDefault: "Other"},
		Task:          TaskSettings{Status: "Not Started"},
		TimeZone:      "America/Argentina/Buenos_Aires",
		Fallbacks:     Fallbacks{LastName: "Guest {visitor_id}", Company: "n/a ({tenant_id})"},
		Creation:      Creation{RequireIdentity: IdentityEmailOrPhone, SkipMissed: true, SkipBotOnly: true},
		Display:       Display{Lead: []string{"Email"}, Contact: []string{}, Account: []string{"Account_Name", "Rating"}},
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	// Every top-level field differs from the default.
	def := reflect.ValueOf(DefaultSettings())
	for i := range def.NumField() {
		if reflect.DeepEqual(def.Field(i).Interface(), reflect.ValueOf(s).Field(i).Interface()) {
			t.Errorf("field %s is the default", def.Type().Field(i).Name)
		}
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"version":2`, `"display"`, `"mode"`, `"sections"`, `"update_policy"`, `"identification"`, `"lead":[]`, `"extra_mappings"`,
		`"templates"`, `"case"`, `"origin_by_channel"`, `"task"`, `"time_zone"`, `"fallbacks"`, `"creation"`, `"skip_bot_only":true`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}
	got, err := ParseSettings(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
}

// TestSettingsUnmarshalNull: like encoding/json itself, a JSON null leaves Settings unchanged
// (a host's stored record without settings yet), while ParseSettings still refuses it.
func TestSettingsUnmarshalNull(t *testing.T) {
	var host struct {
		Settings Settings  `json:"settings"`
		Ptr      *Settings `json:"ptr"`
	}
	host.Settings = DefaultSettings()
	if err := json.Unmarshal([]byte(`{"settings":null,"ptr":null}`), &host); err != nil {
		t.Fatalf("null settings: %v", err)
	}
	if !reflect.DeepEqual(host.Settings, DefaultSettings()) || host.Ptr != nil {
		t.Errorf("null changed the settings: %+v %v", host.Settings, host.Ptr)
	}
	var ve *VersionError
	if _, err := ParseSettings([]byte(`null`)); !errors.As(err, &ve) {
		t.Errorf("ParseSettings(null) = %v", err)
	}
}

// A version 1 document (saved before display fields existed) reads with the default display
// fields; a version 2 document keeps its own, an empty list included.
func TestSettingsVersion1ReadsDisplayDefaults(t *testing.T) {
	v1, err := ParseSettings([]byte(`{"version":1,"mode":"manual"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v1.Display, DefaultSettings().Display) || v1.Mode != Manual {
		t.Errorf("version 1: display %+v, mode %q", v1.Display, v1.Mode)
	}
	v2, err := ParseSettings([]byte(`{"version":2,"display":{"lead":["Email"],"contact":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Email"}; !reflect.DeepEqual(v2.Display.Lead, want) || len(v2.Display.Contact) != 0 ||
		!reflect.DeepEqual(v2.Display.Account, DefaultSettings().Display.Account) {
		t.Errorf("version 2: display %+v", v2.Display)
	}
	bad := DefaultSettings()
	bad.Display.Contact = append(bad.Display.Contact, "Bad Name")
	bad.Display.Lead = make([]string, MaxDisplayFields+1)
	for i := range bad.Display.Lead {
		bad.Display.Lead[i] = "Email"
	}
	var ve *ValidationError
	if err := bad.Validate(); !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Fatalf("Validate = %v, want two display problems", err)
	}
	c := DefaultSettings()
	d := c.Clone()
	d.Display.Lead[0] = "changed"
	if c.Display.Lead[0] == "changed" {
		t.Error("Clone shares display lists")
	}
}
