package owner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudcx/cxzoho/zoho"
)

// Directory is what a [Resolver] needs from one tenant's Zoho org. [ZohoDirectory] provides it
// over a *zoho.Client; tests may supply their own.
type Directory interface {
	// ActiveUsers lists the org's active users, every page. Users that are not
	// [zoho.User.Active], or have no id, are ignored.
	ActiveUsers(ctx context.Context) ([]*zoho.User, error)
	// CurrentUser returns the user the tenant's token belongs to: the user who connected the
	// tenant.
	CurrentUser(ctx context.Context) (*zoho.User, error)
}

// ZohoDirectory returns the [Directory] of the org c talks to: ActiveUsers is GET
// /crm/v2/users?type=ActiveUsers, every page of 200 (one API call per page), and CurrentUser is
// GET /crm/v2/users?type=CurrentUser. Both need the OAuth scope ZohoCRM.users.READ.
//
// ActiveUsers returns only active users with an id, once each (Zoho's listing may repeat a user
// across pages while users change), and at most [MaxUsersPerTenantLimit] plus one of them; a
// listing that goes on one page past that many users without yielding them is stopped. When a
// Resolver uses it, the listing keeps only each user's id, email and name, and stops after
// [Config.MaxUsersPerTenant] such users plus one; a listing stopped early counts as cut.
func ZohoDirectory(c *zoho.Client) Directory { return &zohoDirectory{c: c} }

type zohoDirectory struct{ c *zoho.Client }

var errNilClient = errors.New("owner: ZohoDirectory: nil *zoho.Client")

// usersPerPage is the page size of the users listing: Zoho's largest.
const usersPerPage = 200

func (d *zohoDirectory) ActiveUsers(ctx context.Context) ([]*zoho.User, error) {
	var out []*zoho.User
	_, err := d.walk(ctx, MaxUsersPerTenantLimit+1, func(u *zoho.User) { out = append(out, u) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// walk calls fn for each active user with an id that the listing holds, once per id, and stops
// after limit of them. Only such users count towards limit: a listing cut by limit is then known
// to hold more usable users than limit-1, whatever else Zoho listed. A listing that goes on
// past limit+usersPerPage users of any kind without reaching limit usable ones (repeating users,
// say, with more_records true) is stopped too. whole reports whether the listing ended by itself.
func (d *zohoDirectory) walk(ctx context.Context, limit int, fn func(*zoho.User)) (whole bool, err error) {
	if d.c == nil {
		return false, errNilClient
	}
	seen := map[string]struct{}{}
	listed := 0
	for u, err := range d.c.Users.ListIter(ctx, &zoho.ListUsersOptions{Type: zoho.ActiveUsers, PerPage: usersPerPage}) {
		if err != nil {
			return false, err
		}
		if listed++; listed > limit+usersPerPage {
			return false, nil
		}
		m, ok := activeMember(u)
		if !ok {
			continue
		}
		if _, dup := seen[m.id]; dup {
			continue
		}
		seen[m.id] = struct{}{}
		fn(u)
		if len(seen) >= limit {
			return false, nil
		}
	}
	return true, nil
}

func (d *zohoDirectory) CurrentUser(ctx context.Context) (*zoho.User, error) {
	if d.c == nil {
		return nil, errNilClient
	}
	u, _, err := d.c.Users.Current(ctx)
	return u, err
}

// sourceOf adapts d for a resolver caching at most maxUsers users per tenant.
func sourceOf(d Directory, maxUsers int) source {
	if zd, ok := d.(*zohoDirectory); ok {
		return zohoSource{d: zd, limit: maxUsers + 1}
	}
	return dirSource{d: d}
}

// dirSource adapts any Directory.
type dirSource struct{ d Directory }

func (s dirSource) activeMembers(ctx context.Context) ([]member, bool, error) {
	us, err := s.d.ActiveUsers(ctx)
	if err != nil {
		return nil, false, err
	}
	ms := make([]member, 0, len(us))
	for _, u := range us {
		if m, ok := activeMember(u); ok {
			ms = append(ms, m)
		}
	}
	return ms, true, nil
}

func (s dirSource) currentMember(ctx context.Context) (member, bool, error) {
	return current(ctx, s.d)
}

// zohoSource reads a ZohoDirectory keeping only what the cache needs of each user, and at most
// limit users.
type zohoSource struct {
	d     *zohoDirectory
	limit int
}

func (s zohoSource) activeMembers(ctx context.Context) ([]member, bool, error) {
	var ms []member
	whole, err := s.d.walk(ctx, s.limit, func(u *zoho.User) {
		if m, ok := activeMember(u); ok {
			ms = append(ms, m)
		}
	})
	if err != nil {
		return nil, false, err
	}
	return ms, whole, nil
}

func (s zohoSource) currentMember(ctx context.Context) (member, bool, error) {
	return current(ctx, s.d)
}

func current(ctx context.Context, d Directory) (member, bool, error) {
	u, err := d.CurrentUser(ctx)
	if err != nil {
		return member{}, false, err
	}
	if u == nil {
		return member{}, false, fmt.Errorf("owner: the Directory returned no current user")
	}
	return toMember(u), u.Active(), nil
}

// activeMember returns what the cache keeps of u, if u is an active user with an id.
func activeMember(u *zoho.User) (member, bool) {
	if u == nil || !u.Active() || strings.TrimSpace(u.ID) == "" {
		return member{}, false
	}
	return toMember(u), true
}

func toMember(u *zoho.User) member {
	name := strings.TrimSpace(u.FullName)
	if name == "" {
		name = strings.TrimSpace(strings.TrimSpace(u.FirstName) + " " + strings.TrimSpace(u.LastName))
	}
	return member{id: strings.TrimSpace(u.ID), email: strings.TrimSpace(u.Email), name: name}
}
