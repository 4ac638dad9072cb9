package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migrations are the schema's versions, in order; each is applied once, in one transaction.
// Never change one that was released: add the next. "BLOB" becomes BYTEA on PostgreSQL (every
// occurrence of the word), and a version is split into statements at each ';', so keep
// semicolons out of string literals and function bodies.
var migrations = []string{
	1: `
CREATE TABLE cx_tokens (
	key TEXT PRIMARY KEY,
	token TEXT NOT NULL,
	version BIGINT NOT NULL
);
CREATE TABLE cx_token_leases (
	key TEXT PRIMARY KEY,
	owner TEXT NOT NULL,
	until_ms BIGINT NOT NULL
);
CREATE TABLE cx_connections (
	tenant_id TEXT PRIMARY KEY,
	doc TEXT NOT NULL,
	version BIGINT NOT NULL
);
CREATE TABLE cx_settings (
	tenant_id TEXT PRIMARY KEY,
	doc BLOB NOT NULL
);
CREATE TABLE cx_connect_states (
	id TEXT PRIMARY KEY,
	doc TEXT NOT NULL,
	expires_ms BIGINT NOT NULL
);
CREATE TABLE cx_steps (
	key_text TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL,
	status TEXT NOT NULL,
	updated_ms BIGINT NOT NULL,
	doc TEXT NOT NULL,
	version BIGINT NOT NULL
);
CREATE INDEX cx_steps_by_status ON cx_steps (tenant_id, status, updated_ms, key_text);
CREATE TABLE cx_persons (
	tenant_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	module TEXT NOT NULL,
	identity TEXT NOT NULL,
	link_module TEXT NOT NULL,
	record_id TEXT NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, org_id, module, identity)
);
CREATE INDEX cx_persons_by_record ON cx_persons (tenant_id, org_id, link_module, record_id);
CREATE TABLE cx_locks (
	key TEXT PRIMARY KEY,
	owner TEXT NOT NULL,
	grant_id TEXT NOT NULL,
	until_ms BIGINT NOT NULL
);
`,
}

// SchemaVersion is the newest schema version this package knows.
const SchemaVersion = 1

// advisoryKey is the PostgreSQL advisory lock Migrate holds ("cxzoho" in ASCII).
const advisoryKey = 0x63787a6f686f

// Migrate brings the schema to SchemaVersion, applying the missing versions in order, each in
// one transaction with its record in cx_schema_migrations. It is idempotent, and safe when
// several processes migrate at once: on PostgreSQL they queue on an advisory lock, on SQLite on
// the database's write lock (BEGIN IMMEDIATE). A database whose schema is newer than this
// package is an error: upgrade the SDK.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return wrap("migrate", err)
	}
	defer conn.Close()
	for v := 1; v <= SchemaVersion; v++ {
		done, err := s.migrateOne(ctx, conn, v)
		if err != nil {
			return wrap(fmt.Sprintf("migrate to version %d", v), err)
		}
		_ = done
	}
	return nil
}

// migrateOne applies version v unless it is applied already.
func (s *Store) migrateOne(ctx context.Context, conn *sql.Conn, v int) (applied bool, err error) {
	// READ COMMITTED whatever the session's default: a migrator that waited for the advisory lock
	// must see what the one before it committed (under REPEATABLE READ or SERIALIZABLE its
	// snapshot would predate the wait, and it would apply the same version again).
	begin := "BEGIN ISOLATION LEVEL READ COMMITTED"
	if s.dialect == SQLite {
		begin = "BEGIN IMMEDIATE"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if s.dialect == PostgreSQL {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(advisoryKey)); err != nil {
			return false, err
		}
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS cx_schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)`); err != nil {
		return false, err
	}
	var newest sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version) FROM cx_schema_migrations`).Scan(&newest); err != nil {
		return false, err
	}
	if newest.Int64 > SchemaVersion {
		return false, fmt.Errorf("the database's schema is version %d, newer than this SDK knows (%d): upgrade the SDK", newest.Int64, SchemaVersion)
	}
	if int(newest.Int64) >= v {
		_, err = conn.ExecContext(ctx, "COMMIT")
		return false, err
	}
	ddl := migrations[v]
	if s.dialect == PostgreSQL {
		ddl = strings.ReplaceAll(ddl, "BLOB", "BYTEA")
	}
	for _, stmt := range strings.Split(ddl, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return false, err
		}
	}
	if _, err := conn.ExecContext(ctx, s.q(`INSERT INTO cx_schema_migrations (version, applied_ms) VALUES (?, ?)`), v, ms(s.now())); err != nil {
		return false, err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err == nil, err
}
