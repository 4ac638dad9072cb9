package memstore_test

import (
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho"
)

func TestTokenAndConnectionLifecycle(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	if _, _, err := s.LoadToken(ctx, "t1"); !errors.Is(err, zoho.ErrNoToken) {
		t.Fatalf("LoadToken on nothing: %v, want ErrNoToken", err)
	}
	tok := &zoho.Token{RefreshToken: "1000.secret-refresh", AccessToken: "1000.secret-access"}
	v, err := s.SaveToken(ctx, "t1", tok, 0)
	if err != nil || v != 1 {
		t.Fatalf("SaveToken: %d, %v", v, err)
	}
	tok.RefreshToken = "changed"
	got, _, _ := s.LoadToken(ctx, "t1")
	if got.RefreshToken != "1000.secret-refresh" {
		t.Fatal("store kept a reference to the token it was given")
	}
	if _, err := s.SaveToken(ctx, "t1", got, 0); !errors.Is(err, zoho.ErrVersionConflict) {
		t.Fatalf("stale SaveToken: %v", err)
	}
	if _, err := s.PutConnection(ctx, &cxsync.Connection{TenantID: "t1", OrgID: "o1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutConnection(ctx, &cxsync.Connection{TenantID: "t1", OrgID: "o2"}); !errors.Is(err, cxsync.ErrConflict) {
		t.Fatalf("PutConnection with stale version: %v", err)
	}
	if err := s.DeleteConnection(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.LoadToken(ctx, "t1"); !errors.Is(err, zoho.ErrNoToken) {
		t.Fatalf("token survived DeleteConnection: %v", err)
	}
	if _, err := s.GetConnection(ctx, "t1"); !errors.Is(err, cxsync.ErrNotFound) {
		t.Fatalf("connection survived DeleteConnection: %v", err)
	}
	for _, out := range []string{s.String(), fmt.Sprintf("%v %+v %#v", s, s, s)} {
		if strings.Contains(out, "secret") {
			t.Fatalf("a secret printed: %s", out)
		}
	}
}

func TestLockOneWinner(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	wins := 0
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AcquireLock(ctx, "k", fmt.Sprint("o", i), time.Minute, now); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, cxsync.ErrLockHeld) {
				t.Errorf("AcquireLock: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d winners, want 1", wins)
	}
	// After the lease expires another owner takes it; the first owner's late release does not
	// free the new owner's lock.
	rel, err := s.AcquireLock(ctx, "k2", "a", time.Second, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLock(ctx, "k2", "b", time.Second, now.Add(2*time.Second)); err != nil {
		t.Fatalf("expired lock not taken: %v", err)
	}
	_ = rel(ctx)
	if _, err := s.AcquireLock(ctx, "k2", "c", time.Second, now.Add(2*time.Second)); !errors.Is(err, cxsync.ErrLockHeld) {
		t.Fatalf("a stale release freed another owner's lock: %v", err)
	}
}

func TestConnectStateSingleUse(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	now := time.Now()
	if err := s.PutConnectState(ctx, &cxsync.ConnectState{ID: "x", TenantID: "t", ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeConnectState(ctx, "x", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeConnectState(ctx, "x", now); !errors.Is(err, cxsync.ErrNotFound) {
		t.Fatalf("replayed state: %v", err)
	}
	_ = s.PutConnectState(ctx, &cxsync.ConnectState{ID: "y", ExpiresAt: now})
	if _, err := s.TakeConnectState(ctx, "y", now); !errors.Is(err, cxsync.ErrNotFound) {
		t.Fatalf("expired state accepted: %v", err)
	}
}
