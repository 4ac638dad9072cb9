package rules_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// The default settings, as the host stores them.
func ExampleDefaultSettings() {
	data, _ := json.MarshalIndent(rules.DefaultSettings(), "", "  ")
	fmt.Println(string(data))
	// Output:
	// {
	//   "version": 2,
	//   "mode": "automatic",
	//   "sections": {
	//     "web_chat": {
	//       "action": "support"
	//     },
	//     "inbox": {
	//       "action": "support"
	//     }
	//   },
	//   "update_policy": {
	//     "contact": "fill_empty",
	//     "lead": "fill_empty"
	//   },
	//   "identification": {
	//     "account": [
	//       {
	//         "conditions": [
	//           {
	//             "cloudcx_field": "company",
	//             "zoho_fields": [
	//               "Account_Name"
	//             ]
	//           }
	//         ]
	//       }
	//     ],
	//     "contact": [
	//       {
	//         "conditions": [
	//           {
	//             "cloudcx_field": "email",
	//             "zoho_fields": [
	//               "Email"
	//             ]
	//           }
	//         ]
	//       },
	//       {
	//         "conditions": [
	//           {
	//             "cloudcx_field": "phone",
	//             "zoho_fields": [
	//               "Phone",
	//               "Mobile"
	//             ]
	//           }
	//         ]
	//       }
	//     ],
	//     "lead": [
	//       {
	//         "conditions": [
	//           {
	//             "cloudcx_field": "email",
	//             "zoho_fields": [
	//               "Email"
	//             ]
	//           }
	//         ]
	//       },
	//       {
	//         "conditions": [
	//           {
	//             "cloudcx_field": "phone",
	//             "zoho_fields": [
	//               "Phone",
	//               "Mobile"
	//             ]
	//           }
	//         ]
	//       }
	//     ]
	//   },
	//   "extra_mappings": [],
	//   "templates": {
	//     "case_subject": "CloudCX {channel} - {visitor_name} ({tenant_id})",
	//     "task_subject": "CloudCX {channel} - {visitor} ({tenant_id})"
	//   },
	//   "case": {
	//     "status": "New",
	//     "origin_web_chat": "Chat",
	//     "origin_default": "Web"
	//   },
	//   "task": {
	//     "status": "Completed"
	//   },
	//   "time_zone": "UTC",
	//   "fallbacks": {
	//     "last_name": "Visitor {visitor_id}",
	//     "company": "Unknown"
	//   },
	//   "creation": {
	//     "require_identity": "none",
	//     "skip_missed": false,
	//     "skip_bot_only": false
	//   },
	//   "display": {
	//     "lead": [
	//       "First_Name",
	//       "Last_Name",
	//       "Email",
	//       "Phone",
	//       "Company",
	//       "Lead_Status"
	//     ],
	//     "contact": [
	//       "First_Name",
	//       "Last_Name",
	//       "Email",
	//       "Phone",
	//       "Account_Name"
	//     ],
	//     "account": [
	//       "Account_Name",
	//       "Phone",
	//       "Website"
	//     ]
	//   }
	// }
}

// Reading stored settings: keys the document lacks keep their defaults; Validate reports every
// problem at once, each with its JSON path.
func ExampleParseSettings() {
	stored := []byte(`{
		"version": 1,
		"sections": {"web_chat": {"action": "sales"}, "inbox": {"action": "off"}},
		"identification": {"lead": [{"conditions": [{"cloudcx_field": "emial", "zoho_fields": ["Email"]}]}]},
		"templates": {"task_subject": "Chat with {visitor_name} on {chanel}"},
		"time_zone": "Europe/Paris"
	}`)
	s, err := rules.ParseSettings(stored)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("web chat:", s.Action(cloudcx.SectionWebChat), "inbox:", s.Action(cloudcx.SectionInbox), "lead policy:", s.UpdatePolicy.Lead)

	var invalid *rules.ValidationError
	if errors.As(s.Validate(), &invalid) {
		for _, p := range invalid.Problems {
			fmt.Println(p.Path, "→", p.Message)
		}
	}

	_, err = rules.ParseSettings([]byte(`{"version": 7}`))
	fmt.Println(err)
	// Output:
	// web chat: sales inbox: off lead policy: fill_empty
	// identification.lead[0].conditions[0].cloudcx_field → unknown field "emial" (known: name, first_name, last_name, email, phone, company, visitor_id, contact_id, custom:<name>, variable:<name>)
	// templates.task_subject → unknown placeholder {chanel} (known: {agent_name} {channel} {chat_id} {company} {end_date} {end_time} {kind} {section} {start_date} {start_time} {tenant_id} {visitor} {visitor_email} {visitor_id} {visitor_name} {visitor_phone} {wrap_up})
	// rules: settings version 7 is newer than this SDK reads (2); upgrade the SDK
}

// Identification: the searches to run, then Choose re-checks what Zoho returned.
func ExampleIdentify() {
	s := rules.DefaultSettings()
	visitor := cloudcx.Visitor{Email: "Jane@Example.com", Phone: "+1 (555) 010-0100"}
	searches := rules.Identify(rules.ModuleContacts, s.Identification.Contact, visitor, cloudcx.SectionWebChat)
	for _, search := range searches {
		if search.Kind == rules.SearchCriteria {
			fmt.Println(search.RuleIndex, search.Kind, search.Criteria)
		} else {
			fmt.Println(search.RuleIndex, search.Kind, search.Value)
		}
	}

	// What Zoho's search returned for the phone forms: candidates, re-checked by Choose.
	found := []*crm.Record{}
	for _, doc := range []string{
		`{"id":"1","Phone":"555 0100","Modified_Time":"2024-06-01T10:00:00+00:00"}`,
		`{"id":"2","Mobile":"+1 555 010 0100","Modified_Time":"2024-05-01T10:00:00+00:00"}`,
		`{"id":"3","Phone":"1-555-010-0100","Modified_Time":"2024-04-01T10:00:00+00:00"}`,
	} {
		r, _ := crm.ParseRecord([]byte(doc))
		found = append(found, r)
	}
	if r, ok := rules.Choose(searches[1], found); ok {
		fmt.Println("chosen:", r.ID())
	}
	// Output:
	// 0 email Jane@Example.com
	// 1 criteria ((Phone:equals:+1 \(555\) 010-0100)or(Mobile:equals:+1 \(555\) 010-0100)or(Phone:equals:15550100100)or(Mobile:equals:15550100100)or(Phone:equals:+15550100100)or(Mobile:equals:+15550100100))
	// chosen: 2
}

// Rendering a chat as a Zoho Case.
func ExampleRenderCase() {
	start := time.Date(2024, 3, 1, 8, 30, 5, 0, time.UTC)
	chat := &cloudcx.Chat{Thread: cloudcx.Thread{
		ID: "4711", TenantID: "acme", Channel: cloudcx.ChannelWebChat,
		Visitor: cloudcx.Visitor{ID: "v-1", Name: "Jane Doe", Email: "jane@example.com"},
		Agents:  []cloudcx.Agent{{ID: "a1", Name: "Sam", Email: "sam@acme.test"}},
		Messages: []cloudcx.Message{
			{SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: "Jane Doe", Text: "My order has not arrived."},
			{SentAt: start.Add(time.Minute), SenderKind: cloudcx.SenderAgent, SenderID: "a1", SenderName: "Sam", HTML: "<p>Sorry! I have <b>re-sent</b> it.</p>"},
		},
		WrapUp:    &cloudcx.WrapUp{Categories: []string{"Shipping"}, Comment: "Re-sent."},
		StartedAt: start, EndedAt: start.Add(5 * time.Minute),
	}}
	s := rules.DefaultSettings()
	s.TimeZone = "Europe/Paris"
	// rules reads no time-zone database: the caller resolves the tenant's zone (once per tenant).
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		fmt.Println(err)
		return
	}

	r, err := rules.RenderCase(rules.RenderInput{
		Interaction: chat,
		Settings:    s,
		Location:    loc,
		Owner:       rules.Owner{ID: "1000000031001"},
		Person:      rules.Link{Module: rules.ModuleContacts, ID: "1000000042001"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := r.Record.Clone()
	rec.Delete("Description")
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(rec)
	fmt.Println(rules.HasMarker(r.Subject, rules.KeyOf(chat)))
	fmt.Print(r.Description)
	// Output:
	// {"Owner":{"id":"1000000031001"},"Subject":"CloudCX Web Chat - Jane Doe (acme) [cx:acme:chat:4711]","Status":"New","Case_Origin":"Chat","Reported_By":"Jane Doe","Email":"jane@example.com","Related_To":{"id":"1000000042001"}}
	// true
	// Chat ID: 4711
	// Tenant ID: acme
	// Channel: Web Chat
	// Start time: 2024-03-01 09:30:05 +01:00
	// End time: 2024-03-01 09:35:05 +01:00
	// Agents: Sam <sam@acme.test>
	//
	// Wrap-up
	// Category: Shipping
	// Comment: Re-sent.
	//
	// Transcript
	// [2024-03-01 09:30:05] Jane Doe: My order has not arrived.
	// [2024-03-01 09:31:05] Sam: Sorry! I have re-sent it.
}

// The update a found Contact gets under "fill empty": only what Zoho lacks.
func ExampleMerge() {
	existing, _ := crm.ParseRecord([]byte(`{"id":"1000000042001","First_Name":"Jane","Last_Name":"Doe","Email":"JANE@example.com","Phone":null}`))
	p, _ := rules.PersonFields(rules.PersonInput{
		Settings: rules.DefaultSettings(),
		Section:  cloudcx.SectionWebChat,
		Visitor:  cloudcx.Visitor{Name: "Jane Doe", Email: "jane@example.com", Phone: "+1 555 0100"},
	})
	for _, policy := range []rules.UpdatePolicy{rules.Never, rules.FillEmpty, rules.Overwrite} {
		update, changed := rules.Merge(policy, existing, p.Values)
		if !changed {
			fmt.Println(policy, "→ no update")
			continue
		}
		b, _ := json.Marshal(update)
		fmt.Println(policy, "→", string(b))
	}
	// Output:
	// never → no update
	// fill_empty → {"Phone":"+1 555 0100","id":"1000000042001"}
	// overwrite → {"Phone":"+1 555 0100","id":"1000000042001"}
}
