package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The calls to Zoho's token endpoint, made directly rather than through x/oauth2 (see the package
// doc): Zoho's answers (errors with HTTP 200, expires_in in milliseconds beside expires_in_sec,
// api_domain), and the scrubbing of the request's secrets from every error.

// tokenResponse is the token endpoint's answer: a token, or {"error", "error_description"}.
type tokenResponse struct {
	AccessToken      string     `json:"access_token"`
	RefreshToken     string     `json:"refresh_token"`
	TokenType        string     `json:"token_type"`
	ExpiresIn        jsonNumber `json:"expires_in"`
	ExpiresInSec     jsonNumber `json:"expires_in_sec"`
	APIDomain        string     `json:"api_domain"`
	Scope            string     `json:"scope"`
	Error            string     `json:"error"`
	ErrorDescription string     `json:"error_description"`
	Status           string     `json:"status"`
}

// jsonNumber reads a JSON number or a numeric string.
type jsonNumber struct {
	v   float64
	set bool
}

func (n *jsonNumber) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil // tolerate: an unreadable expiry becomes "unknown"
	}
	n.v, n.set = f, true
	return nil
}

// lifetime returns how long the access token lives. Zoho answers expires_in in seconds; its
// legacy shape answered expires_in_sec in seconds with expires_in in milliseconds (Zoho's own SDK:
// with expires_in_sec present, expires_in is milliseconds). Zoho's access tokens live an hour, so
// an expires_in beyond a day can only be milliseconds and is read so.
func (r *tokenResponse) lifetime() time.Duration {
	switch {
	case r.ExpiresInSec.set && r.ExpiresInSec.v > 0:
		return time.Duration(r.ExpiresInSec.v * float64(time.Second))
	case r.ExpiresIn.set && r.ExpiresIn.v > 0 && (r.ExpiresInSec.set || r.ExpiresIn.v > 86400):
		return time.Duration(r.ExpiresIn.v * float64(time.Millisecond))
	case r.ExpiresIn.set && r.ExpiresIn.v > 0:
		return time.Duration(r.ExpiresIn.v * float64(time.Second))
	}
	return 0
}

// tokenRequest posts form to base/oauth/v2/token and reads Zoho's answer: a token, or an error
// that Zoho usually sends with HTTP 200. attempts > 1 allows one more attempt after a server
// error or a connection failure (never after an error answer). secrets are scrubbed from any
// text that reaches an error.
func (c *OAuthConfig) tokenRequest(ctx context.Context, op, base string, form url.Values, attempts int, secrets ...string) (*Token, error) {
	secrets = append(secrets, c.secrets()...)
	var (
		status int
		body   []byte
		hdr    http.Header
		err    error
	)
	for i := 0; i < attempts; i++ {
		if i > 0 {
			t := time.NewTimer(500 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, &TokenError{Op: op, AccountsServer: base, Err: ctx.Err()}
			case <-t.C:
			}
		}
		status, body, hdr, err = c.post(ctx, base+"/oauth/v2/token", []byte(form.Encode()))
		if ctx.Err() != nil || (err == nil && status < 500) {
			break
		}
	}
	now := time.Now()
	if err != nil {
		return nil, &TokenError{Op: op, AccountsServer: base, Err: scrubError(err, secrets...)}
	}
	var r tokenResponse
	jerr := json.Unmarshal(body, &r)
	if status == http.StatusOK && jerr == nil && r.Error == "" && r.AccessToken != "" {
		tok := &Token{AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, TokenType: r.TokenType,
			APIDomain: strings.TrimRight(r.APIDomain, "/"), Scope: r.Scope, IssuedAt: now.UTC()}
		if d := r.lifetime(); d > 0 {
			tok.Expiry = now.Add(d).UTC()
		}
		return tok, nil
	}
	e := &TokenError{Op: op, AccountsServer: base, HTTPStatus: status, Code: scrub(r.Error, secrets...),
		Description: scrub(r.ErrorDescription, secrets...)}
	if e.Code == "" && e.Description == "" {
		if jerr != nil {
			e.Description = "unreadable answer (" + http.StatusText(status) + ")"
		} else {
			e.Description = "answer without an access token"
		}
	}
	e.RetryAfter, _ = retryAfter(&http.Response{Header: hdr})
	return nil, e
}

// post sends one form POST and returns the status, at most 1 MiB of body and the headers.
func (c *OAuthConfig) post(ctx context.Context, endpoint string, form []byte) (int, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(form))
	if err != nil {
		return 0, nil, nil, redactError(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cxzoho/"+Version)
	start := time.Now()
	resp, err := c.httpClient().Do(req)
	if err != nil {
		c.logger().LogAttrs(ctx, slog.LevelDebug, "zoho: accounts call failed", slog.String("url", RedactURL(endpoint)),
			slog.String("error", redactError(err).Error()))
		return 0, nil, nil, redactError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	c.logger().LogAttrs(ctx, slog.LevelDebug, "zoho: accounts call", slog.String("url", RedactURL(endpoint)),
		slog.Int("status", resp.StatusCode), slog.Duration("duration", time.Since(start)))
	if err != nil {
		return resp.StatusCode, nil, resp.Header, redactError(err)
	}
	return resp.StatusCode, body, resp.Header, nil
}

// secrets returns the client secrets, to scrub from error texts.
func (c *OAuthConfig) secrets() []string {
	out := []string{c.ClientSecret}
	for _, s := range c.ClientSecrets {
		out = append(out, s)
	}
	return out
}

// scrub replaces every non-empty secret in s.
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	return s
}

// scrubError returns err with secrets scrubbed from its text, still unwrapping to err.
func scrubError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := scrub(err.Error(), secrets...)
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
