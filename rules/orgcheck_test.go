package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

func picklistField(name string, values ...string) crm.Field {
	f := crm.Field{APIName: name, DataType: "picklist"}
	for _, v := range values {
		f.PickListValues = append(f.PickListValues, crm.PickListValue{ActualValue: v, DisplayValue: v})
	}
	return f
}

func orgFields() map[string]*crm.FieldSet {
	text := func(names ...string) []crm.Field {
		var fs []crm.Field
		for _, n := range names {
			fs = append(fs, crm.Field{APIName: n, DataType: "text"})
		}
		return fs
	}
	return map[string]*crm.FieldSet{
		ModuleLeads:    crm.NewFieldSet(ModuleLeads, append(text("First_Name", "Email", "Phone", "Mobile", "Company", "Lead_Status"), crm.Field{APIName: "Last_Name", SystemMandatory: true})),
		ModuleContacts: crm.NewFieldSet(ModuleContacts, append(text("First_Name", "Email", "Phone", "Mobile", "Account_Name"), crm.Field{APIName: "Last_Name", SystemMandatory: true})),
		ModuleAccounts: crm.NewFieldSet(ModuleAccounts, text("Account_Name", "Phone", "Website")),
		ModuleCases: crm.NewFieldSet(ModuleCases, append(text("Subject", "Description"),
			picklistField("Status", "New", "Escalated", "Closed"), picklistField("Case_Origin", "Chat", "Email", "Phone", "Web"))),
		ModuleTasks: crm.NewFieldSet(ModuleTasks, append(text("Subject", "Description", "Due_Date"), picklistField("Status", "Not Started", "Completed"))),
	}
}

// The default settings fit an org with Zoho's standard fields: nothing to fix.
func TestCheckOrgDefaultsFitAStandardOrg(t *testing.T) {
	if ps := DefaultSettings().CheckOrg(orgFields()); len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	if ps := DefaultSettings().CheckOrg(nil); len(ps) != 0 {
		t.Fatalf("no metadata, problems: %v", ps)
	}
}

// Each kind of problem is reported at the setting involved, with where to fix it.
func TestCheckOrgListsWhatAnAdministratorMustFix(t *testing.T) {
	s := DefaultSettings()
	s.Case.Status = "Open"
	s.Case.OriginByChannel = map[string]string{"whatsapp": "WhatsApp"}
	s.Task.Status = "Done"
	s.ExtraMappings = []ExtraMapping{{Module: ModuleLeads, CloudCXField: "variable:plan", ZohoField: "Plan__c"}}
	s.Display.Account = append(s.Display.Account, "Rating")
	s.Identification.Contact = []Rule{{Conditions: []Condition{{CloudCXField: "custom:Customer no", ZohoFields: []string{"Customer_No__c"}}}}}
	fields := orgFields()
	fields[ModuleTasks] = crm.NewFieldSet(ModuleTasks, append(fields[ModuleTasks].All(), crm.Field{APIName: "Region__c", Required: true}))

	got := map[string]string{}
	for _, p := range s.CheckOrg(fields) {
		got[p.Path] += p.Message + "\n"
	}
	for path, want := range map[string]string{
		"case.status":                     `"Open" is not a value of Cases › Status in this Zoho org: add it in Zoho: Setup › Customization › Modules and Fields › Cases › Status, or choose one of "New", "Escalated", "Closed"`,
		"case.origin_by_channel.whatsapp": `"WhatsApp" is not a value of Cases › Case_Origin`,
		"task.status":                     `"Done" is not a value of Tasks › Status`,
		"extra_mappings[0].zoho_field":    `Leads module has no field "Plan__c"`,
		"display.account[3]":              `Accounts module has no field "Rating"`,
		"identification.contact[0].conditions[0].zoho_fields[0]": `no field "Customer_No__c"`,
		"extra_mappings": `Tasks › Region__c is mandatory`,
	} {
		if !strings.Contains(got[path], want) {
			t.Errorf("%s: got %q, want it to contain %q", path, got[path], want)
		}
	}
	if len(got) != 7 {
		t.Errorf("%d paths with problems, want 7: %v", len(got), got)
	}
	// Mapping a value to the mandatory field settles it.
	s.ExtraMappings = append(s.ExtraMappings, ExtraMapping{Module: ModuleTasks, CloudCXField: "variable:region", ZohoField: "Region__c"})
	for _, p := range s.CheckOrg(fields) {
		if strings.Contains(p.Message, "Region__c") {
			t.Errorf("still reported: %v", p)
		}
	}
}

func TestCheckOverrides(t *testing.T) {
	if err := CheckOverrides(ModuleLeads, map[string]string{"Email": "a@b.example", "Last_Name": "Doe", "Plan__c": "gold"}); err != nil {
		t.Fatalf("visitor values and custom fields: %v", err)
	}
	if err := CheckOverrides(ModuleCases, map[string]string{"Status": "Escalated", "Priority": "High"}); err != nil {
		t.Fatalf("case picklists: %v", err)
	}
	var ve *ValidationError
	err := CheckOverrides(ModuleCases, map[string]string{"Owner": "1", "Subject": "x", "Related_To": "2", "Bad Name": "x", "Note": "a\u202eb"})
	if !errors.As(err, &ve) || len(ve.Problems) != 5 {
		t.Fatalf("err = %v, want 5 problems", err)
	}
	if err := CheckOverrides("Deals", nil); !errors.As(err, &ve) {
		t.Fatalf("unknown module: %v", err)
	}
}
