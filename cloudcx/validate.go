package cloudcx

import (
	"fmt"
	"strconv"
	"strings"
)

// FieldError is one problem found by a Validate method. Field is the JSON
// path of the value at fault ("messages[2].sender_kind", "chat.tenant_id").
type FieldError struct {
	Field   string
	Problem string
}

// Error returns "field: problem".
func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return e.Field + ": " + e.Problem
}

// ValidationError is every problem a Validate method found, at once.
// errors.As on it finds the *ValidationError; its Unwrap lists the
// *FieldError parts, so errors.As finds the first of them too.
type ValidationError struct {
	// What names what was validated ("chat", "conversation", "event").
	What     string
	Problems []*FieldError
}

// Error lists the problems, separated by "; ".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("cloudcx: invalid ")
	b.WriteString(e.What)
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems as errors.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// problems collects FieldErrors under a path prefix.
type problems struct {
	list []*FieldError
}

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (p *problems) err(what string) error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{What: what, Problems: p.list}
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

func index(prefix, field string, i int) string {
	return join(prefix, field) + "[" + strconv.Itoa(i) + "]"
}

// Validate reports every problem of the chat as one *ValidationError, or
// nil: the shared checks (see Conversation.Validate) and, for an offline
// message, that its status says so.
func (c *Chat) Validate() error {
	if c == nil {
		return &ValidationError{What: "chat", Problems: []*FieldError{{Problem: "missing"}}}
	}
	var p problems
	c.check(&p, "")
	return p.err("chat")
}

func (c *Chat) check(p *problems, prefix string) {
	c.Thread.check(p, prefix)
	if c.Channel == ChannelOfflineMessage && c.Status != StatusOfflineMessage {
		p.add(join(prefix, "status"), "an offline message must have status %q, not %q", StatusOfflineMessage, c.Status)
	}
}

// Validate reports every problem of the conversation as one
// *ValidationError, or nil. The checks shared with Chat: id, tenant_id
// and channel are set; started_at is set and ended_at is not before it;
// status, sender kinds and conversation state are known values; every
// agent, field and attachment has something to identify it; sizes and
// scores are in range.
func (c *Conversation) Validate() error {
	if c == nil {
		return &ValidationError{What: "conversation", Problems: []*FieldError{{Problem: "missing"}}}
	}
	var p problems
	c.check(&p, "")
	return p.err("conversation")
}

func (c *Conversation) check(p *problems, prefix string) {
	c.Thread.check(p, prefix)
	switch c.State {
	case "", ConversationOpen, ConversationPending, ConversationResolved, ConversationClosed:
	default:
		p.add(join(prefix, "state"), "unknown state %q", c.State)
	}
}

func (t *Thread) check(p *problems, prefix string) {
	if strings.TrimSpace(t.ID) == "" {
		p.add(join(prefix, "id"), "missing")
	}
	if strings.TrimSpace(t.TenantID) == "" {
		p.add(join(prefix, "tenant_id"), "missing")
	}
	for _, f := range []struct{ name, v string }{{"id", t.ID}, {"tenant_id", t.TenantID}, {"visitor.id", t.Visitor.ID}, {"visitor.contact_id", t.Visitor.ContactID}} {
		if why := idProblem(f.v); why != "" {
			p.add(join(prefix, f.name), "%s", why)
		}
	}
	if strings.TrimSpace(string(t.Channel)) == "" {
		p.add(join(prefix, "channel"), "missing")
	}
	if t.StartedAt.IsZero() {
		p.add(join(prefix, "started_at"), "missing")
	}
	if !t.EndedAt.IsZero() && !t.StartedAt.IsZero() && t.EndedAt.Before(t.StartedAt) {
		p.add(join(prefix, "ended_at"), "before started_at")
	}
	if !t.Status.Known() {
		p.add(join(prefix, "status"), "unknown status %q", t.Status)
	}
	checkFields(p, join(prefix, "visitor.custom_fields"), t.Visitor.CustomFields)
	checkFields(p, join(prefix, "visitor.custom_variables"), t.Visitor.CustomVariables)
	for i, a := range t.Agents {
		if agentKey(a) == "" {
			p.add(index(prefix, "agents", i), "no id, name or email")
		}
	}
	for i := range t.Messages {
		m := &t.Messages[i]
		mp := index(prefix, "messages", i)
		if !m.SenderKind.Known() {
			p.add(join(mp, "sender_kind"), "unknown sender kind %q", m.SenderKind)
		}
		for j, a := range m.Attachments {
			checkAttachment(p, index(mp, "attachments", j), a)
		}
	}
	for i, a := range t.Attachments {
		checkAttachment(p, index(prefix, "attachments", i), a)
	}
	for i, n := range t.Notes {
		if strings.TrimSpace(n.Text) == "" {
			p.add(index(prefix, "notes", i)+".text", "empty")
		}
	}
	if t.WrapUp != nil {
		checkFields(p, join(prefix, "wrap_up.fields"), t.WrapUp.Fields)
	}
	checkFields(p, join(prefix, "custom_fields"), t.CustomFields)
	checkFields(p, join(prefix, "custom_variables"), t.CustomVariables)
	if t.Rating != nil {
		if t.Rating.Score < 0 || t.Rating.Score > 5 {
			p.add(join(prefix, "rating.score"), "%d is outside 0..5", t.Rating.Score)
		}
		checkFields(p, join(prefix, "rating.fields"), t.Rating.Fields)
	}
}

func checkFields(p *problems, path string, fs Fields) {
	for i, f := range fs {
		if strings.TrimSpace(f.Name) == "" {
			p.add(path+"["+strconv.Itoa(i)+"].name", "missing")
		}
	}
}

func checkAttachment(p *problems, path string, a Attachment) {
	if a.ID == "" && a.URL == "" {
		p.add(path, "neither id nor url")
	}
	if a.Size < 0 {
		p.add(join(path, "size"), "negative")
	}
}
