package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
)

// RunTokenStore runs the zoho.TokenStore contract against stores made by newStore (a fresh,
// empty store for each subtest), and the zoho.TokenLeaser contract when the store implements it.
// Anyone implementing zoho.TokenStore can call it alone; Run calls it too. See WithClock for
// stores whose lease clock the suite can drive.
func RunTokenStore(t *testing.T, newStore func(t *testing.T) zoho.TokenStore, opts ...Option) {
	t.Helper()
	cfg := configure(opts)
	ist := time.FixedZone("IST", 5*3600+1800)
	tok := func(n int) *zoho.Token {
		return &zoho.Token{AccessToken: fmt.Sprintf("access-%d", n), RefreshToken: fmt.Sprintf("refresh-%d", n),
			TokenType: "Bearer", Expiry: time.Date(2026, 1, 2, 3, 4, 5, 0, ist), IssuedAt: time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC),
			APIDomain: "https://www.zohoapis.eu", AccountsServer: "https://accounts.zoho.eu", DataCenter: zoho.EU,
			Scope: "ZohoCRM.modules.ALL ZohoCRM.settings.fields.READ", OrgID: fmt.Sprintf("org-%d", n)}
	}
	newLeaser := func(t *testing.T) (zoho.TokenStore, zoho.TokenLeaser) {
		s := newStore(t)
		l, ok := s.(zoho.TokenLeaser)
		if !ok {
			t.Skip("the store does not implement zoho.TokenLeaser")
		}
		return s, l
	}
	t.Run("LoadNothingStored", func(t *testing.T) {
		s := newStore(t)
		if _, v, err := s.LoadToken(t.Context(), "k"); !errors.Is(err, zoho.ErrNoToken) || v != 0 {
			t.Fatalf("TokenStore.LoadToken: a key with nothing stored must fail wrapping zoho.ErrNoToken with version 0, got version %d, %v", v, err)
		}
	})
	t.Run("VersionsStartAtOneAndGrow", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		if _, err := s.SaveToken(ctx, "k", tok(1), 5); !errors.Is(err, zoho.ErrVersionConflict) {
			t.Fatalf("TokenStore.SaveToken: a version other than 0 on an empty key must fail wrapping zoho.ErrVersionConflict, got %v", err)
		}
		if _, _, err := s.LoadToken(ctx, "k"); !errors.Is(err, zoho.ErrNoToken) {
			t.Fatalf("TokenStore.SaveToken: a save that failed must store nothing, LoadToken gave %v", err)
		}
		v, err := s.SaveToken(ctx, "k", tok(1), 0)
		if err != nil || v != 1 {
			t.Fatalf("TokenStore.SaveToken: version 0 on an empty key must store the token as version 1, got %d, %v", v, err)
		}
		got, gv, err := s.LoadToken(ctx, "k")
		if err != nil || gv != 1 || !sameToken(got, tok(1)) {
			t.Fatalf("TokenStore.LoadToken must return every field of the saved token and version 1, got version %d, %v, fields that differ: %s", gv, err, tokenDiff(got, tok(1)))
		}
		if _, err := s.SaveToken(ctx, "k", tok(2), 0); !errors.Is(err, zoho.ErrVersionConflict) {
			t.Fatalf("TokenStore.SaveToken: version 0 on a stored key must fail wrapping zoho.ErrVersionConflict, got %v", err)
		}
		if _, err := s.SaveToken(ctx, "k", tok(2), 7); !errors.Is(err, zoho.ErrVersionConflict) {
			t.Fatalf("TokenStore.SaveToken: a version that is not the stored one must fail wrapping zoho.ErrVersionConflict, got %v", err)
		}
		if got, gv, _ := s.LoadToken(ctx, "k"); gv != 1 || !sameToken(got, tok(1)) {
			t.Fatalf("TokenStore.SaveToken: a save that failed must store nothing, got version %d, fields that differ: %s", gv, tokenDiff(got, tok(1)))
		}
		v, err = s.SaveToken(ctx, "k", tok(2), 1)
		if err != nil || v <= 1 {
			t.Fatalf("TokenStore.SaveToken: the stored version must store the token under a greater version, got %d, %v", v, err)
		}
		if got, gv, _ := s.LoadToken(ctx, "k"); gv != v || !sameToken(got, tok(2)) {
			t.Fatalf("TokenStore.LoadToken must return the last saved token with the version SaveToken returned (%d), got version %d, fields that differ: %s", v, gv, tokenDiff(got, tok(2)))
		}
		v3, err := s.SaveToken(ctx, "k", tok(3), v)
		if err != nil || v3 <= v {
			t.Fatalf("TokenStore.SaveToken: versions must grow with each save, got %d after %d, %v", v3, v, err)
		}
		if _, err := s.SaveToken(ctx, "k", tok(4), v); !errors.Is(err, zoho.ErrVersionConflict) {
			t.Fatalf("TokenStore.SaveToken: a version saved over must fail wrapping zoho.ErrVersionConflict, got %v", err)
		}
		if _, _, err := s.LoadToken(ctx, "other"); !errors.Is(err, zoho.ErrNoToken) {
			t.Fatalf("TokenStore: keys must be separate: another key must have nothing stored, got %v", err)
		}
	})
	t.Run("KeepsNoReference", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		given := tok(1)
		must(t, "TokenStore.SaveToken", second(s.SaveToken(ctx, "k", given, 0)))
		loaded, _, err := s.LoadToken(ctx, "k")
		must(t, "TokenStore.LoadToken", err)
		first := *loaded // what was stored, as this store returns it
		given.AccessToken, given.RefreshToken, given.Expiry = "changed", "changed", time.Time{}
		got, _, err := s.LoadToken(ctx, "k")
		must(t, "TokenStore.LoadToken", err)
		if !sameToken(got, &first) {
			t.Fatalf("TokenStore.SaveToken must not keep the *Token it was given: changing it after the save changed the stored token's %s", tokenDiff(got, &first))
		}
		got.AccessToken, got.Scope = "changed by the caller", "changed by the caller"
		again, _, err := s.LoadToken(ctx, "k")
		must(t, "TokenStore.LoadToken", err)
		if again.AccessToken != first.AccessToken || again.Scope != first.Scope {
			t.Fatalf("TokenStore.LoadToken must return a token that is the caller's: changing it changed the stored token's %s", tokenDiff(again, &first))
		}
	})
	t.Run("ConcurrentCreatesOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		oneWins(t, "TokenStore.SaveToken", "with version 0 on an empty key", zoho.ErrVersionConflict, func(i int) error {
			_, err := s.SaveToken(ctx, "k", tok(i), 0)
			return err
		})
		if _, v, err := s.LoadToken(ctx, "k"); err != nil || v != 1 {
			t.Fatalf("TokenStore.SaveToken: after concurrent creates the token must be at version 1, got %d, %v", v, err)
		}
	})
	t.Run("ConcurrentSavesOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, "TokenStore.SaveToken", second(s.SaveToken(ctx, "k", tok(0), 0)))
		var mu sync.Mutex
		winner := -1
		oneWins(t, "TokenStore.SaveToken", "with the stored version", zoho.ErrVersionConflict, func(i int) error {
			_, err := s.SaveToken(ctx, "k", tok(i), 1)
			if err == nil {
				mu.Lock()
				winner = i
				mu.Unlock()
			}
			return err
		})
		if got, _, err := s.LoadToken(ctx, "k"); err != nil || !sameToken(got, tok(winner)) {
			t.Fatalf("TokenStore.SaveToken: the stored token must be the winner's (%d), got %v, fields that differ: %s", winner, err, tokenDiff(got, tok(winner)))
		}
	})
	t.Run("Lease", func(t *testing.T) {
		_, l := newLeaser(t)
		ctx := t.Context()
		release, err := l.AcquireTokenLease(ctx, "k", time.Minute)
		if err != nil {
			t.Fatalf("TokenLeaser.AcquireTokenLease must allow a lease on a key with no token stored, got %v", err)
		}
		if _, err := l.AcquireTokenLease(ctx, "k", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
			t.Fatalf("TokenLeaser.AcquireTokenLease: a lease held by another must fail wrapping zoho.ErrLeaseHeld, got %v", err)
		}
		if r, err := l.AcquireTokenLease(ctx, "other", time.Minute); err != nil {
			t.Fatalf("TokenLeaser.AcquireTokenLease: leases must be per key, got %v", err)
		} else {
			must(t, "TokenLeaser release", r(ctx))
		}
		if err := release(ctx); err != nil {
			t.Fatalf("TokenLeaser release: %v", err)
		}
		if err := release(ctx); err != nil {
			t.Fatalf("TokenLeaser release: releasing twice must not fail, got %v", err)
		}
		var r2 func(context.Context) error
		var r3 func(context.Context) error
		if c := cfg.clock; c != nil {
			r2, err = l.AcquireTokenLease(ctx, "k", time.Minute)
			if err != nil {
				t.Fatalf("TokenLeaser.AcquireTokenLease after the release must succeed, got %v", err)
			}
			c.Advance(time.Minute - time.Millisecond)
			if _, err := l.AcquireTokenLease(ctx, "k", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
				t.Fatalf("TokenLeaser.AcquireTokenLease: a lease must be held for its whole ttl (1ms before it ends), got %v", err)
			}
			c.Advance(2 * time.Millisecond)
			r3, err = l.AcquireTokenLease(ctx, "k", time.Minute)
			if err != nil {
				t.Fatalf("TokenLeaser.AcquireTokenLease: a lease must lapse after its ttl (the holder died), got %v (does the store read the Clock given to storetest.WithClock?)", err)
			}
		} else {
			r2, err = l.AcquireTokenLease(ctx, "k", 50*time.Millisecond)
			if err != nil {
				t.Fatalf("TokenLeaser.AcquireTokenLease after the release must succeed, got %v", err)
			}
			// The holder dies: the lease lapses on its own (measured by the store's clock).
			r3 = eventually(t, "TokenLeaser.AcquireTokenLease: a lease must lapse after its ttl", func() (func(context.Context) error, error) {
				return l.AcquireTokenLease(ctx, "k", time.Minute)
			})
		}
		if err := r2(ctx); err != nil {
			t.Fatalf("TokenLeaser release: releasing a lapsed lease must not fail, got %v", err)
		}
		if _, err := l.AcquireTokenLease(ctx, "k", time.Minute); !errors.Is(err, zoho.ErrLeaseHeld) {
			t.Fatalf("TokenLeaser release: releasing a lapsed lease must not release the new holder's lease, got %v", err)
		}
		must(t, "TokenLeaser release", r3(ctx))
	})
	t.Run("LeaseIsNotAToken", func(t *testing.T) {
		s, l := newLeaser(t)
		ctx := t.Context()
		release, err := l.AcquireTokenLease(ctx, "k", time.Minute)
		must(t, "TokenLeaser.AcquireTokenLease", err)
		if _, v, err := s.LoadToken(ctx, "k"); !errors.Is(err, zoho.ErrNoToken) || v != 0 {
			t.Fatalf("TokenStore.LoadToken: a lease on a key with no token must not look like a stored token, got version %d, %v", v, err)
		}
		if v, err := s.SaveToken(ctx, "k", tok(1), 0); err != nil || v != 1 {
			t.Fatalf("TokenStore.SaveToken: the lease holder must save the first token with version 0 as version 1, got %d, %v", v, err)
		}
		must(t, "TokenLeaser release", release(ctx))
		if got, v, err := s.LoadToken(ctx, "k"); err != nil || v != 1 || !sameToken(got, tok(1)) {
			t.Fatalf("TokenLeaser release must leave the token and its version as they are, got version %d, %v, fields that differ: %s", v, err, tokenDiff(got, tok(1)))
		}
		release, err = l.AcquireTokenLease(ctx, "k", time.Minute)
		must(t, "TokenLeaser.AcquireTokenLease", err)
		if _, v, err := s.LoadToken(ctx, "k"); err != nil || v != 1 {
			t.Fatalf("TokenLeaser.AcquireTokenLease must not change the token's version (a lease is not a save), got %d, %v", v, err)
		}
		v, err := s.SaveToken(ctx, "k", tok(2), 1)
		if err != nil {
			t.Fatalf("TokenStore.SaveToken: the lease holder must be able to save its refreshed token, got %v", err)
		}
		must(t, "TokenLeaser release", release(ctx))
		if got, gv, err := s.LoadToken(ctx, "k"); err != nil || gv != v || !sameToken(got, tok(2)) {
			t.Fatalf("TokenLeaser release must leave the token saved under the lease, got version %d, %v, fields that differ: %s", gv, err, tokenDiff(got, tok(2)))
		}
	})
	t.Run("ConcurrentLeasesOneWins", func(t *testing.T) {
		_, l := newLeaser(t)
		ctx := t.Context()
		oneWins(t, "TokenLeaser.AcquireTokenLease", "of a free lease", zoho.ErrLeaseHeld, func(int) error {
			_, err := l.AcquireTokenLease(ctx, "k", time.Minute)
			return err
		})
		if cfg.clock == nil {
			return // taking over a lapsed lease needs the store's clock driven
		}
		cfg.clock.Advance(2 * time.Minute)
		oneWins(t, "TokenLeaser.AcquireTokenLease", "of a lapsed lease", zoho.ErrLeaseHeld, func(int) error {
			_, err := l.AcquireTokenLease(ctx, "k", time.Minute)
			return err
		})
	})
}

// sameToken reports whether a and b hold the same token: every field equal, times as instants.
func sameToken(a, b *zoho.Token) bool { return tokenDiff(a, b) == "" }

// tokenDiff names the fields in which a and b differ (times compared as instants), "" when none:
// a failure message shows which fields a store lost without printing a token's secrets.
func tokenDiff(a, b *zoho.Token) string {
	if a == nil || b == nil {
		if a == b {
			return ""
		}
		return "the whole token (one of them is nil)"
	}
	x, y := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	var diff []string
	for i := range x.NumField() {
		fx, fy := x.Field(i).Interface(), y.Field(i).Interface()
		if tx, ok := fx.(time.Time); ok {
			if !tx.Equal(fy.(time.Time)) {
				diff = append(diff, x.Type().Field(i).Name)
			}
		} else if !reflect.DeepEqual(fx, fy) {
			diff = append(diff, x.Type().Field(i).Name)
		}
	}
	return strings.Join(diff, ", ")
}

// must stops the test when a call the suite makes to set up a contract fails.
func must(t *testing.T, call string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", call, err)
	}
}

// second returns the error of a call that also returns a value.
func second[T any](_ T, err error) error { return err }

// oneWins runs 50 calls at once and fails unless exactly one succeeded and the others failed
// wrapping lost.
func oneWins(t *testing.T, method, what string, lost error, call func(i int) error) {
	t.Helper()
	const n = 50
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
		t.Fatalf("%s: of %d concurrent calls %s, the losers must fail wrapping %s, got %v", method, n, what, errName(lost), other)
	}
	if wins != 1 {
		t.Fatalf("%s: of %d concurrent calls %s exactly one must win, %d did", method, n, what, wins)
	}
}

// errName is the Go name of a sentinel error of the contracts.
func errName(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{{zoho.ErrNoToken, "zoho.ErrNoToken"}, {zoho.ErrVersionConflict, "zoho.ErrVersionConflict"}, {zoho.ErrLeaseHeld, "zoho.ErrLeaseHeld"},
		{cxsync.ErrNotFound, "sync.ErrNotFound"}, {cxsync.ErrConflict, "sync.ErrConflict"}, {cxsync.ErrLockHeld, "sync.ErrLockHeld"}} {
		if err == e.err {
			return e.name
		}
	}
	return err.Error()
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
