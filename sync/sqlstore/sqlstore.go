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
// SQLite is for one machine. Open it with a busy timeout and WAL so that concurrent writers wait
// instead of failing, e.g. with modernc.org/sqlite:
//
//	sql.Open("sqlite", "file:cx.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
//
// Tokens are stored as given (their JSON): encrypting them at rest is the host's choice, for
// example by wrapping the store.
//
// Times are stored as Unix milliseconds; lease and lock times compare the clocks of the
// processes (Option WithClock, time.Now by default), so keep replicas' clocks in sync (NTP).
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

func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func wrap(op string, err error) error { return fmt.Errorf("sqlstore: %s: %w", op, err) }
