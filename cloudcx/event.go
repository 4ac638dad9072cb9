package cloudcx

import (
	"strings"
	"time"
)

// EventKind says what happened.
type EventKind string

// Event kinds.
const (
	// EventChatStarted: a Web Chat started (a person may be created).
	EventChatStarted EventKind = "chat_started"
	// EventOfflineMessage: a visitor left an offline message (person and
	// Case/Task at once).
	EventOfflineMessage EventKind = "offline_message_received"
	// EventChatEnded: a Web Chat ended (the Case/Task is created).
	EventChatEnded EventKind = "chat_ended"
	// EventChatWrappedUp: the agent submitted the wrap-up, after the chat
	// ended (the Case/Task is updated).
	EventChatWrappedUp EventKind = "chat_wrapped_up"
	// EventConversationStarted: an Inbox conversation started.
	EventConversationStarted EventKind = "conversation_started"
	// EventConversationResolved: an Inbox conversation was resolved or
	// closed (the Case/Task is created, or updated when it was reopened).
	EventConversationResolved EventKind = "conversation_resolved"
	// EventConversationReopened: a resolved or closed conversation was
	// opened again.
	EventConversationReopened EventKind = "conversation_reopened"
)

// Known reports whether k is one of the EventKind constants.
func (k EventKind) Known() bool {
	return k.Section() != ""
}

// Section returns the section the kind belongs to, or "" for an unknown kind.
func (k EventKind) Section() Section {
	switch k {
	case EventChatStarted, EventOfflineMessage, EventChatEnded, EventChatWrappedUp:
		return SectionWebChat
	case EventConversationStarted, EventConversationResolved, EventConversationReopened:
		return SectionInbox
	}
	return ""
}

// Event is something that happened to a chat or conversation, which the
// host hands to the sync package. It names the chat (ChatID) or
// conversation (ConversationID) to load through a Loader, or carries it
// whole in Chat or Conversation.
type Event struct {
	Kind EventKind `json:"kind"`
	// EventID identifies this event; a redelivered event has the same one. Decoded webhooks
	// carry no delivery id, so it is derived from the body: a host may drop a delivery whose
	// EventID it has handled already, but must not take two EventIDs for two happenings when the
	// body had no eventTime (a status change then repeats its id). Package sync dedupes on its
	// ledger, never on EventID.
	EventID  string `json:"event_id"`
	TenantID string `json:"tenant_id"`
	// ChatID is set for Web Chat events, ConversationID for Inbox events.
	ChatID         string `json:"chat_id,omitempty"`
	ConversationID string `json:"conversation_id,omitempty"`
	// VisitorID is the visitor or contact, when the source names one.
	VisitorID string `json:"visitor_id,omitempty"`
	// OccurredAt is when it happened, when known.
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	// Chat or Conversation is the full interaction when the source carried
	// it; otherwise the host's Loader supplies it.
	Chat         *Chat         `json:"chat,omitempty"`
	Conversation *Conversation `json:"conversation,omitempty"`
	// WrapUp is the wrap-up a EventChatWrappedUp carried, if any.
	WrapUp *WrapUp `json:"wrap_up,omitempty"`
	// SourceEvent is the event name the source used ("LiveChatSessionEnd").
	SourceEvent string `json:"source_event,omitempty"`
}

// TargetID returns the id of the chat or conversation the event is about:
// ChatID or ConversationID, else the id of the carried Chat or Conversation.
func (e *Event) TargetID() string {
	switch {
	case e.ChatID != "":
		return e.ChatID
	case e.ConversationID != "":
		return e.ConversationID
	case e.Chat != nil:
		return e.Chat.ID
	case e.Conversation != nil:
		return e.Conversation.ID
	}
	return ""
}

// SetTenant sets the tenant of the event and of the Chat or Conversation
// it carries. Webhook bodies do not name the tenant: the host knows it
// from where the webhook arrived.
func (e *Event) SetTenant(tenantID string) {
	e.TenantID = tenantID
	if e.Chat != nil {
		e.Chat.TenantID = tenantID
	}
	if e.Conversation != nil {
		e.Conversation.TenantID = tenantID
	}
}

// Validate reports every problem of the event as one *ValidationError, or
// nil: kind is known; event_id and tenant_id are set; a Web Chat event
// names a chat and no conversation, an Inbox event the reverse; a carried
// Chat or Conversation is valid and agrees with the event's ids and tenant.
func (e *Event) Validate() error {
	if e == nil {
		return &ValidationError{What: "event", Problems: []*FieldError{{Problem: "missing"}}}
	}
	var p problems
	if !e.Kind.Known() {
		p.add("kind", "unknown kind %q", e.Kind)
	}
	if strings.TrimSpace(e.EventID) == "" {
		p.add("event_id", "missing")
	}
	for _, f := range []struct{ name, v string }{{"event_id", e.EventID}, {"tenant_id", e.TenantID}, {"chat_id", e.ChatID}, {"conversation_id", e.ConversationID}, {"visitor_id", e.VisitorID}} {
		if why := idProblem(f.v); why != "" {
			p.add(f.name, "%s", why)
		}
	}
	if strings.TrimSpace(e.TenantID) == "" {
		p.add("tenant_id", "missing")
	}
	switch e.Kind.Section() {
	case SectionWebChat:
		if e.ChatID == "" && e.Chat == nil {
			p.add("chat_id", "missing (and no chat)")
		}
		if e.ConversationID != "" || e.Conversation != nil {
			p.add("conversation", "set on a Web Chat event")
		}
	case SectionInbox:
		if e.ConversationID == "" && e.Conversation == nil {
			p.add("conversation_id", "missing (and no conversation)")
		}
		if e.ChatID != "" || e.Chat != nil {
			p.add("chat", "set on an Inbox event")
		}
		if e.WrapUp != nil {
			p.add("wrap_up", "set on an Inbox event")
		}
	}
	if e.Kind != EventChatWrappedUp && e.WrapUp != nil && e.Kind.Section() == SectionWebChat {
		p.add("wrap_up", "set on a %s event", e.Kind)
	}
	if e.Chat != nil {
		e.Chat.check(&p, "chat")
		if e.ChatID != "" && e.Chat.ID != e.ChatID {
			p.add("chat.id", "%q differs from chat_id %q", e.Chat.ID, e.ChatID)
		}
		if e.Chat.TenantID != "" && e.Chat.TenantID != e.TenantID {
			p.add("chat.tenant_id", "%q differs from tenant_id %q", e.Chat.TenantID, e.TenantID)
		}
	}
	if e.Conversation != nil {
		e.Conversation.check(&p, "conversation")
		if e.ConversationID != "" && e.Conversation.ID != e.ConversationID {
			p.add("conversation.id", "%q differs from conversation_id %q", e.Conversation.ID, e.ConversationID)
		}
		if e.Conversation.TenantID != "" && e.Conversation.TenantID != e.TenantID {
			p.add("conversation.tenant_id", "%q differs from tenant_id %q", e.Conversation.TenantID, e.TenantID)
		}
	}
	if e.WrapUp != nil {
		checkFields(&p, "wrap_up.fields", e.WrapUp.Fields)
	}
	return p.err("event")
}
