package zoho

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// TokenRejecter is implemented by token sources that want to hear when Zoho rejected one of their
// access tokens (HTTP 401 INVALID_TOKEN). The client then calls TokenRejected with the token it
// used and, if that returns nil, retries the call once with a fresh token. Implementations must
// refresh only if rejected is still their current token, so that many concurrent 401s cause one
// refresh.
type TokenRejecter interface {
	oauth2.TokenSource
	TokenRejected(ctx context.Context, rejected *oauth2.Token) error
}

// errTokenSource marks a failure to obtain a token, so that the retry layer does not retry it.
var errTokenSource = errors.New("zoho: could not obtain an access token")

// tokenError is a failure to obtain a token; newTokenError redacts the URLs in err (a token
// endpoint's query) before it is kept.
type tokenError struct{ err error }

func newTokenError(err error) *tokenError { return &tokenError{err: redactError(err)} }

func (e *tokenError) Error() string {
	return errTokenSource.Error() + ": " + e.err.Error()
}
func (e *tokenError) Unwrap() []error {
	return []error{errTokenSource, e.err}
}

// callState is the per-call state shared by the layers of one call, carried in the request
// context.
type callState struct {
	method, path string
	idempotent   bool
	attempt      atomic.Int32
	wrote        atomic.Bool
	dispatched   atomic.Bool // handed to the base transport at least once: Zoho may have it
	mu           sync.Mutex
	token        *oauth2.Token // the token of the latest attempt
	// retryStatus and retryErr are why the last attempt is retried, noted by the retry decision
	// for the retry's log line; both run on the calling goroutine.
	retryStatus int
	retryErr    error
}

// noteRetry records why the attempt that just failed is retried.
func (s *callState) noteRetry(status int, err error) {
	if s != nil {
		s.retryStatus, s.retryErr = status, err
	}
}

type callStateKey struct{}

func callStateFrom(ctx context.Context) *callState {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	return st
}

func (s *callState) written() bool { return s.wrote.Load() }
func (s *callState) attempts() int { return int(s.attempt.Load()) }

// replaySafe reports whether the request may be sent again after it reached Zoho.
func (s *callState) replaySafe() bool {
	return s.idempotent || s.method != http.MethodPost
}

func (s *callState) setToken(t *oauth2.Token) {
	s.mu.Lock()
	s.token = t
	s.mu.Unlock()
}

func (s *callState) lastToken() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// sdkTransport is the SDK's layer under the http.Client: it checks the host, waits for a
// concurrency slot, then fetches the token and sets it and the headers, notes whether the request
// was written, and reports the attempt to the call hook. The slot is held until the response body
// has been read to its end or closed.
type sdkTransport struct {
	client *Client
	base   http.RoundTripper
}

func (t *sdkTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	st := callStateFrom(ctx)
	if st == nil { // not a request built by this client
		st = &callState{method: req.Method, path: req.URL.Path}
	}
	st.attempt.Add(1)
	st.wrote.Store(false)
	closeBody := func() {
		if req.Body != nil {
			req.Body.Close()
		}
	}
	if err := t.client.checkHost(req.URL.Scheme + "://" + req.URL.Host); err != nil {
		closeBody()
		return nil, err
	}
	// The slot first, then the token: a call that waited for a slot (behind slow downloads, say)
	// must not send a token that expired while it waited.
	if err := t.client.limiter.acquire(ctx); err != nil {
		closeBody()
		return nil, err
	}
	tok, err := t.client.token(ctx)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errors.New("the token source returned an empty token")
	}
	if err != nil {
		t.client.limiter.release()
		closeBody()
		return nil, newTokenError(err)
	}
	st.setToken(tok)
	// The per-attempt timeout bounds the wait for the answer's headers once the request is
	// written, as http.Transport's ResponseHeaderTimeout does; the bodies (a long upload, a long
	// download) are bounded by the call's context only.
	hctx, cancel := context.WithCancelCause(ctx)
	deadline := &headerDeadline{d: t.client.cfg.timeout, cancel: cancel}
	r2 := req.Clone(httptrace.WithClientTrace(hctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) {
			st.wrote.Store(true)
			deadline.arm()
		},
	}))
	r2.Header.Set("Authorization", "Zoho-oauthtoken "+tok.AccessToken)
	r2.Header.Set("User-Agent", t.client.userAgent())
	start := time.Now()
	st.dispatched.Store(true)
	resp, err := t.base.RoundTrip(r2)
	if deadline.disarm() { // the headers did not come in time
		if resp != nil {
			resp.Body.Close()
			resp = nil
		}
		err = &headerTimeoutError{d: deadline.d}
	}
	info := CallInfo{Method: req.Method, Path: req.URL.Path, Attempt: st.attempts(), Duration: time.Since(start)}
	if err != nil {
		cancel(nil)
		t.client.limiter.release()
		info.Err = redactError(err)
		t.client.report(ctx, info)
		return nil, err
	}
	info.Status = resp.StatusCode
	t.client.report(ctx, info)
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: func() {
		t.client.limiter.release()
		cancel(nil)
	}}
	return resp, nil
}

// headerDeadline ends an attempt whose answer's headers do not come within d of the request
// being written. arm starts it (when the request is written); disarm stops it when the round
// trip returns and reports whether it fired first, in which case the attempt failed for it.
type headerDeadline struct {
	d      time.Duration
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	timer *time.Timer
	done  bool // the round trip returned: the deadline no longer applies
	fired bool
}

func (h *headerDeadline) arm() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done || h.timer != nil {
		return
	}
	h.timer = time.AfterFunc(h.d, func() {
		h.mu.Lock()
		if h.done {
			h.mu.Unlock()
			return
		}
		h.fired = true
		h.mu.Unlock()
		h.cancel(&headerTimeoutError{d: h.d})
	})
}

func (h *headerDeadline) disarm() (fired bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = true
	if h.timer != nil {
		h.timer.Stop()
	}
	return h.fired
}

// headerTimeoutError is an attempt whose answer's headers did not come within the per-attempt
// timeout ([WithTimeout]). It is a net.Error whose Timeout is true and matches
// context.DeadlineExceeded, as net/http's own timeouts do.
type headerTimeoutError struct{ d time.Duration }

func (e *headerTimeoutError) Error() string {
	return fmt.Sprintf("zoho: no answer within %v of sending the request (WithTimeout)", e.d)
}
func (e *headerTimeoutError) Timeout() bool   { return true }
func (e *headerTimeoutError) Temporary() bool { return true }
func (e *headerTimeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded
}

// contextTokenSource is a token source whose wait for a renewal in flight can end with the
// call's context ([TokenSource]).
type contextTokenSource interface {
	tokenContext(ctx context.Context) (*oauth2.Token, error)
}

// token returns the token for an attempt; a cancelled call stops waiting for a renewal at once.
func (c *Client) token(ctx context.Context) (*oauth2.Token, error) {
	if cts, ok := c.cfg.ts.(contextTokenSource); ok {
		return cts.tokenContext(ctx)
	}
	return c.cfg.ts.Token()
}

func (c *Client) report(ctx context.Context, info CallInfo) {
	if c.cfg.hook != nil {
		c.cfg.hook(ctx, info)
	}
}

func (c *Client) userAgent() string {
	ua := "cxzoho/" + Version
	if c.cfg.uaSuffix != "" {
		ua += " " + c.cfg.uaSuffix
	}
	return ua
}

// releasingBody releases the concurrency slot once: at the end of the body (EOF, or any read
// error: nothing more can come) or when it is closed, whichever comes first. A download read to
// its end but never closed does not keep its slot.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// limiter is a counting semaphore that waits under a context.
type limiter struct{ slots chan struct{} }

func newLimiter(n int) *limiter { return &limiter{slots: make(chan struct{}, n)} }

func (l *limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *limiter) release() { <-l.slots }

// peekBody reads up to 1 MiB of resp.Body and puts it back, so the body can be read again.
func peekBody(resp *http.Response) []byte {
	if resp == nil || resp.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	orig := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), orig), orig}
	return b
}

const maxErrorBody = 1 << 20

// checkHost refuses to send a token to a host that is neither Zoho's nor the one of [Endpoints].
func (c *Client) checkHost(base string) error {
	if c.cfg.baseURL != nil && strings.EqualFold(base, c.cfg.baseURL.Scheme+"://"+c.cfg.baseURL.Host) {
		return nil
	}
	if IsZohoAPIDomain(base) {
		return nil
	}
	return &HostError{URL: RedactURL(base), Reason: "not a Zoho API domain; point at another host with OAuthConfig.Endpoints"}
}
