package sync_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	gosync "sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
)

// What bad input gets, in one table per kind. Every row: no panic, a clear typed error or input
// made safe, and nothing synced lost or duplicated.
//
//	input                                         gets
//	event without a tenant / unknown kind / NUL   permanent *cxsync.Error, no Zoho call
//	settings that fail validation                 *rules.ValidationError from SaveSettings, nothing stored
//	name with criteria metacharacters             searched escaped; the Contact created once
//	1 MB name                                     Last_Name cut to Zoho's 80 characters
//	NUL, bidi override, invalid UTF-8 in a name   removed / made valid UTF-8
//	20 MB transcript from the Loader              description within 32,000; the transcript attached
//	1,500 attachments on one chat                 each uploaded once, listed in the description
//	Zoho answers truncated, not JSON, HTML, of    a retry-class error (the write may exist); the next
//	  the wrong shape, 200 with an error body     delivery reconciles: the Case exists once
func TestBadInput(t *testing.T) {
	t.Run("malformed events", func(t *testing.T) {
		h := newHarness(t)
		for name, ev := range map[string]cloudcx.Event{
			"no tenant":    {Kind: cloudcx.EventChatEnded, EventID: "e", ChatID: "c"},
			"unknown kind": {Kind: "chat_exploded", EventID: "e", TenantID: "t1", ChatID: "c"},
			"NUL in id":    {Kind: cloudcx.EventChatEnded, EventID: "e", TenantID: "t1", ChatID: "c\x00"},
			"bidi in id":   {Kind: cloudcx.EventChatEnded, EventID: "e", TenantID: "t1", ChatID: "c\u202e1"},
		} {
			before := len(h.srv.Calls())
			res, err := h.syncer.Handle(t.Context(), ev)
			var e *cxsync.Error
			if !errors.As(err, &e) || e.Class != cxsync.ClassPermanent || len(h.srv.Calls()) != before || res.Calls != 0 {
				t.Errorf("%s: %v (%d calls)", name, err, len(h.srv.Calls())-before)
			}
		}
	})
	t.Run("invalid settings", func(t *testing.T) {
		h := newHarness(t)
		st := rules.DefaultSettings()
		st.Mode, st.TimeZone, st.Case.Status = "sometimes", "Mars/Olympus", ""
		var ve *rules.ValidationError
		if err := h.syncer.SaveSettings(t.Context(), "t1", st); !errors.As(err, &ve) || len(ve.Problems) < 2 {
			t.Fatalf("SaveSettings: %v", err)
		}
		got, _, err := h.syncer.Settings(t.Context(), "t1")
		if err != nil || got.Mode != rules.Automatic {
			t.Fatalf("the stored settings changed: %+v %v", got.Mode, err)
		}
	})
	t.Run("hostile names", func(t *testing.T) {
		h := newHarness(t)
		for i, name := range []string{`a),(Email:equals:x)or(Last_Name:starts_with:`, strings.Repeat("é", 1<<20), "Jane\x00Doe", "Jane \u202eeoD", "Jane \xff\xfe Doe"} {
			v := visitor(fmt.Sprint("hostile", i))
			v.Name = name
			c := chat(fmt.Sprint("c-hostile-", i), v)
			h.host.PutChat(c)
			for range 2 { // twice: found, not duplicated
				if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); err != nil {
					t.Fatalf("name %.20q: %v", name, err)
				}
			}
			got := h.records("Contacts", "Email", v.Email)
			if len(got) != 1 {
				t.Fatalf("name %.20q: %d Contacts", name, len(got))
			}
			last, _ := got[0]["Last_Name"].(string)
			if !utf8.ValidString(last) || strings.ContainsAny(last, "\x00\u202e") || utf8.RuneCountInString(last) > 80 {
				t.Errorf("name %.20q became Last_Name %.40q", name, last)
			}
		}
	})
	t.Run("20 MB transcript", func(t *testing.T) {
		h := newHarness(t)
		c := chat("c-huge", visitor("huge"))
		line := strings.Repeat("a long line of a very long chat ", 32) // ~1 KB
		c.Messages = nil
		for i := range 20000 {
			c.Messages = append(c.Messages, cloudcx.Message{ID: fmt.Sprint(i), SentAt: chatStart.Add(time.Duration(i) * time.Second),
				SenderKind: cloudcx.SenderVisitor, SenderName: "Jane", Text: line})
		}
		c.EndedAt = chatStart.Add(6 * time.Hour)
		h.host.PutChat(c)
		res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
		cases := h.withMarker("Cases", c)
		if len(cases) != 1 || len([]rune(cases[0]["Description"].(string))) > rules.MaxDescription {
			t.Fatalf("%d cases", len(cases))
		}
		files := h.org.Attachments("Cases", res.Record.ID)
		if len(files) != 1 || len(files[0].Data) < 20<<20 {
			t.Fatalf("the transcript attachment: %d files", len(files))
		}
	})
	t.Run("1,500 attachments", func(t *testing.T) {
		h := newHarness(t)
		c := chat("c-many", visitor("many"))
		for i := range 1500 {
			key := fmt.Sprint("many-", i)
			c.Attachments = append(c.Attachments, cloudcx.Attachment{ID: key, Name: fmt.Sprintf("photo-%d.png", i), MIMEType: "image/png"})
			h.host.PutAttachment("t1", key, []byte("PNG"), "image/png")
		}
		h.host.PutChat(c)
		res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
		h.handle(chatEvent(cloudcx.EventChatEnded, c)) // redelivered: nothing uploaded twice
		if n := len(h.org.Attachments("Cases", res.Record.ID)); n != 1500 {
			t.Fatalf("%d attachments, want 1500", n)
		}
	})
	t.Run("garbled Zoho answers", func(t *testing.T) {
		h := newHarness(t)
		for i, garble := range []struct {
			status      int
			ctype, body string
		}{
			{201, "application/json", `{"data":[{"code":"SUCCESS","details":{"id":"`},
			{502, "text/html", `<html><body>502 Bad Gateway</body></html>`},
			{200, "text/html", `<html><body>Maintenance</body></html>`},
			{201, "application/json", `{"data":"yes"}`},
			{200, "application/json", `{"code":"INTERNAL_ERROR","message":"something","status":"error"}`},
		} {
			// The write reaches Zoho and is applied; the answer the client gets is garbled.
			rt := &garbler{base: http.DefaultTransport, path: "/crm/v2/Cases", status: garble.status, ctype: garble.ctype, body: garble.body}
			s, err := cxsync.New(cxsync.Config{Store: h.store, Loader: h.host, Attachments: h.host,
				OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
					return &zoho.OAuthConfig{ClientID: h.srv.ClientID(), ClientSecret: h.srv.ClientSecret(), Endpoints: zoho.Endpoints{API: h.srv.URL(), Accounts: h.srv.URL()}}, nil
				},
				ClientOptions: []zoho.Option{zoho.WithTransport(rt), zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: -1})}})
			if err != nil {
				t.Fatal(err)
			}
			c := chat(fmt.Sprint("c-garbled-", i), visitor(fmt.Sprint("garbled", i)))
			h.host.PutChat(c)
			if _, err := s.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); err == nil {
				t.Errorf("answer %d (%d %.30s): no error", i, garble.status, garble.body)
			} else if cxsync.ClassOf(err) == cxsync.ClassPermanent {
				t.Errorf("answer %d: %v is permanent; the write may exist", i, err)
			}
			rt.off()
			if _, err := s.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); err != nil {
				t.Fatalf("answer %d, redelivered: %v", i, err)
			}
			if n := len(h.withMarker("Cases", c)); n != 1 {
				t.Errorf("answer %d (%d %.30s): %d Cases, want 1", i, garble.status, garble.body, n)
			}
		}
	})
}

// garbler sends requests on, and replaces the answer to POSTs of path with a garbled one, once.
type garbler struct {
	base        http.RoundTripper
	path        string
	status      int
	ctype, body string
	mu          gosync.Mutex
	done        bool
}

func (g *garbler) off() { g.mu.Lock(); g.done = true; g.mu.Unlock() }

func (g *garbler) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.base.RoundTrip(req)
	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil || g.done || req.Method != http.MethodPost || req.URL.Path != g.path {
		return resp, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	g.done = true
	h := http.Header{}
	h.Set("Content-Type", g.ctype)
	return &http.Response{StatusCode: g.status, Status: http.StatusText(g.status), Header: h, Body: io.NopCloser(bytes.NewBufferString(g.body)),
		ContentLength: int64(len(g.body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}
