package zoho

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Org is the organisation a client talks to, as GET /crm/{version}/org describes it. Fields Zoho
// leaves null are zero; every key, known or not, stays in Raw.
type Org struct {
	ID                     string          `json:"id"`
	CompanyName            string          `json:"company_name"`
	Alias                  string          `json:"alias"`
	PrimaryEmail           string          `json:"primary_email"`
	PrimaryZUID            string          `json:"primary_zuid"`
	ZGID                   string          `json:"zgid"`
	DomainName             string          `json:"domain_name"`
	Type                   string          `json:"type"` // "production", "sandbox", …
	Phone                  string          `json:"phone"`
	Mobile                 string          `json:"mobile"`
	Fax                    string          `json:"fax"`
	Website                string          `json:"website"`
	Description            string          `json:"description"`
	EmployeeCount          string          `json:"employee_count"`
	Street                 string          `json:"street"`
	City                   string          `json:"city"`
	State                  string          `json:"state"`
	Zip                    string          `json:"zip"`
	Country                string          `json:"country"`
	CountryCode            string          `json:"country_code"`
	TimeZone               string          `json:"time_zone"`
	Currency               string          `json:"currency"` // "US Dollar - USD"
	CurrencySymbol         string          `json:"currency_symbol"`
	CurrencyLocale         string          `json:"currency_locale"`
	ISOCode                string          `json:"iso_code"` // the home currency's ISO code
	MultiCurrency          bool            `json:"mc_status"`
	GappsEnabled           bool            `json:"gapps_enabled"`
	PrivacySettings        bool            `json:"privacy_settings"`
	HIPAAComplianceEnabled bool            `json:"hipaa_compliance_enabled"`
	CreatedTime            time.Time       `json:"created_time"`
	LicenseDetails         *LicenseDetails `json:"license_details"`

	// Raw is the org object as Zoho sent it.
	Raw json.RawMessage `json:"-"`
}

// LicenseDetails is the org's licence: its paid edition and any trial.
type LicenseDetails struct {
	// Paid reports whether the org pays for an edition.
	Paid bool `json:"paid"`
	// PaidType is the edition: "free", "standard", "professional", "enterprise", "ultimate", …
	PaidType string `json:"paid_type"`
	// PaidExpiry is when the paid edition ends, if known.
	PaidExpiry *time.Time `json:"paid_expiry"`
	// TrialType is the edition being tried, if any ("professional", …).
	TrialType string `json:"trial_type"`
	// TrialExpiry is when the trial ends, if there is one.
	TrialExpiry                 *time.Time `json:"trial_expiry"`
	UsersLicensePurchased       int        `json:"users_license_purchased"`
	PortalUsersLicensePurchased int        `json:"portal_users_license_purchased"`
}

// UnmarshalJSON decodes the org and keeps the whole object in Raw. A time Zoho sends empty or in
// an unexpected form is left zero rather than failing the whole org.
func (o *Org) UnmarshalJSON(b []byte) error {
	type plain Org
	var p struct {
		plain
		CreatedTime json.RawMessage `json:"created_time"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*o = Org(p.plain)
	o.CreatedTime = looseTime(p.CreatedTime)
	o.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON decodes the licence; times Zoho sends empty or malformed are left nil.
func (l *LicenseDetails) UnmarshalJSON(b []byte) error {
	type plain LicenseDetails
	var p struct {
		plain
		PaidExpiry  json.RawMessage `json:"paid_expiry"`
		TrialExpiry json.RawMessage `json:"trial_expiry"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*l = LicenseDetails(p.plain)
	l.PaidExpiry, l.TrialExpiry = looseTimePtr(p.PaidExpiry), looseTimePtr(p.TrialExpiry)
	return nil
}

// looseTime reads a Zoho date-time (RFC 3339, such as "2023-04-12T02:08:05-07:00"); null, empty
// or malformed values give the zero time.
func looseTime(raw json.RawMessage) time.Time {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil || s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func looseTimePtr(raw json.RawMessage) *time.Time {
	t := looseTime(raw)
	if t.IsZero() {
		return nil
	}
	return &t
}

// Edition returns the org's edition in lower case, as license_details.paid_type names it ("free",
// "standard", "professional", "enterprise", "ultimate", …), or "" when Zoho did not say. A trial
// is not counted: an org on a free plan trying Professional is "free" (see [Org.ConcurrencyLimit]).
func (o *Org) Edition() string {
	if o == nil || o.LicenseDetails == nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(o.LicenseDetails.PaidType))
}

// ConcurrencyLimit returns how many simultaneous API calls Zoho allows the org, by edition: Free 5,
// Standard (and Starter) 10, Professional 15, Enterprise and Zoho One 20, Ultimate and CRM Plus 25.
// An edition it does not know, or none, gives [DefaultConcurrency]. The edition is the paid one
// (license_details.paid_type); a running trial of a higher edition is ignored, which errs on the
// safe side: too low a limit only makes calls wait, too high a one makes Zoho answer 429. Use the
// result with [WithConcurrency], lowered when other applications share the org.
func (o *Org) ConcurrencyLimit() int {
	return EditionConcurrency(o.Edition())
}

// EditionConcurrency returns Zoho's concurrency limit for an edition name, compared without case,
// spaces, hyphens or underscores ("Zoho One", "zoho_one" and "zohoone" are one edition); unknown
// editions give [DefaultConcurrency].
func EditionConcurrency(edition string) int {
	e := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '.':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(edition)))
	switch e {
	case "free":
		return 5
	case "standard", "starter":
		return 10
	case "professional":
		return 15
	case "enterprise", "zohoone":
		return 20
	case "ultimate", "crmplus":
		return 25
	}
	return DefaultConcurrency
}

// Get returns the organisation's details (GET /org; scope ZohoCRM.org.READ).
func (s *OrgService) Get(ctx context.Context) (*Org, *Response, error) {
	req, err := s.client.NewRequest(http.MethodGet, "org", nil, nil)
	if err != nil {
		return nil, nil, err
	}
	var out struct {
		Org []*Org `json:"org"`
	}
	resp, err := s.client.Do(ctx, req, &out)
	if err != nil {
		return nil, resp, err
	}
	if len(out.Org) == 0 || out.Org[0] == nil {
		return nil, resp, fmt.Errorf("zoho: GET %s: the answer holds no org", s.client.fullPath(req))
	}
	return out.Org[0], resp, nil
}
