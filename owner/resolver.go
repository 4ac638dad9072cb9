package owner

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Defaults for the zero values of [Config].
const (
	DefaultTTL                = 5 * time.Minute
	DefaultMinRefreshInterval = 30 * time.Second
	DefaultMaxTenants         = 10_000
	DefaultMaxUsersPerTenant  = 20_000
	DefaultListTimeout        = 2 * time.Minute

	// MaxUsersPerTenantLimit is the largest accepted [Config.MaxUsersPerTenant].
	MaxUsersPerTenantLimit = 100_000
)

// ErrNoOwner is returned (wrapped, with the tenant and the reason) when no usable owner exists:
// the agent matched no active user and the connecting user is known not to be usable either —
// missing from a fresh, complete listing of the active users, or rejected by Zoho as an owner
// (see [Resolver.ForgetUser]). Zoho would refuse that user as a record owner. A caller may then
// fail the step, or write the record without an Owner and leave the choice to Zoho's default.
var ErrNoOwner = errors.New("owner: no usable Zoho user to own the record")

// Rule names the part of the owner rule that chose the owner.
type Rule int

const (
	// RuleAgentMatch: the owner is the active Zoho user whose email is the agent's.
	RuleAgentMatch Rule = iota + 1
	// RuleConnectingUser: the fallback, the Zoho user who connected the tenant.
	RuleConnectingUser
)

// String names the rule: "agent-match" or "connecting-user".
func (r Rule) String() string {
	switch r {
	case RuleAgentMatch:
		return "agent-match"
	case RuleConnectingUser:
		return "connecting-user"
	}
	return fmt.Sprintf("Rule(%d)", int(r))
}

// Reasons given in [Result.Reason].
const (
	ReasonAgentMatch    = "an active Zoho user has the agent's email"
	ReasonNoAgent       = "no agent email (the chat had no human agent)"
	ReasonNoMatch       = "no active Zoho user has the agent's email"
	ReasonRejected      = "Zoho rejected the agent's Zoho user as a record owner"
	ReasonRefreshFailed = "no active Zoho user had the agent's email in the last listing, and listing the users again failed"
	ReasonListingFailed = "Zoho refused to list the org's users (see Result.Err), so the agent cannot be matched"
)

// Result is the owner chosen for a record.
type Result struct {
	// UserID is the Zoho user id to put in the record's Owner.
	UserID string
	// Email and Name describe the user when the resolver knows them (a connecting user known only
	// by the id the connection gave may have neither).
	Email, Name string
	// Rule says which part of the owner rule chose the user.
	Rule Rule
	// Reason says why, in words, for logs and the host's UI.
	Reason string
	// Err is why the users could not be listed, when the fallback was chosen because Zoho
	// refused the listing for good (ReasonListingFailed: a missing scope, no permission). For
	// logs; the listing is tried again after MinRefreshInterval, not on every resolve.
	Err error
}

// Config configures a [Resolver]. Zero values take the documented defaults.
type Config struct {
	// TTL is how long a listing of a tenant's users answers resolves (default 5 minutes). Past
	// it, the next resolve with an agent email lists again.
	TTL time.Duration
	// MinRefreshInterval is the least time between two listings of a tenant caused by emails
	// that a fresh listing did not hold, and the time a failed listing is remembered before
	// another is tried (default 30 seconds). It must not exceed TTL.
	MinRefreshInterval time.Duration
	// MaxTenants bounds how many tenants are cached; the least recently used are dropped
	// (default 10,000). A tenant with a call to Zoho in flight is dropped only once that call
	// has ended, so the cache may briefly hold one more tenant per such call.
	MaxTenants int
	// MaxUsersPerTenant bounds how many users of one tenant are cached (default 20,000, at most
	// [MaxUsersPerTenantLimit]). Users past it are not cached and their agents get the fallback.
	MaxUsersPerTenant int
	// ListTimeout bounds one listing of a tenant's users, or one fetch of its connecting user
	// (default 2 minutes). Such a call is shared by every caller waiting for it, so it runs
	// under a context detached from the cancellation of the caller that started it (its values
	// are kept) and bounded by this timeout instead.
	ListTimeout time.Duration
	// Clock returns the current time (default time.Now). Tests inject one.
	Clock func() time.Time
	// Logger receives the resolver's logs (default: silent). Emails are never logged.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.TTL < 0:
		return c, fmt.Errorf("owner: Config.TTL %v is negative", c.TTL)
	case c.MinRefreshInterval < 0:
		return c, fmt.Errorf("owner: Config.MinRefreshInterval %v is negative", c.MinRefreshInterval)
	case c.MaxTenants < 0:
		return c, fmt.Errorf("owner: Config.MaxTenants %d is negative", c.MaxTenants)
	case c.MaxUsersPerTenant < 0:
		return c, fmt.Errorf("owner: Config.MaxUsersPerTenant %d is negative", c.MaxUsersPerTenant)
	case c.MaxUsersPerTenant > MaxUsersPerTenantLimit:
		return c, fmt.Errorf("owner: Config.MaxUsersPerTenant %d exceeds %d", c.MaxUsersPerTenant, MaxUsersPerTenantLimit)
	case c.ListTimeout < 0:
		return c, fmt.Errorf("owner: Config.ListTimeout %v is negative", c.ListTimeout)
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.MinRefreshInterval == 0 {
		c.MinRefreshInterval = min(DefaultMinRefreshInterval, c.TTL)
	}
	if c.MinRefreshInterval > c.TTL {
		return c, fmt.Errorf("owner: Config.MinRefreshInterval %v exceeds Config.TTL %v", c.MinRefreshInterval, c.TTL)
	}
	if c.MaxTenants == 0 {
		c.MaxTenants = DefaultMaxTenants
	}
	if c.MaxUsersPerTenant == 0 {
		c.MaxUsersPerTenant = DefaultMaxUsersPerTenant
	}
	if c.ListTimeout == 0 {
		c.ListTimeout = DefaultListTimeout
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Resolver finds the owner of records for many tenants. It caches each tenant's active users by
// email (see the package documentation for the cache's rules). It is safe for concurrent use;
// create one per process and share it.
type Resolver struct {
	cfg Config

	mu      sync.Mutex
	tenants map[string]*tenant
	lru     *list.List // of *tenant, most recently used first
}

// New returns a Resolver configured by cfg.
func New(cfg Config) (*Resolver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Resolver{cfg: cfg, tenants: map[string]*tenant{}, lru: list.New()}, nil
}

// Forget drops everything cached for tenant: its users, the remembered connecting user, the
// rejected users and any remembered failure. Call it when the tenant disconnects or reconnects
// (possibly to another Zoho org). A listing in flight for the tenant still answers the callers
// waiting for it, but its result is not kept.
func (r *Resolver) Forget(tenant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.tenants[tenant]; ok {
		r.lru.Remove(t.elem)
		delete(r.tenants, tenant)
	}
}

// ForgetUser tells the resolver that Zoho rejected userID as the owner of a record of tenant
// (the user was deactivated or deleted since the listing, say). The user is not chosen again
// for one TTL, even if a listing still shows it; and when it was cached, the next resolve that
// finds no usable user lists the users again at once, without waiting for MinRefreshInterval (a
// new Zoho user may carry the agent's email now). Forgetting a user again does not list again.
// When userID is the connecting user, resolves that would fall back to it fail with
// [ErrNoOwner] for one TTL. An unknown tenant is ignored.
func (r *Resolver) ForgetUser(tenant, userID string) {
	if userID == "" {
		return
	}
	r.mu.Lock()
	t := r.tenants[tenant]
	r.mu.Unlock()
	if t == nil {
		return
	}
	now := r.cfg.Clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reject(userID, now.Add(r.cfg.TTL), r.cfg.MaxUsersPerTenant, now)
	r.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "owner: Zoho rejected a record owner; user forgotten",
		slog.String("tenant", tenant), slog.String("user_id", userID))
}

// tenantState returns the state of key, creating it (and evicting the least recently used idle
// tenants beyond MaxTenants) when absent. Lock order: r.mu, then a tenant's mu.
func (r *Resolver) tenantState(key string) *tenant {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.tenants[key]; ok {
		r.lru.MoveToFront(t.elem)
		return t
	}
	t := newTenant(key)
	t.elem = r.lru.PushFront(t)
	r.tenants[key] = t
	// Evict the least recently used tenants, but not one with a call to Zoho in flight: its
	// goroutine holds it anyway, and a caller coming for it later must wait for that call rather
	// than start a second one.
	for e := r.lru.Back(); e != nil && r.lru.Len() > r.cfg.MaxTenants; {
		prev := e.Prev()
		if old := e.Value.(*tenant); old != t && !old.busy() {
			r.lru.Remove(e)
			delete(r.tenants, old.key)
			r.cfg.Logger.LogAttrs(context.Background(), slog.LevelDebug, "owner: tenant evicted from the cache",
				slog.String("tenant", old.key))
		}
		e = prev
	}
	return t
}

// cachedTenants reports how many tenants are cached (for tests).
func (r *Resolver) cachedTenants() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lru.Len()
}

// Request asks who owns a record created for an agent of a tenant.
type Request struct {
	// Tenant is the host's tenant id: the cache key. Required.
	Tenant string
	// Directory reads the tenant's Zoho users; normally ZohoDirectory(the tenant's client).
	// Required.
	Directory Directory
	// AgentEmail is the email of the chat's (last) agent; empty when the chat had no human agent.
	AgentEmail string
	// ConnectingUserID is the Zoho user id of the user who connected the tenant, when the
	// connection recorded it. When empty, the resolver asks Zoho for the token's user once and
	// remembers it.
	ConnectingUserID string
}

// Resolve returns the owner of a record created for req.AgentEmail in req.Tenant: the active Zoho
// user with that email (compared case-insensitively, trimmed), else the connecting user. The
// [Result] says which rule chose it.
//
// An empty AgentEmail falls back without listing the users. Otherwise Resolve answers from the
// tenant's cached listing when it is fresh; else it lists the users, or waits for the listing
// already in flight for the tenant. An email missing from a fresh listing lists again only when
// MinRefreshInterval has passed since the last listing (or a user was forgotten since).
//
// Resolve fails only when it cannot answer:
//   - there is no fresh listing and listing failed: the error wraps Zoho's (test it with the
//     zoho sentinels, such as [zoho.ErrScopeMismatch]); the failure is remembered and returned
//     to callers without calling Zoho again until MinRefreshInterval has passed. A caller that
//     prefers the fallback may resolve again with an empty AgentEmail;
//   - the connecting user must be fetched and that fails (likewise remembered);
//   - the fallback is needed and is known not to be usable: [ErrNoOwner];
//   - ctx ends while waiting: ctx.Err(). The shared call goes on for the other callers.
func (r *Resolver) Resolve(ctx context.Context, req Request) (Result, error) {
	switch {
	case ctx == nil:
		return Result{}, errors.New("owner: Resolve: nil context")
	case req.Tenant == "":
		return Result{}, errors.New("owner: Resolve: empty Request.Tenant")
	case req.Directory == nil:
		return Result{}, errors.New("owner: Resolve: nil Request.Directory")
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	src := sourceOf(req.Directory, r.cfg.MaxUsersPerTenant)
	return r.resolve(ctx, req.Tenant, src, req.AgentEmail, strings.TrimSpace(req.ConnectingUserID))
}
