package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultScopes returns the OAuth scopes the SDK needs (a new slice each call), requested when [OAuthConfig.Scopes] is empty:
//
//   - ZohoCRM.modules.ALL: read and write records (Leads, Contacts, Cases, Tasks, Notes, …).
//   - ZohoCRM.modules.attachments.ALL: upload, list and download attachments (transcripts).
//   - ZohoCRM.users.READ: list users, to assign owners.
//   - ZohoCRM.org.READ: the org's details (id, time zone, currency).
//   - ZohoCRM.settings.fields.READ: field metadata (API names, lengths, picklists).
//   - ZohoSearch.securesearch.READ: required by the Search API (find a person by email or phone).
//
// Zoho refuses a call outside the granted scopes with 401 OAUTH_SCOPE_MISMATCH (never retried),
// and a refresh cannot widen the scopes: a new consent is needed.
func DefaultScopes() []string {
	return []string{
		"ZohoCRM.modules.ALL",
		"ZohoCRM.modules.attachments.ALL",
		"ZohoCRM.users.READ",
		"ZohoCRM.org.READ",
		"ZohoCRM.settings.fields.READ",
		"ZohoSearch.securesearch.READ",
	}
}

// OAuthConfig is a Zoho OAuth client (from Zoho's API console) and what the SDK needs to run its
// flows: the authorization URL, the code exchange, the client-credentials grant, refresh and
// revocation. The client ID is the same in every data centre; the secret may differ per data
// centre (ClientSecrets). Do not modify a config once it is in use; it is safe for concurrent use.
//
// Its String, GoString, Format and LogValue methods redact the secrets.
type OAuthConfig struct {
	// ClientID is the OAuth client's ID. Required.
	ClientID string
	// ClientSecret is the client's secret, used for every data centre without its own entry in
	// ClientSecrets.
	ClientSecret string
	// ClientSecrets holds per-data-centre secrets, for clients whose secret differs by data
	// centre (Zoho lets the multi-DC client use one secret or one per DC).
	ClientSecrets map[DataCenter]string
	// RedirectURL is the callback registered for the client. Required for AuthCodeURL and
	// Exchange; not sent by ExchangeSelfClient.
	RedirectURL string
	// Scopes to request; nil means DefaultScopes(). Zoho wants them comma-separated; the SDK joins
	// them.
	Scopes []string
	// HTTPClient makes the accounts-server calls (default: a client with a 30-second timeout).
	// Do not give it the API client's transport: token calls need no token. The client is
	// copied and never follows redirects (a redirected POST would carry the secret elsewhere).
	HTTPClient *http.Client
	// Endpoints point the config at a host that is not Zoho's (a fake, a proxy, a sandbox): its
	// accounts calls go to Endpoints.Accounts, and every [Client] on a [TokenSource] built from
	// the config (or from [NewClientFromRefreshToken]) calls Endpoints.API. Zero: Zoho's. It is
	// where the client secret and tokens are sent: never set it from untrusted input.
	Endpoints Endpoints
	// Logger is the one logger of everything built on the config: a debug line per accounts
	// call, the renewals of every [TokenSource] made with it, and the retries and failures of
	// every [Client] on such a source. No secret is logged. Default: silent.
	Logger *slog.Logger
}

// validate checks the fields every flow needs.
func (c *OAuthConfig) validate() error {
	if c == nil {
		return errors.New("zoho: OAuthConfig: nil config")
	}
	if strings.TrimSpace(c.ClientID) == "" {
		return errors.New("zoho: OAuthConfig: ClientID is required")
	}
	if c.ClientSecret == "" && len(c.ClientSecrets) == 0 {
		return errors.New("zoho: OAuthConfig: ClientSecret (or ClientSecrets) is required")
	}
	for dc := range c.ClientSecrets {
		if !dc.Valid() {
			return fmt.Errorf("zoho: OAuthConfig: ClientSecrets has unknown data centre %q", string(dc))
		}
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, ", \t\r\n") {
			return fmt.Errorf("zoho: OAuthConfig: scope %q must be one non-empty word", s)
		}
	}
	if _, _, err := c.Endpoints.check("OAuthConfig"); err != nil {
		return err
	}
	return nil
}

// overrideURL is Endpoints.Accounts as a base URL ("" when not set).
func (c *OAuthConfig) overrideURL() (string, error) {
	_, acc, err := c.Endpoints.check("OAuthConfig")
	return acc, err
}

// secretFor returns the client secret for dc.
func (c *OAuthConfig) secretFor(dc DataCenter) (string, error) {
	if s := c.ClientSecrets[dc]; s != "" {
		return s, nil
	}
	if c.ClientSecret != "" {
		return c.ClientSecret, nil
	}
	return "", fmt.Errorf("zoho: OAuthConfig: no client secret for data centre %q", string(dc))
}

func (c *OAuthConfig) scopes() []string {
	if len(c.Scopes) == 0 {
		return DefaultScopes()
	}
	return c.Scopes
}

func (c *OAuthConfig) httpClient() *http.Client {
	var hc http.Client
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	} else {
		hc.Timeout = 30 * time.Second
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc.Jar = nil
	return &hc
}

func (c *OAuthConfig) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// accountsForDC returns the accounts base URL to use for dc.
func (c *OAuthConfig) accountsForDC(dc DataCenter) (string, error) {
	if ov, err := c.overrideURL(); ov != "" || err != nil {
		return ov, err
	}
	if !dc.Valid() {
		return "", fmt.Errorf("zoho: unknown data centre %q", string(dc))
	}
	return dc.AccountsURL(), nil
}

// resolveAccountsServer checks an accounts-server URL (from Zoho's OAuth callback, or stored with
// a token) before anything is sent to it: it must be a known Zoho accounts server, or the
// configured override. It returns the base URL to call and the data centre ("" for the override).
func (c *OAuthConfig) resolveAccountsServer(server string) (string, DataCenter, error) {
	if ov, err := c.overrideURL(); err != nil {
		return "", "", err
	} else if ov != "" {
		if strings.EqualFold(strings.TrimRight(strings.TrimSpace(server), "/"), ov) {
			return ov, "", nil
		}
		if dc, ok := DataCenterForAccountsServer(server); ok {
			return ov, dc, nil
		}
	} else if dc, ok := DataCenterForAccountsServer(server); ok {
		return dc.AccountsURL(), dc, nil
	}
	return "", "", &HostError{URL: RedactURL(server), Reason: "not a Zoho accounts server (accounts.zoho.{com,eu,in,com.au,jp,com.cn,sa,uk}, accounts.zohocloud.ca)"}
}

// accountsForToken returns where tok is refreshed or revoked.
func (c *OAuthConfig) accountsForToken(tok *Token) (string, DataCenter, error) {
	if tok.AccountsServer != "" {
		base, dc, err := c.resolveAccountsServer(tok.AccountsServer)
		if err != nil {
			return "", "", err
		}
		if dc == "" {
			dc = tok.DataCenter
		}
		return base, dc, nil
	}
	if tok.DataCenter != "" {
		base, err := c.accountsForDC(tok.DataCenter)
		return base, tok.DataCenter, err
	}
	return "", "", errors.New("zoho: the token names neither an accounts server nor a data centre")
}

// AuthCodeURL returns the URL of Zoho's consent page in data centre dc (the user's own data
// centre, if known; Zoho redirects users of other data centres and names theirs in the callback's
// location and accounts-server parameters). It asks for access_type=offline (a refresh token) and
// prompt=consent. state is returned in the callback: make it single-use and unguessable.
//
// Each completed consent mints a new refresh token, and Zoho keeps 20 per user and client: the
// 21st silently deletes the oldest, breaking whatever used it. After a reconnect, revoke the
// connection's previous refresh token ([OAuthConfig.RevokeToken]).
func (c *OAuthConfig) AuthCodeURL(dc DataCenter, state string) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	if c.RedirectURL == "" {
		return "", errors.New("zoho: OAuthConfig: RedirectURL is required for the authorization URL")
	}
	if state == "" {
		return "", errors.New("zoho: AuthCodeURL: state is required (it protects the callback from forgery)")
	}
	base, err := c.accountsForDC(dc)
	if err != nil {
		return "", err
	}
	q := url.Values{
		"client_id":     {c.ClientID},
		"response_type": {"code"},
		"redirect_uri":  {c.RedirectURL},
		"scope":         {strings.Join(c.scopes(), ",")},
		"access_type":   {"offline"},
		"prompt":        {"consent"},
		"state":         {state},
	}
	return base + "/oauth/v2/auth?" + q.Encode(), nil
}

// Exchange trades the authorization code of Zoho's callback for a token, at the accounts server
// the callback names (its accounts-server parameter). The server must be a known Zoho accounts
// server (or the config's Endpoints.Accounts): any other host is refused with a [*HostError]
// before anything is sent, since the request carries the client secret.
//
// The returned token has a refresh token (the consent asked for offline access), its api_domain,
// accounts server and data centre. Store it ([TokenStore]) and build a [TokenSource] over it.
func (c *OAuthConfig) Exchange(ctx context.Context, code, accountsServer string) (*Token, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.RedirectURL == "" {
		return nil, errors.New("zoho: OAuthConfig: RedirectURL is required for the code exchange")
	}
	base, dc, err := c.resolveAccountsServer(accountsServer)
	if err != nil {
		return nil, err
	}
	return c.exchange(ctx, code, base, dc, true)
}

// ExchangeSelfClient trades a grant code generated for a Self Client in Zoho's API console
// (valid a few minutes) for a token in data centre dc. No redirect URL is sent.
func (c *OAuthConfig) ExchangeSelfClient(ctx context.Context, dc DataCenter, code string) (*Token, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	base, err := c.accountsForDC(dc)
	if err != nil {
		return nil, err
	}
	return c.exchange(ctx, code, base, dc, false)
}

func (c *OAuthConfig) exchange(ctx context.Context, code, base string, dc DataCenter, redirect bool) (*Token, error) {
	if strings.TrimSpace(code) == "" {
		return nil, errors.New("zoho: Exchange: empty authorization code")
	}
	secret, err := c.secretFor(dc)
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {c.ClientID},
		"client_secret": {secret},
		"code":          {code},
	}
	if redirect {
		form.Set("redirect_uri", c.RedirectURL)
	}
	tok, err := c.tokenRequest(ctx, "exchange", base, form, 1, secret, code)
	if err != nil {
		return nil, err
	}
	tok.AccountsServer, tok.DataCenter = base, dc
	return tok, nil
}

// ClientCredentials mints a token with the client-credentials grant (Self Client only) for the
// CRM org orgID (sent as soid=ZohoCRM.{orgID}) in data centre dc. Such a token has no refresh
// token; a [TokenSource] renews it with the same grant.
func (c *OAuthConfig) ClientCredentials(ctx context.Context, dc DataCenter, orgID string) (*Token, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	base, err := c.accountsForDC(dc)
	if err != nil {
		return nil, err
	}
	return c.clientCredentials(ctx, base, dc, orgID)
}

func (c *OAuthConfig) clientCredentials(ctx context.Context, base string, dc DataCenter, orgID string) (*Token, error) {
	orgID = strings.TrimSpace(orgID)
	if orgID == "" || strings.ContainsAny(orgID, ", \t\r\n/?&#") {
		return nil, fmt.Errorf("zoho: ClientCredentials: org ID %q is not a Zoho org ID", orgID)
	}
	secret, err := c.secretFor(dc)
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.ClientID},
		"client_secret": {secret},
		"scope":         {strings.Join(c.scopes(), ",")},
		"soid":          {"ZohoCRM." + orgID},
	}
	tok, err := c.tokenRequest(ctx, "client_credentials", base, form, 2, secret)
	if err != nil {
		return nil, err
	}
	tok.AccountsServer, tok.DataCenter, tok.OrgID = base, dc, orgID
	return tok, nil
}

// Refresh mints a new access token for tok at the accounts server that issued it: with its
// refresh token, or, for a client-credentials token, with a new client-credentials grant. The
// result keeps what Zoho did not repeat (the refresh token, api_domain, scope). A refresh token
// Zoho rejects is a [*TokenError] matching [ErrReconnectRequired].
//
// Refresh calls Zoho every time. Use a [TokenSource] to share tokens between goroutines and
// processes: Zoho mints at most 10 access tokens per refresh token per 10 minutes.
func (c *OAuthConfig) Refresh(ctx context.Context, tok *Token) (*Token, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, errors.New("zoho: Refresh: nil token")
	}
	if tok.RefreshToken == "" && tok.OrgID == "" {
		return nil, &TokenError{Op: "refresh", Code: TokenCodeNoRefreshToken,
			Description: "the token has no refresh token (connect with access_type=offline)"}
	}
	base, dc, err := c.accountsForToken(tok)
	if err != nil {
		return nil, err
	}
	var fresh *Token
	if tok.RefreshToken == "" {
		fresh, err = c.clientCredentials(ctx, base, dc, tok.OrgID)
	} else {
		var secret string
		if secret, err = c.secretFor(dc); err != nil {
			return nil, err
		}
		form := url.Values{
			"grant_type":    {"refresh_token"},
			"client_id":     {c.ClientID},
			"client_secret": {secret},
			"refresh_token": {tok.RefreshToken},
		}
		fresh, err = c.tokenRequest(ctx, "refresh", base, form, 2, secret, tok.RefreshToken)
	}
	if err != nil {
		return nil, err
	}
	out := tok.clone()
	out.AccessToken, out.Expiry, out.IssuedAt = fresh.AccessToken, fresh.Expiry, fresh.IssuedAt
	if fresh.RefreshToken != "" {
		out.RefreshToken = fresh.RefreshToken
	}
	if fresh.TokenType != "" {
		out.TokenType = fresh.TokenType
	}
	if fresh.APIDomain != "" {
		out.APIDomain = fresh.APIDomain
	}
	if fresh.Scope != "" {
		out.Scope = fresh.Scope
	}
	out.AccountsServer = base
	if dc != "" {
		out.DataCenter = dc
	}
	return out, nil
}

// RevokeToken revokes refreshToken, and with it every access token minted from it, at the
// accounts server accountsServer (a [Token]'s AccountsServer, or a [DataCenter]'s AccountsURL).
// The server is checked as in [OAuthConfig.Exchange]. A refresh token Zoho does not know (already
// revoked) is a [*TokenError] with HTTPStatus 400.
func (c *OAuthConfig) RevokeToken(ctx context.Context, accountsServer, refreshToken string) error {
	if err := c.validate(); err != nil {
		return err
	}
	if refreshToken == "" {
		return errors.New("zoho: RevokeToken: empty refresh token")
	}
	base, _, err := c.resolveAccountsServer(accountsServer)
	if err != nil {
		return err
	}
	// Zoho documents the token as a query parameter; errors and logs redact it (RedactURL).
	endpoint := base + "/oauth/v2/token/revoke?" + url.Values{"token": {refreshToken}}.Encode()
	status, body, hdr, err := c.post(ctx, endpoint, nil)
	if err != nil {
		return &TokenError{Op: "revoke", AccountsServer: base, Err: scrubError(err, refreshToken)}
	}
	var r tokenResponse
	_ = json.Unmarshal(body, &r)
	if status == http.StatusOK && r.Error == "" && (r.Status == "" || strings.EqualFold(r.Status, "success")) {
		return nil
	}
	secrets := append(c.secrets(), refreshToken)
	e := &TokenError{Op: "revoke", AccountsServer: base, HTTPStatus: status, Code: scrub(r.Error, secrets...),
		Description: scrub(r.ErrorDescription, secrets...)}
	if e.Code == "" && r.Status != "" && !strings.EqualFold(r.Status, "success") {
		e.Code = scrub(r.Status, secrets...)
	}
	e.RetryAfter, _ = retryAfter(&http.Response{Header: hdr})
	return e
}

// String describes the config without its secrets.
func (c OAuthConfig) String() string {
	dcs := make([]string, 0, len(c.ClientSecrets))
	for _, dc := range DataCenters() {
		if c.ClientSecrets[dc] != "" {
			dcs = append(dcs, string(dc))
		}
	}
	s := fmt.Sprintf("zoho.OAuthConfig{client_id: %s, client_secret: %s, redirect_url: %s, scopes: %s",
		c.ClientID, presence(c.ClientSecret), c.RedirectURL, strings.Join(c.scopes(), ","))
	if len(dcs) > 0 {
		s += ", per-DC secrets: " + strings.Join(dcs, ",")
	}
	if c.Endpoints.API != "" {
		s += ", api_endpoint: " + RedactURL(c.Endpoints.API)
	}
	if c.Endpoints.Accounts != "" {
		s += ", accounts_endpoint: " + RedactURL(c.Endpoints.Accounts)
	}
	return s + "}"
}

// GoString describes the config without its secrets (the %#v verb).
func (c OAuthConfig) GoString() string { return c.String() }

// Format prints the redacted description for every fmt verb.
func (c OAuthConfig) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

// LogValue logs the config without its secrets.
func (c OAuthConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }
