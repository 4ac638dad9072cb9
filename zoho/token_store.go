package zoho

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// Errors of a [TokenStore] and a [TokenLeaser]. Implementations return them (or errors wrapping
// them) so that the [TokenSource] can tell the cases apart.
var (
	// ErrNoToken: nothing is stored under the key.
	ErrNoToken = errors.New("zoho: no token stored")
	// ErrVersionConflict: SaveToken was given a version that is no longer the stored one:
	// another process saved first.
	ErrVersionConflict = errors.New("zoho: token version conflict")
	// ErrLeaseHeld: another process holds the refresh lease.
	ErrLeaseHeld = errors.New("zoho: token refresh lease held by another process")
)

// TokenStore keeps one token per key (a tenant, a connection) for the [TokenSource], so that
// processes sharing it share access tokens: Zoho mints at most 10 access tokens per refresh token
// per 10 minutes, so every process refreshing on its own is an outage waiting to happen.
//
// Every saved token has a version: a positive integer that grows with each save (an integer
// column). The version makes saving a compare-and-swap, so of several processes that refreshed at
// once exactly one wins and the others adopt its token. A SQL implementation:
//
//	LoadToken:  SELECT token, version FROM zoho_tokens WHERE key = $1          -- none: ErrNoToken
//	SaveToken:  version 0: INSERT … (key, token, 1) ON CONFLICT DO NOTHING      -- 0 rows: ErrVersionConflict
//	            else:      UPDATE zoho_tokens SET token = $2, version = version + 1
//	                       WHERE key = $1 AND version = $3                      -- 0 rows: ErrVersionConflict
//
// The token is a [Token]; store it as its JSON encoding, or column by column. Implementations must
// be safe for concurrent use and must not keep or modify the *Token given to SaveToken after it
// returns. [MemoryTokenStore] is the in-memory implementation.
type TokenStore interface {
	// LoadToken returns the token stored under key and its version, or an error wrapping
	// ErrNoToken when there is none.
	LoadToken(ctx context.Context, key string) (*Token, int64, error)
	// SaveToken stores tok under key if the stored version is still version (0: nothing is
	// stored yet) and returns the new version. Otherwise it stores nothing and returns an error
	// wrapping ErrVersionConflict.
	SaveToken(ctx context.Context, key string, tok *Token, version int64) (int64, error)
}

// TokenLeaser is optionally implemented by a [TokenStore] shared by several processes, so that
// only one of them refreshes at a time; the others wait and adopt the stored result. Without it
// the compare-and-swap still keeps one winner, but two processes may both ask Zoho for a token.
//
// A SQL implementation keeps the lease beside the token (lease_owner, lease_until):
//
//	UPDATE zoho_tokens SET lease_owner = $2, lease_until = now() + ttl
//	WHERE key = $1 AND (lease_until IS NULL OR lease_until < now())   -- 0 rows: ErrLeaseHeld
//
// and release clears the lease only if lease_owner is still the caller's.
type TokenLeaser interface {
	// AcquireTokenLease takes the refresh lease for key for at most ttl (it lapses on its own if
	// the holder dies). It returns the function that releases it, or an error wrapping
	// ErrLeaseHeld when another holder's lease has not lapsed. Taking a lease for a key with no
	// token stored is allowed.
	AcquireTokenLease(ctx context.Context, key string, ttl time.Duration) (release func(context.Context) error, err error)
}

// ReplaceToken stores tok under key whatever is stored there now (the end of a connect or
// reconnect flow), retrying the compare-and-swap a few times if other processes save at the same
// moment. It returns the token it replaced (nil if none) and the new version. After a reconnect,
// revoke the replaced refresh token if it differs ([OAuthConfig.RevokeToken]): Zoho keeps only 20
// refresh tokens per user and client, and the 21st silently deletes the oldest.
func ReplaceToken(ctx context.Context, store TokenStore, key string, tok *Token) (*Token, int64, error) {
	if store == nil || tok == nil {
		return nil, 0, errors.New("zoho: ReplaceToken: nil store or token")
	}
	for range 5 {
		prev, v, err := store.LoadToken(ctx, key)
		if errors.Is(err, ErrNoToken) {
			prev, v = nil, 0
		} else if err != nil {
			return nil, 0, &TokenError{Op: "load", Err: err}
		}
		nv, err := store.SaveToken(ctx, key, tok, v)
		if err == nil {
			return prev, nv, nil
		}
		if !errors.Is(err, ErrVersionConflict) {
			return nil, 0, &TokenError{Op: "save", Err: err}
		}
	}
	return nil, 0, &TokenError{Op: "save", Description: "the stored token kept changing", Err: ErrVersionConflict}
}

// MemoryTokenStore is a [TokenStore] and [TokenLeaser] in memory, for tests and single-process
// hosts. The zero value is ready to use; it is safe for concurrent use.
type MemoryTokenStore struct {
	mu     sync.Mutex
	tokens map[string]memToken
	leases map[string]memLease
	nextID uint64
	now    func() time.Time
}

type memToken struct {
	tok     Token
	version int64
}

type memLease struct {
	id    uint64
	until time.Time
}

// NewMemoryTokenStore returns an empty MemoryTokenStore.
func NewMemoryTokenStore() *MemoryTokenStore { return &MemoryTokenStore{} }

func (m *MemoryTokenStore) clock() time.Time {
	if m.now != nil {
		return m.now()
	}
	return time.Now()
}

func checkKey(key string) error {
	if strings.TrimSpace(key) == "" {
		return errors.New("zoho: token store: empty key")
	}
	return nil
}

// LoadToken returns a copy of the token stored under key and its version.
func (m *MemoryTokenStore) LoadToken(ctx context.Context, key string) (*Token, int64, error) {
	if err := checkKey(key); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.tokens[key]
	if !ok {
		return nil, 0, ErrNoToken
	}
	return e.tok.clone(), e.version, nil
}

// SaveToken stores a copy of tok if version is still the stored version (0 when none).
func (m *MemoryTokenStore) SaveToken(ctx context.Context, key string, tok *Token, version int64) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	if tok == nil {
		return 0, errors.New("zoho: token store: nil token")
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tokens[key].version != version { // absent: version 0
		return 0, ErrVersionConflict
	}
	if m.tokens == nil {
		m.tokens = map[string]memToken{}
	}
	nv := version + 1
	m.tokens[key] = memToken{tok: *tok, version: nv}
	return nv, nil
}

// AcquireTokenLease takes the refresh lease for key, or returns ErrLeaseHeld.
func (m *MemoryTokenStore) AcquireTokenLease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if ttl <= 0 {
		return nil, errors.New("zoho: token store: lease ttl must be positive")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	if l, ok := m.leases[key]; ok && now.Before(l.until) {
		return nil, ErrLeaseHeld
	}
	if m.leases == nil {
		m.leases = map[string]memLease{}
	}
	m.nextID++
	id := m.nextID
	m.leases[key] = memLease{id: id, until: now.Add(ttl)}
	return func(context.Context) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if l, ok := m.leases[key]; ok && l.id == id {
			delete(m.leases, key)
		}
		return nil
	}, nil
}

// String describes the store without its tokens.
func (m *MemoryTokenStore) String() string { return "zoho.MemoryTokenStore" }
