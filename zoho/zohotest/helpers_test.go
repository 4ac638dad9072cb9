package zohotest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture starts a server with one org and an access token of it.
type fixture struct {
	t     *testing.T
	srv   *Server
	org   *Org
	token string
	clock *testClock
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	clock := newTestClock()
	srv := New(t, append([]Option{WithClock(clock.Now)}, opts...)...)
	org, err := srv.AddOrg(OrgConfig{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, org: org, token: org.IssueAccessToken(), clock: clock}
}

// answer is an HTTP answer read whole.
type answer struct {
	status int
	header http.Header
	raw    []byte
}

// json decodes the answer as an object.
func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(a.raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v: %s", a.status, err, a.raw)
	}
	return m
}

// data returns data[] of a JSON answer.
func (a answer) data(t *testing.T) []map[string]any {
	t.Helper()
	items, _ := a.json(t)["data"].([]any)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i], _ = it.(map[string]any)
	}
	return out
}

// call sends a request with the fixture's token. body may be nil, a string or a value encoded as
// JSON (sent without a Content-Type, as Zoho's official clients do).
func (f *fixture) call(method, path string, body any, hdr ...string) answer {
	f.t.Helper()
	return rawCall(f.t, f.srv, f.token, method, path, body, hdr...)
}

func rawCall(t *testing.T, srv *Server, token, method, path string, body any, hdr ...string) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Zoho-oauthtoken "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, raw: raw}
}

func wantStatus(t *testing.T, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.raw)
	}
}

// wantCode checks a top-level Zoho error.
func wantCode(t *testing.T, a answer, status int, code string) map[string]any {
	t.Helper()
	wantStatus(t, a, status)
	m := a.json(t)
	if m["code"] != code || m["status"] != "error" {
		t.Fatalf("got %s, want code %s", a.raw, code)
	}
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func details(item map[string]any) map[string]any {
	d, _ := item["details"].(map[string]any)
	return d
}

func leadBody(records ...map[string]any) map[string]any {
	data := make([]any, len(records))
	for i, r := range records {
		data[i] = r
	}
	return map[string]any{"data": data}
}
