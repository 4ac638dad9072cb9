package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	cxsync "github.com/cloudcx/cxzoho/sync"
)

// keyText is a step key's primary key: every field, in order, so steps differing in any field
// differ here, and the text sorts by tenant first. Keys are UTF-8 (sync.Store's convention); one
// that is not is refused, because JSON would turn each invalid byte into U+FFFD and so make keys
// that differ only there one step.
func keyText(k cxsync.StepKey) (string, error) {
	for _, f := range []string{k.TenantID, k.OrgID, string(k.Section), k.SourceID, string(k.Kind), k.Name} {
		if !utf8.ValidString(f) {
			return "", errors.New("a field of the step key is not valid UTF-8")
		}
	}
	b, err := json.Marshal([]any{k.TenantID, k.OrgID, k.Section, k.SourceID, k.Kind, k.Name, k.Seq})
	return string(b), err
}

// GetStep implements sync.Ledger.
func (s *Store) GetStep(ctx context.Context, k cxsync.StepKey) (*cxsync.Step, error) {
	kt, err := keyText(k)
	if err != nil {
		return nil, wrap("get step", err)
	}
	var doc string
	var version int64
	err = s.queryRow(ctx, `SELECT doc, version FROM cx_steps WHERE key_text = ?`, []any{kt}, &doc, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlstore: step: %w", cxsync.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get step", err)
	}
	return decodeStep(doc, version)
}

func decodeStep(doc string, version int64) (*cxsync.Step, error) {
	var st cxsync.Step
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return nil, wrap("decode step", err)
	}
	st.Version = version
	return &st, nil
}

// PutStep implements sync.Ledger.
func (s *Store) PutStep(ctx context.Context, st *cxsync.Step) (int64, error) {
	if st == nil {
		return 0, errors.New("sqlstore: PutStep: nil step")
	}
	kt, err := keyText(st.Key)
	if err != nil {
		return 0, wrap("put step", err)
	}
	n := *st
	n.UpdatedAt, n.Version = n.UpdatedAt.UTC(), 0
	doc, err := json.Marshal(&n)
	if err != nil {
		return 0, wrap("put step", err)
	}
	var rows int64
	if st.Version == 0 {
		rows, err = s.exec(ctx, `INSERT INTO cx_steps (key_text, tenant_id, status, updated_ms, doc, version) VALUES (?, ?, ?, ?, ?, 1)
			ON CONFLICT (key_text) DO NOTHING`, kt, st.Key.TenantID, string(st.Status), ms(n.UpdatedAt), string(doc))
	} else {
		rows, err = s.exec(ctx, `UPDATE cx_steps SET status = ?, updated_ms = ?, doc = ?, version = version + 1 WHERE key_text = ? AND version = ?`,
			string(st.Status), ms(n.UpdatedAt), string(doc), kt, st.Version)
	}
	if err != nil {
		return 0, wrap("put step", err)
	}
	if rows == 0 {
		return 0, fmt.Errorf("sqlstore: step: %w", cxsync.ErrConflict)
	}
	return st.Version + 1, nil
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// maxListLimit is the most steps ListSteps returns at once, whatever limit asks.
const maxListLimit = 1000

// ListSteps implements sync.Ledger. The cursor is the position of the last step returned
// (UpdatedAt and key), so steps changed meanwhile neither repeat nor hide the others. A page
// holds at most 1,000 steps; ask for the next one with the cursor.
func (s *Store) ListSteps(ctx context.Context, tenantID string, f cxsync.StepFilter, cursor string, limit int) ([]*cxsync.Step, string, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxListLimit) // limit+1 below must not overflow
	afterMS, afterKey := int64(-1<<62), ""
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		at, key, ok := strings.Cut(string(raw), "\x00")
		if err != nil || !ok {
			return nil, "", errors.New("sqlstore: ListSteps: bad cursor")
		}
		if afterMS, err = strconv.ParseInt(at, 10, 64); err != nil {
			return nil, "", errors.New("sqlstore: ListSteps: bad cursor")
		}
		afterKey = key
	}
	sinceMS := int64(-1 << 62)
	if !f.Since.IsZero() {
		sinceMS = ms(f.Since)
	}
	// The kind is an element of the key's JSON array, between quotes no string inside an element
	// can hold unescaped: a LIKE on it leaves out the other kinds (it may keep a step whose
	// section or source is that word, or, on SQLite, in another case: those are left out here).
	kindLike := "%"
	if f.Kind != "" {
		q, err := json.Marshal(string(f.Kind))
		if err != nil {
			return nil, "", wrap("list steps", err)
		}
		kindLike = "%," + likeEscaper.Replace(string(q)) + ",%"
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT doc, version, updated_ms, key_text FROM cx_steps
		WHERE tenant_id = ? AND status = ? AND updated_ms >= ? AND key_text LIKE ? ESCAPE '\' AND (updated_ms > ? OR (updated_ms = ? AND key_text > ?))
		ORDER BY updated_ms, key_text LIMIT ?`), tenantID, string(f.Status), sinceMS, kindLike, afterMS, afterMS, afterKey, limit+1)
	if err != nil {
		return nil, "", wrap("list steps", err)
	}
	defer rows.Close()
	var out []*cxsync.Step
	var lastMS int64
	var lastKey string
	read := 0
	for rows.Next() {
		read++
		var doc, kt string
		var version, at int64
		if err := rows.Scan(&doc, &version, &at, &kt); err != nil {
			return nil, "", wrap("list steps", err)
		}
		if len(out) == limit {
			next := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(lastMS, 10) + "\x00" + lastKey))
			return out, next, wrap2("list steps", rows.Err())
		}
		st, err := decodeStep(doc, version)
		if err != nil {
			return nil, "", err
		}
		lastMS, lastKey = at, kt
		if f.Kind != "" && st.Key.Kind != f.Kind {
			continue
		}
		out = append(out, st)
	}
	if read == limit+1 { // a step of another kind was left out of a full page: more may follow
		return out, base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(lastMS, 10) + "\x00" + lastKey)), wrap2("list steps", rows.Err())
	}
	return out, "", wrap2("list steps", rows.Err())
}

// GetPerson implements sync.PersonMap.
func (s *Store) GetPerson(ctx context.Context, k cxsync.PersonKey) (*cxsync.PersonLink, error) {
	var doc string
	err := s.queryRow(ctx, `SELECT doc FROM cx_persons WHERE tenant_id = ? AND org_id = ? AND module = ? AND identity = ?`,
		[]any{k.TenantID, k.OrgID, k.Module, k.Identity}, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlstore: person: %w", cxsync.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get person", err)
	}
	var l cxsync.PersonLink
	if err := json.Unmarshal([]byte(doc), &l); err != nil {
		return nil, wrap("get person", err)
	}
	return &l, nil
}

// PutPerson implements sync.PersonMap.
func (s *Store) PutPerson(ctx context.Context, k cxsync.PersonKey, l *cxsync.PersonLink) error {
	if l == nil {
		return errors.New("sqlstore: PutPerson: nil link")
	}
	n := *l
	n.UpdatedAt = n.UpdatedAt.UTC()
	doc, err := json.Marshal(&n)
	if err != nil {
		return wrap("put person", err)
	}
	_, err = s.exec(ctx, `INSERT INTO cx_persons (tenant_id, org_id, module, identity, link_module, record_id, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, org_id, module, identity) DO UPDATE SET link_module = excluded.link_module, record_id = excluded.record_id, doc = excluded.doc`,
		k.TenantID, k.OrgID, k.Module, k.Identity, l.Module, l.RecordID, string(doc))
	return wrap2("put person", err)
}

// DeletePerson implements sync.PersonMap.
func (s *Store) DeletePerson(ctx context.Context, tenantID, orgID, module, recordID string) error {
	_, err := s.exec(ctx, `DELETE FROM cx_persons WHERE tenant_id = ? AND org_id = ? AND link_module = ? AND record_id = ?`, tenantID, orgID, module, recordID)
	return wrap2("delete person", err)
}

// RenewLock implements sync.Locker: one update of the row while owner's (its grant, and the
// release AcquireLock returned, stay).
func (s *Store) RenewLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) error {
	n, err := s.exec(ctx, `UPDATE cx_locks SET until_ms = ? WHERE key = ? AND owner = ?`, msCeil(now.Add(ttl)), key, owner)
	if err != nil {
		return wrap("renew lock", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: lock %q: no longer %q's: %w", key, owner, cxsync.ErrLockHeld)
	}
	return nil
}

// AcquireLock implements sync.Locker: one upsert that takes the row when it is free, expired, or
// the owner's already; each grant has its own id, so a release after the lock passed to another
// owner (or was extended) changes nothing.
func (s *Store) AcquireLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) (func(context.Context) error, error) {
	if owner == "" {
		return nil, errors.New("sqlstore: AcquireLock: an owner is required")
	}
	grant := randomToken()
	n, err := s.exec(ctx, `INSERT INTO cx_locks (key, owner, grant_id, until_ms) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, grant_id = excluded.grant_id, until_ms = excluded.until_ms
		WHERE cx_locks.owner = excluded.owner OR cx_locks.until_ms <= ?`, key, owner, grant, msCeil(now.Add(ttl)), ms(now))
	if err != nil {
		return nil, wrap("acquire lock", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("sqlstore: lock %q: %w", key, cxsync.ErrLockHeld)
	}
	return func(ctx context.Context) error {
		_, err := s.exec(context.WithoutCancel(ctx), `DELETE FROM cx_locks WHERE key = ? AND grant_id = ?`, key, grant)
		return wrap2("release lock", err)
	}, nil
}
