package zoho

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
)

func TestErrorFixturesDecode(t *testing.T) {
	cases := []struct {
		file     string
		status   int
		code     string
		sentinel error
		temp     bool
	}{
		{"v8oas_error_400_authorization_failed.json", 400, "AUTHORIZATION_FAILED", ErrNoPermission, false},
		{"v8oas_error_400_duplicate_data.json", 400, "DUPLICATE_DATA", ErrDuplicateData, false},
		{"v8oas_error_400_invalid_data.json", 400, "INVALID_DATA", ErrInvalidData, false},
		{"v8oas_error_400_invalid_data_max_length.json", 400, "INVALID_DATA", ErrInvalidData, false},
		{"v8oas_error_400_invalid_module.json", 400, "INVALID_MODULE", ErrInvalidModule, false},
		{"v8oas_error_400_limit_exceeded_fields.json", 400, "LIMIT_EXCEEDED", nil, false},
		{"v8oas_error_400_mandatory_not_found.json", 400, "MANDATORY_NOT_FOUND", ErrMandatoryMissing, false},
		{"v8oas_error_401_invalid_token.json", 401, "INVALID_TOKEN", ErrInvalidToken, false},
		{"v8oas_error_401_oauth_scope_mismatch.json", 401, "OAUTH_SCOPE_MISMATCH", ErrScopeMismatch, false},
		{"v8oas_error_403_no_permission.json", 403, "NO_PERMISSION", ErrNoPermission, false},
		{"v8oas_error_404_invalid_url_pattern.json", 404, "INVALID_URL_PATTERN", ErrNotFound, false},
		{"v8oas_error_413_file_size_exceeded.json", 413, "FILE_SIZE_MORE_THAN_ALLOWED_SIZE", nil, false},
		{"v8oas_error_429_rate_limit_exceeded.json", 429, "RATE_LIMIT_EXCEEDED", ErrRateLimited, true},
		{"v8oas_error_500_internal_error.json", 500, "INTERNAL_ERROR", nil, true},
	}
	all := []error{ErrInvalidToken, ErrScopeMismatch, ErrRateLimited, ErrCreditsExhausted, ErrInvalidData,
		ErrMandatoryMissing, ErrDuplicateData, ErrNoPermission, ErrInvalidModule, ErrNotFound}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{MaxRetries: -1}))
			mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.NewBytesResponder(tc.status, body))
			req, _ := c.NewRequest("GET", "Leads", nil, nil)
			_, err = c.Do(t.Context(), req, nil)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.HTTPStatus != tc.status || ae.Code != tc.code || ae.Message == "" || ae.Status != "error" {
				t.Errorf("got %+v", ae)
			}
			for _, s := range all {
				if want := s == tc.sentinel; errors.Is(err, s) != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, !want, want)
				}
			}
			if errors.Is(ae, ErrTemporary) != tc.temp {
				t.Errorf("errors.Is(err, ErrTemporary) = %v", !tc.temp)
			}
			if !strings.Contains(err.Error(), tc.code) || !strings.Contains(err.Error(), "GET /crm/v2/Leads") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestErrorEnvelopeInside2xx(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads",
		httpmock.NewStringResponder(200, `{"code":"INVALID_DATA","details":{"api_name":"x"},"message":"bad","status":"error"}`))
	req, _ := c.NewRequest("GET", "Leads", nil, nil)
	_, err := c.Do(t.Context(), req, nil)
	if !errors.Is(err, ErrInvalidData) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzAPIErrorFromAnswer: any answer turns into an error without panicking, on one line, without
// the call's token even when the answer echoes it.
func FuzzAPIErrorFromAnswer(f *testing.F) {
	for _, name := range []string{"v8oas_error_400_invalid_data.json", "v8oas_error_401_invalid_token.json", "v8oas_error_429_rate_limit_exceeded.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(400, b, "")
	}
	f.Add(401, []byte(`{"code":"X","message":"Zoho-oauthtoken `+testToken+`\n","details":{"a":["`+testToken+`"]}}`), "1")
	f.Add(200, []byte(`{"data":[{"status":"error","code":"INVALID_DATA","details":{"x":{"y":1}}}]}`), "120")
	f.Add(429, []byte(`{"message":"\u005a\u006fho-oauthtoken 1000.secret-access-token.4f2a"}`), "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(400, []byte(`{"code":"E","message":"\u0031000.secret-access-token.4f2a","details":{"k":"\u0031000.secret-access-token.4f2a"}}`), "-5")
	c, err := NewClient(WithTokenSource(staticTS("")))
	if err != nil {
		f.Fatal(err)
	}
	req, _ := c.NewRequest("GET", "Leads", nil, nil)
	tok := &oauth2.Token{AccessToken: testToken}
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfterHdr string) {
		resp := &Response{Response: &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfterHdr}}}, Attempts: 1}
		e := c.newAPIError(req, resp, body, tok)
		msg := e.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("not one line: %q", msg)
		}
		for _, s := range []string{msg, e.Message, e.Code, string(e.Body), fmt.Sprint(e.Details)} {
			if strings.Contains(s, testToken) {
				t.Fatalf("token in %q", s)
			}
		}
		if e.RetryAfter < 0 {
			t.Fatalf("negative RetryAfter %v", e.RetryAfter)
		}
		_, _, _, _ = errors.Is(e, ErrTemporary), errors.Is(e, ErrScopeMismatch), errors.Is(e, ErrCreditsExhausted), errors.Is(e, ErrInvalidToken)
	})
}

func TestFailuresLoggedOnceWithTheCallContext(t *testing.T) {
	type key struct{}
	var logs bytes.Buffer
	var ctxSeen atomic.Int32
	h := &ctxHandler{Handler: slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}), seen: &ctxSeen, key: key{}}
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/org", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") == "Zoho-oauthtoken fresh" {
			return httpmock.NewStringResponse(200, `{"org":[]}`), nil
		}
		return httpmock.NewStringResponse(401, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`), nil
	})
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.NewStringResponder(400, `{"code":"INVALID_DATA","status":"error","message":"x"}`))
	c, _ := NewClient(WithTokenSource(&rejecter{current: "stale"}), WithTransport(mt), WithLogger(slog.New(h)))
	ctx := context.WithValue(t.Context(), key{}, "chat-7")
	req, _ := c.NewRequest("GET", "org", nil, nil)
	if _, err := c.Do(ctx, req, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "call failed") {
		t.Fatalf("a 401 recovered by the token retry was logged as a failure: %s", logs.String())
	}
	req, _ = c.NewRequest("GET", "Leads", nil, nil)
	if _, err := c.Do(ctx, req, nil); !errors.Is(err, ErrInvalidData) {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "call failed"); n != 1 || ctxSeen.Load() == 0 {
		t.Fatalf("%d failure lines, call context seen %d times: %s", n, ctxSeen.Load(), logs.String())
	}
}

// ctxHandler counts log records made with a context carrying key.
type ctxHandler struct {
	slog.Handler
	seen *atomic.Int32
	key  any
}

func (h *ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx.Value(h.key) != nil && strings.Contains(r.Message, "call failed") {
		h.seen.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func TestGeneric429DescriptionIsConcurrency(t *testing.T) {
	// Zoho's description of HTTP 429 names both causes; a body carrying it cannot tell them
	// apart, and reading it as credit exhaustion would stop a tenant for hours over the common,
	// seconds-long cause.
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.ResponderFromMultipleResponses([]*http.Response{
		httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"Number of API requests for the 24 hour period is exceeded or the concurrency limit of the user for the app is exceeded","status":"error","details":{}}`),
		httpmock.NewStringResponse(200, `{"data":[]}`),
	}))
	req, _ := c.NewRequest("GET", "Leads", nil, nil)
	if resp, err := c.Do(t.Context(), req, nil); err != nil || resp.Attempts != 2 {
		t.Fatalf("%v %v", resp, err)
	}
	for msg, want := range map[string]rateLimitKind{
		"Number of API requests for the 24 hour period is exceeded": rateLimitCredits,
		"You have exceeded the API credits for the day":             rateLimitCredits,
		"concurrency limit of the user for the app is exceeded":     rateLimitConcurrency,
		"Too many requests. Please try again later.":                rateLimitConcurrency,
		"too many concurrent requests":                              rateLimitConcurrency,
	} {
		if got := classify429("TOO_MANY_REQUESTS", msg); got != want {
			t.Errorf("%q: %v, want %v", msg, got, want)
		}
	}
}
