package main

// Failing tests of the adversarial review of issue 17 (review17 branch): each one shows a defect.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The resumable backfill as the doc describes it, on the default fake Zoho: a run stopped part way
// (here: a file holding the first 20 events), then a second run on the same -store with the whole
// file. The second run must skip the 20 done and sync the 10 others. It fails them all instead:
// the stored connection (and its token) point at the first run's fake Zoho, gone with its process,
// and the new fake is never used because the tenant is "connected" already.
func TestReview17BackfillResumesAPartialRunOnTheFake(t *testing.T) {
	dir := t.TempDir()
	all, part, store := filepath.Join(dir, "all.jsonl"), filepath.Join(dir, "part.jsonl"), filepath.Join(dir, "ledger.db")
	if err := generateEvents(all, "acme", 30); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(all)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if err := os.WriteFile(part, []byte(strings.Join(lines[:20], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	var out, errOut bytes.Buffer
	if err := command(t.Context(), []string{"-q", "-in", part, "-store", store}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("first run: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "events: 20, synced now: 20") {
		t.Fatalf("first run: %s", out.String())
	}
	out.Reset()
	if err := command(t.Context(), []string{"-q", "-in", all, "-store", store}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("second run: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "events: 30, synced now: 10, already synced (no Zoho call): 20, failed: 0") {
		t.Fatalf("the resumed run did not sync the rest:\n%s", out.String())
	}
}
