package zoho

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
)

type failingTS struct{ err error }

func (f failingTS) Token() (*oauth2.Token, error) { return nil, f.err }

// A searched value travels in the query string; a call that fails without an answer from Zoho (a
// transport error, no token) must not carry it into its error, its log lines or the call hook.
func TestNoQueryStringInErrorsOrLogs(t *testing.T) {
	const email = "pii.person+x@example.com"
	leaks := func(s string) bool {
		return strings.Contains(s, "%40") || strings.Contains(s, "pii.person") || strings.Contains(s, "example.com") ||
			strings.Contains(s, "email=") || strings.Contains(s, "?")
	}
	// A token endpoint that failed with its own query in the URL (secrets and all).
	tokenURLErr := &url.Error{Op: "Post", URL: "https://accounts.zoho.com/oauth/v2/token?refresh_token=1000.rt&client_id=1000.ID&email=" + url.QueryEscape(email),
		Err: errors.New("connection reset by peer")}
	cases := map[string][]Option{
		"transport error": {WithTokenSource(staticTS("")), WithTransport(httpmock.NewMockTransport())},
		"token error":     {WithTokenSource(failingTS{err: errors.New("no token today")})},
		"token url error": {WithTokenSource(failingTS{err: tokenURLErr})},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			var mu sync.Mutex
			var hooked []string
			opts = append(opts, WithBaseURL("https://www.zohoapis.com"), WithRetryPolicy(fastRetry),
				WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
				WithCallHook(func(_ context.Context, info CallInfo) {
					mu.Lock()
					defer mu.Unlock()
					if info.Err != nil {
						hooked = append(hooked, info.Err.Error())
					}
				}))
			if name == "transport error" {
				mt := httpmock.NewMockTransport()
				mt.RegisterNoResponder(httpmock.NewErrorResponder(errors.New("connection reset by peer")))
				opts = append(opts, WithTransport(mt))
			}
			c, err := NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = c.Records.SearchEmail(t.Context(), "Leads", email, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if leaks(err.Error()) {
				t.Errorf("error: %v", err)
			}
			var ue *url.Error
			if errors.As(err, &ue) && leaks(ue.URL) {
				t.Errorf("the *url.Error keeps the query: %s", ue.URL)
			}
			if leaks(logs.String()) {
				t.Errorf("logs: %s", logs.String())
			}
			for _, h := range hooked {
				if leaks(h) {
					t.Errorf("call hook: %s", h)
				}
			}
		})
	}
}

func TestRedactURLDropsTheQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"https://accounts.zoho.com/oauth/v2/token/revoke?token=1000.abc&x=1": "https://accounts.zoho.com/oauth/v2/token/revoke",
		"https://u:p@www.zohoapis.com/crm/v2/Leads/search?email=a%40b.c#f":   "https://www.zohoapis.com/crm/v2/Leads/search",
		"http://127.0.0.1:8089": "http://127.0.0.1:8089",
		"::":                    "(unparseable URL)",
	} {
		if got := RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}
