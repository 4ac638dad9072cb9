package sync_test

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
)

// FuzzEventToPlan is sync's path from a webhook body to what it would write, without I/O: the
// body decoded, its chat or conversation (when it carries one) validated, then the person fields
// and the Case and Task rendered with the default settings. No panic; whatever is planned is
// valid UTF-8 and within Zoho's limits.
func FuzzEventToPlan(f *testing.F) {
	f.Add([]byte(`{"event":"chat_ended","chat":{"id":1,"name":"Allon","email":"a@b.example","chat_transcript":"[10:00:00] Allon: hi⊙[10:00:05] henry: hello","start_time":"/Date(1358453897)/","end_time":"/Date(1358455857)/"}}`))
	f.Add([]byte(`{"event":"offline_message_submitted","offline_message":{"id":"o1","name":"\u202eevil","content":"call me","time":"2020-01-02T03:04:05Z"}}`))
	f.Add([]byte(`{"event":"LiveChatSessionEnd","sessionId":"s1"}`))
	settings := rules.DefaultSettings()
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := cloudcx.DecodeWebhook(body)
		if err != nil || ev.Chat == nil {
			return
		}
		ev.Chat.TenantID = "t1"
		if ev.Chat.StartedAt.IsZero() {
			ev.Chat.StartedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if ev.Chat.Validate() != nil {
			return // sync refuses it as a permanent error
		}
		p, err := rules.PersonFields(rules.PersonInput{Settings: settings, Module: rules.ModuleContacts, Section: ev.Chat.Section(),
			Visitor: ev.Chat.Visitor, Interaction: ev.Chat, TenantID: "t1", Channel: ev.Chat.Channel})
		if err == nil {
			raw, _ := p.Record.MarshalJSON()
			if !utf8.Valid(raw) {
				t.Fatalf("person fields are not valid UTF-8: %q", raw)
			}
		}
		for _, render := range []func(rules.RenderInput) (*rules.Rendered, error){rules.RenderCase, rules.RenderTask} {
			r, err := render(rules.RenderInput{Interaction: ev.Chat, Settings: settings, Location: time.UTC})
			if err != nil {
				continue
			}
			if !utf8.ValidString(r.Subject) || !utf8.ValidString(r.Description) || len([]rune(r.Description)) > rules.MaxDescription {
				t.Fatalf("rendered %d runes, valid %v/%v", len([]rune(r.Description)), utf8.ValidString(r.Subject), utf8.ValidString(r.Description))
			}
		}
	})
}
