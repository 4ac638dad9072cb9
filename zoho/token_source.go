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

// tokenFlight is one renewal in progress; done is closed when err is set.
type tokenFlight struct {
	done     chan struct{}
	rejected string // the access token being replaced after Zoho rejected it, if any
	err      error
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

// WithTokenLogger logs renewals and their failures (default: silent). No secret is logged.
func WithTokenLogger(l *slog.Logger) TokenSourceOption {
	return func(o *tokenSourceOptions) error {
		if l == nil {
			return errors.New("zoho: WithTokenLogger: nil logger (leave the option out for silence)")
		}
		o.logger = l
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

func noTokenCode(err error) string {
	if errors.Is(err, ErrNoToken) {
		return TokenCodeNoToken
	}
	return ""
}

// needsRefresh reports whether t should be renewed now: it expires within the margin and was not
// issued moments ago.
func (s *TokenSource) needsRefresh(t *Token, now time.Time) bool {
	if t.Expired(now) {
		return true
	}
	margin := s.opt.margin
	if !t.IssuedAt.IsZero() && t.Expiry.After(t.IssuedAt) {
		// A token that lives shorter than twice the margin is renewed at half its life, not at
		// every use.
		margin = min(margin, t.Expiry.Sub(t.IssuedAt)/2)
	}
	if t.Expiry.IsZero() || now.Before(t.Expiry.Add(-margin)) {
		return false
	}
	return !s.tooYoung(t, now)
}

// tooYoung reports whether t was issued less than the minimum refresh interval before now.
func (s *TokenSource) tooYoung(t *Token, now time.Time) bool {
	return !t.IssuedAt.IsZero() && now.Sub(t.IssuedAt) < s.opt.minInterval
}

// get returns a token: one that needs no renewal (rejected == ""), or one other than rejected.
// ctx bounds only the wait for a renewal in flight, never the renewal.
func (s *TokenSource) get(ctx context.Context, rejected string) (*oauth2.Token, error) {
	s.mu.Lock()
	var waited *tokenFlight
	for round := 0; ; round++ {
		now := s.clock()
		if s.terminal == nil && s.cur != nil {
			ok := false
			if rejected != "" {
				ok = s.cur.AccessToken != rejected && !s.cur.Expired(now)
			} else {
				ok = !s.needsRefresh(s.cur, now) || (waited != nil && waited.err == nil && !s.cur.Expired(now))
				// Zoho rejected the current token and a renewal is under way: wait for it rather
				// than send a token that is known to fail.
				ok = ok && (s.flight == nil || s.flight.rejected != s.cur.AccessToken)
			}
			if ok {
				t := s.curOAuth
				s.mu.Unlock()
				return t, nil
			}
		}
		if waited != nil && (waited.err != nil || round >= 3) {
			err := waited.err
			if err == nil {
				err = &TokenError{Op: "refresh", Description: "no usable token after renewing"}
			}
			return s.fallbackLocked(now, rejected, err)
		}
		if s.flight == nil {
			if s.terminal != nil && now.Before(s.recheckAt) {
				err := s.terminal
				s.mu.Unlock()
				return nil, err
			}
			if s.failErr != nil && now.Before(s.failUntil) {
				return s.fallbackLocked(now, rejected, s.failErr)
			}
			// A token younger than the floor is not renewed at Zoho; the flight only looks in the
			// store for a token saved by another process (a renewal, a reconnect).
			adoptOnly := rejected != "" && s.cur != nil && s.cur.AccessToken == rejected && s.tooYoung(s.cur, now)
			s.startFlightLocked(rejected, adoptOnly)
		}
		f := s.flight
		s.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
		waited = f
	}
}

// fallbackLocked answers after a failed renewal: a caller that needs any valid token gets the
// current one while it has not expired (the renewal was early); otherwise the error. It unlocks.
func (s *TokenSource) fallbackLocked(now time.Time, rejected string, err error) (*oauth2.Token, error) {
	defer s.mu.Unlock()
	if rejected == "" && s.terminal == nil && s.cur != nil && !s.cur.Expired(now) && !errors.Is(err, ErrReconnectRequired) {
		return s.curOAuth, nil
	}
	return nil, err
}

func (s *TokenSource) startFlightLocked(rejected string, adoptOnly bool) {
	f := &tokenFlight{done: make(chan struct{}), rejected: rejected}
	s.flight = f
	snap := ""
	if s.cur != nil {
		snap = s.cur.AccessToken
	}
	go s.runFlight(f, rejected, snap, s.terminal, s.termVer, adoptOnly)
}

func (s *TokenSource) runFlight(f *tokenFlight, rejected, snap string, termErr error, termVer int64, adoptOnly bool) {
	ctx, cancel := context.WithTimeout(s.opt.ctx, s.opt.timeout)
	defer cancel()
	var (
		tok *Token
		ver int64
		err error
	)
	if adoptOnly {
		tok, ver, err = s.adoptStored(ctx, rejected, snap)
	} else {
		tok, ver, err = s.obtain(ctx, rejected, snap, termErr, termVer)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	switch {
	case adoptOnly && err != nil:
		// Not a failure of the grant: nothing changes, and the next rejection decides again.
		if !isTooSoon(err) {
			s.opt.logger.Warn("zoho: reading the token store failed", slog.String("error", err.Error()))
		}
	case err == nil:
		s.cur, s.ver, s.curOAuth = tok, ver, tok.OAuth2()
		s.failErr, s.failures, s.terminal = nil, 0, nil
	case errors.Is(err, ErrReconnectRequired):
		if termErr == nil {
			s.opt.logger.Error("zoho: the Zoho connection must be authorised again", slog.String("error", err.Error()))
		}
		s.cur, s.curOAuth = nil, nil
		s.terminal, s.termVer = err, ver
		s.recheckAt = now.Add(s.opt.recheck)
	default:
		// The stored token may still be valid for a while (the renewal was early): keep it.
		if tok != nil && !tok.Expired(now) && (s.cur == nil || s.cur.AccessToken != tok.AccessToken) {
			s.cur, s.ver, s.curOAuth = tok, ver, tok.OAuth2()
		}
		s.failures++
		s.failErr = err
		s.failUntil = now.Add(s.backoff(s.failures, err))
		s.opt.logger.Warn("zoho: token renewal failed", slog.String("error", err.Error()),
			slog.Int("failures", s.failures), slog.Time("next_attempt", s.failUntil))
	}
	f.err = err
	s.flight = nil
	close(f.done)
}

// backoff is the wait after the n-th consecutive temporary failure.
func (s *TokenSource) backoff(n int, err error) time.Duration {
	d := s.opt.backoffMin
	for i := 1; i < n && d < s.opt.backoffMax; i++ {
		d *= 2
	}
	d = min(d, s.opt.backoffMax)
	var te *TokenError
	if errors.As(err, &te) {
		if te.throttled() {
			d = max(d, min(s.opt.backoffMax, time.Minute))
		}
		if te.RetryAfter > 0 {
			d = max(d, min(te.RetryAfter, 10*time.Minute))
		}
	}
	return d
}

// adoptStored answers a rejection of a token younger than the floor: a token another process
// saved since (a renewal, a reconnect) is adopted; otherwise the rejection is refused with
// TokenCodeRejectedTooSoon. Zoho is not asked.
func (s *TokenSource) adoptStored(ctx context.Context, rejected, snap string) (*Token, int64, error) {
	stored, ver, err := s.load(ctx)
	if err == nil && s.adoptable(stored, s.clock(), rejected, snap) {
		return stored, ver, nil
	}
	s.opt.logger.Warn("zoho: access token rejected moments after it was issued; not renewing it yet",
		slog.Duration("min_refresh_interval", s.opt.minInterval))
	return nil, 0, &TokenError{Op: "refresh", Code: TokenCodeRejectedTooSoon,
		Description: fmt.Sprintf("Zoho rejected an access token issued less than %v ago; it is renewed at the next rejection after that", s.opt.minInterval)}
}

func isTooSoon(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Code == TokenCodeRejectedTooSoon
}

// adoptable reports whether stored can be used instead of renewing: for a rejected token, any
// other unexpired token; otherwise a token that needs no renewal, or one another process renewed
// since this source last held a token (different from snap), while it has not expired.
func (s *TokenSource) adoptable(stored *Token, now time.Time, rejected, snap string) bool {
	if stored == nil || stored.Expired(now) {
		return false
	}
	if rejected != "" {
		return stored.AccessToken != rejected
	}
	return !s.needsRefresh(stored, now) || (snap != "" && stored.AccessToken != snap)
}

func (s *TokenSource) load(ctx context.Context) (*Token, int64, error) {
	tok, ver, err := s.store.LoadToken(ctx, s.key)
	if err != nil {
		if errors.Is(err, ErrNoToken) {
			return nil, 0, &TokenError{Op: "load", Code: TokenCodeNoToken, Description: "nothing stored under the key; connect first", Err: err}
		}
		return nil, 0, &TokenError{Op: "load", Err: err}
	}
	if tok == nil {
		return nil, 0, &TokenError{Op: "load", Description: "the store returned a nil token"}
	}
	return tok, ver, nil
}

// obtain finds or makes a token for the flight: reload, adopt if possible, else lease (when the
// store offers one), reload again, renew at Zoho and save with compare-and-swap. On failure it
// also returns the last token it loaded, if any, and its version.
func (s *TokenSource) obtain(ctx context.Context, rejected, snap string, termErr error, termVer int64) (*Token, int64, error) {
	stored, ver, err := s.load(ctx)
	if err != nil {
		return nil, 0, err
	}
	if termErr != nil && ver == termVer {
		return nil, ver, termErr // nothing new since Zoho rejected the grant: do not ask again
	}
	if s.adoptable(stored, s.clock(), rejected, snap) {
		return stored, ver, nil
	}
	if s.leaser != nil {
		release, lstored, lver, adopted, err := s.lease(ctx, rejected, snap)
		if err != nil {
			return stored, ver, err
		}
		if adopted {
			return lstored, lver, nil
		}
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := release(rctx); err != nil {
				s.opt.logger.Warn("zoho: releasing the token refresh lease failed", slog.String("error", err.Error()))
			}
		}()
		stored, ver = lstored, lver
		if s.adoptable(stored, s.clock(), rejected, snap) {
			return stored, ver, nil
		}
	}
	fresh, err := s.cfg.Refresh(ctx, stored)
	if err != nil {
		var te *TokenError
		if !errors.As(err, &te) {
			err = &TokenError{Op: "refresh", Err: err}
		}
		return stored, ver, err
	}
	if s.opt.now != nil {
		s.redate(fresh)
	}
	s.opt.logger.Debug("zoho: access token renewed", slog.Time("expiry", fresh.Expiry))
	nv, err := s.store.SaveToken(ctx, s.key, fresh, ver)
	switch {
	case err == nil:
		return fresh, nv, nil
	case errors.Is(err, ErrVersionConflict):
		// Another process saved first: its token wins, so that every process uses the same one.
		if winner, wv, lerr := s.load(ctx); lerr == nil {
			if !winner.Expired(s.clock()) {
				return winner, wv, nil
			}
			return fresh, wv, nil
		}
		return fresh, ver, nil
	default:
		// The token is valid: use it, and let the next renewal's compare-and-swap sort out the store.
		s.opt.logger.Warn("zoho: saving the renewed token failed", slog.String("error", err.Error()))
		return fresh, ver, nil
	}
}

// lease takes the store's refresh lease. While another process holds it, it polls the store and
// adopts the token that process saves.
func (s *TokenSource) lease(ctx context.Context, rejected, snap string) (func(context.Context) error, *Token, int64, bool, error) {
	delay := 20 * time.Millisecond
	for {
		release, err := s.leaser.AcquireTokenLease(ctx, s.key, s.opt.timeout+15*time.Second)
		if err == nil {
			stored, ver, lerr := s.load(ctx)
			if lerr != nil {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				_ = release(rctx)
				cancel()
				return nil, nil, 0, false, lerr
			}
			return release, stored, ver, false, nil
		}
		if !errors.Is(err, ErrLeaseHeld) {
			return nil, nil, 0, false, &TokenError{Op: "lease", Err: err}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, 0, false, &TokenError{Op: "lease", Description: "another process's renewal did not finish in time", Err: ctx.Err()}
		case <-t.C:
		}
		delay = min(delay*2, 500*time.Millisecond)
		if stored, ver, lerr := s.load(ctx); lerr == nil && s.adoptable(stored, s.clock(), rejected, snap) {
			return nil, stored, ver, true, nil
		}
	}
}

// redate dates a token Zoho just minted by the source's clock: issued now, expiring after the
// lifetime Zoho gave it.
func (s *TokenSource) redate(t *Token) {
	now := s.clock()
	if !t.Expiry.IsZero() && !t.IssuedAt.IsZero() {
		t.Expiry = now.Add(t.Expiry.Sub(t.IssuedAt))
	}
	t.IssuedAt = now
}
