package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
)

// maxJSONBody bounds a JSON response the client decodes (a page of 200 records with long
// descriptions is a few MB).
const maxJSONBody = 64 << 20

// maxPrealloc bounds the buffer readAnswer sizes from a Content-Length before reading.
const maxPrealloc = 1 << 20

// A Request is one Zoho API call before it is sent: built by [Client.NewRequest] (or by a
// service), sent by [Client.Do]. Its body is held so that every retry sends the same bytes.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is relative to /crm/{version}/, with each segment already escaped (see [PathJoin]).
	Path string
	// Query holds the query parameters.
	Query url.Values
	// Header holds extra request headers.
	Header http.Header

	body          []byte
	open          func() (io.Reader, error)
	contentLength int64
	contentType   string
	idempotent    bool
}

// A RequestOption adjusts one request.
type RequestOption func(*Request)

// Idempotent marks a POST as safe to replay (an upsert, say): it is retried after a server error
// or a connection lost after sending, like GET, PUT and DELETE are. Without it, such a POST fails
// with an [*AmbiguousError] instead, because Zoho may already have applied it.
func Idempotent() RequestOption { return func(r *Request) { r.idempotent = true } }

// WithHeader sets a request header.
func WithHeader(key, value string) RequestOption {
	return func(r *Request) { r.Header.Set(key, value) }
}

// IfModifiedSince sets Zoho's If-Modified-Since header; Zoho answers 304 when nothing changed.
func IfModifiedSince(t time.Time) RequestOption {
	return func(r *Request) {
		if !t.IsZero() {
			r.Header.Set("If-Modified-Since", t.Format("2006-01-02T15:04:05-07:00")) // Zoho wants a numeric offset, never Z
		}
	}
}

// PathJoin escapes each segment for a URL path and joins them with "/". It refuses empty, "." and
// ".." segments, and segments that hold one behind a slash or backslash ("12/../users"), so that a
// hostile id cannot walk to another endpoint (a [*PathError]).
func PathJoin(segments ...string) (string, error) {
	parts := make([]string, len(segments))
	for i, s := range segments {
		if s == "" || dotSegment(s) {
			return "", &PathError{Path: s, Reason: "not a path segment (empty, or a . or .. segment)"}
		}
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/"), nil
}

// checkPath refuses a request path that is not a relative path inside the API (see [PathError]).
// NewRequest and the send path both check, so a Request built by hand cannot skip it.
func checkPath(path string) error {
	refuse := func(reason string) error { return &PathError{Path: path, Reason: reason} }
	switch {
	case path == "":
		return refuse("empty")
	case strings.HasPrefix(path, "/") || strings.Contains(path, "://"):
		return refuse("must be relative to /crm/{version}/, without a host")
	case strings.ContainsAny(path, "?#"):
		return refuse("must not carry a query or fragment (pass params)")
	case strings.ContainsRune(path, '\\') || strings.IndexFunc(path, isBreaking) >= 0:
		return refuse("holds a backslash or a control character")
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "" {
			return refuse("holds an empty segment")
		}
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return refuse("holds a malformed escape")
		}
		if dotSegment(dec) {
			return refuse("walks out of the API (a . or .. segment)")
		}
	}
	return nil
}

// dotSegment reports whether s, split at slashes and backslashes (as a server decoding %2F or
// reading \ as / would), holds a "." or ".." piece.
func dotSegment(s string) bool {
	for piece := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '/' || r == '\\' }) {
		if piece == "." || piece == ".." {
			return true
		}
	}
	return false
}

// NewRequest builds a request. path is relative to /crm/{version}/ (escape ids with [PathJoin]);
// params, when not nil, is a url.Values or a struct with `url` tags (go-querystring); body, when
// not nil, is encoded as JSON (no HTML escaping).
func (c *Client) NewRequest(method, path string, params any, body any, opts ...RequestOption) (*Request, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	r := &Request{Method: method, Path: path, Header: http.Header{}}
	switch p := params.(type) {
	case nil:
	case url.Values:
		r.Query = p
	default:
		q, err := query.Values(params)
		if err != nil {
			return nil, fmt.Errorf("zoho: encoding query parameters: %w", err)
		}
		r.Query = q
	}
	if body != nil {
		b, err := crm.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("zoho: encoding request body: %w", err)
		}
		r.body = b
		r.contentType = "application/json"
		r.contentLength = int64(len(r.body))
	}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	return r, nil
}

// NewStreamRequest builds a request whose body comes from open, called for every attempt so that
// a retry sends the same complete body (a multipart upload over a seekable file, say), and once
// more when the call starts (the retry layer probes it; a reader that is an io.Closer is closed).
// length is the exact body size.
func (c *Client) NewStreamRequest(method, path, contentType string, length int64, open func() (io.Reader, error), opts ...RequestOption) (*Request, error) {
	r, err := c.NewRequest(method, path, nil, nil, opts...)
	if err != nil {
		return nil, err
	}
	if open == nil || length < 0 {
		return nil, errors.New("zoho: NewStreamRequest needs a body opener and its length")
	}
	r.open, r.contentLength, r.contentType = open, length, contentType
	return r, nil
}

// Response is Zoho's answer to a call.
type Response struct {
	*http.Response
	// Info is the paging info of list and search answers, nil otherwise.
	Info *PageInfo
	// Attempts is how many HTTP attempts the call took.
	Attempts int
}

// PageInfo is the `info` object of Zoho's list and search answers.
type PageInfo struct {
	PerPage     int  `json:"per_page"`
	Count       int  `json:"count"`
	Page        int  `json:"page"`
	MoreRecords bool `json:"more_records"`
	// NextPageToken and PreviousPageToken are set by Zoho versions that page with tokens.
	NextPageToken     string `json:"next_page_token,omitempty"`
	PreviousPageToken string `json:"previous_page_token,omitempty"`
	PageTokenExpiry   string `json:"page_token_expiry,omitempty"`
}

// Do sends req and decodes a JSON answer into v (a pointer), or copies the raw answer into v if it
// is an io.Writer, or discards it if v is nil. 204 No Content and 304 Not Modified leave v
// untouched. Any non-2xx answer, and a 2xx holding Zoho's error envelope, is an *APIError (see
// also [HostError]). When the context ends, Do returns the context's error. A POST not marked
// [Idempotent] that Zoho may have applied although the call failed (a 5xx, a connection lost after
// sending, the context ending while it was in flight, a 2xx answer that could not be read) fails
// with an [*AmbiguousError] wrapping the cause.
func (c *Client) Do(ctx context.Context, req *Request, v any) (*Response, error) {
	resp, st, err := c.sendState(ctx, req)
	if err != nil {
		return resp, err
	}
	defer resp.Body.Close()
	resp, err = c.decode(ctx, req, resp, st, v)
	if err != nil && req.Method == http.MethodPost && !req.idempotent && !isAPIError(err) {
		// Zoho accepted the call (2xx) but its answer could not be read: it was applied, and the
		// caller, not knowing the result, must not blindly send it again.
		return resp, &AmbiguousError{Method: req.Method, Path: c.fullPath(req), StatusCode: resp.StatusCode, Err: err}
	}
	return resp, err
}

func isAPIError(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr)
}

// decode reads the answer of a successful call into v (see Do).
func (c *Client) decode(ctx context.Context, req *Request, resp *Response, st *callState, v any) (*Response, error) {
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		return resp, nil
	}
	if w, ok := v.(io.Writer); ok {
		if _, err := io.Copy(w, resp.Body); err != nil {
			return resp, ctxErr(ctx, fmt.Errorf("zoho: reading answer of %s %s: %w", req.Method, c.fullPath(req), redactError(err)))
		}
		return resp, nil
	}
	data, err := readAnswer(resp.Body, resp.ContentLength)
	if err != nil {
		return resp, ctxErr(ctx, fmt.Errorf("zoho: reading answer of %s %s: %w", req.Method, c.fullPath(req), redactError(err)))
	}
	if len(data) > maxJSONBody {
		return resp, fmt.Errorf("zoho: answer of %s %s exceeds %d bytes", req.Method, c.fullPath(req), maxJSONBody)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return resp, nil
	}
	// The package's own answers carry the envelope's status and info: one decode reads them
	// all. Others (and an answer v could not take) have the envelope read on its own first.
	// Either way an envelope of another shape than Zoho's is ignored, not the answer refused.
	if h, ok := v.(answerHead); ok {
		if err := json.Unmarshal(data, v); err == nil {
			return resp, c.checkEnvelope(ctx, req, resp, st, data, h.head())
		}
	}
	var head envelope
	if err := json.Unmarshal(data, &head); err == nil {
		if err := c.checkEnvelope(ctx, req, resp, st, data, &head); err != nil {
			return resp, err
		}
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			return resp, fmt.Errorf("zoho: decoding answer of %s %s: %w", req.Method, c.fullPath(req), err)
		}
	}
	return resp, nil
}

// readAnswer reads an answer's body, up to one byte beyond maxJSONBody, into a buffer sized by
// its Content-Length when it gave one (-1: unknown) rather than grown by doubling. The size is
// trusted up to maxPrealloc: a server announcing more than it sends gets no big buffer for it.
func readAnswer(body io.Reader, size int64) ([]byte, error) {
	r := io.LimitReader(body, maxJSONBody+1)
	if size < 0 || size > maxJSONBody {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(size, maxPrealloc)+bytes.MinRead)) // MinRead: room to meet EOF
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// envelope is what every Zoho answer may carry beside its data: "status":"error" for Zoho's error
// envelope (on a 2xx too), and a listing's page info. Both are kept raw, so that one of another
// shape (a number for status, an info that is not Zoho's) fails neither the answer's decode nor
// its records: it is ignored, as the envelope was when read apart.
type envelope struct {
	RawStatus json.RawMessage `json:"status"`
	RawInfo   json.RawMessage `json:"info"`
}

// checkEnvelope sets resp.Info from e and returns Zoho's error envelope as an *APIError. An
// envelope whose status or info cannot be read as Zoho's says nothing (no info, no error).
func (c *Client) checkEnvelope(ctx context.Context, req *Request, resp *Response, st *callState, data []byte, e *envelope) error {
	var status string
	var info *PageInfo
	if len(e.RawStatus) > 0 && json.Unmarshal(e.RawStatus, &status) != nil {
		return nil
	}
	if len(e.RawInfo) > 0 && json.Unmarshal(e.RawInfo, &info) != nil {
		return nil
	}
	resp.Info = info
	if status == "error" {
		apiErr := c.newAPIError(req, resp, data, st.lastToken())
		c.logFailure(ctx, apiErr)
		return apiErr
	}
	return nil
}

// answerHead is an answer type of this package that embeds envelope, so that Client.decode reads
// the answer in one decode.
type answerHead interface{ head() *envelope }

func (e *envelope) head() *envelope { return e }

// DoRaw sends req and returns the answer with its body open, for streaming (attachment
// downloads). The caller must close resp.Body; the call holds one of the client's concurrency
// slots until the body has been read to its end or closed, whichever comes first. Non-2xx answers
// are returned as errors with the body closed.
func (c *Client) DoRaw(ctx context.Context, req *Request) (*Response, error) {
	return c.send(ctx, req)
}

// send performs the call with retries and the one retry after a rejected token. On error the
// body is closed; on success the caller closes it.
func (c *Client) send(ctx context.Context, req *Request) (*Response, error) {
	resp, _, err := c.sendState(ctx, req)
	return resp, err
}

// sendState is send, also returning the state of the call's last round of attempts (nil if none
// was made), whose token scrubs error bodies.
func (c *Client) sendState(ctx context.Context, req *Request) (*Response, *callState, error) {
	if ctx == nil {
		return nil, nil, errors.New("zoho: nil context")
	}
	if req == nil {
		return nil, nil, errors.New("zoho: nil request")
	}
	if err := checkPath(req.Path); err != nil {
		return nil, nil, err // a Request built by hand: nothing is sent
	}
	resp, st, err := c.sendOnce(ctx, req, 0)
	var apiErr *APIError
	if err != nil && st != nil && errors.As(err, &apiErr) && errors.Is(apiErr, ErrInvalidToken) {
		if rj, ok := c.cfg.ts.(TokenRejecter); ok {
			if rerr := rj.TokenRejected(ctx, st.lastToken()); rerr != nil {
				err = &tokenRetryError{api: err, renew: rerr}
				c.logFailure(ctx, err)
				return resp, st, err
			}
			// One more round, counted on from the first: Attempts and the call hook see one call.
			resp, st, err = c.sendOnce(ctx, req, st.attempts())
		}
	}
	c.logFailure(ctx, err)
	return resp, st, err
}

// tokenRetryError is a 401 INVALID_TOKEN whose token could not be renewed: the *APIError and the
// renewal's error (a *TokenError matching ErrReconnectRequired, say) both match errors.Is and
// errors.As.
type tokenRetryError struct{ api, renew error }

func (e *tokenRetryError) Error() string {
	return e.api.Error() + "; renewing the token failed: " + oneLine(e.renew.Error())
}
func (e *tokenRetryError) Unwrap() []error { return []error{e.api, e.renew} }

// sendOnce makes one round of attempts (the retry layer's). prior is how many attempts earlier
// rounds of the same call made.
func (c *Client) sendOnce(ctx context.Context, req *Request, prior int) (*Response, *callState, error) {
	base, err := c.apiBase(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, err
	}
	full := base + "/crm/" + c.cfg.version + "/" + req.Path
	if len(req.Query) > 0 {
		full += "?" + req.Query.Encode()
	}
	st := &callState{method: req.Method, path: c.fullPath(req), idempotent: req.idempotent}
	st.attempt.Store(int32(prior))
	var body any
	switch {
	case req.open != nil:
		body = retryablehttp.ReaderFunc(req.open)
	case req.body != nil:
		body = req.body
	}
	rreq, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callStateKey{}, st), req.Method, full, body)
	if err != nil {
		return nil, st, fmt.Errorf("zoho: building %s %s: %w", req.Method, st.path, redactError(err))
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			rreq.Header.Add(k, v)
		}
	}
	if rreq.Header.Get("Accept") == "" {
		rreq.Header.Set("Accept", "application/json")
	}
	if req.contentType != "" {
		rreq.Header.Set("Content-Type", req.contentType)
		rreq.ContentLength = req.contentLength
	}
	hresp, err := c.retryClient(ctx, st).Do(rreq)
	if err != nil {
		if hresp != nil { // a refused redirect comes with the redirect answer, its body closed
			hresp.Body.Close()
		}
		if ctx.Err() != nil {
			if st.dispatched.Load() && !st.replaySafe() {
				// The request reached the transport before the context ended: Zoho may have it.
				return nil, st, &AmbiguousError{Method: req.Method, Path: st.path, Err: ctx.Err()}
			}
			return nil, st, ctx.Err()
		}
		var amb *AmbiguousError
		if errors.As(err, &amb) {
			amb.Err = redactError(amb.Err)
			return nil, st, amb
		}
		if errors.Is(err, errTokenSource) {
			return nil, st, redactError(err) // the *url.Error around it names the whole URL
		}
		var he *HostError
		if errors.As(err, &he) {
			return nil, st, he
		}
		failed := fmt.Errorf("zoho: %s %s failed after %d attempt(s): %w", req.Method, st.path, st.attempts(), redactError(err))
		if st.written() && req.Method != http.MethodGet && req.Method != http.MethodHead {
			// A write that reached the wire and never got an answer, replays included (a
			// replay-safe upsert whose every attempt lost its connection): Zoho may have
			// applied it, as with a server error.
			return nil, st, &AmbiguousError{Method: req.Method, Path: st.path, Err: failed}
		}
		return nil, st, failed
	}
	resp := &Response{Response: hresp, Attempts: st.attempts()}
	if hresp.StatusCode >= 200 && hresp.StatusCode < 300 || hresp.StatusCode == http.StatusNotModified {
		return resp, st, nil
	}
	data, _ := io.ReadAll(io.LimitReader(hresp.Body, maxErrorBody))
	hresp.Body.Close()
	apiErr := c.newAPIError(req, resp, data, st.lastToken())
	if hresp.StatusCode >= 500 && !st.replaySafe() {
		return resp, st, &AmbiguousError{Method: req.Method, Path: st.path, StatusCode: hresp.StatusCode, Err: apiErr}
	}
	return resp, st, apiErr
}

// newAPIError builds the error of an answer. tok is the token the call sent: a server that echoes
// the request (its Authorization header) in its error must not put the token into the error, so
// the body and every field read from it are scrubbed of it (see scrubAuth).
func (c *Client) newAPIError(req *Request, resp *Response, body []byte, tok *oauth2.Token) *APIError {
	secret := ""
	if tok != nil {
		secret = tok.AccessToken
	}
	body = scrubAuthBytes(body, secret)
	e := &APIError{HTTPStatus: resp.StatusCode, Method: req.Method, Path: c.fullPath(req), Attempts: resp.Attempts, Body: body}
	if ra, ok := retryAfter(resp.Response); ok {
		e.RetryAfter = ra
	}
	if !e.parseBody(body) && e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	// The body may spell the token with JSON escapes: scrub what was decoded too.
	e.Code, e.Message, e.Status = scrubAuth(e.Code, secret), scrubAuth(e.Message, secret), scrubAuth(e.Status, secret)
	if e.Details != nil {
		e.Details, _ = scrubAuthValue(e.Details, secret).(map[string]any)
	}
	return e
}

// logFailure logs the final *APIError of a call, once, with the call's context.
func (c *Client) logFailure(ctx context.Context, err error) {
	var e *APIError
	if err == nil || !errors.As(err, &e) {
		return
	}
	c.cfg.logger.LogAttrs(ctx, levelFor(e), "zoho: call failed",
		slogString("method", e.Method), slogString("path", e.Path), slogInt("status", e.HTTPStatus), slogString("code", e.Code))
}

// fullPath is the URL path of req, as errors and logs name it.
func (c *Client) fullPath(req *Request) string { return "/crm/" + c.cfg.version + "/" + req.Path }

// apiBase returns the API domain for the next call: the API URL of [Endpoints], else the token's
// api_domain, else the data centre's default.
func (c *Client) apiBase(ctx context.Context) (string, error) {
	if c.cfg.baseURL != nil {
		return strings.TrimRight(c.cfg.baseURL.String(), "/"), nil
	}
	tok, err := c.token(ctx)
	if err != nil {
		return "", newTokenError(err)
	}
	if d := APIDomain(tok); d != "" {
		d = strings.TrimRight(d, "/")
		if err := c.checkHost(d); err != nil {
			return "", err
		}
		return d, nil
	}
	return c.cfg.dc.APIURL(), nil
}

// APIDomain returns the token's api_domain (Zoho's "use this domain in all API endpoints"), or "".
func APIDomain(tok *oauth2.Token) string {
	if tok == nil {
		return ""
	}
	s, _ := tok.Extra("api_domain").(string)
	return strings.TrimSpace(s)
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
