package tokencrypt_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/storetest"
	"github.com/cloudcx/cxzoho/sync/tokencrypt"
	"github.com/cloudcx/cxzoho/zoho"
)

var (
	oldKey = bytes.Repeat([]byte{1}, 32)
	newKey = bytes.Repeat([]byte{2}, 32)
)

func keys(current string) tokencrypt.Keys {
	return tokencrypt.Keys{Current: current, Secrets: map[string][]byte{"k1": oldKey, "k2": newKey}}
}

// The wrappers meet the storage contracts: the token suite alone, and the whole sync.Store suite.
func TestConformance(t *testing.T) {
	storetest.RunTokenStore(t, func(*testing.T) zoho.TokenStore {
		s, err := tokencrypt.Wrap(zoho.NewMemoryTokenStore(), keys("k2"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	storetest.Run(t, func(*testing.T) cxsync.Store {
		s, err := tokencrypt.WrapStore(memstore.New(), keys("k2"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestTokensAreEncryptedAtRestAndRotate(t *testing.T) {
	ctx := t.Context()
	inner := memstore.New()
	s1, err := tokencrypt.WrapStore(inner, tokencrypt.Keys{Current: "k1", Secrets: map[string][]byte{"k1": oldKey}})
	if err != nil {
		t.Fatal(err)
	}
	tok := &zoho.Token{AccessToken: "1000.access.secret", RefreshToken: "1000.refresh.secret", APIDomain: "https://www.zohoapis.eu"}
	if _, err := s1.SaveToken(ctx, "t1", tok, 0); err != nil {
		t.Fatal(err)
	}
	raw, _, _ := inner.LoadToken(ctx, "t1")
	if strings.Contains(raw.AccessToken, "secret") || strings.Contains(raw.RefreshToken, "secret") || !strings.HasPrefix(raw.RefreshToken, "cxenc1:k1:") {
		t.Fatalf("stored in the clear: %+v", raw)
	}
	if raw.APIDomain != tok.APIDomain {
		t.Fatal("non-secret fields are stored as they are")
	}
	// Rotation: k2 is current, k1 still decrypts; the next save uses k2.
	s2, _ := tokencrypt.WrapStore(inner, keys("k2"))
	got, v, err := s2.LoadToken(ctx, "t1")
	if err != nil || got.RefreshToken != "1000.refresh.secret" {
		t.Fatalf("old key: %+v %v", got, err)
	}
	if _, err := s2.SaveToken(ctx, "t1", got, v); err != nil {
		t.Fatal(err)
	}
	raw, _, _ = inner.LoadToken(ctx, "t1")
	if !strings.HasPrefix(raw.RefreshToken, "cxenc1:k2:") {
		t.Fatalf("re-saved under %q", raw.RefreshToken[:10])
	}
	// Dropping a key too early is a typed error, not garbage.
	s3, _ := tokencrypt.WrapStore(inner, tokencrypt.Keys{Current: "k1", Secrets: map[string][]byte{"k1": oldKey}})
	if _, _, err := s3.LoadToken(ctx, "t1"); !errors.Is(err, tokencrypt.ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	// A ciphertext copied to another tenant does not decrypt there.
	if _, err := inner.SaveToken(ctx, "t2", raw, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s2.LoadToken(ctx, "t2"); !errors.Is(err, tokencrypt.ErrDecrypt) {
		t.Fatalf("a token copied to another tenant: %v", err)
	}
	// A token stored before encryption was turned on is read as it is.
	if _, err := inner.SaveToken(ctx, "t3", &zoho.Token{RefreshToken: "1000.plain"}, 0); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s2.LoadToken(ctx, "t3"); err != nil || got.RefreshToken != "1000.plain" {
		t.Fatalf("plain token: %+v %v", got, err)
	}
	if strings.Contains(keys("k2").String(), string(newKey)) {
		t.Fatal("Keys.String shows a secret")
	}
}

func TestWrapForwardsTheLease(t *testing.T) {
	s, _ := tokencrypt.Wrap(zoho.NewMemoryTokenStore(), keys("k2"))
	if _, ok := s.(zoho.TokenLeaser); !ok {
		t.Fatal("the wrapper hides the inner store's TokenLeaser: NewTokenSource would lose the cross-replica lease")
	}
	type plain struct{ zoho.TokenStore }
	s, _ = tokencrypt.Wrap(plain{zoho.NewMemoryTokenStore()}, keys("k2"))
	if _, ok := s.(zoho.TokenLeaser); ok {
		t.Fatal("the wrapper claims a lease the inner store does not have")
	}
	for _, bad := range []tokencrypt.Keys{{}, {Current: "x", Secrets: map[string][]byte{"y": newKey}}, {Current: "a:b", Secrets: map[string][]byte{"a:b": newKey}}, {Current: "k", Secrets: map[string][]byte{"k": []byte("short")}}} {
		if _, err := tokencrypt.Wrap(zoho.NewMemoryTokenStore(), bad); err == nil {
			t.Errorf("keys %v accepted", bad)
		}
	}
}
