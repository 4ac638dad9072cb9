package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/sqlstore"
	"github.com/cloudcx/cxzoho/sync/storetest"
)

// openSQLite opens a fresh SQLite file as a host would: WAL and a busy timeout, so that
// concurrent writers wait for each other.
func openSQLite(t testing.TB, path string) *sql.DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "cx.db")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var schemaSeq atomic.Int64

// postgresDSN returns the test database, or skips (fails when CI is set: CI never skips the
// real database silently).
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("CXZOHO_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but CXZOHO_TEST_POSTGRES_DSN is not set: CI must run the PostgreSQL tests (.ci/run starts a server)")
		}
		t.Skip("CXZOHO_TEST_POSTGRES_DSN is not set: PostgreSQL tests skipped (README: PostgreSQL tests)")
	}
	return dsn
}

// openPostgres returns a pool on a fresh schema of the test database, dropped at the end.
func openPostgres(t testing.TB) *sql.DB {
	t.Helper()
	db, _ := openPostgresNamed(t)
	return db
}

// openPostgresNamed is openPostgres, and the name of the schema made for the test.
func openPostgresNamed(t testing.TB) (*sql.DB, string) {
	t.Helper()
	dsn := postgresDSN(t)
	schema := fmt.Sprintf("cx_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	return openPostgresSchema(t, dsn, schema), schema
}

func openPostgresSchema(t testing.TB, dsn, schema string) *sql.DB {
	t.Helper()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := sql.Open("pgx", dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func migrated(t testing.TB, db *sql.DB, d sqlstore.Dialect, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(db, d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// The conformance suite, token leases measured by a clock the suite drives.
func TestConformanceSQLite(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	storetest.Run(t, func(t *testing.T) cxsync.Store {
		return migrated(t, openSQLite(t, ""), sqlstore.SQLite, sqlstore.WithClock(clock.Now))
	}, storetest.WithClock(clock))
}

func TestConformancePostgreSQL(t *testing.T) {
	postgresDSN(t)
	clock := storetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	storetest.Run(t, func(t *testing.T) cxsync.Store {
		return migrated(t, openPostgres(t), sqlstore.PostgreSQL, sqlstore.WithClock(clock.Now))
	}, storetest.WithClock(clock))
}

// Migrate is idempotent and safe when several processes run it at once.
func TestMigrateConcurrently(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) []*sql.DB
		d    sqlstore.Dialect
	}{
		{"SQLite", func(t *testing.T) []*sql.DB {
			path := filepath.Join(t.TempDir(), "shared.db")
			// The file is made, and put in WAL mode, once before the processes start, as the
			// package doc asks: SQLite itself answers SQLITE_BUSY, without waiting, to connections
			// that switch a brand-new file to WAL at the same moment (not Migrate's doing).
			if err := openSQLite(t, path).Ping(); err != nil {
				t.Fatal(err)
			}
			var dbs []*sql.DB
			for range 4 {
				dbs = append(dbs, openSQLite(t, path))
			}
			return dbs
		}, sqlstore.SQLite},
		{"PostgreSQL", func(t *testing.T) []*sql.DB {
			first := openPostgres(t)
			var schema string
			if err := first.QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
				t.Fatal(err)
			}
			dbs := []*sql.DB{first}
			for range 3 {
				dbs = append(dbs, openPostgresSchema(t, postgresDSN(t), schema))
			}
			return dbs
		}, sqlstore.PostgreSQL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.d == sqlstore.PostgreSQL {
				postgresDSN(t)
			}
			dbs := tc.open(t)
			var wg sync.WaitGroup
			errs := make(chan error, len(dbs)*2)
			for _, db := range dbs {
				for range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						s, _ := sqlstore.New(db, tc.d)
						errs <- s.Migrate(context.Background())
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("concurrent Migrate: %v", err)
				}
			}
			var n int
			if err := dbs[0].QueryRow("SELECT COUNT(*) FROM cx_schema_migrations").Scan(&n); err != nil || n != sqlstore.SchemaVersion {
				t.Fatalf("%d migration rows, %v; want %d", n, err, sqlstore.SchemaVersion)
			}
		})
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	if _, err := sqlstore.New(nil, sqlstore.SQLite); err == nil {
		t.Error("nil db accepted")
	}
	if _, err := sqlstore.New(openSQLite(t, ""), 0); err == nil {
		t.Error("zero dialect accepted")
	}
	// A schema newer than the package is refused.
	db := openSQLite(t, "")
	s := migrated(t, db, sqlstore.SQLite)
	if _, err := db.Exec("INSERT INTO cx_schema_migrations (version, applied_ms) VALUES (99, 0)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err == nil || !strings.Contains(err.Error(), "upgrade the SDK") {
		t.Fatalf("Migrate on a newer schema: %v", err)
	}
}
