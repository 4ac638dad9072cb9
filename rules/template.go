package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Subject placeholders. A subject template is literal text with these named placeholders in
// braces; "{{" and "}}" stand for literal braces. Values are inserted verbatim and never
// expanded again, so a visitor named "{tenant_id}" stays "{tenant_id}".
const (
	PlaceholderTenantID     = "tenant_id"     // the CloudCX tenant id
	PlaceholderSection      = "section"       // "Web Chat" or "Inbox"
	PlaceholderKind         = "kind"          // "chat", "offline message" or "conversation"
	PlaceholderChannel      = "channel"       // the channel's display name, e.g. "Web Chat", "Email", "WhatsApp"
	PlaceholderChatID       = "chat_id"       // the chat or conversation id
	PlaceholderVisitorID    = "visitor_id"    // the visitor's (or Inbox contact's) id
	PlaceholderVisitor      = "visitor"       // "Name <email>", or whichever of the two the visitor has, else phone, else the Last_Name fallback
	PlaceholderVisitorName  = "visitor_name"  // the visitor's name (Inbox: First and Last Name when it has a Last Name), else email, else phone, else the Last_Name fallback
	PlaceholderVisitorEmail = "visitor_email" // the visitor's email
	PlaceholderVisitorPhone = "visitor_phone" // the visitor's phone (Inbox: cell phone)
	PlaceholderCompany      = "company"       // the visitor's company
	PlaceholderAgentName    = "agent_name"    // the last human agent's name
	PlaceholderStartTime    = "start_time"    // start, tenant zone, "2006-01-02 15:04"
	PlaceholderEndTime      = "end_time"      // end, tenant zone, "2006-01-02 15:04"
	PlaceholderStartDate    = "start_date"    // start date, tenant zone, "2006-01-02"
	PlaceholderEndDate      = "end_date"      // end date, tenant zone, "2006-01-02"
	PlaceholderWrapUp       = "wrap_up"       // wrap-up categories, comma separated
)

// SubjectPlaceholders lists the placeholders a Case or Task subject template may use.
func SubjectPlaceholders() []string {
	return []string{
		PlaceholderTenantID, PlaceholderSection, PlaceholderKind, PlaceholderChannel, PlaceholderChatID,
		PlaceholderVisitorID, PlaceholderVisitor, PlaceholderVisitorName, PlaceholderVisitorEmail, PlaceholderVisitorPhone,
		PlaceholderCompany, PlaceholderAgentName, PlaceholderStartTime, PlaceholderEndTime,
		PlaceholderStartDate, PlaceholderEndDate, PlaceholderWrapUp,
	}
}

// FallbackPlaceholders lists the placeholders a fallback value (the Last_Name or Company used
// when CloudCX has none) may use.
func FallbackPlaceholders() []string {
	return []string{PlaceholderVisitorID, PlaceholderTenantID, PlaceholderChannel, PlaceholderSection}
}

// segment is one piece of a parsed template: literal text, or a placeholder name.
type segment struct {
	text        string
	placeholder bool
}

// parseTemplate splits a template into segments and reports every problem at once: an unknown
// placeholder, an unclosed or stray brace. allowed is the set of placeholder names.
func parseTemplate(tmpl string, allowed []string) ([]segment, []string) {
	ok := make(map[string]bool, len(allowed))
	for _, a := range allowed {
		ok[a] = true
	}
	var (
		segs     []segment
		problems []string
		lit      strings.Builder
	)
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(tmpl); {
		c := tmpl[i]
		switch {
		case c == '{' && i+1 < len(tmpl) && tmpl[i+1] == '{':
			lit.WriteByte('{')
			i += 2
		case c == '}' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			lit.WriteByte('}')
			i += 2
		case c == '{':
			end := strings.IndexByte(tmpl[i+1:], '}')
			if end < 0 {
				problems = append(problems, fmt.Sprintf("unclosed %q at byte %d (write {{ for a literal brace)", "{", i))
				i = len(tmpl)
				continue
			}
			name := tmpl[i+1 : i+1+end]
			if !ok[name] {
				problems = append(problems, fmt.Sprintf("unknown placeholder {%s} (known: %s)", name, knownList(allowed)))
			} else {
				flush()
				segs = append(segs, segment{text: name, placeholder: true})
			}
			i += end + 2
		case c == '}':
			problems = append(problems, fmt.Sprintf("stray %q at byte %d (write }} for a literal brace)", "}", i))
			i++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return segs, problems
}

func knownList(allowed []string) string {
	s := append([]string(nil), allowed...)
	sort.Strings(s)
	return "{" + strings.Join(s, "} {") + "}"
}

// expandTemplate fills a template. It is only called on templates that passed Validate; an
// invalid one expands its valid parts and keeps the rest as literal text, so rendering never
// fails. Values are inserted verbatim.
func expandTemplate(tmpl string, allowed []string, values map[string]string) string {
	segs, _ := parseTemplate(tmpl, allowed)
	var b strings.Builder
	for _, s := range segs {
		if s.placeholder {
			b.WriteString(values[s.text])
		} else {
			b.WriteString(s.text)
		}
	}
	return b.String()
}
