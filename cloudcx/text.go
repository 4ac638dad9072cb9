package cloudcx

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText makes s safe to show as plain text: invalid UTF-8 becomes
// U+FFFD (one per run of invalid bytes), "\r\n", "\r", U+2028 and U+2029
// become "\n", and control characters other than "\n" and "\t" are
// removed, as are the invisible bidirectional-override and isolate
// characters and U+FEFF. The result is never longer than three times s.
func CleanText(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	invalid := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			if !invalid {
				b.WriteRune(utf8.RuneError)
			}
			invalid = true
			i++
			continue
		}
		invalid = false
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\u2028' || r == '\u2029':
			b.WriteByte('\n')
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case isInvisibleControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isClean reports whether CleanText would return s unchanged.
func isClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || r == '\u2028' || r == '\u2029' || isInvisibleControl(r) {
			return false
		}
		i += size
	}
	return true
}

// isInvisibleControl reports control characters (other than \n and \t)
// and the invisible characters that can disguise text (see IsInvisible).
func isInvisibleControl(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return IsInvisible(r)
}

// IsInvisible reports the characters the cleaners of this module remove: control characters
// (C0 and C1, including line breaks and tabs) and Unicode format characters (category Cf: zero
// width space, word joiner, invisible operators, soft hyphen, left-to-right and right-to-left
// marks, bidirectional overrides and isolates, the byte order mark) — except the zero width
// joiner and non-joiner (U+200D, U+200C), which emoji sequences and several scripts need; a value
// left with nothing but them is empty to OneLine. Package rules uses the same test, so that a
// name cloudcx would show as empty is empty to rules too.
func IsInvisible(r rune) bool {
	switch r {
	case '\u200c', '\u200d':
		return false
	case '\u115f', '\u1160', '\u3164', '\uffa0', '\u2800':
		// Hangul fillers and the braille blank: letters or symbols to Unicode that render as
		// nothing, the usual way to make a name that looks empty.
		return true
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// OneLine is CleanText for a one-line value (a name, an email, an id): line breaks and tabs
// become spaces, runs of white space collapse to one space, and the ends are trimmed. A value
// with nothing visible left (only joiners and spaces) is "".
func OneLine(s string) string {
	s = strings.Join(strings.Fields(CleanText(s)), " ")
	if strings.Trim(s, "\u200c\u200d ") == "" {
		return ""
	}
	return s
}

// MaxIDBytes is the longest id (event, tenant, chat, conversation, visitor, contact) accepted:
// ids are keys in the hosts' stores and in Zoho markers, and an index entry has a size limit
// (PostgreSQL's B-tree rows hold about 2.7 KB for every column of the key together).
const MaxIDBytes = 255

// idProblem says what keeps s from being an id ("" when nothing does): longer than MaxIDBytes,
// or not valid UTF-8 without invisible characters (IsInvisible, U+2028, U+2029) or the
// replacement character U+FFFD — such characters (a NUL, a bidi override) would make two ids
// look the same, or an id read differently from what it holds.
func idProblem(s string) string {
	if len(s) > MaxIDBytes {
		return fmt.Sprintf("is longer than %d bytes", MaxIDBytes)
	}
	if !validID(s) {
		return "has control, format or invalid characters"
	}
	return ""
}

func validID(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		// U+FFFD: what a JSON decoder makes of invalid UTF-8 bytes, so the id was not what was sent.
		if IsInvisible(r) || r == '\u2028' || r == '\u2029' || r == '\u200c' || r == '\u200d' || r == utf8.RuneError {
			return false
		}
	}
	return true
}
