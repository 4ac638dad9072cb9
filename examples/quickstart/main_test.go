package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestQuickstart(t *testing.T) {
	var first, second bytes.Buffer
	if err := run(t.Context(), &first); err != nil {
		t.Fatalf("%v\n%s", err, first.String())
	}
	out := first.String()
	for _, want := range []string{
		`1. Connected through OAuth`,
		`org "Zylker Demo" (enterprise edition: 20 simultaneous calls allowed)`,
		`2. Inserted Lead `,
		`3. Found the Lead by email (Ada Lovelace) and the Contact by phone (Grace Hopper)`,
		`4. Opened Case `,
		`attached transcript.txt (74 bytes`,
		`5. 3 active users:`,
		`API calls (8, each one Zoho credit):`,
		`GET    /crm/v2/Leads/search -> 200`,
		`Accounts-server calls: 2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "1000.") || strings.Contains(out, "secret") {
		t.Errorf("output shows a token or secret:\n%s", out)
	}
	// The fake's tokens and grant codes are "1000." and hex; no hex run of their size is shown
	// (record ids are digits only).
	for _, hex := range regexp.MustCompile(`[0-9a-f]{16,}`).FindAllString(out, -1) {
		if strings.Trim(hex, "0123456789") != "" {
			t.Errorf("output shows something like a token (%s):\n%s", hex, out)
		}
	}
	// Deterministic: the same output on every run.
	if err := run(t.Context(), &second); err != nil {
		t.Fatal(err)
	}
	if second.String() != out {
		t.Errorf("output differs between runs:\n%s\n---\n%s", out, second.String())
	}
}
