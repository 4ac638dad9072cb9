package zoho

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Sentinel errors for the common Zoho conditions. Each question about an error is asked one way,
// with [errors.Is] against any error the client returns; the error itself is an [*APIError] (or
// wraps one) carrying the details:
//
//	if errors.Is(err, zoho.ErrInvalidData) { … }
//	var apiErr *zoho.APIError
//	if errors.As(err, &apiErr) { log(apiErr.Code, apiErr.Details) }
var (
	// ErrInvalidToken: Zoho refused the access token (INVALID_TOKEN, AUTHENTICATION_FAILURE,
	// INVALID_OAUTHTOKEN, or a 401 without a code). The client has its token source renew the
	// token and retries the call once before returning it.
	ErrInvalidToken = errors.New("zoho: invalid or expired access token")
	// ErrScopeMismatch: the token lacks the OAuth scope of the call (401 OAUTH_SCOPE_MISMATCH);
	// only a new consent widens the scopes.
	ErrScopeMismatch = errors.New("zoho: the token lacks the OAuth scope")
	// ErrRateLimited: too many simultaneous calls for the org (a 429 that is not credit
	// exhaustion). Retrying soon is right.
	ErrRateLimited = errors.New("zoho: too many concurrent requests")
	// ErrCreditsExhausted: the org's rolling 24-hour API credits are spent (a 429 whose message
	// speaks of credits, the 24-hour period or the day's limit). Retrying within minutes only
	// burns money; the client never retries it.
	ErrCreditsExhausted = errors.New("zoho: the organisation's API credits are used up")
	// ErrInvalidData: INVALID_DATA.
	ErrInvalidData = errors.New("zoho: invalid data")
	// ErrMandatoryMissing: MANDATORY_NOT_FOUND.
	ErrMandatoryMissing = errors.New("zoho: mandatory field missing")
	// ErrDuplicateData: DUPLICATE_DATA.
	ErrDuplicateData = errors.New("zoho: duplicate data")
	// ErrNoPermission: NO_PERMISSION, AUTHORIZATION_FAILED, or HTTP 403.
	ErrNoPermission = errors.New("zoho: no permission")
	// ErrInvalidModule: INVALID_MODULE.
	ErrInvalidModule = errors.New("zoho: invalid module")
	// ErrNotFound: HTTP 404, or a record asked for by id that Zoho does not have (204).
	ErrNotFound = errors.New("zoho: not found")
	// ErrTemporary: the same call may succeed later without any change — Zoho's concurrency 429,
	// a server error (5xx but 501), or an OAuth failure that is not permanent (throttling, the
	// accounts server's errors, a store or transport failure of the token source). Credit
	// exhaustion, invalid data, permissions and rejected tokens or grants are not temporary. A
	// write that failed with it may have been applied: check for an [*AmbiguousError] first.
	ErrTemporary = errors.New("zoho: temporary failure")
)

// APIError is an error answer from Zoho: any non-2xx response, and a 2xx whose body is Zoho's
// error envelope `{"code","details","message","status":"error"}`. For a write that failed as a
// whole with per-record error items (`{"data":[{…"status":"error"}]}`), Code, Message and
// Details are the first item's.
type APIError struct {
	// HTTPStatus is the HTTP status code of the final attempt.
	HTTPStatus int
	// Code is Zoho's error code, such as "INVALID_DATA" or "INVALID_TOKEN"; "" if the body had none.
	Code string
	// Message is Zoho's human-readable message.
	Message string
	// Status is Zoho's status word, normally "error".
	Status string
	// Details holds Zoho's details object (api_name, json_path, maximum_length, …).
	Details map[string]any
	// Method and Path identify the call (path only: no query string, no host).
	Method, Path string
	// Attempts is how many HTTP attempts were made.
	Attempts int
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Body is the raw response body (at most 1 MiB), for callers that need more than the above,
	// such as the per-record items of a failed batch write.
	Body []byte
}

// Error returns one line: the call, the status and Zoho's code and message. It never contains the
// call's access token: requests carry it in a header, and an answer that echoes it is scrubbed
// when the error is built. Line breaks in Zoho's text are turned into spaces.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("zoho: ")
	if e.Method != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Details) > 0 {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if s, ok := e.Details[k].(string); ok {
				parts = append(parts, k+"="+s)
			} else if f, ok := e.Details[k].(float64); ok {
				parts = append(parts, fmt.Sprintf("%s=%v", k, f))
			}
		}
		if len(parts) > 0 {
			b.WriteString(" (" + strings.Join(parts, ", ") + ")")
		}
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return oneLine(b.String())
}

// Is makes the sentinel errors match: errors.Is(err, ErrInvalidData) and so on.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidToken:
		return e.Code == "INVALID_TOKEN" || e.Code == "AUTHENTICATION_FAILURE" || e.Code == "INVALID_OAUTHTOKEN" ||
			(e.HTTPStatus == http.StatusUnauthorized && e.Code == "")
	case ErrScopeMismatch:
		return e.Code == "OAUTH_SCOPE_MISMATCH"
	case ErrRateLimited:
		return e.rateLimit() == rateLimitConcurrency
	case ErrCreditsExhausted:
		return e.rateLimit() == rateLimitCredits
	case ErrTemporary:
		return e.temporary()
	case ErrInvalidData:
		return e.Code == "INVALID_DATA"
	case ErrMandatoryMissing:
		return e.Code == "MANDATORY_NOT_FOUND"
	case ErrDuplicateData:
		return e.Code == "DUPLICATE_DATA"
	case ErrNoPermission:
		return e.Code == "NO_PERMISSION" || e.Code == "AUTHORIZATION_FAILED" || e.HTTPStatus == http.StatusForbidden
	case ErrInvalidModule:
		return e.Code == "INVALID_MODULE"
	case ErrNotFound:
		return e.HTTPStatus == http.StatusNotFound
	}
	return false
}

// rateLimitKind tells the two meanings of Zoho's HTTP 429 apart.
type rateLimitKind int

const (
	notRateLimited       rateLimitKind = iota
	rateLimitConcurrency               // too many simultaneous calls: retrying soon is right
	rateLimitCredits                   // the 24-hour credits are spent: never retried
)

// rateLimit tells which 429 this is. Zoho answers both "too many concurrent calls" and "24-hour
// credits used up" with HTTP 429 and documents no distinct code for either (TOO_MANY_REQUESTS,
// RATE_LIMIT_EXCEEDED); the message decides: one that speaks of credits, the 24-hour period or
// the day's API limit is credit exhaustion, anything else a concurrency limit. A message that
// names concurrency is a concurrency limit even if it also names the 24-hour period: that is
// Zoho's generic description of 429 ("… for the 24 hour period is exceeded or the concurrency
// limit … is exceeded"), which cannot tell the causes apart, and reading it as credit exhaustion
// would stop a tenant for hours over the common, seconds-long cause.
func (e *APIError) rateLimit() rateLimitKind {
	if e.HTTPStatus != http.StatusTooManyRequests && e.Code != "TOO_MANY_REQUESTS" && e.Code != "RATE_LIMIT_EXCEEDED" {
		return notRateLimited
	}
	return classify429(e.Code, e.Message)
}

func classify429(code, message string) rateLimitKind {
	m := strings.ToLower(code + " " + message)
	if strings.Contains(m, "concurren") {
		return rateLimitConcurrency
	}
	for _, w := range []string{"credit", "24 hour", "24-hour", "per day", "daily", "api limit exceeded", "limit of the day"} {
		if strings.Contains(m, w) {
			return rateLimitCredits
		}
	}
	return rateLimitConcurrency
}

// temporary reports whether the same call may succeed later without any change ([ErrTemporary]):
// a concurrency 429 or a server error.
func (e *APIError) temporary() bool {
	if e.rateLimit() == rateLimitConcurrency {
		return true
	}
	return e.HTTPStatus >= 500 && e.HTTPStatus != http.StatusNotImplemented
}

// AmbiguousError is returned when a request that is not safe to replay (a POST not marked
// idempotent) failed after it was sent: the connection broke, or Zoho answered with a server
// error. Zoho may or may not have applied it. The client does not retry it; the caller must look
// before it writes again (the sync package reconciles by the record's marker). A batch write of
// [RecordsService] (any method) whose final answer is a server error fails with it too, and each
// of its records carries it: such an answer is never read as per-record results.
type AmbiguousError struct {
	Method, Path string
	// StatusCode is the HTTP status of the answer, or 0 if the connection broke.
	StatusCode int
	// Err is the underlying failure (a transport error or an *APIError).
	Err error
}

// Error describes the failure.
func (e *AmbiguousError) Error() string {
	return oneLine(fmt.Sprintf("zoho: %s %s may or may not have been applied: %v", e.Method, e.Path, e.Err))
}

// Unwrap returns the underlying failure.
func (e *AmbiguousError) Unwrap() error { return e.Err }

// HostError is returned, before any request is sent, when the client would send a token to a host
// that is neither a Zoho API domain nor given explicitly ([Endpoints]).
type HostError struct {
	URL    string
	Reason string
}

// Error describes the refused host.
func (e *HostError) Error() string { return fmt.Sprintf("zoho: refusing host %q: %s", e.URL, e.Reason) }

// PathError is returned, before anything is sent, for a request path that is not a relative
// path inside the API: absolute or with a host, with a query or fragment, with empty, "." or ".."
// segments (also percent-encoded, or behind an encoded slash or a backslash), with control
// characters or malformed escapes. [Client.NewRequest] and [PathJoin] refuse such paths, and
// [Client.Do] and [Client.DoRaw] check a [Request] built by hand the same way.
type PathError struct {
	// Path is the refused path, as given.
	Path string
	// Reason says what is wrong with it.
	Reason string
}

// Error describes the refused path.
func (e *PathError) Error() string {
	return fmt.Sprintf("zoho: request path %+.200q refused: %s", e.Path, e.Reason)
}

// errorEnvelope is Zoho's error body: top-level, or the first item of data[].
type errorEnvelope struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	// Details and Data are read on their own: one of another shape than Zoho's does not hide
	// the envelope's code and message.
	Details json.RawMessage `json:"details"`
	Data    json.RawMessage `json:"data"`
}

// errorItem is one record's answer in an error envelope's data.
type errorItem struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Status  string         `json:"status"`
	Details map[string]any `json:"details"`
}

// parseErrorBody fills e's Zoho fields from body. It reports whether body held an error envelope.
func (e *APIError) parseBody(body []byte) bool {
	var env errorEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return false
	}
	if env.Code != "" || env.Status == "error" {
		var details map[string]any
		_ = json.Unmarshal(env.Details, &details) // not an object: no details
		e.Code, e.Message, e.Status, e.Details = env.Code, env.Message, env.Status, details
		return true
	}
	var items []errorItem
	_ = json.Unmarshal(env.Data, &items) // not a list of items: none
	for _, it := range items {
		if it.Status == "error" || (it.Code != "" && it.Code != "SUCCESS") {
			e.Code, e.Message, e.Status, e.Details = it.Code, it.Message, it.Status, it.Details
			return true
		}
	}
	return false
}
