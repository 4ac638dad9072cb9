package zoho

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

// A Request built by hand, not by NewRequest, is checked when it is sent: a path that leaves the
// API is refused with a *PathError and nothing (no token above all) goes out.
func TestHandBuiltRequestPathCheckedWhenSent(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		t.Errorf("sent %s %s", r.Method, r.URL)
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	bad := []string{
		"../../admin",
		"Leads/../../oauth",
		"Leads/./x",
		"/crm/v2/Leads",
		"https://evil.io/x",
		"//evil.io/x",
		"Leads?x=1",
		"Leads#f",
		"",
		"Leads//x",
		"Leads/",
		"Leads/%2e%2e/%2E%2E/admin",
		"Leads/..%2f..%2fadmin",
		`Leads\..\..\admin`,
		"Leads/%zz",
		"Leads/\x00",
		"Leads\r\nX: y",
	}
	for _, p := range bad {
		req := &Request{Method: http.MethodGet, Path: p}
		var pe *PathError
		if _, err := c.Do(t.Context(), req, nil); !errors.As(err, &pe) || pe.Path != p {
			t.Errorf("Do(%q): err = %v, want *PathError", p, err)
		}
		if resp, err := c.DoRaw(t.Context(), req); !errors.As(err, &pe) {
			t.Errorf("DoRaw(%q): err = %v, want *PathError", p, err)
			if err == nil {
				resp.Body.Close()
			}
		}
		if _, err := c.NewRequest(http.MethodGet, p, nil, nil); !errors.As(err, &pe) {
			t.Errorf("NewRequest(%q): err = %v, want *PathError", p, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	// A good hand-built request goes out.
	mt.RegisterResponder("GET", apiBase+"Leads/12", httpmock.NewStringResponder(200, `{"data":[]}`))
	if _, err := c.Do(t.Context(), &Request{Method: http.MethodGet, Path: "Leads/12"}, nil); err != nil {
		t.Fatal(err)
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

// readAnswer sizes its buffer from Content-Length, but never trusts it beyond maxPrealloc, and
// reads what the body holds whatever the header said.
func TestReadAnswerContentLength(t *testing.T) {
	body := `{"data":[{"id":"1"}]}`
	for _, tc := range []struct {
		name string
		size int64
	}{
		{"exact", int64(len(body))},
		{"unknown", -1},
		{"announced more than sent", 60 << 20},
		{"announced less than sent", 3},
		{"beyond the bound", maxJSONBody + 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAnswer(strings.NewReader(body), tc.size)
			if err != nil || string(got) != body {
				t.Fatalf("readAnswer = %q, %v; want the body", got, err)
			}
			if cap(got) > maxPrealloc+bytes.MinRead {
				t.Fatalf("buffer of %d bytes for a %d-byte body", cap(got), len(body))
			}
		})
	}
	big := strings.Repeat("x", maxJSONBody+5)
	got, err := readAnswer(strings.NewReader(big), int64(len(big)))
	if err != nil || len(got) != maxJSONBody+1 {
		t.Fatalf("a body beyond the bound: %d bytes read, %v; want maxJSONBody+1 (so decode refuses it)", len(got), err)
	}
}
