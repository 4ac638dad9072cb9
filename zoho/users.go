package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// UserType selects which users GET /users lists (Zoho's `type` parameter).
type UserType string

// The user types of Zoho CRM v2.
const (
	AllUsers              UserType = "AllUsers"
	ActiveUsers           UserType = "ActiveUsers"
	DeactiveUsers         UserType = "DeactiveUsers"
	ConfirmedUsers        UserType = "ConfirmedUsers"
	NotConfirmedUsers     UserType = "NotConfirmedUsers"
	DeletedUsers          UserType = "DeletedUsers"
	ActiveConfirmedUsers  UserType = "ActiveConfirmedUsers"
	AdminUsers            UserType = "AdminUsers"
	ActiveConfirmedAdmins UserType = "ActiveConfirmedAdmins"
	CurrentUser           UserType = "CurrentUser"
)

// User is a Zoho CRM user. Fields Zoho leaves null are zero; every key, known or not, stays in
// Raw.
type User struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	FullName  string `json:"full_name"`
	Alias     string `json:"alias"`
	// Status is "active", "disabled", "deleted", "inactive", …; see [User.Active].
	Status string `json:"status"`
	// Confirm reports whether the user accepted the invitation.
	Confirm bool         `json:"confirm"`
	Role    *UserRole    `json:"role"`
	Profile *UserProfile `json:"profile"`
	// ZUID is the user's Zoho account id (null until the invitation is confirmed).
	ZUID          string      `json:"zuid"`
	TimeZone      string      `json:"time_zone"`
	Locale        string      `json:"locale"`
	CountryLocale string      `json:"country_locale"`
	Language      string      `json:"language"`
	Country       string      `json:"country"`
	Phone         string      `json:"phone"`
	Mobile        string      `json:"mobile"`
	IsOnline      bool        `json:"Isonline"`
	Type          string      `json:"type__s"` // "Regular User", …
	ReportingTo   *crm.Lookup `json:"Reporting_To"`
	CreatedBy     *crm.Lookup `json:"created_by"`
	ModifiedBy    *crm.Lookup `json:"Modified_By"`
	CreatedTime   time.Time   `json:"created_time"`
	ModifiedTime  time.Time   `json:"Modified_Time"`

	// Raw is the user object as Zoho sent it.
	Raw json.RawMessage `json:"-"`
}

// UserRole is a user's role.
type UserRole struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// UserProfile is a user's profile (its permission set).
type UserProfile struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// UnmarshalJSON decodes the user and keeps the whole object in Raw. A time Zoho sends empty or
// malformed is left zero rather than failing the whole user.
func (u *User) UnmarshalJSON(b []byte) error {
	type plain User
	var p struct {
		plain
		CreatedTime  json.RawMessage `json:"created_time"`
		ModifiedTime json.RawMessage `json:"Modified_Time"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*u = User(p.plain)
	u.CreatedTime, u.ModifiedTime = looseTime(p.CreatedTime), looseTime(p.ModifiedTime)
	u.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Active reports whether the user is active (status "active"). An active user may still be
// unconfirmed; see Confirm.
func (u *User) Active() bool { return u != nil && strings.EqualFold(u.Status, "active") }

// ListUsersOptions select and page the users of [UsersService.List].
type ListUsersOptions struct {
	// Type selects the users (default, as Zoho's: AllUsers).
	Type UserType `url:"type,omitempty"`
	// Page counts from 1 (default 1).
	Page int `url:"page,omitempty"`
	// PerPage is the page size, 1..200 (default 200).
	PerPage int `url:"per_page,omitempty"`
	// IfModifiedSince lists only users modified after this instant (the If-Modified-Since
	// header). Zoho answers 304 when there are none; the list is then empty.
	IfModifiedSince time.Time `url:"-"`
}

func (o *ListUsersOptions) validate() error {
	if o == nil {
		return nil
	}
	for _, r := range o.Type {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("zoho: ListUsersOptions.Type %+.64q is not a user type such as ActiveUsers", string(o.Type))
		}
	}
	return validatePage("ListUsersOptions", o.Page, o.PerPage)
}

// List returns one page of users (GET /users; scope ZohoCRM.users.READ). resp.Info tells whether
// more pages follow; [UsersService.ListIter] walks them all. With opts.IfModifiedSince, an
// unchanged list gives no users and resp.StatusCode 304.
func (s *UsersService) List(ctx context.Context, opts *ListUsersOptions) ([]*User, *Response, error) {
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	var params any
	var ims time.Time
	if opts != nil {
		params, ims = opts, opts.IfModifiedSince
	}
	req, err := s.client.NewRequest(http.MethodGet, "users", params, nil, IfModifiedSince(ims))
	if err != nil {
		return nil, nil, err
	}
	var out struct {
		Users []*User `json:"users"`
	}
	resp, err := s.client.Do(ctx, req, &out)
	if err != nil {
		return nil, resp, err
	}
	return compactUsers(out.Users), resp, nil
}

func compactUsers(us []*User) []*User {
	out := us[:0]
	for _, u := range us {
		if u != nil {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ListIter returns every user of the selection, page after page, from opts.Page (default 1). It
// does not modify opts. It stops at the first error, which it yields with a nil user, and stops
// fetching when the loop breaks. A server that never ends the listing is stopped after 200,000
// users with a [*PagingLimitError] naming "users".
func (s *UsersService) ListIter(ctx context.Context, opts *ListUsersOptions) iter.Seq2[*User, error] {
	return func(yield func(*User, error) bool) {
		o := ListUsersOptions{}
		if opts != nil {
			o = *opts
		}
		pages(ctx, paging{module: "users", page: max(o.Page, 1), perPage: o.PerPage, maxItems: maxUsersWalk}, func(page int, _ string) ([]*User, *Response, error) {
			o.Page = page
			return s.List(ctx, &o)
		})(yield)
	}
}

// Get returns the user with the given id (GET /users/{id}). A user that does not exist is an
// error matching [ErrNotFound].
func (s *UsersService) Get(ctx context.Context, id string) (*User, *Response, error) {
	if id == "" {
		return nil, nil, errors.New("zoho: UsersService.Get: empty user id")
	}
	path, err := PathJoin("users", id)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	return s.one(ctx, req)
}

// Current returns the user the access token belongs to (GET /users?type=CurrentUser).
func (s *UsersService) Current(ctx context.Context) (*User, *Response, error) {
	req, err := s.client.NewRequest(http.MethodGet, "users", &ListUsersOptions{Type: CurrentUser}, nil)
	if err != nil {
		return nil, nil, err
	}
	return s.one(ctx, req)
}

func (s *UsersService) one(ctx context.Context, req *Request) (*User, *Response, error) {
	var out struct {
		Users []*User `json:"users"`
	}
	resp, err := s.client.Do(ctx, req, &out)
	if err != nil {
		return nil, resp, err
	}
	users := compactUsers(out.Users)
	if len(users) == 0 {
		return nil, resp, fmt.Errorf("zoho: GET %s: no such user: %w", s.client.fullPath(req), ErrNotFound)
	}
	return users[0], resp, nil
}
