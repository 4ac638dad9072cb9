package owner

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzResolve feeds hostile agent emails, connecting-user ids and tenant keys to one resolver:
// it never panics, fails only with ErrNoOwner for a connecting user id missing from the listing
// when no user matched, an agent match is the user whose email is the agent's (case
// and surrounding spaces aside), and anything else is the connecting user.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"", " ", "alice@example.com", " ALICE@EXAMPLE.COM\t", "\u00a0bob@example.com\u2003",
		"İnfo@example.com", "\xff\xfe", strings.Repeat("a", 1000) + "@example.com", "a\x00@example.com"} {
		f.Add("t1", s, "900")
	}
	f.Add("", "alice@example.com", "")
	f.Add("t\n2", "bob@example.com", " 900 ")
	users := []member{alice, bob, admin, {id: "300", email: "İnfo@example.com"}, {id: "301", email: "\xff\xfe"}}
	r, err := New(Config{MaxTenants: 8})
	if err != nil {
		f.Fatal(err)
	}
	src := &fakeSource{users: users, current: admin}
	f.Fuzz(func(t *testing.T, tenant, email, conn string) {
		res, err := r.resolve(t.Context(), tenant, src, email, strings.TrimSpace(conn))
		if errors.Is(err, ErrNoOwner) && !slices.ContainsFunc(users, func(u member) bool {
			return u.id == strings.TrimSpace(conn) || normEmail(u.email) == normEmail(email)
		}) {
			return // a connecting user id missing from the complete listing is refused
		}
		if err != nil {
			t.Fatalf("resolve(%q, %q, %q): %v", tenant, email, conn, err)
		}
		switch res.Rule {
		case RuleAgentMatch:
			if normEmail(res.Email) != normEmail(email) || res.UserID == "" {
				t.Fatalf("agent %q matched %+v", email, res)
			}
		case RuleConnectingUser:
			want := strings.TrimSpace(conn)
			if want == "" {
				want = admin.id
			}
			if res.UserID != want {
				t.Fatalf("fallback for %q: %+v, want %s", conn, res, want)
			}
			for _, u := range users {
				if normEmail(email) != "" && normEmail(u.email) == normEmail(email) {
					t.Fatalf("agent %q fell back although user %s has that email", email, u.id)
				}
			}
		default:
			t.Fatalf("no rule: %+v", res)
		}
		if !utf8.ValidString(res.Reason) {
			t.Fatalf("reason %q", res.Reason)
		}
	})
}
