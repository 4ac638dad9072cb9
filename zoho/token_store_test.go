package zoho_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/zoho"
)

func TestMemoryTokenStoreCompareAndSwapAndLease(t *testing.T) {
	ctx := t.Context()
	var s zoho.MemoryTokenStore // the zero value works
	if _, _, err := s.LoadToken(ctx, "k"); !errors.Is(err, zoho.ErrNoToken) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := s.SaveToken(ctx, "k", &zoho.Token{AccessToken: "a"}, 3); !errors.Is(err, zoho.ErrVersionConflict) {
		t.Fatalf("save over nothing with v3: %v", err)
	}
	v1, err := s.SaveToken(ctx, "k", &zoho.Token{AccessToken: "a"}, 0)
	if err != nil || v1 != 1 {
		t.Fatal(v1, err)
	}
	if _, err := s.SaveToken(ctx, "k", &zoho.Token{AccessToken: "b"}, 0); !errors.Is(err, zoho.ErrVersionConflict) {
		t.Fatalf("second create: %v", err)
	}
	tok := &zoho.Token{AccessToken: "c"}
	v2, err := s.SaveToken(ctx, "k", tok, v1)
	if err != nil || v2 != 2 {
		t.Fatal(v2, err)
	}
	tok.AccessToken = "mutated"
	got, _, _ := s.LoadToken(ctx, "k")
	if got.AccessToken != "c" {
		t.Fatal("the store kept the caller's pointer")
	}
	got.AccessToken = "mutated"
	if again, _, _ := s.LoadToken(ctx, "k"); again.AccessToken != "c" {
		t.Fatal("the store handed out its own copy")
	}
	if _, err := s.SaveToken(ctx, "k", tok, v1); !errors.Is(err, zoho.ErrVersionConflict) {
		t.Fatalf("stale version: %v", err)
	}
	if _, err := s.SaveToken(ctx, "", tok, 0); err == nil {
		t.Fatal("empty key accepted")
	}

	release, err := s.AcquireTokenLease(ctx, "k", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireTokenLease(ctx, "k", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
		t.Fatalf("second lease: %v", err)
	}
	if _, err := s.AcquireTokenLease(ctx, "other", time.Minute); err != nil {
		t.Fatalf("leases are per key: %v", err)
	}
	_ = release(ctx)
	r2, err := s.AcquireTokenLease(ctx, "k", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_ = release(ctx) // a stale release does not free the new holder's lease
	if _, err := s.AcquireTokenLease(ctx, "k", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
		t.Fatalf("stale release freed the lease: %v", err)
	}
	_ = r2(ctx)
	// The holder dies: a short lease lapses on its own (waited for, never raced against).
	if _, err := s.AcquireTokenLease(ctx, "k", 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r3, err := s.AcquireTokenLease(ctx, "k", time.Minute)
		if err == nil {
			_ = r3(ctx)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lapsed lease: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReplaceTokenReturnsThePreviousOne(t *testing.T) {
	store := zoho.NewMemoryTokenStore()
	prev, v, err := zoho.ReplaceToken(t.Context(), store, "k", &zoho.Token{RefreshToken: "first"})
	if err != nil || prev != nil || v != 1 {
		t.Fatalf("first: %v %d %v", prev, v, err)
	}
	prev, v, err = zoho.ReplaceToken(t.Context(), store, "k", &zoho.Token{RefreshToken: "second"})
	if err != nil || prev == nil || prev.RefreshToken != "first" || v != 2 {
		t.Fatalf("second: %v %d %v", prev, v, err)
	}
	if _, _, err := zoho.ReplaceToken(t.Context(), store, "", &zoho.Token{}); err == nil {
		t.Fatal("empty key accepted")
	}
}

func TestALeaseLeftByADeadProcessLapses(t *testing.T) {
	m := &oaMinter{}
	ts, store := oaSource(t, oaExpired(), m, zoho.WithRefreshTimeout(2*time.Second))
	if _, err := store.AcquireTokenLease(t.Context(), "tenant-1", 150*time.Millisecond); err != nil {
		t.Fatal(err)
	} // never released: its holder "crashed"
	start := time.Now()
	got, err := ts.Token()
	if err != nil || got.AccessToken != "fresh-1" || m.calls.Load() != 1 {
		t.Fatalf("%v %v", got, err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("refreshed after %v while another process held the lease", waited)
	}
	// A lease that outlives the refresh timeout is a temporary error, not a hang.
	ts, store = oaSource(t, oaExpired(), m, zoho.WithRefreshTimeout(100*time.Millisecond))
	_, _ = store.AcquireTokenLease(t.Context(), "tenant-1", time.Hour)
	_, err = ts.Token()
	var te *zoho.TokenError
	if !errors.As(err, &te) || te.Op != "lease" || !errors.Is(te, zoho.ErrTemporary) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}
