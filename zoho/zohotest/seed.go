package zohotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Seed stores records in a module directly (no API call, no credit), and returns their ids.
// Each record is a map of field API names to values as JSON would carry them (strings, numbers,
// booleans, {"id": …} for lookups and Owner). Fields are checked like an API write (types,
// lengths, picklists, lookups) except that mandatory fields may be missing; unknown fields are
// an error. A record may give its "id" (digits) and its "Created_Time" and "Modified_Time"
// (RFC 3339); Owner defaults to the current user. Seeded records are searchable at once.
func (o *Org) Seed(moduleName string, records ...map[string]any) ([]string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(moduleName)
	if mod == nil {
		return nil, fmt.Errorf("zohotest: Seed: no module %q", moduleName)
	}
	now := o.s.now().Truncate(time.Second)
	var ids []string
	for i, rec := range records {
		in, err := normalize(rec)
		if err != nil {
			return ids, fmt.Errorf("zohotest: Seed %s[%d]: %v", mod.name, i, err)
		}
		id, _ := in["id"].(string)
		if n, ok := in["id"].(json.Number); ok {
			id = n.String()
		}
		if _, err := strconv.ParseUint(id, 10, 64); id != "" && err != nil {
			return ids, fmt.Errorf("zohotest: Seed %s[%d]: id %q is not numeric", mod.name, i, id)
		}
		if id != "" && (o.recordByIDLocked(id) != nil || o.reserved[id]) {
			return ids, fmt.Errorf("zohotest: Seed %s[%d]: id %s already exists", mod.name, i, id)
		}
		created, modified := now, now
		for key, t := range map[string]*time.Time{"Created_Time": &created, "Modified_Time": &modified} {
			if v, ok := in[key]; ok {
				s, _ := v.(string)
				pt, err := time.Parse(time.RFC3339, s)
				if err != nil {
					return ids, fmt.Errorf("zohotest: Seed %s[%d]: %s %q is not RFC 3339", mod.name, i, key, s)
				}
				*t = pt.Truncate(time.Second)
			}
		}
		if _, ok := in["Modified_Time"]; !ok {
			modified = created
		}
		for _, k := range sortedKeys(in) {
			switch k {
			case "id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Tag", "$se_module":
				continue
			}
			if _, ok := mod.byName[k]; !ok {
				return ids, fmt.Errorf("zohotest: Seed %s[%d]: %s is not a field of %s", mod.name, i, k, mod.name)
			}
		}
		values, e := o.validateLocked(mod, in, i, modeSeed, nil)
		if e != nil {
			return ids, fmt.Errorf("zohotest: Seed %s[%d]: %s %v: %v", mod.name, i, e["code"], e["message"], e["details"])
		}
		seModule(in, values)
		userID := o.currentLocked().ID
		r := o.applyLocked(mod, nil, values, userID, created)
		if id != "" {
			delete(mod.records, r.id)
			r.id = id
			mod.records[id] = r
			o.reserved[id] = true
		}
		r.created, r.modified = created, modified
		r.indexAt = time.Time{} // searchable at once
		ids = append(ids, r.id)
	}
	return ids, nil
}

func (o *Org) recordByIDLocked(id string) *record {
	for _, m := range o.modOrder {
		if r := m.records[id]; r != nil {
			return r
		}
	}
	return nil
}

// Records returns the records of a module as Zoho serves them (every field, null when empty),
// oldest first. The maps are copies.
func (o *Org) Records(moduleName string) []map[string]any {
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(moduleName)
	if mod == nil {
		return nil
	}
	recs := make([]*record, 0, len(mod.records))
	for _, r := range mod.records {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return idLess(recs[i].id, recs[j].id) })
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		out[i] = o.renderLocked(mod, r, nil)
	}
	return out
}

// Record returns one record as Zoho serves it, and whether it exists.
func (o *Org) Record(moduleName, id string) (map[string]any, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(moduleName)
	if mod == nil || mod.records[id] == nil {
		return nil, false
	}
	return o.renderLocked(mod, mod.records[id], nil), true
}

// Modules returns the API names of the org's modules.
func (o *Org) Modules() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, len(o.modOrder))
	for i, m := range o.modOrder {
		out[i] = m.name
	}
	return out
}

// Fields returns the field metadata of a module, or nil when there is no such module.
func (o *Org) Fields(moduleName string) []Field {
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(moduleName)
	if mod == nil {
		return nil
	}
	out := make([]Field, len(mod.fields))
	for i, fm := range mod.fields {
		out[i] = fm.Field
		out[i].PickList = append([]string(nil), fm.PickList...)
	}
	return out
}

// --- seed files ---

// seedFile is the JSON seed format of [Server.LoadSeed].
type seedFile struct {
	Orgs []seedOrg `json:"orgs"`
}

type seedOrg struct {
	ID           string                      `json:"id"`
	Name         string                      `json:"name"`
	Edition      string                      `json:"edition"`
	TimeZone     string                      `json:"time_zone"`
	Concurrency  int                         `json:"concurrency"`
	DailyCredits int                         `json:"daily_credits"`
	ClientID     string                      `json:"client_id"`
	ClientSecret string                      `json:"client_secret"`
	PrimaryEmail string                      `json:"primary_email"`
	Users        []seedUser                  `json:"users"`
	Modules      []seedModule                `json:"modules"`
	Records      map[string][]map[string]any `json:"records"`
}

type seedUser struct {
	ID           string `json:"id"`
	Email        string `json:"email"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Status       string `json:"status"`
	Role         string `json:"role"`
	Profile      string `json:"profile"`
	NotConfirmed bool   `json:"not_confirmed"`
	TimeZone     string `json:"time_zone"`
}

type seedModule struct {
	APIName              string      `json:"api_name"`
	Fields               []seedField `json:"fields"`
	DuplicateCheckFields []string    `json:"duplicate_check_fields"`
	DisplayField         string      `json:"display_field"`
}

type seedField struct {
	APIName      string   `json:"api_name"`
	Label        string   `json:"field_label"`
	DataType     string   `json:"data_type"`
	Length       int      `json:"length"`
	Mandatory    bool     `json:"mandatory"`
	ReadOnly     bool     `json:"read_only"`
	Unique       bool     `json:"unique"`
	PickList     []string `json:"pick_list"`
	LookupModule string   `json:"lookup_module"`
}

// seedOrder puts modules that others look up first.
func seedOrder(names []string) []string {
	rank := map[string]int{"accounts": 0, "contacts": 1, "leads": 2, "deals": 3, "cases": 8, "tasks": 9}
	out := append([]string(nil), names...)
	sort.SliceStable(out, func(i, j int) bool {
		ri, ok := rank[strings.ToLower(out[i])]
		if !ok {
			ri = 5
		}
		rj, ok := rank[strings.ToLower(out[j])]
		if !ok {
			rj = 5
		}
		if ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

// LoadSeed adds the orgs of a JSON seed file and their records:
//
//	{"orgs": [{"id": "…", "name": "…", "edition": "enterprise", "time_zone": "UTC",
//	  "concurrency": 0, "daily_credits": 0, "client_id": "…", "client_secret": "…",
//	  "users": [{"email": "…", "first_name": "…", "last_name": "…", "status": "active"}],
//	  "modules": [{"api_name": "Chats", "fields": [{"api_name": "Name", "data_type": "text",
//	    "length": 120, "mandatory": true}]}],
//	  "records": {"Accounts": [{"Account_Name": "Zylker"}], "Contacts": [{…}]}}]}
//
// Every key is optional (as in [OrgConfig]); records follow [Org.Seed] and are stored Accounts,
// Contacts, Leads, Deals, custom modules, Cases, Tasks, in that order, so lookups can point to
// records seeded earlier.
func (s *Server) LoadSeed(r io.Reader) ([]*Org, error) {
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	dec.DisallowUnknownFields()
	var sf seedFile
	if err := dec.Decode(&sf); err != nil {
		return nil, fmt.Errorf("zohotest: LoadSeed: %w", err)
	}
	if len(sf.Orgs) == 0 {
		return nil, errors.New("zohotest: LoadSeed: the seed holds no orgs")
	}
	var orgs []*Org
	for i, so := range sf.Orgs {
		cfg := OrgConfig{ID: so.ID, Name: so.Name, Edition: so.Edition, TimeZone: so.TimeZone,
			Concurrency: so.Concurrency, DailyCredits: so.DailyCredits, ClientID: so.ClientID,
			ClientSecret: so.ClientSecret, PrimaryEmail: so.PrimaryEmail}
		for _, u := range so.Users {
			cfg.Users = append(cfg.Users, User(u))
		}
		for _, m := range so.Modules {
			mod := Module{APIName: m.APIName, DuplicateCheckFields: m.DuplicateCheckFields, DisplayField: m.DisplayField}
			for _, f := range m.Fields {
				mod.Fields = append(mod.Fields, Field{APIName: f.APIName, Label: f.Label, DataType: f.DataType,
					Length: f.Length, Mandatory: f.Mandatory, ReadOnly: f.ReadOnly, Unique: f.Unique,
					PickList: f.PickList, LookupModule: f.LookupModule, Custom: true})
			}
			cfg.Modules = append(cfg.Modules, mod)
		}
		o, err := s.AddOrg(cfg)
		if err != nil {
			return orgs, fmt.Errorf("zohotest: LoadSeed: org %d: %w", i, err)
		}
		orgs = append(orgs, o)
		for _, name := range seedOrder(sortedKeys(so.Records)) {
			if _, err := o.Seed(name, so.Records[name]...); err != nil {
				return orgs, fmt.Errorf("zohotest: LoadSeed: org %s: %w", o.id, err)
			}
		}
	}
	return orgs, nil
}

// DemoOrgConfig is the demo org of the standalone server and the quickstart: "Zylker Demo"
// (Enterprise) with three active users and one inactive.
func DemoOrgConfig() OrgConfig {
	return OrgConfig{
		ID: "808232144", Name: "Zylker Demo", Edition: EditionEnterprise,
		Users: []User{
			{Email: "patricia.boyle@zylker.example", FirstName: "Patricia", LastName: "Boyle"},
			{Email: "kris.marrier@zylker.example", FirstName: "Kris", LastName: "Marrier"},
			{Email: "anna.kingsley@zylker.example", FirstName: "Anna", LastName: "Kingsley"},
			{Email: "former.agent@zylker.example", FirstName: "Former", LastName: "Agent", Status: "inactive"},
		},
	}
}

// AddDemoOrg adds the [DemoOrgConfig] org with a few records: the account Zylker, its contact
// Kris Marrier, and the lead Christopher Maclead.
func (s *Server) AddDemoOrg() (*Org, error) {
	o, err := s.AddOrg(DemoOrgConfig())
	if err != nil {
		return nil, err
	}
	acc, err := o.Seed("Accounts", map[string]any{"Account_Name": "Zylker", "Website": "www.zylker.example", "Phone": "555-0100"})
	if err != nil {
		return nil, err
	}
	if _, err := o.Seed("Contacts", map[string]any{"First_Name": "Kris", "Last_Name": "Marrier",
		"Email": "kris@zylker-customer.example", "Phone": "555-0101", "Account_Name": map[string]any{"id": acc[0]}}); err != nil {
		return nil, err
	}
	if _, err := o.Seed("Leads", map[string]any{"First_Name": "Christopher", "Last_Name": "Maclead",
		"Company": "Chapman", "Email": "christopher@chapman.example", "Lead_Source": "Chat"}); err != nil {
		return nil, err
	}
	return o, nil
}

// DeleteRecord deletes a record and its attachments, as a user deleting it in Zoho's UI: from
// then on it is not listed or found, reading it answers as for any unknown id, and a write whose
// lookup (Related_To, What_Id, Who_Id, Account_Name…) names it is refused with INVALID_DATA.
func (o *Org) DeleteRecord(moduleName, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	mod := o.moduleLocked(moduleName)
	if mod == nil || mod.records[id] == nil {
		return fmt.Errorf("zohotest: DeleteRecord: no %s record %s", moduleName, id)
	}
	delete(mod.records, id)
	delete(o.attachments, id)
	return nil
}

// ConvertLead converts a Lead as Zoho's "Convert" does: a Contact is created from the Lead's
// name, email, phone and mobile, an Account from its Company (unless empty), and the Lead is gone
// (converted Leads are not served by the API), so a write that still points at the Lead is
// refused with INVALID_DATA. It returns the new Contact's and Account's ids.
func (o *Org) ConvertLead(leadID string) (contactID, accountID string, err error) {
	lead, ok := o.Record("Leads", leadID)
	if !ok {
		return "", "", fmt.Errorf("zohotest: ConvertLead: no Lead %s", leadID)
	}
	contact := map[string]any{}
	for _, f := range []string{"First_Name", "Last_Name", "Email", "Phone", "Mobile"} {
		if v, ok := lead[f].(string); ok && v != "" {
			contact[f] = v
		}
	}
	if c, _ := lead["Company"].(string); c != "" {
		ids, err := o.Seed("Accounts", map[string]any{"Account_Name": c})
		if err != nil {
			return "", "", err
		}
		accountID = ids[0]
		contact["Account_Name"] = map[string]any{"id": accountID}
	}
	ids, err := o.Seed("Contacts", contact)
	if err != nil {
		return "", "", err
	}
	if err := o.DeleteRecord("Leads", leadID); err != nil {
		return "", "", err
	}
	return ids[0], accountID, nil
}

// MergeRecords merges duplicates into master as Zoho's "Merge" does: the master stays (its values
// win), the others are deleted, so writes pointing at them are refused with INVALID_DATA.
func (o *Org) MergeRecords(moduleName, masterID string, duplicateIDs ...string) error {
	if _, ok := o.Record(moduleName, masterID); !ok {
		return fmt.Errorf("zohotest: MergeRecords: no %s record %s", moduleName, masterID)
	}
	for _, id := range duplicateIDs {
		if id == masterID {
			continue
		}
		if err := o.DeleteRecord(moduleName, id); err != nil {
			return err
		}
	}
	return nil
}
