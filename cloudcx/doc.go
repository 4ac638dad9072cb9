// Package cloudcx is the chat side's vocabulary: the CloudCX chats and
// conversations the SDK syncs into Zoho CRM, the events that say when,
// the seams through which the host supplies them, and their transcript
// as plain text. It imports nothing else of the module.
//
// # Models
//
// A Chat is a Web Chat (a live chat, or an offline message); a
// Conversation is an Inbox conversation (email, SMS, WhatsApp, Facebook,
// Instagram, Telegram, …). Both embed a Thread, which holds what they
// share: ids, tenant, Channel, the Visitor (visitor or contact), Agents,
// Messages with their Attachments, Notes, the WrapUp, custom fields and
// variables (ordered Fields), start and end times, Status and Rating.
// Both report their Section (SectionWebChat or SectionInbox), and
// *Chat and *Conversation both satisfy Interaction, so a caller can take
// either. The agent who owns the outcome after transfers
// (Thread.LastAgent) and the human agents (Thread.HumanAgents) are derived
// from Agents and Messages, not stored. Visitor.DisplayName and
// Visitor.PhoneFor pick the name and phone to map.
//
// Validate methods (Chat, Conversation, Event) report every problem at
// once as a *ValidationError whose Problems (and Unwrap) list one
// *FieldError each.
//
// # JSON
//
// Every model marshals to stable JSON with snake_case member names
// ("tenant_id", "started_at", "sender_kind", "custom_variables", …), the
// names given in the struct tags; they will not change. Chat and
// Conversation are flat objects: the Thread members appear beside
// "session_id", "widget_id" (Chat) or "state" (Conversation). Times are
// RFC 3339 strings; empty values (zero times, empty strings and lists,
// false) are omitted. Unknown members are ignored when decoding, so a host
// may send more than the SDK reads.
//
// # Events and host seams
//
// An Event (kind, event id, tenant, the chat or conversation id or the
// whole thing) tells the sync package that a chat started or ended, an
// offline message arrived, a wrap-up was submitted after the chat, or a
// conversation started, was resolved or closed, or reopened.
// DecodeWebhook (and ReadWebhook, which bounds the body at MaxWebhookSize)
// turns CloudCX's ID-only webhooks and Comm100-style envelopes into
// Events, with *UnknownEventError, *IgnoredEventError,
// *MalformedWebhookError and *WebhookTooLargeError for what it cannot use.
//
// The host implements Loader (the full chat or conversation by id) and
// AttachmentOpener (a file's bytes, size and content type); nothing in
// the SDK knows CloudCX's transport. MemoryHost implements both in memory
// for tests and examples. Both report missing items with ErrNotFound.
//
// # Comm100 payloads
//
// CloudCX inherits Comm100's data model. Comm100Decoder reads Comm100 Live
// Chat API v2 chats, offline messages, visitors and agents, and the same
// objects inside webhooks, leniently into the same models (a host's Loader
// may use it on the API's answers); its documentation lists the quirks it
// accepts. It lives here, not in a package of its own, because DecodeWebhook
// decodes Comm100-style webhook envelopes with it: a separate package would
// import cloudcx's models while cloudcx imported its decoder, a cycle.
//
// # Transcripts
//
// WriteTranscript streams messages as plain text, one message per line
// "[time] sender: text", in a given time zone; HTMLToText turns message
// HTML into readable text; CleanText removes what plain text should not
// carry. All three are deterministic and produce valid UTF-8.
package cloudcx
