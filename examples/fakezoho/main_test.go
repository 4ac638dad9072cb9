package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs the command until the test cancels it, and returns its output once it serves.
func start(t *testing.T, args ...string) (out *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, out, out) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "serving until interrupted") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run ended: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("not serving after 5s:\n%s", out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return out, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("run did not stop")
			return nil
		}
	}
}

func TestRunServesTheDemoOrgUntilCancelled(t *testing.T) {
	out, stop := start(t, "-addr", "127.0.0.1:0", "-latency", "1ms", "-concurrency", "3", "-token-lifetime", "30m")
	text := out.String()
	base := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(text)
	id := regexp.MustCompile(`client id:\s+(\S+)`).FindStringSubmatch(text)
	secret := regexp.MustCompile(`client secret:\s+(\S+)`).FindStringSubmatch(text)
	rt := regexp.MustCompile(`refresh token: (\S+)`).FindStringSubmatch(text)
	if base == nil || id == nil || secret == nil || rt == nil || !strings.Contains(text, `"Zylker Demo"`) {
		t.Fatalf("output:\n%s", text)
	}
	// The printed refresh token works: refresh, then call the API.
	resp, err := http.PostForm(base[1]+"/oauth/v2/token", url.Values{"grant_type": {"refresh_token"},
		"client_id": {id[1]}, "client_secret": {secret[1]}, "refresh_token": {rt[1]}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		APIDomain   string `json:"api_domain"`
		ExpiresIn   int    `json:"expires_in"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" || tok.APIDomain != base[1] || tok.ExpiresIn != 1800 {
		t.Fatalf("token %+v %v", tok, err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", base[1]+"/crm/v2/Contacts", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Data []map[string]any `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(list.Data) != 1 || list.Data[0]["Last_Name"] != "Marrier" {
		t.Fatalf("contacts %d %v %v", resp.StatusCode, list, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "stopping after 2 calls") {
		t.Fatalf("output:\n%s", out)
	}
	// The port is free again.
	if _, err := http.Get(base[1] + "/crm/v2/org"); err == nil {
		t.Fatal("still serving after stop")
	}
}

func TestRunWithASeedFile(t *testing.T) {
	seed := `{"orgs":[
	  {"id":"111","name":"Acme","edition":"free","users":[{"email":"boss@acme.example","first_name":"Bo","last_name":"Ss"}],
	   "records":{"Contacts":[{"Last_Name":"Doe","Account_Name":{"id":"1000000000000000001"}}],"Accounts":[{"id":"1000000000000000001","Account_Name":"Acme"}]}},
	  {"id":"222","name":"Globex","client_id":"1000.GLOBEX","client_secret":"globex-secret"}]}`
	path := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(path, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stop := start(t, "-addr", "127.0.0.1:0", "-seed", path, "-credits", "100")
	text := out.String()
	if !strings.Contains(text, `org 111 "Acme" (free), current user boss@acme.example`) || !strings.Contains(text, `org 222 "Globex"`) ||
		!strings.Contains(text, "its own OAuth client: 1000.GLOBEX") || strings.Count(text, "refresh token: 1000.") != 2 {
		t.Fatalf("output:\n%s", text)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"orgs":[{"edition":"platinum"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"remote address":  {"-addr", "0.0.0.0:0"},
		"bad address":     {"-addr", "nowhere"},
		"unknown flag":    {"-nope"},
		"extra argument":  {"-addr", "127.0.0.1:0", "extra"},
		"missing seed":    {"-addr", "127.0.0.1:0", "-seed", filepath.Join(t.TempDir(), "none.json")},
		"bad seed":        {"-addr", "127.0.0.1:0", "-seed", bad},
		"bad latency":     {"-addr", "127.0.0.1:0", "-latency", "-1s"},
		"bad lifetime":    {"-addr", "127.0.0.1:0", "-token-lifetime", "0s"},
		"bad indexing":    {"-addr", "127.0.0.1:0", "-indexing-delay", "-1s"},
		"bad concurrency": {"-addr", "127.0.0.1:0", "-concurrency", "-2"},
		"bad credits":     {"-addr", "127.0.0.1:0", "-credits", "-5"},
	}
	for name, args := range cases {
		var out syncBuffer
		// Bounded: input wrongly accepted would serve until the context ends.
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err := run(ctx, args, &out, &out)
		cancel()
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// -allow-remote lets a non-loopback address through (bound here on loopback anyway: the
	// check is what is tested).
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out syncBuffer
	if err := run(ctx, []string{"-addr", "localhost:0", "-allow-remote"}, &out, &out); err != nil {
		t.Fatal(err)
	}
}

// Scripts pin the credentials and read the environment the quickstart uses; people get usage
// once, and a duration without a unit says which unit to use.
func TestFlagsForScripts(t *testing.T) {
	const refresh = "1000.pinned.refresh.token.for.scripts"
	ctx, cancel := context.WithCancel(t.Context())
	var out, errs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-client-id", "1000.SCRIPTCLIENT", "-client-secret", "script-secret",
			"-refresh-token", refresh, "-print-env"}, &out, &errs)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(errs.String(), "serving until interrupted") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("not serving: %s / %s", out.String(), errs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("not an assignment: %q", line)
		}
		env[k] = strings.Trim(v, "'")
	}
	if env["ZOHO_CLIENT_ID"] != "1000.SCRIPTCLIENT" || env["ZOHO_CLIENT_SECRET"] != "script-secret" || env["ZOHO_REFRESH_TOKEN"] != refresh ||
		env["ZOHO_API_URL"] == "" || env["ZOHO_ACCOUNTS_URL"] != env["ZOHO_API_URL"] || len(env) != 5 {
		t.Fatalf("env %v", env)
	}
	// The pinned refresh token works with the pinned client.
	resp, err := http.PostForm(env["ZOHO_ACCOUNTS_URL"]+"/oauth/v2/token", url.Values{"grant_type": {"refresh_token"},
		"client_id": {env["ZOHO_CLIENT_ID"]}, "client_secret": {env["ZOHO_CLIENT_SECRET"]}, "refresh_token": {refresh}})
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok["access_token"] == nil {
		t.Fatalf("refresh with the pinned credentials: %v", tok)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var help, herr syncBuffer
	if err := run(t.Context(), []string{"-h"}, &help, &herr); err != nil {
		t.Fatalf("-h: %v", err)
	}
	if n := strings.Count(herr.String(), "usage: fakezoho"); n != 1 || help.String() != "" {
		t.Fatalf("-h printed usage %d times on stderr, stdout %q", n, help.String())
	}
	var bad syncBuffer
	err = run(t.Context(), []string{"-latency", "50"}, &bad, &bad)
	if err == nil || !strings.Contains(err.Error(), "use a unit, e.g. 50ms") {
		t.Fatalf("-latency 50: %v", err)
	}
	if n := strings.Count(bad.String(), "usage: fakezoho"); n != 1 {
		t.Fatalf("usage printed %d times", n)
	}
}
