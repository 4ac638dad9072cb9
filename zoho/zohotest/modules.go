package zohotest

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Field is the metadata of one field of a module, as the fake serves it at
// /crm/v2/settings/fields and enforces it on writes.
type Field struct {
	// APIName is the field's API name, such as "Last_Name".
	APIName string
	// Label is the display label (default: APIName with spaces for underscores).
	Label string
	// DataType is Zoho's data type: text, textarea, email, phone, website, picklist,
	// multiselectpicklist, lookup, ownerlookup, integer, bigint, double, currency, boolean, date,
	// datetime, autonumber. Other types (ALARM, RRULE…) are accepted without validation.
	DataType string
	// Length is the maximum length in UTF-16 code units for text-like types (0: no limit).
	Length int
	// Mandatory makes the field required on insert (Zoho's system_mandatory or layout-required):
	// a missing or empty value is MANDATORY_NOT_FOUND.
	Mandatory bool
	// ReadOnly fields are served but ignored on writes.
	ReadOnly bool
	// Unique fields refuse a second record with the same value (DUPLICATE_DATA) and are
	// duplicate-check fields for upsert.
	Unique bool
	// PickList holds the allowed values of a picklist (multiselectpicklist: of each item).
	PickList []string
	// LookupModule is the module a lookup points to; "$se_module" means the record's $se_module
	// names it (Tasks' What_Id).
	LookupModule string
	// Custom marks a user-defined field (custom_field in the metadata).
	Custom bool
}

// Module describes a module of an org: a custom module, or replacement fields for a standard one.
type Module struct {
	// APIName is the module's API name, such as "Leads" or "Chats".
	APIName string
	// Fields replaces the module's fields. For a custom module, nil means the custom-module
	// defaults (Name, Owner, Email, Description). System fields (Owner, Created_Time,
	// Modified_Time, Created_By, Modified_By) are added when missing.
	Fields []Field
	// DuplicateCheckFields are the system duplicate-check fields of upsert, in order (default
	// for standard modules: Leads and Contacts Email, Accounts Account_Name, Cases Subject, Deals
	// Deal_Name). Unique fields are added after them.
	DuplicateCheckFields []string
	// DisplayField names the field whose value names a record in lookups ({"name","id"}); default:
	// Full_Name for Leads and Contacts, otherwise the first mandatory text field.
	DisplayField string
}

// StandardModules lists the modules every org has by default.
func StandardModules() []string {
	return []string{"Leads", "Contacts", "Accounts", "Deals", "Cases", "Tasks", "Products"}
}

// module is a module's state inside an org.
type module struct {
	name      string
	fields    []*fieldMeta
	byName    map[string]*fieldMeta // by API name
	dupFields []string
	display   string
	custom    bool
	records   map[string]*record
	id        string
}

type fieldMeta struct {
	Field
	id string
}

var apiNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)

// Zoho's default field sets (zoho-api.md §3: API names from the official v2 SDK, lengths from the
// field formats and legacy limits, picklists from the v2 cases/tasks response pages).
func f(name, dataType string, length int) Field {
	return Field{APIName: name, DataType: dataType, Length: length}
}

func mand(fl Field) Field { fl.Mandatory = true; return fl }
func ro(fl Field) Field   { fl.ReadOnly = true; return fl }

func pick(name string, values ...string) Field {
	return Field{APIName: name, DataType: "picklist", Length: 120, PickList: append([]string{"-None-"}, values...)}
}

func lookup(name, target string) Field {
	return Field{APIName: name, DataType: "lookup", LookupModule: target}
}

func systemFields() []Field {
	return []Field{
		{APIName: "Owner", DataType: "ownerlookup"},
		ro(f("Created_Time", "datetime", 0)),
		ro(f("Modified_Time", "datetime", 0)),
		ro(Field{APIName: "Created_By", DataType: "ownerlookup"}),
		ro(Field{APIName: "Modified_By", DataType: "ownerlookup"}),
	}
}

var leadSources = []string{"Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
	"Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Internal Seminar", "Trade Show",
	"Web Download", "Web Research", "Chat", "Twitter", "Facebook"}

func address(prefix, zip string) []Field {
	return []Field{f(prefix+"Street", "text", 250), f(prefix+"City", "text", 100), f(prefix+"State", "text", 100),
		f(prefix+zip, "text", 30), f(prefix+"Country", "text", 100)}
}

func standardFields(name string) []Field {
	person := []Field{
		pick("Salutation", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."),
		f("First_Name", "text", 40),
		mand(f("Last_Name", "text", 80)),
		ro(f("Full_Name", "text", 161)),
		f("Email", "email", 100),
		f("Secondary_Email", "email", 100),
		f("Phone", "phone", 30),
		f("Mobile", "phone", 30),
		f("Fax", "phone", 30),
		f("Skype_ID", "text", 50),
		f("Twitter", "text", 50),
		pick("Lead_Source", leadSources...),
		{APIName: "Email_Opt_Out", DataType: "boolean"},
		f("Description", "textarea", 32000),
	}
	switch name {
	case "Leads":
		fs := append([]Field{mand(f("Company", "text", 100)), f("Designation", "text", 100), f("Website", "website", 255),
			pick("Lead_Status", "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead",
				"Not Contacted", "Pre-Qualified", "Not Qualified"),
			f("Industry", "text", 120), f("Rating", "text", 120),
			{APIName: "No_of_Employees", DataType: "integer"}, {APIName: "Annual_Revenue", DataType: "currency"},
			ro(f("Last_Activity_Time", "datetime", 0))}, person...)
		return append(fs, address("", "Zip_Code")...)
	case "Contacts":
		fs := append([]Field{lookup("Account_Name", "Accounts"), lookup("Reports_To", "Contacts"),
			f("Title", "text", 100), f("Department", "text", 30), f("Assistant", "text", 30),
			f("Home_Phone", "phone", 30), f("Other_Phone", "phone", 30), f("Asst_Phone", "phone", 30),
			{APIName: "Date_of_Birth", DataType: "date"}, ro(f("Last_Activity_Time", "datetime", 0))}, person...)
		fs = append(fs, address("Mailing_", "Zip")...)
		return append(fs, address("Other_", "Zip")...)
	case "Accounts":
		fs := []Field{mand(f("Account_Name", "text", 200)), f("Account_Site", "text", 30), f("Account_Number", "text", 40),
			lookup("Parent_Account", "Accounts"), f("Account_Type", "text", 120), f("Industry", "text", 120),
			f("Rating", "text", 120), f("Ownership", "text", 120), {APIName: "Annual_Revenue", DataType: "currency"},
			{APIName: "Employees", DataType: "integer"}, {APIName: "SIC_Code", DataType: "integer"},
			f("Ticker_Symbol", "text", 30), f("Phone", "phone", 30), f("Fax", "phone", 30), f("Website", "website", 255),
			f("Description", "textarea", 32000)}
		fs = append(fs, address("Billing_", "Code")...)
		return append(fs, address("Shipping_", "Code")...)
	case "Deals":
		return []Field{mand(f("Deal_Name", "text", 120)), mand(pick("Stage", "Qualification", "Needs Analysis",
			"Value Proposition", "Identify Decision Makers", "Proposal/Price Quote", "Negotiation/Review",
			"Closed Won", "Closed Lost", "Closed Lost to Competition")),
			lookup("Account_Name", "Accounts"), lookup("Contact_Name", "Contacts"),
			{APIName: "Amount", DataType: "currency"}, {APIName: "Closing_Date", DataType: "date"},
			f("Description", "textarea", 32000)}
	case "Cases":
		return []Field{ro(Field{APIName: "Case_Number", DataType: "autonumber"}),
			mand(f("Subject", "text", 255)),
			mand(pick("Status", "New", "Escalated", "On Hold", "Closed")),
			mand(pick("Case_Origin", "Email", "Phone", "Web", "Chat", "Twitter", "Facebook")),
			pick("Priority", "High", "Medium", "Low"),
			pick("Type", "Question", "Problem", "Feature Request"),
			f("Case_Reason", "text", 120),
			f("Reported_By", "text", 120), f("Email", "email", 100), f("Phone", "phone", 30),
			lookup("Account_Name", "Accounts"), lookup("Deal_Name", "Deals"), lookup("Product_Name", "Products"),
			lookup("Related_To", "Contacts"),
			f("Description", "textarea", 32000), f("Internal_Comments", "textarea", 32000),
			f("Solution", "textarea", 32000), f("Comments", "textarea", 32000), f("Add_Comment", "textarea", 32000),
			ro(Field{APIName: "No_of_comments", DataType: "integer"})}
	case "Products":
		return []Field{mand(f("Product_Name", "text", 200)), f("Product_Code", "text", 40),
			{APIName: "Product_Active", DataType: "boolean"}, {APIName: "Unit_Price", DataType: "currency"},
			f("Product_Category", "text", 120), f("Description", "textarea", 32000)}
	case "Tasks":
		return []Field{mand(f("Subject", "text", 255)), {APIName: "Due_Date", DataType: "date"},
			pick("Status", "Not Started", "Deferred", "In Progress", "Completed", "Waiting on someone else"),
			pick("Priority", "High", "Highest", "Low", "Lowest", "Normal"),
			{APIName: "What_Id", DataType: "lookup", LookupModule: "$se_module"},
			lookup("Who_Id", "Contacts"),
			{APIName: "Send_Notification_Email", DataType: "boolean"},
			{APIName: "Remind_At", DataType: "ALARM"}, {APIName: "Recurring_Activity", DataType: "RRULE"},
			ro(f("Closed_Time", "datetime", 0)),
			f("Description", "textarea", 32000)}
	}
	return nil
}

func customDefaultFields() []Field {
	return []Field{mand(f("Name", "text", 120)), f("Email", "email", 100), f("Secondary_Email", "email", 100),
		f("Description", "textarea", 32000)}
}

// newModule builds a module's state from its config; o.mu must be held (ids come from the org).
func (o *Org) newModule(m Module, standard bool) (*module, error) {
	if !apiNameRE.MatchString(m.APIName) {
		return nil, fmt.Errorf("module %q: not an API name", m.APIName)
	}
	switch strings.ToLower(m.APIName) {
	case "users", "org", "settings", "coql", "attachments", "notes", "search", "upsert":
		return nil, fmt.Errorf("module %q: reserved name", m.APIName)
	}
	fields := m.Fields
	if fields == nil {
		if standard {
			fields = standardFields(m.APIName)
		} else {
			fields = customDefaultFields()
		}
	}
	mod := &module{name: m.APIName, byName: map[string]*fieldMeta{}, custom: !standard, records: map[string]*record{}, id: o.newIDLocked()}
	add := func(fl Field) error {
		if !apiNameRE.MatchString(fl.APIName) {
			return fmt.Errorf("module %s: field %q is not an API name", m.APIName, fl.APIName)
		}
		if _, dup := mod.byName[fl.APIName]; dup {
			return fmt.Errorf("module %s: field %s given twice", m.APIName, fl.APIName)
		}
		if fl.DataType == "" {
			return fmt.Errorf("module %s: field %s has no data type", m.APIName, fl.APIName)
		}
		if fl.Length < 0 {
			return fmt.Errorf("module %s: field %s has a negative length", m.APIName, fl.APIName)
		}
		if (fl.DataType == "picklist" || fl.DataType == "multiselectpicklist") && len(fl.PickList) == 0 {
			return fmt.Errorf("module %s: picklist %s has no values", m.APIName, fl.APIName)
		}
		if fl.DataType == "lookup" && fl.LookupModule == "" {
			return fmt.Errorf("module %s: lookup %s names no module", m.APIName, fl.APIName)
		}
		if fl.Label == "" {
			fl.Label = strings.ReplaceAll(fl.APIName, "_", " ")
		}
		fl.PickList = append([]string(nil), fl.PickList...)
		fm := &fieldMeta{Field: fl, id: o.newIDLocked()}
		mod.fields = append(mod.fields, fm)
		mod.byName[fl.APIName] = fm
		return nil
	}
	for _, fl := range fields {
		if err := add(fl); err != nil {
			return nil, err
		}
	}
	for _, fl := range systemFields() {
		if _, ok := mod.byName[fl.APIName]; !ok {
			if err := add(fl); err != nil {
				return nil, err
			}
		}
	}
	mod.dupFields = m.DuplicateCheckFields
	if mod.dupFields == nil {
		switch m.APIName {
		case "Leads", "Contacts":
			mod.dupFields = []string{"Email"}
		case "Accounts":
			mod.dupFields = []string{"Account_Name"}
		case "Cases":
			mod.dupFields = []string{"Subject"}
		case "Deals":
			mod.dupFields = []string{"Deal_Name"}
		}
	}
	for _, d := range mod.dupFields {
		if _, ok := mod.byName[d]; !ok {
			return nil, fmt.Errorf("module %s: duplicate-check field %s is not a field", m.APIName, d)
		}
	}
	for _, fm := range mod.fields {
		if fm.Unique && !contains(mod.dupFields, fm.APIName) {
			mod.dupFields = append(append([]string(nil), mod.dupFields...), fm.APIName)
		}
	}
	mod.display = m.DisplayField
	if mod.display == "" {
		if _, ok := mod.byName["Full_Name"]; ok {
			mod.display = "Full_Name"
		} else {
			for _, fm := range mod.fields {
				if fm.Mandatory && (fm.DataType == "text" || fm.DataType == "email") {
					mod.display = fm.APIName
					break
				}
			}
		}
	} else if _, ok := mod.byName[mod.display]; !ok {
		return nil, fmt.Errorf("module %s: display field %s is not a field", m.APIName, mod.display)
	}
	return mod, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// jsonType is the json_type Zoho serves for a data type.
func jsonType(dataType string) string {
	switch dataType {
	case "lookup", "ownerlookup", "userlookup":
		return "jsonobject"
	case "multiselectpicklist", "multiselectlookup":
		return "jsonarray"
	case "integer", "bigint", "autonumber":
		return "integer"
	case "double", "currency", "decimal", "percent":
		return "double"
	case "boolean":
		return "boolean"
	}
	return "string"
}

// metaLength is the length Zoho's metadata gives a field: its own length when the fake enforces
// one, else Zoho's figure for the data type (Zoho never sends 0: an owner or a lookup is 120, a
// date 20, a boolean 5, a currency 16, as in Zoho's samples and the v1 field list).
func metaLength(fm *fieldMeta) int {
	if fm.Length > 0 {
		return fm.Length
	}
	switch fm.DataType {
	case "boolean":
		return 5
	case "date":
		return 20
	case "integer":
		return 9
	case "bigint":
		return 18
	case "double", "currency", "decimal", "percent":
		return 16
	case "textarea":
		return 32000
	case "text", "website", "autonumber":
		return 255
	}
	return 120 // ownerlookup, lookup, datetime, picklist, and the types the fake does not model
}

// fieldJSON is the field's metadata as Zoho v2 serves it (settings/fields), with the keys of
// Zoho's sample (testdata/v2docs_get_fields_owner_response.json) and a few the v2 answer adds.
func (fm *fieldMeta) json(mod *module) obj {
	source := "default"
	if fm.Custom {
		source = "crm"
	}
	out := obj{
		"api_name":               fm.APIName,
		"field_label":            fm.Label,
		"display_label":          fm.Label,
		"data_type":              fm.DataType,
		"json_type":              jsonType(fm.DataType),
		"length":                 metaLength(fm),
		"system_mandatory":       fm.Mandatory,
		"read_only":              fm.ReadOnly,
		"field_read_only":        fm.ReadOnly,
		"custom_field":           fm.Custom,
		"visible":                true,
		"webhook":                true,
		"crypt":                  nil,
		"tooltip":                nil,
		"view_type":              obj{"view": true, "edit": !fm.ReadOnly, "quick_create": fm.Mandatory, "create": !fm.ReadOnly},
		"created_source":         source,
		"businesscard_supported": true,
		"formula":                obj{},
		"currency":               obj{},
		"decimal_place":          nil,
		"id":                     fm.id,
		"unique":                 obj{},
		"lookup":                 obj{},
		"pick_list_values":       []any{},
	}
	if fm.Unique {
		out["unique"] = obj{"casesensitive": "false"}
	}
	if len(fm.PickList) > 0 {
		vals := make([]any, len(fm.PickList))
		for i, v := range fm.PickList {
			vals[i] = obj{"display_value": v, "actual_value": v, "sequence_number": i + 1}
		}
		out["pick_list_values"] = vals
	}
	if fm.DataType == "lookup" {
		var module any = fm.LookupModule
		if fm.LookupModule == "$se_module" {
			module = obj{"api_name": "se_module"} // as Zoho's layout metadata names What_Id's target
		}
		out["lookup"] = obj{"display_label": fm.Label, "api_name": fm.APIName, "module": module, "id": fm.id}
	}
	return out
}

// handleFields serves GET /crm/v2/settings/fields?module=X.
func (o *Org) handleFields(x *exchange) *reply {
	name := x.r.URL.Query().Get("module")
	if name == "" {
		return errParamMissing("module")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(name)
	if mod == nil {
		return errorReply(http.StatusBadRequest, "INVALID_MODULE", "the module name given seems to be invalid", obj{})
	}
	fields := make([]any, len(mod.fields))
	for i, fm := range mod.fields {
		fields[i] = fm.json(mod)
	}
	return jsonReply(http.StatusOK, obj{"fields": fields})
}

// handleModules serves GET /crm/v2/settings/modules.
func (o *Org) handleModules(x *exchange) *reply {
	o.mu.Lock()
	defer o.mu.Unlock()
	mods := make([]any, 0, len(o.modOrder))
	for _, m := range o.modOrder {
		gen := "default"
		if m.custom {
			gen = "custom"
		}
		mods = append(mods, obj{
			"api_name": m.name, "module_name": m.name, "singular_label": strings.TrimSuffix(m.name, "s"),
			"plural_label": m.name, "id": m.id, "api_supported": true, "creatable": true, "editable": true,
			"deletable": true, "viewable": true, "generated_type": gen,
		})
	}
	return jsonReply(http.StatusOK, obj{"modules": mods})
}
