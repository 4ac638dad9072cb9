package sqlstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/sqlstore"
	"github.com/cloudcx/cxzoho/zoho"
)

// eachDialect runs f on a fresh store of each dialect (PostgreSQL as postgresDSN allows).
func eachDialect(t *testing.T, f func(t *testing.T, newStore func(opts ...sqlstore.Option) *sqlstore.Store)) {
	t.Run("SQLite", func(t *testing.T) {
		f(t, func(opts ...sqlstore.Option) *sqlstore.Store {
			return migrated(t, openSQLite(t, ""), sqlstore.SQLite, opts...)
		})
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		postgresDSN(t)
		f(t, func(opts ...sqlstore.Option) *sqlstore.Store {
			return migrated(t, openPostgres(t), sqlstore.PostgreSQL, opts...)
		})
	})
}

// Step keys are UTF-8 (sync.Store's convention). Bytes that are not must not make two keys one
// step: a chat whose id differs from another's only there would be taken for it, and its Case
// never written. The store refuses such a key instead.
func TestStepKeysThatAreNotUTF8AreRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, newStore func(...sqlstore.Option) *sqlstore.Store) {
		s, ctx := newStore(), t.Context()
		base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		key := func(src string) cxsync.StepKey {
			return cxsync.StepKey{TenantID: "t1", OrgID: "org1", Section: cloudcx.SectionWebChat, SourceID: src, Kind: cxsync.StepRecord}
		}
		// U+FFFD itself is UTF-8, and a key of its own.
		if _, err := s.PutStep(ctx, &cxsync.Step{Key: key("c\uFFFD"), Status: cxsync.StepDone, RecordID: "1", UpdatedAt: base}); err != nil {
			t.Fatal(err)
		}
		for _, src := range []string{"c\xff", "c\xfe"} {
			if _, err := s.PutStep(ctx, &cxsync.Step{Key: key(src), Status: cxsync.StepDone, RecordID: "2", UpdatedAt: base}); err == nil || errors.Is(err, cxsync.ErrConflict) {
				t.Fatalf("PutStep of a key with invalid UTF-8 %q: %v; want it refused (not stored, not a conflict with another key)", src, err)
			}
			if got, err := s.GetStep(ctx, key(src)); err == nil || errors.Is(err, cxsync.ErrNotFound) {
				t.Fatalf("GetStep of a key with invalid UTF-8 %q: %+v, %v; want it refused", src, got, err)
			}
		}
		if got, err := s.GetStep(ctx, key("c\uFFFD")); err != nil || got.RecordID != "1" {
			t.Fatalf("the U+FFFD key's step: %+v, %v", got, err)
		}
	})
}

// Lease ends are kept to the millisecond, rounded so that a lock or lease is never handed to
// another holder before it ends: one that ends at .9 ms is still held at .5 ms of that
// millisecond (at worst it is held up to a millisecond longer).
func TestLeasesNeverEndEarly(t *testing.T) {
	eachDialect(t, func(t *testing.T, newStore func(...sqlstore.Option) *sqlstore.Store) {
		ctx := t.Context()
		base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		t.Run("Locker", func(t *testing.T) {
			s := newStore()
			if _, err := s.AcquireLock(ctx, "L", "a", time.Minute, base.Add(900*time.Microsecond)); err != nil {
				t.Fatal(err)
			}
			// a's lease ends at base+1m+0.9ms.
			if _, err := s.AcquireLock(ctx, "L", "b", time.Minute, base.Add(time.Minute+500*time.Microsecond)); !errors.Is(err, cxsync.ErrLockHeld) {
				t.Fatalf("AcquireLock 0.4 ms before another owner's lease ends: %v; want ErrLockHeld", err)
			}
			if _, err := s.AcquireLock(ctx, "L", "b", time.Minute, base.Add(time.Minute+time.Millisecond)); err != nil {
				t.Fatalf("AcquireLock once the lease ended: %v", err)
			}
		})
		t.Run("TokenLeaser", func(t *testing.T) {
			clk := &clock{now: base.Add(900 * time.Microsecond)}
			s := newStore(sqlstore.WithClock(clk.Now))
			if _, err := s.AcquireTokenLease(ctx, "t1", time.Minute); err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Minute - 400*time.Microsecond)
			if _, err := s.AcquireTokenLease(ctx, "t1", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
				t.Fatalf("AcquireTokenLease 0.4 ms before the lease ends: %v; want ErrLeaseHeld", err)
			}
			clk.Add(500 * time.Microsecond)
			if _, err := s.AcquireTokenLease(ctx, "t1", time.Minute); err != nil {
				t.Fatalf("AcquireTokenLease once the lease ended: %v", err)
			}
		})
	})
}
