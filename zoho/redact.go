package zoho

import (
	"errors"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// sensitiveParams are query parameters whose values are secrets.
var sensitiveParams = [...]string{"token", "refresh_token", "access_token", "client_secret", "code", "password"}

// RedactURL returns rawURL with the values of secret query parameters (token, refresh_token,
// access_token, client_secret, code) replaced by "REDACTED".
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery == "" {
		return u.String()
	}
	q := u.Query()
	changed := false
	for _, k := range sensitiveParams {
		for qk := range q {
			if strings.EqualFold(qk, k) {
				q[qk] = []string{"REDACTED"}
				changed = true
			}
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redactError scrubs secrets from the URL of a *url.Error (which net/http returns), keeping the
// rest of the chain.
func redactError(err error) error {
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) {
		return err
	}
	cp := *ue
	cp.URL = RedactURL(ue.URL)
	if ue == err {
		return &cp
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), ue.URL, cp.URL), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func levelFor(e *APIError) slog.Level {
	if e.Temporary() {
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
