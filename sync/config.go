package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/owner"
	"github.com/cloudcx/cxzoho/zoho"
)

// Defaults of Config.
const (
	DefaultMaxClients = 1000
	// DefaultMaxBatch is Zoho's limit of records per insert call.
	DefaultMaxBatch = 100
	DefaultLockTTL  = 2 * time.Minute
	DefaultLockWait = 30 * time.Second
	// DefaultReconcilePages is how many pages of 200 recent records are read, newest first, to
	// find a record whose creation was not recorded.
	DefaultReconcilePages = 3
	// DefaultAccountCacheTTL is how long the Account found for a company is remembered.
	DefaultAccountCacheTTL = 10 * time.Minute
)

// OAuthClientFunc returns the OAuth client a tenant's connection names: the operator's system
// client or the tenant's own (ref.TenantID says which tenant's). Secrets live with the host;
// sync asks for them when it builds a tenant's token source and keeps them only inside it.
type OAuthClientFunc func(ctx context.Context, ref OAuthClientRef) (*zoho.OAuthConfig, error)

// Config configures a Syncer. Store and OAuthClient are required; the zero values of the other
// fields take the documented defaults.
type Config struct {
	// Store keeps connections, tokens, settings, the ledger and locks. Required.
	Store Store
	// OAuthClient gives the OAuth client of a connection. Required.
	OAuthClient OAuthClientFunc
	// Loader loads a chat or conversation an event names without carrying it. Without one, such
	// events fail with a ClassPermanent error. The chat is loaded again once a lock is held where
	// another event may have written since: a Case or Task another event wrote (under the chat's
	// lock), a person the event would change, or one sync does not know yet (under the person's
	// locks, before Zoho is read), so that an event delayed behind a later one (a conversation
	// resolved twice, a visitor who corrected their name) never writes the older content: prefer
	// it to events carrying their chat, which are taken as they are.
	Loader cloudcx.Loader
	// Attachments opens a chat's files for upload. Without one, files are listed in the
	// description as not fetched and nothing is uploaded.
	Attachments cloudcx.AttachmentOpener
	// Owners resolves who owns what is created. Default: a resolver with owner's defaults and
	// this Config's Clock and Logger.
	Owners *owner.Resolver
	// Logger receives sync's logs (default: discarded). No secret and no personal data is logged.
	Logger *slog.Logger
	// Clock is the time (default time.Now): lock leases, connect-state expiry, pauses, ledger
	// times.
	Clock func() time.Time
	// ClientOptions are added to every tenant's zoho.Client (after sync's own), for instance to
	// set a retry policy or a timeout. A fake Zoho is pointed at in the OAuth client's
	// Endpoints (zoho.OAuthConfig.Endpoints), which its token source and client share; its
	// Logger, when the host's config has none, is Config.Logger.
	ClientOptions []zoho.Option
	// TokenOptions are added to every tenant's zoho.TokenSource.
	TokenOptions []zoho.TokenSourceOption
	// MaxClients bounds how many tenants' clients are kept (default DefaultMaxClients); the
	// least recently used are dropped.
	MaxClients int
	// MaxBatch bounds how many Lead, Contact, Case or Task inserts of one tenant's module that
	// are ready at the same time go in one Zoho call (default and most DefaultMaxBatch, Zoho's
	// 100; 1 sends every insert alone). An insert is never held back: it goes at once when no
	// insert of its module is in flight, and inserts arriving meanwhile go together in the next
	// call.
	MaxBatch int
	// LockTTL is the lease of a person or chat lock (default DefaultLockTTL): a worker that dies
	// holding one blocks that person or chat for at most this long, and a worker whose lease
	// ended (a stall longer than this) gives up before its next write.
	LockTTL time.Duration
	// LockWait is how long Handle waits for a lock another worker holds before it gives up with
	// a ClassRetry error (default DefaultLockWait, or half of LockTTL when that is less). It must
	// be at most half of LockTTL: the locks already held are not renewed while it waits for the
	// next, and one another worker takes meanwhile ends the work.
	LockWait time.Duration
	// ReconcilePages is how many pages of recent records are read to find a write that was not
	// recorded (default DefaultReconcilePages).
	ReconcilePages int
	// WorkerID names this Syncer's locks in the store, for the host's operators (default:
	// random). Each lock's owner also has a random part of the Syncer's own, so two Syncers never
	// share a lock, even with the same WorkerID.
	WorkerID string
	// AccountCacheTTL is how long the Account the rules found for a company (or that none was
	// found) is remembered, so visitors of one company cost one Account search per TTL (default
	// DefaultAccountCacheTTL; negative: no cache). An Account created in Zoho meanwhile is found
	// after the TTL; one deleted meanwhile is looked up again when Zoho refuses the link.
	AccountCacheTTL time.Duration
}

func (c *Config) setDefaults() error {
	var problems []error
	if c.Store == nil {
		problems = append(problems, errors.New("Store is required"))
	}
	if c.OAuthClient == nil {
		problems = append(problems, errors.New("OAuthClient is required"))
	}
	if c.MaxClients < 0 || c.MaxBatch < 0 || c.LockTTL < 0 || c.LockWait < 0 || c.ReconcilePages < 0 {
		problems = append(problems, errors.New("MaxClients, MaxBatch, LockTTL, LockWait and ReconcilePages must not be negative"))
	}
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("sync: invalid Config: %w", err)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.MaxClients == 0 {
		c.MaxClients = DefaultMaxClients
	}
	if c.MaxBatch == 0 || c.MaxBatch > DefaultMaxBatch {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.LockTTL == 0 {
		c.LockTTL = DefaultLockTTL
	}
	if c.LockWait == 0 {
		c.LockWait = min(DefaultLockWait, c.LockTTL/2)
	}
	if c.LockWait > c.LockTTL/2 {
		return fmt.Errorf("sync: invalid Config: LockWait (%v) must be at most half of LockTTL (%v): the locks already held are not renewed while Handle waits for the next", c.LockWait, c.LockTTL)
	}
	if c.AccountCacheTTL == 0 {
		c.AccountCacheTTL = DefaultAccountCacheTTL
	}
	if c.ReconcilePages == 0 {
		c.ReconcilePages = DefaultReconcilePages
	}
	if c.WorkerID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.WorkerID = "w" + hex.EncodeToString(b[:])
	}
	if c.Owners == nil {
		// As many tenants' users as tenants' clients: a tenant whose client was dropped is
		// listed again with its next chat anyway.
		r, err := owner.New(owner.Config{Clock: c.Clock, Logger: c.Logger, MaxTenants: c.MaxClients})
		if err != nil {
			return fmt.Errorf("sync: owner resolver: %w", err)
		}
		c.Owners = r
	}
	return nil
}
