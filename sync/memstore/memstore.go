// Package memstore is an in-memory implementation of sync.Store, for tests, examples and hosts
// that run in one process and can afford to forget everything when it stops.
//
// Everything is kept in maps behind one mutex; values are deep-copied in and out, so a caller
// that changes what it passed or got back changes nothing stored.
package memstore

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	gosync "sync"
	"time"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
)

// Store is a sync.Store in memory. Create one with New; it is safe for concurrent use.
type Store struct {
	now func() time.Time

	mu       gosync.Mutex
	tokens   map[string]tokenEntry
	conns    map[string]cxsync.Connection
	settings map[string][]byte
	states   map[string]cxsync.ConnectState
	steps    map[cxsync.StepKey]cxsync.Step
	people   map[cxsync.PersonKey]cxsync.PersonLink
	locks    map[string]lockEntry
	seq      uint64
}

type tokenEntry struct {
	data         []byte // the token's JSON, nil when only a lease exists
	version      int64
	leaseOwner   uint64
	leaseExpires time.Time
}

type lockEntry struct {
	owner   string
	expires time.Time
	grant   uint64
}

var (
	_ cxsync.Store = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for token leases (default time.Now). Locks and connect states
// take the time from their caller.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		now:      time.Now,
		tokens:   map[string]tokenEntry{},
		conns:    map[string]cxsync.Connection{},
		settings: map[string][]byte{},
		states:   map[string]cxsync.ConnectState{},
		steps:    map[cxsync.StepKey]cxsync.Step{},
		people:   map[cxsync.PersonKey]cxsync.PersonLink{},
		locks:    map[string]lockEntry{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// String describes the store without its contents (which hold tokens).
func (s *Store) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("memstore.Store{tenants: %d, steps: %d}", len(s.conns), len(s.steps))
}

// GoString is String, so %#v shows no secret either.
func (s *Store) GoString() string { return s.String() }

func checkCtx(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}

// LoadToken implements zoho.TokenStore.
func (s *Store) LoadToken(ctx context.Context, key string) (*zoho.Token, int64, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	e, ok := s.tokens[key]
	s.mu.Unlock()
	if !ok || e.data == nil {
		return nil, 0, fmt.Errorf("memstore: token %q: %w", key, zoho.ErrNoToken)
	}
	var t zoho.Token
	if err := json.Unmarshal(e.data, &t); err != nil {
		return nil, 0, fmt.Errorf("memstore: token %q: %w", key, err)
	}
	return &t, e.version, nil
}

// SaveToken implements zoho.TokenStore.
func (s *Store) SaveToken(ctx context.Context, key string, tok *zoho.Token, version int64) (int64, error) {
	if err := checkCtx(ctx); err != nil {
		return 0, err
	}
	if tok == nil {
		return 0, fmt.Errorf("memstore: SaveToken %q: nil token", key)
	}
	data, err := json.Marshal(tok)
	if err != nil {
		return 0, fmt.Errorf("memstore: SaveToken %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.tokens[key]
	current := int64(0)
	if e.data != nil {
		current = e.version
	}
	if current != version {
		return 0, fmt.Errorf("memstore: SaveToken %q: stored version %d, not %d: %w", key, current, version, zoho.ErrVersionConflict)
	}
	e.data = data
	e.version = current + 1
	s.tokens[key] = e
	return e.version, nil
}

// AcquireTokenLease implements zoho.TokenLeaser.
func (s *Store) AcquireTokenLease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e := s.tokens[key]
	if e.leaseOwner != 0 && now.Before(e.leaseExpires) {
		return nil, fmt.Errorf("memstore: token lease %q: %w", key, zoho.ErrLeaseHeld)
	}
	s.seq++
	owner := s.seq
	e.leaseOwner, e.leaseExpires = owner, now.Add(ttl)
	s.tokens[key] = e
	return func(context.Context) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if cur, ok := s.tokens[key]; ok && cur.leaseOwner == owner {
			cur.leaseOwner, cur.leaseExpires = 0, time.Time{}
			if cur.data == nil {
				delete(s.tokens, key)
			} else {
				s.tokens[key] = cur
			}
		}
		return nil
	}, nil
}

// GetConnection implements sync.ConnectionStore.
func (s *Store) GetConnection(ctx context.Context, tenantID string) (*cxsync.Connection, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	c, ok := s.conns[tenantID]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memstore: connection %q: %w", tenantID, cxsync.ErrNotFound)
	}
	return &c, nil
}

// PutConnection implements sync.ConnectionStore.
func (s *Store) PutConnection(ctx context.Context, c *cxsync.Connection) (int64, error) {
	if err := checkCtx(ctx); err != nil {
		return 0, err
	}
	if c == nil || c.TenantID == "" {
		return 0, fmt.Errorf("memstore: PutConnection: a connection with a tenant id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.conns[c.TenantID]
	stored := int64(0)
	if ok {
		stored = cur.Version
	}
	if stored != c.Version {
		return 0, fmt.Errorf("memstore: connection %q: stored version %d, not %d: %w", c.TenantID, stored, c.Version, cxsync.ErrConflict)
	}
	n := *c
	n.Version = stored + 1
	n.ConnectedAt, n.Health.PausedUntil, n.Health.LastErrorAt = n.ConnectedAt.UTC(), n.Health.PausedUntil.UTC(), n.Health.LastErrorAt.UTC()
	s.conns[c.TenantID] = n
	return n.Version, nil
}

// DeleteConnection implements sync.ConnectionStore.
func (s *Store) DeleteConnection(ctx context.Context, tenantID string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, tenantID)
	delete(s.tokens, tenantID)
	return nil
}

// GetSettings implements sync.SettingsStore.
func (s *Store) GetSettings(ctx context.Context, tenantID string) ([]byte, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	d, ok := s.settings[tenantID]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memstore: settings %q: %w", tenantID, cxsync.ErrNotFound)
	}
	return slices.Clone(d), nil
}

// PutSettings implements sync.SettingsStore.
func (s *Store) PutSettings(ctx context.Context, tenantID string, doc []byte) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings[tenantID] = slices.Clone(doc)
	return nil
}

// PutConnectState implements sync.ConnectStateStore.
func (s *Store) PutConnectState(ctx context.Context, st *cxsync.ConnectState) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	if st == nil || st.ID == "" {
		return fmt.Errorf("memstore: PutConnectState: a state with an id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.states[st.ID]; ok {
		return fmt.Errorf("memstore: connect state: id taken: %w", cxsync.ErrConflict)
	}
	n := *st
	n.ExpiresAt = n.ExpiresAt.UTC()
	s.states[st.ID] = n
	return nil
}

// TakeConnectState implements sync.ConnectStateStore.
func (s *Store) TakeConnectState(ctx context.Context, id string, now time.Time) (*cxsync.ConnectState, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.states[id]
	if !ok {
		return nil, fmt.Errorf("memstore: connect state: %w", cxsync.ErrNotFound)
	}
	delete(s.states, id)
	if !st.ExpiresAt.After(now) {
		return nil, fmt.Errorf("memstore: connect state expired: %w", cxsync.ErrNotFound)
	}
	return &st, nil
}

func cloneStep(st cxsync.Step) *cxsync.Step {
	if st.Err != nil {
		e := *st.Err
		st.Err = &e
	}
	st.MatchDigests = slices.Clone(st.MatchDigests)
	return &st
}

// GetStep implements sync.Ledger.
func (s *Store) GetStep(ctx context.Context, k cxsync.StepKey) (*cxsync.Step, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	st, ok := s.steps[k]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memstore: step: %w", cxsync.ErrNotFound)
	}
	return cloneStep(st), nil
}

// PutStep implements sync.Ledger.
func (s *Store) PutStep(ctx context.Context, st *cxsync.Step) (int64, error) {
	if err := checkCtx(ctx); err != nil {
		return 0, err
	}
	if st == nil || st.Key.TenantID == "" {
		return 0, fmt.Errorf("memstore: PutStep: a step with a tenant id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.steps[st.Key]
	stored := int64(0)
	if ok {
		stored = cur.Version
	}
	if stored != st.Version {
		return 0, fmt.Errorf("memstore: step: stored version %d, not %d: %w", stored, st.Version, cxsync.ErrConflict)
	}
	n := cloneStep(*st)
	n.Version = stored + 1
	n.UpdatedAt = n.UpdatedAt.UTC()
	s.steps[st.Key] = *n
	return n.Version, nil
}

// ListSteps implements sync.Ledger. The cursor is the position of the last step returned (its
// UpdatedAt and key), so steps that change status between pages make the next page skip nothing.
func (s *Store) ListSteps(ctx context.Context, tenantID string, f cxsync.StepFilter, cursor string, limit int) ([]*cxsync.Step, string, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = 100
	}
	var after *listPos
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		var p listPos
		if err != nil || json.Unmarshal(raw, &p) != nil {
			return nil, "", fmt.Errorf("memstore: ListSteps: bad cursor")
		}
		after = &p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*cxsync.Step
	for _, st := range s.steps {
		if st.Key.TenantID == tenantID && st.Status == f.Status && !st.UpdatedAt.Before(f.Since) && (f.Kind == "" || st.Key.Kind == f.Kind) && (after == nil || after.before(st)) {
			all = append(all, &st) // a shallow copy until the page is known
		}
	}
	slices.SortFunc(all, func(a, b *cxsync.Step) int {
		if c := a.UpdatedAt.Compare(b.UpdatedAt); c != 0 {
			return c
		}
		return cmp.Compare(keyString(a.Key), keyString(b.Key))
	})
	more := len(all) > limit
	if more {
		all = all[:limit]
	}
	for i, st := range all { // only the page is copied out
		all[i] = cloneStep(*st)
	}
	if !more {
		return all, "", nil
	}
	last := all[limit-1]
	next, err := json.Marshal(listPos{At: last.UpdatedAt, Key: keyString(last.Key)})
	if err != nil {
		return nil, "", fmt.Errorf("memstore: ListSteps: %w", err)
	}
	return all, base64.RawURLEncoding.EncodeToString(next), nil
}

// listPos is where a page of ListSteps ended: the last step's UpdatedAt and key.
type listPos struct {
	At  time.Time `json:"at"`
	Key string    `json:"key"`
}

// before reports whether st comes after the position in ListSteps' order.
func (p *listPos) before(st cxsync.Step) bool {
	c := st.UpdatedAt.Compare(p.At)
	return c > 0 || c == 0 && keyString(st.Key) > p.Key
}

func keyString(k cxsync.StepKey) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%09d", k.TenantID, k.OrgID, k.Section, k.SourceID, k.Kind, k.Name, k.Seq)
}

// GetPerson implements sync.PersonMap.
func (s *Store) GetPerson(ctx context.Context, k cxsync.PersonKey) (*cxsync.PersonLink, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	l, ok := s.people[k]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memstore: person: %w", cxsync.ErrNotFound)
	}
	l.Values = cloneMap(l.Values)
	return &l, nil
}

// PutPerson implements sync.PersonMap.
func (s *Store) PutPerson(ctx context.Context, k cxsync.PersonKey, l *cxsync.PersonLink) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	if l == nil {
		return fmt.Errorf("memstore: PutPerson: nil link")
	}
	n := *l
	n.Values = cloneMap(l.Values)
	n.UpdatedAt = n.UpdatedAt.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.people[k] = n
	return nil
}

// DeletePerson implements sync.PersonMap.
func (s *Store) DeletePerson(ctx context.Context, tenantID, orgID, module, recordID string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, l := range s.people {
		if k.TenantID == tenantID && k.OrgID == orgID && l.Module == module && l.RecordID == recordID {
			delete(s.people, k)
		}
	}
	return nil
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// RenewLock implements sync.Locker.
func (s *Store) RenewLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.locks[key]
	if !ok || cur.owner != owner {
		return fmt.Errorf("memstore: lock %q: no longer %q's: %w", key, owner, cxsync.ErrLockHeld)
	}
	cur.expires = now.Add(ttl)
	s.locks[key] = cur
	return nil
}

// AcquireLock implements sync.Locker.
func (s *Store) AcquireLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) (func(context.Context) error, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if owner == "" {
		return nil, fmt.Errorf("memstore: AcquireLock: an owner is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.locks[key]; ok && cur.owner != owner && now.Before(cur.expires) {
		return nil, fmt.Errorf("memstore: lock %q: %w", key, cxsync.ErrLockHeld)
	}
	s.seq++
	grant := s.seq
	s.locks[key] = lockEntry{owner: owner, expires: now.Add(ttl), grant: grant}
	return func(context.Context) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if cur, ok := s.locks[key]; ok && cur.grant == grant {
			delete(s.locks, key)
		}
		return nil
	}, nil
}
