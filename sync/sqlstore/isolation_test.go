package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/sqlstore"
	"github.com/cloudcx/cxzoho/sync/storetest"
	"github.com/cloudcx/cxzoho/zoho"
)

// openSerializable returns a pool on a fresh schema whose sessions default to SERIALIZABLE (as
// a host's database may be configured: ALTER DATABASE … SET default_transaction_isolation), and a
// second pool on the same schema with PostgreSQL's default, READ COMMITTED.
func openSerializable(t *testing.T) (serializable, readCommitted *sql.DB) {
	t.Helper()
	readCommitted = openPostgres(t)
	var schema string
	if err := readCommitted.QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	serializable = openPostgresSchema(t, postgresDSN(t)+dsnSep(postgresDSN(t))+"default_transaction_isolation=serializable", schema)
	var iso string
	if err := serializable.QueryRow("SHOW transaction_isolation").Scan(&iso); err != nil || iso != "serializable" {
		t.Fatalf("the pool's isolation is %q, %v; want serializable", iso, err)
	}
	return serializable, readCommitted
}

func dsnSep(dsn string) string {
	for i := range len(dsn) {
		if dsn[i] == '?' {
			return "&"
		}
	}
	return "?"
}

// behind runs stmt in a transaction on db, starts op, and commits the transaction only once op's
// statement waits for it: op's statement began before the commit, so under REPEATABLE READ or
// SERIALIZABLE PostgreSQL fails it with a serialization failure (SQLSTATE 40001).
func behind(t *testing.T, db *sql.DB, stmt string, op func() error) error {
	t.Helper()
	ctx := t.Context()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		_ = tx.Rollback()
		t.Fatalf("%s: %v", stmt, err)
	}
	var pid int
	if err := tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- op() }()
	for {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		select {
		case err := <-done:
			_ = tx.Rollback()
			t.Fatalf("the operation did not wait for the other transaction (it returned %v)", err)
		case <-time.After(time.Millisecond):
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return <-done
}

// A database whose default isolation is SERIALIZABLE (or REPEATABLE READ) fails a statement that
// waited for a concurrent write with a serialization failure. The store must still keep its
// contract: a lost compare-and-swap is ErrConflict, a held lock ErrLockHeld, a taken state
// ErrNotFound, and a write that only replaces succeeds.
func TestPostgreSQLSerializableDefault(t *testing.T) {
	postgresDSN(t)
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tok := &zoho.Token{AccessToken: "a", RefreshToken: "r", Expiry: base.Add(time.Hour)}
	step := func(v int64) *cxsync.Step {
		return &cxsync.Step{Key: cxsync.StepKey{TenantID: "t1", OrgID: "org1", Section: cloudcx.SectionWebChat, SourceID: "c1", Kind: cxsync.StepRecord}, Status: cxsync.StepPending, UpdatedAt: base, Version: v}
	}
	var release func(context.Context) error // the lock the "Locker release" case releases
	pkey := cxsync.PersonKey{TenantID: "t1", OrgID: "org1", Module: "Contacts", Identity: "email:a@b.example"}
	putLink := func(t *testing.T, s *sqlstore.Store, recordID string) error {
		return s.PutPerson(t.Context(), pkey, &cxsync.PersonLink{Module: "Contacts", RecordID: recordID, UpdatedAt: base})
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, s *sqlstore.Store)
		stmt  string // the concurrent write op waits for
		op    func(t *testing.T, s *sqlstore.Store) error
		want  error // nil: op must succeed
		check func(t *testing.T, s *sqlstore.Store)
	}{
		{
			name: "Locker.AcquireLock",
			setup: func(t *testing.T, s *sqlstore.Store) {
				must(t, lockErr(s.AcquireLock(t.Context(), "L", "a", time.Minute, base)))
			},
			stmt: "UPDATE cx_locks SET until_ms = until_ms + 1000",
			op: func(t *testing.T, s *sqlstore.Store) error {
				return lockErr(s.AcquireLock(t.Context(), "L", "b", time.Minute, base.Add(30*time.Second)))
			},
			want: cxsync.ErrLockHeld,
		},
		{
			name: "Locker release",
			setup: func(t *testing.T, s *sqlstore.Store) {
				var err error
				release, err = s.AcquireLock(t.Context(), "L", "a", time.Minute, base)
				must(t, err)
			},
			stmt: "UPDATE cx_locks SET until_ms = until_ms",
			op:   func(t *testing.T, s *sqlstore.Store) error { return release(t.Context()) },
			check: func(t *testing.T, s *sqlstore.Store) {
				must(t, lockErr(s.AcquireLock(t.Context(), "L", "b", time.Minute, base)))
			},
		},
		{
			name: "TokenLeaser.AcquireTokenLease",
			setup: func(t *testing.T, s *sqlstore.Store) {
				must(t, lockErr(s.AcquireTokenLease(t.Context(), "t1", time.Minute)))
			},
			stmt: "UPDATE cx_token_leases SET until_ms = until_ms + 1000",
			op: func(t *testing.T, s *sqlstore.Store) error {
				return lockErr(s.AcquireTokenLease(t.Context(), "t1", time.Minute))
			},
			want: zoho.ErrLeaseHeld,
		},
		{
			name:  "TokenStore.SaveToken",
			setup: func(t *testing.T, s *sqlstore.Store) { _, err := s.SaveToken(t.Context(), "t1", tok, 0); must(t, err) },
			stmt:  "UPDATE cx_tokens SET version = version + 1",
			op: func(t *testing.T, s *sqlstore.Store) error {
				_, err := s.SaveToken(t.Context(), "t1", tok, 1)
				return err
			},
			want: zoho.ErrVersionConflict,
		},
		{
			name:  "Ledger.PutStep",
			setup: func(t *testing.T, s *sqlstore.Store) { _, err := s.PutStep(t.Context(), step(0)); must(t, err) },
			stmt:  "UPDATE cx_steps SET version = version + 1",
			op:    func(t *testing.T, s *sqlstore.Store) error { _, err := s.PutStep(t.Context(), step(1)); return err },
			want:  cxsync.ErrConflict,
		},
		{
			name:  "ConnectStateStore.PutConnectState",
			setup: func(t *testing.T, s *sqlstore.Store) {},
			stmt:  "INSERT INTO cx_connect_states (id, doc, expires_ms) VALUES ('s1', '{}', 0)",
			op: func(t *testing.T, s *sqlstore.Store) error {
				return s.PutConnectState(t.Context(), &cxsync.ConnectState{ID: "s1", TenantID: "t1", ExpiresAt: base.Add(time.Hour)})
			},
			want: cxsync.ErrConflict,
		},
		{
			name: "ConnectStateStore.TakeConnectState",
			setup: func(t *testing.T, s *sqlstore.Store) {
				must(t, s.PutConnectState(t.Context(), &cxsync.ConnectState{ID: "s1", TenantID: "t1", ExpiresAt: base.Add(time.Hour)}))
			},
			stmt: "DELETE FROM cx_connect_states",
			op: func(t *testing.T, s *sqlstore.Store) error {
				_, err := s.TakeConnectState(t.Context(), "s1", base)
				return err
			},
			want: cxsync.ErrNotFound,
		},
		{
			name: "ConnectionStore.PutConnection",
			setup: func(t *testing.T, s *sqlstore.Store) {
				_, err := s.PutConnection(t.Context(), &cxsync.Connection{TenantID: "t1", OrgID: "org1"})
				must(t, err)
			},
			stmt: "UPDATE cx_connections SET version = version + 1",
			op: func(t *testing.T, s *sqlstore.Store) error {
				_, err := s.PutConnection(t.Context(), &cxsync.Connection{TenantID: "t1", OrgID: "org2", Version: 1})
				return err
			},
			want: cxsync.ErrConflict,
		},
		{
			name: "ConnectionStore.DeleteConnection",
			setup: func(t *testing.T, s *sqlstore.Store) {
				_, err := s.PutConnection(t.Context(), &cxsync.Connection{TenantID: "t1", OrgID: "org1"})
				must(t, err)
				_, err = s.SaveToken(t.Context(), "t1", tok, 0)
				must(t, err)
			},
			stmt: "UPDATE cx_connections SET version = version + 1",
			op:   func(t *testing.T, s *sqlstore.Store) error { return s.DeleteConnection(t.Context(), "t1") },
			check: func(t *testing.T, s *sqlstore.Store) {
				if _, err := s.GetConnection(t.Context(), "t1"); !errors.Is(err, cxsync.ErrNotFound) {
					t.Fatalf("the connection survived DeleteConnection: %v", err)
				}
			},
		},
		{
			name:  "SettingsStore.PutSettings",
			setup: func(t *testing.T, s *sqlstore.Store) { must(t, s.PutSettings(t.Context(), "t1", []byte(`{"v":1}`))) },
			stmt:  "UPDATE cx_settings SET doc = doc",
			op: func(t *testing.T, s *sqlstore.Store) error {
				return s.PutSettings(t.Context(), "t1", []byte(`{"v":2}`))
			},
			check: func(t *testing.T, s *sqlstore.Store) {
				if doc, err := s.GetSettings(t.Context(), "t1"); err != nil || string(doc) != `{"v":2}` {
					t.Fatalf("settings after PutSettings: %s, %v", doc, err)
				}
			},
		},
		{
			name:  "PersonMap.PutPerson",
			setup: func(t *testing.T, s *sqlstore.Store) { must(t, putLink(t, s, "7")) },
			stmt:  "UPDATE cx_persons SET doc = doc",
			op:    func(t *testing.T, s *sqlstore.Store) error { return putLink(t, s, "8") },
			check: func(t *testing.T, s *sqlstore.Store) {
				if l, err := s.GetPerson(t.Context(), pkey); err != nil || l.RecordID != "8" {
					t.Fatalf("person after PutPerson: %+v, %v", l, err)
				}
			},
		},
		{
			name:  "PersonMap.DeletePerson",
			setup: func(t *testing.T, s *sqlstore.Store) { must(t, putLink(t, s, "7")) },
			stmt:  "UPDATE cx_persons SET doc = doc",
			op: func(t *testing.T, s *sqlstore.Store) error {
				return s.DeletePerson(t.Context(), "t1", "org1", "Contacts", "7")
			},
			check: func(t *testing.T, s *sqlstore.Store) {
				if _, err := s.GetPerson(t.Context(), pkey); !errors.Is(err, cxsync.ErrNotFound) {
					t.Fatalf("the person survived DeletePerson: %v", err)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ser, rc := openSerializable(t)
			s := migrated(t, ser, sqlstore.PostgreSQL)
			tc.setup(t, s)
			err := behind(t, rc, tc.stmt, func() error { return tc.op(t, s) })
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("%s behind a concurrent write: %v; want success", tc.name, err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("%s behind a concurrent write: %v; want an error wrapping %v", tc.name, err, tc.want)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}

	t.Run("Conformance", func(t *testing.T) {
		clock := storetest.NewClock(base)
		storetest.Run(t, func(t *testing.T) cxsync.Store {
			ser, _ := openSerializable(t)
			return migrated(t, ser, sqlstore.PostgreSQL, sqlstore.WithClock(clock.Now))
		}, storetest.WithClock(clock))
	})

	// Two processes migrating at once queue on the advisory lock; the one that waited must see
	// what the first applied, whatever the sessions' default isolation.
	t.Run("Migrate", func(t *testing.T) {
		ser, rc := openSerializable(t)
		ctx := t.Context()
		holder, err := rc.Conn(ctx)
		must(t, err)
		defer holder.Close()
		const advisoryKey = 0x63787a6f686f // sqlstore's migration lock ("cxzoho")
		if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(advisoryKey)); err != nil {
			t.Fatal(err)
		}
		var pid int
		must(t, holder.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid))
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, _ := sqlstore.New(ser, sqlstore.PostgreSQL)
				errs <- s.Migrate(ctx)
			}()
		}
		for {
			var n int
			must(t, rc.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid).Scan(&n))
			if n >= 2 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", int64(advisoryKey)); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("Migrate behind another process's Migrate: %v", err)
			}
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lockErr keeps the error of an acquisition (its release function is dropped: the lease lapses).
func lockErr(_ func(context.Context) error, err error) error { return err }
