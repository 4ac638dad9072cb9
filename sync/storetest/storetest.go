// Package storetest is the conformance suite of sync's storage interfaces. A host that
// implements sync.Store (or only zoho.TokenStore) runs it from its own tests:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) cxsync.Store { return mystore.New(freshDatabase(t)) })
//	}
//
// Every subtest gets a fresh, empty store from the factory and is named after the contract it
// checks; a failure message names the method and the broken rule ("Ledger.PutStep: a stale
// version must fail wrapping sync.ErrConflict"). Times the store does not read itself (lock
// leases, connect-state expiry) are driven through the `now` arguments of the interfaces; token
// leases are measured by the store's own clock and the suite waits them out (a short ttl).
// sync/memstore and sync/sqlstore pass it.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
)

// Run runs every contract of every storage interface of sync.Store against stores made by
// newStore, which must return a fresh, empty store each time (it may register cleanups on t).
func Run(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	t.Helper()
	t.Run("TokenStore", func(t *testing.T) {
		RunTokenStore(t, func(t *testing.T) zoho.TokenStore { return newStore(t) })
	})
	t.Run("ConnectionStore", func(t *testing.T) { testConnections(t, newStore) })
	t.Run("SettingsStore", func(t *testing.T) { testSettings(t, newStore) })
	t.Run("ConnectStateStore", func(t *testing.T) { testConnectState(t, newStore) })
	t.Run("Ledger", func(t *testing.T) { testLedger(t, newStore) })
	t.Run("PersonMap", func(t *testing.T) { testPersons(t, newStore) })
	t.Run("Locker", func(t *testing.T) { testLocker(t, newStore) })
}

// base is a fixed time with millisecond precision, in UTC, as stores must keep it.
var base = time.Date(2026, 3, 2, 9, 0, 0, 123_000_000, time.UTC)

func sameTime(a, b time.Time) bool {
	return a.Equal(b) && a.Location() == time.UTC || a.IsZero() && b.IsZero()
}

func testConnections(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	conn := func() *cxsync.Connection {
		return &cxsync.Connection{TenantID: "t1", OrgID: "org1", OrgName: "Zylker", Edition: "Enterprise", DataCenter: zoho.EU,
			UserID: "u1", UserEmail: "admin@zylker.example", Client: cxsync.OAuthClientRef{Kind: cxsync.ClientTenant, ClientID: "1000.X"},
			Health:      cxsync.Health{Paused: true, PauseReason: cxsync.PauseCreditsExhausted, PausedUntil: base.Add(time.Hour), LastError: "credits", LastErrorAt: base},
			ConnectedAt: base}
	}
	same := func(a, b *cxsync.Connection) bool {
		x, y := *a, *b
		if !sameTime(x.ConnectedAt, y.ConnectedAt) || !sameTime(x.Health.PausedUntil, y.Health.PausedUntil) || !sameTime(x.Health.LastErrorAt, y.Health.LastErrorAt) {
			return false
		}
		x.ConnectedAt, y.ConnectedAt, x.Health.PausedUntil, y.Health.PausedUntil, x.Health.LastErrorAt, y.Health.LastErrorAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		x.Version, y.Version = 0, 0
		return reflect.DeepEqual(x, y)
	}
	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.GetConnection(t.Context(), "t1"); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectionStore.GetConnection of an unknown tenant must fail wrapping sync.ErrNotFound, got %v", err)
		}
		if err := s.DeleteConnection(t.Context(), "t1"); err != nil {
			t.Fatalf("ConnectionStore.DeleteConnection of what does not exist must not fail, got %v", err)
		}
	})
	t.Run("CompareAndSwap", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		c := conn()
		v, err := s.PutConnection(ctx, c)
		if err != nil || v != 1 {
			t.Fatalf("ConnectionStore.PutConnection of a new connection must return version 1, got %d, %v", v, err)
		}
		got, err := s.GetConnection(ctx, "t1")
		if err != nil || got.Version != 1 || !same(got, conn()) {
			t.Fatalf("ConnectionStore.GetConnection must return what was put, with its version:\n got %+v, %v\nwant %+v", got, err, conn())
		}
		if _, err := s.PutConnection(ctx, conn()); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("ConnectionStore.PutConnection with version 0 over a stored one must fail wrapping sync.ErrConflict, got %v", err)
		}
		got.OrgName = "Zylker Ltd"
		if v, err = s.PutConnection(ctx, got); err != nil || v != 2 {
			t.Fatalf("ConnectionStore.PutConnection with the stored version must return version 2, got %d, %v", v, err)
		}
		got.OrgName = "stale"
		if _, err := s.PutConnection(ctx, got); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("ConnectionStore.PutConnection with a stale version must fail wrapping sync.ErrConflict, got %v", err)
		}
		if again, _ := s.GetConnection(ctx, "t1"); again.OrgName != "Zylker Ltd" || again.Version != 2 {
			t.Fatalf("a failed PutConnection must store nothing, got %+v", again)
		}
		got.Version = 2
		wins := race(50, func(int) error { c := *got; _, err := s.PutConnection(ctx, &c); return err }, cxsync.ErrConflict)
		if wins != 1 {
			t.Fatalf("of 50 concurrent PutConnection calls with one version exactly one must win, %d did", wins)
		}
	})
	t.Run("CopiesValues", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		c := conn()
		if _, err := s.PutConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		c.OrgName, c.Client.ClientID = "changed", "changed"
		got, _ := s.GetConnection(ctx, "t1")
		if got.OrgName != "Zylker" || got.Client.ClientID != "1000.X" {
			t.Fatalf("ConnectionStore must copy what PutConnection was given, got %+v", got)
		}
	})
	t.Run("DeleteRemovesTokenAndLease", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		if _, err := s.PutConnection(ctx, conn()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveToken(ctx, "t1", &zoho.Token{RefreshToken: "r"}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveToken(ctx, "t2", &zoho.Token{RefreshToken: "r2"}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcquireTokenLease(ctx, "t1", time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteConnection(ctx, "t1"); err != nil {
			t.Fatalf("ConnectionStore.DeleteConnection: %v", err)
		}
		if _, err := s.GetConnection(ctx, "t1"); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("after DeleteConnection, GetConnection must fail wrapping sync.ErrNotFound, got %v", err)
		}
		if _, _, err := s.LoadToken(ctx, "t1"); !errors.Is(err, zoho.ErrNoToken) {
			t.Fatalf("ConnectionStore.DeleteConnection must delete the tenant's token, LoadToken gave %v", err)
		}
		if r, err := s.AcquireTokenLease(ctx, "t1", time.Hour); err != nil {
			t.Fatalf("ConnectionStore.DeleteConnection must delete the lease on the tenant's token, got %v", err)
		} else {
			_ = r(ctx)
		}
		if _, _, err := s.LoadToken(ctx, "t2"); err != nil {
			t.Fatalf("DeleteConnection of t1 must leave t2's token, got %v", err)
		}
		if v, err := s.PutConnection(ctx, conn()); err != nil || v != 1 {
			t.Fatalf("after DeleteConnection a new connection must start at version 1, got %d, %v", v, err)
		}
	})
}

func testSettings(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	s := newStore(t)
	ctx := t.Context()
	if _, err := s.GetSettings(ctx, "t1"); !errors.Is(err, cxsync.ErrNotFound) {
		t.Fatalf("SettingsStore.GetSettings of an unknown tenant must fail wrapping sync.ErrNotFound, got %v", err)
	}
	doc := []byte(`{"version":2,"mode":"manual","note":"é ✓"}`)
	if err := s.PutSettings(ctx, "t1", doc); err != nil {
		t.Fatal(err)
	}
	doc[2] = 'X'
	got, err := s.GetSettings(ctx, "t1")
	if err != nil || !bytes.Equal(got, []byte(`{"version":2,"mode":"manual","note":"é ✓"}`)) {
		t.Fatalf("SettingsStore must return the bytes put, copied, got %s, %v", got, err)
	}
	if err := s.PutSettings(ctx, "t1", []byte(`{"version":2}`)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetSettings(ctx, "t1"); string(got) != `{"version":2}` {
		t.Fatalf("SettingsStore.PutSettings must replace the document, got %s", got)
	}
	if _, err := s.GetSettings(ctx, "t2"); !errors.Is(err, cxsync.ErrNotFound) {
		t.Fatalf("SettingsStore tenants must be separate, got %v", err)
	}
}

func testConnectState(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	state := func(id string) *cxsync.ConnectState {
		return &cxsync.ConnectState{ID: id, TenantID: "t1", Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: "1000.S"}, DataCenter: zoho.IN, ExpiresAt: base.Add(10 * time.Minute)}
	}
	t.Run("SingleUse", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		if err := s.PutConnectState(ctx, state("a")); err != nil {
			t.Fatal(err)
		}
		if err := s.PutConnectState(ctx, state("a")); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("ConnectStateStore.PutConnectState of a taken id must fail wrapping sync.ErrConflict, got %v", err)
		}
		got, err := s.TakeConnectState(ctx, "a", base)
		if err != nil || got.TenantID != "t1" || got.Client.ClientID != "1000.S" || got.DataCenter != zoho.IN || !sameTime(got.ExpiresAt, state("a").ExpiresAt) {
			t.Fatalf("ConnectStateStore.TakeConnectState must return the state put, got %+v, %v", got, err)
		}
		if _, err := s.TakeConnectState(ctx, "a", base); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectStateStore.TakeConnectState must succeed once: a second take must fail wrapping sync.ErrNotFound, got %v", err)
		}
		if _, err := s.TakeConnectState(ctx, "never", base); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("TakeConnectState of an unknown id must fail wrapping sync.ErrNotFound, got %v", err)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		if err := s.PutConnectState(ctx, state("b")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeConnectState(ctx, "b", base.Add(10*time.Minute)); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectStateStore.TakeConnectState at ExpiresAt must fail wrapping sync.ErrNotFound, got %v", err)
		}
		if _, err := s.TakeConnectState(ctx, "b", base); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("ConnectStateStore: an expired state must be deleted by the take that found it expired, got %v", err)
		}
	})
	t.Run("ConcurrentTakesOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		if err := s.PutConnectState(ctx, state("c")); err != nil {
			t.Fatal(err)
		}
		wins := race(30, func(int) error { _, err := s.TakeConnectState(ctx, "c", base); return err }, cxsync.ErrNotFound)
		if wins != 1 {
			t.Fatalf("of 30 concurrent TakeConnectState calls exactly one must succeed, %d did", wins)
		}
	})
}

func stepKey(src string) cxsync.StepKey {
	return cxsync.StepKey{TenantID: "t1", OrgID: "org1", Section: cloudcx.SectionWebChat, SourceID: src, Kind: cxsync.StepRecord}
}

func testLedger(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	t.Run("CompareAndSwapAndTransitions", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		k := stepKey("c1")
		if _, err := s.GetStep(ctx, k); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("Ledger.GetStep of an unknown step must fail wrapping sync.ErrNotFound, got %v", err)
		}
		st := &cxsync.Step{Key: k, Status: cxsync.StepPending, Hash: "h1", Attempts: 1, UpdatedAt: base}
		v, err := s.PutStep(ctx, st)
		if err != nil || v != 1 {
			t.Fatalf("Ledger.PutStep of a new step must return version 1, got %d, %v", v, err)
		}
		if _, err := s.PutStep(ctx, st); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("Ledger.PutStep with version 0 over a stored step must fail wrapping sync.ErrConflict, got %v", err)
		}
		st.Version = v
		st.Status, st.Module, st.RecordID, st.Attempts = cxsync.StepDone, "Cases", "42", 2
		if v, err = s.PutStep(ctx, st); err != nil || v != 2 {
			t.Fatalf("Ledger.PutStep pending → done must return version 2, got %d, %v", v, err)
		}
		st.Status = cxsync.StepFailed
		if _, err := s.PutStep(ctx, st); !errors.Is(err, cxsync.ErrConflict) {
			t.Fatalf("Ledger.PutStep with a stale version must fail wrapping sync.ErrConflict, got %v", err)
		}
		got, err := s.GetStep(ctx, k)
		if err != nil || got.Status != cxsync.StepDone || got.RecordID != "42" || got.Module != "Cases" || got.Hash != "h1" || got.Attempts != 2 || got.Version != 2 || !sameTime(got.UpdatedAt, base) {
			t.Fatalf("Ledger.GetStep must return the last step stored, got %+v, %v", got, err)
		}
		got.Status = cxsync.StepFailed
		got.Err = &cxsync.StepError{Class: cxsync.ClassPermanent, Code: "INVALID_DATA", Field: "Status", Message: "invalid picklist value"}
		got.UpdatedAt = base.Add(time.Second)
		if _, err := s.PutStep(ctx, got); err != nil {
			t.Fatalf("Ledger.PutStep done → failed: %v", err)
		}
		got.Err.Message = "changed by the caller"
		again, _ := s.GetStep(ctx, k)
		if again.Err == nil || again.Err.Message != "invalid picklist value" || again.Err.Code != "INVALID_DATA" || again.Err.Field != "Status" || again.Err.Class != cxsync.ClassPermanent {
			t.Fatalf("Ledger must keep a step's error, copied, got %+v", again.Err)
		}
		again.Version = 3
		wins := race(50, func(i int) error { c := *again; c.Attempts = i; _, err := s.PutStep(ctx, &c); return err }, cxsync.ErrConflict)
		if wins != 1 {
			t.Fatalf("of 50 concurrent Ledger.PutStep calls with one version exactly one must win, %d did", wins)
		}
	})
	t.Run("KeysAreDistinct", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		k := stepKey("c1")
		variants := []cxsync.StepKey{k}
		for _, change := range []func(*cxsync.StepKey){
			func(k *cxsync.StepKey) { k.TenantID = "t2" },
			func(k *cxsync.StepKey) { k.OrgID = "org2" },
			func(k *cxsync.StepKey) { k.Section = cloudcx.SectionInbox },
			func(k *cxsync.StepKey) { k.SourceID = "c2" },
			func(k *cxsync.StepKey) { k.Kind = cxsync.StepAttachment },
			func(k *cxsync.StepKey) { k.Name = "transcript.txt" },
			func(k *cxsync.StepKey) { k.Seq = 1 },
		} {
			v := k
			change(&v)
			variants = append(variants, v)
		}
		for i, v := range variants {
			if _, err := s.PutStep(ctx, &cxsync.Step{Key: v, Status: cxsync.StepDone, RecordID: fmt.Sprint(i), UpdatedAt: base}); err != nil {
				t.Fatalf("Ledger.PutStep of key %+v: every field of a StepKey must tell steps apart, got %v", v, err)
			}
		}
		for i, v := range variants {
			if got, err := s.GetStep(ctx, v); err != nil || got.RecordID != fmt.Sprint(i) || got.Key != v {
				t.Fatalf("Ledger.GetStep(%+v) must return its own step, got %+v, %v", v, got, err)
			}
		}
	})
	t.Run("ListSteps", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		var want []string
		for i := range 7 {
			k := stepKey(fmt.Sprintf("f%d", i))
			at := base.Add(time.Duration(7-i) * time.Minute) // stored newest first, listed oldest first
			if _, err := s.PutStep(ctx, &cxsync.Step{Key: k, Status: cxsync.StepFailed, UpdatedAt: at, Err: &cxsync.StepError{Message: "x"}}); err != nil {
				t.Fatal(err)
			}
			want = append([]string{k.SourceID}, want...)
		}
		for _, other := range []*cxsync.Step{
			{Key: stepKey("done"), Status: cxsync.StepDone, UpdatedAt: base},
			{Key: cxsync.StepKey{TenantID: "t2", OrgID: "org1", Section: cloudcx.SectionWebChat, SourceID: "other", Kind: cxsync.StepRecord}, Status: cxsync.StepFailed, UpdatedAt: base},
		} {
			if _, err := s.PutStep(ctx, other); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		cursor, pages := "", 0
		for {
			steps, next, err := s.ListSteps(ctx, "t1", cxsync.StepFailed, cursor, 3)
			if err != nil {
				t.Fatalf("Ledger.ListSteps: %v", err)
			}
			if len(steps) > 3 {
				t.Fatalf("Ledger.ListSteps must return at most limit steps, got %d", len(steps))
			}
			for _, st := range steps {
				got = append(got, st.Key.SourceID)
			}
			pages++
			if next == "" || pages > 10 {
				break
			}
			cursor = next
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Ledger.ListSteps must list the tenant's steps of that status, oldest UpdatedAt first, across pages:\n got %v\nwant %v", got, want)
		}
		if steps, next, err := s.ListSteps(ctx, "t1", cxsync.StepPending, "", 0); err != nil || len(steps) != 0 || next != "" {
			t.Fatalf("Ledger.ListSteps of a status with no steps must be empty, got %v, %q, %v", steps, next, err)
		}
		if steps, _, err := s.ListSteps(ctx, "t1", cxsync.StepFailed, "", 0); err != nil || len(steps) != 7 {
			t.Fatalf("Ledger.ListSteps with limit 0 must use the default (100), got %d, %v", len(steps), err)
		}
	})
}

func testPersons(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	s := newStore(t)
	ctx := t.Context()
	key := func(id string) cxsync.PersonKey {
		return cxsync.PersonKey{TenantID: "t1", OrgID: "org1", Module: "Contacts", Identity: id}
	}
	if _, err := s.GetPerson(ctx, key("email:a@b.example")); !errors.Is(err, cxsync.ErrNotFound) {
		t.Fatalf("PersonMap.GetPerson of an unknown key must fail wrapping sync.ErrNotFound, got %v", err)
	}
	link := &cxsync.PersonLink{Module: "Contacts", RecordID: "7", AccountID: "9", Values: map[string]string{"Email": `"a@b.example"`}, UpdatedAt: base}
	for _, id := range []string{"visitor:web_chat:v1", "email:a@b.example", "phone:5550100"} {
		if err := s.PutPerson(ctx, key(id), link); err != nil {
			t.Fatal(err)
		}
	}
	other := &cxsync.PersonLink{Module: "Contacts", RecordID: "8", UpdatedAt: base}
	for _, k := range []cxsync.PersonKey{key("visitor:web_chat:v2"), {TenantID: "t1", OrgID: "org2", Module: "Contacts", Identity: "email:a@b.example"}, {TenantID: "t1", OrgID: "org1", Module: "Leads", Identity: "email:a@b.example"}} {
		l := *other
		l.Module = k.Module
		if k.OrgID == "org2" || k.Module == "Leads" {
			l.RecordID = "7" // same id in another org or module: not the same record
		}
		if err := s.PutPerson(ctx, k, &l); err != nil {
			t.Fatal(err)
		}
	}
	link.Values["Email"] = "changed"
	got, err := s.GetPerson(ctx, key("email:a@b.example"))
	if err != nil || got.RecordID != "7" || got.AccountID != "9" || got.Values["Email"] != `"a@b.example"` || !sameTime(got.UpdatedAt, base) {
		t.Fatalf("PersonMap.GetPerson must return the link put, copied, got %+v, %v", got, err)
	}
	if err := s.PutPerson(ctx, key("phone:5550100"), &cxsync.PersonLink{Module: "Contacts", RecordID: "7", Values: map[string]string{"Phone": `"5550100"`}, UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetPerson(ctx, key("phone:5550100")); got.AccountID != "" || got.Values["Phone"] == "" {
		t.Fatalf("PersonMap.PutPerson must replace the link, got %+v", got)
	}
	if err := s.DeletePerson(ctx, "t1", "org1", "Contacts", "7"); err != nil {
		t.Fatalf("PersonMap.DeletePerson: %v", err)
	}
	for _, id := range []string{"visitor:web_chat:v1", "email:a@b.example", "phone:5550100"} {
		if _, err := s.GetPerson(ctx, key(id)); !errors.Is(err, cxsync.ErrNotFound) {
			t.Fatalf("PersonMap.DeletePerson must delete every key naming the record, %s remains: %v", id, err)
		}
	}
	for _, k := range []cxsync.PersonKey{key("visitor:web_chat:v2"), {TenantID: "t1", OrgID: "org2", Module: "Contacts", Identity: "email:a@b.example"}, {TenantID: "t1", OrgID: "org1", Module: "Leads", Identity: "email:a@b.example"}} {
		if _, err := s.GetPerson(ctx, k); err != nil {
			t.Fatalf("PersonMap.DeletePerson must delete only the record named in its org and module, %+v is gone: %v", k, err)
		}
	}
	if err := s.DeletePerson(ctx, "t1", "org1", "Contacts", "7"); err != nil {
		t.Fatalf("PersonMap.DeletePerson of what does not exist must not fail, got %v", err)
	}
}

func testLocker(t *testing.T, newStore func(t *testing.T) cxsync.Store) {
	t.Run("Lease", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		releaseA, err := s.AcquireLock(ctx, "chat|c1", "a", time.Minute, base)
		if err != nil {
			t.Fatalf("Locker.AcquireLock of a free lock: %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c1", "b", time.Minute, base.Add(59*time.Second)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker.AcquireLock of a lock another owner holds must fail wrapping sync.ErrLockHeld, got %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c1", "a", time.Minute, base.Add(30*time.Second)); err != nil {
			t.Fatalf("Locker.AcquireLock by the owner must extend the lock, got %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c1", "b", time.Minute, base.Add(80*time.Second)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker.AcquireLock: an extended lock must still be held at its new lease, got %v", err)
		}
		if r, err := s.AcquireLock(ctx, "chat|c2", "b", time.Minute, base); err != nil {
			t.Fatalf("Locker locks must be per key, got %v", err)
		} else {
			_ = r(ctx)
		}
		releaseB, err := s.AcquireLock(ctx, "chat|c1", "b", time.Minute, base.Add(91*time.Second))
		if err != nil {
			t.Fatalf("Locker.AcquireLock after the lease expired must succeed, got %v", err)
		}
		if err := releaseA(ctx); err != nil {
			t.Fatalf("Locker: releasing an expired lock must not fail, got %v", err)
		}
		if _, err := s.AcquireLock(ctx, "chat|c1", "c", time.Minute, base.Add(92*time.Second)); !errors.Is(err, cxsync.ErrLockHeld) {
			t.Fatalf("Locker: the old owner's release must not release the new owner's lock, got %v", err)
		}
		if err := releaseB(ctx); err != nil {
			t.Fatal(err)
		}
		if err := releaseB(ctx); err != nil {
			t.Fatalf("Locker: releasing twice must not fail, got %v", err)
		}
		if r, err := s.AcquireLock(ctx, "chat|c1", "c", time.Minute, base.Add(93*time.Second)); err != nil {
			t.Fatalf("Locker.AcquireLock after the release must succeed, got %v", err)
		} else {
			_ = r(ctx)
		}
	})
	t.Run("ConcurrentOneWins", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		wins := race(50, func(i int) error {
			_, err := s.AcquireLock(ctx, "person|email:a@b.example", fmt.Sprintf("owner-%d", i), time.Minute, base)
			return err
		}, cxsync.ErrLockHeld)
		if wins != 1 {
			t.Fatalf("of 50 owners taking one lock at once exactly one must win, %d did", wins)
		}
	})
}
