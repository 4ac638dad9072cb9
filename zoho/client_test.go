package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
)

const testToken = "1000.secret-access-token.4f2a"

func staticTS(apiDomain string) oauth2.TokenSource {
	t := &oauth2.Token{AccessToken: testToken, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	if apiDomain != "" {
		t = t.WithExtra(map[string]any{"api_domain": apiDomain})
	}
	return oauth2.StaticTokenSource(t)
}

var fastRetry = RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: 2 * time.Second}

// newMockClient returns a client over a per-test httpmock transport, with the token's api_domain
// set to Zoho's US API domain.
func newMockClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{WithTokenSource(staticTS("https://www.zohoapis.com")), WithTransport(mt), WithRetryPolicy(fastRetry)}, opts...)
	c, err := NewClient(all...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

func TestNewClientOptionsFailClearly(t *testing.T) {
	cases := map[string][]Option{
		"no token source": {},
		"bad dc":          {WithTokenSource(staticTS("")), WithDataCenter("xx")},
		"v3 refused":      {WithTokenSource(staticTS("")), WithAPIVersion("v3")},
		"v8 refused":      {WithTokenSource(staticTS("")), WithAPIVersion("v8")},
		"concurrency 0":   {WithTokenSource(staticTS("")), WithConcurrency(0)},
		"bad base url":    {WithTokenSource(staticTS("")), WithBaseURL("ftp://x")},
		"ua newline":      {WithTokenSource(staticTS("")), WithUserAgent("a\r\nX-Evil: 1")},
		"negative wait":   {WithTokenSource(staticTS("")), WithRetryPolicy(RetryPolicy{MinWait: -1})},
		"nil logger":      {WithTokenSource(staticTS("")), WithLogger(nil)},
	}
	for name, opts := range cases {
		if _, err := NewClient(opts...); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%s: got err %v, want a zoho: error", name, err)
		}
	}
	c, err := NewClient(WithTokenSource(staticTS("")), WithAPIVersion("v2.1"), WithDataCenter(CA))
	if err != nil || c.APIVersion() != "v2.1" || c.DataCenter() != CA || c.Concurrency() != DefaultConcurrency {
		t.Fatalf("valid options: %v %v", c, err)
	}
}

func TestDataCenters(t *testing.T) {
	want := map[DataCenter][2]string{
		US: {"https://accounts.zoho.com", "https://www.zohoapis.com"},
		EU: {"https://accounts.zoho.eu", "https://www.zohoapis.eu"},
		IN: {"https://accounts.zoho.in", "https://www.zohoapis.in"},
		AU: {"https://accounts.zoho.com.au", "https://www.zohoapis.com.au"},
		JP: {"https://accounts.zoho.jp", "https://www.zohoapis.jp"},
		CN: {"https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"},
		CA: {"https://accounts.zohocloud.ca", "https://www.zohoapis.ca"},
		SA: {"https://accounts.zoho.sa", "https://www.zohoapis.sa"},
		UK: {"https://accounts.zoho.uk", "https://www.zohoapis.uk"},
	}
	if len(DataCenters()) != len(want) {
		t.Fatalf("DataCenters() = %v", DataCenters())
	}
	for dc, w := range want {
		if dc.AccountsURL() != w[0] || dc.APIURL() != w[1] {
			t.Errorf("%s: %s %s", dc, dc.AccountsURL(), dc.APIURL())
		}
		got, ok := DataCenterForAccountsServer(w[0])
		if !ok || got != dc {
			t.Errorf("DataCenterForAccountsServer(%s) = %v %v", w[0], got, ok)
		}
		if !IsZohoAPIDomain(w[1]) {
			t.Errorf("IsZohoAPIDomain(%s) = false", w[1])
		}
		if p, err := ParseDataCenter(strings.ToUpper(string(dc))); err != nil || p != dc {
			t.Errorf("ParseDataCenter(%s) = %v %v", dc, p, err)
		}
	}
	for _, bad := range []string{"https://accounts.zoho.com.evil.io", "http://accounts.zoho.com", "https://accounts.zoho.com:444",
		"https://user@accounts.zoho.com", "https://accounts.zoho.com/x", "accounts.zoho.com", "https://evil.io?x=accounts.zoho.com"} {
		if _, ok := DataCenterForAccountsServer(bad); ok {
			t.Errorf("DataCenterForAccountsServer(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"https://www.zohoapis.com.evil.io", "http://www.zohoapis.com", "https://127.0.0.1:8080"} {
		if IsZohoAPIDomain(bad) {
			t.Errorf("IsZohoAPIDomain(%q) accepted", bad)
		}
	}
}

type listOpts struct {
	Fields  []string `url:"fields,omitempty,comma"`
	Page    int      `url:"page,omitempty"`
	PerPage int      `url:"per_page,omitempty"`
}

func TestRequestShape(t *testing.T) {
	c, mt := newMockClient(t, WithUserAgent("acme-bridge/2"))
	var got *http.Request
	var gotBody []byte
	mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads",
		func(r *http.Request) (*http.Response, error) {
			got = r
			gotBody, _ = io.ReadAll(r.Body)
			return httpmock.NewStringResponse(201, `{"data":[{"code":"SUCCESS","details":{"id":"1"},"message":"record added","status":"success"}]}`), nil
		})
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads",
		func(r *http.Request) (*http.Response, error) {
			got = r
			return httpmock.NewStringResponse(200, `{"data":[{"id":"1"}],"info":{"per_page":2,"count":1,"page":3,"more_records":true}}`), nil
		})

	body := map[string]any{"data": []map[string]string{{"Last_Name": "O'Brien <b>&</b>"}}}
	req, err := c.NewRequest("POST", "Leads", nil, body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	resp, err := c.Do(t.Context(), req, &out)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || resp.Attempts != 1 {
		t.Fatalf("status %d attempts %d", resp.StatusCode, resp.Attempts)
	}
	if h := got.Header.Get("Authorization"); h != "Zoho-oauthtoken "+testToken {
		t.Errorf("Authorization = %q", h)
	}
	if h := got.Header.Get("User-Agent"); h != "cxzoho/"+Version+" acme-bridge/2" {
		t.Errorf("User-Agent = %q", h)
	}
	if h := got.Header.Get("Content-Type"); h != "application/json" {
		t.Errorf("Content-Type = %q", h)
	}
	if want := `{"data":[{"Last_Name":"O'Brien <b>&</b>"}]}`; string(gotBody) != want {
		t.Errorf("body = %s, want %s", gotBody, want)
	}
	if got.ContentLength != int64(len(gotBody)) {
		t.Errorf("Content-Length %d for %d bytes", got.ContentLength, len(gotBody))
	}

	req, err = c.NewRequest("GET", "Leads", &listOpts{Fields: []string{"Email", "Last_Name"}, Page: 3, PerPage: 2}, nil,
		IfModifiedSince(time.Date(2019, 7, 25, 15, 26, 49, 0, time.FixedZone("", 19800))))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.Do(t.Context(), req, &out)
	if err != nil {
		t.Fatal(err)
	}
	if q := got.URL.RawQuery; q != "fields=Email%2CLast_Name&page=3&per_page=2" {
		t.Errorf("query = %q", q)
	}
	if h := got.Header.Get("If-Modified-Since"); h != "2019-07-25T15:26:49+05:30" {
		t.Errorf("If-Modified-Since = %q", h)
	}
	if resp.Info == nil || resp.Info.Page != 3 || !resp.Info.MoreRecords {
		t.Errorf("Info = %+v", resp.Info)
	}
}

func TestAPIDomainFromToken(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://www.zohoapis.eu/crm/v2/org", httpmock.NewStringResponder(200, `{"org":[]}`))
	c, err := NewClient(WithTokenSource(staticTS("https://www.zohoapis.eu")), WithTransport(mt), WithDataCenter(US))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := c.NewRequest("GET", "org", nil, nil)
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
	// Without api_domain, the data centre's default.
	mt.RegisterResponder("GET", "https://www.zohoapis.jp/crm/v2.1/org", httpmock.NewStringResponder(200, `{"org":[]}`))
	c, _ = NewClient(WithTokenSource(staticTS("")), WithTransport(mt), WithDataCenter(JP), WithAPIVersion("v2.1"))
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
}

func TestForeignAPIDomainRefusedBeforeSending(t *testing.T) {
	mt := httpmock.NewMockTransport()
	c, err := NewClient(WithTokenSource(staticTS("https://www.zohoapis.com.evil.io")), WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := c.NewRequest("GET", "org", nil, nil)
	_, err = c.Do(t.Context(), req, nil)
	var he *HostError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want *HostError", err)
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d requests sent to a foreign host", n)
	}
	// Explicitly allowed, it is used.
	mt.RegisterResponder("GET", "http://127.0.0.1:8089/crm/v2/org", httpmock.NewStringResponder(200, `{}`))
	c, _ = NewClient(WithTokenSource(staticTS("http://127.0.0.1:8089")), WithTransport(mt), WithAllowedHosts("127.0.0.1:8089"))
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
}

func TestPathJoinAndRelativePaths(t *testing.T) {
	p, err := PathJoin("Leads", "a/b c", "Attachments")
	if err != nil || p != "Leads/a%2Fb%20c/Attachments" {
		t.Fatalf("PathJoin = %q %v", p, err)
	}
	for _, bad := range [][]string{{"Leads", ""}, {".."}, {"Leads", "."}, {"Leads", "12/../../users"}, {"Leads", `12\..`}} {
		if _, err := PathJoin(bad...); err == nil {
			t.Errorf("PathJoin(%q) accepted", bad)
		}
	}
	c, _ := newMockClient(t)
	for _, bad := range []string{"/crm/v2/Leads", "https://evil.io/x", "Leads/../../oauth"} {
		if _, err := c.NewRequest("GET", bad, nil, nil); err == nil {
			t.Errorf("NewRequest(%q) accepted", bad)
		}
	}
}

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
			if ae.Temporary() != tc.temp {
				t.Errorf("Temporary() = %v", ae.Temporary())
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

func TestNoContentIsNothing(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads/search", httpmock.NewStringResponder(204, ""))
	req, _ := c.NewRequest("GET", "Leads/search", nil, nil)
	v := map[string]any{"untouched": true}
	resp, err := c.Do(t.Context(), req, &v)
	if err != nil || resp.StatusCode != 204 || !v["untouched"].(bool) {
		t.Fatalf("%v %v %v", resp, err, v)
	}
}

func TestRetry429(t *testing.T) {
	t.Run("without Retry-After", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads",
			httpmock.ResponderFromMultipleResponses([]*http.Response{
				httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"concurrency limit of the user for the app is exceeded","status":"error","details":{}}`),
				httpmock.NewStringResponse(200, `{"data":[]}`),
			}))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		resp, err := c.Do(t.Context(), req, nil)
		if err != nil || resp.Attempts != 2 {
			t.Fatalf("%v %v", resp, err)
		}
	})
	t.Run("POST is retried after a 429", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads",
			httpmock.ResponderFromMultipleResponses([]*http.Response{
				httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"x","status":"error","details":{}}`),
				httpmock.NewStringResponse(201, `{"data":[]}`),
			}))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		if resp, err := c.Do(t.Context(), req, nil); err != nil || resp.Attempts != 2 {
			t.Fatalf("%v %v", resp, err)
		}
	})
	t.Run("Retry-After within the cap is honoured", func(t *testing.T) {
		c, _ := newMockClient(t)
		resp := httpmock.NewStringResponse(429, `{}`)
		resp.Header.Set("Retry-After", "2")
		if d := c.backoff(time.Millisecond, 2*time.Millisecond, 0, resp); d != 2*time.Second {
			t.Fatalf("backoff = %v, want 2s", d)
		}
		resp.Header.Set("Retry-After", "3600")
		if d := c.backoff(time.Millisecond, 2*time.Millisecond, 0, resp); d != fastRetry.MaxRetryAfter {
			t.Fatalf("backoff = %v, want the cap", d)
		}
	})
	t.Run("Retry-After above the cap ends the call with it", func(t *testing.T) {
		c, mt := newMockClient(t)
		r := httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"x","status":"error","details":{}}`)
		r.Header.Set("Retry-After", "120")
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.ResponderFromResponse(r))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.RetryAfter != 120*time.Second || !errors.Is(err, ErrRateLimited) {
			t.Fatalf("err = %#v", err)
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Fatalf("%d calls", n)
		}
	})
	t.Run("credit exhaustion is not retried", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads",
			httpmock.NewStringResponder(429, `{"code":"TOO_MANY_REQUESTS","message":"Number of API requests for the 24 hour period is exceeded","status":"error","details":{}}`))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || !ae.CreditsExhausted() || ae.Temporary() || !errors.Is(err, ErrCreditsExhausted) || errors.Is(err, ErrRateLimited) {
			t.Fatalf("err = %v", err)
		}
		if ae.RateLimit() != RateLimitCredits || ae.RateLimit().String() != "credits" {
			t.Fatalf("kind %v", ae.RateLimit())
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Fatalf("%d calls, want 1", n)
		}
	})
}

func TestRetry5xx(t *testing.T) {
	script := func() httpmock.Responder {
		return httpmock.ResponderFromMultipleResponses([]*http.Response{
			httpmock.NewStringResponse(503, `{"code":"INTERNAL_ERROR","message":"x","status":"error","details":{}}`),
			httpmock.NewStringResponse(502, ``),
			httpmock.NewStringResponse(200, `{"data":[]}`),
		})
	}
	t.Run("GET retried until success", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", script())
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		if resp, err := c.Do(t.Context(), req, nil); err != nil || resp.Attempts != 3 {
			t.Fatalf("%v %v", resp, err)
		}
	})
	t.Run("POST not retried", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads", script())
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		_, err := c.Do(t.Context(), req, nil)
		var amb *AmbiguousError
		if !errors.As(err, &amb) || amb.StatusCode != 503 {
			t.Fatalf("err = %v, want *AmbiguousError", err)
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != "INTERNAL_ERROR" {
			t.Fatalf("the APIError is not reachable: %v", err)
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Fatalf("%d calls", n)
		}
	})
	t.Run("idempotent POST retried with the same body", func(t *testing.T) {
		c, mt := newMockClient(t)
		var bodies []string
		var mu sync.Mutex
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads/upsert",
			func(r *http.Request) (*http.Response, error) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				n := len(bodies)
				mu.Unlock()
				if n < 3 {
					return httpmock.NewStringResponse(500, `{}`), nil
				}
				return httpmock.NewStringResponse(200, `{"data":[]}`), nil
			})
		req, _ := c.NewRequest("POST", "Leads/upsert", nil, map[string]any{"data": []any{map[string]string{"Email": "a@b.c"}}}, Idempotent())
		if _, err := c.Do(t.Context(), req, nil); err != nil {
			t.Fatal(err)
		}
		if len(bodies) != 3 || bodies[0] != bodies[1] || bodies[1] != bodies[2] || bodies[0] == "" {
			t.Fatalf("bodies = %q", bodies)
		}
	})
	t.Run("other 4xx not retried", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.NewStringResponder(400, `{"code":"INVALID_DATA","status":"error","message":"x"}`))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		if _, err := c.Do(t.Context(), req, nil); !errors.Is(err, ErrInvalidData) || mt.GetTotalCallCount() != 1 {
			t.Fatalf("%v, %d calls", err, mt.GetTotalCallCount())
		}
	})
	t.Run("exhausted retries give the typed error", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.NewStringResponder(500, `{"code":"INTERNAL_ERROR","status":"error","message":"x"}`))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Attempts != 4 || ae.Code != "INTERNAL_ERROR" || !ae.Temporary() {
			t.Fatalf("err = %v", err)
		}
	})
}

// The context ends while the client waits out an hour-long backoff: the call returns at once (a
// backoff that ignored the context would hang the test).
func TestContextCancelDuringBackoffReturnsPromptly(t *testing.T) {
	c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{MaxRetries: 5, MinWait: time.Hour, MaxWait: time.Hour}))
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.NewStringResponder(503, ``))
	ctx, cancel := context.WithCancel(t.Context())
	backoff := c.retry.Backoff
	var waits []time.Duration
	c.retry.Backoff = func(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
		d := backoff(minWait, maxWait, attempt, resp)
		waits = append(waits, d)
		cancel() // the context ends as the wait begins
		return d
	}
	req, _ := c.NewRequest("GET", "Leads", nil, nil)
	if _, err := c.Do(ctx, req, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if len(waits) != 1 || waits[0] < 30*time.Minute || mt.GetTotalCallCount() != 1 {
		t.Fatalf("waits %v, %d calls", waits, mt.GetTotalCallCount())
	}
}

// 100 calls through a limit of 5: never more than 5 reach the server at once, and 5 do (the first
// ones are held until the fifth arrives).
func TestConcurrencyLimitNeverExceeded(t *testing.T) {
	var inFlight, peak atomic.Int32
	full := make(chan struct{})
	var fullOnce sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n == 5 {
			fullOnce.Do(func() { close(full) })
		}
		<-full
		inFlight.Add(-1)
		w.Write([]byte(`{"data":[]}`))
	}))
	defer srv.Close()
	c, err := NewClient(WithTokenSource(staticTS("")), WithBaseURL(srv.URL), WithConcurrency(5))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := c.NewRequest("GET", "Leads", nil, nil)
			var v map[string]any
			if _, err := c.Do(t.Context(), req, &v); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if p := peak.Load(); p != 5 {
		t.Fatalf("peak concurrency %d, want 5", p)
	}
}

func TestConnectionFailures(t *testing.T) {
	t.Run("refused before writing: POST is retried", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nothing listens: dial fails, nothing was written
		var attempts atomic.Int32
		c, _ := NewClient(WithTokenSource(staticTS("")), WithBaseURL("http://"+addr), WithRetryPolicy(fastRetry),
			WithCallHook(func(ctx context.Context, info CallInfo) { attempts.Add(1) }))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		_, err := c.Do(t.Context(), req, nil)
		var amb *AmbiguousError
		if err == nil || errors.As(err, &amb) {
			t.Fatalf("err = %v, want a plain failure", err)
		}
		if attempts.Load() != 4 {
			t.Fatalf("%d attempts, want 4", attempts.Load())
		}
	})
	t.Run("dropped after writing: POST is ambiguous, not retried", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			io.ReadAll(r.Body)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}))
		defer srv.Close()
		c, _ := NewClient(WithTokenSource(staticTS("")), WithBaseURL(srv.URL), WithRetryPolicy(fastRetry))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		_, err := c.Do(t.Context(), req, nil)
		var amb *AmbiguousError
		if !errors.As(err, &amb) || amb.StatusCode != 0 {
			t.Fatalf("err = %v, want *AmbiguousError", err)
		}
		if hits.Load() != 1 {
			t.Fatalf("%d hits", hits.Load())
		}
		// The same drop on a GET is retried.
		req, _ = c.NewRequest("GET", "Leads", nil, nil)
		_, _ = c.Do(t.Context(), req, nil)
		if hits.Load() != 5 {
			t.Fatalf("%d hits after GET, want 1+4", hits.Load())
		}
	})
}

type rejecter struct {
	mu       sync.Mutex
	current  string
	rejected []string
	fail     error
	next     string // the token after a rejection; "fresh" when empty
}

func (r *rejecter) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &oauth2.Token{AccessToken: r.current}, nil
}

func (r *rejecter) TokenRejected(ctx context.Context, tok *oauth2.Token) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejected = append(r.rejected, tok.AccessToken)
	if r.fail != nil {
		return r.fail
	}
	r.current = "fresh"
	if r.next != "" {
		r.current = r.next
	}
	return nil
}

func TestRejectedTokenRefreshedOnceAndRetried(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/org", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") == "Zoho-oauthtoken fresh" {
			return httpmock.NewStringResponse(200, `{"org":[]}`), nil
		}
		return httpmock.NewStringResponse(401, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`), nil
	})
	rj := &rejecter{current: "stale"}
	c, _ := NewClient(WithTokenSource(rj), WithTransport(mt))
	req, _ := c.NewRequest("GET", "org", nil, nil)
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
	if len(rj.rejected) != 1 || rj.rejected[0] != "stale" || mt.GetTotalCallCount() != 2 {
		t.Fatalf("rejected %v, %d calls", rj.rejected, mt.GetTotalCallCount())
	}
	// A refresh that fails permanently surfaces both errors, and nothing loops.
	reconnect := errors.New("reconnect required")
	rj2 := &rejecter{current: "stale", fail: reconnect}
	c, _ = NewClient(WithTokenSource(rj2), WithTransport(mt))
	_, err := c.Do(t.Context(), req, nil)
	if !errors.Is(err, reconnect) || !errors.Is(err, ErrInvalidToken) || len(rj2.rejected) != 1 {
		t.Fatalf("err = %v, rejected %v", err, rj2.rejected)
	}
	// Scope mismatch is never a refresh.
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/users", httpmock.NewStringResponder(401, `{"code":"OAUTH_SCOPE_MISMATCH","message":"Unauthorized","status":"error","details":{}}`))
	rj3 := &rejecter{current: "stale"}
	c, _ = NewClient(WithTokenSource(rj3), WithTransport(mt))
	req, _ = c.NewRequest("GET", "users", nil, nil)
	if _, err := c.Do(t.Context(), req, nil); !errors.Is(err, ErrScopeMismatch) || len(rj3.rejected) != 0 {
		t.Fatalf("err = %v, rejected %v", err, rj3.rejected)
	}
}

func TestCallHookSeesEveryAttemptWithContext(t *testing.T) {
	type key struct{}
	var mu sync.Mutex
	var seen []CallInfo
	c, mt := newMockClient(t, WithCallHook(func(ctx context.Context, info CallInfo) {
		if ctx.Value(key{}) != "chat-42" {
			t.Errorf("hook context lost the caller's value")
		}
		mu.Lock()
		seen = append(seen, info)
		mu.Unlock()
	}))
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads",
		httpmock.ResponderFromMultipleResponses([]*http.Response{httpmock.NewStringResponse(503, ``), httpmock.NewStringResponse(200, `{}`)}))
	req, _ := c.NewRequest("GET", "Leads", nil, nil)
	if _, err := c.Do(context.WithValue(t.Context(), key{}, "chat-42"), req, nil); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0].Status != 503 || seen[0].Attempt != 1 || seen[1].Status != 200 || seen[1].Attempt != 2 ||
		seen[1].Path != "/crm/v2/Leads" || seen[1].Method != "GET" {
		t.Fatalf("seen = %+v", seen)
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

func TestBadInputNeverPanics(t *testing.T) {
	// A token source whose api_domain is garbage: refused as a host, no panic.
	for _, d := range []string{"x", "h", "://", "zohoapis.com", "https://", "https:///crm"} {
		mt := httpmock.NewMockTransport()
		c, err := NewClient(WithTokenSource(staticTS(d)), WithTransport(mt))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := c.NewRequest("GET", "org", nil, nil)
		_, err = c.Do(t.Context(), req, nil)
		var he *HostError
		if !errors.As(err, &he) || mt.GetTotalCallCount() != 0 {
			t.Errorf("api_domain %q: err = %v, %d calls", d, err, mt.GetTotalCallCount())
		}
	}
	// A nil request option is skipped, as nil client options are.
	c, _ := newMockClient(t)
	if _, err := c.NewRequest("GET", "org", nil, nil, nil, Idempotent(), nil); err != nil {
		t.Fatal(err)
	}
	// A query or fragment smuggled into the path is refused.
	for _, bad := range []string{"Leads?ids=1", "Leads#x"} {
		if _, err := c.NewRequest("GET", bad, nil, nil); err == nil {
			t.Errorf("NewRequest(%q) accepted", bad)
		}
	}
}

func TestRetryAfterShapes(t *testing.T) {
	hdr := func(v string) *http.Response { return &http.Response{Header: http.Header{"Retry-After": {v}}} }
	if d, ok := retryAfter(hdr("99999999999999999")); !ok || d < 24*time.Hour {
		t.Errorf("huge seconds: %v %v, want a long wait, not an overflow", d, ok)
	}
	if d, ok := retryAfter(hdr(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))); !ok || d != 0 {
		t.Errorf("date in the past: %v %v", d, ok)
	}
	if d, ok := retryAfter(hdr(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))); !ok || d < 59*time.Minute || d > time.Hour {
		t.Errorf("date in an hour: %v %v", d, ok)
	}
	for _, bad := range []string{"-1", "soon", ""} {
		if _, ok := retryAfter(hdr(bad)); ok {
			t.Errorf("%q accepted", bad)
		}
	}

	t.Run("huge Retry-After ends the call", func(t *testing.T) {
		c, mt := newMockClient(t)
		r := httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"x","status":"error","details":{}}`)
		r.Header.Set("Retry-After", "99999999999999999")
		mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/Leads", httpmock.ResponderFromResponse(r))
		req, _ := c.NewRequest("GET", "Leads", nil, nil)
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.RetryAfter < 24*time.Hour || mt.GetTotalCallCount() != 1 {
			t.Fatalf("err = %v, %d calls", err, mt.GetTotalCallCount())
		}
	})
	t.Run("HTTP-date within the cap is waited for, through the real stack", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				w.Header().Set("Retry-After", time.Now().Add(time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(429)
				w.Write([]byte(`{"code":"TOO_MANY_REQUESTS","message":"concurrency limit exceeded","status":"error","details":{}}`))
				return
			}
			w.Write([]byte(`{"data":[]}`))
		}))
		defer srv.Close()
		c, _ := NewClient(WithTokenSource(staticTS("")), WithBaseURL(srv.URL), WithRetryPolicy(fastRetry))
		backoff := c.retry.Backoff
		var waits []time.Duration
		c.retry.Backoff = func(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
			d := backoff(minWait, maxWait, attempt, resp)
			waits = append(waits, d)
			return d
		}
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}}) // not idempotent: a 429 is still safe
		resp, err := c.Do(t.Context(), req, nil)
		if err != nil || resp.Attempts != 2 || hits.Load() != 2 {
			t.Fatalf("%v %v, %d hits", resp, err, hits.Load())
		}
		if len(waits) != 1 || waits[0] > fastRetry.MaxRetryAfter || waits[0] > time.Second {
			t.Fatalf("waited %v for a Retry-After a second ahead", waits)
		}
	})
	t.Run("HTTP-date beyond the cap ends the call with it", func(t *testing.T) {
		c, mt := newMockClient(t)
		r := httpmock.NewStringResponse(429, `{"code":"TOO_MANY_REQUESTS","message":"x","status":"error","details":{}}`)
		r.Header.Set("Retry-After", time.Now().Add(10*time.Minute).UTC().Format(http.TimeFormat))
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads", httpmock.ResponderFromResponse(r))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}})
		_, err := c.Do(t.Context(), req, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.RetryAfter < 9*time.Minute || !ae.Temporary() || mt.GetTotalCallCount() != 1 {
			t.Fatalf("err = %v, %d calls", err, mt.GetTotalCallCount())
		}
	})
	t.Run("credit exhaustion on a POST is not retried", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", "https://www.zohoapis.com/crm/v2/Leads",
			httpmock.NewStringResponder(429, `{"code":"TOO_MANY_REQUESTS","message":"Number of API requests for the 24 hour period is exceeded","status":"error","details":{}}`))
		req, _ := c.NewRequest("POST", "Leads", nil, map[string]any{"data": []any{}}, Idempotent())
		_, err := c.Do(t.Context(), req, nil)
		if !errors.Is(err, ErrCreditsExhausted) || mt.GetTotalCallCount() != 1 {
			t.Fatalf("err = %v, %d calls", err, mt.GetTotalCallCount())
		}
	})
}

func TestTokenRetryAccounting(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://www.zohoapis.com/crm/v2/org", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") == "Zoho-oauthtoken fresh" {
			return httpmock.NewStringResponse(200, `{"org":[]}`), nil
		}
		return httpmock.NewStringResponse(401, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`), nil
	})
	var mu sync.Mutex
	var seen []CallInfo
	hook := WithCallHook(func(ctx context.Context, info CallInfo) { mu.Lock(); seen = append(seen, info); mu.Unlock() })
	c, _ := NewClient(WithTokenSource(&rejecter{current: "stale"}), WithTransport(mt), hook)
	req, _ := c.NewRequest("GET", "org", nil, nil)
	resp, err := c.Do(t.Context(), req, nil)
	if err != nil || resp.Attempts != 2 {
		t.Fatalf("%v, attempts %d, want 2 (the 401 and the retry)", err, resp.Attempts)
	}
	if len(seen) != 2 || seen[0].Attempt != 1 || seen[0].Status != 401 || seen[1].Attempt != 2 || seen[1].Status != 200 {
		t.Fatalf("hook saw %+v", seen)
	}
	// A second 401 after the retry: the error counts both attempts.
	seen = nil
	rj := &rejecter{current: "stale"}
	rj.next = "still-stale"
	c, _ = NewClient(WithTokenSource(rj), WithTransport(mt), hook)
	_, err = c.Do(t.Context(), req, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Attempts != 2 || !errors.Is(err, ErrInvalidToken) || len(rj.rejected) != 1 {
		t.Fatalf("err = %v (attempts %d), rejected %v", err, ae.Attempts, rj.rejected)
	}
	if len(seen) != 2 || seen[1].Attempt != 2 {
		t.Fatalf("hook saw %+v", seen)
	}
	// A failed renewal: both errors reachable, on one line.
	rj = &rejecter{current: "stale", fail: &TokenError{Op: "refresh", Code: "invalid_code"}}
	c, _ = NewClient(WithTokenSource(rj), WithTransport(mt))
	_, err = c.Do(t.Context(), req, nil)
	var te *TokenError
	if !errors.As(err, &ae) || !errors.As(err, &te) || !errors.Is(err, ErrInvalidToken) || !errors.Is(err, ErrReconnectRequired) {
		t.Fatalf("err = %v", err)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("error is not one line: %q", err.Error())
	}
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

func TestStreamRequestBodyReplayedOnEveryAttempt(t *testing.T) {
	c, mt := newMockClient(t)
	var mu sync.Mutex
	var bodies []string
	var lengths []int64
	mt.RegisterResponder("PUT", "https://www.zohoapis.com/crm/v2/Leads/1/photo", func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies, lengths = append(bodies, string(b)), append(lengths, r.ContentLength)
		if len(bodies) < 3 {
			return httpmock.NewStringResponse(503, ``), nil
		}
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	const payload = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhello\r\n--b--\r\n"
	var opens atomic.Int32
	req, err := c.NewStreamRequest("PUT", "Leads/1/photo", "multipart/form-data; boundary=b", int64(len(payload)),
		func() (io.Reader, error) { opens.Add(1); return strings.NewReader(payload), nil })
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(t.Context(), req, nil)
	if err != nil || resp.Attempts != 3 {
		t.Fatalf("%v %v", resp, err)
	}
	for i, b := range bodies {
		if b != payload || lengths[i] != int64(len(payload)) {
			t.Fatalf("attempt %d sent %d bytes (Content-Length %d): %q", i+1, len(b), lengths[i], b)
		}
	}
	if n := opens.Load(); n < 3 {
		t.Fatalf("the body was opened %d times for 3 attempts", n)
	}
	if _, err := c.NewStreamRequest("PUT", "x", "a/b", 1, nil); err == nil {
		t.Fatal("nil opener accepted")
	}
}

func TestConcurrencyWaitEndsWithTheContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) }))
	defer srv.Close()
	c, _ := NewClient(WithTokenSource(staticTS("")), WithBaseURL(srv.URL), WithConcurrency(1))
	req, _ := c.NewRequest("GET", "org", nil, nil)
	held, err := c.DoRaw(t.Context(), req) // holds the only slot until its body is closed
	if err != nil {
		t.Fatal(err)
	}
	// The context ends while the call waits for the slot (or before it asks): it returns with the
	// context's error (a wait that ignored the context would hang the test).
	ctx, cancel := context.WithCancel(t.Context())
	go cancel()
	if _, err := c.Do(ctx, req, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	held.Body.Close()
	if _, err := c.Do(t.Context(), req, nil); err != nil {
		t.Fatalf("after the slot was released: %v", err)
	}
}

func TestMoreOptionsFailClearly(t *testing.T) {
	ts := WithTokenSource(staticTS(""))
	cases := map[string][]Option{
		"nil token source": {WithTokenSource(nil)},
		"nil http client":  {ts, WithHTTPClient(nil)},
		"nil transport":    {ts, WithTransport(nil)},
		"host with path":   {ts, WithAllowedHosts("127.0.0.1:8089/x")},
		"empty host":       {ts, WithAllowedHosts(" ")},
		"zero timeout":     {ts, WithTimeout(0)},
		"nil hook":         {ts, WithCallHook(nil)},
		"concurrency 101":  {ts, WithConcurrency(101)},
		"21 retries":       {ts, WithRetryPolicy(RetryPolicy{MaxRetries: 21})},
		"min above max":    {ts, WithRetryPolicy(RetryPolicy{MinWait: time.Second, MaxWait: time.Millisecond})},
		"base url query":   {ts, WithBaseURL("http://127.0.0.1:1/?x=1")},
		"base url user":    {ts, WithBaseURL("http://u:p@127.0.0.1:1")},
	}
	for name, opts := range cases {
		if _, err := NewClient(opts...); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%s: got err %v, want a zoho: error", name, err)
		}
	}
	// The HTTP client's timeout bounds each attempt's wait for the answer (an answer that never
	// comes would hang the test if it did not).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c, err := NewClient(ts, WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}),
		WithRetryPolicy(RetryPolicy{MaxRetries: -1}))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := c.NewRequest("GET", "org", nil, nil)
	var ne net.Error
	if _, err := c.Do(t.Context(), req, nil); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

type valueTS struct{ tok string }

func (v valueTS) Token() (*oauth2.Token, error) { return &oauth2.Token{AccessToken: v.tok}, nil }

func TestClientPrintsNoSecretWithAnyVerb(t *testing.T) {
	c, err := NewClient(WithTokenSource(valueTS{tok: testToken}))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if s := fmt.Sprintf(verb, c); strings.Contains(s, testToken) || strings.Contains(s, "secret-access") {
			t.Fatalf("%s printed the token: %s", verb, s)
		}
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
		_, _, _, _ = e.Temporary(), e.Auth(), e.CreditsExhausted(), errors.Is(e, ErrInvalidToken)
	})
}

func TestCrossHostRedirectIsRefusedOnce(t *testing.T) {
	var hits atomic.Int32
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, other.URL+"/crm/v2/org", http.StatusFound)
	}))
	defer srv.Close()
	c, _ := NewClient(WithTokenSource(staticTS("")), WithBaseURL(srv.URL), WithRetryPolicy(fastRetry))
	req, _ := c.NewRequest("GET", "org", nil, nil)
	_, err := c.Do(t.Context(), req, nil)
	if err == nil || !strings.Contains(err.Error(), "refusing a redirect") {
		t.Fatalf("err = %v", err)
	}
	if hits.Load() != 1 || leaked.Load() != 0 {
		t.Fatalf("%d attempts, %d tokens sent to the other host", hits.Load(), leaked.Load())
	}
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
	for msg, want := range map[string]RateLimitKind{
		"Number of API requests for the 24 hour period is exceeded": RateLimitCredits,
		"You have exceeded the API credits for the day":             RateLimitCredits,
		"concurrency limit of the user for the app is exceeded":     RateLimitConcurrency,
		"Too many requests. Please try again later.":                RateLimitConcurrency,
		"too many concurrent requests":                              RateLimitConcurrency,
	} {
		if got := classify429("TOO_MANY_REQUESTS", msg); got != want {
			t.Errorf("%q: %v, want %v", msg, got, want)
		}
	}
}
