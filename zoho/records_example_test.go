package zoho_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"golang.org/x/oauth2"
)

// exampleClient returns a client for a local stand-in for Zoho serving handler.
func exampleClient(handler http.Handler) (*zoho.Client, func()) {
	srv := httptest.NewServer(handler)
	c, err := zoho.NewClient(
		zoho.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "1000.example"})),
		zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}),
	)
	if err != nil {
		panic(err)
	}
	return c, srv.Close
}

// Insert two leads; Zoho accepts the first and refuses the second (HTTP 207). Each result belongs
// to its input, so the caller knows exactly which record failed and why.
func ExampleRecordsService_Insert() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /crm/v2/Leads", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println("Zoho got:", string(body))
		w.WriteHeader(http.StatusMultiStatus)
		fmt.Fprint(w, `{"data":[
			{"code":"SUCCESS","details":{"id":"5725767000000524157"},"message":"record added","status":"success"},
			{"code":"INVALID_DATA","details":{"api_name":"Email","json_path":"$.data[1].Email"},"message":"invalid data","status":"error"}]}`)
	})
	client, done := exampleClient(mux)
	defer done()

	first, second := crm.NewRecord(), crm.NewRecord()
	_ = first.Set("Last_Name", "Boyle")
	_ = first.Set("Company", "Zylker")
	_ = second.Set("Last_Name", "Kingsley")
	_ = second.Set("Email", "not an email")

	results, _, err := client.Records.Insert(context.Background(), "Leads", []*crm.Record{first, second}, nil)
	if err != nil {
		fmt.Println("the call failed:", err)
		return
	}
	for _, res := range results {
		switch {
		case res.Err == nil:
			fmt.Printf("record %d: created %s\n", res.Index, res.ID)
		case errors.Is(res.Err, zoho.ErrInvalidData):
			fmt.Printf("record %d: invalid %s\n", res.Index, res.Details["api_name"])
		}
	}
	// Output:
	// Zoho got: {"data":[{"Last_Name":"Boyle","Company":"Zylker"},{"Last_Name":"Kingsley","Email":"not an email"}]}
	// record 0: created 5725767000000524157
	// record 1: invalid Email
}

// Insert one contact and check its result: err is the call's failure or Zoho's refusal of the
// record.
func ExampleModuleService_InsertOne() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /crm/v2/Contacts", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"data":[{"code":"SUCCESS","details":{"id":"4150868000000376008"},"message":"record added","status":"success"}]}`)
	})
	client, done := exampleClient(mux)
	defer done()

	res, _, err := client.Contacts.InsertOne(context.Background(), &crm.Contact{LastName: crm.Some("Kingsley")}, nil)
	if err != nil {
		fmt.Println("not written:", err)
		return
	}
	fmt.Println("created", res.ID)
	// Output:
	// created 4150868000000376008
}

// Upsert a contact by email, running no workflow: Zoho updates the contact that has this email,
// or creates one.
func ExampleModuleService_UpsertOne() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /crm/v2/Contacts/upsert", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println("Zoho got:", string(body))
		fmt.Fprint(w, `{"data":[{"code":"SUCCESS","duplicate_field":"Email","action":"update",
			"details":{"id":"4150868000000376008"},"message":"record updated","status":"success"}]}`)
	})
	client, done := exampleClient(mux)
	defer done()

	contact := &crm.Contact{
		LastName: crm.Some("Kingsley"),
		Email:    crm.Some("anna@bentley.example"),
		Phone:    crm.Null[string](), // clear the phone number
	}
	opts := &zoho.UpsertOptions{
		DuplicateCheckFields: []string{"Email"},
		WriteOptions:         zoho.WriteOptions{Trigger: zoho.NoTriggers()},
	}
	res, _, err := client.Contacts.UpsertOne(context.Background(), contact, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Action, res.ID, "matched on", res.DuplicateField)
	// Output:
	// Zoho got: {"data":[{"Last_Name":"Kingsley","Email":"anna@bentley.example","Phone":null}],"trigger":[],"duplicate_check_fields":["Email"]}
	// update 4150868000000376008 matched on Email
}

// Read every lead modified recently, page after page. The loop may stop at any time; an error ends
// it.
func ExampleModuleService_ListIter() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /crm/v2/Leads", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page") {
		case "", "1":
			fmt.Fprint(w, `{"data":[{"id":"1","Last_Name":"Boyle","Lead_Source":"Chat"},{"id":"2","Last_Name":"Kingsley"}],
				"info":{"per_page":2,"count":2,"page":1,"more_records":true}}`)
		case "2":
			fmt.Fprint(w, `{"data":[{"id":"3","Last_Name":"Marrier","Custom_Score__c":42}],
				"info":{"per_page":2,"count":1,"page":2,"more_records":false}}`)
		}
	})
	client, done := exampleClient(mux)
	defer done()

	opts := &zoho.ListOptions{PerPage: 2, SortBy: "Modified_Time", SortOrder: zoho.SortDesc}
	for lead, err := range client.Leads.ListIter(context.Background(), opts) {
		if err != nil {
			fmt.Println("listing stopped:", err)
			break
		}
		fmt.Println(lead.ID, lead.LastName.Value(), lead.Extra.Keys())
	}
	// Output:
	// 1 Boyle []
	// 2 Kingsley []
	// 3 Marrier [Custom_Score__c]
}

// Records of a custom module, with no Go type: every field is kept as Zoho sent it.
func ExampleRecordsService_Get() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /crm/v2/Chat_Transcripts/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"data":[{"id":%q,"Name":"Chat 42","Visitor":{"name":"Anna","id":"77"},
			"Started_At":"2026-03-01T09:30:00+01:00","Messages__c":12}]}`, r.PathValue("id"))
	})
	client, done := exampleClient(mux)
	defer done()

	rec, _, err := client.Records.Get(context.Background(), "Chat_Transcripts", "4150868000001")
	if err != nil {
		fmt.Println(err)
		return
	}
	visitor, _ := rec.Lookup("Visitor")
	started, _ := rec.DateTime("Started_At")
	fmt.Println(rec.ID(), rec.Text("Name"), visitor.Name, rec.Text("Messages__c"), started)
	out, _ := json.Marshal(rec)
	fmt.Println(string(out))
	// Output:
	// 4150868000001 Chat 42 Anna 12 2026-03-01T09:30:00+01:00
	// {"id":"4150868000001","Name":"Chat 42","Visitor":{"name":"Anna","id":"77"},"Started_At":"2026-03-01T09:30:00+01:00","Messages__c":12}
}

// Delete records by id, without running workflow rules.
func ExampleRecordsService_Delete() {
	mux := http.NewServeMux()
	mux.HandleFunc("DELETE /crm/v2/Tasks", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("Zoho got: ids", r.URL.Query().Get("ids"), "wf_trigger", r.URL.Query().Get("wf_trigger"))
		var items []string
		for _, id := range strings.Split(r.URL.Query().Get("ids"), ",") {
			items = append(items, fmt.Sprintf(`{"code":"SUCCESS","details":{"id":%q},"message":"record deleted","status":"success"}`, id))
		}
		fmt.Fprint(w, `{"data":[`+strings.Join(items, ",")+`]}`)
	})
	client, done := exampleClient(mux)
	defer done()

	results, _, err := client.Records.Delete(context.Background(), "Tasks", []string{"11", "12"}, &zoho.DeleteOptions{SkipWorkflow: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(results.Failed()), "failed;", results.IDs())
	// Output:
	// Zoho got: ids 11,12 wf_trigger false
	// 0 failed; [11 12]
}

// A typed field has three states: left out, set, or cleared with JSON null.
func ExampleOptional() {
	lead := crm.Lead{
		LastName: crm.Some("Boyle"),      // sent
		Phone:    crm.Null[string](),     // sent as null: Zoho empties the field
		Email:    crm.Optional[string]{}, // the zero value: not sent, Zoho leaves it alone
	}
	out, _ := json.Marshal(lead)
	fmt.Println(string(out))

	var back crm.Lead
	_ = json.Unmarshal([]byte(`{"Last_Name":"Boyle","Phone":null,"Score__c":7}`), &back)
	name, ok := back.LastName.Get()
	fmt.Println(name, ok, back.Phone.IsNull(), back.Email.IsZero(), back.Extra.Text("Score__c"))
	// Output:
	// {"Last_Name":"Boyle","Phone":null}
	// Boyle true true true 7
}
