package zoho

import (
	"errors"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Adversarial review of the one-pass decode (8820a2d): each test failed on it and passed before.

// An insert Zoho applied and answered with a readable per-record SUCCESS (the new id in it) is not
// ambiguous because a top-level member beside data ("info" here) has a shape the envelope type does
// not expect: before the one-pass decode the envelope was read on its own and its failure ignored.
func TestReview18InsertSuccessNotAmbiguousOverEnvelopeShape(t *testing.T) {
	for _, body := range []string{
		`{"data":[{"code":"SUCCESS","details":{"id":"4200001"},"message":"record added","status":"success"}],"info":[]}`,
		`{"data":[{"code":"SUCCESS","details":{"id":"4200001"},"message":"record added","status":"success"}],"status":201}`,
	} {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", apiBase+"Leads", httpmock.NewStringResponder(http.StatusCreated, body))
		r := crm.NewRecord()
		_ = r.Set("Last_Name", "A")
		res, _, err := c.Records.Insert(t.Context(), "Leads", []*crm.Record{r}, nil)
		var amb *AmbiguousError
		if errors.As(err, &amb) || err != nil {
			t.Errorf("%s: insert failed: %v (ambiguous %v); want the id 4200001", body, err, errors.As(err, &amb))
			continue
		}
		if len(res) != 1 || res[0].ID != "4200001" {
			t.Errorf("%s: results %+v, want the id 4200001", body, res)
		}
	}
}

// A listing whose records are readable is not refused for a page-info member of another shape
// (before: the records, Info nil).
func TestReview18ListingRecordsKeptOverInfoShape(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", apiBase+"Leads", httpmock.NewStringResponder(200,
		`{"data":[{"id":"1","Last_Name":"A"}],"info":{"per_page":"200","count":1,"page":1,"more_records":false}}`))
	recs, _, err := c.Records.List(t.Context(), "Leads", nil)
	if err != nil || len(recs) != 1 {
		t.Fatalf("%d records, %v; want the 1 record", len(recs), err)
	}
}
