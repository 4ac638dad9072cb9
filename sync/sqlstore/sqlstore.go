// Package sqlstore implements sync.Store on a SQL database through database/sql, in two
// dialects: PostgreSQL and SQLite. The host passes its own *sql.DB (any driver: pgx's stdlib,
// lib/pq, modernc.org/sqlite, mattn/go-sqlite3…); sqlstore imports none.
//
//	db, _ := sql.Open("pgx", dsn)
//	store, _ := sqlstore.New(db, sqlstore.PostgreSQL)
//	if err := store.Migrate(ctx); err != nil { … } // once at start-up; safe from several processes
//	syncer, _ := sync.New(sync.Config{Store: store, …})
//
// Several replicas share one PostgreSQL database: every compare-and-swap is a conditional
// UPDATE or an INSERT … ON CONFLICT DO NOTHING, and locks and leases are rows taken the same way,
// so the database, not a process, decides who wins. Migrations are embedded, versioned and
// applied only by Migrate (under an advisory lock on PostgreSQL, in a BEGIN IMMEDIATE
// transaction on SQLite).
//
// PostgreSQL's default isolation, READ COMMITTED, is what the statements are written for. A
// database or role that defaults to REPEATABLE READ or SERIALIZABLE works too: a statement the
// server refuses with a serialization failure or a deadlock (SQLSTATE 40001, 40P01, read through
// the SQLState method of the driver's errors, as pgx's have) had no effect and is run again.
//
// SQLite is for one machine. Open it with a busy timeout and WAL so that concurrent writers wait
// instead of failing, e.g. with modernc.org/sqlite:
//
//	sql.Open("sqlite", "file:cx.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
//
// WAL mode is kept in the file. Switch a new file to it from one process before starting
// several: SQLite answers SQLITE_BUSY at once, without the busy timeout, to connections that
// switch the same brand-new file at the same moment.
//
// An in-memory SQLite database (":memory:") is a separate, empty database on each connection of
// the pool, so the tables Migrate made are missing on the others: give such a pool one
// connection (db.SetMaxOpenConns(1)), or use a file (a temporary one in tests).
//
// Keys (tenant ids, lock keys, identities…) are kept as given. PostgreSQL's TEXT cannot hold
// U+0000, so there a key containing it is refused with the server's error; and PostgreSQL indexes
// a key of at most about 2,700 bytes (sync.Store's keys are at most 255 bytes, which fit, even
// the seven fields of a step's key together).
//
// Tokens are stored as given (their JSON): encrypting them at rest is the host's choice, for
// example by wrapping the store.
//
// Times are stored as Unix milliseconds (the ends of leases and locks rounded up, so that they
// never end early); lease and lock times compare the clocks of the processes (Option WithClock,
// time.Now by default), so keep replicas' clocks in sync (NTP).
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	cxsync "github.com/cloudcx/cxzoho/sync"
)

// Dialect is the SQL database's flavour.
type Dialect int

// The dialects.
const (
	PostgreSQL Dialect = iota + 1
	SQLite
)

// String names the dialect.
func (d Dialect) String() string {
	switch d {
	case PostgreSQL:
		return "postgresql"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Store is sync.Store on a SQL database. Create it with New; it is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time
}

var _ cxsync.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock of token leases (default time.Now). Locks and connect states use the
// times sync passes.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns a Store on db. Call Migrate before first use.
func New(db *sql.DB, d Dialect, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: New: nil *sql.DB")
	}
	if d != PostgreSQL && d != SQLite {
		return nil, fmt.Errorf("sqlstore: New: unknown dialect %v (use PostgreSQL or SQLite)", d)
	}
	s := &Store{db: db, dialect: d, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// String describes the store without secrets.
func (s *Store) String() string { return "sqlstore.Store(" + s.dialect.String() + ")" }

// q rewrites ? placeholders into the dialect's ($1, $2… for PostgreSQL). Queries hold no literal
// question marks.
func (s *Store) q(query string) string {
	if s.dialect != PostgreSQL {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (n int64, err error) {
	err = again(ctx, func() error {
		res, err := s.db.ExecContext(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// queryRow runs a query of one row and scans it into dest.
func (s *Store) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	return again(ctx, func() error { return s.db.QueryRowContext(ctx, s.q(query), args...).Scan(dest...) })
}

// maxAttempts bounds again's attempts. Each serialization failure means another transaction
// committed a write to the same row, so every retry follows someone's progress.
const maxAttempts = 50

// again runs op, and runs it again while PostgreSQL refuses it with a serialization failure or
// a deadlock. These come from a database or role whose default isolation is REPEATABLE READ or
// SERIALIZABLE: a statement that waited for a concurrent write to a row then fails instead of
// reading the row anew as under READ COMMITTED. The failed statement (or transaction) had no
// effect, so running it again with a fresh snapshot gives the READ COMMITTED outcome the
// compare-and-swaps and leases are written for (a lost CAS is ErrConflict, not an error).
func again(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || attempt == maxAttempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

// retryable reports PostgreSQL's serialization_failure (SQLSTATE 40001) and deadlock_detected
// (40P01), read through the SQLState method drivers give their errors (pgx's *pgconn.PgError has
// it); sqlstore imports no driver.
func retryable(err error) bool {
	var e interface{ SQLState() string }
	if !errors.As(err, &e) {
		return false
	}
	switch e.SQLState() {
	case "40001", "40P01":
		return true
	}
	return false
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// msCeil is t in Unix milliseconds rounded up, for the end of a lease: compared with the
// rounded-down now (ms), a lease is never taken to have ended before it did (at worst it lasts
// up to a millisecond longer).
func msCeil(t time.Time) int64 {
	m := ms(t)
	if !t.IsZero() && t.After(time.UnixMilli(m)) {
		m++
	}
	return m
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func wrap(op string, err error) error { return fmt.Errorf("sqlstore: %s: %w", op, err) }
