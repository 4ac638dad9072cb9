package owner

import (
	"context"
	"errors"
	"fmt"
	"github.com/cloudcx/cxzoho/zoho"
	"log/slog"
	"time"
)

// resolve applies the owner rule for tenant key, reading users through src.
func (r *Resolver) resolve(ctx context.Context, key string, src source, agentEmail, connID string) (Result, error) {
	t := r.tenantState(key)
	email := normEmail(agentEmail)
	if email == "" {
		return r.fallback(ctx, t, src, connID, ReasonNoAgent)
	}
	m, reason, err := r.lookup(ctx, t, src, email)
	if err != nil && listingRefused(err) {
		// The mission's rule: the agent's Zoho user, else the connecting user — also when Zoho
		// will not list users (the tenant lacks ZohoCRM.users.READ, say). A temporary failure
		// stays an error: the record must not get the fallback owner for good because of it.
		res, ferr := r.fallback(ctx, t, src, connID, ReasonListingFailed)
		if ferr != nil {
			return Result{}, errors.Join(err, ferr)
		}
		res.Err = err
		return res, nil
	}
	if err != nil {
		return Result{}, err
	}
	if reason == "" {
		return Result{UserID: m.id, Email: m.email, Name: m.name, Rule: RuleAgentMatch, Reason: ReasonAgentMatch}, nil
	}
	return r.fallback(ctx, t, src, connID, reason)
}

// lookup finds the active user with email. It returns the user and "", or a reason for the
// fallback, or an error when there is no fresh listing to answer from and listing failed. It
// causes at most one listing, and waits for the one in flight rather than starting another.
func (r *Resolver) lookup(ctx context.Context, t *tenant, src source, email string) (member, string, error) {
	var waited *flight
	for {
		now := r.cfg.Clock()
		t.mu.Lock()
		fresh := t.fresh(now, r.cfg.TTL)
		if waited != nil {
			// The listing this call waited for has ended: answer from its outcome.
			if waited.err != nil && !fresh {
				t.mu.Unlock()
				return member{}, "", waited.err
			}
			m, reason := t.match(email, now)
			if reason == ReasonNoMatch && waited.err != nil {
				reason = ReasonRefreshFailed
			}
			t.mu.Unlock()
			return m, reason, nil
		}
		if fresh {
			if m, reason := t.match(email, now); reason == "" {
				t.mu.Unlock()
				return m, "", nil
			}
		}
		if f := t.listing; f != nil {
			t.mu.Unlock()
			if err := wait(ctx, f); err != nil {
				return member{}, "", err
			}
			waited = f
			continue
		}
		recent := !t.lastAttempt.IsZero() && now.Sub(t.lastAttempt) < r.cfg.MinRefreshInterval
		if fresh && recent && !t.forceList {
			// A miss on a fresh listing lists again only once per MinRefreshInterval.
			_, reason := t.match(email, now)
			if reason == ReasonNoMatch && t.lastErr != nil {
				reason = ReasonRefreshFailed
			}
			t.mu.Unlock()
			return member{}, reason, nil
		}
		if !fresh && recent && t.lastErr != nil {
			// The last listing failed a moment ago: do not call Zoho again yet.
			err := t.lastErr
			t.mu.Unlock()
			return member{}, "", err
		}
		f := r.startListing(ctx, t, src)
		t.mu.Unlock()
		if err := wait(ctx, f); err != nil {
			return member{}, "", err
		}
		waited = f
	}
}

// match looks email up in the cached users: the user and "", or the reason for the fallback.
func (t *tenant) match(email string, now time.Time) (member, string) {
	m, ok := t.byEmail[email]
	switch {
	case !ok:
		return member{}, ReasonNoMatch
	case t.isRejected(m.id, now):
		return member{}, ReasonRejected
	}
	return m, ""
}

// startListing starts listing t's users through src. t.mu must be held.
func (r *Resolver) startListing(ctx context.Context, t *tenant, src source) *flight {
	f := &flight{done: make(chan struct{})}
	t.listing = f
	t.forceList = false
	r.detached(ctx, func(ctx context.Context) {
		start := r.cfg.Clock()
		type listing struct {
			ms    []member
			whole bool
		}
		l, err := guard(func() (listing, error) {
			ms, whole, err := src.activeMembers(ctx)
			return listing{ms, whole}, err
		})
		now := r.cfg.Clock()
		t.mu.Lock()
		t.lastAttempt = now
		if err != nil {
			err = fmt.Errorf("owner: tenant %q: listing the active Zoho users: %w", t.key, err)
			t.lastErr, f.err = err, err
			r.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "owner: listing users failed",
				slog.String("tenant", t.key), slog.Any("error", err))
		} else {
			t.lastErr = nil
			t.install(l.ms, l.whole, now, r.cfg.MaxUsersPerTenant)
			if !t.complete {
				r.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "owner: the users listing was cut (more users than MaxUsersPerTenant, or a listing that did not end); the rest are not cached",
					slog.String("tenant", t.key), slog.Int("listed", len(l.ms)), slog.Int("cached", len(t.byID)))
			}
			r.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "owner: users listed",
				slog.String("tenant", t.key), slog.Int("users", len(t.byID)), slog.Duration("took", now.Sub(start)))
		}
		t.listing = nil
		t.mu.Unlock()
		close(f.done)
	})
	return f
}

// fallback returns the connecting user: connID when given, else the token's user, fetched once
// and remembered.
func (r *Resolver) fallback(ctx context.Context, t *tenant, src source, connID, reason string) (Result, error) {
	if connID != "" {
		now := r.cfg.Clock()
		t.mu.Lock()
		defer t.mu.Unlock()
		if why := t.unusable(connID, now, r.cfg.TTL); why != "" {
			return Result{}, noOwner(t.key, connID, why)
		}
		m := t.describe(connID)
		return Result{UserID: connID, Email: m.email, Name: m.name, Rule: RuleConnectingUser, Reason: reason}, nil
	}
	var waited *flight
	for {
		now := r.cfg.Clock()
		t.mu.Lock()
		if c := t.current; c != nil {
			m := *c
			why := t.unusable(m.id, now, r.cfg.TTL)
			t.mu.Unlock()
			if why != "" {
				return Result{}, noOwner(t.key, m.id, why)
			}
			return Result{UserID: m.id, Email: m.email, Name: m.name, Rule: RuleConnectingUser, Reason: reason}, nil
		}
		if waited != nil {
			t.mu.Unlock()
			if waited.err != nil {
				return Result{}, waited.err
			}
			return Result{}, fmt.Errorf("owner: tenant %q: the connecting user is unknown", t.key)
		}
		if f := t.currentFlight; f != nil {
			t.mu.Unlock()
			if err := wait(ctx, f); err != nil {
				return Result{}, err
			}
			waited = f
			continue
		}
		if t.currentErr != nil && now.Sub(t.currentErrAt) < r.cfg.MinRefreshInterval {
			err := t.currentErr
			t.mu.Unlock()
			return Result{}, err
		}
		f := r.startCurrent(ctx, t, src)
		t.mu.Unlock()
		if err := wait(ctx, f); err != nil {
			return Result{}, err
		}
		waited = f
	}
}

// startCurrent starts fetching the token's user of t through src. t.mu must be held.
func (r *Resolver) startCurrent(ctx context.Context, t *tenant, src source) *flight {
	f := &flight{done: make(chan struct{})}
	t.currentFlight = f
	r.detached(ctx, func(ctx context.Context) {
		type cur struct {
			m      member
			active bool
		}
		c, err := guard(func() (cur, error) {
			m, active, err := src.currentMember(ctx)
			return cur{m, active}, err
		})
		m, active := c.m, c.active
		now := r.cfg.Clock()
		t.mu.Lock()
		switch {
		case err != nil:
			err = fmt.Errorf("owner: tenant %q: fetching the connecting Zoho user: %w", t.key, err)
		case m.id == "":
			err = fmt.Errorf("owner: tenant %q: Zoho returned no current user", t.key)
		case !active:
			err = noOwner(t.key, m.id, "is not an active Zoho user")
		}
		if err != nil {
			t.currentErr, t.currentErrAt, f.err = err, now, err
			r.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "owner: fetching the connecting user failed",
				slog.String("tenant", t.key), slog.Any("error", err))
		} else {
			t.current, t.currentErr = &m, nil
		}
		t.currentFlight = nil
		t.mu.Unlock()
		close(f.done)
	})
	return f
}

// detached runs call on its own goroutine under a context that keeps ctx's values but not its
// cancellation, bounded by ListTimeout: the call is shared by callers that may give up before
// it ends.
func (r *Resolver) detached(ctx context.Context, call func(context.Context)) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.ListTimeout)
	go func() {
		defer cancel()
		call(cctx)
	}()
}

// guard calls fn and turns a panic of it (a faulty Directory) into an error, so that the callers
// waiting for the shared call are answered rather than left waiting.
func guard[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanicked, p)
		}
	}()
	return fn()
}

func noOwner(tenant, userID, why string) error {
	return fmt.Errorf("%w: tenant %q: the connecting user %s %s", ErrNoOwner, tenant, userID, why)
}

// errPanicked wraps a panic of a Directory.
var errPanicked = errors.New("owner: the Directory panicked")

// listingRefused reports an error of listing users that asking again will not cure: Zoho
// refused the call for its scope or the user's permission, or any other 4xx but 429.
func listingRefused(err error) bool {
	if errors.Is(err, zoho.ErrScopeMismatch) || errors.Is(err, zoho.ErrNoPermission) {
		return true
	}
	var api *zoho.APIError
	if !errors.As(err, &api) {
		return false
	}
	// 401 without a scope problem is a token to renew, 429 a limit to wait for.
	return api.HTTPStatus >= 400 && api.HTTPStatus < 500 && api.HTTPStatus != 401 && api.HTTPStatus != 429
}
