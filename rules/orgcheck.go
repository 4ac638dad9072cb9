package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// CheckOrg lists what an administrator must fix before these settings work with one Zoho org,
// given the org's field metadata by module API name (Leads, Contacts, Accounts, Cases, Tasks;
// a module missing from fields is not checked). Each Problem's Path is the setting involved and
// its Message says what is wrong and where to fix it: in Zoho (Setup › Customization › Modules
// and Fields) or in the settings. It finds:
//   - picklist values Zoho would refuse: Case Status, Case_Origin (Web Chat, each Inbox channel
//     named in the settings, the built-in channel table and the default), Task Status — render
//     substitutes an allowed value and notes it, so records are still created, but not as the
//     tenant configured;
//   - Zoho fields named by identification rules, extra mappings and display lists that the
//     module does not have;
//   - fields Zoho requires on create that the integration does not fill (a mandatory custom
//     field): every insert into that module would be refused.
//
// CheckOrg reads nothing but its arguments; the caller gets the field sets from Zoho
// (zoho's Fields.List) when a tenant connects or saves its settings.
func (s Settings) CheckOrg(fields map[string]*crm.FieldSet) []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	where := func(module, field string) string {
		return "Zoho: Setup › Customization › Modules and Fields › " + module + " › " + field
	}
	picklist := func(path, module, field, value string) {
		fs, ok := fields[module]
		if !ok || fs == nil {
			return
		}
		f, ok := fs.Get(field)
		if !ok {
			add(path, "this Zoho org's %s module has no field %s (%s)", module, field, where(module, field))
			return
		}
		if !f.IsPickList() || len(f.PickListValues) == 0 || f.AcceptsPickListValue(value) {
			return
		}
		var allowed []string
		for _, p := range f.PickListValues {
			allowed = append(allowed, p.ActualValue)
		}
		add(path, "%q is not a value of %s › %s in this Zoho org: add it in %s, or choose one of %s",
			value, module, field, where(module, field), quoteList(allowed, 10))
	}
	picklist("case.status", ModuleCases, "Status", s.Case.Status)
	picklist("task.status", ModuleTasks, "Status", s.Task.Status)
	picklist("case.origin_web_chat", ModuleCases, "Case_Origin", s.Case.OriginWebChat)
	picklist("case.origin_default", ModuleCases, "Case_Origin", s.Case.OriginDefault)
	for _, ch := range sortedKeys(s.Case.OriginByChannel) {
		picklist("case.origin_by_channel."+ch, ModuleCases, "Case_Origin", s.Case.OriginByChannel[ch])
	}
	channels := make([]string, 0, len(builtinOrigins))
	for ch := range builtinOrigins {
		channels = append(channels, string(ch))
	}
	sort.Strings(channels)
	for _, ch := range channels {
		if _, set := s.Case.OriginByChannel[ch]; !set {
			picklist("case.origin_by_channel."+ch, ModuleCases, "Case_Origin", builtinOrigins[cloudcx.Channel(ch)])
		}
	}

	exists := func(path, module, field string) {
		if fs, ok := fields[module]; ok && fs != nil {
			if _, ok := fs.Get(field); !ok {
				add(path, "this Zoho org's %s module has no field %q: create it (%s) or change the setting", module, field, where(module, field))
			}
		}
	}
	for _, m := range []struct{ name, module string }{{"account", ModuleAccounts}, {"contact", ModuleContacts}, {"lead", ModuleLeads}} {
		for i, r := range s.Identification.For(m.module) {
			for j, c := range r.Conditions {
				for k, f := range c.ZohoFields {
					exists(fmt.Sprintf("identification.%s[%d].conditions[%d].zoho_fields[%d]", m.name, i, j, k), m.module, f)
				}
			}
		}
	}
	for i, em := range s.ExtraMappings {
		exists(fmt.Sprintf("extra_mappings[%d].zoho_field", i), em.Module, em.ZohoField)
	}
	for _, m := range []struct{ name, module string }{{"lead", ModuleLeads}, {"contact", ModuleContacts}, {"account", ModuleAccounts}} {
		for i, f := range s.Display.For(m.module) {
			exists(fmt.Sprintf("display.%s[%d]", m.name, i), m.module, f)
		}
	}

	for _, module := range []string{ModuleLeads, ModuleContacts, ModuleCases, ModuleTasks} {
		fs, ok := fields[module]
		if !ok || fs == nil {
			continue
		}
		filled := map[string]bool{}
		for _, f := range filledFields[module] {
			filled[f] = true
		}
		for _, em := range s.ExtraMappings {
			if em.Module == module {
				filled[em.ZohoField] = true
			}
		}
		for _, f := range fs.Mandatory() {
			if !filled[f] {
				add("extra_mappings", "%s › %s is mandatory in this Zoho org and the integration does not fill it, so Zoho would refuse every new record: map a CloudCX value to it here, or make it optional (%s)",
					module, f, where(module, f))
			}
		}
	}
	return ps
}

// filledFields are the fields a new record of each module always carries (mapping, fallbacks,
// render); system fields Zoho fills itself are not in Mandatory.
var filledFields = map[string][]string{
	ModuleLeads:    {"Last_Name", "First_Name", "Email", "Phone", "Company", "Owner"},
	ModuleContacts: {"Last_Name", "First_Name", "Email", "Phone", "Owner"},
	ModuleCases:    {"Subject", "Description", "Status", "Case_Origin", "Owner"},
	ModuleTasks:    {"Subject", "Description", "Status", "Due_Date", "Owner"},
}

func quoteList(vs []string, limit int) string {
	var b strings.Builder
	for i, v := range vs {
		if i == limit {
			fmt.Fprintf(&b, " (and %d more)", len(vs)-limit)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", v)
	}
	return b.String()
}

// CheckOverrides checks values an agent typed for one record of module (Zoho field API name →
// value), with the rules of [ExtraMapping]: the module is one the integration writes, each name
// is a Zoho field API name, and fields the integration manages itself (the owner, the record's
// links, its Subject with the marker and its Description) are refused. The visitor's own values
// (name, email, phone, company) may be overridden. It returns a [*ValidationError] whose paths
// are "overrides.<field>", or nil.
func CheckOverrides(module string, values map[string]string) error {
	var ps []Problem
	reserved, ok := reservedFields[module]
	if !ok {
		ps = append(ps, Problem{Path: "overrides", Message: fmt.Sprintf("module must be %q, %q, %q or %q, not %q", ModuleLeads, ModuleContacts, ModuleCases, ModuleTasks, module)})
	}
	for _, f := range sortedKeys(values) {
		p := "overrides." + f
		switch {
		case !crm.ValidFieldName(f):
			ps = append(ps, Problem{Path: p, Message: fmt.Sprintf("%q is not a Zoho field API name", f)})
		case contains(reserved, f) && !contains(overridable, f):
			ps = append(ps, Problem{Path: p, Message: fmt.Sprintf("%s.%s is written by the integration itself", module, f)})
		case hasControl(values[f]):
			ps = append(ps, Problem{Path: p, Message: "must not contain control characters"})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// overridable are reserved fields an agent may still set by hand: the visitor's own values and
// the Case/Task picklists.
var overridable = []string{"Last_Name", "First_Name", "Email", "Phone", "Company", "Status", "Case_Origin", "Due_Date"}
