package cloudcx

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)

// sampleChat is a chat with every field set.
func sampleChat() *Chat {
	c := &Chat{SessionID: "s-1", WidgetID: "plan-7"}
	c.Thread = sampleThread("chat-1", ChannelWebChat)
	return c
}

func sampleConversation() *Conversation {
	c := &Conversation{State: ConversationResolved}
	c.Thread = sampleThread("conv-1", ChannelWhatsApp)
	c.Visitor.CellPhone = "+1 555 0100"
	return c
}

func sampleThread(id string, ch Channel) Thread {
	return Thread{
		ID: id, TenantID: "t-1", Channel: ch, Subject: "Order", Department: "Sales",
		Visitor: Visitor{
			ID: "v-1", ContactID: "c-1", SSOUserID: "sso-1", Name: "Jane Doe", FirstName: "Jane", LastName: "Doe",
			Email: "jane@example.com", Phone: "+1 555 0199", Company: "Acme",
			Location:        Location{IP: "192.0.2.1", Street: "1 Main St", City: "Vancouver", State: "BC", PostalCode: "V5K", Country: "Canada", TimeZone: "UTC-08:00"},
			CustomFields:    Fields{{"order_id", "1780064"}},
			CustomVariables: Fields{{"plan", "gold"}},
		},
		Agents: []Agent{{ID: "bot-1", Name: "Ava", IsBot: true}, {ID: "a-1", Name: "Sam", Email: "sam@example.com"}, {ID: "a-2", Name: "Kim", Email: "kim@example.com"}},
		Messages: []Message{
			{ID: "m1", SentAt: t0, SenderKind: SenderVisitor, SenderName: "Jane Doe", Text: "Hello"},
			{ID: "m2", SentAt: t0.Add(time.Second), SenderKind: SenderBot, SenderID: "bot-1", SenderName: "Ava", Text: "Hi, I am a bot"},
			{ID: "m3", SentAt: t0.Add(2 * time.Second), SenderKind: SenderAgent, SenderID: "a-1", SenderName: "Sam", HTML: "<p>Hi <b>Jane</b></p>"},
			{ID: "m4", SentAt: t0.Add(3 * time.Second), SenderKind: SenderAgent, SenderID: "a-2", SenderName: "Kim", Text: "Taking over", Attachments: []Attachment{{ID: "f1", Name: "invoice.pdf", URL: "https://files.example/f1", MIMEType: "application/pdf", Size: 1234}}},
			{ID: "m5", SentAt: t0.Add(4 * time.Second), SenderKind: SenderAgent, SenderID: "a-1", SenderName: "Sam", Text: "note", InternalNote: true},
			{ID: "m6", SentAt: t0.Add(5 * time.Second), SenderKind: SenderSystem, Text: "The chat is ended."},
		},
		Attachments:     []Attachment{{ID: "f2", Name: "screen.png", URL: "https://files.example/f2", Unavailable: true, UnavailableReason: "virus scan failed", InternalNote: true}},
		Notes:           []Note{{ID: "n1", AgentID: "a-2", AgentName: "Kim", CreatedAt: t0.Add(time.Minute), Text: "VIP"}},
		WrapUp:          &WrapUp{Categories: []string{"Billing", "Refund"}, Comment: "refunded", Fields: Fields{{"reason", "late"}}, AgentID: "a-2", SubmittedAt: t0.Add(2 * time.Minute)},
		CustomFields:    Fields{{"b", "2"}, {"a", "1"}},
		CustomVariables: Fields{{"page", "https://shop.example/"}},
		StartedAt:       t0,
		EndedAt:         t0.Add(time.Minute),
		Status:          StatusNormal,
		Rating:          &Rating{Score: 4, Comment: "good", Fields: Fields{{"nps", "9"}}},
	}
}

func TestChannelLabel(t *testing.T) {
	tests := []struct {
		c     Channel
		label string
		known bool
	}{
		{ChannelWebChat, "Web Chat", true},
		{ChannelOfflineMessage, "Offline Message", true},
		{ChannelEmail, "Email", true},
		{ChannelSMS, "SMS", true},
		{ChannelWhatsApp, "WhatsApp", true},
		{ChannelFacebook, "Facebook", true},
		{ChannelInstagram, "Instagram", true},
		{ChannelTelegram, "Telegram", true},
		{ChannelPhone, "Phone", true},
		{ChannelWebForm, "Web Form", true},
		{"securemessaging", "securemessaging", false},
	}
	for _, tt := range tests {
		if got := tt.c.Label(); got != tt.label {
			t.Errorf("%q.Label() = %q, want %q", tt.c, got, tt.label)
		}
		if got := tt.c.Known(); got != tt.known {
			t.Errorf("%q.Known() = %v", tt.c, got)
		}
	}
}

func TestSections(t *testing.T) {
	var i Interaction = sampleChat()
	if i.Section() != SectionWebChat {
		t.Errorf("chat section %q", i.Section())
	}
	i = sampleConversation()
	if i.Section() != SectionInbox {
		t.Errorf("conversation section %q", i.Section())
	}
	if i.Base().ID != "conv-1" {
		t.Errorf("Base().ID = %q", i.Base().ID)
	}
}

func TestVisitorDisplayName(t *testing.T) {
	tests := []struct {
		v    Visitor
		want string
	}{
		{Visitor{Name: " Jane ", FirstName: "X", LastName: "Y"}, "Jane"},
		{Visitor{FirstName: "Jane", LastName: "Doe"}, "Jane Doe"},
		{Visitor{LastName: "Doe"}, "Doe"},
		{Visitor{FirstName: "Jane "}, "Jane"},
		{Visitor{Name: "  "}, ""},
		{Visitor{}, ""},
	}
	for _, tt := range tests {
		if got := tt.v.DisplayName(); got != tt.want {
			t.Errorf("%+v.DisplayName() = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestVisitorPhoneFor(t *testing.T) {
	tests := []struct {
		v       Visitor
		s       Section
		want    string
		chat    string
		convers string
	}{
		{v: Visitor{Phone: "1", CellPhone: "2"}, s: SectionWebChat, want: "1"},
		{v: Visitor{Phone: "1", CellPhone: "2"}, s: SectionInbox, want: "2"},
		{v: Visitor{Phone: "1", CellPhone: " "}, s: SectionInbox, want: "1"},
		{v: Visitor{CellPhone: "2"}, s: SectionWebChat, want: ""},
		{v: Visitor{}, s: SectionInbox, want: ""},
	}
	for _, tt := range tests {
		if got := tt.v.PhoneFor(tt.s); got != tt.want {
			t.Errorf("%+v.PhoneFor(%s) = %q, want %q", tt.v, tt.s, got, tt.want)
		}
	}
	if got := sampleConversation().ContactPhone(); got != "+1 555 0100" {
		t.Errorf("conversation ContactPhone = %q", got)
	}
	if got := sampleChat().ContactPhone(); got != "+1 555 0199" {
		t.Errorf("chat ContactPhone = %q", got)
	}
}

func TestLastAgentAndHumanAgents(t *testing.T) {
	sam := Agent{ID: "a-1", Name: "Sam", Email: "sam@example.com"}
	kim := Agent{ID: "a-2", Name: "Kim", Email: "kim@example.com"}
	bot := Agent{ID: "b", Name: "Ava", IsBot: true}
	henry := Agent{Name: "henry"}
	tests := []struct {
		name   string
		agents []Agent
		msgs   []Message
		last   Agent
		ok     bool
		humans []Agent
	}{
		{name: "nobody", ok: false},
		{name: "bot only", agents: []Agent{bot},
			msgs: []Message{{SenderKind: SenderBot, SenderID: "b"}}, ok: false},
		{name: "agent kind but listed as bot", agents: []Agent{bot},
			msgs: []Message{{SenderKind: SenderAgent, SenderID: "b"}}, ok: false},
		{name: "transfer: last message wins", agents: []Agent{sam, kim},
			msgs: []Message{{SenderKind: SenderAgent, SenderID: "a-2"}, {SenderKind: SenderAgent, SenderID: "a-1"}, {SenderKind: SenderVisitor}},
			last: sam, ok: true, humans: []Agent{sam, kim}},
		{name: "internal notes do not count", agents: []Agent{sam, kim},
			msgs: []Message{{SenderKind: SenderAgent, SenderID: "a-2"}, {SenderKind: SenderAgent, SenderID: "a-1", InternalNote: true}},
			last: kim, ok: true, humans: []Agent{sam, kim}},
		{name: "no agent messages: last human listed", agents: []Agent{sam, kim, bot},
			msgs: []Message{{SenderKind: SenderBot, SenderID: "b"}}, last: kim, ok: true, humans: []Agent{sam, kim}},
		{name: "matched by name, listed without id", agents: []Agent{henry},
			msgs: []Message{{SenderKind: SenderAgent, SenderName: "Henry - Comm100"}}, last: henry, ok: true, humans: []Agent{henry}},
		{name: "unlisted sender", agents: []Agent{sam},
			msgs: []Message{{SenderKind: SenderAgent, SenderID: "x", SenderName: "Xu"}}, last: Agent{ID: "x", Name: "Xu"}, ok: true,
			humans: []Agent{sam, {ID: "x", Name: "Xu"}}},
		{name: "duplicates", agents: []Agent{sam, sam, {Name: "Kim"}, {Name: "kim"}},
			last: Agent{Name: "kim"}, ok: true, humans: []Agent{sam, {Name: "Kim"}}},
		{name: "unlisted agent who wrote only internal notes", agents: []Agent{bot},
			msgs: []Message{{SenderKind: SenderBot, SenderID: "b"}, {SenderKind: SenderAgent, SenderID: "a-9", SenderName: "Lee", InternalNote: true}},
			last: Agent{ID: "a-9", Name: "Lee"}, ok: true, humans: []Agent{{ID: "a-9", Name: "Lee"}}},
		{name: "listed humans come before note-only senders", agents: []Agent{sam},
			msgs: []Message{{SenderKind: SenderAgent, SenderID: "a-2", SenderName: "Kim", InternalNote: true}},
			last: sam, ok: true, humans: []Agent{sam, {ID: "a-2", Name: "Kim"}}},
		{name: "transfer through a bot to agents", agents: []Agent{bot, sam, kim},
			msgs: []Message{{SenderKind: SenderBot, SenderID: "b"}, {SenderKind: SenderAgent, SenderID: "a-1"}, {SenderKind: SenderSystem},
				{SenderKind: SenderAgent, SenderID: "a-2"}, {SenderKind: SenderAgent, SenderID: "a-1", InternalNote: true}, {SenderKind: SenderBot, SenderID: "b"}},
			last: kim, ok: true, humans: []Agent{sam, kim}},
		{name: "anonymous agent message ignored", agents: []Agent{sam},
			msgs: []Message{{SenderKind: SenderAgent}}, last: sam, ok: true, humans: []Agent{sam}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := Thread{Agents: tt.agents, Messages: tt.msgs}
			last, ok := th.LastAgent()
			if ok != tt.ok || last != tt.last {
				t.Errorf("LastAgent() = %+v, %v; want %+v, %v", last, ok, tt.last, tt.ok)
			}
			humans := th.HumanAgents()
			if !reflect.DeepEqual(humans, tt.humans) {
				t.Errorf("HumanAgents() = %+v, want %+v", humans, tt.humans)
			}
			// The two agree: an owner exactly when a human took part.
			if ok != (len(humans) > 0) {
				t.Errorf("LastAgent() reports %v with %d human agents", ok, len(humans))
			}
		})
	}
}

func TestAllAttachments(t *testing.T) {
	th := Thread{
		Attachments: []Attachment{{ID: "1", Name: "a"}, {URL: "u", Name: "b"}},
		Messages: []Message{
			{Attachments: []Attachment{{ID: "1", Name: "a again"}, {ID: "2"}}},
			{Attachments: []Attachment{{URL: "u"}, {Name: "c"}, {}, {}}},
		},
	}
	var names []string
	for _, a := range th.AllAttachments() {
		names = append(names, a.ID+"/"+a.URL+"/"+a.Name)
	}
	want := "1//a /u/b 2// //c // //" // attachments without any key are all kept
	if got := strings.Join(names, " "); got != want {
		t.Errorf("AllAttachments = %q, want %q", got, want)
	}
	if !(Attachment{}).Available() || (Attachment{Unavailable: true}).Available() {
		t.Error("Available is wrong")
	}
}

func TestFieldsGet(t *testing.T) {
	fs := Fields{{"a", "1"}, {"b", "2"}, {"a", "3"}}
	if v, ok := fs.Get("a"); !ok || v != "1" {
		t.Errorf("Get(a) = %q, %v", v, ok)
	}
	if _, ok := fs.Get("A"); ok {
		t.Error("Get is case-sensitive")
	}
	if _, ok := Fields(nil).Get("a"); ok {
		t.Error("nil fields")
	}
}

func TestClone(t *testing.T) {
	c := sampleChat()
	d := c.Clone()
	if !reflect.DeepEqual(c, d) {
		t.Fatal("clone differs")
	}
	d.Messages[3].Attachments[0].Name = "x"
	d.Agents[0].Name = "x"
	d.WrapUp.Categories[0] = "x"
	d.WrapUp.Fields[0].Value = "x"
	d.Rating.Fields[0].Value = "x"
	d.Visitor.CustomFields[0].Value = "x"
	d.Visitor.CustomVariables[0].Value = "x"
	d.CustomFields[0].Value = "x"
	d.CustomVariables[0].Value = "x"
	d.Notes[0].Text = "x"
	d.Attachments[0].Name = "x"
	if !reflect.DeepEqual(c, sampleChat()) {
		t.Error("changing the clone changed the original")
	}
	if (*Chat)(nil).Clone() != nil || (*Conversation)(nil).Clone() != nil {
		t.Error("nil clone")
	}
	cv := sampleConversation()
	if !reflect.DeepEqual(cv.Clone(), cv) {
		t.Error("conversation clone differs")
	}
}

// roundTrip marshals v, unmarshals into a new value of its type, and checks
// both the value and the bytes survive.
func roundTrip[T any](t *testing.T, name string, v T) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: marshal: %v", name, err)
	}
	var got T
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: unmarshal: %v", name, err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Errorf("%s: round trip changed the value:\n got %+v\nwant %+v", name, got, v)
	}
	b2, _ := json.Marshal(got)
	if !bytes.Equal(b, b2) {
		t.Errorf("%s: round trip changed the bytes:\n%s\n%s", name, b, b2)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c := sampleChat()
	cv := sampleConversation()
	roundTrip(t, "Chat", *c)
	roundTrip(t, "Conversation", *cv)
	roundTrip(t, "Thread", c.Thread)
	roundTrip(t, "Visitor", c.Visitor)
	roundTrip(t, "Location", c.Visitor.Location)
	roundTrip(t, "Agent", c.Agents[0])
	roundTrip(t, "Message", c.Messages[3])
	roundTrip(t, "Attachment", c.Attachments[0])
	roundTrip(t, "Note", c.Notes[0])
	roundTrip(t, "WrapUp", *c.WrapUp)
	roundTrip(t, "Rating", *c.Rating)
	roundTrip(t, "Field", c.CustomFields[0])
	roundTrip(t, "Fields", c.CustomFields)
	roundTrip(t, "Event", Event{Kind: EventChatEnded, EventID: "e", TenantID: "t-1", ChatID: "chat-1", VisitorID: "v-1",
		OccurredAt: t0, Chat: c, WrapUp: c.WrapUp, SourceEvent: "LiveChatSessionEnd"})
	roundTrip(t, "Event/conversation", Event{Kind: EventConversationReopened, EventID: "e", TenantID: "t-1", ConversationID: "conv-1", Conversation: cv})
	roundTrip(t, "empty Chat", Chat{})
	roundTrip(t, "zone", Message{SentAt: time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("", 8*3600)), SenderKind: SenderAgent})
}

// TestJSONNames pins the documented snake_case names.
func TestJSONNames(t *testing.T) {
	b, err := json.Marshal(sampleChat())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	want := []string{"agents", "attachments", "channel", "custom_fields", "custom_variables", "department", "ended_at",
		"id", "messages", "notes", "rating", "session_id", "started_at", "status", "subject", "tenant_id", "visitor",
		"widget_id", "wrap_up"}
	if !sameSet(keys, want) {
		t.Errorf("chat keys %v, want %v", keys, want)
	}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{Message{SentAt: t0, SenderKind: SenderAgent, SenderID: "a", SenderName: "n", InternalNote: true, Text: "x", HTML: "<b>x</b>"},
			`{"sent_at":"2024-03-01T09:30:00Z","sender_kind":"agent","sender_id":"a","sender_name":"n","text":"x","html":"\u003cb\u003ex\u003c/b\u003e","internal_note":true}`},
		{Agent{ID: "1", Name: "n", Email: "e", IsBot: true}, `{"id":"1","name":"n","email":"e","is_bot":true}`},
		{Attachment{ID: "1", MIMEType: "image/png", Size: 3, Unavailable: true, UnavailableReason: "r", InternalNote: true},
			`{"id":"1","mime_type":"image/png","size":3,"unavailable":true,"unavailable_reason":"r","internal_note":true}`},
		{Visitor{FirstName: "a", LastName: "b", CellPhone: "c", SSOUserID: "d", ContactID: "e"},
			`{"contact_id":"e","sso_user_id":"d","first_name":"a","last_name":"b","cell_phone":"c"}`},
		{WrapUp{Categories: []string{"c"}, AgentID: "a", SubmittedAt: t0}, `{"categories":["c"],"agent_id":"a","submitted_at":"2024-03-01T09:30:00Z"}`},
		{Conversation{State: ConversationClosed}, `{"id":"","tenant_id":"","channel":"","visitor":{},"state":"closed"}`},
		{Location{PostalCode: "p", TimeZone: "z"}, `{"postal_code":"p","time_zone":"z"}`},
		{Note{AgentName: "a", CreatedAt: t0, Text: "t"}, `{"agent_name":"a","created_at":"2024-03-01T09:30:00Z","text":"t"}`},
		{Event{Kind: EventChatWrappedUp, EventID: "e", TenantID: "t", ChatID: "c", OccurredAt: t0, SourceEvent: "s"},
			`{"kind":"chat_wrapped_up","event_id":"e","tenant_id":"t","chat_id":"c","occurred_at":"2024-03-01T09:30:00Z","source_event":"s"}`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("%T:\n got %s\nwant %s", tc.v, b, tc.want)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[string]int)
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestJSONUnknownFieldsIgnored(t *testing.T) {
	in := `{"id":"c","tenant_id":"t","channel":"sms","future":{"x":[1,2]},"visitor":{"name":"n","shoe_size":44},
		"messages":[{"sender_kind":"contact","text":"hi","mood":"happy"}],"started_at":"2024-03-01T09:30:00+01:00","state":"open"}`
	var c Conversation
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if c.ID != "c" || c.Channel != ChannelSMS || c.Visitor.Name != "n" || len(c.Messages) != 1 || c.Messages[0].Text != "hi" || c.State != ConversationOpen {
		t.Errorf("got %+v", c)
	}
	if !c.StartedAt.Equal(t0.Add(-time.Hour)) {
		t.Errorf("started_at %v", c.StartedAt)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestAttachmentKey(t *testing.T) {
	for _, tc := range []struct {
		a    Attachment
		want string
	}{
		{Attachment{ID: "7", URL: "https://x/a", Name: "a.png"}, "id:7"},
		{Attachment{URL: "https://x/a", Name: "a.png"}, "url:https://x/a"},
		{Attachment{Name: "a.png"}, "name:a.png"},
		{Attachment{}, ""},
	} {
		if got := tc.a.Key(); got != tc.want {
			t.Errorf("%+v.Key() = %q, want %q", tc.a, got, tc.want)
		}
	}
}
