package zoho

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

const orgURL = "https://www.zohoapis.com/crm/v2/org"

func TestOrgFixtures(t *testing.T) {
	t.Run("v2 docs", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", orgURL, httpmock.NewBytesResponder(200, readTestdataFile(t, "v2docs_get_org_response.json")))
		o, _, err := c.Org.Get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if o.ID != "111111000000033001" || o.CompanyName != "" || o.PrimaryEmail != "p.boyle@zylker.com" || o.ISOCode != "USD" ||
			o.CountryCode != "US" || o.PrimaryZUID != "5478235" || o.EmployeeCount != "154" || !o.PrivacySettings {
			t.Errorf("org = %+v", o)
		}
		l := o.LicenseDetails
		if l == nil || l.Paid || l.PaidType != "free" || l.TrialType != "professional" || l.TrialExpiry == nil ||
			!l.TrialExpiry.Equal(time.Date(2018, 5, 17, 11, 50, 5, 0, time.UTC)) || l.PaidExpiry != nil || l.UsersLicensePurchased != 3 {
			t.Errorf("licence = %+v", l)
		}
		// A free org trying Professional: the paid edition counts.
		if o.Edition() != "free" || o.ConcurrencyLimit() != 5 {
			t.Errorf("edition %q limit %d", o.Edition(), o.ConcurrencyLimit())
		}
	})
	t.Run("v7 docs", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", orgURL, httpmock.NewBytesResponder(200, readTestdataFile(t, "v7docs_get_org_response.json")))
		o, _, err := c.Org.Get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if o.ID != "5725767000000020005" || o.CompanyName != "zohoo" || o.TimeZone != "America/Los_Angeles" ||
			o.Currency != "US Dollar - USD" || o.CurrencySymbol != "$" || o.Type != "production" || o.DomainName != "org808232144" ||
			!o.HIPAAComplianceEnabled || o.CreatedTime.IsZero() || o.Phone != "1226652" {
			t.Errorf("org = %+v", o)
		}
		if o.Edition() != "enterprise" || o.ConcurrencyLimit() != 20 || !o.LicenseDetails.Paid || o.LicenseDetails.PaidExpiry == nil {
			t.Errorf("edition %q limit %d licence %+v", o.Edition(), o.ConcurrencyLimit(), o.LicenseDetails)
		}
		if !strings.Contains(string(o.Raw), `"zia_portal_id"`) {
			t.Error("Raw lacks unknown keys")
		}
	})
}

func TestEditionConcurrency(t *testing.T) {
	for ed, want := range map[string]int{
		"free": 5, "Free": 5, "standard": 10, "starter": 10, "professional": 15, "PROFESSIONAL": 15,
		"enterprise": 20, "Zoho One": 20, "zoho_one": 20, "zohoone": 20, "ultimate": 25, "CRM Plus": 25, "crmplus": 25,
		"": DefaultConcurrency, "bigin": DefaultConcurrency, "platinum": DefaultConcurrency,
	} {
		if got := EditionConcurrency(ed); got != want {
			t.Errorf("EditionConcurrency(%q) = %d, want %d", ed, got, want)
		}
	}
	var nilOrg *Org
	if nilOrg.ConcurrencyLimit() != DefaultConcurrency || (&Org{}).ConcurrencyLimit() != DefaultConcurrency {
		t.Error("unknown org limit")
	}
}

func TestOrgGetEdgeCases(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", orgURL, httpmock.NewStringResponder(200, `{"org":[]}`))
	if _, _, err := c.Org.Get(t.Context()); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
		t.Errorf("empty org: %v", err)
	}
	mt.RegisterResponder("GET", orgURL, httpmock.NewStringResponder(200,
		`{"org":[{"id":"1","created_time":"","license_details":{"paid":true,"paid_type":"Ultimate","paid_expiry":"","trial_expiry":"garbage"}}]}`))
	o, _, err := c.Org.Get(t.Context())
	if err != nil || o.ConcurrencyLimit() != 25 || o.LicenseDetails.PaidExpiry != nil || o.LicenseDetails.TrialExpiry != nil {
		t.Fatalf("%+v %v", o, err)
	}
	mt.RegisterResponder("GET", orgURL, func(r *http.Request) (*http.Response, error) {
		return httpmock.NewStringResponse(401, `{"code":"OAUTH_SCOPE_MISMATCH","message":"Unauthorized","status":"error","details":{}}`), nil
	})
	if _, _, err := c.Org.Get(t.Context()); err == nil || !strings.Contains(err.Error(), "OAUTH_SCOPE_MISMATCH") {
		t.Errorf("scope error: %v", err)
	}
}
