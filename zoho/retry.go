package zoho

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
)

// RetryPolicy says how the client retries a failed attempt. These are seconds-scale retries inside
// one call; longer waits (credit exhaustion, a long Retry-After) are returned to the caller as
// errors to schedule.
//
// What is retried: 429 for concurrency (always safe: Zoho refused the call), server errors (5xx
// but 501) and broken connections. A POST that reached Zoho and then got a 5xx or lost its
// connection may already have been applied, so it is retried only when the call is marked
// idempotent ([Idempotent]); otherwise the call fails with an [*AmbiguousError]. A connection that
// failed before the request was written is safe to retry for every method. Credit exhaustion and
// other 4xx are never retried.
type RetryPolicy struct {
	// MaxRetries is how many times a call is retried after its first attempt (default 3). Use -1
	// for no retries.
	MaxRetries int
	// MinWait and MaxWait bound the exponential backoff with jitter (defaults 500ms and 8s).
	MinWait, MaxWait time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for (default 10s). A longer one
	// ends the call with the error, whose RetryAfter field carries the server's wish.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the policy used when none is given.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinWait: 500 * time.Millisecond, MaxWait: 8 * time.Second, MaxRetryAfter: 10 * time.Second}
}

func (p RetryPolicy) validate() error {
	if p.MaxRetries < -1 || p.MaxRetries > 20 {
		return fmt.Errorf("zoho: RetryPolicy.MaxRetries %d is out of range -1..20", p.MaxRetries)
	}
	if p.MinWait < 0 || p.MaxWait < 0 || p.MaxRetryAfter < 0 {
		return errors.New("zoho: RetryPolicy durations must not be negative")
	}
	if p.MaxWait > 0 && p.MinWait > p.MaxWait {
		return fmt.Errorf("zoho: RetryPolicy.MinWait %v exceeds MaxWait %v", p.MinWait, p.MaxWait)
	}
	return nil
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxRetries == 0 {
		p.MaxRetries = d.MaxRetries
	}
	if p.MinWait == 0 {
		p.MinWait = d.MinWait
	}
	if p.MaxWait == 0 {
		p.MaxWait = max(d.MaxWait, p.MinWait)
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p
}

func (p RetryPolicy) maxRetries() int {
	if p.MaxRetries < 0 {
		return 0
	}
	return p.MaxRetries
}

// checkRetry is the retryablehttp CheckRetry: it decides, for one finished attempt, whether to try
// again. ctx is the request's context and carries the call's state.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	st := callStateFrom(ctx)
	if err != nil {
		// A failed token fetch is the token layer's business: retrying here would hammer Zoho's
		// rate-limited token endpoint.
		var re *oauth2.RetrieveError
		if errors.As(err, &re) || errors.Is(err, errTokenSource) {
			return false, err
		}
		var he *HostError
		if errors.As(err, &he) || errors.Is(err, errRedirect) {
			return false, err
		}
		if st != nil && st.written() && !st.replaySafe() {
			return false, &AmbiguousError{Method: st.method, Path: st.path, Err: err}
		}
		retry, rerr := retryablehttp.DefaultRetryPolicy(ctx, nil, err)
		if !retry {
			return false, rerr
		}
		st.noteRetry(0, err)
		return true, nil
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		body := peekBody(resp)
		var e APIError
		e.HTTPStatus = resp.StatusCode
		e.parseBody(body)
		if classify429(e.Code, e.Message) == rateLimitCredits {
			return false, nil
		}
		if ra, ok := retryAfter(resp); ok && ra > c.cfg.retry.MaxRetryAfter {
			return false, nil
		}
		st.noteRetry(resp.StatusCode, nil)
		return true, nil
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		if st != nil && !st.replaySafe() {
			return false, nil // Do turns this into an *AmbiguousError
		}
		st.noteRetry(resp.StatusCode, nil)
		return true, nil
	}
	return false, nil
}

// retryClient returns the retry layer of one round of attempts of a call. Its Backoff knows the
// call, so that each retry is logged with the wait chosen and why.
func (c *Client) retryClient(ctx context.Context, st *callState) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   c.http,
		Logger:       nil, // silenced: retries are logged through our slog logger
		RetryWaitMin: c.cfg.retry.MinWait,
		RetryWaitMax: c.cfg.retry.MaxWait,
		RetryMax:     c.cfg.retry.maxRetries(),
		CheckRetry:   c.checkRetry,
		Backoff: func(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
			d, why := c.backoff(minWait, maxWait, attempt, resp)
			c.logRetry(ctx, st, d, why)
			return d
		},
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// logRetry logs a retry the retry layer is about to wait for: the call, the attempt that failed
// and why (its status or error), how long the client waits and why ("Retry-After" when Zoho said
// how long, "backoff" otherwise).
func (c *Client) logRetry(ctx context.Context, st *callState, wait time.Duration, why string) {
	attrs := []slog.Attr{slog.String("method", st.method), slog.String("path", st.path), slog.Int("attempt", st.attempts())}
	if st.retryStatus != 0 {
		attrs = append(attrs, slog.Int("status", st.retryStatus))
	}
	if st.retryErr != nil {
		attrs = append(attrs, slog.String("error", redactError(st.retryErr).Error()))
	}
	attrs = append(attrs, slog.Duration("wait", wait), slog.String("wait_reason", why))
	c.cfg.logger.LogAttrs(ctx, slog.LevelDebug, "zoho: retrying in "+wait.Round(time.Millisecond).String()+" ("+why+")", attrs...)
}

// Why the client waits before a retry, as logRetry says it.
const (
	waitRetryAfter = "Retry-After"
	waitBackoff    = "backoff"
)

// backoff is the wait before the next attempt, and why: Retry-After when the server sent one (the
// retry decision already refused waits longer than MaxRetryAfter), else exponential with equal
// jitter in [d/2, d], d = min(max, min·2^attempt).
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) (time.Duration, string) {
	if resp != nil {
		if ra, ok := retryAfter(resp); ok {
			return min(ra, c.cfg.retry.MaxRetryAfter), waitRetryAfter
		}
	}
	d := minWait
	for i := 0; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	if d <= 1 {
		return d, waitBackoff
	}
	half := d / 2
	return half + rand.N(d-half+1), waitBackoff
}

// maxRetryAfterSeconds bounds a Retry-After in seconds (a week); anything longer reads as that.
const maxRetryAfterSeconds = 7 * 24 * 3600

// retryAfter parses a Retry-After header in seconds or as an HTTP date.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if s < 0 {
			return 0, false
		}
		// Clamp before converting: a huge value must read as a long wait, not overflow into a
		// short or negative one.
		return time.Duration(min(s, maxRetryAfterSeconds)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}
