package sync

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho"
)

// Syncer turns CloudCX events into Zoho records for many tenants. Create one per process with
// New and share it; it is safe for concurrent use. Several processes (replicas) may each run one
// on a shared Store: the store's locks and ledger keep them from writing anything twice.
type Syncer struct {
	cfg  Config
	lock atomic.Uint64 // lock-owner counter
	// incarnation is random, part of every lock owner this Syncer names: two Syncers never share
	// one, even with the same WorkerID (a replica restarted, a WorkerID copied).
	incarnation string

	mu      gosync.Mutex
	clients map[string]*list.Element // tenant → *tenantClient in lru
	lru     *list.List

	zones gosync.Map // time-zone name → *time.Location

	accounts accountCache
	batch    batcher
	// transport is the connection pool every tenant's client shares: a client dropped from the
	// cache must not leave its own pool of idle connections behind (Zoho's API domains are a few
	// hosts, so one pool serves all tenants).
	transport *http.Transport
}

// tenantClient is a tenant's cached Zoho client, valid for one version of its connection.
type tenantClient struct {
	tenant string
	ident  string // connIdent of the connection it was built for
	client *zoho.Client
}

// connIdent names what a tenant's client is built from: a reconnect (a new token, perhaps
// another OAuth client or org) changes it; a change of health does not.
func connIdent(c *Connection) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d", c.OrgID, c.Client.Kind, c.Client.ClientID, c.Edition, c.DataCenter, c.ConnectedAt.UnixNano())
}

// New returns a Syncer configured by cfg, or an error naming every problem of cfg.
func New(cfg Config) (*Syncer, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	cfg.ClientOptions = slices.Clone(cfg.ClientOptions)
	cfg.TokenOptions = slices.Clone(cfg.TokenOptions)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &Syncer{cfg: cfg, clients: map[string]*list.Element{}, lru: list.New(), transport: tr,
		batch: batcher{max: cfg.MaxBatch, queues: map[batchKey]*batchQueue{}}, incarnation: hex.EncodeToString(b[:])}, nil
}

// callCounter counts the Zoho API calls made for one Handle, through the client's call hook.
type callCounter struct{ n atomic.Int64 }

type callCounterKey struct{}

func (s *Syncer) countCall(ctx context.Context, info zoho.CallInfo) {
	if c, ok := ctx.Value(callCounterKey{}).(*callCounter); ok && info.Status != 0 {
		c.n.Add(1)
	}
}

// client returns the tenant's Zoho client for conn, building it when the cache has none for this
// connection (see connIdent).
func (s *Syncer) client(ctx context.Context, conn *Connection) (*zoho.Client, error) {
	s.mu.Lock()
	if el, ok := s.clients[conn.TenantID]; ok {
		tc := el.Value.(*tenantClient)
		if tc.ident == connIdent(conn) {
			s.lru.MoveToFront(el)
			s.mu.Unlock()
			return tc.client, nil
		}
		s.lru.Remove(el)
		delete(s.clients, conn.TenantID)
	}
	s.mu.Unlock()

	oc, err := s.oauthClient(ctx, conn.TenantID, conn.Client)
	if err != nil {
		return nil, fmt.Errorf("sync: OAuth client %s %q: %w", conn.Client.Kind, conn.Client.ClientID, err)
	}
	tokOpts := append([]zoho.TokenSourceOption{zoho.WithTokenClock(s.cfg.Clock)}, s.cfg.TokenOptions...)
	ts, err := zoho.NewTokenSource(oc, s.cfg.Store, conn.TenantID, tokOpts...)
	if err != nil {
		return nil, fmt.Errorf("sync: token source: %w", err)
	}
	opts := []zoho.Option{
		zoho.WithTransport(s.transport), // Config.ClientOptions, applied after, may replace it
		zoho.WithTokenSource(ts),
		zoho.WithConcurrency(zoho.EditionConcurrency(conn.Edition)),
		zoho.WithCallHook(s.countCall),
	}
	if conn.DataCenter != "" {
		opts = append(opts, zoho.WithDataCenter(conn.DataCenter))
	}
	c, err := zoho.NewClient(append(opts, s.cfg.ClientOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("sync: zoho client: %w", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.clients[conn.TenantID]; ok { // built meanwhile by another call
		tc := el.Value.(*tenantClient)
		if tc.ident == connIdent(conn) {
			s.lru.MoveToFront(el)
			return tc.client, nil
		}
		s.lru.Remove(el)
	}
	s.clients[conn.TenantID] = s.lru.PushFront(&tenantClient{tenant: conn.TenantID, ident: connIdent(conn), client: c})
	for s.lru.Len() > s.cfg.MaxClients {
		old := s.lru.Back()
		s.lru.Remove(old)
		delete(s.clients, old.Value.(*tenantClient).tenant)
	}
	return c, nil
}

// forgetClient drops the tenant's cached client (the connection changed or went away).
func (s *Syncer) forgetClient(tenant string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.clients[tenant]; ok {
		s.lru.Remove(el)
		delete(s.clients, tenant)
	}
}

// SaveSettings validates a tenant's settings and stores them. An unknown time zone is a
// *rules.ValidationError like any other invalid setting.
func (s *Syncer) SaveSettings(ctx context.Context, tenantID string, st rules.Settings) error {
	if tenantID == "" {
		return errors.New("sync: SaveSettings: a tenant id is required")
	}
	if err := st.Validate(); err != nil {
		return err
	}
	if _, err := s.location(st.TimeZone); err != nil {
		return err
	}
	doc, err := st.MarshalJSON()
	if err != nil {
		return fmt.Errorf("sync: SaveSettings: %w", err)
	}
	return s.cfg.Store.PutSettings(ctx, tenantID, doc)
}

// errBadSettings marks stored settings that do not parse: the administrator's to fix.
var errBadSettings = errors.New("sync: the stored settings cannot be read")

// Settings returns the tenant's settings (rules.DefaultSettings when none were saved) and their
// time zone.
func (s *Syncer) Settings(ctx context.Context, tenantID string) (rules.Settings, *time.Location, error) {
	doc, err := s.cfg.Store.GetSettings(ctx, tenantID)
	var st rules.Settings
	switch {
	case errors.Is(err, ErrNotFound):
		st = rules.DefaultSettings()
	case err != nil:
		return rules.Settings{}, nil, fmt.Errorf("sync: settings of %s: %w", tenantID, err)
	default:
		if st, err = rules.ParseSettings(doc); err != nil {
			return rules.Settings{}, nil, fmt.Errorf("%w: %w", errBadSettings, err)
		}
	}
	loc, err := s.location(st.TimeZone)
	if err != nil {
		return rules.Settings{}, nil, err
	}
	return st, loc, nil
}

func (s *Syncer) location(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if l, ok := s.zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, &rules.ValidationError{Problems: []rules.Problem{{Path: "time_zone", Message: fmt.Sprintf("unknown time zone %q", name)}}}
	}
	s.zones.Store(name, l)
	return l, nil
}

// lease is the set of locks one piece of work holds: renewed in the background every third of
// LockTTL while held, so that a long upload keeps its lease, and released once.
type lease struct {
	s        *Syncer
	keys     []string
	owner    string
	mu       gosync.Mutex // guards ended; renewals one at a time
	releases []func(context.Context) error
	// ended is set, for good, once a renewal found a lock no longer the lease's: another worker
	// took it, whether or not it still holds it.
	ended bool
	stop  chan struct{}
	done  chan struct{}
	once  gosync.Once
}

// renew extends every lock of the lease (Store.RenewLock: fenced by the store, so a lease that
// passed by any worker's clock is extended only if no other worker took a lock meanwhile). It
// fails with an error wrapping ErrLockHeld when one is no longer the lease's, and from then on.
func (l *lease) renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return fmt.Errorf("sync: the lease of %d lock(s) ended: %w", len(l.keys), ErrLockHeld)
	}
	now := l.s.cfg.Clock()
	for _, k := range l.keys {
		if err := l.s.cfg.Store.RenewLock(ctx, k, l.owner, l.s.cfg.LockTTL, now); err != nil {
			if errors.Is(err, ErrLockHeld) {
				l.ended = true
			}
			return err
		}
	}
	return nil
}

// release stops the renewals and gives the locks up, even when ctx has ended (a lock left
// behind blocks its key until its lease ends). Releasing twice does nothing.
func (l *lease) release() {
	l.once.Do(func() {
		if l.stop != nil {
			close(l.stop)
			<-l.done
		}
		rctx := context.Background()
		l.mu.Lock()
		defer l.mu.Unlock()
		for i := len(l.releases) - 1; i >= 0; i-- {
			_ = l.releases[i](rctx)
		}
	})
}

// lockAll takes the named locks in sorted order, waiting (with backoff, up to LockWait) while
// another worker holds one. The lease it returns is renewed until released.
func (s *Syncer) lockAll(ctx context.Context, keys []string) (*lease, error) {
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	l := &lease{s: s, keys: keys, owner: fmt.Sprintf("%s/%s/%d", s.cfg.WorkerID, s.incarnation, s.lock.Add(1))}
	deadline := time.Now().Add(s.cfg.LockWait)
	for _, k := range keys {
		wait := 5 * time.Millisecond
		for {
			rel, err := s.cfg.Store.AcquireLock(ctx, k, l.owner, s.cfg.LockTTL, s.cfg.Clock())
			if err == nil {
				l.releases = append(l.releases, rel)
				break
			}
			if !errors.Is(err, ErrLockHeld) || time.Now().After(deadline) {
				l.release()
				return nil, err
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				l.release()
				return nil, ctx.Err()
			case <-t.C:
			}
			wait = min(wait*2, 200*time.Millisecond)
		}
	}
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	rctx := context.WithoutCancel(ctx)
	go func() {
		defer close(l.done)
		every, soon := max(s.cfg.LockTTL/3, time.Millisecond), max(s.cfg.LockTTL/12, time.Millisecond)
		t := time.NewTimer(every)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				err := l.renew(rctx)
				switch {
				case err == nil:
					t.Reset(every)
				case errors.Is(err, ErrLockHeld):
					s.cfg.Logger.WarnContext(rctx, "sync: a lock's lease ended: another worker took it", "err", err)
					return // for good: the next write gives up
				default: // the store failed: try again soon, before the lease passes
					s.cfg.Logger.WarnContext(rctx, "sync: a lock's lease could not be renewed", "err", err)
					t.Reset(soon)
				}
			}
		}
	}()
	return l, nil
}
