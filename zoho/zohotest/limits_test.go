package zohotest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConcurrencyLimit(t *testing.T) {
	clock := newTestClock()
	srv := New(t, WithClock(clock.Now), WithLatency(150*time.Millisecond))
	org, err := srv.AddOrg(OrgConfig{Edition: EditionFree}) // 5 at once
	if err != nil {
		t.Fatal(err)
	}
	other, err := srv.AddOrg(OrgConfig{Concurrency: -1})
	if err != nil {
		t.Fatal(err)
	}
	tok, otherTok := org.IssueAccessToken(), other.IssueAccessToken()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := tok
			if i%4 == 3 {
				tk = otherTok // another org's calls do not count against this org
			}
			a := rawCall(t, srv, tk, "GET", "/crm/v2/org", nil)
			mu.Lock()
			statuses[a.status]++
			mu.Unlock()
			if a.status == http.StatusTooManyRequests {
				m := a.json(t)
				if m["code"] != "TOO_MANY_REQUESTS" || !strings.Contains(str(m["message"]), "concurrency") {
					t.Errorf("429 body %s", a.raw)
				}
			}
		}()
	}
	wg.Wait()
	if statuses[200] != 8 || statuses[429] != 4 {
		t.Fatalf("statuses %v, want 8×200 (5 of org, 3 of other) and 4×429", statuses)
	}
	if org.PeakInFlight() != 5 || org.InFlight() != 0 {
		t.Fatalf("peak %d, in flight %d", org.PeakInFlight(), org.InFlight())
	}
	// Rejected calls cost no credit.
	if n := org.CreditsUsed(); n != 5 {
		t.Fatalf("credits %d", n)
	}
}

func TestDailyCredits(t *testing.T) {
	clock := newTestClock()
	srv := New(t, WithClock(clock.Now), WithTokenLifetime(72*time.Hour))
	org, err := srv.AddOrg(OrgConfig{DailyCredits: 3})
	if err != nil {
		t.Fatal(err)
	}
	tok := org.IssueAccessToken()
	for range 3 {
		wantStatus(t, rawCall(t, srv, tok, "GET", "/crm/v2/org", nil), http.StatusOK)
		clock.Advance(time.Hour)
	}
	m := wantCode(t, rawCall(t, srv, tok, "GET", "/crm/v2/org", nil), http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	if !strings.Contains(str(m["message"]), "24 hour") || !strings.Contains(str(m["message"]), "credits") {
		t.Fatalf("credit message %v", m["message"])
	}
	// Token calls cost nothing; credits free up 24 hours after each call.
	clock.Advance(21*time.Hour + time.Minute)
	wantStatus(t, rawCall(t, srv, tok, "GET", "/crm/v2/org", nil), http.StatusOK)
	wantCode(t, rawCall(t, srv, tok, "GET", "/crm/v2/org", nil), http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	org.SetDailyCredits(-1)
	wantStatus(t, rawCall(t, srv, tok, "GET", "/crm/v2/org", nil), http.StatusOK)
	// Editions set default credits: Enterprise 50,000 + 1,000 per user.
	ent, _ := srv.AddOrg(OrgConfig{Users: []User{{Email: "a@x.example"}, {Email: "b@x.example"}}})
	if ent.credits != 52000 || ent.concurrency != 20 {
		t.Fatalf("enterprise limits %d %d", ent.credits, ent.concurrency)
	}
}

func TestFaultsStatusNthAndFraction(t *testing.T) {
	f := newFixture(t)
	rule, err := f.srv.InjectFault(Fault{Method: "GET", Path: "/crm/v2/org", Nth: 2, Status: 503})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for range 4 {
		got = append(got, f.call("GET", "/crm/v2/org", nil).status)
	}
	if fmt.Sprint(got) != "[200 503 200 200]" || rule.Hits() != 1 {
		t.Fatalf("statuses %v, hits %d", got, rule.Hits())
	}
	rule.Remove()

	// 429 and 401 faults carry Zoho's bodies; Times caps them.
	if _, err := f.srv.InjectFault(Fault{Path: "/crm/v2/*", Status: 429, Times: 1}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.call("GET", "/crm/v2/Leads", nil), http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	wantStatus(t, f.call("GET", "/crm/v2/Leads", nil), http.StatusNoContent)
	if _, err := f.srv.InjectFault(Fault{Org: f.org.ID(), Status: 401, Times: 1}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.call("GET", "/crm/v2/Leads", nil), http.StatusUnauthorized, "INVALID_TOKEN")
	if _, err := f.srv.InjectFault(Fault{Match: func(c Call) bool { return c.Query.Get("page") == "7" }, Status: 500, Code: "INTERNAL_ERROR"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.call("GET", "/crm/v2/Leads?page=7", nil), http.StatusInternalServerError, "INTERNAL_ERROR")
	f.srv.ClearFaults()

	// Fractions are repeatable for a seed.
	run := func(seed uint64) string {
		g := newFixture(t, WithSeed(seed))
		if _, err := g.srv.InjectFault(Fault{Fraction: 0.5, Status: 500}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range 20 {
			if g.call("GET", "/crm/v2/org", nil).status == 500 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := run(7), run(7), run(8)
	if a != b || a == c || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Fatalf("fractions %s %s %s", a, b, c)
	}
	// Calls record the fault.
	calls := f.srv.Calls()
	var faulted int
	for _, c := range calls {
		if c.Fault == "status" {
			faulted++
		}
	}
	if faulted != 4 {
		t.Fatalf("%d faulted calls in the log", faulted)
	}

	for name, bad := range map[string]Fault{
		"status":   {Status: 200},
		"fraction": {Fraction: 1.5, Status: 500},
		"both":     {Nth: 1, Fraction: 0.5, Status: 500},
		"pattern":  {Path: "[", Status: 500},
		"slow":     {Kind: FaultSlow},
		"kind":     {Kind: 42},
	} {
		if _, err := f.srv.InjectFault(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFaultsDropAndSlow(t *testing.T) {
	f := newFixture(t)
	post := func() error {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", f.srv.URL()+"/crm/v2/Accounts", strings.NewReader(`{"data":[{"Account_Name":"A"}]}`))
		req.Header.Set("Authorization", "Zoho-oauthtoken "+f.token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	}
	if _, err := f.srv.InjectFault(Fault{Method: "POST", Kind: FaultDropBeforeApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if err := post(); err == nil {
		t.Fatal("dropped connection answered")
	}
	if n := len(f.org.Records("Accounts")); n != 0 {
		t.Fatalf("dropped-before write applied: %d", n)
	}
	if _, err := f.srv.InjectFault(Fault{Method: "POST", Kind: FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if err := post(); err == nil {
		t.Fatal("dropped connection answered")
	}
	if n := len(f.org.Records("Accounts")); n != 1 {
		t.Fatalf("dropped-after write not applied: %d", n)
	}
	calls := f.srv.Calls()
	if calls[0].Status != 0 || calls[0].Fault != "drop-before" || calls[1].Status != 0 || calls[1].Fault != "drop-after" {
		t.Fatalf("calls %v", calls)
	}

	if _, err := f.srv.InjectFault(Fault{Kind: FaultSlow, Delay: 300 * time.Millisecond, Times: 1}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	wantStatus(t, f.call("GET", "/crm/v2/org", nil), http.StatusOK)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("slow answer after %v", d)
	}
	// A client that gives up during a slow answer is logged with status 0.
	if _, err := f.srv.InjectFault(Fault{Kind: FaultSlow, Delay: 5 * time.Second, Times: 1}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL()+"/crm/v2/org", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+f.token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("answered despite the timeout")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		calls := f.srv.Calls()
		if last := calls[len(calls)-1]; last.Status == 0 && last.Fault == "slow" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("abandoned call not logged: %v", calls[len(calls)-1])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCallLog(t *testing.T) {
	f := newFixture(t, WithCallLogLimit(3))
	f.call("GET", "/crm/v2/org", nil)
	f.call("GET", "/crm/v2/Leads?page=2", nil)
	f.call("GET", "/crm/v2/Leads/search?email=ab@c.example", nil)
	f.call("POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": "L", "Company": "C"}))
	calls := f.srv.Calls()
	if len(calls) != 3 || calls[0].Path != "/crm/v2/Leads" || calls[0].Query.Get("page") != "2" {
		t.Fatalf("calls %v", calls)
	}
	c := calls[2]
	if c.Method != "POST" || c.Status != 201 || c.Org != f.org.ID() || c.TokenID != f.srv.TokenID(f.token) || !c.Time.Equal(f.clock.Now()) {
		t.Fatalf("call %+v", c)
	}
	if s := c.String(); !strings.Contains(s, "POST /crm/v2/Leads -> 201") || strings.Contains(s, f.token) {
		t.Fatalf("String %q", s)
	}
	if f.srv.CallCount("GET", "/crm/v2/*") != 2 || f.srv.CallCount("", "/crm/v2/*/search") != 1 || f.srv.CallCount("", "") != 4 {
		t.Fatalf("counts %v", f.srv.CallCounts())
	}
	if f.srv.CallCounts()["POST /crm/v2/Leads"] != 1 {
		t.Fatalf("counts %v", f.srv.CallCounts())
	}
	f.srv.ResetCalls()
	if len(f.srv.Calls()) != 0 || f.srv.CallCount("", "") != 0 {
		t.Fatal("ResetCalls")
	}
}

func TestUsersAndOrg(t *testing.T) {
	clock := newTestClock()
	srv := New(t, WithClock(clock.Now))
	org, err := srv.AddOrg(OrgConfig{Name: "Zylker", Edition: EditionProfessional, TimeZone: "UTC", Users: []User{
		{Email: "boss@z.example", FirstName: "Pat", LastName: "Boss"},
		{Email: "agent@z.example", FirstName: "Ann", LastName: "Agent"},
		{Email: "new@z.example", NotConfirmed: true},
		{Email: "left@z.example", Status: "inactive"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tok := org.IssueAccessToken()
	emails := func(typ string) string {
		a := rawCall(t, srv, tok, "GET", "/crm/v2/users?type="+typ, nil)
		if a.status == http.StatusNoContent {
			return "204"
		}
		users, _ := a.json(t)["users"].([]any)
		var out []string
		for _, u := range users {
			out = append(out, str(u.(map[string]any)["email"]))
		}
		return strings.Join(out, ",")
	}
	for typ, want := range map[string]string{
		"":                      "boss@z.example,agent@z.example,new@z.example,left@z.example",
		"ActiveUsers":           "boss@z.example,agent@z.example,new@z.example",
		"DeactiveUsers":         "left@z.example",
		"NotConfirmedUsers":     "new@z.example",
		"CurrentUser":           "boss@z.example",
		"AdminUsers":            "boss@z.example",
		"ActiveConfirmedAdmins": "boss@z.example",
		"DeletedUsers":          "204",
		"activeusers":           "boss@z.example,agent@z.example,new@z.example",
	} {
		if got := emails(typ); got != want {
			t.Errorf("type %q: %s, want %s", typ, got, want)
		}
	}
	wantCode(t, rawCall(t, srv, tok, "GET", "/crm/v2/users?type=Nope", nil), http.StatusBadRequest, "INVALID_DATA")
	agent := org.Users()[1]
	a := rawCall(t, srv, tok, "GET", "/crm/v2/users/"+agent.ID, nil)
	u := a.json(t)["users"].([]any)[0].(map[string]any)
	if u["full_name"] != "Ann Agent" || u["status"] != "active" || u["role"].(map[string]any)["name"] != "Sales Representative" {
		t.Fatalf("user %v", u)
	}
	wantStatus(t, rawCall(t, srv, tok, "GET", "/crm/v2/users/1", nil), http.StatusNoContent)
	if err := org.SetUserStatus(agent.ID, "inactive"); err != nil {
		t.Fatal(err)
	}
	if got := emails("ActiveUsers"); got != "boss@z.example,new@z.example" {
		t.Fatalf("after deactivation: %s", got)
	}
	a = rawCall(t, srv, tok, "GET", "/crm/v2/users?per_page=2&page=2", nil)
	if info := a.json(t)["info"].(map[string]any); info["more_records"] != false || fmt.Sprint(info["page"]) != "2" {
		t.Fatalf("info %v", info)
	}

	o := rawCall(t, srv, tok, "GET", "/crm/v2/org", nil).json(t)["org"].([]any)[0].(map[string]any)
	ld := o["license_details"].(map[string]any)
	if o["company_name"] != "Zylker" || ld["paid_type"] != "professional" || ld["paid"] != true || o["time_zone"] != "UTC" ||
		o["primary_email"] != "boss@z.example" || o["zgid"] != org.ID() {
		t.Fatalf("org %v", o)
	}
}

// TestConcurrentUse hammers one server from many goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	srv := New(t, WithIndexingDelay(time.Millisecond))
	var orgs []*Org
	for range 3 {
		o, err := srv.AddOrg(OrgConfig{Concurrency: -1})
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o)
	}
	if _, err := srv.InjectFault(Fault{Fraction: 0.1, Status: 500}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := orgs[i%3]
			tok := o.IssueAccessToken()
			for j := range 10 {
				rawCall(t, srv, tok, "POST", "/crm/v2/Leads", leadBody(map[string]any{"Last_Name": fmt.Sprintf("L%d-%d", i, j), "Company": "C", "Email": fmt.Sprintf("l%d@x.example", j)}))
				rawCall(t, srv, tok, "GET", "/crm/v2/Leads/search?email=l1@x.example", nil)
				_ = o.Records("Leads")
				_ = srv.Calls()
				_ = srv.CallCount("POST", "")
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, o := range orgs {
		total += len(o.Records("Leads"))
	}
	if total == 0 || total > 240 {
		t.Fatalf("%d leads", total)
	}
}

// TestCallLogAtItsLimitIsCheap: once the log is full, logging a call must not copy the whole log
// (a long benchmark or a standalone fake logs millions of calls).
func TestCallLogAtItsLimitIsCheap(t *testing.T) {
	srv := NewServer(WithCallLogLimit(20_000))
	start := time.Now()
	for i := range 200_000 {
		srv.logCall(Call{Method: "GET", Path: "/crm/v2/org", Status: 200 + i%2})
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("200,000 calls logged in %v", d)
	}
	calls := srv.Calls()
	if len(calls) != 20_000 || srv.CallCount("", "") != 200_000 {
		t.Fatalf("%d calls kept, %d counted", len(calls), srv.CallCount("", ""))
	}
	// The newest are kept, oldest first.
	if calls[len(calls)-1].Status != 201 || calls[0].Status != 200 {
		t.Fatalf("kept %v … %v", calls[0], calls[len(calls)-1])
	}
}

// TestLoggerSeesCallsWithoutSecrets: WithLogger gets every call at debug level, never a secret,
// and the HTTP server's own errors.
func TestLoggerSeesCallsWithoutSecrets(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, WithLogger(logger))
	rt := f.org.IssueRefreshToken()
	f.call("GET", "/crm/v2/org?access_token="+f.token, nil)
	rawCall(t, f.srv, "", "POST", "/oauth/v2/token?grant_type=refresh_token&client_id="+f.srv.ClientID()+
		"&client_secret="+f.srv.ClientSecret()+"&refresh_token="+rt, nil)
	out := buf.String()
	if strings.Count(out, "zohotest: call") != 2 || !strings.Contains(out, "GET /crm/v2/org") || !strings.Contains(out, "POST /oauth/v2/token") {
		t.Fatalf("log:\n%s", out)
	}
	for _, secret := range []string{f.token, rt, f.srv.ClientSecret()} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret in the log:\n%s", out)
		}
	}
	f.srv.lifeMu.Lock()
	errorLog := f.srv.hs.ErrorLog
	f.srv.lifeMu.Unlock()
	if errorLog == nil {
		t.Fatal("the HTTP server's errors do not reach the logger")
	}
	errorLog.Print("boom")
	if !strings.Contains(buf.String(), "level=ERROR msg=boom") {
		t.Fatalf("log:\n%s", buf.String())
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
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

// TestFaultsUnderConcurrentLoad: 100 goroutines hit fault rules of every kind at once (run with
// -race). Nth fires exactly once, Times caps exactly, drop-before writes nothing, drop-after
// writes, slow answers, and the counts agree with the call log.
func TestFaultsUnderConcurrentLoad(t *testing.T) {
	srv := New(t, WithSeed(42))
	org, err := srv.AddOrg(OrgConfig{Concurrency: -1})
	if err != nil {
		t.Fatal(err)
	}
	tok := org.IssueAccessToken()
	inject := func(f Fault) *FaultRule {
		t.Helper()
		r, err := srv.InjectFault(f)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	nth := inject(Fault{Method: "GET", Path: "/crm/v2/org", Nth: 50, Status: 503})
	capped := inject(Fault{Method: "GET", Path: "/crm/v2/users", Status: 500, Times: 10})
	after := inject(Fault{Method: "POST", Path: "/crm/v2/Accounts", Kind: FaultDropAfterApply, Times: 7})
	before := inject(Fault{Method: "POST", Path: "/crm/v2/Leads", Kind: FaultDropBeforeApply, Fraction: 0.3})
	slow := inject(Fault{Method: "GET", Path: "/crm/v2/Leads", Kind: FaultSlow, Delay: time.Millisecond, Fraction: 0.5})
	never := inject(Fault{Org: "no such org", Status: 500})

	// No keep-alive: every request has its own connection, so that a dropped one is never
	// retried by the transport.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	do := func(method, path, body string) (int, error) {
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Zoho-oauthtoken "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, err
	}
	var mu sync.Mutex
	got := map[string]int{}
	count := func(key string) {
		mu.Lock()
		got[key]++
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, c := range []struct{ method, path, body string }{
				{"GET", "/crm/v2/org", ""},
				{"GET", "/crm/v2/users", ""},
				{"POST", "/crm/v2/Accounts", fmt.Sprintf(`{"data":[{"Account_Name":"A%d"}]}`, i)},
				{"POST", "/crm/v2/Leads", fmt.Sprintf(`{"data":[{"Last_Name":"L%d","Company":"C"}]}`, i)},
				{"GET", "/crm/v2/Leads", ""},
			} {
				status, err := do(c.method, c.path, c.body)
				if err != nil {
					status = 0
				}
				count(fmt.Sprintf("%s %s %d", c.method, c.path, status))
			}
			_ = srv.Calls()
			_ = nth.Hits()
		}()
	}
	wg.Wait()

	if nth.Hits() != 1 || got["GET /crm/v2/org 503"] != 1 || got["GET /crm/v2/org 200"] != 99 {
		t.Errorf("Nth: %d hits, %v", nth.Hits(), got)
	}
	if capped.Hits() != 10 || got["GET /crm/v2/users 500"] != 10 || got["GET /crm/v2/users 200"] != 90 {
		t.Errorf("Times: %d hits, %v", capped.Hits(), got)
	}
	if after.Hits() != 7 || got["POST /crm/v2/Accounts 0"] != 7 || got["POST /crm/v2/Accounts 201"] != 93 || len(org.Records("Accounts")) != 100 {
		t.Errorf("drop after apply: %d hits, %d accounts, %v", after.Hits(), len(org.Records("Accounts")), got)
	}
	leads := len(org.Records("Leads"))
	if h := before.Hits(); h < 10 || h > 50 || got["POST /crm/v2/Leads 0"] != h || got["POST /crm/v2/Leads 201"] != 100-h || leads != 100-h {
		t.Errorf("drop before apply: %d hits, %d leads, %v", h, leads, got)
	}
	if h := slow.Hits(); h < 20 || h > 80 || got["GET /crm/v2/Leads 200"]+got["GET /crm/v2/Leads 204"] != 100 { // 204 before any lead
		t.Errorf("slow: %d hits, %v", h, got)
	}
	if never.Hits() != 0 {
		t.Errorf("a rule for another org fired %d times", never.Hits())
	}
	faults := map[string]int{}
	for _, c := range srv.Calls() {
		faults[c.Fault]++
	}
	if faults["status"] != 11 || faults["drop-after"] != 7 || faults["drop-before"] != before.Hits() || faults["slow"] != slow.Hits() ||
		srv.CallCount("", "") != 500 {
		t.Errorf("call log faults %v, %d calls", faults, srv.CallCount("", ""))
	}
}
