package zoho

import (
	"fmt"
	"net/url"
	"strings"
)

// A DataCenter is one of Zoho's regional data centres. Each has its own accounts server (OAuth)
// and its own default API host. The zero value is not a valid data centre; [US] is the default
// of [NewClient].
//
// The access token's api_domain, when the token carries one, wins over the data centre's default
// API host (Zoho: "use this domain in all API endpoints").
type DataCenter string

// Zoho's data centres. The value is the `location` Zoho's OAuth callback names.
const (
	US DataCenter = "us" // United States: accounts.zoho.com, www.zohoapis.com
	EU DataCenter = "eu" // Europe: accounts.zoho.eu, www.zohoapis.eu
	IN DataCenter = "in" // India: accounts.zoho.in, www.zohoapis.in
	AU DataCenter = "au" // Australia: accounts.zoho.com.au, www.zohoapis.com.au
	JP DataCenter = "jp" // Japan: accounts.zoho.jp, www.zohoapis.jp
	CN DataCenter = "cn" // China: accounts.zoho.com.cn, www.zohoapis.com.cn
	CA DataCenter = "ca" // Canada: accounts.zohocloud.ca, www.zohoapis.ca
	SA DataCenter = "sa" // Saudi Arabia: accounts.zoho.sa, www.zohoapis.sa
	UK DataCenter = "uk" // United Kingdom: accounts.zoho.uk, www.zohoapis.uk
)

type dcHosts struct {
	accounts string // host of the accounts server
	api      string // host of the default API domain
}

// dataCenterHosts is read-only data: see ../shared/docs/zoho-api.md §1.1. The UK API host is not
// in Zoho's published tables; the token's api_domain overrides it in practice.
func dataCenterHosts(dc DataCenter) (dcHosts, bool) {
	switch dc {
	case US:
		return dcHosts{"accounts.zoho.com", "www.zohoapis.com"}, true
	case EU:
		return dcHosts{"accounts.zoho.eu", "www.zohoapis.eu"}, true
	case IN:
		return dcHosts{"accounts.zoho.in", "www.zohoapis.in"}, true
	case AU:
		return dcHosts{"accounts.zoho.com.au", "www.zohoapis.com.au"}, true
	case JP:
		return dcHosts{"accounts.zoho.jp", "www.zohoapis.jp"}, true
	case CN:
		return dcHosts{"accounts.zoho.com.cn", "www.zohoapis.com.cn"}, true
	case CA:
		return dcHosts{"accounts.zohocloud.ca", "www.zohoapis.ca"}, true
	case SA:
		return dcHosts{"accounts.zoho.sa", "www.zohoapis.sa"}, true
	case UK:
		return dcHosts{"accounts.zoho.uk", "www.zohoapis.uk"}, true
	}
	return dcHosts{}, false
}

// DataCenters returns every data centre the SDK knows, in a fixed order.
func DataCenters() []DataCenter {
	return []DataCenter{US, EU, IN, AU, JP, CN, CA, SA, UK}
}

// ParseDataCenter turns a data centre code such as Zoho's `location` callback parameter ("us",
// "EU", …) into a DataCenter.
func ParseDataCenter(s string) (DataCenter, error) {
	dc := DataCenter(strings.ToLower(strings.TrimSpace(s)))
	if !dc.Valid() {
		return "", fmt.Errorf("zoho: unknown data centre %q (known: us, eu, in, au, jp, cn, ca, sa, uk)", s)
	}
	return dc, nil
}

// Valid reports whether dc is one of the known data centres.
func (dc DataCenter) Valid() bool {
	_, ok := dataCenterHosts(dc)
	return ok
}

// String returns the data centre's code.
func (dc DataCenter) String() string { return string(dc) }

// AccountsURL returns the base URL of the data centre's accounts (OAuth) server, such as
// "https://accounts.zoho.eu", or "" for an unknown data centre.
func (dc DataCenter) AccountsURL() string {
	h, ok := dataCenterHosts(dc)
	if !ok {
		return ""
	}
	return "https://" + h.accounts
}

// APIURL returns the data centre's default API domain, such as "https://www.zohoapis.eu", or ""
// for an unknown data centre.
func (dc DataCenter) APIURL() string {
	h, ok := dataCenterHosts(dc)
	if !ok {
		return ""
	}
	return "https://" + h.api
}

// DataCenterForAccountsServer returns the data centre whose accounts server is rawURL (the
// `accounts-server` parameter of Zoho's OAuth callback). It reports false for any other host,
// including look-alikes: the comparison is on the exact https host.
func DataCenterForAccountsServer(rawURL string) (DataCenter, bool) {
	host, ok := httpsHost(rawURL)
	if !ok {
		return "", false
	}
	for _, dc := range DataCenters() {
		if h, _ := dataCenterHosts(dc); h.accounts == host {
			return dc, true
		}
	}
	return "", false
}

// IsZohoAPIDomain reports whether rawURL is the https API domain of a known data centre, or a
// Zoho API host of the same family (sandbox., developer., content.zohoapis.{tld}).
func IsZohoAPIDomain(rawURL string) bool {
	host, ok := httpsHost(rawURL)
	if !ok {
		return false
	}
	for _, dc := range DataCenters() {
		h, _ := dataCenterHosts(dc)
		suffix := strings.TrimPrefix(h.api, "www.") // zohoapis.{tld}
		if host == h.api || host == suffix {
			return true
		}
		for _, p := range []string{"sandbox.", "developer.", "content."} {
			if host == p+suffix {
				return true
			}
		}
	}
	return false
}

// httpsHost returns the lower-cased host of an https URL with no user info, path or query beyond "/".
func httpsHost(rawURL string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" {
		return "", false
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return strings.ToLower(u.Hostname()), u.Hostname() != ""
}

// RecordURL returns the address of a record in Zoho CRM's web UI in this data centre, such as
// "https://crm.zoho.eu/crm/org20001234/tab/Contacts/4150868000000224005", for links from other
// applications (the Agent Console). The web host is the accounts server's with "crm." for
// "accounts.". It returns "" for an unknown data centre or an empty org, module or id.
func (dc DataCenter) RecordURL(orgID, module, id string) string {
	h, ok := dataCenterHosts(dc)
	if !ok || orgID == "" || module == "" || id == "" {
		return ""
	}
	web := "crm." + strings.TrimPrefix(h.accounts, "accounts.")
	return "https://" + web + "/crm/org" + url.PathEscape(orgID) + "/tab/" + url.PathEscape(module) + "/" + url.PathEscape(id)
}
