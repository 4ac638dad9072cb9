package cloudcx

import (
	"bufio"
	"io"
	"strings"
	"time"
)

// DefaultTimeLayout is the transcript's time layout when
// TranscriptOptions.TimeLayout is empty.
const DefaultTimeLayout = "2006-01-02 15:04:05"

// TranscriptOptions tunes WriteTranscript. The zero value writes times in
// UTC with DefaultTimeLayout and includes internal notes, marked.
type TranscriptOptions struct {
	// Location is the time zone of the times; nil means UTC.
	Location *time.Location
	// TimeLayout is a time.Format layout; "" means DefaultTimeLayout.
	TimeLayout string
	// OmitInternalNotes leaves out messages that are internal notes.
	OmitInternalNotes bool
	// InternalNoteLabel marks internal notes after the sender's name, in
	// parentheses; "" means "internal note".
	InternalNoteLabel string
}

// WriteTranscript writes msgs to w as plain text, one message per line:
//
//	[2024-03-01 09:30:05] Jane Doe: Hello, my order has not arrived.
//	[2024-03-01 09:30:41] Sam (internal note): She ordered twice.
//	[2024-03-01 09:31:02] Ava (bot): Let me find an agent for you.
//	[-] System: The chat was transferred.
//
// The time is the message's SentAt in opts.Location formatted with
// opts.TimeLayout, or "-" when not known. The sender is the SenderName, or
// when empty "Visitor", "Contact", "Agent" or "Bot" by SenderKind; a bot's
// name is followed by " (bot)"; system messages say "System". The text is
// Text, or HTML turned into text by HTMLToText when Text is blank. A text
// of several lines continues on lines indented by two spaces, blank lines
// dropped, so every message starts a line with "["; each attachment adds
// an indented line "attachment: NAME (URL)". The output is valid UTF-8
// without control characters other than "\n" and "\t" (see CleanText),
// and the same messages and options always give the same bytes.
//
// The transcript is streamed through a buffer to w, message by message;
// the first write error stops it and is returned.
func WriteTranscript(w io.Writer, msgs []Message, opts TranscriptOptions) error {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	layout := opts.TimeLayout
	if layout == "" {
		layout = DefaultTimeLayout
	}
	noteLabel := OneLine(opts.InternalNoteLabel)
	if noteLabel == "" {
		noteLabel = "internal note"
	}
	// A layout that is already one clean line formats to one clean line: format it into a
	// reused buffer instead of a new string per message.
	plainLayout := OneLine(layout) == layout
	var stamp []byte
	bw := bufio.NewWriter(w)
	for i := range msgs {
		m := &msgs[i]
		if m.InternalNote && opts.OmitInternalNotes {
			continue
		}
		bw.WriteByte('[')
		if m.SentAt.IsZero() {
			bw.WriteByte('-')
		} else if plainLayout {
			stamp = m.SentAt.In(loc).AppendFormat(stamp[:0], layout)
			bw.Write(stamp)
		} else {
			bw.WriteString(OneLine(m.SentAt.In(loc).Format(layout)))
		}
		bw.WriteString("] ")
		bw.WriteString(senderLabel(m))
		if m.InternalNote {
			bw.WriteString(" (")
			bw.WriteString(noteLabel)
			bw.WriteByte(')')
		}
		bw.WriteByte(':')
		writeIndented(bw, messageText(m), true)
		for _, a := range m.Attachments {
			bw.WriteString("\n  attachment:")
			writeIndented(bw, attachmentLine(a), false)
		}
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteTranscript writes the thread's messages with WriteTranscript.
func (t *Thread) WriteTranscript(w io.Writer, opts TranscriptOptions) error {
	return WriteTranscript(w, t.Messages, opts)
}

// messageText returns the cleaned text of m.
func messageText(m *Message) string {
	text := CleanText(m.Text)
	if strings.TrimSpace(text) == "" && m.HTML != "" {
		text = HTMLToText(m.HTML)
	}
	return text
}

// writeIndented writes text after a ": " (or a space), its further lines
// on lines of their own indented by two spaces (four when nested is
// false, under an attachment line), dropping blank lines.
func writeIndented(bw *bufio.Writer, text string, first bool) {
	indent := "\n  "
	if !first {
		indent = "\n    "
	}
	wrote := false
	for rest := text; rest != ""; {
		// An index loop rather than strings.SplitSeq: no allocation per message on any Go version.
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		line = strings.TrimRight(line, " \t")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if wrote {
			bw.WriteString(indent)
		} else {
			bw.WriteByte(' ')
			line = strings.TrimLeft(line, " \t")
		}
		bw.WriteString(line)
		wrote = true
	}
}

func senderLabel(m *Message) string {
	name := OneLine(m.SenderName)
	switch m.SenderKind {
	case SenderSystem:
		return "System"
	case SenderBot:
		if name == "" {
			return "Bot"
		}
		return name + " (bot)"
	case SenderAgent:
		if name == "" {
			return "Agent"
		}
	case SenderContact:
		if name == "" {
			return "Contact"
		}
	case SenderVisitor:
		if name == "" {
			return "Visitor"
		}
	default:
		if name == "" {
			return "Unknown"
		}
	}
	return name
}

func attachmentLine(a Attachment) string {
	name, url := OneLine(a.Name), OneLine(a.URL)
	var b strings.Builder
	b.WriteString(name)
	var extra []string
	if url != "" && url != name {
		extra = append(extra, url)
	}
	if a.Unavailable {
		r := OneLine(a.UnavailableReason)
		if r == "" {
			extra = append(extra, "unavailable")
		} else {
			extra = append(extra, "unavailable: "+r)
		}
	}
	if len(extra) > 0 {
		if name == "" && !a.Unavailable {
			return url
		}
		if name != "" {
			b.WriteByte(' ')
		}
		b.WriteByte('(')
		b.WriteString(strings.Join(extra, "; "))
		b.WriteByte(')')
	}
	return b.String()
}
