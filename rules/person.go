package rules

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Owner is the Zoho user who owns a record the integration creates, resolved elsewhere (the
// active Zoho user with the agent's email, else the user who connected the tenant). An empty ID
// leaves Owner out, and Zoho makes the token's user the owner.
type Owner struct {
	ID   string
	Name string
}

// lookup returns the Owner as a Zoho lookup value.
func (o Owner) lookup() crm.Lookup { return crm.Lookup{ID: o.ID} }

// Default lengths of the person fields the mapping writes, in UTF-16 units, used when the org's
// field metadata is not given (Zoho's standard lengths).
const (
	LenLastName   = 80
	LenFirstName  = 40
	LenCompany    = 100
	LenEmail      = 100
	LenPhone      = 30
	LenSingleLine = 255
)

// defaultLengths are Zoho's standard lengths of the fields the mappings write.
var defaultLengths = map[string]int{
	"Last_Name":   LenLastName,
	"First_Name":  LenFirstName,
	"Company":     LenCompany,
	"Email":       LenEmail,
	"Phone":       LenPhone,
	"Mobile":      LenPhone,
	"Reported_By": 120,
	"Subject":     LenSingleLine,
	"Description": 32000,
}

// PersonInput is what [PersonFields] needs.
type PersonInput struct {
	// Settings are the tenant's settings (fallbacks, extra mappings).
	Settings Settings
	// Module is "Leads" or "Contacts"; empty means the one Settings.Action(Section) writes.
	Module string
	// Section is the section the visitor came through; it picks the mapping's column.
	Section cloudcx.Section
	// Visitor is the Web Chat visitor or Inbox contact.
	Visitor cloudcx.Visitor
	// Interaction, when given, supplies custom fields and variables for extra mappings (its own
	// first, then the visitor's), and the tenant id and channel for fallbacks.
	Interaction cloudcx.Interaction
	// TenantID and Channel are used by fallbacks when there is no Interaction.
	TenantID string
	Channel  cloudcx.Channel
	// Owner owns the new record.
	Owner Owner
	// AccountID is the Zoho Account the identification rules found, if any. A new Contact is
	// linked to it (Account_Name); Accounts are never created.
	AccountID string
	// Fields is the org's field metadata of the module (zoho FieldsService.List), when known:
	// values are cut to its lengths. Fields it does not list, or a nil Fields, use Zoho's
	// standard lengths.
	Fields *crm.FieldSet
	// Marker, when given (package sync gives [PersonMarker]), ends the new record's Description
	// (after the mapped Description, if an extra mapping gives one, cut to leave it room), so
	// that a Lead or Contact whose creation was interrupted can be found again. Values never
	// carry it; [Merge] keeps it at the end of a Description it updates.
	Marker string
	// Overrides are an agent's values by Zoho field API name (manual mode; check them with
	// [CheckOverrides]), set over the mapped values, each made one line and cut to its field's
	// length as mapped values are. The Marker still ends the Description.
	Overrides map[string]string
}

// Person is the Lead or Contact to create for a visitor.
type Person struct {
	// Module is "Leads" or "Contacts".
	Module string
	// Record is the record to insert: Owner, Last_Name (or its fallback), Email, Phone, Company
	// (Leads; or its fallback) or Account_Name (Contacts, when an Account was identified), and
	// the extra mappings.
	Record *crm.Record
	// Values holds only the mapped values CloudCX actually has, without Owner and without
	// fallbacks: what [Merge] applies to a person the identification rules found.
	Values *crm.Record
	// Notes explain values that were changed or left out (an email that is not an address, a
	// value cut to the field's length). They contain no personal data.
	Notes []string
}

// PersonFields maps a visitor to the Lead or Contact to create, per the default mapping:
//
//	Web Chat   Inbox          Contact                Lead
//	agent      agent          Owner                  Owner
//	Name       Last Name      Last_Name              Last_Name
//	Email      Email          Email                  Email
//	Phone      Cell Phone     Phone                  Phone
//	Company    Company Name   (linked Account)       Company
//
// For Inbox, a contact's First Name goes to First_Name alongside its Last Name (a contact with
// no Last Name uses its display name, as Web Chat does). A missing Last_Name becomes the
// Last_Name fallback ("Visitor <visitor id>"), a Lead's missing Company the Company fallback
// ("Unknown"). An email that does not look like an address, or a phone without digits, is not
// sent (Zoho would refuse the whole record); a note says so. A phone keeps only digits (as
// ASCII) and "+ ( ) - . / x", single spaces between. Text is stripped of control characters and
// cut to the field's length in UTF-16 units (the org's when given in Fields, else Zoho's
// standard length) without splitting a character. An email too long for its field is left out
// rather than cut.
//
// The error reports only a module that is not "Leads" or "Contacts".
func PersonFields(in PersonInput) (Person, error) {
	module := in.Module
	if module == "" {
		module = in.Settings.Action(in.Section).PersonModule()
	}
	if module != ModuleLeads && module != ModuleContacts {
		return Person{}, fmt.Errorf("rules: PersonFields: module %q is not %s or %s", module, ModuleLeads, ModuleContacts)
	}
	p := Person{Module: module, Record: crm.NewRecord(), Values: crm.NewRecord()}
	lim := limiter{fields: in.Fields, notes: &p.Notes}
	v := in.Visitor

	if in.Owner.ID != "" {
		_ = p.Record.Set("Owner", in.Owner.lookup())
	}

	// Last_Name (and First_Name for Inbox).
	last, first := personNames(v, in.Section)
	if last = lim.text("Last_Name", last); last != "" {
		_ = p.Values.Set("Last_Name", last)
	}
	if first = lim.text("First_Name", first); first != "" {
		_ = p.Values.Set("First_Name", first)
	}

	// Email.
	if email := oneLine(v.Email); email != "" {
		switch {
		case !looksLikeEmail(email):
			p.Notes = append(p.Notes, "Email: the visitor's email is not an address; not sent")
		case crm.UTF16Len(email) > lim.limit("Email"):
			p.Notes = append(p.Notes, fmt.Sprintf("Email: longer than the field's %d characters; not sent", lim.limit("Email")))
		default:
			_ = p.Values.Set("Email", email)
		}
	}

	// Phone.
	if raw := oneLine(v.PhoneFor(in.Section)); raw != "" {
		if phone := lim.text("Phone", zohoPhone(raw)); phone == "" {
			p.Notes = append(p.Notes, "Phone: the visitor's phone has no digits; not sent")
		} else {
			_ = p.Values.Set("Phone", phone)
		}
	}

	// Company / Account.
	switch module {
	case ModuleLeads:
		if c := lim.text("Company", v.Company); c != "" {
			_ = p.Values.Set("Company", c)
		}
	case ModuleContacts:
		if in.AccountID != "" {
			_ = p.Values.Set("Account_Name", crm.Lookup{ID: in.AccountID})
		}
	}

	// Extra mappings.
	applyExtraMappings(p.Values, in.Settings.ExtraMappings, module, func(field string) string {
		return mappedValue(field, v, in.Section, in.Interaction)
	}, lim)

	// The agent's values, over the mapped ones.
	for _, f := range sortedKeys(in.Overrides) {
		val := in.Overrides[f]
		if fieldKindOfZoho(f) == kindPhone {
			val = zohoPhone(val)
		}
		if val = lim.text(f, val); val != "" && crm.ValidFieldName(f) {
			_ = p.Values.Set(f, val)
		}
	}

	// The record to insert: Owner, then the values, with the fallbacks where Zoho requires a value.
	fb := fallbackValues(in)
	if !p.Values.Has("Last_Name") {
		_ = p.Record.Set("Last_Name", lim.text("Last_Name", fallback(in.Settings.Fallbacks.LastName, fb, builtinLastName)))
	}
	for _, k := range p.Values.Keys() {
		raw, _ := p.Values.Raw(k)
		_ = p.Record.SetRaw(k, raw)
	}
	if module == ModuleLeads && !p.Values.Has("Company") {
		_ = p.Record.Set("Company", lim.text("Company", fallback(in.Settings.Fallbacks.Company, fb, builtinCompany)))
	}
	if m := strings.TrimSpace(in.Marker); m != "" {
		_ = p.Record.Set("Description", withPersonMarker(p.Record.Text("Description"), m, lim.limit("Description")))
	}
	return p, nil
}

// personNames returns the Last_Name and First_Name values of a visitor for a section.
func personNames(v cloudcx.Visitor, section cloudcx.Section) (last, first string) {
	if section == cloudcx.SectionInbox && strings.TrimSpace(v.LastName) != "" {
		return v.LastName, v.FirstName
	}
	return v.DisplayName(), ""
}

// fallbackValues are the placeholder values of the fallback templates for a person.
func fallbackValues(in PersonInput) map[string]string {
	tenant, channel, section := in.TenantID, in.Channel, in.Section
	if i, b := threadOf(in.Interaction); i != nil {
		tenant, channel, section = b.TenantID, b.Channel, i.Section()
	}
	return fallbackPlaceholderValues(in.Visitor.ID, tenant, channel, section)
}

// fallbackPlaceholderValues are the values of [FallbackPlaceholders], each one clean line.
func fallbackPlaceholderValues(visitorID, tenant string, channel cloudcx.Channel, section cloudcx.Section) map[string]string {
	return map[string]string{
		PlaceholderVisitorID: oneLine(visitorID),
		PlaceholderTenantID:  oneLine(tenant),
		PlaceholderChannel:   oneLine(channel.Label()),
		PlaceholderSection:   sectionLabel(section),
	}
}

// The values of the mandatory person fields when a tenant's fallback template expands to
// nothing (say "{visitor_id}" for a visitor without an id): Zoho refuses the record without them.
const (
	builtinLastName = "Visitor"
	builtinCompany  = "Unknown"
)

// fallback expands a fallback template into one clean line, or returns def when that leaves
// nothing, so that a mandatory field is never sent empty.
func fallback(tmpl string, values map[string]string, def string) string {
	if v := oneLine(expandTemplate(tmpl, FallbackPlaceholders(), values)); v != "" {
		return v
	}
	return def
}

// sectionLabel names a section for people.
func sectionLabel(s cloudcx.Section) string {
	switch s {
	case cloudcx.SectionWebChat:
		return "Web Chat"
	case cloudcx.SectionInbox:
		return "Inbox"
	}
	return oneLine(string(s))
}

// mappedValue returns the value of a CloudCX field for an extra mapping: custom fields and
// variables from the interaction first, then from the visitor.
func mappedValue(field string, v cloudcx.Visitor, section cloudcx.Section, i cloudcx.Interaction) string {
	if _, b := threadOf(i); b != nil {
		if name, ok := strings.CutPrefix(field, PrefixCustom); ok {
			if val := fieldValue(b.CustomFields, name); strings.TrimSpace(val) != "" {
				return val
			}
		}
		if name, ok := strings.CutPrefix(field, PrefixVariable); ok {
			if val := fieldValue(b.CustomVariables, name); strings.TrimSpace(val) != "" {
				return val
			}
		}
	}
	return visitorValue(field, v, section)
}

// applyExtraMappings sets the extra mappings of module on r, in order, skipping empty values and
// fields already set.
func applyExtraMappings(r *crm.Record, ms []ExtraMapping, module string, value func(string) string, lim limiter) {
	for _, m := range ms {
		if m.Module != module || !crm.ValidFieldName(m.ZohoField) || r.Has(m.ZohoField) || contains(reservedFields[module], m.ZohoField) {
			continue
		}
		if val := lim.text(m.ZohoField, value(m.CloudCXField)); val != "" {
			_ = r.Set(m.ZohoField, val)
		}
	}
}

// limiter cuts one-line values to their field's length and notes it.
type limiter struct {
	fields *crm.FieldSet
	notes  *[]string
}

// limit is the field's length: the org's, else Zoho's standard one, else a single line's.
func (l limiter) limit(field string) int {
	if f, ok := l.fields.Get(field); ok && f.MaxLength() > 0 {
		return f.MaxLength()
	}
	if n, ok := defaultLengths[field]; ok {
		return n
	}
	return LenSingleLine
}

// text makes s one line (control characters become spaces, runs of spaces collapse, ends are
// trimmed, invalid UTF-8 is replaced), defuses what could be read as a marker ("[cx:" becomes
// "(cx:": a visitor's text must never pass for another visitor's marker) and cuts it to the
// field's length.
func (l limiter) text(field, s string) string {
	s = defuseMarkers(oneLine(s))
	n := l.limit(field)
	if crm.UTF16Len(s) > n {
		s = strings.TrimSpace(crm.TruncateUTF16(s, n))
		if l.notes != nil {
			*l.notes = append(*l.notes, fmt.Sprintf("%s: cut to the field's %d characters", field, n))
		}
	}
	return s
}

// zohoPhone cleans a phone number for a Zoho phone field: digits become ASCII, the characters
// people write in numbers ("+ ( ) - . / x" and spaces) stay, anything else goes; "" when no digit
// is left.
func zohoPhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', strings.ContainsRune("+()-./xX ", r):
			b.WriteRune(r)
		case digitValue(r) >= 0:
			b.WriteByte(byte('0' + digitValue(r)))
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if phoneDigits(out) == "" {
		return ""
	}
	return out
}

// oneLine turns s into one clean line: cloudcx.OneLine, the one cleaner of the module (invalid
// UTF-8 becomes U+FFFD, invisible characters are removed, line breaks become spaces, white space
// collapses, the ends are trimmed).
func oneLine(s string) string { return cloudcx.OneLine(s) }
