package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cloudcx/cxzoho/zoho/crm"
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
			opts = append(opts, WithEndpoints(Endpoints{API: "https://www.zohoapis.com"}), WithRetryPolicy(fastRetry),
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
			_, _, err = c.Records.Search(t.Context(), "Leads", crm.SearchQuery{Email: email}, nil)
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

func TestNoSecretInErrorsLogsOrStrings(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt := newMockClient(t, WithLogger(logger))
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads",
		httpmock.NewStringResponder(401, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`))
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/users", httpmock.NewErrorResponder(errors.New("connection reset")))
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/org", httpmock.NewStringResponder(503, ``))
	var msgs []string
	for _, p := range []string{"Leads", "users", "org"} {
		req, _ := c.NewRequest("GET", p, nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		if err == nil {
			t.Fatalf("%s: no error", p)
		}
		msgs = append(msgs, err.Error(), func() string { b, _ := errorsJSON(err); return b }())
	}
	msgs = append(msgs, c.String(), logs.String())
	for _, m := range msgs {
		if strings.Contains(m, testToken) || strings.Contains(m, "secret-access") {
			t.Fatalf("secret leaked: %s", m)
		}
	}
	if !strings.Contains(logs.String(), "zoho: retrying") {
		t.Fatalf("retries were not logged: %s", logs.String())
	}
	if got := RedactURL("https://accounts.zoho.com/oauth/v2/token/revoke?token=1000.abc&x=1"); strings.Contains(got, "1000.abc") {
		t.Fatalf("RedactURL kept the token: %s", got)
	}
}

// errorsJSON renders err with %+v-like detail through fmt, to catch secrets in wrapped parts.
func errorsJSON(err error) (string, error) {
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		b.WriteString(e.Error())
	}
	return b.String(), nil
}

func TestHostileErrorBodiesAreScrubbed(t *testing.T) {
	// A server that echoes the request's Authorization header in its error (message, details,
	// code), with a line break to forge a log line.
	echo := func(r *http.Request) (*http.Response, error) {
		auth := r.Header.Get("Authorization")
		b, _ := json.Marshal(map[string]any{
			"code": "INVALID_DATA", "status": "error",
			"message": "bad header " + auth + "\nlevel=INFO msg=forged",
			"details": map[string]any{"header": auth, "raw": strings.TrimPrefix(auth, "Zoho-oauthtoken "),
				"nested": map[string]any{"list": []any{auth, "bearer " + testToken}}},
		})
		return httpmock.NewBytesResponse(400, b), nil
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt := newMockClient(t, WithLogger(logger))
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", echo)
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/org", func(r *http.Request) (*http.Response, error) {
		resp, _ := echo(r)
		resp.StatusCode = 200 // the error envelope inside a 2xx
		return resp, nil
	})
	for _, p := range []string{"Leads", "org"} {
		req, _ := c.NewRequest("GET", p, nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || !errors.Is(err, ErrInvalidData) {
			t.Fatalf("%s: err = %v", p, err)
		}
		texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", ae.Details), ae.Message, string(ae.Body), logs.String()}
		for _, s := range texts {
			if strings.Contains(s, testToken) || strings.Contains(s, "secret-access") {
				t.Fatalf("%s: token leaked: %s", p, s)
			}
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("%s: Error() is not one line: %q", p, err.Error())
		}
		if !strings.Contains(ae.Message, "REDACTED") || !json.Valid(ae.Body) {
			t.Fatalf("%s: message %q, body %s", p, ae.Message, ae.Body)
		}
	}
}

func TestScrubAuth(t *testing.T) {
	other := "1000.0f1e2d3c4b5a69788796a5b4c3d2e1f0.aabbccddeeff00112233445566778899"
	for _, s := range []string{"echo: Zoho-oauthtoken " + other, "Authorization=zoho-oauthtoken%20" + other, "BEARER " + other + ";x"} {
		if got := scrubAuth(s, testToken); strings.Contains(got, other) || !strings.Contains(got, "REDACTED") {
			t.Errorf("scrubAuth(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"Bearer token missing", "invalid oauth token", "Zoho-oauthtoken is required"} {
		if got := scrubAuth(s, testToken); got != s {
			t.Errorf("prose changed: %q -> %q", s, got)
		}
	}
	if got := oneLine("a\nb\r\tc\u2028d"); got != "a b  c d" {
		t.Errorf("oneLine = %q", got)
	}
}
