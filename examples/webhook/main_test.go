package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"database/sql"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

const secret = "s3cret-for-tests"

type fixture struct {
	srv   *zohotest.Server
	org   *zohotest.Org
	chats string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := zohotest.New(t)
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, org: org, chats: t.TempDir()}
}

func (f *fixture) config(dbURL string, workers int) config {
	return config{DatabaseURL: dbURL, ChatsDir: f.chats, Secrets: map[string]string{"acme": secret}, Workers: workers,
		OAuth:         &zoho.OAuthConfig{ClientID: f.srv.ClientID(), ClientSecret: f.srv.ClientSecret(), RedirectURL: "https://host.example/zoho/callback", Endpoints: zoho.Endpoints{API: f.srv.URL(), Accounts: f.srv.URL()}},
		ClientOptions: nil}
}

// putChat writes an ended chat as the file loader reads it.
func (f *fixture) putChat(t *testing.T, id string, n int) {
	t.Helper()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := cloudcx.Chat{Thread: cloudcx.Thread{ID: id, Channel: cloudcx.ChannelWebChat,
		Visitor:   cloudcx.Visitor{ID: fmt.Sprintf("v%d", n), Name: fmt.Sprintf("Visitor %d", n), Email: fmt.Sprintf("visitor%d@example.org", n)},
		Messages:  []cloudcx.Message{{ID: "m1", SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: "Visitor", Text: "hello"}},
		StartedAt: start, EndedAt: start.Add(time.Minute), Status: cloudcx.StatusNormal}}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.chats, "acme", "chats")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id+".json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cases counts the Cases carrying the chat's marker.
func (f *fixture) cases(id string) int {
	n := 0
	for _, r := range f.org.Records("Cases") {
		if s, _ := r["Subject"].(string); strings.HasSuffix(s, "[cx:acme:chat:"+id+"]") {
			n++
		}
	}
	return n
}

func post(t *testing.T, base, tenant, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/cloudcx/"+tenant+"/events", strings.NewReader(body))
	req.Header.Set("X-CloudCX-Secret", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// connectTenant runs /zoho/connect → Zoho's consent (the fake approves) → /zoho/callback, in
// one browser (its cookies).
func connectTenant(t *testing.T, base string) {
	t.Helper()
	browser := newBrowser(t)
	resp, err := browser.Get(consentCallback(t, browser, base))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"org":"Zylker Demo"`) {
		t.Fatalf("callback: %d %s", resp.StatusCode, body)
	}
}

// newBrowser is an HTTP client that keeps cookies and does not follow redirects.
func newBrowser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// consentCallback asks /zoho/connect in browser and follows Zoho's consent (the fake approves);
// it returns the callback URL Zoho sends the browser to.
func consentCallback(t *testing.T, browser *http.Client, base string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/zoho/connect?tenant=acme", nil)
	req.Header.Set("X-CloudCX-Secret", secret)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = browser.Get(resp.Header.Get("Location")) // the consent page
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return base + "/zoho/callback?" + cb.RawQuery
}

// The connect state is bound to the browser that asked for it: Zoho's callback opened in
// another browser (a leaked link, a login CSRF) connects nothing, and the state is spent.
func TestCallbackInAnotherBrowserIsRefused(t *testing.T) {
	f := newFixture(t)
	_, base := startApp(t, f.config(filepath.Join(t.TempDir(), "webhook.db"), 0))
	cb := consentCallback(t, newBrowser(t), base)
	resp, err := newBrowser(t).Get(cb)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "state_invalid") {
		t.Fatalf("callback in another browser: %d %s", resp.StatusCode, body)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startApp(t *testing.T, cfg config) (*app, string) {
	t.Helper()
	a, err := newApp(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.start(t.Context()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(a.handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.stop(ctx)
		a.close()
	})
	return a, hs.URL
}

// An event taken by an instance that died before any worker ran is worked after the restart,
// once: the queue is on disk, and a redelivered webhook is the same job.
func TestWebhookEventSurvivesARestart(t *testing.T) {
	f := newFixture(t)
	db := filepath.Join(t.TempDir(), "webhook.db")
	f.putChat(t, "c-1", 1)

	first, base := startApp(t, f.config(db, 0)) // takes webhooks, works nothing
	connectTenant(t, base)
	body := `{"event":"LiveChatSessionEnd","sessionId":"c-1","visitorId":"v1"}`
	code, out := post(t, base, "acme", secret, body)
	if code != http.StatusAccepted || out["duplicate"] != false {
		t.Fatalf("webhook: %d %v", code, out)
	}
	if code, out := post(t, base, "acme", secret, body); code != http.StatusAccepted || out["duplicate"] != true {
		t.Fatalf("redelivered webhook: %d %v", code, out)
	}
	for _, tc := range []struct {
		tenant, key, body string
		want              int
	}{
		{"acme", "wrong", body, http.StatusUnauthorized},
		{"other", secret, body, http.StatusUnauthorized},
		{"acme", secret, `{"event":"TicketAgentReply","ticketId":"t"}`, http.StatusAccepted},
		{"acme", secret, `{"event":`, http.StatusBadRequest},
		{"acme", secret, `{"event":"LiveChatSessionEnd","sessionId":"` + strings.Repeat("x", 2<<20) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		if code, out := post(t, base, tc.tenant, tc.key, tc.body); code != tc.want {
			t.Errorf("%s %q…: %d %v, want %d", tc.tenant, tc.body[:min(len(tc.body), 30)], code, out, tc.want)
		}
	}
	if f.cases("c-1") != 0 {
		t.Fatal("a Case exists before any worker ran")
	}
	first.close() // the process dies: no graceful stop

	_, _ = startApp(t, f.config(db, 2)) // restarted, with workers
	waitFor(t, "the Case", func() bool { return f.cases("c-1") > 0 })
	time.Sleep(200 * time.Millisecond) // a second job, if there were one, would have run by now
	if n := f.cases("c-1"); n != 1 {
		t.Fatalf("%d Cases for the chat, want 1", n)
	}
}

var pgSchema atomic.Int64

// Two instances on one PostgreSQL database, each given every webhook: one Case per chat.
func TestWebhookTwoInstancesOnPostgreSQL(t *testing.T) {
	dbURL := postgresURL(t)

	f := newFixture(t)
	const chats = 8
	for i := range chats {
		f.putChat(t, fmt.Sprintf("c-%d", i), i)
	}
	_, baseA := startApp(t, f.config(dbURL, 3))
	_, baseB := startApp(t, f.config(dbURL, 3))
	connectTenant(t, baseA)
	for i := range chats {
		body := fmt.Sprintf(`{"event":"LiveChatSessionEnd","sessionId":"c-%d","visitorId":"v%d"}`, i, i)
		for _, base := range []string{baseA, baseB} {
			if code, out := post(t, base, "acme", secret, body); code != http.StatusAccepted {
				t.Fatalf("webhook: %d %v", code, out)
			}
		}
	}
	for i := range chats {
		id := fmt.Sprintf("c-%d", i)
		waitFor(t, "the Case of "+id, func() bool { return f.cases(id) > 0 })
	}
	time.Sleep(200 * time.Millisecond)
	for i := range chats {
		if n := f.cases(fmt.Sprintf("c-%d", i)); n != 1 {
			t.Errorf("c-%d: %d Cases, want 1", i, n)
		}
	}
}

// The command itself: flags, a missing tenant, and a clean shutdown.
func TestServeCommand(t *testing.T) {
	var stderr strings.Builder
	if err := serve(t.Context(), []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, &stderr, nil); err != errNoTenants {
		t.Fatalf("no tenants: %v", err)
	}
	if err := serve(t.Context(), []string{"-h"}, func(string) string { return "" }, &stderr, nil); err != nil {
		t.Fatalf("-h: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	dir := t.TempDir()
	go func() {
		done <- serve(ctx, []string{"-addr", "127.0.0.1:0", "-database-url", filepath.Join(dir, "w.db"), "-chats", dir, "-tenant", "acme=" + secret}, func(string) string { return "" }, &stderr, ready)
	}()
	addr := <-ready
	code, _ := post(t, "http://"+addr, "acme", secret, `{"event":"TicketAgentReply","ticketId":"t"}`)
	if code != http.StatusAccepted {
		t.Fatalf("ignored event: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if strings.Contains(stderr.String(), secret) {
		t.Fatal("the logs show a tenant secret")
	}
}

// postgresURL returns the test database's URL on a fresh schema, dropped at the end; it skips
// without CXZOHO_TEST_POSTGRES_DSN, and fails under CI=true (CI never skips the real database).
func postgresURL(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("CXZOHO_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but CXZOHO_TEST_POSTGRES_DSN is not set")
		}
		t.Skip("CXZOHO_TEST_POSTGRES_DSN is not set: PostgreSQL tests skipped")
	}
	schema := fmt.Sprintf("cx_webhook_%d_%d", os.Getpid(), pgSchema.Add(1))
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}
