package zoho

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/oauth2"
)

// The renewal machinery of [TokenSource]: one flight per renewal in process, the store reloaded
// and leased across processes, the backoff after failures, and the floor under renewals.

// tokenFlight is one renewal in progress; done is closed when err is set.
type tokenFlight struct {
	done     chan struct{}
	rejected string // the access token being replaced after Zoho rejected it, if any
	err      error
}

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
