package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

func noEnv(string) string { return "" }

func TestQuickstart(t *testing.T) {
	var first, second bytes.Buffer
	if err := run(t.Context(), &first, noEnv); err != nil {
		t.Fatalf("%v\n%s", err, first.String())
	}
	out := first.String()
	for _, want := range []string{
		`1. Tenant "acme" connected to Zoho org "Zylker Demo" (enterprise edition), as patricia.boyle@zylker.example`,
		`new visitor: chat ends`,
		`the same webhook delivered again                 0 API calls`,
		`returning visitor: chat ends                     1 API calls`,
		`2 files uploaded; owner patricia.boyle@zylker.example`, // the agent is not a Zoho user
		`attached: invoice-0042.pdf (2044 bytes), screenshot.png (1026 bytes)`,
		`attached: transcript-c-1004.txt`,
		`<edsger@structured.example> phone "+31 20 555 0100"`, // the empty field filled
		`Cases (6):`, `Tasks (1):`, `Leads (2):`, `Contacts (5):`,
		`| Comment: Order re-sent with express delivery.`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, re := range []string{`wrap-up after the end +1 API calls: Contacts \d+ found; Cases \d+ updated`,
		`conversation resolved again +1 API calls: Leads \d+ found; Tasks \d+ updated`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %q:\n%s", re, out)
		}
	}
	if strings.Contains(out, "1000.") || strings.Contains(strings.ToLower(out), "secret") {
		t.Errorf("output shows a token or secret:\n%s", out)
	}
	for _, hex := range regexp.MustCompile(`[0-9a-f]{16,}`).FindAllString(out, -1) {
		if strings.Trim(hex, "0123456789") != "" {
			t.Errorf("output shows something like a token (%s)", hex)
		}
	}
	if err := run(t.Context(), &second, noEnv); err != nil {
		t.Fatal(err)
	}
	if second.String() != out {
		t.Errorf("output differs between runs:\n%s\n---\n%s", out, second.String())
	}
}

// A half-set environment is refused before anything is sent; a complete one points the same flows
// at another Zoho (here a standalone fake, as `fakezoho -print-env` describes it).
func TestQuickstartEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ZOHO_CLIENT_ID": "x"}, "half-set environment"},
		{map[string]string{"ZOHO_CLIENT_ID": "x", "ZOHO_CLIENT_SECRET": "y", "ZOHO_REFRESH_TOKEN": "z"}, "ZOHO_DC"},
		{map[string]string{"ZOHO_CLIENT_ID": "x", "ZOHO_CLIENT_SECRET": "y", "ZOHO_REFRESH_TOKEN": "z", "ZOHO_DC": "mars"}, "not a Zoho data centre"},
		{map[string]string{"ZOHO_CLIENT_ID": "x", "ZOHO_CLIENT_SECRET": "y", "ZOHO_REFRESH_TOKEN": "z", "ZOHO_DC": "eu", "ZOHO_API_URL": "http://x"}, "not both"},
	} {
		err := run(t.Context(), new(bytes.Buffer), func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "y") && strings.Contains(err.Error(), "ZOHO_CLIENT_SECRET=") {
			t.Errorf("the error shows a secret: %v", err)
		}
	}

	srv := zohotest.New(t)
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ZOHO_CLIENT_ID": srv.ClientID(), "ZOHO_CLIENT_SECRET": srv.ClientSecret(),
		"ZOHO_REFRESH_TOKEN": org.IssueRefreshToken(zoho.DefaultScopes()...), "ZOHO_ACCOUNTS_URL": srv.URL(), "ZOHO_API_URL": srv.URL()}
	var out bytes.Buffer
	if err := run(t.Context(), &out, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"using the Zoho at", `connected to Zoho org "Zylker Demo"`, "conversation resolved again",
		"4. Created in Zoho (read back):", "owner Anna Kingsley", "2 attachments", "| Comment: Order re-sent with express delivery."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := len(org.Records("Cases")); n != 6 {
		t.Errorf("%d Cases in the org, want 6", n)
	}
}
