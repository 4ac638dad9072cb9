package zoho

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
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
// one request. The Response is nil when the answer came from the cache. Needs the scope
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

// fieldCache holds field metadata per module for one client, with one request in flight per
// module. The zero value is ready to use.
type fieldCache struct {
	mu      sync.Mutex
	entries map[string]*fieldEntry
	now     func() time.Time // for tests; nil means time.Now
	waiting func()           // for tests: called when a caller starts waiting on a fetch in flight
}

type fieldEntry struct {
	done    chan struct{} // closed when the fetch ended
	set     *crm.FieldSet
	err     error
	expires time.Time
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
		e := c.entries[module]
		if e != nil {
			select {
			case <-e.done:
				if e.err == nil && c.clock().Before(e.expires) {
					c.mu.Unlock()
					return e.set, nil, nil
				}
				// Expired (or failed): fetch again below.
			default:
				c.mu.Unlock()
				if c.waiting != nil {
					c.waiting()
				}
				select {
				case <-e.done:
				case <-ctx.Done():
					return nil, nil, ctx.Err()
				}
				if e.err == nil {
					return e.set, nil, nil
				}
				if isContextError(e.err) && ctx.Err() == nil {
					continue // the leader gave up; this caller tries itself
				}
				return nil, nil, e.err
			}
		}
		e = &fieldEntry{done: make(chan struct{})}
		if c.entries == nil {
			c.entries = map[string]*fieldEntry{}
		}
		c.entries[module] = e
		c.mu.Unlock()
		return c.lead(ctx, module, ttl, e, fetch)
	}
}

// lead makes the fetch the callers waiting on e share, and publishes its outcome. Should fetch
// panic, the waiters are released with an error before the panic goes on.
func (c *fieldCache) lead(ctx context.Context, module string, ttl time.Duration, e *fieldEntry,
	fetch func(context.Context, string) (*crm.FieldSet, *Response, error)) (set *crm.FieldSet, resp *Response, err error) {
	finished := false
	defer func() {
		if !finished {
			err = errors.New("zoho: fetching field metadata failed")
		}
		c.mu.Lock()
		e.set, e.err, e.expires = set, err, c.clock().Add(ttl)
		if err != nil && c.entries[module] == e {
			delete(c.entries, module) // errors are not cached
		}
		close(e.done)
		c.mu.Unlock()
	}()
	set, resp, err = fetch(ctx, module)
	finished = true
	return set, resp, err
}

// invalidate forgets one module, or all when module is "".
func (c *fieldCache) invalidate(module string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if module == "" {
		c.entries = nil
		return
	}
	delete(c.entries, module)
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
