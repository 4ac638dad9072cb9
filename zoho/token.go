package zoho

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Token is a Zoho OAuth token with everything Zoho said about it, in a form that survives
// persistence: marshal it with encoding/json and unmarshal it back and nothing is lost (a plain
// oauth2.Token loses api_domain and scope, which live in its unexported raw field).
//
// A Token holds secrets. Its String, GoString, Format and LogValue methods redact them, so a Token
// printed with any fmt verb or logged with log/slog shows no access or refresh token; only
// encoding/json (persistence) writes them.
//
// To use a Self Client refresh token generated in Zoho's API console, store
// Token{RefreshToken: rt, DataCenter: dc} in a [TokenStore]: a [TokenSource] refreshes it on
// first use.
type Token struct {
	// AccessToken is sent as `Authorization: Zoho-oauthtoken {AccessToken}`. Valid one hour.
	AccessToken string `json:"access_token,omitempty"`
	// RefreshToken mints new access tokens. Zoho returns it only from the code exchange
	// (access_type=offline); it does not expire until revoked, or until the user's 21st refresh
	// token for the same client evicts it.
	RefreshToken string `json:"refresh_token,omitempty"`
	// TokenType is what Zoho answered ("Bearer"). The API header is always Zoho-oauthtoken.
	TokenType string `json:"token_type,omitempty"`
	// Expiry is when the access token expires; zero if unknown.
	Expiry time.Time `json:"expiry,omitzero"`
	// IssuedAt is when the SDK received the access token; zero if unknown.
	IssuedAt time.Time `json:"issued_at,omitzero"`
	// APIDomain is Zoho's api_domain, such as "https://www.zohoapis.eu": where this org's API
	// lives. The client follows it (see [APIDomain]).
	APIDomain string `json:"api_domain,omitempty"`
	// Scope is the granted scope as Zoho returned it (space-separated), when it did.
	Scope string `json:"scope,omitempty"`
	// AccountsServer is the base URL of the accounts server that issued the token, such as
	// "https://accounts.zoho.eu". Refreshes and revocation go there.
	AccountsServer string `json:"accounts_server,omitempty"`
	// DataCenter is the data centre of the accounts server; "" if unknown (a test server).
	DataCenter DataCenter `json:"data_center,omitempty"`
	// OrgID is set on tokens from the client-credentials grant: the Zoho CRM org the token was
	// minted for (soid=ZohoCRM.{OrgID}). Such tokens have no refresh token and are renewed by a
	// new client-credentials grant.
	OrgID string `json:"org_id,omitempty"`
}

// tokenTypeHeader is the Authorization scheme of Zoho's API.
const tokenTypeHeader = "Zoho-oauthtoken"

// Scopes returns the granted scopes, split on spaces and commas.
func (t *Token) Scopes() []string {
	if t == nil {
		return nil
	}
	return strings.FieldsFunc(t.Scope, func(r rune) bool { return r == ' ' || r == ',' })
}

// Expired reports whether the access token is missing or past its expiry at now. A token with no
// expiry is not expired.
func (t *Token) Expired(now time.Time) bool {
	if t == nil || t.AccessToken == "" {
		return true
	}
	return !t.Expiry.IsZero() && !now.Before(t.Expiry)
}

// OAuth2 returns the access token as an *oauth2.Token for an HTTP client: TokenType
// "Zoho-oauthtoken", the expiry, and the extras "api_domain" and "scope" (read by [APIDomain]).
// The refresh token is deliberately left out: the HTTP layer never needs it.
func (t *Token) OAuth2() *oauth2.Token {
	if t == nil {
		return nil
	}
	o := &oauth2.Token{AccessToken: t.AccessToken, TokenType: tokenTypeHeader, Expiry: t.Expiry}
	return o.WithExtra(map[string]any{"api_domain": t.APIDomain, "scope": t.Scope})
}

// clone returns a copy of t (Token has no reference fields).
func (t *Token) clone() *Token {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func presence(s string) string {
	if s == "" {
		return "none"
	}
	return "REDACTED"
}

// String describes the token without its secrets.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString("zoho.Token{access_token: " + presence(t.AccessToken) + ", refresh_token: " + presence(t.RefreshToken))
	if !t.Expiry.IsZero() {
		b.WriteString(", expiry: " + t.Expiry.UTC().Format(time.RFC3339))
	}
	if t.APIDomain != "" {
		b.WriteString(", api_domain: " + t.APIDomain)
	}
	if t.Scope != "" {
		b.WriteString(", scope: " + t.Scope)
	}
	if t.AccountsServer != "" {
		b.WriteString(", accounts_server: " + t.AccountsServer)
	}
	if t.DataCenter != "" {
		b.WriteString(", data_center: " + string(t.DataCenter))
	}
	if t.OrgID != "" {
		b.WriteString(", org_id: " + t.OrgID)
	}
	b.WriteString("}")
	return b.String()
}

// GoString describes the token without its secrets (the %#v verb).
func (t Token) GoString() string { return t.String() }

// Format prints the redacted description for every fmt verb, so that no verb (%d, %x, %+v, …)
// can print the secrets.
func (t Token) Format(f fmt.State, verb rune) { fmt.Fprint(f, t.String()) }

// LogValue logs the token without its secrets.
func (t Token) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("access_token", presence(t.AccessToken)),
		slog.String("refresh_token", presence(t.RefreshToken)),
	}
	if !t.Expiry.IsZero() {
		attrs = append(attrs, slog.Time("expiry", t.Expiry))
	}
	if t.APIDomain != "" {
		attrs = append(attrs, slog.String("api_domain", t.APIDomain))
	}
	if t.Scope != "" {
		attrs = append(attrs, slog.String("scope", t.Scope))
	}
	if t.DataCenter != "" {
		attrs = append(attrs, slog.String("data_center", string(t.DataCenter)))
	}
	return slog.GroupValue(attrs...)
}
