// Package tokencrypt keeps the OAuth tokens of a store encrypted at rest. Storing tokens is the
// host's store's job (sync.Store, zoho.TokenStore), and how they are protected at rest is the
// host's choice; this package offers one: a wrapper that encrypts the access and refresh tokens
// with AES-GCM under the host's keys before they reach the store, and decrypts them on load.
//
//	keys := tokencrypt.Keys{Current: "2026-12", Secrets: map[string][]byte{"2026-12": k2, "2026-06": k1}}
//	store, err := tokencrypt.WrapStore(sqlStore, keys) // a sync.Store, for sync.Config.Store
//
// Keys have ids, so they can be rotated: new writes use the current key, and tokens written under
// an older key still decrypt as long as its secret is listed (each refresh re-writes the token
// under the current key, so an old key can be dropped once every tenant refreshed). A stored
// token that is not encrypted (written before the wrapper was added) is read as it is and
// encrypted at its next save.
//
// Each value is bound to its store key (the tenant) and its field, so a ciphertext copied to
// another tenant's row or field does not decrypt. The wrapper forwards zoho.TokenLeaser, so the
// cross-replica refresh lease keeps working (a wrapper that hid it would silently lose it).
package tokencrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"context"
	"time"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
)

// prefix marks an encrypted value: "cxenc1:<key id>:<base64url(nonce || ciphertext)>".
const prefix = "cxenc1:"

// Keys are the host's encryption keys by id. Secrets are 16, 24 or 32 bytes (AES-128, -192,
// -256); Current names the one new writes use. Ids are non-empty and hold no ':'.
type Keys struct {
	Current string
	Secrets map[string][]byte
}

// String names the key ids, never the secrets.
func (k Keys) String() string {
	ids := make([]string, 0, len(k.Secrets))
	for id := range k.Secrets {
		ids = append(ids, id)
	}
	return fmt.Sprintf("tokencrypt.Keys{Current: %q, %d keys}", k.Current, len(ids))
}

// ErrUnknownKey: a stored token was encrypted under a key id the Keys do not list (a key dropped
// too early, or the wrong keys given). errors.Is works on what Load returns.
var ErrUnknownKey = errors.New("tokencrypt: the token was encrypted under a key that is not given")

// ErrDecrypt: a stored value does not decrypt (tampered with, or copied from another tenant or
// field).
var ErrDecrypt = errors.New("tokencrypt: the stored token does not decrypt")

type sealer struct {
	current string
	aeads   map[string]cipher.AEAD
}

func newSealer(k Keys) (*sealer, error) {
	if _, ok := k.Secrets[k.Current]; !ok || k.Current == "" {
		return nil, errors.New("tokencrypt: Keys.Current must name one of Keys.Secrets")
	}
	s := &sealer{current: k.Current, aeads: map[string]cipher.AEAD{}}
	for id, secret := range k.Secrets {
		if id == "" || strings.Contains(id, ":") {
			return nil, fmt.Errorf("tokencrypt: key id %q: ids are non-empty and hold no ':'", id)
		}
		block, err := aes.NewCipher(secret)
		if err != nil {
			return nil, fmt.Errorf("tokencrypt: key %q: a secret is 16, 24 or 32 bytes", id)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.aeads[id] = aead
	}
	return s, nil
}

func (s *sealer) seal(key, field, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	aead := s.aeads[s.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, []byte(plain), []byte(key+"\x00"+field))
	return prefix + s.current + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

func (s *sealer) open(key, field, stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, prefix)
	if !ok {
		return stored, nil // written before encryption was turned on
	}
	id, enc, ok := strings.Cut(rest, ":")
	if !ok {
		return "", ErrDecrypt
	}
	aead, ok := s.aeads[id]
	if !ok {
		return "", fmt.Errorf("%w (key id %q)", ErrUnknownKey, id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", ErrDecrypt
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(key+"\x00"+field))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}

// tokens encrypts and decrypts the secret fields of zoho.Tokens around an inner TokenStore.
type tokens struct {
	inner zoho.TokenStore
	s     *sealer
}

func (t *tokens) LoadToken(ctx context.Context, key string) (*zoho.Token, int64, error) {
	tok, v, err := t.inner.LoadToken(ctx, key)
	if err != nil || tok == nil {
		return tok, v, err
	}
	out := *tok
	if out.AccessToken, err = t.s.open(key, "access_token", tok.AccessToken); err != nil {
		return nil, 0, fmt.Errorf("tokencrypt: token %q: %w", key, err)
	}
	if out.RefreshToken, err = t.s.open(key, "refresh_token", tok.RefreshToken); err != nil {
		return nil, 0, fmt.Errorf("tokencrypt: token %q: %w", key, err)
	}
	return &out, v, nil
}

func (t *tokens) SaveToken(ctx context.Context, key string, tok *zoho.Token, version int64) (int64, error) {
	if tok == nil {
		return t.inner.SaveToken(ctx, key, tok, version)
	}
	enc := *tok
	var err error
	if enc.AccessToken, err = t.s.seal(key, "access_token", tok.AccessToken); err != nil {
		return 0, err
	}
	if enc.RefreshToken, err = t.s.seal(key, "refresh_token", tok.RefreshToken); err != nil {
		return 0, err
	}
	return t.inner.SaveToken(ctx, key, &enc, version)
}

// TokenStore wraps a zoho.TokenStore; see Wrap.
type TokenStore struct{ tokens }

// LoadToken implements zoho.TokenStore: the stored token, decrypted.
func (t *TokenStore) LoadToken(ctx context.Context, key string) (*zoho.Token, int64, error) {
	return t.tokens.LoadToken(ctx, key)
}

// SaveToken implements zoho.TokenStore: tok stored with its access and refresh tokens encrypted.
func (t *TokenStore) SaveToken(ctx context.Context, key string, tok *zoho.Token, version int64) (int64, error) {
	return t.tokens.SaveToken(ctx, key, tok, version)
}

// String describes the wrapper without secrets.
func (t *TokenStore) String() string { return "tokencrypt.TokenStore" }

// LeasingTokenStore is a TokenStore whose inner store is a zoho.TokenLeaser: it forwards leases.
type LeasingTokenStore struct {
	TokenStore
	leaser zoho.TokenLeaser
}

// AcquireTokenLease implements zoho.TokenLeaser by forwarding to the inner store.
func (t *LeasingTokenStore) AcquireTokenLease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	return t.leaser.AcquireTokenLease(ctx, key, ttl)
}

// Wrap returns inner with its tokens encrypted at rest. When inner is also a zoho.TokenLeaser,
// so is the result (a *LeasingTokenStore), so zoho.NewTokenSource keeps the cross-replica lease.
func Wrap(inner zoho.TokenStore, keys Keys) (zoho.TokenStore, error) {
	if inner == nil {
		return nil, errors.New("tokencrypt: Wrap: nil store")
	}
	s, err := newSealer(keys)
	if err != nil {
		return nil, err
	}
	ts := TokenStore{tokens{inner: inner, s: s}}
	if l, ok := inner.(zoho.TokenLeaser); ok {
		return &LeasingTokenStore{TokenStore: ts, leaser: l}, nil
	}
	return &ts, nil
}

// Store is a sync.Store whose tokens are encrypted at rest; everything else goes to the inner
// store unchanged. Create it with WrapStore.
type Store struct {
	cxsync.Store
	t tokens
}

// WrapStore returns inner (a whole sync.Store) with its tokens encrypted at rest; leases and the
// other interfaces are the inner store's.
func WrapStore(inner cxsync.Store, keys Keys) (*Store, error) {
	if inner == nil {
		return nil, errors.New("tokencrypt: WrapStore: nil store")
	}
	s, err := newSealer(keys)
	if err != nil {
		return nil, err
	}
	return &Store{Store: inner, t: tokens{inner: inner, s: s}}, nil
}

// LoadToken implements zoho.TokenStore: the stored token, decrypted.
func (s *Store) LoadToken(ctx context.Context, key string) (*zoho.Token, int64, error) {
	return s.t.LoadToken(ctx, key)
}

// SaveToken implements zoho.TokenStore: tok stored with its access and refresh tokens encrypted.
func (s *Store) SaveToken(ctx context.Context, key string, tok *zoho.Token, version int64) (int64, error) {
	return s.t.SaveToken(ctx, key, tok, version)
}

// String describes the wrapper without secrets.
func (s *Store) String() string { return "tokencrypt.Store" }
