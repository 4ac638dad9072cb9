package zoho

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Defaults of a [TokenSource].
const (
	// DefaultRefreshMargin is how long before expiry an access token is renewed.
	DefaultRefreshMargin = 3 * time.Minute
	// DefaultRefreshTimeout bounds one renewal: waiting for another process's lease, the call to
	// Zoho and the store.
	DefaultRefreshTimeout = 30 * time.Second
	// DefaultMinRefreshInterval is how old an access token must be before it is renewed early or
	// renewed after Zoho rejects it (see [WithMinRefreshInterval]).
	DefaultMinRefreshInterval = time.Minute
)

// TokenSource is the access-token source for one Zoho connection (one key of a [TokenStore]),
// shared by every goroutine that calls Zoho for it. It implements oauth2.TokenSource and
// [TokenRejecter], so a [Client] built WithTokenSource(ts) refreshes through it.
//
// It renews the access token once, however many callers and processes need it:
//   - In process, one renewal is in flight at a time; every other caller waits for its result.
//   - Before renewing it reloads the store: if another process already renewed, it uses that
//     token. If the store is also a [TokenLeaser], it takes the lease first, so only one process
//     asks Zoho; the others wait for the stored result. Saving is a compare-and-swap: if another
//     process saved first, its token wins and is used.
//   - It renews a little before expiry (see [WithRefreshMargin]), and never renews a token younger
//     than a floor (see [WithMinRefreshInterval]).
//   - When Zoho rejects an access token (401 INVALID_TOKEN), [TokenSource.TokenRejected] renews
//     only if that token is still the current one, so 100 concurrent 401s cause one renewal.
//
// Failures: a grant Zoho rejects (invalid_code — revoked, or evicted as the user's 21st refresh
// token; invalid_client; nothing stored) is a [*TokenError] matching [ErrReconnectRequired]; it is
// cached and returned without asking Zoho again, until a different token is saved in the store
// (checked at most every [WithReconnectRecheck]). Throttling ([ErrTokenThrottled]), server and
// network errors are cached for an exponential backoff ([WithRefreshBackoff]); meanwhile an access
// token that has not expired yet is still used.
//
// Token has no context: renewals run under the source's own long-lived context
// ([WithTokenContext]), bounded by [WithRefreshTimeout], never under a request's context.
type TokenSource struct {
	cfg    *OAuthConfig
	store  TokenStore
	leaser TokenLeaser
	key    string
	opt    tokenSourceOptions

	mu        sync.Mutex
	cur       *Token
	curOAuth  *oauth2.Token
	ver       int64
	flight    *tokenFlight
	failErr   error
	failUntil time.Time
	failures  int
	terminal  error
	termVer   int64
	recheckAt time.Time
}

type tokenSourceOptions struct {
	margin, timeout, backoffMin, backoffMax, recheck, minInterval time.Duration
	ctx                                                           context.Context
	logger                                                        *slog.Logger
	now                                                           func() time.Time // nil: time.Now
}

// A TokenSourceOption configures a [TokenSource].
type TokenSourceOption func(*tokenSourceOptions) error

// WithRefreshMargin renews the access token d before it expires (default
// [DefaultRefreshMargin]; 0..30 minutes, Zoho's tokens live one hour).
func WithRefreshMargin(d time.Duration) TokenSourceOption {
	return func(o *tokenSourceOptions) error {
		if d < 0 || d > 30*time.Minute {
			return fmt.Errorf("zoho: WithRefreshMargin: %v is out of range 0..30m", d)
		}
		o.margin = d
		return nil
	}
}

// WithRefreshTimeout bounds one renewal (default [DefaultRefreshTimeout]). The store's refresh
// lease is taken for this long plus 15 seconds.
func WithRefreshTimeout(d time.Duration) TokenSourceOption {
	return func(o *tokenSourceOptions) error {
		if d <= 0 {
			return fmt.Errorf("zoho: WithRefreshTimeout: %v is not positive", d)
		}
		o.timeout = d
		return nil
	}
}

// WithRefreshBackoff sets the wait after a failed renewal that may succeed later: min after the
// first failure, doubling up to max (defaults 5s and 5m). Throttling waits at least a minute
// (capped by max), and a Retry-After from Zoho is honoured up to ten minutes.
func WithRefreshBackoff(minWait, maxWait time.Duration) TokenSourceOption {
	return func(o *tokenSourceOptions) error {
		if minWait <= 0 || maxWait < minWait {
			return fmt.Errorf("zoho: WithRefreshBackoff: need 0 < min (%v) <= max (%v)", minWait, maxWait)
		}
		o.backoffMin, o.backoffMax = minWait, maxWait
		return nil
	}
}

// WithReconnectRecheck sets how often, after an [ErrReconnectRequired] failure, the source looks
// in the store for a token saved by a reconnect (default 30s). It never asks Zoho in that state
// unless the store holds a different token.
func WithReconnectRecheck(d time.Duration) TokenSourceOption {
	return func(o *tokenSourceOptions) error {
		if d <= 0 {
			return fmt.Errorf("zoho: WithReconnectRecheck: %v is not positive", d)
		}
		o.recheck = d
		return nil
	}
}

// WithMinRefreshInterval sets how old an access token must be before the source renews it, early
// (within the refresh margin) or after Zoho rejected it (default [DefaultMinRefreshInterval];
// 0..10 minutes; 0 means no floor). A token Zoho rejects younger than that is not renewed: the call
// fails with a [*TokenError] of code [TokenCodeRejectedTooSoon] (after the store was checked for a
// token another process saved), and the next rejection once the token is old enough renews it.
//
// The trade-off: Zoho mints at most 10 access tokens per refresh token per 10 minutes, and a
// source whose fresh tokens keep being rejected (a wrong data centre, a proxy that strips the
// header, a scope problem reported as INVALID_TOKEN) would otherwise spend that quota in seconds
// and leave the whole tenant throttled. But Zoho does invalidate fresh tokens legitimately: the
// 16th active token of a refresh token evicts the oldest, and a revocation kills every token of
// the grant at once. With the default floor such a token keeps failing for up to a minute; with
// 0 it is renewed at the first 401, and a persistent rejection costs one token per call until
// Zoho throttles ([ErrTokenThrottled], then backoff).
func WithMinRefreshInterval(d time.Duration) TokenSourceOption {
	return func(o *tokenSourceOptions) error {
		if d < 0 || d > 10*time.Minute {
			return fmt.Errorf("zoho: WithMinRefreshInterval: %v is out of range 0..10m", d)
		}
		o.minInterval = d
		return nil
	}
}

// WithTokenClock sets the clock the source reads (default time.Now): token ages and expiries, the
// refresh margin and floor, and the deadlines of its backoff and reconnect checks. Renewed tokens
// are dated by it (IssuedAt, Expiry), so that a test or a host with a simulated clock (such as the
// zohotest fake Zoho's) sees tokens age with it. Waits (a lease held by another process, the
// refresh timeout) still run in real time.
func WithTokenClock(now func() time.Time) TokenSourceOption {
	return func(o *tokenSourceOptions) error {
		if now == nil {
			return errors.New("zoho: WithTokenClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithTokenContext sets the long-lived context renewals run under (default
// context.Background()). Cancel it at shutdown to abandon renewals. Never pass a request's
// context: renewals outlive requests.
func WithTokenContext(ctx context.Context) TokenSourceOption {
	return func(o *tokenSourceOptions) error {
		if ctx == nil {
			return errors.New("zoho: WithTokenContext: nil context")
		}
		o.ctx = ctx
		return nil
	}
}

// NewTokenSource returns the token source for the token stored under key in store, renewed with
// cfg. Nothing is loaded until the first Token call. Create one per key per process and share it.
func NewTokenSource(cfg *OAuthConfig, store TokenStore, key string, opts ...TokenSourceOption) (*TokenSource, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("zoho: NewTokenSource: nil store")
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	o := tokenSourceOptions{
		margin: DefaultRefreshMargin, timeout: DefaultRefreshTimeout, minInterval: DefaultMinRefreshInterval,
		backoffMin: 5 * time.Second, backoffMax: 5 * time.Minute, recheck: 30 * time.Second,
		ctx: context.Background(),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	// The config's Logger is the one logger of the source (its renewals, and its calls to the
	// accounts server) and of the clients on it.
	o.logger = cfg.Logger
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	o.logger = o.logger.With(slog.String("token_key", key))
	s := &TokenSource{cfg: cfg, store: store, key: key, opt: o}
	s.leaser, _ = store.(TokenLeaser)
	return s, nil
}

// Token returns a valid access token, renewing it if needed. The token carries the api_domain
// extra (read by [APIDomain]) and TokenType "Zoho-oauthtoken"; it has no refresh token.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	// No caller context: wait for a renewal in flight, which is bounded by the refresh timeout.
	return s.get(context.Background(), "")
}

// tokenContext is Token for a [Client]'s call: the wait for a renewal in flight ends with ctx
// (the renewal itself goes on under the source's own context).
func (s *TokenSource) tokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.get(ctx, "")
}

// clock returns the source's current time.
func (s *TokenSource) clock() time.Time {
	if s.opt.now != nil {
		return s.opt.now()
	}
	return time.Now()
}

// TokenRejected is called by the [Client] when Zoho answered 401 INVALID_TOKEN to rejected. If
// rejected is still the current token, it is renewed (once, however many callers report it);
// otherwise the current token is newer and nothing is done. A nil result means "retry the call".
// A token younger than the floor of [WithMinRefreshInterval] (a minute by default) is not renewed
// again: unless the store holds another valid token by then (another process renewed or
// reconnected), that is a [*TokenError] with code [TokenCodeRejectedTooSoon].
func (s *TokenSource) TokenRejected(ctx context.Context, rejected *oauth2.Token) error {
	if rejected == nil || rejected.AccessToken == "" {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	_, err := s.get(ctx, rejected.AccessToken)
	return err
}

// Revoke revokes the stored refresh token at Zoho (and with it every access token minted from
// it); the source then fails with [ErrReconnectRequired] until a new token is stored. The store is
// not changed: deleting the connection is the host's business.
func (s *TokenSource) Revoke(ctx context.Context) error {
	tok, _, err := s.store.LoadToken(ctx, s.key)
	if err != nil {
		return &TokenError{Op: "load", Code: noTokenCode(err), Err: err}
	}
	if tok.RefreshToken == "" {
		return &TokenError{Op: "revoke", Code: TokenCodeNoRefreshToken, Description: "nothing to revoke"}
	}
	server := tok.AccountsServer
	if server == "" {
		if server, err = s.cfg.accountsForDC(tok.DataCenter); err != nil {
			return err
		}
	}
	if err := s.cfg.RevokeToken(ctx, server, tok.RefreshToken); err != nil {
		return err
	}
	_, ver, lerr := s.store.LoadToken(ctx, s.key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if lerr != nil {
		ver = s.ver
	}
	s.cur, s.curOAuth = nil, nil
	s.terminal = &TokenError{Op: "refresh", Code: TokenCodeRevoked, Description: "the refresh token was revoked by this source"}
	s.termVer = ver
	s.recheckAt = s.clock().Add(s.opt.recheck)
	return nil
}

// String describes the source without secrets.
func (s *TokenSource) String() string { return fmt.Sprintf("zoho.TokenSource{key: %s}", s.key) }

// Format prints the description for every fmt verb.
func (s *TokenSource) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }
