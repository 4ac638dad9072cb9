package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/zoho"
)

// RunTokenStore runs the zoho.TokenStore contract against stores made by newStore (a fresh,
// empty store for each subtest), and the zoho.TokenLeaser contract when the store implements it.
// Anyone implementing zoho.TokenStore can call it alone; Run calls it too.
func RunTokenStore(t *testing.T, newStore func(t *testing.T) zoho.TokenStore) {
	t.Helper()
	tok := func(n int) *zoho.Token {
		return &zoho.Token{AccessToken: fmt.Sprintf("access-%d", n), RefreshToken: fmt.Sprintf("refresh-%d", n),
			TokenType: "Bearer", Expiry: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			APIDomain: "https://www.zohoapis.eu", AccountsServer: "https://accounts.zoho.eu", DataCenter: zoho.EU, Scope: "ZohoCRM.modules.ALL"}
	}
	t.Run("LoadNothingStored", func(t *testing.T) {
		s := newStore(t)
		if _, v, err := s.LoadToken(t.Context(), "k"); !errors.Is(err, zoho.ErrNoToken) || v != 0 {
			t.Fatalf("TokenStore.LoadToken of a key with nothing stored must fail wrapping zoho.ErrNoToken with version 0, got version %d, %v", v, err)
		}
	})
	t.Run("VersionsStartAtOneAndGrow", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		v, err := s.SaveToken(ctx, "k", tok(1), 0)
		if err != nil || v != 1 {
			t.Fatalf("TokenStore.SaveToken with version 0 on an empty key must store it as version 1, got %d, %v", v, err)
		}
		got, gv, err := s.LoadToken(ctx, "k")
		if err != nil || gv != 1 || !sameToken(got, tok(1)) {
			t.Fatalf("TokenStore.LoadToken must return the saved token and version 1, got %+v, %d, %v", got, gv, err)
		}
		if _, err := s.SaveToken(ctx, "k", tok(2), 0); !errors.Is(err, zoho.ErrVersionConflict) {
			t.Fatalf("TokenStore.SaveToken with version 0 on a stored key must fail wrapping zoho.ErrVersionConflict, got %v", err)
		}
		if _, err := s.SaveToken(ctx, "k", tok(2), 7); !errors.Is(err, zoho.ErrVersionConflict) {
			t.Fatalf("TokenStore.SaveToken with a version that is not the stored one must fail wrapping zoho.ErrVersionConflict, got %v", err)
		}
		v, err = s.SaveToken(ctx, "k", tok(2), 1)
		if err != nil || v <= 1 {
			t.Fatalf("TokenStore.SaveToken with the stored version must store a greater version, got %d, %v", v, err)
		}
		if got, gv, _ := s.LoadToken(ctx, "k"); gv != v || !sameToken(got, tok(2)) {
			t.Fatalf("after a conflict and a save, LoadToken must return the last saved token, got %+v version %d", got, gv)
		}
		if _, _, err := s.LoadToken(ctx, "other"); !errors.Is(err, zoho.ErrNoToken) {
			t.Fatalf("TokenStore keys must be separate: another key must have nothing stored, got %v", err)
		}
	})
	t.Run("KeepsNoReference", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		given := tok(1)
		if _, err := s.SaveToken(ctx, "k", given, 0); err != nil {
			t.Fatal(err)
		}
		given.AccessToken, given.RefreshToken = "changed", "changed"
		got, _, _ := s.LoadToken(ctx, "k")
		if !sameToken(got, tok(1)) {
			t.Fatalf("TokenStore must not keep the *Token given to SaveToken: changing it after the save changed the stored token to %+v", got)
		}
		got.AccessToken = "changed by the caller"
		again, _, _ := s.LoadToken(ctx, "k")
		if !sameToken(again, tok(1)) {
			t.Fatalf("TokenStore must not share the *Token LoadToken returned: changing it changed the store to %+v", again)
		}
	})
	t.Run("ConcurrentSavesOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		if _, err := s.SaveToken(ctx, "k", tok(0), 0); err != nil {
			t.Fatal(err)
		}
		wins := race(50, func(i int) error { _, err := s.SaveToken(ctx, "k", tok(i), 1); return err }, zoho.ErrVersionConflict)
		if wins != 1 {
			t.Fatalf("of 50 concurrent TokenStore.SaveToken calls with the same version exactly one must win, %d did", wins)
		}
	})
	t.Run("Lease", func(t *testing.T) {
		s := newStore(t)
		l, ok := s.(zoho.TokenLeaser)
		if !ok {
			t.Skip("the store does not implement zoho.TokenLeaser")
		}
		ctx := t.Context()
		release, err := l.AcquireTokenLease(ctx, "k", time.Minute)
		if err != nil {
			t.Fatalf("TokenLeaser.AcquireTokenLease must allow a lease on a key with no token stored, got %v", err)
		}
		if _, err := l.AcquireTokenLease(ctx, "k", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
			t.Fatalf("TokenLeaser.AcquireTokenLease on a held lease must fail wrapping zoho.ErrLeaseHeld, got %v", err)
		}
		if r, err := l.AcquireTokenLease(ctx, "other", time.Minute); err != nil {
			t.Fatalf("TokenLeaser leases must be per key, got %v", err)
		} else {
			_ = r(ctx)
		}
		if err := release(ctx); err != nil {
			t.Fatalf("TokenLeaser release: %v", err)
		}
		r2, err := l.AcquireTokenLease(ctx, "k", 50*time.Millisecond)
		if err != nil {
			t.Fatalf("TokenLeaser.AcquireTokenLease after the release must succeed, got %v", err)
		}
		// The holder dies: the lease lapses on its own.
		r3 := eventually(t, "TokenLeaser: a lease must lapse after its ttl", func() (func(context.Context) error, error) {
			return l.AcquireTokenLease(ctx, "k", time.Minute)
		})
		if err := r2(ctx); err != nil {
			t.Fatalf("TokenLeaser: releasing a lapsed lease must not fail, got %v", err)
		}
		if _, err := l.AcquireTokenLease(ctx, "k", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
			t.Fatalf("TokenLeaser: the release of a lapsed lease must not release the new holder's lease, got %v", err)
		}
		_ = r3(ctx)
		wins := race(50, func(int) error { _, err := l.AcquireTokenLease(ctx, "many", time.Minute); return err }, zoho.ErrLeaseHeld)
		if wins != 1 {
			t.Fatalf("of 50 concurrent TokenLeaser.AcquireTokenLease calls exactly one must win, %d did", wins)
		}
	})
}

func sameToken(a, b *zoho.Token) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken && a.TokenType == b.TokenType &&
		a.Expiry.Equal(b.Expiry) && a.APIDomain == b.APIDomain && a.AccountsServer == b.AccountsServer &&
		a.DataCenter == b.DataCenter && a.Scope == b.Scope
}

// race runs n calls at once and counts those that succeeded; an error other than lost must not
// happen.
func race(n int, call func(i int) error, lost error) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, start := 0, make(chan struct{})
	var other error
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := call(i + 1)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, lost) && other == nil:
				other = err
			}
		}()
	}
	close(start)
	wg.Wait()
	if other != nil {
		return -1000 // reported as a count no contract allows
	}
	return wins
}

// eventually retries take until it succeeds, for at most a few seconds (a lower-bound wait:
// leases whose ttl is measured by the store's own clock).
func eventually[T any](t *testing.T, what string, take func() (T, error)) T {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := take()
		if err == nil {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after 5s: %v", what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
