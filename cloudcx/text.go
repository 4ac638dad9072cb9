package cloudcx

import (
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
// and the format characters that can disguise text.
func isInvisibleControl(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	if unicode.IsControl(r) {
		return true
	}
	switch {
	case r == '\u200e' || r == '\u200f' || r == '\ufeff':
		return true
	case r >= '\u202a' && r <= '\u202e':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// oneLine cleans s and folds its line breaks and tabs into single spaces.
func oneLine(s string) string {
	s = CleanText(s)
	if !strings.ContainsAny(s, "\n\t") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(s), " ")
}
