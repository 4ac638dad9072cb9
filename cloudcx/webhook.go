package cloudcx

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// MaxWebhookSize is the largest webhook body DecodeWebhook and ReadWebhook
// accept: 1 MiB. CloudCX's own webhooks carry ids only and are far
// smaller; Comm100-style envelopes carry a whole chat transcript.
const MaxWebhookSize = 1 << 20

// WebhookTooLargeError reports a webhook body over MaxWebhookSize.
type WebhookTooLargeError struct {
	Limit int64
}

// Error says the body is over the limit.
func (e *WebhookTooLargeError) Error() string {
	return "cloudcx: webhook body larger than " + strconv.FormatInt(e.Limit, 10) + " bytes"
}

// MalformedWebhookError reports a body that is not a webhook the SDK can
// read: not a JSON object, no event name, or a missing id.
type MalformedWebhookError struct {
	// Event is the event name, when the body had one.
	Event  string
	Reason string
	Err    error
}

// Error describes the problem.
func (e *MalformedWebhookError) Error() string {
	s := "cloudcx: malformed webhook"
	if e.Event != "" {
		s += " " + strconv.Quote(e.Event)
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *MalformedWebhookError) Unwrap() error { return e.Err }

// UnknownEventError reports a webhook whose event name the SDK does not know.
type UnknownEventError struct {
	Event string
}

// Error names the event.
func (e *UnknownEventError) Error() string {
	return "cloudcx: unknown webhook event " + strconv.Quote(e.Event)
}

// IgnoredEventError reports a well-formed webhook the SDK knows but does
// not act on (a transfer, an agent reply, a ticket status change other
// than resolving, closing or reopening, …). Hosts usually acknowledge it.
type IgnoredEventError struct {
	Event  string
	Reason string
}

// Error names the event and why it is ignored.
func (e *IgnoredEventError) Error() string {
	return "cloudcx: ignored webhook event " + strconv.Quote(e.Event) + ": " + e.Reason
}

// ReadWebhook reads a webhook body from r, refusing more than
// MaxWebhookSize bytes with a *WebhookTooLargeError, and decodes it with
// DecodeWebhook.
func ReadWebhook(r io.Reader) (Event, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxWebhookSize+1))
	if err != nil {
		return Event{}, fmt.Errorf("cloudcx: read webhook: %w", err)
	}
	return DecodeWebhook(body)
}

// DecodeWebhook turns a webhook body into an Event. It reads:
//
//   - CloudCX's own ID-only webhooks (event names as CloudCX spells them):
//     LiveChatSessionChatting → EventChatStarted, LiveChatSessionEnd →
//     EventChatEnded (ChatID = sessionId), OfflineMessageSubmit →
//     EventOfflineMessage (ChatID = offlineMessageId), the wrap-up event
//     (any event whose body has a wrapUpId) → EventChatWrappedUp with its
//     category and comment, TicketCreated → EventConversationStarted,
//     TicketStatusChanged to Resolved or Closed → EventConversationResolved
//     and from Resolved or Closed to another status →
//     EventConversationReopened (ConversationID = ticketId);
//   - Comm100-style envelopes (chat_started, chat_ended, chat_wrapped_up
//     or chat_wraped_up, offline_message_submitted, and their camelCase
//     names), whose chat or offline message is decoded into Event.Chat by
//     the zero Comm100Decoder.
//
// Known events the SDK does not act on give an *IgnoredEventError, other
// names an *UnknownEventError, bodies it cannot read a
// *MalformedWebhookError, and bodies over MaxWebhookSize a
// *WebhookTooLargeError.
//
// Webhook bodies do not name the tenant: the host sets it with
// Event.SetTenant. They carry no delivery id either, so EventID is made
// from the event name and ids ("LiveChatSessionEnd:<sessionId>",
// "chat_ended:<chat id>", a Comm100 wrap-up's submission time appended to
// tell an edited wrap-up from the first, or the body's own eventId when
// it has one): redelivery of the same webhook gets the same EventID, but
// so could two bodies sent for distinct happenings: a conversation
// resolved, reopened and resolved again gets the body's eventTime in its
// EventID when the body has one, and only then. A host that has a delivery
// id should put it in EventID. OccurredAt is set from the body's eventTime
// when present. Ids with control, format or invalid characters (a NUL, a
// bidi override) are refused with a *MalformedWebhookError.
func DecodeWebhook(body []byte) (Event, error) {
	if len(body) > MaxWebhookSize {
		return Event{}, &WebhookTooLargeError{Limit: MaxWebhookSize}
	}
	clean := lenientJSON(body)
	m, err := members(clean)
	if err != nil {
		return Event{}, &MalformedWebhookError{Reason: "not a JSON object", Err: err}
	}
	raw, ok := member(m, "event")
	if !ok {
		return Event{}, &MalformedWebhookError{Reason: "no event name"}
	}
	var name flexString
	if err := json.Unmarshal(raw, &name); err != nil || name.String() == "" {
		return Event{}, &MalformedWebhookError{Reason: "no event name", Err: err}
	}
	w := webhook{name: name.String(), m: m}
	e, err := w.decode()
	if err != nil {
		return Event{}, err
	}
	e.SourceEvent = w.name
	if at := w.str("eventTime"); at != "" && e.OccurredAt.IsZero() {
		if t, err := parseTime(at, time.UTC); err == nil {
			e.OccurredAt = t
			// A conversation resolved, reopened and resolved again sends bodies that differ
			// only by their time: without it the second resolve would look like a redelivery.
			if e.Kind == EventConversationResolved || e.Kind == EventConversationReopened {
				e.EventID += ":" + strconv.FormatInt(t.UnixMilli(), 10)
			}
		}
	}
	if id := w.str("eventId"); id != "" {
		e.EventID = id
	}
	ids := []struct{ name, v string }{{"event_id", e.EventID}, {"chat_id", e.ChatID}, {"conversation_id", e.ConversationID}, {"visitor_id", e.VisitorID}}
	if e.Chat != nil {
		ids = append(ids, struct{ name, v string }{"chat.id", e.Chat.ID}, struct{ name, v string }{"chat.visitor.id", e.Chat.Visitor.ID},
			struct{ name, v string }{"chat.visitor.contact_id", e.Chat.Visitor.ContactID})
	}
	for _, f := range ids {
		if why := idProblem(f.v); why != "" {
			return Event{}, &MalformedWebhookError{Reason: f.name + " " + why}
		}
	}
	return e, nil
}

type webhook struct {
	name string
	m    map[string]json.RawMessage
}

// str returns the member as text ("" when absent or not a scalar).
func (w webhook) str(name string) string {
	raw, ok := member(w.m, name)
	if !ok {
		return ""
	}
	var s flexString
	if err := json.Unmarshal(raw, &s); err != nil {
		return ""
	}
	return s.String()
}

// need returns the first of names that is set, or a *MalformedWebhookError.
func (w webhook) need(names ...string) (string, error) {
	for _, n := range names {
		if s := w.str(n); s != "" {
			return s, nil
		}
	}
	return "", &MalformedWebhookError{Event: w.name, Reason: "missing " + strings.Join(names, " or ")}
}

func (w webhook) id(parts ...string) string {
	return w.name + ":" + strings.Join(parts, ":")
}

func (w webhook) ignored(reason string) error {
	return &IgnoredEventError{Event: w.name, Reason: reason}
}

func (w webhook) decode() (Event, error) {
	switch w.name {
	case "LiveChatSessionChatting", "LiveChatSessionEnd":
		sid, err := w.need("sessionId")
		if err != nil {
			return Event{}, err
		}
		kind := EventChatStarted
		if w.name == "LiveChatSessionEnd" {
			kind = EventChatEnded
		}
		return Event{Kind: kind, EventID: w.id(sid), ChatID: sid, VisitorID: w.str("visitorId")}, nil
	case "OfflineMessageSubmit":
		id, err := w.need("offlineMessageId", "sessionId")
		if err != nil {
			return Event{}, err
		}
		return Event{Kind: EventOfflineMessage, EventID: w.id(id), ChatID: id, VisitorID: w.str("visitorId")}, nil
	case "TicketCreated":
		id, err := w.need("ticketId")
		if err != nil {
			return Event{}, err
		}
		return Event{Kind: EventConversationStarted, EventID: w.id(id), ConversationID: id}, nil
	case "TicketStatusChanged":
		return w.ticketStatus()
	case "TicketFromUserReply", "TicketAgentReply", "TicketAssigneeChanged", "TicketMoveToRecycleBin",
		"LiveChatSessionTransfer", "LiveChatSessionTransferred", "ContactCreated", "ContactUpdated", "ContactDeleted",
		"chat_transferred", "chatTransferred", "chat_request", "chatRequested", "chat_requested",
		"online", "away", "login", "logout", "agentStatusChanged", "AgentStatusChanged":
		return Event{}, w.ignored("the SDK does not act on this event")
	}
	if k := comm100EventKind(w.name); k != "" {
		return w.comm100(k)
	}
	if w.str("wrapUpId") != "" {
		return w.cloudcxWrapUp()
	}
	if strings.HasPrefix(w.name, "Ticket") || strings.HasPrefix(w.name, "LiveChat") || strings.HasPrefix(w.name, "Agent") {
		return Event{}, w.ignored("the SDK does not act on this event")
	}
	return Event{}, &UnknownEventError{Event: w.name}
}

func (w webhook) cloudcxWrapUp() (Event, error) {
	sid, err := w.need("sessionId")
	if err != nil {
		return Event{}, err
	}
	wu := &WrapUp{Comment: w.str("comment")}
	if raw, ok := member(w.m, "category"); ok {
		var cats flexStrings
		if err := json.Unmarshal(raw, &cats); err != nil {
			return Event{}, &MalformedWebhookError{Event: w.name, Reason: "bad category", Err: err}
		}
		wu.Categories = cats
	}
	return Event{Kind: EventChatWrappedUp, EventID: w.id(w.str("wrapUpId")), ChatID: sid, VisitorID: w.str("visitorId"), WrapUp: wu}, nil
}

func isClosedStatus(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "resolved" || s == "closed"
}

func (w webhook) ticketStatus() (Event, error) {
	id, err := w.need("ticketId")
	if err != nil {
		return Event{}, err
	}
	before, after := w.str("beforeTicketStatus"), w.str("afterTicketStatus")
	switch {
	case isClosedStatus(after) && !isClosedStatus(before):
		return Event{Kind: EventConversationResolved, EventID: w.id(id, before, after), ConversationID: id}, nil
	case isClosedStatus(before) && !isClosedStatus(after) && after != "":
		return Event{Kind: EventConversationReopened, EventID: w.id(id, before, after), ConversationID: id}, nil
	}
	return Event{}, w.ignored(fmt.Sprintf("status change %q → %q neither resolves nor reopens", before, after))
}

// comm100EventKind maps a Comm100 webhook event name to an EventKind, or "".
func comm100EventKind(name string) EventKind {
	switch strings.ToLower(strings.ReplaceAll(name, "_", "")) {
	case "chatstarted", "chatstarts":
		return EventChatStarted
	case "chatended", "chatends":
		return EventChatEnded
	case "chatwrappedup", "chatwrapedup", "chatwrapup":
		return EventChatWrappedUp
	case "offlinemessagesubmitted":
		return EventOfflineMessage
	}
	return ""
}

// comm100 decodes a Comm100-style envelope {event, visitor, chat |
// offline_message | chat_id + wrapup}.
func (w webhook) comm100(kind EventKind) (Event, error) {
	e := Event{Kind: kind}
	var visitor *Visitor
	if raw, ok := member(w.m, "visitor"); ok && isObject(raw) {
		v, err := Comm100Decoder{}.Visitor(raw)
		if err != nil {
			return Event{}, &MalformedWebhookError{Event: w.name, Reason: "bad visitor", Err: err}
		}
		visitor = v
		e.VisitorID = v.ID
	}
	var chatRaw json.RawMessage
	for _, n := range []string{"chat", "offline_message", "offlineMessage"} {
		if raw, ok := member(w.m, n); ok && isObject(raw) {
			chatRaw = raw
			break
		}
	}
	if chatRaw != nil {
		var c *Chat
		var err error
		if kind == EventOfflineMessage {
			c, err = Comm100Decoder{}.OfflineMessage(chatRaw)
		} else {
			c, err = Comm100Decoder{}.Chat(chatRaw)
		}
		if err != nil {
			return Event{}, &MalformedWebhookError{Event: w.name, Reason: "bad chat", Err: err}
		}
		if visitor != nil {
			mergeVisitor(&c.Visitor, visitor)
		}
		e.Chat = c
		e.ChatID = c.ID
	}
	if e.ChatID == "" {
		e.ChatID = w.str("chat_id")
	}
	if e.ChatID == "" {
		if raw, ok := member(w.m, "visitor"); ok {
			if vm, err := members(raw); err == nil {
				e.ChatID = webhook{m: vm}.str("chat_id")
			}
		}
	}
	if e.ChatID == "" {
		return Event{}, &MalformedWebhookError{Event: w.name, Reason: "no chat id"}
	}
	if e.Chat != nil && e.Chat.ID == "" {
		e.Chat.ID = e.ChatID
	}
	if kind == EventChatWrappedUp {
		raw, ok := member(w.m, "wrapup")
		if !ok {
			raw, ok = member(w.m, "wrap_up")
		}
		if ok && isObject(raw) {
			var r rawWrapUp
			if err := json.Unmarshal(raw, &r); err != nil {
				return Event{}, &MalformedWebhookError{Event: w.name, Reason: "bad wrapup", Err: err}
			}
			wu, err := Comm100Decoder{}.wrapUp(&r)
			if err != nil {
				return Event{}, &MalformedWebhookError{Event: w.name, Reason: "bad wrapup", Err: err}
			}
			e.WrapUp = wu
			if wu != nil {
				e.OccurredAt = wu.SubmittedAt
			}
		}
	}
	e.EventID = string(kind) + ":" + e.ChatID
	if e.WrapUp != nil && !e.WrapUp.SubmittedAt.IsZero() {
		// An edited wrap-up is sent again for the same chat: a new event.
		e.EventID += ":" + strconv.FormatInt(e.WrapUp.SubmittedAt.UnixMilli(), 10)
	}
	return e, nil
}

// mergeVisitor fills the empty fields of dst from src.
func mergeVisitor(dst *Visitor, src *Visitor) {
	fill := func(d *string, s string) {
		if strings.TrimSpace(*d) == "" {
			*d = s
		}
	}
	fill(&dst.ID, src.ID)
	fill(&dst.ContactID, src.ContactID)
	fill(&dst.SSOUserID, src.SSOUserID)
	fill(&dst.Name, src.Name)
	fill(&dst.FirstName, src.FirstName)
	fill(&dst.LastName, src.LastName)
	fill(&dst.Email, src.Email)
	fill(&dst.Phone, src.Phone)
	fill(&dst.CellPhone, src.CellPhone)
	fill(&dst.Company, src.Company)
	if dst.Location == (Location{}) {
		dst.Location = src.Location
	}
	if len(dst.CustomFields) == 0 {
		dst.CustomFields = cloneSlice(src.CustomFields)
	}
	if len(dst.CustomVariables) == 0 {
		dst.CustomVariables = cloneSlice(src.CustomVariables)
	}
}
