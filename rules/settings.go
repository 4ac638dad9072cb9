package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// SettingsVersion is the version of the Settings JSON this package writes. [ParseSettings] reads
// this version and every older one.
const SettingsVersion = 2

// Mode says whether records are created on events (automatic) or only when an agent asks in
// the Agent Console (manual).
type Mode string

// The modes.
const (
	Automatic Mode = "automatic"
	Manual    Mode = "manual"
)

// Action is what a section (Web Chat, Inbox) does with its visitors and chats.
type Action string

// The actions.
const (
	// Sales: visitor → Lead, each chat or conversation → Task.
	Sales Action = "sales"
	// Support: visitor → Contact, each chat or conversation → Case.
	Support Action = "support"
	// Off: nothing is written for the section.
	Off Action = "off"
)

// PersonModule is the Zoho module of the person the action writes: "Leads" for Sales,
// "Contacts" for Support, "" for Off.
func (a Action) PersonModule() string {
	switch a {
	case Sales:
		return ModuleLeads
	case Support:
		return ModuleContacts
	}
	return ""
}

// InteractionModule is the Zoho module a chat or conversation becomes: "Tasks" for Sales,
// "Cases" for Support, "" for Off.
func (a Action) InteractionModule() string {
	switch a {
	case Sales:
		return ModuleTasks
	case Support:
		return ModuleCases
	}
	return ""
}

// UpdatePolicy is what happens to a Zoho person found by the identification rules.
type UpdatePolicy string

// The update policies.
const (
	// Never: the found record is used as it is.
	Never UpdatePolicy = "never"
	// Overwrite: every mapped field CloudCX has a value for is written; a Zoho value is never
	// blanked because CloudCX has none.
	Overwrite UpdatePolicy = "overwrite"
	// FillEmpty: only mapped fields that are empty in Zoho are written.
	FillEmpty UpdatePolicy = "fill_empty"
)

// Identity is the least a visitor must have before a person is created for them.
type Identity string

// The identity requirements.
const (
	// IdentityNone: a person is created for every visitor (the seed's behaviour).
	IdentityNone Identity = "none"
	// IdentityEmail: only visitors with an email address.
	IdentityEmail Identity = "email"
	// IdentityPhone: only visitors with a phone number.
	IdentityPhone Identity = "phone"
	// IdentityEmailOrPhone: only visitors with an email address or a phone number.
	IdentityEmailOrPhone Identity = "email_or_phone"
)

// Zoho module API names used by the rules.
const (
	ModuleLeads    = "Leads"
	ModuleContacts = "Contacts"
	ModuleAccounts = "Accounts"
	ModuleCases    = "Cases"
	ModuleTasks    = "Tasks"
)

// Settings are one tenant's choices. The zero value is not useful: start from
// [DefaultSettings] and change what the tenant changed. Settings travel as JSON (snake_case, with
// a "version" field; see [ParseSettings]) and are checked with [Settings.Validate].
type Settings struct {
	// Mode is automatic or manual.
	Mode Mode `json:"mode"`
	// Sections holds the action of each section.
	Sections Sections `json:"sections"`
	// UpdatePolicy holds what happens to a found Contact and a found Lead.
	UpdatePolicy UpdatePolicies `json:"update_policy"`
	// Identification holds the rules that find an existing Account, Contact and Lead.
	Identification Identification `json:"identification"`
	// ExtraMappings copy more CloudCX values into Zoho fields, on top of the default mapping.
	ExtraMappings []ExtraMapping `json:"extra_mappings"`
	// Templates holds the Case and Task subject templates.
	Templates Templates `json:"templates"`
	// Case holds the defaults of a new Case.
	Case CaseSettings `json:"case"`
	// Task holds the defaults of a new Task.
	Task TaskSettings `json:"task"`
	// TimeZone is the tenant's IANA time zone ("Europe/Paris"), used for every time written into
	// Zoho text and for a Task's due date. This package reads no time-zone database: the caller
	// resolves the name (time.LoadLocation) and passes the result as [RenderInput.Location].
	TimeZone string `json:"time_zone"`
	// Fallbacks are the values of Zoho's mandatory person fields when CloudCX has none.
	Fallbacks Fallbacks `json:"fallbacks"`
	// Creation limits which visitors and chats create records.
	Creation Creation `json:"creation"`
	// Display lists the Zoho fields the Agent Console shows for a found record (version 2;
	// version 1 documents read with [DefaultSettings]' lists).
	Display Display `json:"display"`
}

// Display lists, per module, the Zoho fields (API names, in order) the Agent Console shows for a
// record the identification rules found.
type Display struct {
	Lead    []string `json:"lead"`
	Contact []string `json:"contact"`
	Account []string `json:"account"`
}

// For returns the display fields of a module ("Leads", "Contacts" or "Accounts").
func (d Display) For(module string) []string {
	switch module {
	case ModuleLeads:
		return d.Lead
	case ModuleContacts:
		return d.Contact
	case ModuleAccounts:
		return d.Account
	}
	return nil
}

// MaxDisplayFields bounds each module's display list.
const MaxDisplayFields = 20

// Sections holds the action of each CloudCX section.
type Sections struct {
	// WebChat covers Web Chat chats and offline messages.
	WebChat SectionSettings `json:"web_chat"`
	// Inbox covers Inbox conversations (email, SMS, WhatsApp, …).
	Inbox SectionSettings `json:"inbox"`
}

// SectionSettings is one section's choice.
type SectionSettings struct {
	// Action is sales, support or off.
	Action Action `json:"action"`
}

// Action returns the action of a section; Off for an unknown section.
func (s Settings) Action(section cloudcx.Section) Action {
	switch section {
	case cloudcx.SectionWebChat:
		return s.Sections.WebChat.Action
	case cloudcx.SectionInbox:
		return s.Sections.Inbox.Action
	}
	return Off
}

// UpdatePolicies holds the update policy per person module.
type UpdatePolicies struct {
	Contact UpdatePolicy `json:"contact"`
	Lead    UpdatePolicy `json:"lead"`
}

// For returns the policy of a person module ("Contacts" or "Leads"); Never for any other.
func (p UpdatePolicies) For(module string) UpdatePolicy {
	switch module {
	case ModuleContacts:
		return p.Contact
	case ModuleLeads:
		return p.Lead
	}
	return Never
}

// Identification holds the ordered identification rules of each module. Rules are tried in
// order; the first that finds any record wins.
type Identification struct {
	Account []Rule `json:"account"`
	Contact []Rule `json:"contact"`
	Lead    []Rule `json:"lead"`
}

// For returns the rules of a module ("Accounts", "Contacts" or "Leads").
func (id Identification) For(module string) []Rule {
	switch module {
	case ModuleAccounts:
		return id.Account
	case ModuleContacts:
		return id.Contact
	case ModuleLeads:
		return id.Lead
	}
	return nil
}

// A Rule holds when all of its conditions hold.
type Rule struct {
	Conditions []Condition `json:"conditions"`
}

// A Condition holds when the CloudCX field's value equals the value of one of the Zoho fields
// (usually one; the default phone rule names "Phone" and "Mobile"). Emails compare
// case-insensitively, phones by their digits, other text exactly after trimming.
type Condition struct {
	// CloudCXField is one of [CloudCXFields], or "custom:<name>" / "variable:<name>".
	CloudCXField string `json:"cloudcx_field"`
	// ZohoFields are Zoho field API names of the module searched.
	ZohoFields []string `json:"zoho_fields"`
}

// ExtraMapping copies one CloudCX value into a Zoho field of one module.
type ExtraMapping struct {
	// Module is "Leads", "Contacts", "Cases" or "Tasks".
	Module string `json:"module"`
	// CloudCXField is one of [CloudCXFields], or "custom:<name>" / "variable:<name>".
	CloudCXField string `json:"cloudcx_field"`
	// ZohoField is the API name of the Zoho field written. Fields the integration itself
	// manages (Owner, Subject, Description, links…) cannot be targets.
	ZohoField string `json:"zoho_field"`
}

// Templates holds the subject templates. See [SubjectPlaceholders]. A fixed marker
// ([Marker]) is always appended after the expanded template.
type Templates struct {
	CaseSubject string `json:"case_subject"`
	TaskSubject string `json:"task_subject"`
}

// CaseSettings holds the values of a new Case.
type CaseSettings struct {
	// Status is the Case's Status picklist value (Zoho requires one).
	Status string `json:"status"`
	// OriginWebChat is Case_Origin for a Web Chat chat or offline message.
	OriginWebChat string `json:"origin_web_chat"`
	// OriginByChannel maps an Inbox channel (see cloudcx channels, e.g. "email", "sms") to a
	// Case_Origin value. Channels not listed use the built-in table (email → Email; phone and
	// sms → Phone), then OriginDefault.
	OriginByChannel map[string]string `json:"origin_by_channel,omitempty"`
	// OriginDefault is Case_Origin for any other Inbox channel.
	OriginDefault string `json:"origin_default"`
}

// TaskSettings holds the values of a new Task.
type TaskSettings struct {
	// Status is the Task's Status picklist value.
	Status string `json:"status"`
}

// Fallbacks are templates (with [FallbackPlaceholders]) for Zoho's mandatory person fields. A
// template that expands to nothing (say "{visitor_id}" for a visitor without an id) gives
// "Visitor" (Last_Name) or "Unknown" (Company): Zoho refuses a record without them.
type Fallbacks struct {
	// LastName is used when the visitor has no name.
	LastName string `json:"last_name"`
	// Company is a Lead's Company when the visitor has none.
	Company string `json:"company"`
}

// Creation limits which visitors and chats create records. The zero value creates everything.
type Creation struct {
	// RequireIdentity is the least a visitor must have for a person to be created. A visitor
	// below it is still looked up, and a found person is still used.
	RequireIdentity Identity `json:"require_identity"`
	// SkipMissed: missed or refused chats create no Case or Task.
	SkipMissed bool `json:"skip_missed"`
	// SkipBotOnly: chats that only a bot answered create no Case or Task.
	SkipBotOnly bool `json:"skip_bot_only"`
}

// MayCreatePerson reports whether a person may be created for the visitor under
// Creation.RequireIdentity, and if not, why. Emails must look like an address and phones have
// at least [MinPhoneDigits] digits to count; section picks the phone as in [Identify].
func (s Settings) MayCreatePerson(v cloudcx.Visitor, section cloudcx.Section) (bool, string) {
	hasEmail := looksLikeEmail(strings.TrimSpace(v.Email))
	hasPhone := len(phoneDigits(v.PhoneFor(section))) >= MinPhoneDigits
	switch s.Creation.RequireIdentity {
	case IdentityEmail:
		if !hasEmail {
			return false, "the visitor has no email address, which the settings require to create a person"
		}
	case IdentityPhone:
		if !hasPhone {
			return false, "the visitor has no phone number, which the settings require to create a person"
		}
	case IdentityEmailOrPhone:
		if !hasEmail && !hasPhone {
			return false, "the visitor has neither an email address nor a phone number, one of which the settings require to create a person"
		}
	}
	return true, ""
}

// MayRecord reports whether a Case or Task may be created for the chat or conversation under
// Creation.SkipMissed and Creation.SkipBotOnly, and if not, why. Offline messages are never
// skipped as missed.
func (s Settings) MayRecord(i cloudcx.Interaction) (bool, string) {
	i, t := threadOf(i)
	if i == nil {
		return false, "no chat or conversation"
	}
	if s.Creation.SkipMissed && (t.Status == cloudcx.StatusMissed || t.Status == cloudcx.StatusRefused) {
		return false, fmt.Sprintf("the chat was %s, and the settings skip missed chats", t.Status)
	}
	if s.Creation.SkipBotOnly {
		if _, human := i.LastAgent(); !human && botTookPart(t) {
			return false, "only a bot answered, and the settings skip bot-only chats"
		}
	}
	return true, ""
}

// botTookPart reports whether a bot is listed among the agents or sent a message.
func botTookPart(t *cloudcx.Thread) bool {
	for _, a := range t.Agents {
		if a.IsBot {
			return true
		}
	}
	for _, m := range t.Messages {
		if m.SenderKind == cloudcx.SenderBot {
			return true
		}
	}
	return false
}

// The default subject templates: the channel and the tenant (the guide's Case subject), and for
// a Task also the visitor's name and email (the guide's Task subject).
const (
	DefaultCaseSubject = "CloudCX {channel} - {visitor_name} ({tenant_id})"
	DefaultTaskSubject = "CloudCX {channel} - {visitor} ({tenant_id})"
)

// DefaultSettings returns the settings that reproduce the product guide:
//
//   - automatic mode; Web Chat and Inbox both Support (visitor → Contact, chat → Case). The guide
//     leaves the section defaults open; Support is the configuration it describes in most detail.
//   - a found Contact or Lead is filled where empty ("only add new information"), never overwritten;
//   - Contacts and Leads are identified by email, then by phone (digits, Phone or Mobile);
//     Accounts by company name (Account_Name);
//   - Case: Status "New", Case_Origin "Chat" for Web Chat, by channel for Inbox, "Web" otherwise;
//     Task: Status "Completed";
//   - subjects [DefaultCaseSubject] and [DefaultTaskSubject], each followed by the marker;
//   - time zone UTC; Last_Name "Visitor <visitor id>", Company "Unknown";
//   - every visitor gets a person, every chat a Case or Task.
func DefaultSettings() Settings {
	phone := []Condition{{CloudCXField: FieldPhone, ZohoFields: []string{"Phone", "Mobile"}}}
	email := []Condition{{CloudCXField: FieldEmail, ZohoFields: []string{"Email"}}}
	return Settings{
		Mode: Automatic,
		Sections: Sections{
			WebChat: SectionSettings{Action: Support},
			Inbox:   SectionSettings{Action: Support},
		},
		UpdatePolicy: UpdatePolicies{Contact: FillEmpty, Lead: FillEmpty},
		Identification: Identification{
			Account: []Rule{{Conditions: []Condition{{CloudCXField: FieldCompany, ZohoFields: []string{"Account_Name"}}}}},
			Contact: []Rule{{Conditions: email}, {Conditions: phone}},
			Lead:    []Rule{{Conditions: cloneConditions(email)}, {Conditions: cloneConditions(phone)}},
		},
		ExtraMappings: []ExtraMapping{},
		Templates: Templates{
			CaseSubject: DefaultCaseSubject,
			TaskSubject: DefaultTaskSubject,
		},
		Case: CaseSettings{
			Status:        "New",
			OriginWebChat: "Chat",
			OriginDefault: "Web",
		},
		Task:     TaskSettings{Status: "Completed"},
		TimeZone: "UTC",
		Fallbacks: Fallbacks{
			LastName: "Visitor {visitor_id}",
			Company:  "Unknown",
		},
		Creation: Creation{RequireIdentity: IdentityNone},
		Display: Display{
			Lead:    []string{"First_Name", "Last_Name", "Email", "Phone", "Company", "Lead_Status"},
			Contact: []string{"First_Name", "Last_Name", "Email", "Phone", "Account_Name"},
			Account: []string{"Account_Name", "Phone", "Website"},
		},
	}
}

func cloneConditions(cs []Condition) []Condition {
	out := make([]Condition, len(cs))
	for i, c := range cs {
		out[i] = Condition{CloudCXField: c.CloudCXField, ZohoFields: append([]string(nil), c.ZohoFields...)}
	}
	return out
}

// Clone returns a deep copy: changing the copy's slices or maps leaves s alone.
func (s Settings) Clone() Settings {
	c := s
	cloneRules := func(rs []Rule) []Rule {
		if rs == nil {
			return nil
		}
		out := make([]Rule, len(rs))
		for i, r := range rs {
			out[i] = Rule{Conditions: cloneConditions(r.Conditions)}
		}
		return out
	}
	c.Identification = Identification{
		Account: cloneRules(s.Identification.Account),
		Contact: cloneRules(s.Identification.Contact),
		Lead:    cloneRules(s.Identification.Lead),
	}
	if s.ExtraMappings != nil {
		c.ExtraMappings = append([]ExtraMapping{}, s.ExtraMappings...)
	}
	c.Display = Display{
		Lead:    cloneStrings(s.Display.Lead),
		Contact: cloneStrings(s.Display.Contact),
		Account: cloneStrings(s.Display.Account),
	}
	if s.Case.OriginByChannel != nil {
		c.Case.OriginByChannel = make(map[string]string, len(s.Case.OriginByChannel))
		for k, v := range s.Case.OriginByChannel {
			c.Case.OriginByChannel[k] = v
		}
	}
	return c
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

// zoneName is TimeZone with "" read as "UTC".
func (s Settings) zoneName() string {
	if s.TimeZone == "" {
		return "UTC"
	}
	return s.TimeZone
}

// maxZoneName bounds a time-zone name; the longest IANA names have about 30 characters.
const maxZoneName = 64

// checkZoneName returns "" when name has the shape of an IANA time-zone name ("UTC",
// "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5"): parts separated by "/", each
// starting with an ASCII letter followed by letters, digits, '.', '_', '+' or '-'. "Local" (the
// server's zone, not the tenant's) is refused. Whether the zone exists is for time.LoadLocation.
func checkZoneName(name string) string {
	switch {
	case name == "":
		return "must name an IANA time zone such as \"UTC\" or \"Europe/Paris\""
	case name == "Local":
		return "\"Local\" is the server's time zone, not the tenant's; name an IANA time zone such as \"Europe/Paris\""
	case len(name) > maxZoneName:
		return fmt.Sprintf("%.20q… is not an IANA time zone name", name)
	}
	for _, part := range strings.Split(name, "/") {
		ok := part != "" && (part[0] >= 'A' && part[0] <= 'Z' || part[0] >= 'a' && part[0] <= 'z')
		for i := 1; ok && i < len(part); i++ {
			c := part[i]
			ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '+' || c == '-'
		}
		if !ok {
			return fmt.Sprintf("%q is not an IANA time zone name such as \"UTC\" or \"Europe/Paris\"", name)
		}
	}
	return ""
}

// ---------------------------------------------------------------------------------------------
// JSON

// MarshalJSON writes the settings with "version": [SettingsVersion].
func (s Settings) MarshalJSON() ([]byte, error) {
	type plain Settings
	return json.Marshal(struct {
		Version int `json:"version"`
		plain
	}{SettingsVersion, plain(s)})
}

// UnmarshalJSON reads settings like [ParseSettings]. A JSON null leaves s unchanged, as
// encoding/json does for other types.
func (s *Settings) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	v, err := ParseSettings(data)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// VersionError reports settings JSON whose version this package cannot read.
type VersionError struct {
	// Version is the version found (0 when missing).
	Version int
}

// Error says which version was found and what to do.
func (e *VersionError) Error() string {
	if e.Version > SettingsVersion {
		return fmt.Sprintf("rules: settings version %d is newer than this SDK reads (%d); upgrade the SDK", e.Version, SettingsVersion)
	}
	return fmt.Sprintf("rules: settings version %d is not a valid version (1–%d)", e.Version, SettingsVersion)
}

// ParseSettings reads settings JSON of any version up to [SettingsVersion]. A version this SDK
// does not know is a [*VersionError]. Keys a document does not have keep their
// [DefaultSettings] value, so settings saved before a setting existed read with its default;
// unknown keys are ignored. The result is not validated: call [Settings.Validate].
func ParseSettings(data []byte) (Settings, error) {
	var head struct {
		Version *json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Settings{}, fmt.Errorf("rules: settings: %w", err)
	}
	if head.Version == nil {
		return Settings{}, &VersionError{Version: 0}
	}
	var version int
	if err := json.Unmarshal(*head.Version, &version); err != nil {
		return Settings{}, fmt.Errorf("rules: settings: version is not an integer: %s", bytes.TrimSpace(*head.Version))
	}
	switch {
	case version < 1 || version > SettingsVersion:
		return Settings{}, &VersionError{Version: version}
	}
	// Migration chain: each step turns version n into n+1. Version 2 only added "display", which
	// a version 1 document lacks and so reads with its defaults: both decode alike.
	return decode(data)
}

// decode decodes a version 1 or 2 document over the defaults. A key the document has replaces
// the default wholesale (lists are never merged element by element); a missing key keeps it.
func decode(data []byte) (Settings, error) {
	type plain Settings
	def := DefaultSettings()
	p := plain(def)
	p.Identification = Identification{}
	p.ExtraMappings = nil
	if err := json.Unmarshal(data, &p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Settings{}, fmt.Errorf("rules: settings: %s: expected %s, got JSON %s", jsonPath(te), te.Type, te.Value)
		}
		return Settings{}, fmt.Errorf("rules: settings: %w", err)
	}
	var present struct {
		Identification struct {
			Account, Contact, Lead json.RawMessage
		} `json:"identification"`
	}
	_ = json.Unmarshal(data, &present) // cannot fail: the same document decoded above
	if present.Identification.Account == nil {
		p.Identification.Account = def.Identification.Account
	}
	if present.Identification.Contact == nil {
		p.Identification.Contact = def.Identification.Contact
	}
	if present.Identification.Lead == nil {
		p.Identification.Lead = def.Identification.Lead
	}
	if p.ExtraMappings == nil {
		p.ExtraMappings = []ExtraMapping{}
	}
	if len(p.Case.OriginByChannel) == 0 {
		p.Case.OriginByChannel = nil // "{}" and a missing key mean the same
	}
	return Settings(p), nil
}

func jsonPath(te *json.UnmarshalTypeError) string {
	if te.Field != "" {
		return te.Field
	}
	return "(document)"
}

// ---------------------------------------------------------------------------------------------
// Validation

// Problem is one thing wrong with settings.
type Problem struct {
	// Path is the setting's JSON path, e.g. "identification.contact[1].conditions[0].cloudcx_field".
	Path string
	// Message says what is wrong.
	Message string
}

// String returns "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError lists every problem found by [Settings.Validate]. Use [errors.As] to get it.
type ValidationError struct {
	Problems []Problem
}

// Error lists every problem, separated by "; ".
func (e *ValidationError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("rules: invalid settings: ")
	} else {
		fmt.Fprintf(&b, "rules: invalid settings (%d problems): ", len(e.Problems))
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// reservedFields are the fields the integration writes itself, per module; extra mappings may
// not target them.
var reservedFields = map[string][]string{
	ModuleLeads:    {"id", "Owner", "Last_Name", "Email", "Phone", "Company", "Layout"},
	ModuleContacts: {"id", "Owner", "Last_Name", "Email", "Phone", "Account_Name", "Layout"},
	ModuleCases:    {"id", "Owner", "Subject", "Description", "Status", "Case_Origin", "Reported_By", "Email", "Phone", "Account_Name", "Related_To", "Layout"},
	ModuleTasks:    {"id", "Owner", "Subject", "Description", "Status", "Due_Date", "What_Id", "Who_Id", "$se_module", "Layout"},
}

// Validate checks the settings and returns a [*ValidationError] listing every problem, each
// named by its JSON path, or nil. It reads nothing but s: time_zone is checked for the shape of
// an IANA name, and whether the zone exists is known when the caller resolves it with
// time.LoadLocation (do both when the tenant saves the settings).
func (s Settings) Validate() error {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}

	switch s.Mode {
	case Automatic, Manual:
	default:
		add("mode", "must be %q or %q, not %q", Automatic, Manual, s.Mode)
	}
	for _, sec := range []struct {
		path string
		a    Action
	}{{"sections.web_chat.action", s.Sections.WebChat.Action}, {"sections.inbox.action", s.Sections.Inbox.Action}} {
		switch sec.a {
		case Sales, Support, Off:
		default:
			add(sec.path, "must be %q, %q or %q, not %q", Sales, Support, Off, sec.a)
		}
	}
	for _, p := range []struct {
		path string
		p    UpdatePolicy
	}{{"update_policy.contact", s.UpdatePolicy.Contact}, {"update_policy.lead", s.UpdatePolicy.Lead}} {
		switch p.p {
		case Never, Overwrite, FillEmpty:
		default:
			add(p.path, "must be %q, %q or %q, not %q", Never, Overwrite, FillEmpty, p.p)
		}
	}

	for _, m := range []struct {
		name  string
		rules []Rule
	}{{"account", s.Identification.Account}, {"contact", s.Identification.Contact}, {"lead", s.Identification.Lead}} {
		for i, r := range m.rules {
			rp := fmt.Sprintf("identification.%s[%d]", m.name, i)
			if len(r.Conditions) == 0 {
				add(rp+".conditions", "a rule needs at least one condition")
			}
			total := 0
			for j, c := range r.Conditions {
				cp := fmt.Sprintf("%s.conditions[%d]", rp, j)
				if msg := checkCloudCXField(c.CloudCXField); msg != "" {
					add(cp+".cloudcx_field", "%s", msg)
				}
				if len(c.ZohoFields) == 0 {
					add(cp+".zoho_fields", "name at least one Zoho field")
				}
				for k, f := range c.ZohoFields {
					if !crm.ValidFieldName(f) {
						add(fmt.Sprintf("%s.zoho_fields[%d]", cp, k), "%q is not a Zoho field API name", f)
					}
				}
				total += max(len(c.ZohoFields), 1)
			}
			if total > crm.MaxCriteriaConditions {
				add(rp+".conditions", "%d Zoho fields in one rule; Zoho searches at most %d conditions at once", total, crm.MaxCriteriaConditions)
			}
		}
	}

	for i, em := range s.ExtraMappings {
		p := fmt.Sprintf("extra_mappings[%d]", i)
		reserved, ok := reservedFields[em.Module]
		if !ok {
			add(p+".module", "must be %q, %q, %q or %q, not %q", ModuleLeads, ModuleContacts, ModuleCases, ModuleTasks, em.Module)
		}
		if msg := checkCloudCXField(em.CloudCXField); msg != "" {
			add(p+".cloudcx_field", "%s", msg)
		}
		switch {
		case !crm.ValidFieldName(em.ZohoField):
			add(p+".zoho_field", "%q is not a Zoho field API name", em.ZohoField)
		case contains(reserved, em.ZohoField):
			add(p+".zoho_field", "%s.%s is written by the integration itself", em.Module, em.ZohoField)
		}
		for j := range i {
			if o := s.ExtraMappings[j]; o.Module == em.Module && o.ZohoField == em.ZohoField {
				add(p+".zoho_field", "%s.%s is already mapped by extra_mappings[%d]", em.Module, em.ZohoField, j)
				break
			}
		}
	}

	for _, t := range []struct {
		path, tmpl, empty string
		allowed           []string
	}{
		{"templates.case_subject", s.Templates.CaseSubject, "must not be empty", SubjectPlaceholders()},
		{"templates.task_subject", s.Templates.TaskSubject, "must not be empty", SubjectPlaceholders()},
		{"fallbacks.last_name", s.Fallbacks.LastName, "must not be empty: Zoho requires the field", FallbackPlaceholders()},
		{"fallbacks.company", s.Fallbacks.Company, "must not be empty: Zoho requires the field", FallbackPlaceholders()},
	} {
		if strings.TrimSpace(t.tmpl) == "" {
			add(t.path, "%s", t.empty)
			continue
		}
		_, probs := parseTemplate(t.tmpl, t.allowed)
		for _, m := range probs {
			add(t.path, "%s", m)
		}
	}

	for _, v := range []struct{ path, val string }{
		{"case.status", s.Case.Status},
		{"case.origin_web_chat", s.Case.OriginWebChat},
		{"case.origin_default", s.Case.OriginDefault},
		{"task.status", s.Task.Status},
	} {
		if strings.TrimSpace(v.val) == "" {
			add(v.path, "must not be empty: Zoho requires the field")
		} else if hasControl(v.val) {
			add(v.path, "must not contain control characters")
		}
	}
	for _, ch := range sortedKeys(s.Case.OriginByChannel) {
		v := s.Case.OriginByChannel[ch]
		p := "case.origin_by_channel." + ch
		if strings.TrimSpace(ch) == "" {
			add(p, "channel name must not be empty")
		}
		if strings.TrimSpace(v) == "" || hasControl(v) {
			add(p, "must be a non-empty value without control characters")
		}
	}

	if msg := checkZoneName(s.TimeZone); msg != "" {
		add("time_zone", "%s", msg)
	}

	switch s.Creation.RequireIdentity {
	case IdentityNone, IdentityEmail, IdentityPhone, IdentityEmailOrPhone:
	default:
		add("creation.require_identity", "must be %q, %q, %q or %q, not %q",
			IdentityNone, IdentityEmail, IdentityPhone, IdentityEmailOrPhone, s.Creation.RequireIdentity)
	}

	for _, d := range []struct {
		path   string
		fields []string
	}{{"display.lead", s.Display.Lead}, {"display.contact", s.Display.Contact}, {"display.account", s.Display.Account}} {
		if len(d.fields) > MaxDisplayFields {
			add(d.path, "%d fields; at most %d", len(d.fields), MaxDisplayFields)
		}
		for i, f := range d.fields {
			if !crm.ValidFieldName(f) {
				add(fmt.Sprintf("%s[%d]", d.path, i), "%q is not a Zoho field API name", f)
			}
		}
	}

	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasControl(s string) bool {
	for _, r := range s {
		if isControl(r) {
			return true
		}
	}
	return false
}
