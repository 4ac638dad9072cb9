package zoho

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// OAuthCallback is what Zoho's redirect to the RedirectURL carries:
// `?state=…&code=…&location=eu&accounts-server=https://accounts.zoho.eu`.
type OAuthCallback struct {
	// Code is the authorization (grant) code, valid a few minutes and once. A secret.
	Code string
	// State is the state given to [OAuthConfig.AuthCodeURL]; the host must check it against the
	// one it issued before exchanging the code.
	State string
	// DataCenter is the user's data centre (the location parameter), "" if Zoho sent none.
	DataCenter DataCenter
	// AccountsServer is the accounts server to exchange the code at (the accounts-server
	// parameter, or the data centre's when only location was sent); "" if Zoho sent neither
	// (a client without multi-DC support: use your own data centre's AccountsURL). It is not
	// checked here: [OAuthConfig.Exchange] refuses servers that are not Zoho's.
	AccountsServer string
}

// String describes the callback without the code.
func (c OAuthCallback) String() string {
	return fmt.Sprintf("zoho.OAuthCallback{code: %s, state: %s, data_center: %s, accounts_server: %s}",
		presence(c.Code), c.State, c.DataCenter, c.AccountsServer)
}

// GoString describes the callback without the code (the %#v verb).
func (c OAuthCallback) GoString() string { return c.String() }

// Format prints the redacted description for every fmt verb.
func (c OAuthCallback) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

// ParseOAuthCallback reads the query of Zoho's redirect. The user declining consent (or any
// error Zoho reports, such as error=access_denied) is a [*TokenError] with Op "authorize". A
// location that is not a Zoho data centre, or that contradicts the accounts-server, is a
// [*HostError]: no request may go there.
func ParseOAuthCallback(q url.Values) (*OAuthCallback, error) {
	if e := q.Get("error"); e != "" {
		return nil, &TokenError{Op: "authorize", Code: e, Description: q.Get("error_description")}
	}
	cb := &OAuthCallback{Code: q.Get("code"), State: q.Get("state"), AccountsServer: strings.TrimSpace(q.Get("accounts-server"))}
	if cb.Code == "" {
		return nil, errors.New("zoho: OAuth callback without a code")
	}
	if loc := q.Get("location"); loc != "" {
		dc, err := ParseDataCenter(loc)
		if err != nil {
			return nil, &HostError{URL: cb.AccountsServer, Reason: fmt.Sprintf("the callback's location %q is not a Zoho data centre", loc)}
		}
		cb.DataCenter = dc
	}
	switch {
	case cb.AccountsServer == "" && cb.DataCenter != "":
		cb.AccountsServer = cb.DataCenter.AccountsURL()
	case cb.AccountsServer != "" && cb.DataCenter != "":
		if dc, ok := DataCenterForAccountsServer(cb.AccountsServer); ok && dc != cb.DataCenter {
			return nil, &HostError{URL: cb.AccountsServer, Reason: fmt.Sprintf("the callback's location %q contradicts it", cb.DataCenter)}
		}
	}
	return cb, nil
}
