package zohotest

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a fake Zoho CRM v2: accounts server (OAuth) and API domain in one HTTP server on
// loopback. It is stateful (records, attachments, users and tokens live in memory per org),
// serves several orgs at once, and is safe for concurrent use. Create it with [NewServer] and
// [Server.Start], or with [New] in a test.
//
// # Known differences from Zoho
//
// Tests that pass here can still fail on Zoho where the fake is simpler. What is known:
//   - Search: Zoho's `equals` on text is loose and tokenised in ways Zoho does not document; the
//     fake approximates it as "contains, ignoring case" on text, textarea, website and picklist
//     fields (WithExactSearch makes it whole-value), compares emails whole and phones as written,
//     and makes `word` a substring test. The indexing delay is a fixed duration
//     (WithIndexingDelay); Zoho's varies.
//   - Not modelled: workflows, approvals, blueprints, assignment and duplicate-check rules set in
//     Zoho's UI, layouts (and layout-only mandatory fields or picklist values), profiles and
//     permissions (every active user may do everything; only OAuth scopes are checked), notes,
//     tags, territories, currencies, COQL and the bulk APIs.
//   - Converted Leads (Org.ConvertLead) and merged records (Org.MergeRecords) are deleted; Zoho
//     hides converted Leads from the API in the same way but keeps them in its UI.
//   - Credits: every API call costs one; Zoho weighs some calls (and bulk writes) more.
//   - Field metadata carries the keys of Zoho's v2 sample and Zoho's lengths by data type; other
//     keys of later API versions are absent. Error codes and status codes follow Zoho's samples;
//     message texts may differ.
//   - OAuth: the consent page approves at once (as Org.CurrentUser, see Org.SetConsentUser);
//     refresh tokens are capped at 20 per user and client (the 21st evicts the oldest) and access
//     tokens at 15 per refresh token, as Zoho documents, and refresh tokens are created at most 10
//     per user and client per 10 minutes (the code exchange then answers "Access Denied"), the
//     same window as WithRefreshLimit.
type Server struct {
	opts   options
	optErr error

	lifeMu  sync.Mutex // guards starting and closing
	hs      *http.Server
	ln      net.Listener
	url     string
	started bool
	closed  bool
	done    chan struct{} // closed by Close: ends latency sleeps
	wg      sync.WaitGroup

	mu       sync.Mutex // guards everything below
	orgs     []*Org
	orgByID  map[string]*Org
	clients  map[string]*oauthClient
	access   map[string]*accessToken
	refresh  map[string]*refreshToken
	codes    map[string]*grantCode
	tokenSeq int
	issued   int // tokens and codes issued, for pruning
	orgSeq   int
	calls    []Call
	counts   map[callKey]int
	faults   []*FaultRule
	rng      *rand.Rand
}

// DefaultClientID and DefaultClientSecret are the OAuth client every org accepts unless its
// OrgConfig names its own. They are fake, published values: the fake Zoho is for tests.
const (
	DefaultClientID     = "1000.ZOHOTESTCLIENT0000000000000000"
	DefaultClientSecret = "zohotest-client-secret-0000000000000000000"
)

// An Option configures a Server. Invalid options make [Server.Start] fail.
type Option func(*options) error

type options struct {
	clock            func() time.Time
	latency          time.Duration
	tokenLifetime    time.Duration
	codeLifetime     time.Duration
	refreshLimit     int
	refreshWindow    time.Duration
	maxRefresh       int
	maxAccess        int
	indexDelay       time.Duration
	exactSearch      bool
	seed             uint64
	listener         net.Listener
	addr             string
	scopeChecks      bool
	maxAttachment    int64
	callLogLimit     int
	logger           *slog.Logger
	errorLog         *log.Logger // the http.Server's; nil: net/http's default
	defaultClientID  string
	defaultClientSec string
}

func defaultOptions() options {
	return options{
		clock:            time.Now,
		tokenLifetime:    time.Hour,
		codeLifetime:     3 * time.Minute,
		refreshLimit:     10,
		refreshWindow:    10 * time.Minute,
		maxRefresh:       20,
		maxAccess:        15,
		seed:             1,
		scopeChecks:      true,
		maxAttachment:    100 << 20,
		callLogLimit:     100_000,
		logger:           slog.New(slog.DiscardHandler),
		defaultClientID:  DefaultClientID,
		defaultClientSec: DefaultClientSecret,
	}
}

// WithClock sets the clock used for token expiry, grant-code expiry, the refresh limit window,
// the indexing delay, credit windows and record times (default time.Now). Latency and slow
// faults always sleep in real time.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("zohotest: WithClock: nil clock")
		}
		o.clock = now
		return nil
	}
}

// WithLatency delays every answer by d (default 0), as a slow network or a busy Zoho would. The
// request counts against its org's concurrency limit while it waits.
func WithLatency(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 || d > time.Minute {
			return fmt.Errorf("zohotest: WithLatency: %v is out of range 0..1m", d)
		}
		o.latency = d
		return nil
	}
}

// WithTokenLifetime sets how long access tokens live (default 1h, as Zoho's); expires_in in the
// token answers follows it.
func WithTokenLifetime(d time.Duration) Option {
	return func(o *options) error {
		if d < time.Second {
			return fmt.Errorf("zohotest: WithTokenLifetime: %v is shorter than 1s", d)
		}
		o.tokenLifetime = d
		return nil
	}
}

// WithGrantCodeLifetime sets how long authorization codes stay valid (default 3 minutes).
func WithGrantCodeLifetime(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("zohotest: WithGrantCodeLifetime: %v is not positive", d)
		}
		o.codeLifetime = d
		return nil
	}
}

// WithRefreshLimit sets Zoho's refresh throttle: at most n access tokens generated from one
// refresh token (refresh_token grants) per window (default 10 per 10 minutes; the access token of
// the code exchange does not count), and at most n refresh tokens created per user and client per
// window (Zoho documents 10 per 10 minutes for both). Beyond either the token endpoint answers
// HTTP 200 with {"error":"Access Denied", …}. n = -1 disables both limits.
func WithRefreshLimit(n int, window time.Duration) Option {
	return func(o *options) error {
		if n == 0 || n < -1 || (n > 0 && window <= 0) {
			return fmt.Errorf("zohotest: WithRefreshLimit: %d per %v is not a limit (use -1 for none)", n, window)
		}
		o.refreshLimit, o.refreshWindow = n, window
		return nil
	}
}

// WithMaxRefreshTokens sets how many refresh tokens a user keeps per OAuth client (default 20,
// as Zoho: the 21st evicts the oldest, whose access tokens stop working).
func WithMaxRefreshTokens(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("zohotest: WithMaxRefreshTokens: %d is not positive", n)
		}
		o.maxRefresh = n
		return nil
	}
}

// WithMaxAccessTokens sets how many access tokens of one refresh token are valid at once
// (default 15, as Zoho: the 16th invalidates the oldest).
func WithMaxAccessTokens(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("zohotest: WithMaxAccessTokens: %d is not positive", n)
		}
		o.maxAccess = n
		return nil
	}
}

// WithIndexingDelay makes records invisible to search for d after each write (default 0), as in
// real Zoho ("newly created or edited records may not be found until indexed"): a new record is
// not found, an edited one is found by its previous values. Listing and getting by id are
// immediate.
func WithIndexingDelay(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("zohotest: WithIndexingDelay: %v is negative", d)
		}
		o.indexDelay = d
		return nil
	}
}

// WithExactSearch makes criteria searches compare `equals` on the whole value (ignoring case),
// as package crm's Criteria.Matches does. By default the fake is as loose as Zoho: `equals` on a
// text field matches a value that contains the searched text ("Doe" finds "Doe 1" and "John
// Doe"), so a client must re-check what a search returns. Use it in tests that need exactness.
func WithExactSearch() Option {
	return func(o *options) error {
		o.exactSearch = true
		return nil
	}
}

// WithSeed seeds the random source of fractional faults (default 1), so that a test run is
// repeatable.
func WithSeed(seed uint64) Option {
	return func(o *options) error {
		o.seed = seed
		return nil
	}
}

// WithListener serves on l instead of a new loopback listener. The server closes it.
func WithListener(l net.Listener) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("zohotest: WithListener: nil listener")
		}
		o.listener = l
		return nil
	}
}

// WithAddr listens on addr (host:port) instead of 127.0.0.1 on a free port. Only loopback
// addresses are accepted: the fake Zoho has no authentication worth the name.
func WithAddr(addr string) Option {
	return func(o *options) error {
		if err := checkLoopback(addr); err != nil {
			return fmt.Errorf("zohotest: WithAddr: %w", err)
		}
		o.addr = addr
		return nil
	}
}

// WithScopeChecks turns OAuth scope enforcement on or off (default on): an API call whose token
// lacks the scope Zoho requires gets 401 OAUTH_SCOPE_MISMATCH.
func WithScopeChecks(on bool) Option {
	return func(o *options) error {
		o.scopeChecks = on
		return nil
	}
}

// WithMaxAttachmentSize sets the largest attachment accepted (default 100 MB, as Zoho); larger
// uploads get 413 FILE_SIZE_MORE_THAN_ALLOWED_SIZE.
func WithMaxAttachmentSize(n int64) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("zohotest: WithMaxAttachmentSize: %d is not positive", n)
		}
		o.maxAttachment = n
		return nil
	}
}

// WithCallLogLimit sets how many calls [Server.Calls] keeps (default 100,000; the oldest are
// dropped). [Server.CallCount] counts every call regardless.
func WithCallLogLimit(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("zohotest: WithCallLogLimit: %d is not positive", n)
		}
		o.callLogLimit = n
		return nil
	}
}

// WithLogger logs every call at debug level, and the HTTP server's own errors (such as a
// recovered handler panic) at error level. Default: calls are not logged, and the HTTP server's
// errors go to the standard logger, as net/http's do. Secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("zohotest: WithLogger: nil logger")
		}
		o.logger = l
		o.errorLog = slog.NewLogLogger(l.Handler(), slog.LevelError)
		return nil
	}
}

// WithDefaultClient replaces the OAuth client every org accepts by default ([DefaultClientID]).
func WithDefaultClient(id, secret string) Option {
	return func(o *options) error {
		if strings.TrimSpace(id) == "" || strings.TrimSpace(secret) == "" {
			return errors.New("zohotest: WithDefaultClient: empty client id or secret")
		}
		o.defaultClientID, o.defaultClientSec = id, secret
		return nil
	}
}

// NewServer returns a fake Zoho that is not yet listening; call [Server.Start]. Orgs may be added
// before or after starting.
func NewServer(opts ...Option) *Server {
	s := &Server{
		opts:    defaultOptions(),
		done:    make(chan struct{}),
		orgByID: map[string]*Org{},
		clients: map[string]*oauthClient{},
		access:  map[string]*accessToken{},
		refresh: map[string]*refreshToken{},
		codes:   map[string]*grantCode{},
		counts:  map[callKey]int{},
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s.opts); err != nil && s.optErr == nil {
			s.optErr = err
		}
	}
	s.rng = rand.New(rand.NewPCG(s.opts.seed, s.opts.seed^0x9e3779b97f4a7c15))
	s.clients[s.opts.defaultClientID] = &oauthClient{id: s.opts.defaultClientID, secret: s.opts.defaultClientSec}
	return s
}

// New returns a started fake Zoho without orgs, closed when the test ends; it fails the test if
// the server cannot start. Add orgs with [Server.AddOrg] or [Server.AddDemoOrg].
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	if err := s.Start(); err != nil {
		t.Fatalf("zohotest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts listening. It fails on invalid options or when it cannot listen.
func (s *Server) Start() error {
	if s.optErr != nil {
		return s.optErr
	}
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.closed {
		return errors.New("zohotest: Start: the server is closed")
	}
	if s.started {
		return errors.New("zohotest: Start: already started")
	}
	ln := s.opts.listener
	if ln == nil {
		var err error
		if s.opts.addr != "" {
			ln, err = net.Listen("tcp", s.opts.addr)
		} else if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			ln, err = net.Listen("tcp", "[::1]:0")
		}
		if err != nil {
			return fmt.Errorf("zohotest: Start: %w", err)
		}
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: s.opts.errorLog}
	s.started = true
	go func() { _ = s.hs.Serve(ln) }()
	return nil
}

// Close stops the server: it closes the listener and every connection, ends pending latency
// sleeps, and waits for running handlers. It may be called more than once.
func (s *Server) Close() {
	s.lifeMu.Lock()
	if s.closed {
		s.lifeMu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	hs := s.hs
	s.lifeMu.Unlock()
	if hs != nil {
		_ = hs.Close()
	}
	s.wg.Wait()
}

// URL returns the server's base URL, such as "http://127.0.0.1:41234" ("" before Start). It is
// both the accounts server (/oauth/v2/…) and the API domain (/crm/v2/…): token answers carry it
// as api_domain, and the authorization redirect as accounts-server.
func (s *Server) URL() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	return s.url
}

// Host returns the server's host:port, such as "127.0.0.1:8089".
func (s *Server) Host() string {
	u, err := url.Parse(s.URL())
	if err != nil {
		return ""
	}
	return u.Host
}

// String describes the server without secrets.
func (s *Server) String() string {
	s.mu.Lock()
	n := len(s.orgs)
	s.mu.Unlock()
	return fmt.Sprintf("zohotest.Server{url: %s, orgs: %d}", s.URL(), n)
}

// GoString describes the server without secrets (the %#v verb).
func (s *Server) GoString() string { return s.String() }

// Format prints the description for every fmt verb, so that no verb dumps the server's state
// (which holds the client secret and every token).
func (s *Server) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }

// Handler returns the server's HTTP handler, for mounting the fake Zoho on a server of one's own.
// Its base URL (api_domain, accounts-server) is then unknown to it: prefer [Server.Start].
func (s *Server) Handler() http.Handler { return s }

// ClientID returns the OAuth client id every org accepts by default.
func (s *Server) ClientID() string { return s.opts.defaultClientID }

// ClientSecret returns the secret of [Server.ClientID]. It is a fake secret, but like every
// secret it never appears in the call log.
func (s *Server) ClientSecret() string { return s.opts.defaultClientSec }

func (s *Server) now() time.Time { return s.opts.clock() }

// sleep waits d, or less if the request or the server ends first. It reports whether the full
// time passed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// checkLoopback refuses addresses that are not loopback (or localhost).
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %v", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address", addr)
	}
	return nil
}
