package zoho

import (
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// RedactURL returns rawURL fit for an error or a log line: its scheme, host and path, without the
// query string (which carries secrets such as a token to revoke, and searched personal data such
// as an email address), the fragment or user info. An unparseable URL gives "(unparseable URL)".
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// redactError returns err with the URL of every *url.Error in it (net/http's errors name the whole
// URL, query included) cut down by RedactURL. A *url.Error is copied with its URL redacted, so that
// errors.As finds no query either; any other error keeps its chain under a redacted message.
func redactError(err error) error {
	if err == nil {
		return nil
	}
	urls := map[string]string{}
	collectURLs(err, urls)
	if len(urls) == 0 {
		return err
	}
	if ue, ok := err.(*url.Error); ok {
		cp := *ue
		cp.URL, cp.Err = urls[ue.URL], redactError(ue.Err)
		return &cp
	}
	msg := err.Error()
	for raw, clean := range urls {
		msg = strings.ReplaceAll(msg, strconv.Quote(raw), strconv.Quote(clean)) // url.Error quotes its URL
		msg = strings.ReplaceAll(msg, raw, clean)
	}
	return &redactedError{msg: msg, err: err}
}

// collectURLs maps the URL of every *url.Error in err's tree to its redacted form.
func collectURLs(err error, urls map[string]string) {
	if ue, ok := err.(*url.Error); ok && ue.URL != "" {
		if clean := RedactURL(ue.URL); clean != ue.URL {
			urls[ue.URL] = clean
		}
	}
	switch x := err.(type) {
	case interface{ Unwrap() error }:
		if inner := x.Unwrap(); inner != nil {
			collectURLs(inner, urls)
		}
	case interface{ Unwrap() []error }:
		for _, inner := range x.Unwrap() {
			if inner != nil {
				collectURLs(inner, urls)
			}
		}
	}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func levelFor(e *APIError) slog.Level {
	if e.temporary() {
		return slog.LevelWarn
	}
	return slog.LevelError
}

func slogString(k, v string) slog.Attr  { return slog.String(k, v) }
func slogInt(k string, v int) slog.Attr { return slog.Int(k, v) }

// authCredential matches an Authorization credential ("Zoho-oauthtoken 1000.abc…", "Bearer …";
// 12 characters or more, so that prose such as "Bearer token missing" stays), as a hostile or
// careless server may echo it in an error. Read-only.
var authCredential = regexp.MustCompile(`(?i)\b(zoho-oauthtoken|bearer)(\s+|%20|\+)[^\s"'\\,;&<>]{12,}`)

// scrubAuth replaces the access token tok (when it is long enough to be one) and anything that
// looks like an Authorization credential in s.
func scrubAuth(s, tok string) string {
	if s == "" {
		return s
	}
	return authCredential.ReplaceAllString(scrub(s, tok), "${1}${2}REDACTED")
}

// scrubAuthBytes is scrubAuth for a body; it returns b itself when there is nothing to scrub.
func scrubAuthBytes(b []byte, tok string) []byte {
	if len(b) == 0 {
		return b
	}
	if s := scrubAuth(string(b), tok); s != string(b) {
		return []byte(s)
	}
	return b
}

// scrubAuthValue applies scrubAuth to every string inside a decoded JSON value.
func scrubAuthValue(v any, tok string) any {
	switch x := v.(type) {
	case string:
		return scrubAuth(x, tok)
	case map[string]any:
		for k, e := range x {
			x[k] = scrubAuthValue(e, tok)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = scrubAuthValue(e, tok)
		}
		return x
	}
	return v
}

// oneLine replaces control characters (line breaks above all) with spaces, so that text from a
// server cannot forge log lines through an error message.
func oneLine(s string) string {
	if strings.IndexFunc(s, isBreaking) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBreaking(r) {
			return ' '
		}
		return r
	}, s)
}

func isBreaking(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }
