package zohotest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

// Call is one request the server received, as [Server.Calls] reports it. It holds no secret:
// secret query parameters are redacted and tokens are named by [Call.TokenID].
type Call struct {
	// Time is when the request arrived (by the server's clock).
	Time time.Time
	// Method and Path are the request's (path without query).
	Method, Path string
	// Query is the request's query with the values of token, refresh_token, access_token,
	// client_secret, code and password replaced by "REDACTED".
	Query url.Values
	// Status is the HTTP status answered, or 0 when the connection was dropped (a fault, or the
	// client went away).
	Status int
	// Org is the id of the org the call was for ("" when unknown, such as a bad token).
	Org string
	// TokenID names the access token the call used (API calls) or the refresh token or grant code
	// it presented (token endpoint), such as "access#3"; "" when none was valid. See
	// [Server.TokenID].
	TokenID string
	// Fault names the injected fault that hit the call ("" when none): "status", "drop-before",
	// "drop-after" or "slow".
	Fault string
	// Duration is how long the server took, latency included.
	Duration time.Duration
	// Body is the JSON body of a record write (insert, update, upsert) as the client sent it, cut
	// at 256 KiB (a Case with a full 32,000-character description fits), so a test can assert
	// which fields a write sent; nil for other calls. Write
	// bodies carry record values, never credentials.
	Body []byte
}

// maxLoggedBody bounds Call.Body.
const maxLoggedBody = 256 << 10

// Records returns the records of a write's body (its "data" array), or nil when the call has
// none (or its body was cut).
func (c Call) Records() []map[string]any {
	var wb struct {
		Data []map[string]any `json:"data"`
	}
	if len(c.Body) == 0 || json.Unmarshal(c.Body, &wb) != nil {
		return nil
	}
	return wb.Data
}

// routeKey is the route a path counts under: segments that are record ids (all digits) become
// "{id}", so the counts stay bounded however many records a long run touches.
func routeKey(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

// String describes the call in one line, without secrets.
func (c Call) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", c.Method, c.Path)
	if len(c.Query) > 0 {
		b.WriteString("?" + c.Query.Encode())
	}
	fmt.Fprintf(&b, " -> %d", c.Status)
	if c.Org != "" {
		b.WriteString(" org=" + c.Org)
	}
	if c.TokenID != "" {
		b.WriteString(" token=" + c.TokenID)
	}
	if c.Fault != "" {
		b.WriteString(" fault=" + c.Fault)
	}
	return b.String()
}

type callKey struct{ method, path string }

var secretParams = [...]string{"token", "refresh_token", "access_token", "client_secret", "code", "password"}

// redactQuery copies q with secret values replaced.
func redactQuery(q url.Values) url.Values {
	if len(q) == 0 {
		return nil
	}
	out := make(url.Values, len(q))
	for k, vs := range q {
		secret := false
		for _, p := range secretParams {
			if strings.EqualFold(k, p) {
				secret = true
			}
		}
		if secret {
			r := make([]string, len(vs))
			for i := range r {
				r[i] = "REDACTED"
			}
			out[k] = r
		} else {
			out[k] = append([]string(nil), vs...)
		}
	}
	return out
}

func (s *Server) logCall(c Call) {
	s.mu.Lock()
	s.counts[callKey{c.Method, routeKey(c.Path)}]++
	s.calls = append(s.calls, c)
	// The log holds up to twice its limit and is cut back to the limit in one go, so that a full
	// log costs an amortised constant per call rather than a copy of the whole log.
	if limit := s.opts.callLogLimit; len(s.calls) > 2*limit {
		s.calls = append(s.calls[:0:0], s.calls[len(s.calls)-limit:]...)
	}
	s.mu.Unlock()
	if s.opts.logger.Enabled(context.Background(), slog.LevelDebug) {
		s.opts.logger.Debug("zohotest: call", "call", c.String())
	}
}

// Calls returns the calls received, oldest first (at most the call log limit, see
// [WithCallLogLimit]).
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.calls[max(0, len(s.calls)-s.opts.callLogLimit):]
	out := make([]Call, len(kept))
	copy(out, kept)
	return out
}

// ResetCalls empties the call log and the counts.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.counts = map[callKey]int{}
}

// CallCount counts the calls received whose method is method ("" for any) and whose path matches
// pattern (a path.Match pattern: "/crm/v2/Leads", "/crm/v2/*/search", "/oauth/v2/token";
// "" for any). Calls are counted by route: record ids in paths become "{id}" ("/crm/v2/Leads/{id}"),
// and a pattern naming an id counts the route's calls ("/crm/v2/Leads/123" counts every
// "/crm/v2/Leads/{id}" call). It counts every call since the last [Server.ResetCalls], including
// those trimmed from the log.
func (s *Server) CallCount(method, pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, c := range s.counts {
		if method != "" && !strings.EqualFold(method, k.method) {
			continue
		}
		if pattern != "" {
			if ok, _ := path.Match(routeKey(pattern), k.path); !ok {
				continue
			}
		}
		n += c
	}
	return n
}

// CallCounts returns the number of calls per "METHOD /route" (record ids as "{id}"), for reports.
func (s *Server) CallCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, c := range s.counts {
		out[k.method+" "+k.path] += c
	}
	return out
}

// sortedKeys returns m's keys in order (for deterministic output).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
