package zoho

import (
	"context"
	"errors"
	"fmt"
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
	for range sets { // the first call is in flight and held: every call joins it
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
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var joined atomic.Int32
	c.fields.waiting = func() {
		if joined.Add(1) == 2 {
			cancel() // the waiter's context ends once it waits
		}
	}
	leaderDone := make(chan error, 1)
	go func() {
		_, _, err := c.Fields.List(context.Background(), "Cases")
		leaderDone <- err
	}()
	<-entered
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
	waiting := make(chan struct{}, 8)
	c.fields.waiting = func() { waiting <- struct{}{} }
	leaderCtx, cancelLeader := context.WithCancel(t.Context())
	defer cancelLeader()
	leaderErr := make(chan error, 1)
	go func() {
		_, _, err := c.Fields.List(leaderCtx, "Cases")
		leaderErr <- err
	}()
	<-waiting // the leader started the fetch
	<-entered
	waiter := make(chan error, 1)
	var got *crm.FieldSet
	go func() {
		fs, _, err := c.Fields.List(t.Context(), "Cases")
		got = fs
		waiter <- err
	}()
	<-waiting // the waiter joined the leader's fetch
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

// A fetch that panics releases every caller sharing it with an error (it runs on a goroutine of
// its own: a panic there would crash the program), and nothing is cached.
func TestFieldsCachePanickingFetchReleasesWaiters(t *testing.T) {
	waiting := make(chan struct{}, 2)
	fc := fieldCache{waiting: func() { waiting <- struct{}{} }}
	started, release := make(chan struct{}), make(chan struct{})
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, _, err := fc.get(t.Context(), "Cases", time.Minute, func(context.Context, string) (*crm.FieldSet, *Response, error) {
				close(started) // once: the second caller joins the first's fetch
				<-release
				panic("boom")
			})
			errs <- err
		}()
	}
	<-started
	<-waiting
	<-waiting
	close(release)
	for range 2 {
		if err := <-errs; err == nil || !strings.HasPrefix(err.Error(), "zoho: ") || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("caller: %v", err)
		}
	}
	fs, _, err := fc.get(t.Context(), "Cases", time.Minute, func(context.Context, string) (*crm.FieldSet, *Response, error) {
		return crm.NewFieldSet("Cases", nil), nil, nil
	})
	if err != nil || fs == nil {
		t.Fatalf("after the panic: %v %v", fs, err)
	}
}

// A fetch in flight when the cache is invalidated answers its callers but is not cached, and a
// fetch failing with a timeout of its own (not its caller's cancellation) is returned, not retried
// without end.
func TestFieldsCacheInvalidateDuringFetchAndOwnTimeout(t *testing.T) {
	var fc fieldCache
	entered, release := make(chan struct{}), make(chan struct{})
	calls := 0
	done := make(chan error, 1)
	go func() {
		_, _, err := fc.get(t.Context(), "Cases", time.Minute, func(context.Context, string) (*crm.FieldSet, *Response, error) {
			calls++
			close(entered)
			<-release
			return crm.NewFieldSet("Cases", nil), nil, nil
		})
		done <- err
	}()
	<-entered
	fc.invalidate("")
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, _, err := fc.get(t.Context(), "Cases", time.Minute, func(context.Context, string) (*crm.FieldSet, *Response, error) {
		calls++
		return crm.NewFieldSet("Cases", nil), nil, nil
	}); err != nil || calls != 2 {
		t.Fatalf("the fetch begun before the invalidation was cached: %d calls, %v", calls, err)
	}
	fc.invalidate("Cases")
	if _, _, err := fc.get(t.Context(), "Cases", time.Minute, func(context.Context, string) (*crm.FieldSet, *Response, error) {
		calls++
		return nil, nil, fmt.Errorf("zoho: GET settings/fields: %w", context.DeadlineExceeded) // WithTimeout's header timeout
	}); !errors.Is(err, context.DeadlineExceeded) || calls != 3 {
		t.Fatalf("own timeout: %d calls, %v", calls, err)
	}
}
