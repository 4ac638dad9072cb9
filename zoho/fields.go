package zoho

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"golang.org/x/sync/singleflight"
)

// DefaultFieldsCacheTTL is how long a client keeps a module's field metadata by default.
const DefaultFieldsCacheTTL = 10 * time.Minute

// WithFieldsCacheTTL sets how long [FieldsService.List] keeps a module's field metadata before
// asking Zoho again (default [DefaultFieldsCacheTTL]). 0 turns the cache off: every List call
// asks Zoho. Field metadata changes when an administrator edits a layout; call
// [FieldsService.Invalidate] to forget it sooner.
func WithFieldsCacheTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("zoho: WithFieldsCacheTTL: %v is negative", d)
		}
		if d == 0 {
			d = -1 // no caching
		}
		c.fieldsTTL = d
		return nil
	}
}

// List returns the field metadata of module (GET /settings/fields?module=…), from the client's
// cache when it is fresh (see [WithFieldsCacheTTL]). Concurrent calls for the same module share
// one request, and each gets its Response; the Response is nil when the answer came from the
// cache. Needs the scope
// ZohoCRM.settings.fields.READ (or settings.ALL).
func (s *FieldsService) List(ctx context.Context, module string) (*crm.FieldSet, *Response, error) {
	if err := checkModuleCall(ctx, module); err != nil {
		return nil, nil, err
	}
	ttl := s.client.cfg.fieldsTTL
	if ttl == 0 {
		ttl = DefaultFieldsCacheTTL
	}
	if ttl < 0 {
		return s.fetch(ctx, module)
	}
	return s.client.fields.get(ctx, module, ttl, s.fetch)
}

// Invalidate forgets the cached field metadata of module, so the next List asks Zoho.
func (s *FieldsService) Invalidate(module string) { s.client.fields.invalidate(module) }

// InvalidateAll forgets the cached field metadata of every module.
func (s *FieldsService) InvalidateAll() { s.client.fields.invalidate("") }

func (s *FieldsService) fetch(ctx context.Context, module string) (*crm.FieldSet, *Response, error) {
	req, err := s.client.NewRequest(http.MethodGet, "settings/fields", url.Values{"module": {module}}, nil)
	if err != nil {
		return nil, nil, err
	}
	var ans struct {
		Fields []crm.Field `json:"fields"`
	}
	resp, err := s.client.Do(ctx, req, &ans)
	if err != nil {
		return nil, resp, err
	}
	return crm.NewFieldSet(module, ans.Fields), resp, nil
}

// fieldCache holds field metadata per module for one client. Concurrent misses for a module
// share one request (golang.org/x/sync/singleflight); a caller stops waiting when its context
// ends. The zero value is ready to use.
type fieldCache struct {
	mu      sync.Mutex
	flight  *singleflight.Group // replaced by invalidate(""); nil until first used
	entries map[string]fieldEntry
	gen     uint64           // bumped by invalidate: a fetch begun before does not fill the cache
	now     func() time.Time // for tests; nil means time.Now
	waiting func()           // for tests: called once a caller has started or joined the module's fetch
}

type fieldEntry struct {
	set     *crm.FieldSet
	expires time.Time
}

// fetched is the outcome of one shared fetch.
type fetched struct {
	set  *crm.FieldSet
	resp *Response
	// abandoned: the context the fetch ran under (its first caller's) ended; the callers that
	// shared it and are still waiting ask again rather than fail with another's cancellation.
	abandoned bool
}

func (c *fieldCache) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func (c *fieldCache) get(ctx context.Context, module string, ttl time.Duration,
	fetch func(context.Context, string) (*crm.FieldSet, *Response, error)) (*crm.FieldSet, *Response, error) {
	for {
		c.mu.Lock()
		e, ok := c.entries[module]
		gen := c.gen
		if c.flight == nil {
			c.flight = new(singleflight.Group)
		}
		flight := c.flight
		c.mu.Unlock()
		if ok && c.clock().Before(e.expires) {
			return e.set, nil, nil
		}
		ch := flight.DoChan(module, func() (any, error) { return c.fetchShared(ctx, module, ttl, gen, fetch) })
		if c.waiting != nil {
			c.waiting()
		}
		select {
		case r := <-ch:
			f, _ := r.Val.(fetched)
			if r.Err != nil {
				if f.abandoned && ctx.Err() == nil {
					continue
				}
				return nil, f.resp, r.Err
			}
			return f.set, f.resp, nil
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// fetchShared makes the fetch the callers of a module share, under ctx (its first caller's), and
// caches a success unless the cache was invalidated meanwhile. It runs on a goroutine of its own
// (singleflight's DoChan): a panic of fetch becomes an error for every caller, not a crash.
func (c *fieldCache) fetchShared(ctx context.Context, module string, ttl time.Duration, gen uint64,
	fetch func(context.Context, string) (*crm.FieldSet, *Response, error)) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = fetched{}, fmt.Errorf("zoho: fetching the field metadata of %s failed: panic: %v", module, p)
		}
	}()
	set, resp, err := fetch(ctx, module)
	if err != nil {
		return fetched{resp: resp, abandoned: ctx.Err() != nil}, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.entries == nil {
			c.entries = map[string]fieldEntry{}
		}
		c.entries[module] = fieldEntry{set: set, expires: c.clock().Add(ttl)}
	}
	c.mu.Unlock()
	return fetched{set: set, resp: resp}, nil
}

// invalidate forgets one module, or all when module is "". A fetch in flight still answers its
// callers but is not cached; later callers ask Zoho again.
func (c *fieldCache) invalidate(module string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if module == "" {
		c.entries, c.flight = nil, nil
		return
	}
	delete(c.entries, module)
	if c.flight != nil {
		c.flight.Forget(module)
	}
}
