package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/storetest"
	"github.com/cloudcx/cxzoho/zoho"
)

// breakEnv names the breakage TestBrokenStore applies, in the child process
// TestSuiteCatchesBrokenStores starts.
const breakEnv = "STORETEST_BREAK"

// breakages are ways to get a store wrong, each with the part of the suite that must catch it
// (a top-level subtest of Run) and a piece of the failure message naming the broken contract.
var breakages = []struct{ name, part, want string }{
	{"none", "", ""},
	{"token-no-cas", "TokenStore", "must fail wrapping zoho.ErrVersionConflict"},
	{"token-versions-from-zero", "TokenStore", "must store the token as version 1"},
	{"token-keeps-reference", "TokenStore", "must not keep the *Token it was given"},
	{"token-not-found-unwrapped", "TokenStore", "must fail wrapping zoho.ErrNoToken"},
	{"lease-needs-token", "TokenStore", "must allow a lease on a key with no token stored"},
	{"lease-never-lapses", "TokenStore", "a lease must lapse after its ttl"},
	{"lease-release-frees-any", "TokenStore", "must not release the new holder's lease"},
	{"delete-keeps-token", "ConnectionStore", "must delete the tenant's token"},
	{"delete-keeps-lease", "ConnectionStore", "must delete the lease on the tenant's token"},
	{"connection-shared", "ConnectionStore", "must return a value that is the caller's"},
	{"settings-shared", "SettingsStore", "must return bytes that are the caller's"},
	{"state-reusable", "ConnectStateStore", "must succeed once"},
	{"state-never-expires", "ConnectStateStore", "whose ExpiresAt is not after now"},
	{"step-no-cas", "Ledger", "a version other than 0 when none is stored must fail wrapping sync.ErrConflict"},
	{"list-offset-cursor", "Ledger", "a cursor is a position after the last step returned"},
	{"list-newest-first", "Ledger", "oldest UpdatedAt first"},
	{"list-default-unlimited", "Ledger", "means 100"},
	{"person-delete-any-org", "PersonMap", "must delete only links naming that record in that tenant, org and module"},
	{"lock-no-reacquire", "Locker", "by the owner must extend the lock"},
	{"lock-never-expires", "Locker", "whose lease ended (1ms after) must be taken by another owner"},
	{"lock-check-then-act", "Locker", "exactly one must win"},
	{"lock-renew-reacquires", "Locker", "the owner released must fail wrapping sync.ErrLockHeld"},
	{"lock-renew-never-extends", "Locker", "a renewed lock must be held until its new lease ends"},
	{"times-not-utc", "Times", "times must come back in UTC"},
	{"tenants-case-folded", "Keys", "compared byte for byte"},
	{"step-keys-joined", "Keys", "must not be joined so that keys collide"},
}

// The suite fails every broken store, naming the contract it breaks, and passes the unbroken
// wrapper. Each store runs in a child process: a failing suite fails the test that runs it.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	if os.Getenv(breakEnv) != "" {
		t.Skip("in the child process")
	}
	for _, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			run := "^TestBrokenStore$"
			if b.part != "" {
				run += "/^" + b.part + "$"
			}
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run="+run, "-test.count=1", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), breakEnv+"="+b.name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case b.want == "" && err != nil:
				t.Fatalf("the suite failed the unbroken store: %v\n%s", err, out)
			case b.want == "":
			case err == nil:
				t.Fatalf("the suite passed a store broken by %s:\n%s", b.name, out)
			case !errors.As(err, &exit):
				t.Fatalf("running the child: %v", err)
			case !strings.Contains(string(out), b.want):
				t.Fatalf("the suite failed a store broken by %s without saying %q:\n%s", b.name, b.want, out)
			}
		})
	}
}

// TestBrokenStore runs the suite against memstore broken as STORETEST_BREAK says; only
// TestSuiteCatchesBrokenStores runs it.
func TestBrokenStore(t *testing.T) {
	how := os.Getenv(breakEnv)
	if how == "" {
		t.Skip("run by TestSuiteCatchesBrokenStores in a child process")
	}
	if !slices.ContainsFunc(breakages, func(b struct{ name, part, want string }) bool { return b.name == how }) {
		t.Fatalf("unknown breakage %q", how)
	}
	clock := storetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	storetest.Run(t, func(*testing.T) cxsync.Store {
		return &broken{Store: memstore.New(memstore.WithClock(clock.Now)), how: how}
	}, storetest.WithClock(clock))
}

// broken is a memstore with one contract broken.
type broken struct {
	*memstore.Store
	how string

	mu       gosync.Mutex
	kept     map[string]*zoho.Token                 // token-keeps-reference
	releases map[string]func(context.Context) error // lease-release-frees-any
	conns    map[string]*cxsync.Connection          // connection-shared
	settings map[string][]byte                      // settings-shared
	orgs     map[string]bool                        // person-delete-any-org
	locks    map[string]brokenLock                  // lock-check-then-act
	arrived  int                                    // lock-check-then-act
	partner  chan struct{}                          // lock-check-then-act
}

type brokenLock struct {
	owner string
	until time.Time
}

var ist = time.FixedZone("IST", 5*3600+1800)

func (b *broken) LoadToken(ctx context.Context, key string) (*zoho.Token, int64, error) {
	switch b.how {
	case "token-keeps-reference":
		b.mu.Lock()
		tok, ok := b.kept[key]
		b.mu.Unlock()
		if ok {
			_, v, err := b.Store.LoadToken(ctx, key)
			return tok, v, err
		}
	case "token-not-found-unwrapped":
		tok, v, err := b.Store.LoadToken(ctx, key)
		if errors.Is(err, zoho.ErrNoToken) {
			err = errors.New("no token")
		}
		return tok, v, err
	}
	return b.Store.LoadToken(ctx, key)
}

func (b *broken) SaveToken(ctx context.Context, key string, tok *zoho.Token, version int64) (int64, error) {
	switch b.how {
	case "token-no-cas":
		_, version, _ = b.Store.LoadToken(ctx, key)
	case "token-versions-from-zero":
		v, err := b.Store.SaveToken(ctx, key, tok, version)
		return v - 1, err
	case "token-keeps-reference":
		v, err := b.Store.SaveToken(ctx, key, tok, version)
		if err == nil {
			b.mu.Lock()
			if b.kept == nil {
				b.kept = map[string]*zoho.Token{}
			}
			b.kept[key] = tok
			b.mu.Unlock()
		}
		return v, err
	}
	return b.Store.SaveToken(ctx, key, tok, version)
}

func (b *broken) AcquireTokenLease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	switch b.how {
	case "lease-needs-token":
		if _, _, err := b.Store.LoadToken(ctx, key); err != nil {
			return nil, err
		}
	case "lease-never-lapses":
		ttl *= 1000
	case "lease-release-frees-any":
		r, err := b.Store.AcquireTokenLease(ctx, key, ttl)
		if err != nil {
			return nil, err
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.releases == nil {
			b.releases = map[string]func(context.Context) error{}
		}
		b.releases[key] = r
		return func(ctx context.Context) error {
			b.mu.Lock()
			latest := b.releases[key]
			b.mu.Unlock()
			return latest(ctx)
		}, nil
	}
	return b.Store.AcquireTokenLease(ctx, key, ttl)
}

func (b *broken) DeleteConnection(ctx context.Context, tenantID string) error {
	switch b.how {
	case "delete-keeps-token":
		tok, _, loadErr := b.Store.LoadToken(ctx, tenantID)
		if err := b.Store.DeleteConnection(ctx, tenantID); err != nil || loadErr != nil {
			return err
		}
		_, err := b.Store.SaveToken(ctx, tenantID, tok, 0)
		return err
	case "delete-keeps-lease":
		if err := b.Store.DeleteConnection(ctx, tenantID); err != nil {
			return err
		}
		_, err := b.Store.AcquireTokenLease(ctx, tenantID, time.Hour)
		return err
	}
	return b.Store.DeleteConnection(ctx, tenantID)
}

func (b *broken) GetConnection(ctx context.Context, tenantID string) (*cxsync.Connection, error) {
	c, err := b.Store.GetConnection(ctx, tenantID)
	if err != nil {
		return c, err
	}
	switch b.how {
	case "connection-shared":
		b.mu.Lock()
		defer b.mu.Unlock()
		if prev, ok := b.conns[tenantID]; ok && prev.Version == c.Version {
			return prev, nil
		}
		if b.conns == nil {
			b.conns = map[string]*cxsync.Connection{}
		}
		b.conns[tenantID] = c
	case "times-not-utc":
		c.ConnectedAt, c.Health.LastErrorAt = c.ConnectedAt.In(ist), c.Health.LastErrorAt.In(ist)
	}
	return c, nil
}

func (b *broken) GetSettings(ctx context.Context, tenantID string) ([]byte, error) {
	switch b.how {
	case "settings-shared":
		b.mu.Lock()
		defer b.mu.Unlock()
		if doc, ok := b.settings[tenantID]; ok {
			return doc, nil
		}
		doc, err := b.Store.GetSettings(ctx, tenantID)
		if err == nil {
			if b.settings == nil {
				b.settings = map[string][]byte{}
			}
			b.settings[tenantID] = doc
		}
		return doc, err
	case "tenants-case-folded":
		tenantID = strings.ToLower(strings.TrimSpace(tenantID))
	}
	return b.Store.GetSettings(ctx, tenantID)
}

func (b *broken) PutSettings(ctx context.Context, tenantID string, doc []byte) error {
	switch b.how {
	case "settings-shared":
		b.mu.Lock()
		delete(b.settings, tenantID)
		b.mu.Unlock()
	case "tenants-case-folded":
		tenantID = strings.ToLower(strings.TrimSpace(tenantID))
	}
	return b.Store.PutSettings(ctx, tenantID, doc)
}

func (b *broken) TakeConnectState(ctx context.Context, id string, now time.Time) (*cxsync.ConnectState, error) {
	switch b.how {
	case "state-reusable":
		st, err := b.Store.TakeConnectState(ctx, id, now)
		if err == nil {
			err = b.Store.PutConnectState(ctx, st)
		}
		return st, err
	case "state-never-expires":
		now = time.Time{}
	}
	return b.Store.TakeConnectState(ctx, id, now)
}

// joined is a step key the way a careless store would make one: its fields joined by "|".
func joined(k cxsync.StepKey) cxsync.StepKey {
	return cxsync.StepKey{TenantID: strings.Join([]string{k.TenantID, k.OrgID, string(k.Section), k.SourceID, string(k.Kind), k.Name, fmt.Sprint(k.Seq)}, "|")}
}

func (b *broken) GetStep(ctx context.Context, k cxsync.StepKey) (*cxsync.Step, error) {
	if b.how == "step-keys-joined" {
		st, err := b.Store.GetStep(ctx, joined(k))
		if err == nil {
			st.Key = k
		}
		return st, err
	}
	return b.Store.GetStep(ctx, k)
}

func (b *broken) PutStep(ctx context.Context, st *cxsync.Step) (int64, error) {
	switch b.how {
	case "step-no-cas":
		c := *st
		c.Version = 0
		if cur, err := b.Store.GetStep(ctx, st.Key); err == nil {
			c.Version = cur.Version
		}
		return b.Store.PutStep(ctx, &c)
	case "step-keys-joined":
		c := *st
		c.Key = joined(st.Key)
		return b.Store.PutStep(ctx, &c)
	}
	return b.Store.PutStep(ctx, st)
}

func (b *broken) ListSteps(ctx context.Context, tenantID string, f cxsync.StepFilter, cursor string, limit int) ([]*cxsync.Step, string, error) {
	switch b.how {
	case "list-offset-cursor", "list-newest-first":
		all, _, err := b.Store.ListSteps(ctx, tenantID, f, "", 1<<30)
		if err != nil {
			return nil, "", err
		}
		if b.how == "list-newest-first" {
			slices.Reverse(all)
		}
		if limit <= 0 {
			limit = 100
		}
		skip := 0
		if cursor != "" {
			fmt.Sscan(cursor, &skip)
		}
		all = all[min(skip, len(all)):]
		if len(all) <= limit {
			return all, "", nil
		}
		return all[:limit], fmt.Sprint(skip + limit), nil
	case "list-default-unlimited":
		if limit <= 0 {
			limit = 1 << 30
		}
	}
	return b.Store.ListSteps(ctx, tenantID, f, cursor, limit)
}

func (b *broken) PutPerson(ctx context.Context, k cxsync.PersonKey, l *cxsync.PersonLink) error {
	if b.how == "person-delete-any-org" {
		b.mu.Lock()
		if b.orgs == nil {
			b.orgs = map[string]bool{}
		}
		b.orgs[k.OrgID] = true
		b.mu.Unlock()
	}
	return b.Store.PutPerson(ctx, k, l)
}

func (b *broken) DeletePerson(ctx context.Context, tenantID, orgID, module, recordID string) error {
	if b.how == "person-delete-any-org" {
		b.mu.Lock()
		orgs := make([]string, 0, len(b.orgs))
		for o := range b.orgs {
			orgs = append(orgs, o)
		}
		b.mu.Unlock()
		for _, o := range orgs {
			if err := b.Store.DeletePerson(ctx, tenantID, o, module, recordID); err != nil {
				return err
			}
		}
		return nil
	}
	return b.Store.DeletePerson(ctx, tenantID, orgID, module, recordID)
}

func (b *broken) AcquireLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) (func(context.Context) error, error) {
	switch b.how {
	case "lock-no-reacquire":
		b.mu.Lock()
		b.arrived++
		owner = fmt.Sprint(owner, "#", b.arrived)
		b.mu.Unlock()
	case "lock-never-expires":
		ttl *= 1000
	case "lock-check-then-act":
		return b.checkThenAct(key, owner, ttl, now)
	}
	return b.Store.AcquireLock(ctx, key, owner, ttl, now)
}

func (b *broken) RenewLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) error {
	switch b.how {
	case "lock-renew-reacquires": // a renewal that takes a free lock back, as AcquireLock would
		err := b.Store.RenewLock(ctx, key, owner, ttl, now)
		if errors.Is(err, cxsync.ErrLockHeld) {
			_, err = b.Store.AcquireLock(ctx, key, owner, ttl, now)
		}
		return err
	case "lock-renew-never-extends":
		return nil
	}
	return b.Store.RenewLock(ctx, key, owner, ttl, now)
}

// checkThenAct is a lock that reads whether it is free and takes it in two steps: two callers
// that both read "free" both take it. To make the race certain, a caller waits after its read
// until a second caller has read too (or a moment has passed, when it is alone).
func (b *broken) checkThenAct(key, owner string, ttl time.Duration, now time.Time) (func(context.Context) error, error) {
	b.mu.Lock()
	cur, held := b.locks[key]
	free := !held || cur.owner == owner || !now.Before(cur.until)
	b.arrived++
	if b.partner == nil {
		b.partner = make(chan struct{})
	}
	partner := b.partner
	if b.arrived == 2 {
		close(b.partner)
	}
	b.mu.Unlock()
	if !free {
		return nil, fmt.Errorf("lock %q: %w", key, cxsync.ErrLockHeld)
	}
	select {
	case <-partner:
	case <-time.After(20 * time.Millisecond):
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.locks == nil {
		b.locks = map[string]brokenLock{}
	}
	b.locks[key] = brokenLock{owner: owner, until: now.Add(ttl)}
	return func(context.Context) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.locks[key].owner == owner {
			delete(b.locks, key)
		}
		return nil
	}, nil
}
