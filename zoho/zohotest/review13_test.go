package zohotest_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// r13Client is a client for a fresh demo org of a fresh fake, from a refresh token in one call.
func r13Client(t *testing.T, opts ...zohotest.Option) (*zoho.Client, *zohotest.Server, *zohotest.Org) {
	t.Helper()
	srv := zohotest.New(t, opts...)
	org, err := srv.AddOrg(zohotest.OrgConfig{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := zoho.NewClientFromRefreshToken(t.Context(),
		&zoho.OAuthConfig{ClientID: org.ClientID(), ClientSecret: org.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}},
		org.IssueRefreshToken(), zoho.US,
		zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: -1}))
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, org
}

// A single refused record must never come back as err == nil (InsertOne, UpsertOne, UpdateOne).
func TestReview13OneWritesFoldRefusalIntoErr(t *testing.T) {
	ctx := t.Context()
	c, _, _ := r13Client(t)
	if _, _, err := c.Contacts.InsertOne(ctx, &crm.Contact{Email: crm.Some("no-last-name@example.com")}, nil); err == nil {
		t.Error("InsertOne of a Contact without Last_Name: err == nil")
	}
	if _, _, err := c.Contacts.UpsertOne(ctx, &crm.Contact{Email: crm.Some("no-last-name@example.com")}, nil); err == nil {
		t.Error("UpsertOne of a Contact without Last_Name: err == nil")
	}
	if _, _, err := c.Contacts.UpdateOne(ctx, &crm.Contact{ID: "1234567890123", LastName: crm.Some("X")}, nil); err == nil {
		t.Error("UpdateOne of an unknown id: err == nil")
	}
	if _, _, err := c.Records.InsertOne(ctx, "Leads", nil, nil); !errors.Is(err, zoho.ErrInvalidRecord) {
		t.Errorf("InsertOne(nil): %v, want ErrInvalidRecord", err)
	}
}

// Loose search by default, through the real client: Last_Name:equals:Doe finds "Doe 1".
func TestReview13LooseSearchThroughClient(t *testing.T) {
	ctx := t.Context()
	c, _, org := r13Client(t)
	if _, err := org.Seed("Leads", map[string]any{"Last_Name": "Doe 1", "Company": "C"}); err != nil {
		t.Fatal(err)
	}
	got, _, err := c.Leads.Search(ctx, crm.SearchQuery{Criteria: crm.Equals("Last_Name", "Doe")}, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("loose equals: %v, %d records", err, len(got))
	}
}

// A walk of a search with more than 2,000 matches delivers 2,000 and ends with ErrPagingLimit.
func TestReview13SearchIterMeetsTheCap(t *testing.T) {
	ctx := t.Context()
	c, _, org := r13Client(t)
	recs := make([]map[string]any, 2100)
	for i := range recs {
		recs[i] = map[string]any{"Last_Name": fmt.Sprintf("Doe %04d", i), "Company": "C"}
	}
	if _, err := org.Seed("Leads", recs...); err != nil {
		t.Fatal(err)
	}
	n := 0
	var last error
	for rec, err := range c.Leads.SearchIter(ctx, crm.SearchQuery{Criteria: crm.Equals("Last_Name", "Doe")}, nil) {
		if err != nil {
			last = err
			break
		}
		if rec != nil {
			n++
		}
	}
	if n != 2000 || !errors.Is(last, zoho.ErrPagingLimit) {
		t.Fatalf("walk delivered %d, ended with %v; want 2000 and ErrPagingLimit", n, last)
	}
	// Smaller pages: the same 2,000, not fewer or more.
	n, last = 0, nil
	for rec, err := range c.Leads.SearchIter(ctx, crm.SearchQuery{Criteria: crm.Equals("Last_Name", "Doe")}, &zoho.SearchOptions{PerPage: 150}) {
		if err != nil {
			last = err
			break
		}
		if rec != nil {
			n++
		}
	}
	if n != 2000 || !errors.Is(last, zoho.ErrPagingLimit) {
		t.Fatalf("per_page 150: walk delivered %d, ended with %v; want 2000 and ErrPagingLimit", n, last)
	}
}

// Printing a record shows no value, whichever verb and whether pointer or value.
func TestReview13RecordPrintsNoValue(t *testing.T) {
	r := crm.NewRecord()
	_ = r.Set("Email", "secret-person@example.com")
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%v", *r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r),
		fmt.Sprintf("%v", []*crm.Record{r}), fmt.Sprintf("%+v", struct{ R crm.Record }{*r}), fmt.Sprintf("%s %d", r, 1)} {
		if contains(s, "secret-person") {
			t.Errorf("printed record shows a value: %s", s)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// A Case holding a full-length transcript (within Zoho's 32,000-character Description) in a
// non-Latin script is one legitimate write; the call log must still let a test see its fields.
func TestReview13CallLogKeepsAFullLengthCaseWrite(t *testing.T) {
	ctx := t.Context()
	c, srv, _ := r13Client(t)
	desc := make([]rune, 30000)
	for i := range desc {
		desc[i] = '中'
	}
	if _, _, err := c.Cases.InsertOne(ctx, &crm.Case{Subject: crm.Some("Chat 1"), Status: crm.Some("New"), CaseOrigin: crm.Some("Chat"), Description: crm.Some(string(desc))}, nil); err != nil {
		t.Fatal(err)
	}
	var last zohotest.Call
	for _, call := range srv.Calls() {
		if call.Method == "POST" {
			last = call
		}
	}
	if recs := last.Records(); len(recs) != 1 || recs[0]["Subject"] != "Chat 1" {
		t.Fatalf("call log of a valid Case write: %d records, body %d bytes", len(recs), len(last.Body))
	}
}
