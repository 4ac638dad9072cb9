package crm_test

import (
	"fmt"
	"net/url"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Criteria are built from conditions, escaped for Zoho, and read back by ParseCriteria (as a fake
// Zoho server does with the decoded query).
func ExampleCriteria_Build() {
	crit := crm.And(
		crm.Equals("Last_Name", "Burns,B"),
		crm.Or(crm.Equals("Email", "jane+crm@example.com"), crm.StartsWith("Phone", "+49")),
	)
	text, err := crit.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(text)

	// What travels on the wire: the text URL-encoded, + as %2B.
	raw := url.Values{"criteria": {text}}.Encode()
	fmt.Println(raw)

	// The server side: decode, parse, evaluate.
	q, _ := url.ParseQuery(raw)
	back, err := crm.ParseCriteria(q.Get("criteria"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range back.Conditions() {
		fmt.Printf("%s %s %q\n", c.Field, c.Op, c.Value)
	}
	rec := map[string]string{"Last_Name": "Burns,B", "Email": "Jane+CRM@example.com"}
	fmt.Println(back.Matches(func(f string) (string, bool) { v, ok := rec[f]; return v, ok }))

	// Zoho's limits are checked before sending.
	_, err = crm.Equals("Last_Name", "K").Build()
	fmt.Println(err)
	// Output:
	// ((Last_Name:equals:Burns\,B)and((Email:equals:jane+crm@example.com)or(Phone:starts_with:+49)))
	// criteria=%28%28Last_Name%3Aequals%3ABurns%5C%2CB%29and%28%28Email%3Aequals%3Ajane%2Bcrm%40example.com%29or%28Phone%3Astarts_with%3A%2B49%29%29%29
	// Last_Name equals "Burns,B"
	// Email equals "jane+crm@example.com"
	// Phone starts_with "+49"
	// true
	// zoho: search criteria: field "Last_Name": value shorter than 2 characters (Zoho refuses it)
}
