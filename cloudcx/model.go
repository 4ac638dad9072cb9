package cloudcx

import (
	"strings"
	"time"
)

// Channel is the medium an interaction came through. The constants name
// the channels the SDK knows; any other value is accepted and kept as is.
type Channel string

// Channels known to the SDK.
const (
	ChannelWebChat        Channel = "web_chat"        // CloudCX Web Chat (Omni-Widget)
	ChannelOfflineMessage Channel = "offline_message" // Web Chat message left while no agent was online
	ChannelEmail          Channel = "email"
	ChannelSMS            Channel = "sms"
	ChannelWhatsApp       Channel = "whatsapp"
	ChannelFacebook       Channel = "facebook"
	ChannelInstagram      Channel = "instagram"
	ChannelTelegram       Channel = "telegram"
	ChannelPhone          Channel = "phone"
	ChannelWebForm        Channel = "web_form"
)

// Label returns a human-readable name for the channel ("Web Chat", "SMS",
// "WhatsApp", …). An unknown channel is returned as it is.
func (c Channel) Label() string {
	switch c {
	case ChannelWebChat:
		return "Web Chat"
	case ChannelOfflineMessage:
		return "Offline Message"
	case ChannelEmail:
		return "Email"
	case ChannelSMS:
		return "SMS"
	case ChannelWhatsApp:
		return "WhatsApp"
	case ChannelFacebook:
		return "Facebook"
	case ChannelInstagram:
		return "Instagram"
	case ChannelTelegram:
		return "Telegram"
	case ChannelPhone:
		return "Phone"
	case ChannelWebForm:
		return "Web Form"
	}
	return string(c)
}

// Known reports whether c is one of the Channel constants.
func (c Channel) Known() bool {
	switch c {
	case ChannelWebChat, ChannelOfflineMessage, ChannelEmail, ChannelSMS, ChannelWhatsApp,
		ChannelFacebook, ChannelInstagram, ChannelTelegram, ChannelPhone, ChannelWebForm:
		return true
	}
	return false
}

// Section is the part of CloudCX an interaction belongs to; tenant settings
// choose an action (Sales, Support or off) per section.
type Section string

// The two sections.
const (
	SectionWebChat Section = "web_chat" // chats and offline messages (Chat)
	SectionInbox   Section = "inbox"    // email, SMS, social conversations (Conversation)
)

// Status is how a chat or conversation went. The zero value means the same
// as StatusNormal.
type Status string

// Statuses.
const (
	StatusNormal         Status = "normal"          // an agent or bot took part
	StatusMissed         Status = "missed"          // nobody answered before the visitor left
	StatusRefused        Status = "refused"         // an agent declined the chat
	StatusOfflineMessage Status = "offline_message" // the visitor left a message; there was no chat
)

// Known reports whether s is empty or one of the Status constants.
func (s Status) Known() bool {
	switch s {
	case "", StatusNormal, StatusMissed, StatusRefused, StatusOfflineMessage:
		return true
	}
	return false
}

// ConversationState is where an Inbox conversation stands.
type ConversationState string

// Conversation states. The zero value means the state is not known.
const (
	ConversationOpen     ConversationState = "open"
	ConversationPending  ConversationState = "pending"
	ConversationResolved ConversationState = "resolved"
	ConversationClosed   ConversationState = "closed"
)

// SenderKind says who sent a message.
type SenderKind string

// Sender kinds.
const (
	SenderVisitor SenderKind = "visitor" // Web Chat visitor
	SenderContact SenderKind = "contact" // Inbox contact
	SenderAgent   SenderKind = "agent"   // human agent
	SenderBot     SenderKind = "bot"     // chatbot
	SenderSystem  SenderKind = "system"  // CloudCX itself ("Agent X has joined the chat.")
)

// Known reports whether k is one of the SenderKind constants.
func (k SenderKind) Known() bool {
	switch k {
	case SenderVisitor, SenderContact, SenderAgent, SenderBot, SenderSystem:
		return true
	}
	return false
}

// Field is one named value: a custom field, a custom variable, a wrap-up or
// post-chat field. Lists of fields keep their order.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Fields is an ordered list of fields.
type Fields []Field

// Get returns the value of the first field named name (compared exactly)
// and whether there was one.
func (fs Fields) Get(name string) (string, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Agent is a person or bot who answered.
type Agent struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	IsBot bool   `json:"is_bot,omitempty"`
}

// Attachment is a file sent in a chat or conversation. The bytes are not
// here: an AttachmentOpener supplies them.
type Attachment struct {
	ID       string `json:"id,omitempty"`
	Name     string `json:"name,omitempty"`
	URL      string `json:"url,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	// Size in bytes; 0 when not known.
	Size int64 `json:"size,omitempty"`
	// Unavailable is true when CloudCX no longer has the file or withheld
	// it (deleted, failed a virus scan); UnavailableReason may say why.
	Unavailable       bool   `json:"unavailable,omitempty"`
	UnavailableReason string `json:"unavailable_reason,omitempty"`
	// InternalNote is true for a file attached to an agent's internal note.
	InternalNote bool `json:"internal_note,omitempty"`
}

// Available reports whether the file can be fetched.
func (a Attachment) Available() bool { return !a.Unavailable }

// Message is one line of a transcript.
type Message struct {
	ID     string    `json:"id,omitempty"`
	SentAt time.Time `json:"sent_at,omitzero"`
	// SenderKind is who sent it; SenderID (for agents and bots, the
	// Agent.ID) and SenderName say which one.
	SenderKind SenderKind `json:"sender_kind"`
	SenderID   string     `json:"sender_id,omitempty"`
	SenderName string     `json:"sender_name,omitempty"`
	// Text is the plain text. HTML is the rich form when the channel has
	// one; the transcript uses Text, or HTML turned into text when Text is empty.
	Text string `json:"text,omitempty"`
	HTML string `json:"html,omitempty"`
	// InternalNote is true for a note agents wrote for each other, which
	// the visitor or contact never saw.
	InternalNote bool         `json:"internal_note,omitempty"`
	Attachments  []Attachment `json:"attachments,omitempty"`
}

// Note is a note an agent left on the chat or conversation as a whole
// (not a message of the transcript).
type Note struct {
	ID        string    `json:"id,omitempty"`
	AgentID   string    `json:"agent_id,omitempty"`
	AgentName string    `json:"agent_name,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Text      string    `json:"text"`
}

// WrapUp is what the agent filled in after a chat ended. It may arrive
// after the chat ended (see EventChatWrappedUp).
type WrapUp struct {
	Categories  []string  `json:"categories,omitempty"`
	Comment     string    `json:"comment,omitempty"`
	Fields      Fields    `json:"fields,omitempty"`
	AgentID     string    `json:"agent_id,omitempty"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
}

// Rating is the visitor's post-chat rating.
type Rating struct {
	// Score runs from 1 (worst) to 5 (best); 0 means no score was given
	// (a comment or survey fields only).
	Score   int    `json:"score,omitempty"`
	Comment string `json:"comment,omitempty"`
	// Fields are the other answers of the post-chat survey.
	Fields Fields `json:"fields,omitempty"`
}

// Location is where a visitor or contact is.
type Location struct {
	IP         string `json:"ip,omitempty"`
	Street     string `json:"street,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
	TimeZone   string `json:"time_zone,omitempty"`
}

// Visitor is the person on the other side: a Web Chat visitor or an Inbox
// contact.
type Visitor struct {
	ID        string `json:"id,omitempty"`
	ContactID string `json:"contact_id,omitempty"`
	SSOUserID string `json:"sso_user_id,omitempty"`
	Name      string `json:"name,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
	// Phone is Web Chat's phone and Inbox's office phone; CellPhone is
	// Inbox's "Cell Phone". PhoneFor picks the one to map.
	Phone           string   `json:"phone,omitempty"`
	CellPhone       string   `json:"cell_phone,omitempty"`
	Company         string   `json:"company,omitempty"`
	Location        Location `json:"location,omitzero"`
	CustomFields    Fields   `json:"custom_fields,omitempty"`
	CustomVariables Fields   `json:"custom_variables,omitempty"`
}

// DisplayName returns Name, or else first and last name joined by a space,
// or else "".
func (v Visitor) DisplayName() string {
	if n := strings.TrimSpace(v.Name); n != "" {
		return n
	}
	return strings.TrimSpace(strings.TrimSpace(v.FirstName) + " " + strings.TrimSpace(v.LastName))
}

// PhoneFor returns the phone number to map for section s: Web Chat uses
// Phone; Inbox uses CellPhone, falling back to Phone.
func (v Visitor) PhoneFor(s Section) string {
	if s == SectionInbox && strings.TrimSpace(v.CellPhone) != "" {
		return v.CellPhone
	}
	return v.Phone
}

// Thread is what Chat and Conversation share; both embed it, so its
// fields and methods are theirs. Times are UTC or carry their zone.
type Thread struct {
	ID       string  `json:"id"`
	TenantID string  `json:"tenant_id"`
	Channel  Channel `json:"channel"`
	// Subject is the offline message's or conversation's subject, if any.
	Subject    string  `json:"subject,omitempty"`
	Department string  `json:"department,omitempty"`
	Visitor    Visitor `json:"visitor"`
	// Agents are everyone who took part, bots included, in order of joining.
	Agents   []Agent   `json:"agents,omitempty"`
	Messages []Message `json:"messages,omitempty"`
	// Attachments are files of the thread that belong to no message.
	Attachments     []Attachment `json:"attachments,omitempty"`
	Notes           []Note       `json:"notes,omitempty"`
	WrapUp          *WrapUp      `json:"wrap_up,omitempty"`
	CustomFields    Fields       `json:"custom_fields,omitempty"`
	CustomVariables Fields       `json:"custom_variables,omitempty"`
	StartedAt       time.Time    `json:"started_at,omitzero"`
	EndedAt         time.Time    `json:"ended_at,omitzero"`
	Status          Status       `json:"status,omitempty"`
	Rating          *Rating      `json:"rating,omitempty"`
}

// Base returns t itself. Through it an Interaction gives access to the
// fields Chat and Conversation share.
func (t *Thread) Base() *Thread { return t }

// HumanAgents returns the human agents who took part, each once, in order
// of appearance: first those in Agents, then any agent who sent a message
// without being listed there. Agents are the same when their IDs are equal
// or, for agents without an ID, when their names are equal ignoring case.
func (t *Thread) HumanAgents() []Agent {
	var out []Agent
	seen := make(map[string]bool)
	add := func(a Agent) {
		k := agentKey(a)
		if k == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, a)
	}
	for _, a := range t.Agents {
		if !a.IsBot {
			add(a)
		}
	}
	idx := newAgentIndex(t.Agents)
	for i := range t.Messages {
		if a, ok := messageAgent(idx, &t.Messages[i]); ok {
			add(a)
		}
	}
	return out
}

// LastAgent returns the agent who owns the outcome: the human agent who
// sent the last message that is not an internal note; when no human agent
// sent one, the last human in Agents; failing that, the human agent who
// wrote the last internal note. It reports false exactly when no human
// agent took part (HumanAgents is empty).
func (t *Thread) LastAgent() (Agent, bool) {
	idx := newAgentIndex(t.Agents)
	lastNote := -1
	for i := len(t.Messages) - 1; i >= 0; i-- {
		m := &t.Messages[i]
		if m.InternalNote {
			if lastNote < 0 && m.SenderKind == SenderAgent {
				lastNote = i
			}
			continue
		}
		if a, ok := messageAgent(idx, m); ok {
			return a, true
		}
	}
	for i := len(t.Agents) - 1; i >= 0; i-- {
		if !t.Agents[i].IsBot && agentKey(t.Agents[i]) != "" {
			return t.Agents[i], true
		}
	}
	for i := lastNote; i >= 0; i-- {
		if m := &t.Messages[i]; m.InternalNote {
			if a, ok := messageAgent(idx, m); ok {
				return a, true
			}
		}
	}
	return Agent{}, false
}

// AllAttachments returns the thread's attachments followed by those of
// each message, in order, each once (by ID, else by URL, else by name).
func (t *Thread) AllAttachments() []Attachment {
	var out []Attachment
	seen := make(map[string]bool)
	add := func(a Attachment) {
		k := a.Key()
		if k != "" && seen[k] {
			return
		}
		seen[k] = true
		out = append(out, a)
	}
	for _, a := range t.Attachments {
		add(a)
	}
	for _, m := range t.Messages {
		for _, a := range m.Attachments {
			add(a)
		}
	}
	return out
}

// messageAgent returns the human agent who sent m, if m was sent by one.
// The agent is looked up in the thread's agents by SenderID, or when m
// has none by name (equal ignoring case, or the agent's name followed by a
// non-letter: "Henry - Comm100" is agent "henry"); a sender not listed
// there is returned as the message names it.
func messageAgent(idx *agentIndex, m *Message) (Agent, bool) {
	if m.SenderKind != SenderAgent {
		return Agent{}, false
	}
	var a Agent
	var ok bool
	if m.SenderID != "" {
		a, ok = idx.id(m.SenderID)
	} else {
		a, ok = idx.match("", m.SenderName)
	}
	if ok {
		if a.IsBot {
			return Agent{}, false
		}
		return a, true
	}
	a = Agent{ID: m.SenderID, Name: m.SenderName}
	if agentKey(a) == "" {
		return Agent{}, false
	}
	return a, true
}

func agentKey(a Agent) string {
	if a.ID != "" {
		return "id:" + a.ID
	}
	if n := strings.TrimSpace(a.Name); n != "" {
		return "name:" + strings.ToLower(n)
	}
	if e := strings.TrimSpace(a.Email); e != "" {
		return "email:" + strings.ToLower(e)
	}
	return ""
}

// Key identifies the attachment within a chat, the way AllAttachments dedupes: by ID, else URL,
// else name ("" when it has none of them). Callers that match attachments to the outcomes of
// opening them use the same key.
func (a Attachment) Key() string {
	switch {
	case a.ID != "":
		return "id:" + a.ID
	case a.URL != "":
		return "url:" + a.URL
	case a.Name != "":
		return "name:" + a.Name
	}
	return ""
}

// Chat is a Web Chat: a live chat, or an offline message (Channel
// ChannelOfflineMessage, Status StatusOfflineMessage, one visitor message).
type Chat struct {
	Thread
	// SessionID is CloudCX's Web Chat session id (sessionId in webhooks).
	SessionID string `json:"session_id,omitempty"`
	// WidgetID is the Omni-Widget the chat came from (planId in webhooks).
	WidgetID string `json:"widget_id,omitempty"`
}

// Section returns SectionWebChat.
func (c *Chat) Section() Section { return SectionWebChat }

// ContactPhone returns the visitor's phone to map: Visitor.PhoneFor(SectionWebChat).
func (c *Chat) ContactPhone() string { return c.Visitor.PhoneFor(SectionWebChat) }

// Clone returns a deep copy of c; nil gives nil.
func (c *Chat) Clone() *Chat {
	if c == nil {
		return nil
	}
	out := *c
	out.Thread = c.Thread.clone()
	return &out
}

// Conversation is an Inbox conversation (a CloudCX ticket): email, SMS,
// WhatsApp, Facebook, Instagram, Telegram, …
type Conversation struct {
	Thread
	State ConversationState `json:"state,omitempty"`
}

// Section returns SectionInbox.
func (c *Conversation) Section() Section { return SectionInbox }

// ContactPhone returns the contact's phone to map: Visitor.PhoneFor(SectionInbox).
func (c *Conversation) ContactPhone() string { return c.Visitor.PhoneFor(SectionInbox) }

// Clone returns a deep copy of c; nil gives nil.
func (c *Conversation) Clone() *Conversation {
	if c == nil {
		return nil
	}
	out := *c
	out.Thread = c.Thread.clone()
	return &out
}

// Interaction is what *Chat and *Conversation both are, for callers that
// take either (such as the rules that render a Zoho Case or Task).
type Interaction interface {
	// Section is SectionWebChat for a chat, SectionInbox for a conversation.
	Section() Section
	// Base gives the shared fields.
	Base() *Thread
	// ContactPhone is the phone number to map for the section.
	ContactPhone() string
	// HumanAgents and LastAgent are derived from agents and messages.
	HumanAgents() []Agent
	LastAgent() (Agent, bool)
	// AllAttachments lists every file of the interaction once.
	AllAttachments() []Attachment
	// Validate reports every problem of the interaction at once.
	Validate() error
}

var (
	_ Interaction = (*Chat)(nil)
	_ Interaction = (*Conversation)(nil)
)

func (t *Thread) clone() Thread {
	if t == nil {
		return Thread{}
	}
	out := *t
	out.Visitor = t.Visitor.clone()
	out.Agents = cloneSlice(t.Agents)
	if t.Messages != nil {
		out.Messages = make([]Message, len(t.Messages))
		for i, m := range t.Messages {
			m.Attachments = cloneSlice(m.Attachments)
			out.Messages[i] = m
		}
	}
	out.Attachments = cloneSlice(t.Attachments)
	out.Notes = cloneSlice(t.Notes)
	if t.WrapUp != nil {
		w := *t.WrapUp
		w.Categories = cloneSlice(w.Categories)
		w.Fields = cloneSlice(w.Fields)
		out.WrapUp = &w
	}
	out.CustomFields = cloneSlice(t.CustomFields)
	out.CustomVariables = cloneSlice(t.CustomVariables)
	if t.Rating != nil {
		r := *t.Rating
		r.Fields = cloneSlice(r.Fields)
		out.Rating = &r
	}
	return out
}

func (v Visitor) clone() Visitor {
	v.CustomFields = cloneSlice(v.CustomFields)
	v.CustomVariables = cloneSlice(v.CustomVariables)
	return v
}

// cloneSlice copies s, keeping nil as nil.
func cloneSlice[S ~[]E, E any](s S) S {
	if s == nil {
		return nil
	}
	return append(S(make([]E, 0, len(s))), s...)
}
