package zoho

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
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
