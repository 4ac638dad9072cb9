package cloudcx

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEventKinds(t *testing.T) {
	for k, s := range map[EventKind]Section{
		EventChatStarted: SectionWebChat, EventOfflineMessage: SectionWebChat, EventChatEnded: SectionWebChat,
		EventChatWrappedUp: SectionWebChat, EventConversationStarted: SectionInbox,
		EventConversationResolved: SectionInbox, EventConversationReopened: SectionInbox, "other": "",
	} {
		if k.Section() != s || k.Known() != (s != "") {
			t.Errorf("%q: section %q known %v", k, k.Section(), k.Known())
		}
	}
}

func TestEventValidate(t *testing.T) {
	chat := sampleChat()
	conv := sampleConversation()
	tests := []struct {
		name string
		e    Event
		want []string
	}{
		{name: "ids only", e: Event{Kind: EventChatEnded, EventID: "e", TenantID: "t-1", ChatID: "chat-1"}},
		{name: "carried chat", e: Event{Kind: EventChatEnded, EventID: "e", TenantID: "t-1", Chat: chat}},
		{name: "carried chat and id", e: Event{Kind: EventChatEnded, EventID: "e", TenantID: "t-1", ChatID: "chat-1", Chat: chat}},
		{name: "wrap-up", e: Event{Kind: EventChatWrappedUp, EventID: "e", TenantID: "t-1", ChatID: "c", WrapUp: &WrapUp{Comment: "x"}}},
		{name: "conversation", e: Event{Kind: EventConversationResolved, EventID: "e", TenantID: "t-1", Conversation: conv}},
		{name: "empty", e: Event{}, want: []string{"kind", "event_id", "tenant_id"}},
		{name: "chat event without chat", e: Event{Kind: EventChatStarted, EventID: "e", TenantID: "t"}, want: []string{"chat_id"}},
		{name: "chat event with conversation", e: Event{Kind: EventChatStarted, EventID: "e", TenantID: "t", ChatID: "c", ConversationID: "x"}, want: []string{"conversation"}},
		{name: "inbox event without conversation", e: Event{Kind: EventConversationStarted, EventID: "e", TenantID: "t", ChatID: "c", WrapUp: &WrapUp{}},
			want: []string{"conversation_id", "chat", "wrap_up"}},
		{name: "wrap-up on chat end", e: Event{Kind: EventChatEnded, EventID: "e", TenantID: "t", ChatID: "c", WrapUp: &WrapUp{Fields: Fields{{}}}},
			want: []string{"wrap_up", "wrap_up.fields[0].name"}},
		{name: "mismatched chat", e: Event{Kind: EventChatEnded, EventID: "e", TenantID: "t-2", ChatID: "chat-9", Chat: chat},
			want: []string{"chat.id", "chat.tenant_id"}},
		{name: "invalid carried chat", e: Event{Kind: EventChatEnded, EventID: "e", TenantID: "t", Chat: &Chat{}},
			want: []string{"chat.id", "chat.tenant_id", "chat.channel", "chat.started_at"}},
		{name: "mismatched conversation", e: Event{Kind: EventConversationReopened, EventID: "e", TenantID: "t-2", ConversationID: "x", Conversation: conv},
			want: []string{"conversation.id", "conversation.tenant_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Validate()
			if got := problemFields(err); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("problems %q, want %q (%v)", got, tt.want, err)
			}
			if len(tt.want) == 0 && err != nil {
				t.Error(err)
			}
		})
	}
}

func TestEventTargetAndTenant(t *testing.T) {
	e := Event{Chat: &Chat{Thread: Thread{ID: "c"}}}
	if e.TargetID() != "c" {
		t.Errorf("TargetID %q", e.TargetID())
	}
	e.SetTenant("t-9")
	if e.TenantID != "t-9" || e.Chat.TenantID != "t-9" {
		t.Errorf("SetTenant: %+v", e)
	}
	e = Event{Conversation: &Conversation{Thread: Thread{ID: "v"}}}
	e.SetTenant("t")
	if e.TargetID() != "v" || e.Conversation.TenantID != "t" {
		t.Errorf("conversation: %+v", e)
	}
	for _, tc := range []struct {
		e    Event
		want string
	}{{Event{ChatID: "a", Chat: &Chat{Thread: Thread{ID: "b"}}}, "a"}, {Event{ConversationID: "x"}, "x"}, {Event{}, ""}} {
		if got := tc.e.TargetID(); got != tc.want {
			t.Errorf("TargetID = %q, want %q", got, tc.want)
		}
	}
}

func TestDecodeWebhookCloudCX(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Event
	}{
		{name: "chat started", body: `{"event":"LiveChatSessionChatting","planId":"p-1","sessionId":"s-1","visitorId":"v-1"}`,
			want: Event{Kind: EventChatStarted, EventID: "LiveChatSessionChatting:s-1", ChatID: "s-1", VisitorID: "v-1", SourceEvent: "LiveChatSessionChatting"}},
		{name: "chat ended, numeric ids", body: `{"event":"LiveChatSessionEnd","planId":7,"sessionId":12345,"visitorId":99}`,
			want: Event{Kind: EventChatEnded, EventID: "LiveChatSessionEnd:12345", ChatID: "12345", VisitorID: "99", SourceEvent: "LiveChatSessionEnd"}},
		{name: "offline message", body: `{"event":"OfflineMessageSubmit","planId":"p","offlineMessageId":"om-1","visitorId":"v","sessionId":"s","content":"hi"}`,
			want: Event{Kind: EventOfflineMessage, EventID: "OfflineMessageSubmit:om-1", ChatID: "om-1", VisitorID: "v", SourceEvent: "OfflineMessageSubmit"}},
		{name: "wrap-up by shape", body: `{"event":"LiveChatSessionWrapUp","wrapUpId":"w-1","visitorId":"v","sessionId":"s-1","category":"Billing","comment":"done"}`,
			want: Event{Kind: EventChatWrappedUp, EventID: "LiveChatSessionWrapUp:w-1", ChatID: "s-1", VisitorID: "v", SourceEvent: "LiveChatSessionWrapUp",
				WrapUp: &WrapUp{Categories: []string{"Billing"}, Comment: "done"}}},
		{name: "wrap-up, categories as array", body: `{"event":"SomethingWrapped","wrapUpId":"w-2","sessionId":"s-2","category":["A","B"]}`,
			want: Event{Kind: EventChatWrappedUp, EventID: "SomethingWrapped:w-2", ChatID: "s-2", SourceEvent: "SomethingWrapped",
				WrapUp: &WrapUp{Categories: []string{"A", "B"}}}},
		{name: "ticket created", body: `{"event":"TicketCreated","ticketId":"7f1c-guid"}`,
			want: Event{Kind: EventConversationStarted, EventID: "TicketCreated:7f1c-guid", ConversationID: "7f1c-guid", SourceEvent: "TicketCreated"}},
		{name: "ticket resolved", body: `{"event":"TicketStatusChanged","ticketId":"t1","beforeTicketStatus":"PendingExternal","afterTicketStatus":"Resolved"}`,
			want: Event{Kind: EventConversationResolved, EventID: "TicketStatusChanged:t1:PendingExternal:Resolved", ConversationID: "t1", SourceEvent: "TicketStatusChanged"}},
		{name: "ticket closed", body: `{"event":"TicketStatusChanged","ticketId":"t1","beforeTicketStatus":"new","afterTicketStatus":"closed"}`,
			want: Event{Kind: EventConversationResolved, EventID: "TicketStatusChanged:t1:new:closed", ConversationID: "t1", SourceEvent: "TicketStatusChanged"}},
		{name: "ticket reopened", body: `{"event":"TicketStatusChanged","ticketId":"t1","beforeTicketStatus":"Resolved","afterTicketStatus":"PendingInternal"}`,
			want: Event{Kind: EventConversationReopened, EventID: "TicketStatusChanged:t1:Resolved:PendingInternal", ConversationID: "t1", SourceEvent: "TicketStatusChanged"}},
		{name: "eventId and eventTime, trailing comma", body: "\ufeff{\"event\":\"TicketCreated\",\"ticketId\":\"t\",\"eventId\":\"ev-1\",\"eventTime\":\"2024-03-01T09:30:00Z\",}",
			want: Event{Kind: EventConversationStarted, EventID: "ev-1", ConversationID: "t", OccurredAt: t0, SourceEvent: "TicketCreated"}},
		{name: "member names ignore case", body: `{"Event":"LiveChatSessionEnd","SessionId":"s"}`,
			want: Event{Kind: EventChatEnded, EventID: "LiveChatSessionEnd:s", ChatID: "s", SourceEvent: "LiveChatSessionEnd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeWebhook([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			got.SetTenant("t-1")
			if err := got.Validate(); err != nil {
				t.Errorf("decoded event invalid: %v", err)
			}
		})
	}
}

func TestDecodeWebhookErrors(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		target any
		event  string
	}{
		{"not json", `hello`, new(*MalformedWebhookError), ""},
		{"empty", ``, new(*MalformedWebhookError), ""},
		{"array", `[{"event":"TicketCreated"}]`, new(*MalformedWebhookError), ""},
		{"no event", `{"ticketId":"t"}`, new(*MalformedWebhookError), ""},
		{"event not a string", `{"event":{"a":1}}`, new(*MalformedWebhookError), ""},
		{"missing session", `{"event":"LiveChatSessionEnd","planId":"p"}`, new(*MalformedWebhookError), "LiveChatSessionEnd"},
		{"missing ticket", `{"event":"TicketCreated"}`, new(*MalformedWebhookError), "TicketCreated"},
		{"missing ticket on status", `{"event":"TicketStatusChanged"}`, new(*MalformedWebhookError), "TicketStatusChanged"},
		{"missing offline id", `{"event":"OfflineMessageSubmit"}`, new(*MalformedWebhookError), "OfflineMessageSubmit"},
		{"wrap-up without session", `{"event":"X","wrapUpId":"w"}`, new(*MalformedWebhookError), "X"},
		{"unknown", `{"event":"SomethingElse","id":"1"}`, new(*UnknownEventError), "SomethingElse"},
		{"transfer", `{"event":"LiveChatSessionTransfer","planId":"p","transferId":"x","sessionId":"s"}`, new(*IgnoredEventError), "LiveChatSessionTransfer"},
		{"agent reply", `{"event":"TicketAgentReply","ticketId":"t","messageId":"m"}`, new(*IgnoredEventError), "TicketAgentReply"},
		{"new ticket family member", `{"event":"TicketMerged","ticketId":"t"}`, new(*IgnoredEventError), "TicketMerged"},
		{"contact created", `{"event":"ContactCreated","contacts":[]}`, new(*IgnoredEventError), "ContactCreated"},
		{"status change not closing", `{"event":"TicketStatusChanged","ticketId":"t","beforeTicketStatus":"New","afterTicketStatus":"PendingExternal"}`, new(*IgnoredEventError), "TicketStatusChanged"},
		{"resolved to closed", `{"event":"TicketStatusChanged","ticketId":"t","beforeTicketStatus":"Resolved","afterTicketStatus":"Closed"}`, new(*IgnoredEventError), "TicketStatusChanged"},
		{"comm100 agent status", `{"event":"online","operator_id":5}`, new(*IgnoredEventError), "online"},
		{"comm100 chat started without id", `{"event":"chat_started","visitor":{"id":1}}`, new(*MalformedWebhookError), "chat_started"},
		{"comm100 bad chat", `{"event":"chat_ended","chat":{"start_time":"yesterday"}}`, new(*MalformedWebhookError), "chat_ended"},
		{"comm100 bad visitor", `{"event":"chat_ended","visitor":{"custom_fields":7}}`, new(*MalformedWebhookError), "chat_ended"},
		{"comm100 bad wrapup", `{"event":"chat_wrapped_up","chat_id":"c","wrapup":{"time":"never"}}`, new(*MalformedWebhookError), "chat_wrapped_up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeWebhook([]byte(tt.body))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.As(err, tt.target) {
				t.Fatalf("error %T (%v), want %T", err, err, tt.target)
			}
			var ev string
			switch e := reflect.ValueOf(tt.target).Elem().Interface().(type) {
			case *MalformedWebhookError:
				ev = e.Event
			case *UnknownEventError:
				ev = e.Event
			case *IgnoredEventError:
				ev = e.Event
			}
			if ev != tt.event {
				t.Errorf("event %q, want %q", ev, tt.event)
			}
			if !strings.HasPrefix(err.Error(), "cloudcx: ") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestWebhookSizeLimit(t *testing.T) {
	pad := strings.Repeat(" ", MaxWebhookSize)
	body := `{"event":"TicketCreated","ticketId":"t"}`
	var tooLarge *WebhookTooLargeError
	if _, err := DecodeWebhook([]byte(body + pad)); !errors.As(err, &tooLarge) || tooLarge.Limit != MaxWebhookSize {
		t.Errorf("DecodeWebhook over the limit: %v", err)
	}
	if _, err := ReadWebhook(strings.NewReader(body + pad)); !errors.As(err, &tooLarge) {
		t.Errorf("ReadWebhook over the limit: %v", err)
	}
	// A reader that never ends is read only up to the limit.
	if _, err := ReadWebhook(endless{}); !errors.As(err, &tooLarge) {
		t.Errorf("ReadWebhook endless: %v", err)
	}
	exact := body + pad[:MaxWebhookSize-len(body)]
	if e, err := ReadWebhook(strings.NewReader(exact)); err != nil || e.ConversationID != "t" {
		t.Errorf("ReadWebhook at the limit: %v", err)
	}
	readErr := errors.New("boom")
	if _, err := ReadWebhook(failingReader{readErr}); !errors.Is(err, readErr) {
		t.Errorf("read error: %v", err)
	}
	if !strings.Contains(tooLarge.Error(), "1048576") {
		t.Errorf("message %q", tooLarge.Error())
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// envelope builds a Comm100 webhook body from fixture fragments.
func envelope(t *testing.T, event string, extra string, fragments ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(`{"event":"` + event + `"`)
	if extra != "" {
		b.WriteString("," + extra)
	}
	for _, f := range fragments {
		b.WriteString(",\r\n")
		b.Write(bytes.TrimSpace(fixture(t, f)))
	}
	b.WriteString("}")
	return b.Bytes()
}

func TestDecodeWebhookComm100(t *testing.T) {
	ended, err := DecodeWebhook(envelope(t, "chat_ended", "", "comm100-webhook-visitor-object.fragment.json", "comm100-webhook-chat-object.fragment.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ended.Kind != EventChatEnded || ended.ChatID != "1098" || ended.EventID != "chat_ended:1098" || ended.VisitorID != "1024768" || ended.Chat == nil {
		t.Fatalf("chat_ended: %+v", ended)
	}
	// The chat's own visitor data wins; the visitor object fills the rest.
	v := ended.Chat.Visitor
	if v.Name != "Allon" || v.ID != "1024768" || v.Phone != "1-877-305-0464" || v.Location.City != "Vancouver" || len(v.CustomVariables) != 2 {
		t.Errorf("merged visitor %+v", v)
	}
	ended.SetTenant("t-1")
	if err := ended.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	om, err := DecodeWebhook(envelope(t, "offline_message_submitted", "", "comm100-webhook-offline-message-object.fragment.json", "comm100-webhook-visitor-object.fragment.json"))
	if err != nil {
		t.Fatal(err)
	}
	if om.Kind != EventOfflineMessage || om.ChatID != "1" || om.Chat.Status != StatusOfflineMessage || om.Chat.Subject != "comm100 live chat" {
		t.Errorf("offline message: %+v", om)
	}

	started, err := DecodeWebhook([]byte(`{"event":"chatStarted","visitor":{"id":"v-guid","chat_id":"c-guid","name":"Ann"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if started.Kind != EventChatStarted || started.ChatID != "c-guid" || started.VisitorID != "v-guid" || started.Chat != nil {
		t.Errorf("chat started: %+v", started)
	}

	for _, name := range []string{"chat_wrapped_up", "chat_wraped_up", "chatWrappedUp"} {
		w, err := DecodeWebhook([]byte(`{"chat_id":"c-1","event":"` + name + `","visitor":{"id":2},
			"wrapup":{"category":"Sales","comment":"ok","fields":[{"name":"f","value":"v"}],"time":"/Date(1584415749307)/"}}`))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := &WrapUp{Categories: []string{"Sales"}, Comment: "ok", Fields: Fields{{"f", "v"}}, SubmittedAt: time.UnixMilli(1584415749307).UTC()}
		if w.Kind != EventChatWrappedUp || w.ChatID != "c-1" || !reflect.DeepEqual(w.WrapUp, want) || !w.OccurredAt.Equal(want.SubmittedAt) {
			t.Errorf("%s: %+v %+v", name, w, w.WrapUp)
		}
	}
}

// TestDecodeWebhookMemberCaseIsDeterministic: members matched ignoring case
// were picked in map order, so a body with two spellings decoded
// differently from one call to the next.
func TestDecodeWebhookMemberCaseIsDeterministic(t *testing.T) {
	body := []byte(`{"event":"LiveChatSessionEnd","SessionID":"a","sessionID":"b","SESSIONID":"c","visitorid":"v1","VisitorID":"v2"}`)
	first, err := DecodeWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		e, err := DecodeWebhook(body)
		if err != nil || e.ChatID != first.ChatID || e.VisitorID != first.VisitorID {
			t.Fatalf("got %q/%q, then %q/%q (%v)", first.ChatID, first.VisitorID, e.ChatID, e.VisitorID, err)
		}
	}
	// An exact spelling wins over the others.
	e, err := DecodeWebhook([]byte(`{"event":"LiveChatSessionEnd","SESSIONID":"c","sessionId":"exact","SessionId":"d"}`))
	if err != nil || e.ChatID != "exact" {
		t.Errorf("ChatID %q, %v", e.ChatID, err)
	}
}

func TestNilEventValidate(t *testing.T) {
	var e *Event
	var ve *ValidationError
	if err := e.Validate(); !errors.As(err, &ve) || ve.What != "event" {
		t.Errorf("nil event: %v", err)
	}
}

// TestDecodeWebhookWrapUpResubmitted: an agent who edits a wrap-up makes
// Comm100 send chat_wrapped_up again for the same chat. The two are
// distinct events (the Case/Task must be updated twice); a redelivery of
// either keeps its EventID.
func TestDecodeWebhookWrapUpResubmitted(t *testing.T) {
	body := func(at string) []byte {
		return []byte(`{"event":"chat_wrapped_up","chat_id":"c-1","wrapup":{"category":"Sales","time":"` + at + `"}}`)
	}
	first, err1 := DecodeWebhook(body("/Date(1584415749307)/"))
	again, err2 := DecodeWebhook(body("/Date(1584415749307)/"))
	edited, err3 := DecodeWebhook(body("/Date(1584416000000)/"))
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if first.EventID != again.EventID {
		t.Errorf("redelivery: %q then %q", first.EventID, again.EventID)
	}
	if first.EventID == edited.EventID {
		t.Errorf("an edited wrap-up has the same EventID %q", first.EventID)
	}
	if !strings.HasPrefix(first.EventID, "chat_wrapped_up:c-1") {
		t.Errorf("EventID %q", first.EventID)
	}
	// Without a time there is nothing to tell submissions apart by.
	if e, err := DecodeWebhook([]byte(`{"event":"chat_wrapped_up","chat_id":"c-1","wrapup":{"category":"Sales"}}`)); err != nil || e.EventID != "chat_wrapped_up:c-1" {
		t.Errorf("EventID %q, %v", e.EventID, err)
	}
}

func TestMalformedWebhookErrorUnwraps(t *testing.T) {
	_, err := DecodeWebhook([]byte(`{"event":"TicketCreated","ticketId":`))
	var m *MalformedWebhookError
	var se *json.SyntaxError
	if !errors.As(err, &m) || !errors.As(err, &se) || m.Unwrap() != se {
		t.Errorf("error %v does not unwrap to the JSON syntax error", err)
	}
	_, err = DecodeWebhook([]byte(`{"event":"chat_ended","chat":{"id":1,"start_time":"soon"}}`))
	var de *DecodeError
	if !errors.As(err, &m) || !errors.As(err, &de) || !strings.Contains(err.Error(), `"soon"`) {
		t.Errorf("error %v does not unwrap to the *DecodeError", err)
	}
}

// Issue 12 item 15: a conversation resolved, reopened and resolved again has a new EventID each
// time the body carries its time.
func TestReResolvedConversationHasItsOwnEventID(t *testing.T) {
	body := func(at string) []byte {
		return []byte(`{"event":"TicketStatusChanged","ticketId":"t1","beforeTicketStatus":"Open","afterTicketStatus":"Resolved","eventTime":"` + at + `"}`)
	}
	a, err := DecodeWebhook(body("2026-03-02T09:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeWebhook(body("2026-03-02T11:30:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if a.EventID == b.EventID {
		t.Fatalf("both resolves have EventID %q", a.EventID)
	}
	again, _ := DecodeWebhook(body("2026-03-02T09:00:00Z"))
	if again.EventID != a.EventID {
		t.Fatalf("a redelivery changed its EventID: %q vs %q", again.EventID, a.EventID)
	}
}

// Issue 12 item 16: ids with NUL, bidi overrides or other invisible characters are refused.
func TestIDsWithInvisibleCharactersAreRefused(t *testing.T) {
	for _, id := range []string{"c1\x00", "c\u202e1", "c\u200b1", "c\u20661", "c\u00ad1", "\xff"} {
		// JSON escapes (\u0000, not Go's \x00) so the body is valid JSON and the id check runs;
		// "\xff" is sent raw (invalid UTF-8 inside a JSON string).
		quoted, _ := json.Marshal(id)
		if id == "\xff" {
			quoted = []byte("\"\xff\"")
		}
		body := []byte(`{"event":"LiveChatSessionEnd","sessionId":` + string(quoted) + `}`)
		var mal *MalformedWebhookError
		if _, err := DecodeWebhook(body); !errors.As(err, &mal) || !strings.Contains(err.Error(), "invalid characters") && id != "\xff" {
			t.Errorf("sessionId %+q: %v, want a *MalformedWebhookError about the id", id, err)
		}
		ev := Event{Kind: EventChatEnded, EventID: "e1", TenantID: "t", ChatID: id}
		var ve *ValidationError
		if err := ev.Validate(); !errors.As(err, &ve) {
			t.Errorf("Validate with chat id %+q: %v", id, err)
		}
	}
}

// Ids are keys in the hosts' stores (PostgreSQL's index rows hold about 2.7 KB): an id longer
// than MaxIDBytes is refused in events, chats and webhooks; one of exactly MaxIDBytes is not.
func TestLongIDsAreRefused(t *testing.T) {
	ok, long := strings.Repeat("c", MaxIDBytes), strings.Repeat("c", MaxIDBytes+1)
	if err := (&Event{Kind: EventChatEnded, EventID: "e1", TenantID: "t", ChatID: ok}).Validate(); err != nil {
		t.Fatalf("a %d-byte id: %v", MaxIDBytes, err)
	}
	var ve *ValidationError
	if err := (&Event{Kind: EventChatEnded, EventID: "e1", TenantID: long, ChatID: "c"}).Validate(); !errors.As(err, &ve) || !strings.Contains(err.Error(), "longer than 255 bytes") {
		t.Fatalf("a %d-byte tenant id: %v", MaxIDBytes+1, err)
	}
	body := []byte(`{"event":"LiveChatSessionEnd","sessionId":"` + long + `"}`)
	var mal *MalformedWebhookError
	if _, err := DecodeWebhook(body); !errors.As(err, &mal) {
		t.Fatalf("a webhook with a %d-byte session id: %v", MaxIDBytes+1, err)
	}
}
