package zoho

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/jarcoal/httpmock"
)

// A one-record write returns that record's result, and a record Zoho refused comes back as err
// (never as err == nil with the refusal hidden in the result): for every *One method, typed and
// generic.
func TestWriteOneFoldsTheRefusedRecordIntoErr(t *testing.T) {
	c, mt := newMockClient(t)
	refused := `{"data":[{"code":"INVALID_DATA","details":{"api_name":"Email","expected_data_type":"email"},"message":"invalid data","status":"error"}]}`
	added := `{"data":[{"code":"SUCCESS","details":{"id":"5725767000000524157"},"message":"record added","action":"insert","duplicate_field":null,"status":"success"}]}`
	answer := refused
	for _, route := range []string{"POST " + apiBase + "Contacts", "PUT " + apiBase + "Contacts", "POST " + apiBase + "Contacts/upsert", "POST " + apiBase + "Custom__c"} {
		method, url, _ := strings.Cut(route, " ")
		mt.RegisterResponder(method, url, func(*http.Request) (*http.Response, error) {
			status := http.StatusCreated
			if answer == refused {
				status = http.StatusBadRequest // Zoho's answer when every record of the call failed
			}
			return httpmock.NewStringResponse(status, answer), nil
		})
	}
	contact := &crm.Contact{ID: "5725767000000524157", LastName: crm.Some("Boyle"), Email: crm.Some("not an email")}
	custom := &crm.Record{}
	_ = custom.Set("Name", "transcript")
	calls := map[string]func() (RecordResult, error){
		"Contacts.InsertOne": func() (RecordResult, error) {
			r, _, err := c.Contacts.InsertOne(t.Context(), contact, nil)
			return r, err
		},
		"Contacts.UpdateOne": func() (RecordResult, error) {
			r, _, err := c.Contacts.UpdateOne(t.Context(), contact, nil)
			return r, err
		},
		"Contacts.UpsertOne": func() (RecordResult, error) {
			r, _, err := c.Contacts.UpsertOne(t.Context(), contact, &UpsertOptions{DuplicateCheckFields: []string{"Email"}})
			return r, err
		},
		"Records.InsertOne": func() (RecordResult, error) {
			r, _, err := c.Records.InsertOne(t.Context(), "Custom__c", custom, nil)
			return r, err
		},
	}
	for name, call := range calls {
		answer = refused
		res, err := call()
		var apiErr *APIError
		if !errors.Is(err, ErrInvalidData) || !errors.As(err, &apiErr) || apiErr.Details["api_name"] != "Email" || res.Err != err || res.Code != "INVALID_DATA" {
			t.Errorf("%s refused: res %+v, err %v", name, res, err)
		}
		answer = added
		res, err = call()
		if err != nil || res.ID != "5725767000000524157" || res.Index != 0 {
			t.Errorf("%s written: res %+v, err %v", name, res, err)
		}
	}
	// A record refused before sending, and a call that failed as a whole, come back as err too.
	if res, _, err := c.Leads.InsertOne(t.Context(), nil, nil); !errors.Is(err, ErrInvalidRecord) || res.Err != err {
		t.Errorf("nil record: res %+v, err %v", res, err)
	}
	if _, _, err := c.Leads.UpdateOne(t.Context(), &crm.Lead{LastName: crm.Some("Boyle")}, nil); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("update without id: %v", err)
	}
	if _, _, err := c.Records.InsertOne(t.Context(), "not a module", custom, nil); err == nil {
		t.Error("an invalid module gave no error")
	}
}
