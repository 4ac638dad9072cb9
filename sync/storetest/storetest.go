// Package storetest is the conformance suite of sync's storage interfaces. A host that
// implements sync.Store (or only zoho.TokenStore) runs it from its own tests:
//
//	func TestMyStore(t *testing.T) {
//		clock := storetest.NewClock(time.Now())
//		storetest.Run(t, func(t *testing.T) cxsync.Store {
//			return mystore.New(freshDatabase(t), mystore.WithClock(clock.Now))
//		}, storetest.WithClock(clock))
//	}
//
// Every subtest gets a fresh, empty store from the factory (which may register cleanups on its
// t) and is named after the contract it checks; a failure message names the method and the
// broken rule ("Ledger.PutStep: a stale version must fail wrapping sync.ErrConflict, got
// <nil>"). Subtests run one after another; the concurrency contracts start 50 goroutines at once
// on one store and require exactly one to win. The parts of Run:
//
//   - TokenStore (RunTokenStore): versions from 1, 0 for nothing stored, compare-and-swap,
//     no reference kept to a *Token, and leases (a lease on a key with no token, lapse, release).
//   - ConnectionStore, SettingsStore, ConnectStateStore, Ledger, PersonMap, Locker: not-found,
//     compare-and-swap, copies in and out, DeleteConnection taking the token and its lease,
//     single-use and expiring connect states, step transitions and ListSteps paging, the person
//     map's deletion by record, lock leases.
//   - Times: every stored time back in UTC, as the instant given, to the millisecond at least.
//   - Keys: keys are opaque byte strings of up to 255 bytes, and key fields never collide.
//
// Time never comes from the wall clock where the contracts take it from the caller: lock leases
// and connect-state expiry are driven through the now arguments. Token leases (zoho.TokenLeaser)
// are measured by the store's own clock: with WithClock the suite moves a Clock the store reads;
// without it, it waits real time (a few milliseconds) for a short lease to lapse and cannot check
// that a lease lasts its whole ttl. No contract is judged by how long a call takes.
//
// What the contracts leave open is not checked: empty keys, nil values, a ttl ≤ 0, a cancelled
// context, a release after the same owner extended its lock, the order of steps with equal
// UpdatedAt (beyond it being stable across pages), and whether a lock or lease is still held at
// the very instant it ends. Sharing between processes is the host's to test: the suite sees one
// store value. sync/memstore, zoho.MemoryTokenStore (RunTokenStore) and sync/sqlstore pass it.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
)

// Run runs every contract of every storage interface of sync.Store against stores made by
// newStore, which must return a fresh, empty store each time (it may register cleanups on t).
func Run(t *testing.T, newStore func(t *testing.T) cxsync.Store, opts ...Option) {
	t.Helper()
	t.Run("TokenStore", func(t *testing.T) {
		RunTokenStore(t, func(t *testing.T) zoho.TokenStore { return newStore(t) }, opts...)
	})
	t.Run("ConnectionStore", func(t *testing.T) { testConnections(t, newStore) })
	t.Run("SettingsStore", func(t *testing.T) { testSettings(t, newStore) })
	t.Run("ConnectStateStore", func(t *testing.T) { testConnectState(t, newStore) })
	t.Run("Ledger", func(t *testing.T) { testLedger(t, newStore) })
	t.Run("PersonMap", func(t *testing.T) { testPersons(t, newStore) })
	t.Run("Locker", func(t *testing.T) { testLocker(t, newStore) })
	t.Run("Times", func(t *testing.T) { testTimes(t, newStore) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, newStore) })
}

// base is a fixed time with millisecond precision, in UTC, as stores must keep it.
var base = time.Date(2026, 3, 2, 9, 0, 0, 123_000_000, time.UTC)

// ist is a zone east of UTC, for times given in another zone than UTC.
var ist = time.FixedZone("IST", 5*3600+1800)

// sameTime reports whether got is want as a store must return it: the same instant, in UTC (a
// zero time stays zero).
func sameTime(got, want time.Time) bool {
	if want.IsZero() {
		return got.IsZero()
	}
	return got.Equal(want) && got.Location() == time.UTC
}

func testConnections(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	conn := func() *cxsync.Connection {
		return &cxsync.Connection{TenantID: "t1", OrgID: "org1", OrgName: "Zylker", Edition: "Enterprise", DataCenter: zoho.EU,
			UserID: "u1", UserEmail: "admin@zylker.example", Client: cxsync.OAuthClientRef{Kind: cxsync.ClientTenant, ClientID: "1000.X"},
			Health:      cxsync.Health{Paused: true, PauseReason: cxsync.PauseCreditsExhausted, PausedUntil: base.Add(time.Hour), LastError: "credits", LastErrorAt: base},
			ConnectedAt: base}
	}
	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.GetConnection(t.Context(), "t1"); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectionStore.GetConnection: an unknown tenant must fail wrapping sync.ErrNotFound, got %v", err)
		}
		if err := s.DeleteConnection(t.Context(), "t1"); err != nil {
			t.Fatalf("ConnectionStore.DeleteConnection: deleting what does not exist must not fail, got %v", err)
		}
	})
	t.Run("CompareAndSwap", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		stale := conn()
		stale.Version = 3
		if _, err := s.PutConnection(ctx, stale); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("ConnectionStore.PutConnection: a version other than 0 when none is stored must fail wrapping sync.ErrConflict, got %v", err)
		}
		if _, err := s.GetConnection(ctx, "t1"); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectionStore.PutConnection: a put that failed must store nothing, GetConnection gave %v", err)
		}
		v, err := s.PutConnection(ctx, conn())
		if err != nil || v != 1 {
			t.Fatalf("ConnectionStore.PutConnection: a new connection must get version 1, got %d, %v", v, err)
		}
		got, err := s.GetConnection(ctx, "t1")
		if err != nil || got.Version != 1 || !sameConnection(got, conn()) {
			t.Fatalf("ConnectionStore.GetConnection must return every field put, with version 1:\n got %+v, %v\nwant %+v", got, err, conn())
		}
		if _, err := s.PutConnection(ctx, conn()); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("ConnectionStore.PutConnection: version 0 over a stored connection must fail wrapping sync.ErrConflict, got %v", err)
		}
		got.OrgName = "Zylker Ltd"
		if v, err = s.PutConnection(ctx, got); err != nil || v != 2 {
			t.Fatalf("ConnectionStore.PutConnection: the stored version must store the connection as version 2, got %d, %v", v, err)
		}
		got.OrgName = "stale"
		if _, err := s.PutConnection(ctx, got); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("ConnectionStore.PutConnection: a stale version must fail wrapping sync.ErrConflict, got %v", err)
		}
		again, err := s.GetConnection(ctx, "t1")
		if err != nil || again.OrgName != "Zylker Ltd" || again.Version != 2 {
			t.Fatalf("ConnectionStore.PutConnection: a put that failed must store nothing, got %+v, %v", again, err)
		}
	})
	t.Run("ConcurrentPutsOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		oneWins(t, "ConnectionStore.PutConnection", "of a new connection (version 0)", cxsync.ErrConflict, func(i int) error {
			c := conn()
			c.OrgName = fmt.Sprint(i)
			return second(s.PutConnection(ctx, c))
		})
		oneWins(t, "ConnectionStore.PutConnection", "with the stored version", cxsync.ErrConflict, func(i int) error {
			c := conn()
			c.OrgName, c.Version = fmt.Sprint(i), 1
			return second(s.PutConnection(ctx, c))
		})
		if got, err := s.GetConnection(ctx, "t1"); err != nil || got.Version != 2 {
			t.Fatalf("ConnectionStore: after one create and one update won, the version must be 2, got %+v, %v", got, err)
		}
	})
	t.Run("CopiesValues", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		c := conn()
		must(t, "ConnectionStore.PutConnection", second(s.PutConnection(ctx, c)))
		c.OrgName, c.Client.ClientID, c.Health.LastError = "changed", "changed", "changed"
		got, err := s.GetConnection(ctx, "t1")
		if err != nil || got.OrgName != "Zylker" || got.Client.ClientID != "1000.X" || got.Health.LastError != "credits" {
			t.Fatalf("ConnectionStore.PutConnection must keep no reference to what it was given: changing it changed the store to %+v, %v", got, err)
		}
		got.OrgName, got.Health.Paused = "changed by the caller", false
		again, err := s.GetConnection(ctx, "t1")
		if err != nil || again.OrgName != "Zylker" || !again.Health.Paused {
			t.Fatalf("ConnectionStore.GetConnection must return a value that is the caller's: changing it changed the store to %+v, %v", again, err)
		}
	})
	t.Run("DeleteRemovesTokenAndLease", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, "ConnectionStore.PutConnection", second(s.PutConnection(ctx, conn())))
		other := conn()
		other.TenantID = "t2"
		must(t, "ConnectionStore.PutConnection", second(s.PutConnection(ctx, other)))
		must(t, "TokenStore.SaveToken", second(s.SaveToken(ctx, "t1", &zoho.Token{RefreshToken: "r"}, 0)))
		must(t, "TokenStore.SaveToken", second(s.SaveToken(ctx, "t2", &zoho.Token{RefreshToken: "r2"}, 0)))
		oldLease, err := s.AcquireTokenLease(ctx, "t1", time.Hour)
		must(t, "TokenLeaser.AcquireTokenLease", err)
		otherLease, err := s.AcquireTokenLease(ctx, "t2", time.Hour)
		must(t, "TokenLeaser.AcquireTokenLease", err)
		if err := s.DeleteConnection(ctx, "t1"); err != nil {
			t.Fatalf("ConnectionStore.DeleteConnection: %v", err)
		}
		if _, err := s.GetConnection(ctx, "t1"); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectionStore.DeleteConnection must delete the connection: GetConnection must then fail wrapping sync.ErrNotFound, got %v", err)
		}
		if _, _, err := s.LoadToken(ctx, "t1"); !errors.Is(err, zoho.ErrNoToken) {
			t.Fatalf("ConnectionStore.DeleteConnection must delete the tenant's token: LoadToken must then fail wrapping zoho.ErrNoToken, got %v", err)
		}
		newLease, err := s.AcquireTokenLease(ctx, "t1", time.Hour)
		if err != nil {
			t.Fatalf("ConnectionStore.DeleteConnection must delete the lease on the tenant's token, AcquireTokenLease gave %v", err)
		}
		must(t, "TokenLeaser release", oldLease(ctx))
		if _, err := s.AcquireTokenLease(ctx, "t1", time.Hour); !errors.Is(err, zoho.ErrLeaseHeld) {
			t.Fatalf("TokenLeaser release: a lease deleted by DeleteConnection must not release the next holder's lease when released, got %v", err)
		}
		must(t, "TokenLeaser release", newLease(ctx))
		if c, err := s.GetConnection(ctx, "t2"); err != nil || c.TenantID != "t2" {
			t.Fatalf("ConnectionStore.DeleteConnection of t1 must leave t2's connection, got %+v, %v", c, err)
		}
		if _, _, err := s.LoadToken(ctx, "t2"); err != nil {
			t.Fatalf("ConnectionStore.DeleteConnection of t1 must leave t2's token, got %v", err)
		}
		if _, err := s.AcquireTokenLease(ctx, "t2", time.Hour); !errors.Is(err, zoho.ErrLeaseHeld) {
			t.Fatalf("ConnectionStore.DeleteConnection of t1 must leave the lease on t2's token, got %v", err)
		}
		must(t, "TokenLeaser release", otherLease(ctx))
		if v, err := s.PutConnection(ctx, conn()); err != nil || v != 1 {
			t.Fatalf("ConnectionStore.PutConnection: after DeleteConnection a new connection must get version 1, got %d, %v", v, err)
		}
		if v, err := s.SaveToken(ctx, "t1", &zoho.Token{RefreshToken: "r3"}, 0); err != nil || v != 1 {
			t.Fatalf("TokenStore.SaveToken: after DeleteConnection a new token must be saved with version 0 as version 1, got %d, %v", v, err)
		}
		// A token saved before its connection (a connect that failed half-way) goes too.
		must(t, "TokenStore.SaveToken", second(s.SaveToken(ctx, "t3", &zoho.Token{RefreshToken: "r4"}, 0)))
		must(t, "ConnectionStore.DeleteConnection", s.DeleteConnection(ctx, "t3"))
		if _, _, err := s.LoadToken(ctx, "t3"); !errors.Is(err, zoho.ErrNoToken) {
			t.Fatalf("ConnectionStore.DeleteConnection must delete the tenant's token even when no connection is stored, LoadToken gave %v", err)
		}
	})
}

// sameConnection reports whether got holds every field of want (the version aside), its times
// as a store must return them.
func sameConnection(got, want *cxsync.Connection) bool {
	x, y := *got, *want
	if !sameTime(x.ConnectedAt, y.ConnectedAt) || !sameTime(x.Health.PausedUntil, y.Health.PausedUntil) || !sameTime(x.Health.LastErrorAt, y.Health.LastErrorAt) {
		return false
	}
	x.ConnectedAt, y.ConnectedAt, x.Health.PausedUntil, y.Health.PausedUntil, x.Health.LastErrorAt, y.Health.LastErrorAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	x.Version, y.Version = 0, 0
	return reflect.DeepEqual(x, y)
}

func testSettings(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	s := newStore(t)
	ctx := t.Context()
	if _, err := s.GetSettings(ctx, "t1"); !errors.Is(err, cxsync.ErrNotFound) {
		t.Fatalf("SettingsStore.GetSettings: an unknown tenant must fail wrapping sync.ErrNotFound, got %v", err)
	}
	const want = `{"version":2,"mode":"manual","note":"é ✓ \u00e9"}`
	doc := []byte(want)
	must(t, "SettingsStore.PutSettings", s.PutSettings(ctx, "t1", doc))
	doc[2] = 'X'
	got, err := s.GetSettings(ctx, "t1")
	if err != nil || string(got) != want {
		t.Fatalf("SettingsStore.GetSettings must return the bytes put, as given, and PutSettings keep no reference to them:\n got %s, %v\nwant %s", got, err, want)
	}
	got[2] = 'Y'
	if again, err := s.GetSettings(ctx, "t1"); err != nil || string(again) != want {
		t.Fatalf("SettingsStore.GetSettings must return bytes that are the caller's: changing them changed the store to %s, %v", again, err)
	}
	must(t, "SettingsStore.PutSettings", s.PutSettings(ctx, "t2", []byte(`{"version":2,"mode":"auto"}`)))
	must(t, "SettingsStore.PutSettings", s.PutSettings(ctx, "t1", []byte(`{"version":2}`)))
	if got, err := s.GetSettings(ctx, "t1"); err != nil || string(got) != `{"version":2}` {
		t.Fatalf("SettingsStore.PutSettings must replace the document, got %s, %v", got, err)
	}
	if got, err := s.GetSettings(ctx, "t2"); err != nil || !bytes.Equal(got, []byte(`{"version":2,"mode":"auto"}`)) {
		t.Fatalf("SettingsStore: tenants must be separate: t2's document must be its own, got %s, %v", got, err)
	}
	if _, err := s.GetSettings(ctx, "t3"); !errors.Is(err, cxsync.ErrNotFound) {
		t.Fatalf("SettingsStore: tenants must be separate: t3 has no document, got %v", err)
	}
}

func testConnectState(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	state := func(id string) *cxsync.ConnectState {
		return &cxsync.ConnectState{ID: id, TenantID: "t1", Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: "1000.S"}, DataCenter: zoho.IN, ExpiresAt: base.Add(10 * time.Minute)}
	}
	same := func(got, want *cxsync.ConnectState) bool {
		if got == nil || !sameTime(got.ExpiresAt, want.ExpiresAt) {
			return false
		}
		x, y := *got, *want
		x.ExpiresAt, y.ExpiresAt = time.Time{}, time.Time{}
		return x == y
	}
	t.Run("SingleUse", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		given := state("a")
		must(t, "ConnectStateStore.PutConnectState", s.PutConnectState(ctx, given))
		given.TenantID, given.ExpiresAt = "changed", base.Add(time.Hour)
		if err := s.PutConnectState(ctx, state("a")); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("ConnectStateStore.PutConnectState: a taken id must fail wrapping sync.ErrConflict, got %v", err)
		}
		got, err := s.TakeConnectState(ctx, "a", base)
		if err != nil || !same(got, state("a")) {
			t.Fatalf("ConnectStateStore.TakeConnectState must return every field of the state put (and PutConnectState keep no reference to it):\n got %+v, %v\nwant %+v", got, err, state("a"))
		}
		if _, err := s.TakeConnectState(ctx, "a", base); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectStateStore.TakeConnectState must succeed once: a second take must fail wrapping sync.ErrNotFound, got %v", err)
		}
		if _, err := s.TakeConnectState(ctx, "never", base); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectStateStore.TakeConnectState: an unknown id must fail wrapping sync.ErrNotFound, got %v", err)
		}
		must(t, "ConnectStateStore.PutConnectState", s.PutConnectState(ctx, state("b")))
		if got, err := s.TakeConnectState(ctx, "b", base); err != nil || got.ID != "b" {
			t.Fatalf("ConnectStateStore: ids must be separate: b must be taken after a, got %+v, %v", got, err)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for _, id := range []string{"at", "after", "before"} {
			must(t, "ConnectStateStore.PutConnectState", s.PutConnectState(ctx, state(id)))
		}
		end := state("x").ExpiresAt
		if _, err := s.TakeConnectState(ctx, "at", end); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectStateStore.TakeConnectState: a state whose ExpiresAt is not after now (now = ExpiresAt) must fail wrapping sync.ErrNotFound, got %v", err)
		}
		if _, err := s.TakeConnectState(ctx, "after", end.Add(time.Hour)); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectStateStore.TakeConnectState: an expired state must fail wrapping sync.ErrNotFound, got %v", err)
		}
		if _, err := s.TakeConnectState(ctx, "at", base); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectStateStore.TakeConnectState: an expired state must be deleted by the take that found it expired, a later take gave %v", err)
		}
		if got, err := s.TakeConnectState(ctx, "before", end.Add(-time.Millisecond)); err != nil || got.ID != "before" {
			t.Fatalf("ConnectStateStore.TakeConnectState: a state must be taken until its ExpiresAt (1ms before), got %+v, %v", got, err)
		}
	})
	t.Run("ConcurrentPutsOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		oneWins(t, "ConnectStateStore.PutConnectState", "of one id", cxsync.ErrConflict, func(i int) error {
			st := state("c")
			st.TenantID = fmt.Sprint("t", i)
			return s.PutConnectState(ctx, st)
		})
	})
	t.Run("ConcurrentTakesOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, "ConnectStateStore.PutConnectState", s.PutConnectState(ctx, state("c")))
		oneWins(t, "ConnectStateStore.TakeConnectState", "of one state", cxsync.ErrNotFound, func(int) error {
			return second(s.TakeConnectState(ctx, "c", base))
		})
	})
}

func stepKey(src string) cxsync.StepKey {
	return cxsync.StepKey{TenantID: "t1", OrgID: "org1", Section: cloudcx.SectionWebChat, SourceID: src, Kind: cxsync.StepRecord}
}

// sameStep reports whether got holds every field of want (the version aside), its time as a
// store must return it.
func sameStep(got, want *cxsync.Step) bool {
	if got == nil || !sameTime(got.UpdatedAt, want.UpdatedAt) {
		return false
	}
	if !got.SentSince.Equal(want.SentSince) {
		return false
	}
	x, y := *got, *want
	x.UpdatedAt, y.UpdatedAt, x.Version, y.Version = time.Time{}, time.Time{}, 0, 0
	x.SentSince, y.SentSince = time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

func testLedger(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	t.Run("CompareAndSwapAndTransitions", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		k := stepKey("c1")
		if _, err := s.GetStep(ctx, k); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("Ledger.GetStep: an unknown step must fail wrapping sync.ErrNotFound, got %v", err)
		}
		st := &cxsync.Step{Key: k, Status: cxsync.StepPending, Hash: "h1", Attempts: 1, MatchDigests: []string{"0123456789abcdef", "fedcba9876543210"}, SentSince: base.Add(-time.Hour).In(ist), UpdatedAt: base, Version: 4}
		if _, err := s.PutStep(ctx, st); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("Ledger.PutStep: a version other than 0 when none is stored must fail wrapping sync.ErrConflict, got %v", err)
		}
		if _, err := s.GetStep(ctx, k); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("Ledger.PutStep: a put that failed must store nothing, GetStep gave %v", err)
		}
		st.Version = 0
		v, err := s.PutStep(ctx, st)
		if err != nil || v != 1 {
			t.Fatalf("Ledger.PutStep: a new step must get version 1, got %d, %v", v, err)
		}
		if got, err := s.GetStep(ctx, k); err != nil || got.Version != 1 || !sameStep(got, st) {
			t.Fatalf("Ledger.GetStep must return every field of the step put, with version 1:\n got %+v, %v\nwant %+v", got, err, st)
		}
		if _, err := s.PutStep(ctx, st); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("Ledger.PutStep: version 0 over a stored step must fail wrapping sync.ErrConflict, got %v", err)
		}
		// pending → done: the record written, the attempts counted.
		st.Version = v
		st.Status, st.Module, st.RecordID, st.Attempts, st.UpdatedAt = cxsync.StepDone, "Cases", "42", 2, base.Add(time.Second)
		if v, err = s.PutStep(ctx, st); err != nil || v != 2 {
			t.Fatalf("Ledger.PutStep: pending → done with the stored version must store the step as version 2, got %d, %v", v, err)
		}
		stale := *st
		stale.Status = cxsync.StepFailed
		if _, err := s.PutStep(ctx, &stale); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("Ledger.PutStep: a stale version must fail wrapping sync.ErrConflict, got %v", err)
		}
		got, err := s.GetStep(ctx, k)
		if err != nil || got.Version != 2 || !sameStep(got, st) {
			t.Fatalf("Ledger.GetStep must return the last step stored (a put that failed stores nothing):\n got %+v, %v\nwant %+v", got, err, st)
		}
		// done → pending again with a new content hash (a wrap-up changed the record), then failed.
		got.Status, got.Hash, got.Attempts, got.UpdatedAt = cxsync.StepPending, "h2", 3, base.Add(2*time.Second)
		must(t, "Ledger.PutStep (done → pending, new hash)", second(s.PutStep(ctx, got)))
		got.Version = 3
		got.Status, got.UpdatedAt = cxsync.StepFailed, base.Add(3*time.Second)
		got.Err = &cxsync.StepError{Class: cxsync.ClassPermanent, Code: "INVALID_DATA", Field: "Status", Message: "invalid picklist value", NotApplied: true}
		must(t, "Ledger.PutStep (pending → failed)", second(s.PutStep(ctx, got)))
		want := *got
		want.Err = &cxsync.StepError{Class: cxsync.ClassPermanent, Code: "INVALID_DATA", Field: "Status", Message: "invalid picklist value", NotApplied: true}
		want.MatchDigests = slices.Clone(got.MatchDigests)
		got.Err.Message = "changed by the caller"
		got.MatchDigests[0] = "changed by the caller"
		failed, err := s.GetStep(ctx, k)
		if err != nil || failed.Version != 4 || !sameStep(failed, &want) {
			t.Fatalf("Ledger: a failed step must keep its new hash, attempts, error and match digests (PutStep keeping no reference to the error or the digests):\n got %+v (err %+v), %v\nwant %+v (err %+v)", failed, errOf(failed), err, &want, want.Err)
		}
		failed.Err.Message = "changed by the caller"
		failed.MatchDigests[1] = "changed by the caller"
		if again, err := s.GetStep(ctx, k); err != nil || !sameStep(again, &want) {
			t.Fatalf("Ledger.GetStep must return a step that is the caller's: changing its error or digests changed the store to %+v %v, %v", errOf(again), digestsOf(again), err)
		}
		// failed → done after a retry: the error goes.
		done := want
		done.Version, done.Status, done.Err, done.RecordID, done.UpdatedAt = 4, cxsync.StepDone, nil, "43", base.Add(4*time.Second)
		must(t, "Ledger.PutStep (failed → done)", second(s.PutStep(ctx, &done)))
		if again, err := s.GetStep(ctx, k); err != nil || again.Err != nil || !sameStep(again, &done) {
			t.Fatalf("Ledger.PutStep must store the step as given: a step put without an error must come back without one, got %+v (err %+v), %v", again, errOf(again), err)
		}
	})
	t.Run("ConcurrentPutsOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		k := stepKey("c1")
		oneWins(t, "Ledger.PutStep", "of a new step (version 0)", cxsync.ErrConflict, func(i int) error {
			return second(s.PutStep(ctx, &cxsync.Step{Key: k, Status: cxsync.StepPending, Attempts: i, UpdatedAt: base}))
		})
		oneWins(t, "Ledger.PutStep", "with the stored version", cxsync.ErrConflict, func(i int) error {
			return second(s.PutStep(ctx, &cxsync.Step{Key: k, Status: cxsync.StepDone, Attempts: i, UpdatedAt: base, Version: 1}))
		})
		if got, err := s.GetStep(ctx, k); err != nil || got.Version != 2 || got.Status != cxsync.StepDone {
			t.Fatalf("Ledger: after one create and one update won, the step must be done at version 2, got %+v, %v", got, err)
		}
	})
	t.Run("KeysAreDistinct", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		k := stepKey("c1")
		variants := []cxsync.StepKey{k}
		for _, change := range []func(*cxsync.StepKey){
			func(k *cxsync.StepKey) { k.TenantID = "t2" },
			func(k *cxsync.StepKey) { k.OrgID = "org2" },
			func(k *cxsync.StepKey) { k.Section = cloudcx.SectionInbox },
			func(k *cxsync.StepKey) { k.SourceID = "c2" },
			func(k *cxsync.StepKey) { k.Kind = cxsync.StepAttachment },
			func(k *cxsync.StepKey) { k.Name = "transcript.txt" },
			func(k *cxsync.StepKey) { k.Seq = 1 },
			func(k *cxsync.StepKey) { k.Seq = 10 },
		} {
			v := k
			change(&v)
			variants = append(variants, v)
		}
		for i, v := range variants {
			if _, err := s.PutStep(ctx, &cxsync.Step{Key: v, Status: cxsync.StepDone, RecordID: fmt.Sprint(i), UpdatedAt: base}); err != nil {
				t.Fatalf("Ledger.PutStep of key %+v: every field of a StepKey must tell steps apart, got %v", v, err)
			}
		}
		for i, v := range variants {
			if got, err := s.GetStep(ctx, v); err != nil || got.RecordID != fmt.Sprint(i) || got.Key != v {
				t.Fatalf("Ledger.GetStep(%+v) must return its own step (every field of a StepKey tells steps apart), got %+v, %v", v, got, err)
			}
		}
	})
	t.Run("ListSteps", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		var want []string
		for i := range 7 {
			k := stepKey(fmt.Sprintf("f%d", i))
			at := base.Add(time.Duration(7-i) * time.Minute) // stored newest first, listed oldest first
			if i == 3 {
				at = at.In(ist) // an instant in another zone sorts as the instant
			}
			must(t, "Ledger.PutStep", second(s.PutStep(ctx, &cxsync.Step{Key: k, Status: cxsync.StepFailed, UpdatedAt: at, Err: &cxsync.StepError{Message: "x"}})))
			want = append([]string{k.SourceID}, want...)
		}
		for _, other := range []*cxsync.Step{
			{Key: stepKey("done"), Status: cxsync.StepDone, UpdatedAt: base},
			{Key: stepKey("pending"), Status: cxsync.StepPending, UpdatedAt: base},
			{Key: cxsync.StepKey{TenantID: "t2", OrgID: "org1", Section: cloudcx.SectionWebChat, SourceID: "other", Kind: cxsync.StepRecord}, Status: cxsync.StepFailed, UpdatedAt: base},
		} {
			must(t, "Ledger.PutStep", second(s.PutStep(ctx, other)))
		}
		got, pages := listAll(t, s, "t1", cxsync.StepFailed, 3, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("Ledger.ListSteps must list the tenant's steps of that status, oldest UpdatedAt first, across pages:\n got %v\nwant %v", got, want)
		}
		if pages != 3 {
			t.Fatalf("Ledger.ListSteps: 7 steps by 3 must come in 3 pages (the last one returning an empty cursor), got %d", pages)
		}
		if got, _ := listAll(t, s, "t1", cxsync.StepPending, 3, nil); !slices.Equal(got, []string{"pending"}) {
			t.Fatalf("Ledger.ListSteps must list the steps of the status asked for, got %v for pending", got)
		}
		if steps, next, err := s.ListSteps(ctx, "t3", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 0); err != nil || len(steps) != 0 || next != "" {
			t.Fatalf("Ledger.ListSteps of a tenant with no steps must be empty with an empty cursor, got %v, %q, %v", steps, next, err)
		}
		steps, _, err := s.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 0)
		if err != nil || len(steps) != 7 {
			t.Fatalf("Ledger.ListSteps: limit 0 means 100, got %d steps, %v", len(steps), err)
		}
		// Since leaves out the steps updated before it (f3's instant, in another zone, is included).
		var recent []string
		cursor := ""
		for range 3 {
			page, next, err := s.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed, Since: base.Add(4 * time.Minute)}, cursor, 3)
			if err != nil {
				t.Fatalf("Ledger.ListSteps with Since: %v", err)
			}
			for _, st := range page {
				recent = append(recent, st.Key.SourceID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if want := []string{"f3", "f2", "f1", "f0"}; !slices.Equal(recent, want) {
			t.Fatalf("Ledger.ListSteps with Since must list only the steps updated at or after it, oldest first, across pages:\n got %v\nwant %v", recent, want)
		}
		// Kind leaves out the steps of other kinds, whatever their other fields say (a source
		// named like the kind, in another case, or holding it between quotes), across pages.
		var persons []string
		for i, src := range []string{"person", "PERSON", `a","person","b`, "p1", "p2", "p3"} {
			k := stepKey(src)
			if strings.HasPrefix(src, "p") && len(src) == 2 {
				k.Kind, k.Name = cxsync.StepPerson, "Contacts"
				persons = append(persons, src)
			}
			must(t, "Ledger.PutStep", second(s.PutStep(ctx, &cxsync.Step{Key: k, Status: cxsync.StepPending, UpdatedAt: base.Add(time.Duration(i) * time.Second)})))
		}
		var kinds []string
		cursor = ""
		for range 10 {
			page, next, err := s.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepPending, Kind: cxsync.StepPerson}, cursor, 2)
			if err != nil {
				t.Fatalf("Ledger.ListSteps with Kind: %v", err)
			}
			for _, st := range page {
				kinds = append(kinds, st.Key.SourceID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if !slices.Equal(kinds, persons) {
			t.Fatalf("Ledger.ListSteps with Kind must list only the steps of that kind, oldest first, across pages:\n got %q\nwant %q", kinds, persons)
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("Ledger.ListSteps: a cursor it did not make must fail with an error or be ignored, never panic, got panic %v", p)
				}
			}()
			_, _, _ = s.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "not a cursor \x00\xff", 3)
		}()
		if !sameStep(steps[0], &cxsync.Step{Key: stepKey("f6"), Status: cxsync.StepFailed, UpdatedAt: base.Add(time.Minute), Err: &cxsync.StepError{Message: "x"}}) || steps[0].Version != 1 {
			t.Fatalf("Ledger.ListSteps must return every field of the steps, with their versions, got %+v (err %+v)", steps[0], errOf(steps[0]))
		}
	})
	t.Run("ListStepsExactPages", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for i := range 6 {
			must(t, "Ledger.PutStep", second(s.PutStep(ctx, &cxsync.Step{Key: stepKey(fmt.Sprint("f", i)), Status: cxsync.StepFailed, UpdatedAt: base.Add(time.Duration(i) * time.Second)})))
		}
		if _, pages := listAll(t, s, "t1", cxsync.StepFailed, 3, nil); pages != 2 {
			t.Fatalf("Ledger.ListSteps: the cursor must be empty when there is no next page (6 steps by 3: 2 pages), got %d pages", pages)
		}
	})
	t.Run("ListStepsDefaultLimit", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for i := range 105 {
			must(t, "Ledger.PutStep", second(s.PutStep(ctx, &cxsync.Step{Key: stepKey(fmt.Sprintf("f%03d", i)), Status: cxsync.StepFailed, UpdatedAt: base.Add(time.Duration(i) * time.Second)})))
		}
		for _, limit := range []int{0, -1} {
			steps, next, err := s.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", limit)
			if err != nil || len(steps) != 100 || next == "" {
				t.Fatalf("Ledger.ListSteps: limit %d means 100: of 105 steps the first page must hold 100 and a cursor, got %d, %q, %v", limit, len(steps), next, err)
			}
			rest, next, err := s.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, next, limit)
			if err != nil || len(rest) != 5 || next != "" || rest[0].Key.SourceID != "f100" {
				t.Fatalf("Ledger.ListSteps: limit %d: the second page of 105 steps must hold the last 5 (f100…) and an empty cursor, got %d steps, %q, %v", limit, len(rest), next, err)
			}
		}
	})
	t.Run("ListStepsEqualTimes", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		var want []string
		for i := range 7 {
			k := stepKey(fmt.Sprint("same-", i))
			k.Seq = 7 - i
			must(t, "Ledger.PutStep", second(s.PutStep(ctx, &cxsync.Step{Key: k, Status: cxsync.StepFailed, UpdatedAt: base})))
			want = append(want, k.SourceID)
		}
		byOne, _ := listAll(t, s, "t1", cxsync.StepFailed, 1, nil)
		byThree, _ := listAll(t, s, "t1", cxsync.StepFailed, 3, nil)
		all, _ := listAll(t, s, "t1", cxsync.StepFailed, 0, nil)
		if !slices.Equal(slices.Sorted(slices.Values(byOne)), want) || !slices.Equal(byOne, byThree) || !slices.Equal(byOne, all) {
			t.Fatalf("Ledger.ListSteps: steps with one UpdatedAt must be ordered by key, each once across pages, in one order whatever the page size:\n by 1 %v\n by 3 %v\n all  %v", byOne, byThree, all)
		}
	})
	t.Run("ListStepsWhileStepsChange", func(t *testing.T) {
		// A host pages through failed steps and retries each page before asking for the next
		// (Syncer.RetryFailed): the steps of a page leave the status, and the cursor must still
		// point after the last step returned, not at an offset into what is left.
		s := newStore(t)
		ctx := t.Context()
		var want []string
		for i := range 6 {
			k := stepKey(fmt.Sprint("f", i))
			must(t, "Ledger.PutStep", second(s.PutStep(ctx, &cxsync.Step{Key: k, Status: cxsync.StepFailed, UpdatedAt: base.Add(time.Duration(i) * time.Second)})))
			want = append(want, k.SourceID)
		}
		got, _ := listAll(t, s, "t1", cxsync.StepFailed, 2, func(page []*cxsync.Step) {
			for _, st := range page {
				st.Status, st.Err, st.UpdatedAt = cxsync.StepPending, nil, base.Add(time.Hour)
				must(t, "Ledger.PutStep (failed → pending)", second(s.PutStep(ctx, st)))
			}
		})
		if !slices.Equal(got, want) {
			t.Fatalf("Ledger.ListSteps: a cursor is a position after the last step returned: steps of earlier pages that changed status must not make later pages skip or repeat steps:\n got %v\nwant %v", got, want)
		}
	})
}

// listAll pages through ListSteps by limit and returns the source ids listed and the number of
// pages; each page is handed to visit, when not nil, before the next is asked for.
func listAll(t *testing.T, s cxsync.Ledger, tenantID string, status cxsync.StepStatus, limit int, visit func([]*cxsync.Step)) ([]string, int) {
	t.Helper()
	var got []string
	cursor, pages := "", 0
	for {
		steps, next, err := s.ListSteps(t.Context(), tenantID, cxsync.StepFilter{Status: status}, cursor, limit)
		if err != nil {
			t.Fatalf("Ledger.ListSteps: %v", err)
		}
		if limit > 0 && len(steps) > limit {
			t.Fatalf("Ledger.ListSteps must return at most limit (%d) steps, got %d", limit, len(steps))
		}
		for _, st := range steps {
			if st.Key.TenantID != tenantID || st.Status != status {
				t.Fatalf("Ledger.ListSteps(%q, %q) must list only that tenant's steps of that status, got %+v", tenantID, status, st)
			}
			got = append(got, st.Key.SourceID)
		}
		if visit != nil {
			visit(steps)
		}
		pages++
		if next == "" {
			return got, pages
		}
		if len(steps) == 0 {
			t.Fatalf("Ledger.ListSteps: a page with a next cursor must not be empty (%d pages so far, cursor %q)", pages, next)
		}
		if pages > 200 {
			t.Fatalf("Ledger.ListSteps: still a next cursor after %d pages of %d steps", pages, limit)
		}
		cursor = next
	}
}

func errOf(st *cxsync.Step) *cxsync.StepError {
	if st == nil {
		return nil
	}
	return st.Err
}

func testPersons(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	key := func(id string) cxsync.PersonKey {
		return cxsync.PersonKey{TenantID: "t1", OrgID: "org1", Module: "Contacts", Identity: id}
	}
	t.Run("PutGetReplace", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		if _, err := s.GetPerson(ctx, key("email:a@b.example")); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("PersonMap.GetPerson: an unknown key must fail wrapping sync.ErrNotFound, got %v", err)
		}
		link := func() *cxsync.PersonLink {
			return &cxsync.PersonLink{Module: "Contacts", RecordID: "7", AccountID: "9", Values: map[string]string{"Email": `"a@b.example"`, "Last_Name": `"Doe"`}, UpdatedAt: base}
		}
		same := func(got, want *cxsync.PersonLink) bool {
			if got == nil || !sameTime(got.UpdatedAt, want.UpdatedAt) {
				return false
			}
			x, y := *got, *want
			x.UpdatedAt, y.UpdatedAt = time.Time{}, time.Time{}
			if len(x.Values) == 0 && len(y.Values) == 0 {
				x.Values, y.Values = nil, nil
			}
			return reflect.DeepEqual(x, y)
		}
		given := link()
		must(t, "PersonMap.PutPerson", s.PutPerson(ctx, key("email:a@b.example"), given))
		given.Values["Email"], given.RecordID = "changed", "changed"
		got, err := s.GetPerson(ctx, key("email:a@b.example"))
		if err != nil || !same(got, link()) {
			t.Fatalf("PersonMap.GetPerson must return every field of the link put (and PutPerson keep no reference to it):\n got %+v, %v\nwant %+v", got, err, link())
		}
		got.Values["Email"] = "changed by the caller"
		if again, err := s.GetPerson(ctx, key("email:a@b.example")); err != nil || !same(again, link()) {
			t.Fatalf("PersonMap.GetPerson must return a link that is the caller's: changing its values changed the store to %+v, %v", again, err)
		}
		replacement := &cxsync.PersonLink{Module: "Contacts", RecordID: "8", UpdatedAt: base.Add(time.Minute)}
		must(t, "PersonMap.PutPerson", s.PutPerson(ctx, key("email:a@b.example"), replacement))
		if got, err := s.GetPerson(ctx, key("email:a@b.example")); err != nil || !same(got, replacement) {
			t.Fatalf("PersonMap.PutPerson must replace the link (no values or account left from before), got %+v, %v", got, err)
		}
		for _, k := range []cxsync.PersonKey{key("email:other@b.example"), {TenantID: "t2", OrgID: "org1", Module: "Contacts", Identity: "email:a@b.example"},
			{TenantID: "t1", OrgID: "org2", Module: "Contacts", Identity: "email:a@b.example"}, {TenantID: "t1", OrgID: "org1", Module: "Leads", Identity: "email:a@b.example"}} {
			if _, err := s.GetPerson(ctx, k); !errors.Is(err, cxsync.ErrNotFound) {
				t.Fatalf("PersonMap: every field of a PersonKey must tell links apart: %+v must have none, got %v", k, err)
			}
		}
	})
	t.Run("DeletePerson", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		link := &cxsync.PersonLink{Module: "Contacts", RecordID: "7", UpdatedAt: base}
		for _, id := range []string{"visitor:web_chat:v1", "email:a@b.example", "phone:5550100"} {
			must(t, "PersonMap.PutPerson", s.PutPerson(ctx, key(id), link))
		}
		// The same record id elsewhere: another tenant, org or module is another record.
		kept := []cxsync.PersonKey{key("visitor:web_chat:v2"), {TenantID: "t2", OrgID: "org1", Module: "Contacts", Identity: "email:a@b.example"},
			{TenantID: "t1", OrgID: "org2", Module: "Contacts", Identity: "email:a@b.example"}, {TenantID: "t1", OrgID: "org1", Module: "Leads", Identity: "email:a@b.example"}}
		for _, k := range kept {
			l := cxsync.PersonLink{Module: k.Module, RecordID: "7", UpdatedAt: base}
			if k.Identity == "visitor:web_chat:v2" {
				l.RecordID = "8"
			}
			must(t, "PersonMap.PutPerson", s.PutPerson(ctx, k, &l))
		}
		if err := s.DeletePerson(ctx, "t1", "org1", "Contacts", "7"); err != nil {
			t.Fatalf("PersonMap.DeletePerson: %v", err)
		}
		for _, id := range []string{"visitor:web_chat:v1", "email:a@b.example", "phone:5550100"} {
			if _, err := s.GetPerson(ctx, key(id)); !errors.Is(err, cxsync.ErrNotFound) {
				t.Fatalf("PersonMap.DeletePerson must delete every key whose link names the record, %s remains: %v", id, err)
			}
		}
		for _, k := range kept {
			if _, err := s.GetPerson(ctx, k); err != nil {
				t.Fatalf("PersonMap.DeletePerson must delete only links naming that record in that tenant, org and module; %+v is gone: %v", k, err)
			}
		}
		if err := s.DeletePerson(ctx, "t1", "org1", "Contacts", "7"); err != nil {
			t.Fatalf("PersonMap.DeletePerson: deleting what does not exist must not fail, got %v", err)
		}
	})
}

func testLocker(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	t.Run("Lease", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		releaseA, err := s.AcquireLock(ctx, "chat|c1", "a", time.Minute, base)
		if err != nil {
			t.Fatalf("Locker.AcquireLock of a free lock: %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c1", "b", time.Minute, base.Add(time.Minute-time.Millisecond)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker.AcquireLock: a lock another owner holds (1ms before its lease ends) must fail wrapping sync.ErrLockHeld, got %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c1", "a", time.Minute, base.Add(30*time.Second)); err != nil {
			t.Fatalf("Locker.AcquireLock by the owner must extend the lock, got %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c1", "b", time.Minute, base.Add(90*time.Second-time.Millisecond)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker.AcquireLock: an extended lock must be held until its new lease ends (1ms before), got %v", err)
		}
		if r, err := s.AcquireLock(ctx, "chat|c2", "b", time.Minute, base); err != nil {
			t.Fatalf("Locker.AcquireLock: locks must be per key, got %v", err)
		} else {
			must(t, "Locker release", r(ctx))
		}
		releaseB, err := s.AcquireLock(ctx, "chat|c1", "b", time.Minute, base.Add(90*time.Second+time.Millisecond))
		if err != nil {
			t.Fatalf("Locker.AcquireLock: a lock whose lease ended (1ms after) must be taken by another owner, got %v", err)
		}
		if err := releaseA(ctx); err != nil {
			t.Fatalf("Locker release: releasing a lock whose lease ended must not fail, got %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c1", "c", time.Minute, base.Add(92*time.Second)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker release: the old owner's release must not release the new owner's lock, got %v", err)
		}
		if err := releaseB(ctx); err != nil {
			t.Fatalf("Locker release: %v", err)
		}
		if r, err := s.AcquireLock(ctx, "chat|c1", "c", time.Minute, base.Add(93*time.Second)); err != nil {
			t.Fatalf("Locker release must give the lock up: another owner must take it at once, got %v", err)
		} else if err := releaseB(ctx); err != nil {
			t.Fatalf("Locker release: releasing twice must not fail, got %v", err)
		} else if _, err := s.AcquireLock(ctx, "chat|c1", "d", time.Minute, base.Add(94*time.Second)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker release: releasing twice must not release the next owner's lock, got %v", err)
		} else {
			must(t, "Locker release", r(ctx))
		}
	})
	t.Run("Renew", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		releaseA, err := s.AcquireLock(ctx, "chat|c1", "a", time.Minute, base)
		if err != nil {
			t.Fatalf("Locker.AcquireLock of a free lock: %v", err)
		}
		if err := s.RenewLock(ctx, "chat|c1", "a", time.Minute, base.Add(30*time.Second)); err != nil {
			t.Fatalf("Locker.RenewLock by the owner must extend the lock, got %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c1", "b", time.Minute, base.Add(90*time.Second-time.Millisecond)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker.RenewLock: a renewed lock must be held until its new lease ends (1ms before), got %v", err)
		}
		// The lease passed and nobody took the lock: still the owner's.
		if err := s.RenewLock(ctx, "chat|c1", "a", time.Minute, base.Add(5*time.Minute)); err != nil {
			t.Fatalf("Locker.RenewLock: a lock whose lease passed but which no other owner took must still be renewed by its owner, got %v", err)
		}
		if err := releaseA(ctx); err != nil {
			t.Fatalf("Locker release of a renewed lock: %v", err)
		}
		if r, err := s.AcquireLock(ctx, "chat|c1", "b", time.Minute, base.Add(5*time.Minute)); err != nil {
			t.Fatalf("Locker release: the release AcquireLock returned must give a renewed lock up, got %v", err)
		} else {
			must(t, "Locker release", r(ctx))
		}
		if err := s.RenewLock(ctx, "chat|c1", "a", time.Minute, base.Add(5*time.Minute)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker.RenewLock of a lock the owner released must fail wrapping sync.ErrLockHeld, got %v", err)
		}

		// Another owner took the lock after the lease passed: the first owner's renewal fails,
		// while the other holds it and after it gave it back.
		if _, err := s.AcquireLock(ctx, "chat|c2", "a", time.Minute, base); err != nil {
			t.Fatal(err)
		}
		releaseB, err := s.AcquireLock(ctx, "chat|c2", "b", time.Minute, base.Add(2*time.Minute))
		if err != nil {
			t.Fatalf("Locker.AcquireLock of a lock whose lease ended: %v", err)
		}
		if err := s.RenewLock(ctx, "chat|c2", "a", time.Minute, base.Add(2*time.Minute)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker.RenewLock of a lock another owner took must fail wrapping sync.ErrLockHeld, got %v", err)
		}
		must(t, "Locker release", releaseB(ctx))
		if err := s.RenewLock(ctx, "chat|c2", "a", time.Minute, base.Add(2*time.Minute)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker.RenewLock of a lock another owner took and gave back must fail wrapping sync.ErrLockHeld (the store fences the lease, not the owner's clock), got %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c2", "c", time.Minute, base.Add(2*time.Minute)); err != nil {
			t.Fatalf("Locker.RenewLock: a failed renewal must change nothing (the free lock taken at once), got %v", err)
		}
		if err := s.RenewLock(ctx, "chat|c3", "a", time.Minute, base); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker.RenewLock of a lock never taken must fail wrapping sync.ErrLockHeld, got %v", err)
		}
	})
	t.Run("ConcurrentOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		oneWins(t, "Locker.AcquireLock", "by different owners of one free lock", cxsync.ErrLockHeld, func(i int) error {
			return second(s.AcquireLock(ctx, "person|email:a@b.example", fmt.Sprint("owner-", i), time.Minute, base))
		})
		oneWins(t, "Locker.AcquireLock", "by different owners of one lock whose lease ended", cxsync.ErrLockHeld, func(i int) error {
			return second(s.AcquireLock(ctx, "person|email:a@b.example", fmt.Sprint("late-", i), time.Minute, base.Add(2*time.Minute)))
		})
	})
}

// testTimes checks that every stored time comes back in UTC, as the instant given, with at least
// millisecond precision, whatever zone it was given in.
func testTimes(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	s := newStore(t)
	ctx := t.Context()
	given := base.Add(456_789 * time.Nanosecond).In(ist) // sub-millisecond, in another zone
	ok := func(got time.Time) bool {
		d := got.Sub(given)
		return got.Location() == time.UTC && d > -time.Millisecond && d < time.Millisecond
	}
	const rule = "times must come back in UTC as the instant given (to the millisecond at least)"
	c := &cxsync.Connection{TenantID: "t1", OrgID: "org1", ConnectedAt: given, Health: cxsync.Health{LastErrorAt: given}}
	must(t, "ConnectionStore.PutConnection", second(s.PutConnection(ctx, c)))
	if got, err := s.GetConnection(ctx, "t1"); err != nil || !ok(got.ConnectedAt) || !ok(got.Health.LastErrorAt) || !got.Health.PausedUntil.IsZero() {
		t.Fatalf("ConnectionStore.GetConnection: %s, and a zero time zero; gave %v, %v, %v (%v) for %v, %v, zero", rule, got.ConnectedAt, got.Health.LastErrorAt, got.Health.PausedUntil, err, given, given)
	}
	st := &cxsync.Step{Key: stepKey("c1"), Status: cxsync.StepDone, UpdatedAt: given}
	must(t, "Ledger.PutStep", second(s.PutStep(ctx, st)))
	if got, err := s.GetStep(ctx, st.Key); err != nil || !ok(got.UpdatedAt) {
		t.Fatalf("Ledger.GetStep: %s; gave %v (%v) for %v", rule, got.UpdatedAt, err, given)
	}
	pk := cxsync.PersonKey{TenantID: "t1", OrgID: "org1", Module: "Leads", Identity: "visitor:web_chat:v1"}
	must(t, "PersonMap.PutPerson", s.PutPerson(ctx, pk, &cxsync.PersonLink{Module: "Leads", RecordID: "1", UpdatedAt: given}))
	if got, err := s.GetPerson(ctx, pk); err != nil || !ok(got.UpdatedAt) {
		t.Fatalf("PersonMap.GetPerson: %s; gave %v (%v) for %v", rule, got.UpdatedAt, err, given)
	}
	must(t, "ConnectStateStore.PutConnectState", s.PutConnectState(ctx, &cxsync.ConnectState{ID: "s1", TenantID: "t1", ExpiresAt: given}))
	if got, err := s.TakeConnectState(ctx, "s1", given.Add(-time.Second).UTC()); err != nil || !ok(got.ExpiresAt) {
		t.Fatalf("ConnectStateStore.TakeConnectState: %s; gave %+v, %v for %v", rule, got, err, given)
	}
	must(t, "ConnectStateStore.PutConnectState", s.PutConnectState(ctx, &cxsync.ConnectState{ID: "s2", TenantID: "t1", ExpiresAt: given}))
	if _, err := s.TakeConnectState(ctx, "s2", given.Add(time.Second).UTC()); !errors.Is(err, cxsync.ErrNotFound) {
		t.Fatalf("ConnectStateStore.TakeConnectState: an ExpiresAt given in another zone must expire at its instant, not its wall clock, got %v", err)
	}
	// A lock taken with now in one zone is judged by instants in another.
	if _, err := s.AcquireLock(ctx, "k", "a", time.Minute, given); err != nil {
		t.Fatalf("Locker.AcquireLock: %v", err)
	}
	if _, err := s.AcquireLock(ctx, "k", "b", time.Minute, given.Add(30*time.Second).UTC()); !errors.Is(err, cxsync.ErrLockHeld) {
		t.Fatalf("Locker.AcquireLock: a lease taken with now in another zone must end at its instant, not its wall clock (held 30s later), got %v", err)
	}
	if _, err := s.AcquireLock(ctx, "k", "b", time.Minute, given.Add(61*time.Second).UTC()); err != nil {
		t.Fatalf("Locker.AcquireLock: a lease taken with now in another zone must end at its instant, not its wall clock (free 61s later), got %v", err)
	}
}

// testKeys checks that keys are opaque: up to 255 bytes of UTF-8, compared byte for byte (no
// case folding, trimming or Unicode normalisation), and never joined so that two keys collide.
func testKeys(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	s := newStore(t)
	ctx := t.Context()
	long := strings.Repeat("é", 127) + "x" // 255 bytes
	tenants := []string{"t1", "T1", "t1 ", " t1", "é", "e\u0301", long, long[:254] + "y"}
	for i, id := range tenants {
		must(t, "TokenStore.SaveToken", second(s.SaveToken(ctx, id, &zoho.Token{RefreshToken: fmt.Sprint("r", i)}, 0)))
		must(t, "ConnectionStore.PutConnection", second(s.PutConnection(ctx, &cxsync.Connection{TenantID: id, OrgID: fmt.Sprint("org", i)})))
		must(t, "SettingsStore.PutSettings", s.PutSettings(ctx, id, []byte(fmt.Sprintf(`{"n":%d}`, i))))
		must(t, "ConnectStateStore.PutConnectState", s.PutConnectState(ctx, &cxsync.ConnectState{ID: id, TenantID: fmt.Sprint(i), ExpiresAt: base.Add(time.Hour)}))
		if _, err := s.AcquireLock(ctx, id, fmt.Sprint("owner", i), time.Minute, base); err != nil {
			t.Fatalf("Locker.AcquireLock(%q): keys are opaque: each of %q is its own lock, got %v", id, tenants, err)
		}
	}
	for i, id := range tenants {
		if tok, _, err := s.LoadToken(ctx, id); err != nil || tok.RefreshToken != fmt.Sprint("r", i) {
			t.Fatalf("TokenStore.LoadToken(%q): keys are opaque, up to 255 bytes, compared byte for byte: got %+v, %v", id, tok, err)
		}
		if c, err := s.GetConnection(ctx, id); err != nil || c.TenantID != id || c.OrgID != fmt.Sprint("org", i) {
			t.Fatalf("ConnectionStore.GetConnection(%q): tenant ids are opaque, up to 255 bytes, compared byte for byte: got %+v, %v", id, c, err)
		}
		if doc, err := s.GetSettings(ctx, id); err != nil || string(doc) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("SettingsStore.GetSettings(%q): tenant ids are opaque, up to 255 bytes, compared byte for byte: got %s, %v", id, doc, err)
		}
		if st, err := s.TakeConnectState(ctx, id, base); err != nil || st.ID != id || st.TenantID != fmt.Sprint(i) {
			t.Fatalf("ConnectStateStore.TakeConnectState(%q): ids are opaque, up to 255 bytes, compared byte for byte: got %+v, %v", id, st, err)
		}
	}
	// Fields that a store might join into one key: moving a separator from one field to the next
	// must make another key.
	var steps []cxsync.StepKey
	var people []cxsync.PersonKey
	for _, sep := range []string{"|", ":", "/", "\\", ",", " ", "\t", "\x1f", `"`, "'", "%", "_", "é"} {
		steps = append(steps,
			cxsync.StepKey{TenantID: "t" + sep + "o", OrgID: "x", Section: cloudcx.SectionWebChat, SourceID: "s", Kind: cxsync.StepRecord},
			cxsync.StepKey{TenantID: "t", OrgID: "o" + sep + "x", Section: cloudcx.SectionWebChat, SourceID: "s", Kind: cxsync.StepRecord},
			cxsync.StepKey{TenantID: "t", OrgID: "o", Section: cloudcx.SectionWebChat, SourceID: "s" + sep + "record", Kind: cxsync.StepAttachment},
			cxsync.StepKey{TenantID: "t", OrgID: "o", Section: cloudcx.SectionWebChat, SourceID: "s", Kind: cxsync.StepAttachment, Name: "a" + sep + "1"},
		)
		people = append(people,
			cxsync.PersonKey{TenantID: "t" + sep + "o", OrgID: "x", Module: "Leads", Identity: "email:a"},
			cxsync.PersonKey{TenantID: "t", OrgID: "o" + sep + "x", Module: "Leads", Identity: "email:a"},
			cxsync.PersonKey{TenantID: "t", OrgID: "o", Module: "Leads" + sep + "email", Identity: "a"},
			cxsync.PersonKey{TenantID: "t", OrgID: "o", Module: "Leads", Identity: "email" + sep + "a"},
		)
	}
	steps = append(steps, cxsync.StepKey{TenantID: long, OrgID: long, Section: cloudcx.SectionInbox, SourceID: long, Kind: cxsync.StepAttachment, Name: long, Seq: 1 << 30})
	people = append(people, cxsync.PersonKey{TenantID: long, OrgID: long, Module: long, Identity: long})
	for i, k := range steps {
		if _, err := s.PutStep(ctx, &cxsync.Step{Key: k, Status: cxsync.StepDone, RecordID: fmt.Sprint(i), UpdatedAt: base}); err != nil {
			t.Fatalf("Ledger.PutStep(%+v): a StepKey's fields are opaque and must not be joined so that keys collide, got %v", k, err)
		}
	}
	for i, k := range steps {
		if got, err := s.GetStep(ctx, k); err != nil || got.Key != k || got.RecordID != fmt.Sprint(i) {
			t.Fatalf("Ledger.GetStep(%+v): a StepKey's fields are opaque and must not be joined so that keys collide, got %+v, %v", k, got, err)
		}
	}
	for i, k := range people {
		must(t, "PersonMap.PutPerson", s.PutPerson(ctx, k, &cxsync.PersonLink{Module: "Leads", RecordID: fmt.Sprint(i), UpdatedAt: base}))
	}
	for i, k := range people {
		if got, err := s.GetPerson(ctx, k); err != nil || got.RecordID != fmt.Sprint(i) {
			t.Fatalf("PersonMap.GetPerson(%+v): a PersonKey's fields are opaque and must not be joined so that keys collide, got %+v, %v", k, got, err)
		}
	}
}

func digestsOf(st *cxsync.Step) []string {
	if st == nil {
		return nil
	}
	return st.MatchDigests
}
