package zoho

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors of the OAuth support, matched with [errors.Is]; the error itself is a
// [*TokenError] carrying the details.
var (
	// ErrReconnectRequired: the stored grant cannot produce access tokens any more (Zoho rejected
	// the refresh token: revoked, evicted as the user's 21st, or the client was deleted), or there
	// is nothing stored. Only a new authorisation by the user (a reconnect) fixes it. The
	// [TokenSource] caches this error: it does not ask Zoho again until a new token is stored.
	ErrReconnectRequired = errors.New("zoho: the Zoho connection must be authorised again")
	// ErrTokenThrottled: Zoho's accounts server refused to mint a token because too many were
	// minted recently (10 access tokens per refresh token per 10 minutes). Temporary; the
	// [TokenSource] backs off.
	ErrTokenThrottled = errors.New("zoho: Zoho is throttling token creation")
)

// Codes of a [TokenError] that the SDK sets itself (Zoho's own codes are lower-case words too,
// such as "invalid_code", "invalid_client", or "Access Denied").
const (
	// TokenCodeNoToken: the [TokenStore] has no token under the key.
	TokenCodeNoToken = "no_token"
	// TokenCodeNoRefreshToken: the token has neither a refresh token nor an org for the
	// client-credentials grant, so it cannot be renewed.
	TokenCodeNoRefreshToken = "no_refresh_token"
	// TokenCodeRejectedTooSoon: Zoho rejected an access token that was issued moments ago; the
	// source does not refresh again so soon (a refresh storm would exhaust Zoho's token quota).
	TokenCodeRejectedTooSoon = "rejected_too_soon"
	// TokenCodeRevoked: the refresh token was revoked through [TokenSource.Revoke].
	TokenCodeRevoked = "revoked"
)

// permanentTokenCodes are token-endpoint errors that retrying cannot fix.
var permanentTokenCodes = map[string]bool{
	"invalid_code":           true, // Zoho: refresh token or grant code invalid, expired, revoked
	"invalid_grant":          true,
	"invalid_token":          true,
	"invalid_client":         true,
	"invalid_client_secret":  true,
	"unauthorized_client":    true,
	"invalid_redirect_uri":   true,
	"unsupported_grant_type": true,
	TokenCodeNoToken:         true,
	TokenCodeNoRefreshToken:  true,
	TokenCodeRevoked:         true,
}

// TokenError is a failure of an OAuth operation: an error answer of Zoho's accounts server (which
// answers most token errors with HTTP 200 and a body such as {"error":"invalid_code"}), a transport
// failure, a [TokenStore] failure, or one of the SDK's own refusals (the TokenCode… constants).
// It never holds a secret: descriptions are scrubbed of the secrets of the request.
type TokenError struct {
	// Op is the operation: "authorize" (Zoho's callback, see [ParseOAuthCallback]), "exchange",
	// "refresh", "client_credentials", "revoke", "load", "save" or "lease".
	Op string
	// AccountsServer is the accounts server's base URL (no secrets), when a request was made.
	AccountsServer string
	// HTTPStatus is the HTTP status of Zoho's answer, 0 when there was none.
	HTTPStatus int
	// Code is Zoho's `error` value ("invalid_code", "Access Denied", …) or an SDK code.
	Code string
	// Description is Zoho's `error_description`, or the SDK's explanation.
	Description string
	// RetryAfter is how long the server asked to wait, when it did.
	RetryAfter time.Duration
	// Err is the underlying transport or store error, if any.
	Err error
}

// Error describes the failure without secrets.
func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("zoho: OAuth " + e.Op)
	if e.AccountsServer != "" {
		b.WriteString(" at " + e.AccountsServer)
	}
	b.WriteString(" failed")
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	switch {
	case e.permanent() && e.Op != "exchange" && e.Op != "revoke":
		b.WriteString(" (reconnect required)")
	case e.throttled():
		b.WriteString(" (throttled)")
	}
	return oneLine(b.String())
}

// Unwrap returns the underlying transport or store error.
func (e *TokenError) Unwrap() error { return e.Err }

// Is matches [ErrReconnectRequired] for permanent failures (Zoho rejected the grant, the client or
// the code — invalid_code, invalid_grant, invalid_client, … —, there is no token to renew, or the
// user declined consent), [ErrTokenThrottled] for throttling, [ErrTemporary] for every failure
// that is not permanent (throttling, server errors, transport and store failures), and
// [ErrNoToken] for an empty store.
func (e *TokenError) Is(target error) bool {
	switch target {
	case ErrReconnectRequired:
		return e.permanent()
	case ErrTokenThrottled:
		return e.throttled()
	case ErrTemporary:
		return !e.permanent()
	case ErrNoToken:
		return e.Code == TokenCodeNoToken
	}
	return false
}

// permanent reports whether repeating the operation cannot succeed: Zoho rejected the grant, the
// client or the code (invalid_code, invalid_grant, invalid_client, …), or there is no token to
// renew; and any error of Zoho's authorization callback (the user declined).
func (e *TokenError) permanent() bool {
	return e.Op == "authorize" || permanentTokenCodes[strings.ToLower(strings.TrimSpace(e.Code))]
}

// throttled reports whether Zoho refused because too many tokens were minted recently ("Access
// Denied" with a throttle description, answered with HTTP 200).
func (e *TokenError) throttled() bool {
	if e.Op == "authorize" { // the user declined consent (error=access_denied in the callback)
		return false
	}
	c := strings.ToLower(strings.TrimSpace(e.Code))
	if c == "access denied" || c == "access_denied" || e.HTTPStatus == http.StatusTooManyRequests {
		return true
	}
	d := strings.ToLower(e.Description)
	return strings.Contains(d, "throttle") || strings.Contains(d, "too many requests")
}
