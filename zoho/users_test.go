package zoho

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

// readTestdataFile returns a fixture of testdata/.
func readTestdataFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const usersURL = "https://www.zohoapis.com/crm/v2/users"

func TestUsersListFixtures(t *testing.T) {
	for _, tc := range []struct {
		file  string
		count int
	}{
		{"v7docs_get_users_response.json", 15},
		{"v8oas_get_users_response_200.json", 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder("GET", usersURL, httpmock.NewBytesResponder(200, readTestdataFile(t, tc.file)))
			users, resp, err := c.Users.List(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != tc.count || resp.Info == nil || resp.Info.Count != tc.count || resp.Info.MoreRecords {
				t.Fatalf("got %d users, info %+v", len(users), resp.Info)
			}
			for _, u := range users {
				if u.ID == "" || u.Email == "" || u.Status == "" || u.Profile == nil || u.Role == nil || len(u.Raw) == 0 {
					t.Errorf("incomplete user %+v", u)
				}
				if u.CreatedTime.IsZero() || u.ModifiedTime.IsZero() {
					t.Errorf("user %s: times not decoded", u.ID)
				}
			}
		})
	}
}

func TestUsersFixtureFields(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", usersURL, httpmock.NewBytesResponder(200, readTestdataFile(t, "v7docs_get_users_response.json")))
	users, _, err := c.Users.List(t.Context(), &ListUsersOptions{Type: AllUsers})
	if err != nil {
		t.Fatal(err)
	}
	u := users[0]
	want := User{ID: "5725767000000411001", Email: "patricia.a+us@zohotest.com", FirstName: "Patricia", LastName: "Boyle",
		FullName: "Patricia Boyle", Status: "active", Confirm: true, ZUID: "808233918", TimeZone: "America/Los_Angeles",
		Locale: "en_US", CountryLocale: "en_US", Language: "en_US", Country: "US", Phone: "123456789", IsOnline: true,
		Type: "Regular User"}
	if u.ID != want.ID || u.Email != want.Email || u.FirstName != want.FirstName || u.LastName != want.LastName ||
		u.FullName != want.FullName || u.Status != want.Status || u.Confirm != want.Confirm || u.ZUID != want.ZUID ||
		u.TimeZone != want.TimeZone || u.Locale != want.Locale || u.CountryLocale != want.CountryLocale ||
		u.Language != want.Language || u.Country != want.Country || u.Phone != want.Phone || u.IsOnline != want.IsOnline ||
		u.Type != want.Type {
		t.Errorf("user = %+v", u)
	}
	if *u.Role != (UserRole{ID: "5725767000000026005", Name: "CEO"}) || *u.Profile != (UserProfile{ID: "5725767000000026011", Name: "Administrator"}) {
		t.Errorf("role %+v profile %+v", u.Role, u.Profile)
	}
	if u.CreatedBy == nil || u.CreatedBy.Name != "Patricia Boyle" || u.ModifiedBy == nil || u.ModifiedBy.ID != "5725767000000411001" {
		t.Errorf("created_by %+v modified_by %+v", u.CreatedBy, u.ModifiedBy)
	}
	if !u.CreatedTime.Equal(time.Date(2023, 4, 12, 9, 8, 5, 0, time.UTC)) {
		t.Errorf("created_time %v", u.CreatedTime)
	}
	if !strings.Contains(string(u.Raw), `"name_format__s"`) {
		t.Error("unknown keys not kept in Raw")
	}
	var active, deleted, disabled int
	for _, u := range users {
		switch {
		case u.Active():
			active++
		case u.Status == "deleted":
			deleted++
		case u.Status == "disabled":
			disabled++
		}
	}
	if active == 0 || deleted == 0 || disabled == 0 {
		t.Errorf("active %d deleted %d disabled %d", active, deleted, disabled)
	}
	if (*User)(nil).Active() {
		t.Error("nil user active")
	}
}

func TestUsersListRequestShape(t *testing.T) {
	c, mt := newMockClient(t)
	var got, ims string
	mt.RegisterResponder("GET", usersURL, func(r *http.Request) (*http.Response, error) {
		got, ims = r.URL.RawQuery, r.Header.Get("If-Modified-Since")
		return httpmock.NewStringResponse(200, `{"users":[],"info":{"more_records":false}}`), nil
	})
	users, _, err := c.Users.List(t.Context(), &ListUsersOptions{Type: ActiveUsers, Page: 3, PerPage: 50,
		IfModifiedSince: time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("IST", 19800))})
	if err != nil || users != nil {
		t.Fatalf("%v %v", users, err)
	}
	if got != "page=3&per_page=50&type=ActiveUsers" || ims != "2024-01-02T03:04:05+05:30" {
		t.Errorf("query = %q, If-Modified-Since %q", got, ims)
	}
	if _, _, err := c.Users.List(t.Context(), nil); err != nil || got != "" {
		t.Errorf("nil options: query %q, err %v", got, err)
	}
}

func TestUsersListBadOptions(t *testing.T) {
	c, mt := newMockClient(t)
	for _, o := range []*ListUsersOptions{{PerPage: 201}, {PerPage: -1}, {Page: -1}, {Type: "Active&x=1"}} {
		if _, _, err := c.Users.List(t.Context(), o); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%+v: err %v", o, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d calls sent", n)
	}
}

func TestUsersNotModified(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", usersURL, httpmock.NewStringResponder(304, ""))
	users, resp, err := c.Users.List(t.Context(), &ListUsersOptions{IfModifiedSince: time.Now()})
	if err != nil || users != nil || resp.StatusCode != 304 {
		t.Fatalf("%v %v %v", users, resp, err)
	}
}

func TestUsersListIter(t *testing.T) {
	page := func(ids []string, more bool) string {
		var b strings.Builder
		b.WriteString(`{"users":[`)
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"id":"` + id + `","email":"` + id + `@x.test","status":"active"}`)
		}
		if more {
			b.WriteString(`],"info":{"more_records":true}}`)
		} else {
			b.WriteString(`],"info":{"more_records":false}}`)
		}
		return b.String()
	}
	pages := map[string]string{"1": page([]string{"a", "b"}, true), "2": page([]string{"c"}, true), "3": page(nil, false)}

	t.Run("all pages", func(t *testing.T) {
		c, mt := newMockClient(t)
		var seen []string
		mt.RegisterResponder("GET", usersURL, func(r *http.Request) (*http.Response, error) {
			p := r.URL.Query().Get("page")
			seen = append(seen, p+"/"+r.URL.Query().Get("type"))
			return httpmock.NewStringResponse(200, pages[p]), nil
		})
		opts := &ListUsersOptions{Type: ActiveUsers}
		var ids []string
		for u, err := range c.Users.ListIter(t.Context(), opts) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		if strings.Join(ids, ",") != "a,b,c" || strings.Join(seen, ",") != "1/ActiveUsers,2/ActiveUsers,3/ActiveUsers" {
			t.Errorf("ids %v pages %v", ids, seen)
		}
		if opts.Page != 0 {
			t.Error("ListIter modified the options")
		}
	})
	t.Run("break stops fetching", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", usersURL, func(r *http.Request) (*http.Response, error) {
			return httpmock.NewStringResponse(200, pages[r.URL.Query().Get("page")]), nil
		})
		for range c.Users.ListIter(t.Context(), nil) {
			break
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Errorf("%d calls", n)
		}
	})
	t.Run("error mid-stream", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", usersURL, func(r *http.Request) (*http.Response, error) {
			if r.URL.Query().Get("page") == "2" {
				return httpmock.NewStringResponse(403, `{"code":"NO_PERMISSION","message":"Permission denied","status":"error","details":{}}`), nil
			}
			return httpmock.NewStringResponse(200, pages[r.URL.Query().Get("page")]), nil
		})
		var n int
		var last error
		for u, err := range c.Users.ListIter(t.Context(), nil) {
			if err != nil {
				if u != nil {
					t.Error("user with error")
				}
				last = err
				continue
			}
			n++
		}
		if n != 2 || !errors.Is(last, ErrNoPermission) {
			t.Errorf("n %d err %v", n, last)
		}
	})
	t.Run("empty", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", usersURL, httpmock.NewStringResponder(204, ""))
		for u, err := range c.Users.ListIter(t.Context(), nil) {
			t.Errorf("got %v %v", u, err)
		}
	})
}

func TestUsersGetAndCurrent(t *testing.T) {
	c, mt := newMockClient(t)
	body := readTestdataFile(t, "v8oas_get_users_response_200.json")
	mt.RegisterResponder("GET", usersURL+"/111133000000057662", httpmock.NewBytesResponder(200, body))
	mt.RegisterResponder("GET", usersURL+"/404", httpmock.NewStringResponder(204, ""))
	mt.RegisterResponder("GET", usersURL, func(r *http.Request) (*http.Response, error) {
		if r.URL.RawQuery != "type=CurrentUser" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		return httpmock.NewBytesResponse(200, body), nil
	})
	u, _, err := c.Users.Get(t.Context(), "111133000000057662")
	if err != nil || u.ID != "111133000000057662" || u.Email != "user@example.com" || u.Active() || u.Status != "disabled" {
		t.Fatalf("%+v %v", u, err)
	}
	if _, _, err := c.Users.Get(t.Context(), "404"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing user: %v", err)
	}
	if _, _, err := c.Users.Get(t.Context(), ""); err == nil {
		t.Error("empty id accepted")
	}
	if _, _, err := c.Users.Get(t.Context(), ".."); err == nil {
		t.Error("'..' id accepted")
	}
	me, _, err := c.Users.Current(t.Context())
	if err != nil || me.ZUID != "43318041" {
		t.Fatalf("%+v %v", me, err)
	}
	// The id is escaped as one path segment.
	mt.RegisterResponder("GET", "=~^https://www.zohoapis.com/crm/v2/users/a%2Fb", func(r *http.Request) (*http.Response, error) {
		return httpmock.NewBytesResponse(200, body), nil
	})
	if _, _, err := c.Users.Get(t.Context(), "a/b"); err != nil {
		t.Errorf("escaped id: %v", err)
	}
}

func TestUserTolerantDecoding(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", usersURL, httpmock.NewStringResponder(200,
		`{"users":[null,{"id":"1","email":"a@b.c","status":"ACTIVE","created_time":"","Modified_Time":"not a time","role":null,"new_key":{"x":1}}]}`))
	users, _, err := c.Users.List(t.Context(), nil)
	if err != nil || len(users) != 1 || !users[0].Active() || !users[0].CreatedTime.IsZero() || users[0].Role != nil {
		t.Fatalf("%+v %v", users, err)
	}
}
