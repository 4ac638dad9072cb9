package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// A backfill syncs every event once; a second run on the same ledger sends nothing; bad lines are
// reported with their number and skipped.
func TestBackfillIsResumable(t *testing.T) {
	srv := zohotest.New(t)
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "events.jsonl")
	if err := generateEvents(in, "acme", 200); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{not json\n" + `{"kind":"chat_ended","chat_id":""}` + "\n")
	f.Close()
	var progress bytes.Buffer
	o := options{Tenant: "acme", In: in, Store: filepath.Join(dir, "ledger.db"), Concurrency: 6, Progress: &progress,
		OAuth:         &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}},
		ClientOptions: nil,
		Token:         &zoho.Token{RefreshToken: org.IssueRefreshToken(zoho.DefaultScopes()...), AccountsServer: srv.URL()}}

	first, err := run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if first.Events != 200 || first.Done != 200 || first.Failed != 0 || first.BadLines != 2 {
		t.Fatalf("first run: %+v", first)
	}
	if !strings.Contains(strings.Join(first.FailedLines, "\n"), "line 201: not an event") || !strings.Contains(strings.Join(first.FailedLines, "\n"), "line 202:") {
		t.Fatalf("bad lines: %v", first.FailedLines)
	}
	if !strings.Contains(progress.String(), "events") {
		t.Errorf("no progress bar drawn: %q", progress.String())
	}
	records := len(org.Records("Cases")) + len(org.Records("Tasks"))

	second, err := run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if second.Already != 200 || second.Done != 0 || second.Calls != 0 {
		t.Fatalf("second run: %+v", second)
	}
	if n := len(org.Records("Cases")) + len(org.Records("Tasks")); n != records || n != 200 {
		t.Fatalf("%d Cases and Tasks after the second run, %d after the first, want 200", n, records)
	}
	var out bytes.Buffer
	second.print(&out)
	if !strings.Contains(out.String(), "already synced (no Zoho call): 200") {
		t.Errorf("summary: %s", out.String())
	}
}

func TestBackfillCommandDefaults(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := command(t.Context(), []string{"-generate", "50", "-q"}, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "events: 50, synced now: 50") {
		t.Errorf("output: %s", stdout.String())
	}
	if err := command(t.Context(), []string{"-q"}, func(k string) string { return map[string]string{"ZOHO_CLIENT_ID": "x"}[k] }, &stdout, &stderr); err == nil {
		t.Error("a half-set Zoho environment was accepted")
	}
}

// A line over the limit is reported with its number and skipped; the lines after it are read.
func TestBackfillSkipsAnOverlongLine(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "events.jsonl")
	if err := generateEvents(in, "acme", 3); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(in)
	lines := strings.SplitAfter(string(data), "\n")
	long := `{"kind":"chat_ended","chat_id":"` + strings.Repeat("x", maxLine+10) + `"}` + "\n"
	if err := os.WriteFile(in, []byte(lines[0]+long+lines[1]+lines[2]), 0o644); err != nil {
		t.Fatal(err)
	}
	events, bad, err := readEvents(in, "acme", &cloudcx.MemoryHost{})
	if err != nil || len(events) != 3 || len(bad) != 1 || !strings.Contains(bad[0], "line 2: longer than") || events[2].line != 4 {
		t.Fatalf("events %d, bad %v, err %v", len(events), bad, err)
	}
}

// A chat whose Case went in another chat's batched insert made no call of its own, yet it was
// synced now, not before.
func TestWroteCountsBatchedRecords(t *testing.T) {
	batched := &cxsync.Result{Record: &cxsync.RecordResult{Module: "Cases", ID: "1", Outcome: cxsync.Created}}
	known := &cxsync.Result{Person: &cxsync.RecordResult{Outcome: cxsync.Found}, Record: &cxsync.RecordResult{Outcome: cxsync.Found}}
	if !wrote(batched) || wrote(known) || wrote(&cxsync.Result{}) {
		t.Fatalf("wrote: batched %v, known %v, empty %v", wrote(batched), wrote(known), wrote(&cxsync.Result{}))
	}
}
