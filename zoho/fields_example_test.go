package zoho_test

import (
	"context"
	"fmt"
	"net/http"
)

// Check, before writing a case, that this org's Case_Origin picklist has a "Chat" value, and fit a
// subject to its field's length. The metadata is cached per client.
func ExampleFieldsService_List() {
	calls := 0
	mux := http.NewServeMux()
	mux.HandleFunc("GET /crm/v2/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		calls++
		fmt.Fprint(w, `{"fields":[
			{"api_name":"Case_Origin","data_type":"picklist","system_mandatory":true,"pick_list_values":[
				{"display_value":"Email","actual_value":"Email"},{"display_value":"Web","actual_value":"Web"}]},
			{"api_name":"Subject","data_type":"text","length":12,"system_mandatory":true}]}`)
	})
	client, done := exampleClient(mux)
	defer done()
	ctx := context.Background()

	fields, _, err := client.Fields.List(ctx, "Cases")
	if err != nil {
		fmt.Println(err)
		return
	}
	origin, _ := fields.Get("Case_Origin")
	fmt.Println("accepts Chat:", origin.AcceptsPickListValue("Chat"), "Web:", origin.AcceptsPickListValue("Web"))
	subject, _ := fields.Get("Subject")
	fmt.Printf("%q\n", subject.Truncate("Chat with 👩‍💻 Anna"))
	fmt.Println("mandatory:", fields.Mandatory())

	_, _, _ = client.Fields.List(ctx, "Cases") // from the cache
	fmt.Println("calls:", calls)
	// Output:
	// accepts Chat: false Web: true
	// "Chat with "
	// mandatory: [Case_Origin Subject]
	// calls: 1
}
