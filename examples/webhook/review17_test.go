package main

// Failing tests of the adversarial review of issue 17 (review17 branch): each one shows a defect.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// SIGTERM while a job is under way: the package doc promises "jobs under way finish (or, after
// -shutdown-timeout, go back to the queue)". serve passes the signal context to River's Start,
// and River documents that cancelling that context is a hard stop (StopAndCancel): the running
// job's context is cancelled at once, whatever -shutdown-timeout says. The job is held inside the
// file loader (the chat file is a FIFO) until after the signal, then let go: a graceful stop lets
// it finish and River records it completed.
func TestReview17ShutdownLetsTheRunningJobFinish(t *testing.T) {
	dir := t.TempDir()
	chats := filepath.Join(dir, "chats")
	if err := os.MkdirAll(filepath.Join(chats, "acme", "chats"), 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(chats, "acme", "chats", "c-1.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	dbPath := filepath.Join(dir, "w.db")
	ctx, sigterm := context.WithCancel(t.Context())
	defer sigterm()
	ready, done := make(chan string, 1), make(chan error, 1)
	logs := &lockedBuffer{}
	go func() {
		done <- serve(ctx, []string{"-addr", "127.0.0.1:0", "-database-url", dbPath, "-chats", chats, "-tenant", "acme=" + secret,
			"-workers", "1", "-shutdown-timeout", "2m"}, func(string) string { return "" }, logs, ready)
	}()
	base := "http://" + <-ready
	connectTenant(t, base)
	if code, out := post(t, base, "acme", secret, `{"event":"LiveChatSessionEnd","sessionId":"c-1","visitorId":"v1"}`); code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, out)
	}
	// Opening the FIFO for writing returns once the worker opened it to read: the job is running.
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	sigterm() // what signal.NotifyContext does on SIGTERM
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	chat := cloudcx.Chat{Thread: cloudcx.Thread{ID: "c-1", Channel: cloudcx.ChannelWebChat,
		Visitor:   cloudcx.Visitor{ID: "v1", Name: "Visitor 1", Email: "visitor1@example.org"},
		Messages:  []cloudcx.Message{{ID: "m1", SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: "Visitor", Text: "hello"}},
		StartedAt: start, EndedAt: start.Add(time.Minute), Status: cloudcx.StatusNormal}}
	if err := json.NewEncoder(w).Encode(chat); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// The Syncer may load the chat again (under a lock, before it reads Zoho for a visitor it
	// does not know): the FIFO answers every later load at once, until serve returns.
	stop := make(chan struct{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		for {
			select {
			case <-stop:
				return
			default:
			}
			f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
			if err != nil { // no reader yet
				time.Sleep(5 * time.Millisecond)
				continue
			}
			_ = json.NewEncoder(f).Encode(chat)
			f.Close()
		}
	}()
	err = <-done
	close(stop)
	<-served
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var state, errs string
	if err := db.QueryRow(`SELECT state, COALESCE(json(errors), '') FROM river_job WHERE kind = 'cxzoho_cloudcx_event'`).Scan(&state, &errs); err != nil {
		t.Fatal(err)
	}
	if state != "completed" {
		t.Fatalf("after a graceful shutdown the running job is %q, want completed: it was cancelled at the signal (errors %s)", state, errs)
	}
}

// /zoho/connect takes no secret (unlike /zoho/status and /zoho/disconnect), and the callback
// connects the tenant named in the state to whichever Zoho org consents: anyone who can reach the
// service and knows a tenant's name re-points that tenant at their own Zoho org, and every later
// chat (visitors' names, emails, transcripts) is written there.
func TestReview17ConnectNeedsTheTenantsSecret(t *testing.T) {
	f := newFixture(t)
	_, base := startApp(t, f.config(filepath.Join(t.TempDir(), "w.db"), 0))
	connectTenant(t, base) // the tenant's administrator connects the tenant's org

	mallory, err := f.srv.AddOrg(zohotest.OrgConfig{Name: "Mallory Ltd"})
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(base + "/zoho/connect?tenant=acme") // no X-CloudCX-Secret
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return // refused: fixed
	}
	// Mallory consents in her own org (the fake's zohotest_org picks it) and follows the callback.
	resp, err = noFollow.Get(resp.Header.Get("Location") + "&zohotest_org=" + url.QueryEscape(mallory.ID()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(base + "/zoho/callback?" + cb.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/zoho/status?tenant=acme", nil)
	req.Header.Set("X-CloudCX-Secret", secret)
	st, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Body.Close()
	var status map[string]any
	_ = json.NewDecoder(st.Body).Decode(&status)
	t.Fatalf("GET /zoho/connect without the tenant's secret redirected to Zoho's consent; the callback answered %d %s; tenant acme is now connected to org %v (%v)",
		resp.StatusCode, strings.TrimSpace(string(body)), status["org"], fmt.Sprint(status["org_id"]))
}

// "-database-url postgres://… where several instances share the work": several instances
// deployed at once on a fresh database all migrate at start-up. sqlstore.Migrate is safe for
// that (an advisory lock); River's migrator, which newApp runs right after, takes no lock, so the
// instances race on River's DDL and some fail to start.
func TestReview17InstancesStartAtOnceOnPostgreSQL(t *testing.T) {
	postgresURL(t) // skips without a database
	f := newFixture(t)
	for round := range 3 {
		cfg := f.config(postgresURL(t), 0)
		const instances = 4
		var wg sync.WaitGroup
		errs := make(chan error, instances)
		start := make(chan struct{})
		for range instances {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				a, err := newApp(t.Context(), cfg)
				if err == nil {
					a.close()
				}
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: of %d instances started at once on a fresh database, one failed: %v", round, instances, err)
			}
		}
	}
}
