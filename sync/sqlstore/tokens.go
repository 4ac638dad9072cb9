package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
)

// LoadToken implements zoho.TokenStore.
func (s *Store) LoadToken(ctx context.Context, key string) (*zoho.Token, int64, error) {
	var doc string
	var version int64
	err := s.queryRow(ctx, `SELECT token, version FROM cx_tokens WHERE key = ?`, []any{key}, &doc, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("sqlstore: token %q: %w", key, zoho.ErrNoToken)
	}
	if err != nil {
		return nil, 0, wrap("load token", err)
	}
	var tok zoho.Token
	if err := json.Unmarshal([]byte(doc), &tok); err != nil {
		return nil, 0, wrap("load token", errors.New("the stored token is not valid JSON"))
	}
	return &tok, version, nil
}

// SaveToken implements zoho.TokenStore: an insert for version 0, else a conditional update.
func (s *Store) SaveToken(ctx context.Context, key string, tok *zoho.Token, version int64) (int64, error) {
	if tok == nil {
		return 0, errors.New("sqlstore: SaveToken: nil token")
	}
	doc, err := json.Marshal(tok)
	if err != nil {
		return 0, wrap("save token", err)
	}
	var n int64
	if version == 0 {
		n, err = s.exec(ctx, `INSERT INTO cx_tokens (key, token, version) VALUES (?, ?, 1) ON CONFLICT (key) DO NOTHING`, key, string(doc))
	} else {
		n, err = s.exec(ctx, `UPDATE cx_tokens SET token = ?, version = version + 1 WHERE key = ? AND version = ?`, string(doc), key, version)
	}
	if err != nil {
		return 0, wrap("save token", err)
	}
	if n == 0 {
		return 0, fmt.Errorf("sqlstore: token %q: %w", key, zoho.ErrVersionConflict)
	}
	return version + 1, nil
}

// AcquireTokenLease implements zoho.TokenLeaser: a lease row taken when free or lapsed.
func (s *Store) AcquireTokenLease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	owner, now := randomToken(), s.now()
	n, err := s.exec(ctx, `INSERT INTO cx_token_leases (key, owner, until_ms) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms
		WHERE cx_token_leases.until_ms <= ?`, key, owner, msCeil(now.Add(ttl)), ms(now))
	if err != nil {
		return nil, wrap("acquire token lease", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("sqlstore: token lease %q: %w", key, zoho.ErrLeaseHeld)
	}
	return func(ctx context.Context) error {
		_, err := s.exec(context.WithoutCancel(ctx), `DELETE FROM cx_token_leases WHERE key = ? AND owner = ?`, key, owner)
		return err
	}, nil
}

// GetConnection implements sync.ConnectionStore.
func (s *Store) GetConnection(ctx context.Context, tenantID string) (*cxsync.Connection, error) {
	var doc string
	var version int64
	err := s.queryRow(ctx, `SELECT doc, version FROM cx_connections WHERE tenant_id = ?`, []any{tenantID}, &doc, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlstore: connection %q: %w", tenantID, cxsync.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get connection", err)
	}
	var c cxsync.Connection
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return nil, wrap("get connection", err)
	}
	c.Version = version
	return &c, nil
}

// PutConnection implements sync.ConnectionStore.
func (s *Store) PutConnection(ctx context.Context, c *cxsync.Connection) (int64, error) {
	if c == nil || c.TenantID == "" {
		return 0, errors.New("sqlstore: PutConnection: a connection with a tenant id is required")
	}
	n := *c
	n.ConnectedAt, n.Health.PausedUntil, n.Health.LastErrorAt = n.ConnectedAt.UTC(), n.Health.PausedUntil.UTC(), n.Health.LastErrorAt.UTC()
	n.Version = 0
	doc, err := json.Marshal(&n)
	if err != nil {
		return 0, wrap("put connection", err)
	}
	var rows int64
	if c.Version == 0 {
		rows, err = s.exec(ctx, `INSERT INTO cx_connections (tenant_id, doc, version) VALUES (?, ?, 1) ON CONFLICT (tenant_id) DO NOTHING`, c.TenantID, string(doc))
	} else {
		rows, err = s.exec(ctx, `UPDATE cx_connections SET doc = ?, version = version + 1 WHERE tenant_id = ? AND version = ?`, string(doc), c.TenantID, c.Version)
	}
	if err != nil {
		return 0, wrap("put connection", err)
	}
	if rows == 0 {
		return 0, fmt.Errorf("sqlstore: connection %q: %w", c.TenantID, cxsync.ErrConflict)
	}
	return c.Version + 1, nil
}

// DeleteConnection implements sync.ConnectionStore: the connection, its token and the token's
// lease go in one transaction.
func (s *Store) DeleteConnection(ctx context.Context, tenantID string) error {
	return wrap2("delete connection", again(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for _, q := range []string{
			`DELETE FROM cx_connections WHERE tenant_id = ?`,
			`DELETE FROM cx_tokens WHERE key = ?`,
			`DELETE FROM cx_token_leases WHERE key = ?`,
		} {
			if _, err := tx.ExecContext(ctx, s.q(q), tenantID); err != nil {
				return err
			}
		}
		return tx.Commit()
	}))
}

func wrap2(op string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(op, err)
}

// GetSettings implements sync.SettingsStore.
func (s *Store) GetSettings(ctx context.Context, tenantID string) ([]byte, error) {
	var doc []byte
	err := s.queryRow(ctx, `SELECT doc FROM cx_settings WHERE tenant_id = ?`, []any{tenantID}, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlstore: settings %q: %w", tenantID, cxsync.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get settings", err)
	}
	return doc, nil
}

// PutSettings implements sync.SettingsStore.
func (s *Store) PutSettings(ctx context.Context, tenantID string, doc []byte) error {
	if doc == nil {
		doc = []byte{}
	}
	_, err := s.exec(ctx, `INSERT INTO cx_settings (tenant_id, doc) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET doc = excluded.doc`, tenantID, doc)
	return wrap2("put settings", err)
}

// PutConnectState implements sync.ConnectStateStore.
func (s *Store) PutConnectState(ctx context.Context, st *cxsync.ConnectState) error {
	if st == nil || st.ID == "" {
		return errors.New("sqlstore: PutConnectState: a state with an id is required")
	}
	n := *st
	n.ExpiresAt = n.ExpiresAt.UTC()
	doc, err := json.Marshal(&n)
	if err != nil {
		return wrap("put connect state", err)
	}
	rows, err := s.exec(ctx, `INSERT INTO cx_connect_states (id, doc, expires_ms) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`, st.ID, string(doc), ms(st.ExpiresAt))
	if err != nil {
		return wrap("put connect state", err)
	}
	if rows == 0 {
		return fmt.Errorf("sqlstore: connect state: %w", cxsync.ErrConflict)
	}
	return nil
}

// TakeConnectState implements sync.ConnectStateStore: one DELETE … RETURNING, so of concurrent
// takes one gets the row.
func (s *Store) TakeConnectState(ctx context.Context, id string, now time.Time) (*cxsync.ConnectState, error) {
	var doc string
	var expires int64
	err := s.queryRow(ctx, `DELETE FROM cx_connect_states WHERE id = ? RETURNING doc, expires_ms`, []any{id}, &doc, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlstore: connect state: %w", cxsync.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("take connect state", err)
	}
	if expires <= now.UnixMilli() {
		return nil, fmt.Errorf("sqlstore: connect state expired: %w", cxsync.ErrNotFound)
	}
	var st cxsync.ConnectState
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return nil, wrap("take connect state", err)
	}
	return &st, nil
}
