package sync

import (
	"container/list"
	"context"
	gosync "sync"
	"time"

	"github.com/cloudcx/cxzoho/rules"
)

// maxAccountCache bounds the Accounts remembered across tenants.
const maxAccountCache = 10000

// accountCache remembers, per tenant, org and Account search, which Account the identification
// rules found (or that they found none), for Config.AccountCacheTTL: visitors of one company then
// cost one Account search per TTL, not one each. It is bounded (least recently used first out).
type accountCache struct {
	mu  gosync.Mutex
	m   map[string]*list.Element
	lru *list.List
}

type accountEntry struct {
	key string
	id  string // "" when no Account was found
	at  time.Time
}

func (c *accountCache) get(key string, now time.Time, ttl time.Duration) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		return "", false
	}
	e := el.Value.(*accountEntry)
	if now.Sub(e.at) >= ttl || now.Before(e.at) {
		c.lru.Remove(el)
		delete(c.m, key)
		return "", false
	}
	c.lru.MoveToFront(el)
	return e.id, true
}

func (c *accountCache) put(key, id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m, c.lru = map[string]*list.Element{}, list.New()
	}
	if el, ok := c.m[key]; ok {
		el.Value = &accountEntry{key: key, id: id, at: now}
		c.lru.MoveToFront(el)
		return
	}
	c.m[key] = c.lru.PushFront(&accountEntry{key: key, id: id, at: now})
	for c.lru.Len() > maxAccountCache {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.m, old.Value.(*accountEntry).key)
	}
}

func (c *accountCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		c.lru.Remove(el)
		delete(c.m, key)
	}
}

// accountKey names the visitor's Account search in the tenant's org ("" when the rules search
// nothing for this visitor).
func (w *work) accountKey() string {
	searches := rules.Identify(rules.ModuleAccounts, w.set.Identification.For(rules.ModuleAccounts), w.in.Base().Visitor, w.in.Section())
	if len(searches) == 0 {
		return ""
	}
	key := w.conn.TenantID + "\x00" + w.conn.OrgID
	for _, s := range searches {
		q := s.Query()
		key += "\x00" + q.Email + "\x00" + q.Phone + "\x00" + q.Criteria.String()
	}
	return key
}

// account returns the id of the Account the rules identify for the visitor ("" for none), from
// the cache when a recent search answered it.
func (w *work) account(ctx context.Context) (id string, cached bool, err error) {
	key := w.accountKey()
	if key == "" {
		return "", false, nil
	}
	ttl, now := w.s.cfg.AccountCacheTTL, w.s.cfg.Clock()
	if ttl > 0 {
		if id, ok := w.s.accounts.get(key, now, ttl); ok {
			return id, true, nil
		}
	}
	acc, _, err := w.identify(ctx, rules.ModuleAccounts)
	if err != nil {
		return "", false, err
	}
	if acc != nil {
		id = acc.ID()
	}
	if ttl > 0 {
		w.s.accounts.put(key, id, now)
	}
	return id, false, nil
}
