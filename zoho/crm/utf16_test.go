package crm

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestUTF16Len(t *testing.T) {
	cases := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"é", 1},            // precomposed
		{"e\u0301", 2},      // e + combining acute
		{"日本語", 3},          // BMP, 3 bytes each
		{"😀", 2},            // outside the BMP
		{"👩‍💻", 5},          // woman + ZWJ + laptop
		{"🇫🇷", 4},           // two regional indicators
		{"👍🏽", 4},           // thumbs up + skin tone
		{"a\xffb", 3},       // invalid byte counts 1
		{"\xf0\x9f\x98", 3}, // truncated 4-byte sequence: 3 invalid bytes
	}
	for _, c := range cases {
		if got := UTF16Len(c.s); got != c.want {
			t.Errorf("UTF16Len(%q) = %d, want %d", c.s, got, c.want)
		}
		if utf8.ValidString(c.s) {
			if java := len(utf16.Encode([]rune(c.s))); java != c.want {
				t.Errorf("UTF16Len(%q) = %d, but utf16.Encode gives %d", c.s, c.want, java)
			}
		}
	}
}

func TestTruncateUTF16(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 3, "hel"},
		{"hello", 0, ""},
		{"hello", -1, ""},
		{"ab😀", 3, "ab"}, // the emoji needs 2 units: never half a surrogate pair
		{"ab😀", 4, "ab😀"},
		{"😀😀", 3, "😀"},
		{"😀", 1, ""},
		{"cafe\u0301", 4, "caf"}, // e + combining acute stay together
		{"cafe\u0301", 5, "cafe\u0301"},
		{"x👩‍💻", 5, "x"}, // a ZWJ sequence is kept whole
		{"x👩‍💻", 6, "x👩‍💻"},
		{"🇫🇷🇩🇪", 6, "🇫🇷"}, // flags in pairs
		{"🇫🇷🇩🇪", 4, "🇫🇷"},
		{"🇫🇷🇩🇪", 3, ""},
		{"👍🏽!", 3, ""}, // skin tone stays with its emoji
		{"👍🏽!", 4, "👍🏽"},
		{"❤️x", 1, ""}, // heart + variation selector 16
		{"❤️x", 2, "❤️"},
		{"1️⃣2", 3, "1️⃣"}, // keycap sequence
		{"1️⃣2", 2, ""},
		{"a\xffb", 2, "a\uFFFD"}, // invalid bytes become U+FFFD
		{"a\xffb", 10, "a\uFFFDb"},
		{"日本語テキスト", 3, "日本語"},
		{"\u0301abc", 2, "\u0301a"}, // a leading combining mark is its own character
	}
	for _, c := range cases {
		got := TruncateUTF16(c.s, c.n)
		if got != c.want {
			t.Errorf("TruncateUTF16(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("TruncateUTF16(%q, %d) is not valid UTF-8", c.s, c.n)
		}
	}
}

func FuzzTruncateUTF16(f *testing.F) {
	for _, s := range []string{"", "abc", "ab😀", "cafe\u0301", "x👩‍💻y", "🇫🇷🇩🇪", "a\xffb", "\xf0\x9f\x98", strings.Repeat("é", 20)} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 64
		got := TruncateUTF16(s, n)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		if n <= 0 && got != "" {
			t.Fatalf("n=%d gave %q", n, got)
		}
		if l := UTF16Len(got); l > max(n, 0) {
			t.Fatalf("TruncateUTF16(%q, %d) = %q has %d units", s, n, got, l)
		}
		if !strings.HasPrefix(perByteReplaced(s), got) {
			t.Fatalf("TruncateUTF16(%q, %d) = %q is not a prefix", s, n, got)
		}
		if utf8.ValidString(s) && UTF16Len(s) <= n && got != s {
			t.Fatalf("TruncateUTF16(%q, %d) = %q, want the whole string", s, n, got)
		}
		if again := TruncateUTF16(got, n); again != got {
			t.Fatalf("not idempotent: %q then %q", got, again)
		}
	})
}

// perByteReplaced replaces each invalid byte of s by U+FFFD, as TruncateUTF16 does.
func perByteReplaced(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
