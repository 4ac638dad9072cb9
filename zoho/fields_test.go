package zoho

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/jarcoal/httpmock"
)

// fieldsAnswer is a minimal /settings/fields answer, for the tests of the cache.
const fieldsAnswer = `{"fields":[{"api_name":"Subject","data_type":"text","length":255,"system_mandatory":true}]}`

// The service asks for one module's metadata and decodes Zoho's answer into a crm.FieldSet (the
// value types and their helpers are tested in package crm).
func TestFieldsListDecodes(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", apiBase+"settings/fields", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("module") != "Leads" || len(req.URL.Query()) != 1 {
			t.Errorf("query %q", req.URL.RawQuery)
		}
		return httpmock.NewStringResponse(200, readFixtureString(t, "v8oas_get_fields_response_200.json")), nil
	})
	fs, resp, err := c.Fields.List(t.Context(), "Leads")
	if err != nil || resp == nil || fs.Module() != "Leads" || fs.Len() != 5 {
		t.Fatalf("%v %v", fs, err)
	}
	company, ok := fs.Get("Company")
	if !ok || company.DataType != "text" || company.Length != 200 || company.ID != "4832675000000000555" {
		t.Fatalf("%+v", company)
	}
	if owner, _ := fs.Get("Owner"); !owner.Extra.Has("layout_associations") {
		t.Fatalf("%+v", owner)
	}
}

func TestFieldsCacheTTLAndInvalidate(t *testing.T) {
	c, mt := newMockClient(t, WithFieldsCacheTTL(time.Minute))
	var calls atomic.Int32
	mt.RegisterResponder("GET", apiBase+"settings/fields", func(req *http.Request) (*http.Response, error) {
		calls.Add(1)
		return httpmock.NewStringResponse(200, fieldsAnswer), nil
	})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.fields.now = func() time.Time { return now }
	ctx := t.Context()
	a, _, _ := c.Fields.List(ctx, "Cases")
	b, resp, _ := c.Fields.List(ctx, "Cases")
	if calls.Load() != 1 || a != b || resp != nil {
		t.Fatalf("not cached: %d calls", calls.Load())
	}
	if _, _, err := c.Fields.List(ctx, "Leads"); err != nil || calls.Load() != 2 {
		t.Fatal("per module")
	}
	now = now.Add(time.Minute + time.Second)
	if _, _, _ = c.Fields.List(ctx, "Cases"); calls.Load() != 3 {
		t.Fatal("not refreshed after the TTL")
	}
	c.Fields.Invalidate("Cases")
	if _, _, _ = c.Fields.List(ctx, "Cases"); calls.Load() != 4 {
		t.Fatal("Invalidate")
	}
	c.Fields.InvalidateAll()
	_, _, _ = c.Fields.List(ctx, "Cases")
	_, _, _ = c.Fields.List(ctx, "Leads")
	if calls.Load() != 6 {
		t.Fatal("InvalidateAll")
	}

	// TTL 0: no cache.
	c2, mt2 := newMockClient(t, WithFieldsCacheTTL(0))
	mt2.RegisterResponder("GET", apiBase+"settings/fields", httpmock.NewStringResponder(200, fieldsAnswer))
	for range 3 {
		if _, _, err := c2.Fields.List(ctx, "Cases"); err != nil {
			t.Fatal(err)
		}
	}
	if mt2.GetTotalCallCount() != 3 {
		t.Fatal("TTL 0 cached")
	}
	if _, err := NewClient(WithTokenSource(staticTS("")), WithFieldsCacheTTL(-time.Second)); err == nil {
		t.Fatal("negative TTL accepted")
	}
}

// Concurrent first calls share one request; errors are not cached.
func TestFieldsSingleFlight(t *testing.T) {
	c, mt := newMockClient(t)
	release := make(chan struct{})
	var calls atomic.Int32
	mt.RegisterResponder("GET", apiBase+"settings/fields", func(req *http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			<-release
		}
		return httpmock.NewStringResponse(200, fieldsAnswer), nil
	})
	waiting := make(chan struct{}, 8)
	c.fields.waiting = func() { waiting <- struct{}{} }
	var wg sync.WaitGroup
	sets := make([]*crm.FieldSet, 8)
	for i := range sets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs, _, err := c.Fields.List(t.Context(), "Cases")
			if err != nil {
				t.Error(err)
			}
			sets[i] = fs
		}()
	}
	for range len(sets) - 1 { // the first call is in flight and held: the others queue up behind it
		<-waiting
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d requests", calls.Load())
	}
	for _, s := range sets {
		if s != sets[0] {
			t.Fatal("different sets")
		}
	}

	// A waiter whose context ends stops waiting.
	c.Fields.Invalidate("Cases")
	entered, block := make(chan struct{}), make(chan struct{})
	mt.RegisterResponder("GET", apiBase+"settings/fields", func(req *http.Request) (*http.Response, error) {
		close(entered)
		<-block
		return httpmock.NewStringResponse(500, `{"code":"INTERNAL_ERROR","status":"error","message":"x","details":{}}`), nil
	})
	leaderDone := make(chan error, 1)
	go func() {
		_, _, err := c.Fields.List(context.Background(), "Cases")
		leaderDone <- err
	}()
	<-entered
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c.fields.waiting = cancel // the waiter's context ends once it waits
	if _, _, err := c.Fields.List(ctx, "Cases"); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter: %v", err)
	}
	close(block)
	if err := <-leaderDone; err == nil {
		t.Fatal("leader should fail")
	}
	mt.RegisterResponder("GET", apiBase+"settings/fields", httpmock.NewStringResponder(200, fieldsAnswer))
	if _, _, err := c.Fields.List(t.Context(), "Cases"); err != nil {
		t.Fatalf("error was cached: %v", err)
	}
}

// When the caller whose request the others wait on gives up (its context ends), a waiter whose
// context is still alive asks Zoho itself rather than fail with someone else's cancellation.
func TestFieldsLeaderCancelledWaiterFetches(t *testing.T) {
	c, mt := newMockClient(t)
	var calls atomic.Int32
	entered := make(chan struct{})
	mt.RegisterResponder("GET", apiBase+"settings/fields", func(req *http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			close(entered)
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		return httpmock.NewStringResponse(200, fieldsAnswer), nil
	})
	waiting := make(chan struct{}, 1)
	c.fields.waiting = func() { waiting <- struct{}{} }
	leaderCtx, cancelLeader := context.WithCancel(t.Context())
	defer cancelLeader()
	leaderErr := make(chan error, 1)
	go func() {
		_, _, err := c.Fields.List(leaderCtx, "Cases")
		leaderErr <- err
	}()
	<-entered
	waiter := make(chan error, 1)
	var got *crm.FieldSet
	go func() {
		fs, _, err := c.Fields.List(t.Context(), "Cases")
		got = fs
		waiter <- err
	}()
	<-waiting // the waiter queued up behind the leader
	cancelLeader()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	if err := <-waiter; err != nil || got == nil || got.Len() != 1 {
		t.Fatalf("waiter: %v %v", got, err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d requests", calls.Load())
	}
	// The waiter's answer is cached.
	if _, resp, err := c.Fields.List(t.Context(), "Cases"); err != nil || resp != nil || calls.Load() != 2 {
		t.Fatalf("not cached: %v %v %d", resp, err, calls.Load())
	}
}

// A fetch that panics releases the callers waiting on it (with an error) instead of leaving them
// blocked for ever, and nothing is cached.
func TestFieldsCachePanickingFetchReleasesWaiters(t *testing.T) {
	waiting := make(chan struct{})
	fc := fieldCache{waiting: func() { close(waiting) }}
	started, release := make(chan struct{}), make(chan struct{})
	leaderPanicked := make(chan any, 1)
	go func() {
		defer func() { leaderPanicked <- recover() }()
		fc.get(t.Context(), "Cases", time.Minute, func(context.Context, string) (*crm.FieldSet, *Response, error) {
			close(started)
			<-release
			panic("boom")
		})
	}()
	<-started
	waiter := make(chan error, 1)
	go func() {
		_, _, err := fc.get(t.Context(), "Cases", time.Minute, func(context.Context, string) (*crm.FieldSet, *Response, error) {
			return nil, nil, errors.New("the waiter should not fetch")
		})
		waiter <- err
	}()
	<-waiting
	close(release)
	if p := <-leaderPanicked; p != "boom" {
		t.Fatalf("leader: %v", p)
	}
	if err := <-waiter; err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
		t.Fatalf("waiter: %v", err)
	}
	fs, _, err := fc.get(t.Context(), "Cases", time.Minute, func(context.Context, string) (*crm.FieldSet, *Response, error) {
		return crm.NewFieldSet("Cases", nil), nil, nil
	})
	if err != nil || fs == nil {
		t.Fatalf("after the panic: %v %v", fs, err)
	}
}
