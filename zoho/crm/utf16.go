package crm

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// UTF16Len returns the length of s in UTF-16 code units, the way Zoho (a Java service) counts the
// length of a field value: a character outside the Basic Multilingual Plane, such as most emoji,
// counts 2; every other character counts 1. An invalid UTF-8 byte counts 1 (it arrives as U+FFFD).
// A rune count undercounts emoji, a byte count overcounts everything that is not ASCII.
func UTF16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n += utf16Units(r)
	}
	return n
}

func utf16Units(r rune) int {
	if r >= 0x10000 && r <= unicode.MaxRune {
		return 2
	}
	return 1
}

// TruncateUTF16 returns the longest prefix of s whose UTF-16 length is at most n, cut only between
// user-perceived characters, so that it fits a Zoho field of length n:
//
//   - a character is never split (no half surrogate pair, no partial UTF-8 sequence);
//   - a base character is kept together with what modifies it: combining marks (é written as
//     e + U+0301), variation selectors, emoji skin-tone modifiers, emoji tag sequences, and
//     zero-width-joiner sequences (👩‍💻 is cut whole or not at all);
//   - regional-indicator flags (🇫🇷) are kept in pairs.
//
// When a whole character does not fit, it is dropped, so the result may be shorter than n. n <= 0
// gives "". The result is always valid UTF-8: invalid bytes in s are replaced by U+FFFD (each
// counting 1, as in [UTF16Len]). s is returned unchanged when it is valid and fits.
//
// This is a practical approximation of Unicode grapheme clusters (UAX #29) for the cases that
// matter in CRM text: it does not model Hangul syllable sequences, Indic conjuncts or prepended
// characters, none of which it splits mid-rune.
func TruncateUTF16(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.ValidString(s) && len(s) <= n { // every rune of a valid string takes ≥ as many bytes as units
		return s
	}
	var b strings.Builder
	units := 0        // units written so far
	clusterStart := 0 // byte offset in b where the current cluster starts
	clusterUnits := 0 // units of the current cluster
	prev := rune(-1)
	riRun := 0 // regional indicators in a row
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size // an invalid byte decodes as (RuneError, 1) and is written as U+FFFD
		extends := prev >= 0 && extendsCluster(prev, r, riRun)
		if isRegionalIndicator(r) {
			riRun++
		} else {
			riRun = 0
		}
		if !extends {
			units += clusterUnits
			clusterStart = b.Len()
			clusterUnits = 0
		}
		u := utf16Units(r)
		if units+clusterUnits+u > n {
			// The current cluster does not fit: drop what was written of it.
			out := b.String()[:clusterStart]
			return out
		}
		clusterUnits += u
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// extendsCluster reports whether r continues the user-perceived character that prev is part of.
// riRun counts the regional indicators immediately before r.
func extendsCluster(prev, r rune, riRun int) bool {
	switch {
	case prev == zwj:
		return true // ZWJ sequence: the joined character belongs to the cluster
	case r == zwj:
		return true
	case isRegionalIndicator(r) && isRegionalIndicator(prev):
		return riRun%2 == 1 // the second of a pair
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc):
		return true // combining marks, including variation selectors (Mn)
	case r >= 0x1F3FB && r <= 0x1F3FF:
		return true // emoji skin-tone modifiers
	case r >= 0xE0020 && r <= 0xE007F:
		return true // emoji tag sequence characters (subdivision flags)
	case r == 0x20E3:
		return true // combining enclosing keycap (Me, listed for clarity)
	}
	return false
}

const zwj = '\u200D'

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }
