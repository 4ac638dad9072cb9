package owner

import (
	"container/list"
	"context"
	"strings"
	"sync"
	"time"
)

// member is what the resolver keeps of a Zoho user.
type member struct {
	id, email, name string
}

// source is the resolver's view of one tenant's Zoho users: a [Directory], adapted.
type source interface {
	// activeMembers lists the org's active users, every page. whole is false when the listing
	// was stopped before its end (the users past the stop are unknown).
	activeMembers(ctx context.Context) (ms []member, whole bool, err error)
	// currentMember returns the user of the token and whether that user is active.
	currentMember(ctx context.Context) (m member, active bool, err error)
}

// flight is one call to Zoho shared by every caller that waits for it.
type flight struct {
	done chan struct{} // closed when the call has ended and its outcome is in the tenant
	err  error         // the call's failure; written before done is closed
}

// wait waits for f to end, or for ctx to end first.
func wait(ctx context.Context, f *flight) error {
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rejection remembers a user Zoho refused as a record owner.
type rejection struct {
	until time.Time
}

// tenant is the cached state of one tenant. Fields below mu are guarded by it.
type tenant struct {
	key  string
	elem *list.Element // guarded by Resolver.mu

	mu sync.Mutex
	// The users of the last successful listing.
	byEmail  map[string]member // normalised email → user (the first listed wins)
	byID     map[string]member
	listedAt time.Time // end of the last successful listing; zero: never listed
	complete bool      // the last listing was cached whole (not stopped early, nor cut at MaxUsersPerTenant)
	// The last listing attempt, successful or not.
	lastAttempt time.Time
	lastErr     error // its failure (wrapped), nil after a success
	listing     *flight
	forceList   bool // ForgetUser dropped a cached user: the next miss may list at once

	rejected map[string]rejection // user id → rejection

	current       *member // the connecting user, fetched from Zoho
	currentFlight *flight
	currentErr    error // the last fetch's failure (wrapped)
	currentErrAt  time.Time
}

func newTenant(key string) *tenant {
	return &tenant{key: key}
}

// busy reports whether a call to Zoho is in flight for t. It takes t.mu.
func (t *tenant) busy() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.listing != nil || t.currentFlight != nil
}

// normEmail is the comparison key of an email: trimmed of spaces, lower case.
func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// fresh reports whether the last successful listing may still answer.
func (t *tenant) fresh(now time.Time, ttl time.Duration) bool {
	return !t.listedAt.IsZero() && now.Sub(t.listedAt) < ttl
}

func (t *tenant) isRejected(id string, now time.Time) bool {
	rj, ok := t.rejected[id]
	return ok && now.Before(rj.until)
}

// install replaces the cached users with ms, keeping at most maxUsers of them. whole says whether
// ms is the whole listing.
func (t *tenant) install(ms []member, whole bool, now time.Time, maxUsers int) {
	byEmail := make(map[string]member, min(len(ms), maxUsers))
	byID := make(map[string]member, min(len(ms), maxUsers))
	complete := whole
	for _, m := range ms {
		if m.id == "" {
			continue
		}
		if _, dup := byID[m.id]; dup {
			continue
		}
		if len(byID) >= maxUsers {
			complete = false
			break
		}
		byID[m.id] = m
		if e := normEmail(m.email); e != "" {
			if _, dup := byEmail[e]; !dup {
				byEmail[e] = m
			}
		}
	}
	t.byEmail, t.byID, t.complete, t.listedAt = byEmail, byID, complete, now
	t.pruneRejected(now)
}

// reject records that Zoho refused id as an owner until until. At most maxEntries rejections are
// kept; the one ending first makes room.
func (t *tenant) reject(id string, until time.Time, maxEntries int, now time.Time) {
	t.pruneRejected(now)
	if t.rejected == nil {
		t.rejected = map[string]rejection{}
	}
	if _, cached := t.byID[id]; cached && !t.isRejected(id, now) {
		t.forceList = true
	}
	if _, ok := t.rejected[id]; !ok && len(t.rejected) >= maxEntries {
		var first string
		for k, rj := range t.rejected {
			if first == "" || rj.until.Before(t.rejected[first].until) {
				first = k
			}
		}
		delete(t.rejected, first)
	}
	t.rejected[id] = rejection{until: until}
}

func (t *tenant) pruneRejected(now time.Time) {
	for id, rj := range t.rejected {
		if !now.Before(rj.until) {
			delete(t.rejected, id)
		}
	}
}

// unusable says why id cannot own a record now, or "" if nothing is known against it.
func (t *tenant) unusable(id string, now time.Time, ttl time.Duration) string {
	if t.isRejected(id, now) {
		return "was rejected by Zoho as a record owner"
	}
	if t.fresh(now, ttl) && t.complete {
		if _, ok := t.byID[id]; !ok {
			return "is not among the org's active Zoho users"
		}
	}
	return ""
}

// describe returns what is known of user id.
func (t *tenant) describe(id string) member {
	if m, ok := t.byID[id]; ok {
		return m
	}
	if t.current != nil && t.current.id == id {
		return *t.current
	}
	return member{id: id}
}
