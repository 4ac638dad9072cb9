package zohotest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// obj is a JSON object as the server writes it. Keys are sorted by encoding/json, which Zoho does
// not do, but no client may rely on key order.
type obj = map[string]any

// reply is a buffered response: handlers produce one, and the server decides afterwards whether
// to write it, delay it or drop the connection (fault injection).
type reply struct {
	status int
	header http.Header
	body   []byte
}

func newReply() *reply { return &reply{header: http.Header{}} }

// jsonReply is a JSON answer with Zoho's content type.
func jsonReply(status int, v any) *reply {
	r := newReply()
	r.status = status
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only values built by this package are encoded; they always encode.
		return errorReply(http.StatusInternalServerError, "INTERNAL_ERROR", "Internal Server Error", obj{})
	}
	r.body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	r.header.Set("Content-Type", "application/json;charset=UTF-8")
	return r
}

// noContent is Zoho's empty answer (HTTP 204, no body).
// Zoho sends its JSON content type even then (a real v2 capture: testdata/README.md).
func noContent() *reply {
	r := newReply()
	r.status = http.StatusNoContent
	r.header.Set("Content-Type", "application/json;charset=UTF-8")
	return r
}

// errorReply is Zoho's top-level error envelope {code, details, message, status:"error"}.
func errorReply(status int, code, message string, details obj) *reply {
	if details == nil {
		details = obj{}
	}
	return jsonReply(status, errorItem(code, message, details))
}

// errorItem is one error object, top-level or an item of data[].
func errorItem(code, message string, details obj) obj {
	if details == nil {
		details = obj{}
	}
	return obj{"code": code, "details": details, "message": message, "status": "error"}
}

// Zoho's common errors, with the messages of its documentation (zoho-api.md §1.5, §7).
func errInvalidToken() *reply {
	return errorReply(http.StatusUnauthorized, "INVALID_TOKEN", "invalid oauth token", nil)
}

func errAuthenticationFailure() *reply {
	return errorReply(http.StatusUnauthorized, "AUTHENTICATION_FAILURE", "Authentication failed", nil)
}

func errScopeMismatch() *reply {
	return errorReply(http.StatusUnauthorized, "OAUTH_SCOPE_MISMATCH", "Unauthorized", nil)
}

func errInvalidURL() *reply {
	return errorReply(http.StatusNotFound, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", nil)
}

func errMethod() *reply {
	return errorReply(http.StatusBadRequest, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one", nil)
}

func errInvalidModule() *reply {
	return errorReply(http.StatusBadRequest, "INVALID_MODULE", "the module name given seems to be invalid", obj{"resource_path_index": 0})
}

func errInternal() *reply {
	return errorReply(http.StatusInternalServerError, "INTERNAL_ERROR", "Internal Server Error", nil)
}

// Zoho documents no distinct code for its two 429s; the zoho client tells them apart by the
// message (words "24 hour" or "credit" mean the day's credits are spent).
const (
	concurrencyMessage = "the concurrency limit of the user for the app is exceeded"
	creditsMessage     = "Number of API requests for the 24 hour period is exceeded: the API credits of the organization are exhausted"
)

func errConcurrency() *reply {
	return errorReply(http.StatusTooManyRequests, "TOO_MANY_REQUESTS", concurrencyMessage, nil)
}

func errCredits() *reply {
	return errorReply(http.StatusTooManyRequests, "TOO_MANY_REQUESTS", creditsMessage, nil)
}

func errInvalidData(message string, details obj) *reply {
	return errorReply(http.StatusBadRequest, "INVALID_DATA", message, details)
}

func errParamMissing(param string) *reply {
	return errorReply(http.StatusBadRequest, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", obj{"param": param})
}

// statusFault is the body of an injected failure with the given status.
func statusFault(status int, code, message string) *reply {
	switch {
	case code != "":
		if message == "" {
			message = http.StatusText(status)
		}
		return errorReply(status, code, message, nil)
	case status == http.StatusTooManyRequests:
		return errConcurrency()
	case status == http.StatusUnauthorized:
		return errInvalidToken()
	case status == http.StatusNotFound:
		return errInvalidURL()
	case status >= 500:
		r := errInternal()
		r.status = status
		return r
	}
	return errorReply(status, "INVALID_DATA", "invalid data", nil)
}

// tokenError is the OAuth token endpoint's failure: HTTP 200 with {"error": …} and no access
// token, as Zoho answers (zoho-api.md §1.3).
func tokenError(code string) *reply {
	return jsonReply(http.StatusOK, obj{"error": code})
}

// tokenThrottle is Zoho's answer when a refresh token minted too many access tokens.
func tokenThrottle() *reply {
	return jsonReply(http.StatusOK, obj{
		"error_description": "You have made too many requests continuously. Please try again after some time.",
		"error":             "Access Denied",
		"status":            "failure",
	})
}
