package zoho

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"golang.org/x/oauth2"
)

// Version is the SDK version sent in the User-Agent header.
const Version = "0.1.0"

// DefaultConcurrency is the per-org concurrency limit used when none is given: Zoho's Standard
// edition allows 10 simultaneous calls (Free 5, Professional 15, Enterprise 20, Ultimate 25).
const DefaultConcurrency = 10

// API versions the client speaks. Later Zoho versions change semantics (mandatory `fields`,
// search operators, response keys) and are refused until supported.
const (
	APIVersion2  = "v2"
	APIVersion21 = "v2.1"
)

// Client talks to the Zoho CRM v2 API of one organisation. Create one per org (per connected
// tenant) and share it: its concurrency limit and its token source are per org. A Client is safe
// for concurrent use.
type Client struct {
	cfg     config
	http    *http.Client // under the retry layer of each call (retryClient)
	limiter *limiter
	common  service
	fields  fieldCache // field metadata per module (fields.go)

	// Services, one per API area (go-github style). Records reads and writes any module as
	// [crm.Record] values (custom modules included); Leads, Contacts, Accounts, Cases and Tasks
	// read and write the standard modules as typed records.
	Records     *RecordsService
	Leads       *ModuleService[crm.Lead]
	Contacts    *ModuleService[crm.Contact]
	Accounts    *ModuleService[crm.Account]
	Cases       *ModuleService[crm.Case]
	Tasks       *ModuleService[crm.Task]
	Fields      *FieldsService
	Attachments *AttachmentsService
	Users       *UsersService
	Org         *OrgService
}

type service struct{ client *Client }

// CallInfo describes one HTTP attempt, as given to the hook of [WithCallHook].
type CallInfo struct {
	Method string
	// Path is the URL path (no host, no query).
	Path string
	// Status is the HTTP status, or 0 when the attempt failed without an answer.
	Status int
	// Attempt counts from 1 within one call, including the attempts after a token renewal.
	Attempt int
	// Duration is how long the attempt took, up to the response headers.
	Duration time.Duration
	// Err is the transport error of a failed attempt.
	Err error
}

// An Option configures a Client. Options validate their arguments: NewClient returns the first
// error.
type Option func(*config) error

type config struct {
	dc           DataCenter
	ts           oauth2.TokenSource
	base         http.RoundTripper
	httpClient   *http.Client
	baseURL      *url.URL // Endpoints.API (the OAuthConfig's, or WithEndpoints')
	endpointsOpt bool     // WithEndpoints was given
	version      string
	uaSuffix     string
	logger       *slog.Logger // the OAuthConfig's, or WithLogger's
	loggerOpt    bool         // WithLogger was given
	retry        RetryPolicy
	concurrency  int
	hook         func(ctx context.Context, info CallInfo)
	timeout      time.Duration
	fieldsTTL    time.Duration // 0: default; < 0: no caching (fields.go)
}

// WithDataCenter selects the Zoho data centre (default [US]). The token's api_domain, when
// present, still wins.
func WithDataCenter(dc DataCenter) Option {
	return func(c *config) error {
		if !dc.Valid() {
			return fmt.Errorf("zoho: WithDataCenter: unknown data centre %q", string(dc))
		}
		c.dc = dc
		return nil
	}
}

// WithTokenSource sets where access tokens come from. It is required. A source that also
// implements [TokenRejecter] is told when Zoho rejects a token, and the call is retried once.
// The source is called for every attempt, so it must cache (oauth2.ReuseTokenSource, or the
// sources of this package's OAuth support).
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return errors.New("zoho: WithTokenSource: nil token source")
		}
		c.ts = ts
		return nil
	}
}

// WithHTTPClient uses hc's Transport as the base transport and its Timeout, when set, as the
// per-attempt timeout of [WithTimeout] (a bound on the wait for the answer's headers, not on
// bodies). The client is copied, never modified; its CheckRedirect and Jar are not used.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("zoho: WithHTTPClient: nil client")
		}
		cp := *hc
		c.httpClient = &cp
		return nil
	}
}

// WithTransport sets the base transport under the SDK's own layers (concurrency limit, token,
// call hook). Tests inject an httpmock transport here.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return errors.New("zoho: WithTransport: nil transport")
		}
		c.base = rt
		return nil
	}
}

// Endpoints point at a host that is not Zoho's: a fake Zoho (package zohotest), a proxy, a
// sandbox. Set them once, in [OAuthConfig].Endpoints: every accounts call of the config, every
// [TokenSource] built from it and every [Client] on such a source (or from
// [NewClientFromRefreshToken]) use them, and they are the explicit consent to send tokens and
// the client secret there. Both are bare http(s) base URLs, domain only: a user, query,
// fragment or path is refused with an error naming the URL to give instead.
//
//	oauth := &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
//		Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}}
type Endpoints struct {
	// API is the base URL of the API, such as "http://127.0.0.1:8089" or
	// "https://sandbox.zohoapis.com": the client appends /crm/{version}/ itself, and sends its
	// calls there whatever the data centre and the token's api_domain say. "" keeps Zoho's.
	API string
	// Accounts is the base URL of the accounts (OAuth) server: authorisation URLs, code
	// exchanges, refreshes and revocations go there whatever the data centre, and Exchange
	// accepts it as a callback's accounts-server. "" keeps Zoho's.
	Accounts string
}

// check validates e's URLs, naming where they were given.
func (e Endpoints) check(where string) (api *url.URL, accounts string, err error) {
	if strings.TrimSpace(e.API) != "" {
		if api, err = baseURL(where, "API", e.API); err != nil {
			return nil, "", err
		}
	}
	if strings.TrimSpace(e.Accounts) != "" {
		acc, err := baseURL(where, "Accounts", e.Accounts)
		if err != nil {
			return nil, "", err
		}
		accounts = acc.String()
	}
	return api, accounts, nil
}

// WithEndpoints sends the client's calls to e.API, for a client whose token source is not a
// [*TokenSource] (an oauth2.TokenSource of the host's own): a [TokenSource] brings its
// OAuthConfig's Endpoints, and giving both is an error, as is giving it to
// [NewClientFromRefreshToken] (set [OAuthConfig].Endpoints instead). e.Accounts must be empty
// here: the client makes no accounts call.
func WithEndpoints(e Endpoints) Option {
	return func(c *config) error {
		if strings.TrimSpace(e.Accounts) != "" {
			return errors.New("zoho: WithEndpoints: Accounts is for OAuthConfig.Endpoints (the client makes no accounts call)")
		}
		if strings.TrimSpace(e.API) == "" {
			return errors.New("zoho: WithEndpoints: API is required")
		}
		api, _, err := e.check("WithEndpoints")
		if err != nil {
			return err
		}
		c.baseURL, c.endpointsOpt = api, true
		return nil
	}
}

// baseURL checks one URL of [Endpoints]: an http(s) scheme and host, nothing else.
func baseURL(where, field, rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(rawURL), "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("zoho: %s: Endpoints.%s %q is not an http(s) URL with a host", where, field, RedactURL(rawURL))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("zoho: %s: Endpoints.%s %q must not carry user info, a query or a fragment", where, field, RedactURL(rawURL))
	}
	if u.Path != "" || u.RawPath != "" {
		return nil, fmt.Errorf("zoho: %s: Endpoints.%s: give the domain only, such as %q: the client appends the paths itself (/crm/{version}/, /oauth/v2/), so the path %q would be sent twice", where, field, u.Scheme+"://"+u.Host, u.Path)
	}
	return u, nil
}

// WithAPIVersion selects the API version: "v2" (default) or "v2.1".
func WithAPIVersion(v string) Option {
	return func(c *config) error {
		switch v {
		case APIVersion2, APIVersion21:
			c.version = v
			return nil
		}
		return fmt.Errorf("zoho: WithAPIVersion: %q is not supported (supported: v2, v2.1; later versions change semantics)", v)
	}
}

// WithUserAgent appends suffix to the User-Agent header ("cxzoho/<version> <suffix>").
func WithUserAgent(suffix string) Option {
	return func(c *config) error {
		if strings.ContainsAny(suffix, "\r\n") {
			return errors.New("zoho: WithUserAgent: the suffix must be one line")
		}
		c.uaSuffix = strings.TrimSpace(suffix)
		return nil
	}
}

// WithLogger sets the logger for retries (how long the client waits and why) and failures, for
// a client whose token source is not a [*TokenSource]. A client on a [TokenSource], or from
// [NewClientFromRefreshToken], logs where its [OAuthConfig].Logger says — the one logger of the
// OAuth calls, the token source and the client — and giving WithLogger too is an error. Tokens
// and secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("zoho: WithLogger: nil logger (leave the option out for silence)")
		}
		c.logger, c.loggerOpt = l, true
		return nil
	}
}

// WithRetryPolicy sets how failed attempts are retried; zero fields take the defaults of
// [DefaultRetryPolicy].
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithConcurrency sets how many calls this client has in flight at most (default
// [DefaultConcurrency]). Zoho allows 5, 10, 15, 20 or 25 simultaneous calls per org by edition;
// set it to the org's edition limit or lower when other applications share the org.
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 100 {
			return fmt.Errorf("zoho: WithConcurrency: %d is out of range 1..100", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithCallHook registers a function called after every HTTP attempt, with the request's context,
// so a caller can attribute API calls (and Zoho credits) to the work that caused them. It runs on
// the calling goroutine and must be quick and safe for concurrent use.
func WithCallHook(fn func(ctx context.Context, info CallInfo)) Option {
	return func(c *config) error {
		if fn == nil {
			return errors.New("zoho: WithCallHook: nil hook")
		}
		c.hook = fn
		return nil
	}
}

// WithTimeout bounds how long each HTTP attempt waits for the answer's headers once the request
// has been sent (default 60s), as http.Transport's ResponseHeaderTimeout does: an answer that does
// not begin in time fails the attempt with an error whose Timeout() is true (a net.Error, matching
// context.DeadlineExceeded), which the retry policy treats like a lost connection. It does not
// bound sending or reading bodies, so a large upload or download is never cut while data flows:
// the call's context bounds the whole call, bodies included.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("zoho: WithTimeout: %v is not positive", d)
		}
		c.timeout = d
		return nil
	}
}

// NewClient returns a Client configured by opts. [WithTokenSource] is required: a [TokenSource]
// over the host's [TokenStore] shares one access token between processes. For a single process
// holding a refresh token, [NewClientFromRefreshToken] does it all in one call.
func NewClient(opts ...Option) (*Client, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.ts == nil {
		return nil, errors.New("zoho: NewClient: a token source is required (WithTokenSource)")
	}
	if ts, ok := cfg.ts.(*TokenSource); ok && ts != nil {
		if err := cfg.fromOAuth("NewClient", ts.cfg); err != nil {
			return nil, err
		}
	}
	return newClient(cfg), nil
}

// fromOAuth takes the endpoints and the logger of oc, the OAuthConfig of the client's token
// source: the one place they are set. WithEndpoints or WithLogger given too is an error naming it.
func (cfg *config) fromOAuth(where string, oc *OAuthConfig) error {
	if cfg.endpointsOpt {
		return fmt.Errorf("zoho: %s: WithEndpoints is for token sources of your own; set OAuthConfig.Endpoints, which the token source and the client share", where)
	}
	if cfg.loggerOpt {
		return fmt.Errorf("zoho: %s: WithLogger is for token sources of your own; set OAuthConfig.Logger, which the OAuth calls, the token source and the client share", where)
	}
	api, _, err := oc.Endpoints.check("OAuthConfig")
	if err != nil {
		return err
	}
	cfg.baseURL, cfg.logger = api, oc.Logger
	return nil
}

// NewClientFromRefreshToken returns a Client for the org of refreshToken (a refresh token of the
// OAuth client oauth, from a consent or a Self Client) in data centre dc: the common case of one
// process calling one org. It keeps the token in memory ([MemoryTokenStore]) behind a
// [TokenSource] that renews the access token when needed, once however many goroutines call.
// Hosts that run several processes, or persist tokens, build a [TokenSource] over their own
// [TokenStore] and give it to [NewClient] with [WithTokenSource].
//
// ctx is the long-lived context token renewals run under ([WithTokenContext]): cancel it at
// shutdown, and never pass a request's context. Nothing is sent before the first call. opts are
// those of [NewClient] but [WithTokenSource], [WithEndpoints] and [WithLogger]: oauth's Endpoints
// and Logger serve the token source and the client alike.
//
//	client, err := zoho.NewClientFromRefreshToken(ctx, &zoho.OAuthConfig{ClientID: id, ClientSecret: secret},
//		os.Getenv("ZOHO_REFRESH_TOKEN"), zoho.EU)
func NewClientFromRefreshToken(ctx context.Context, oauth *OAuthConfig, refreshToken string, dc DataCenter, opts ...Option) (*Client, error) {
	if ctx == nil {
		return nil, errors.New("zoho: NewClientFromRefreshToken: nil context")
	}
	if strings.TrimSpace(refreshToken) == "" {
		return nil, errors.New("zoho: NewClientFromRefreshToken: empty refresh token")
	}
	cfg, err := newConfig(append(opts[:len(opts):len(opts)], WithDataCenter(dc)))
	if err != nil {
		return nil, err
	}
	if cfg.ts != nil {
		return nil, errors.New("zoho: NewClientFromRefreshToken: WithTokenSource given; use NewClient with it")
	}
	if oauth == nil {
		return nil, errors.New("zoho: NewClientFromRefreshToken: nil OAuthConfig")
	}
	if err := cfg.fromOAuth("NewClientFromRefreshToken", oauth); err != nil {
		return nil, err
	}
	tok := &Token{RefreshToken: refreshToken, DataCenter: dc, AccountsServer: dc.AccountsURL()}
	if _, acc, _ := oauth.Endpoints.check("OAuthConfig"); acc != "" {
		tok.AccountsServer = acc
	}
	tsOpts := []TokenSourceOption{WithTokenContext(ctx)}
	store := NewMemoryTokenStore()
	if _, err := store.SaveToken(ctx, refreshTokenKey, tok, 0); err != nil {
		return nil, err
	}
	ts, err := NewTokenSource(oauth, store, refreshTokenKey, tsOpts...)
	if err != nil {
		return nil, err
	}
	cfg.ts = ts
	return newClient(cfg), nil
}

// refreshTokenKey is the key of the one token of [NewClientFromRefreshToken]'s store.
const refreshTokenKey = "refresh-token"

// newConfig applies opts to the defaults.
func newConfig(opts []Option) (config, error) {
	cfg := config{
		dc:          US,
		version:     APIVersion2,
		retry:       DefaultRetryPolicy(),
		concurrency: DefaultConcurrency,
		timeout:     60 * time.Second,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return config{}, err
		}
	}
	return cfg, nil
}

// newClient builds the client of a complete configuration; without a logger it logs nowhere.
func newClient(cfg config) *Client {
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	cfg.retry = cfg.retry.withDefaults()
	base := cfg.base
	if base == nil && cfg.httpClient != nil {
		base = cfg.httpClient.Transport
		if cfg.httpClient.Timeout > 0 {
			cfg.timeout = cfg.httpClient.Timeout
		}
	}
	if base == nil {
		base = defaultTransport()
	}
	c := &Client{cfg: cfg, limiter: newLimiter(cfg.concurrency)}
	hc := &http.Client{
		// No Timeout: it would also cut bodies. The transport bounds the wait for headers.
		Transport:     &sdkTransport{client: c, base: base},
		CheckRedirect: sameHostRedirect,
	}
	c.http = hc
	c.common.client = c
	c.Records = (*RecordsService)(&c.common)
	c.Leads = newModuleService[crm.Lead](c.Records, "Leads")
	c.Contacts = newModuleService[crm.Contact](c.Records, "Contacts")
	c.Accounts = newModuleService[crm.Account](c.Records, "Accounts")
	c.Cases = newModuleService[crm.Case](c.Records, "Cases")
	c.Tasks = newModuleService[crm.Task](c.Records, "Tasks")
	c.Fields = (*FieldsService)(&c.common)
	c.Attachments = (*AttachmentsService)(&c.common)
	c.Users = (*UsersService)(&c.common)
	c.Org = (*OrgService)(&c.common)
	return c
}

// DataCenter returns the client's data centre.
func (c *Client) DataCenter() DataCenter { return c.cfg.dc }

// APIVersion returns the API version the client speaks ("v2" or "v2.1").
func (c *Client) APIVersion() string { return c.cfg.version }

// Concurrency returns the client's concurrency limit.
func (c *Client) Concurrency() int { return c.cfg.concurrency }

// String describes the client without any secret.
func (c *Client) String() string {
	return fmt.Sprintf("zoho.Client{dc: %s, version: %s, concurrency: %d}", c.cfg.dc, c.cfg.version, c.cfg.concurrency)
}

// Format prints the description for every fmt verb, so that %#v cannot print the configuration
// (a token source holding a token by value, say).
func (c *Client) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

func defaultTransport() http.RoundTripper {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
}

// errRedirect marks a redirect the client refuses; retrying it would only be refused again.
var errRedirect = errors.New("zoho: redirect refused")

// sameHostRedirect refuses redirects that leave the original host: the token layer sits below the
// http.Client and would otherwise send the token to the new host.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return fmt.Errorf("%w: stopped after 5 redirects", errRedirect)
	}
	if !strings.EqualFold(req.URL.Host, via[0].URL.Host) || req.URL.Scheme != via[0].URL.Scheme {
		return fmt.Errorf("%w: refusing a redirect from %s to another host %s", errRedirect, via[0].URL.Host, req.URL.Host)
	}
	return nil
}
