package zohotest

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"
)

// FaultKind says how an injected fault fails a call.
type FaultKind int

const (
	// FaultStatus answers with Fault.Status and a Zoho error body (429 concurrency,
	// 401 INVALID_TOKEN, 5xx INTERNAL_ERROR, or Fault.Code/Message), without applying the call.
	FaultStatus FaultKind = iota
	// FaultDropBeforeApply closes the connection without applying the call and without an answer.
	FaultDropBeforeApply
	// FaultDropAfterApply applies the call (the record is written) and then closes the connection
	// without an answer: the caller never learns that it succeeded.
	FaultDropAfterApply
	// FaultSlow applies the call and answers normally after Fault.Delay.
	FaultSlow
)

// String names the kind as [Call.Fault] does.
func (k FaultKind) String() string {
	switch k {
	case FaultStatus:
		return "status"
	case FaultDropBeforeApply:
		return "drop-before"
	case FaultDropAfterApply:
		return "drop-after"
	case FaultSlow:
		return "slow"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault describes calls to fail and how. A call is matched when every given filter holds
// (Method, Path, Org, Match); then Nth, Fraction and Times decide whether it fails.
type Fault struct {
	// Method filters by HTTP method ("" for any).
	Method string
	// Path filters by a path.Match pattern, such as "/crm/v2/Leads" or "/crm/v2/*/search"
	// ("" for any).
	Path string
	// Org filters API calls by the org of their access token ("" for any). Calls to the token
	// endpoints have no org when faults are chosen, so an Org filter never matches them.
	Org string
	// Match, when set, is an extra filter. It sees the call before it is answered (Status 0) and
	// must not call the Server's methods.
	Match func(Call) bool

	// Nth fails only the Nth matching call (1 = the first) counted from injection.
	Nth int
	// Fraction fails each matching call with this probability (from the server's seeded random
	// source: repeatable for one sequence of calls, see [WithSeed]).
	Fraction float64
	// Times caps how many calls the rule fails (0: no cap). With neither Nth nor Fraction every
	// matching call fails, up to Times.
	Times int

	// Kind says how the call fails (default FaultStatus).
	Kind FaultKind
	// Status is the HTTP status of a FaultStatus (429, 401, 500, 503…).
	Status int
	// Code and Message, when set, replace the Zoho error code and message of a FaultStatus.
	Code, Message string
	// Delay is the added wait of a FaultSlow.
	Delay time.Duration
}

// FaultRule is an injected fault; remove it with [FaultRule.Remove].
type FaultRule struct {
	s       *Server
	f       Fault
	seen    int
	hits    int
	removed bool
}

// InjectFault adds a fault rule. Rules are tried in the order injected; the first that fires
// fails the call and later rules do not see it.
func (s *Server) InjectFault(f Fault) (*FaultRule, error) {
	if f.Path != "" {
		if _, err := path.Match(f.Path, "/"); err != nil {
			return nil, fmt.Errorf("zohotest: InjectFault: bad Path pattern %q", f.Path)
		}
	}
	switch {
	case f.Nth < 0 || f.Times < 0:
		return nil, errors.New("zohotest: InjectFault: Nth and Times must not be negative")
	case f.Fraction < 0 || f.Fraction > 1:
		return nil, fmt.Errorf("zohotest: InjectFault: Fraction %v is out of range 0..1", f.Fraction)
	case f.Nth > 0 && f.Fraction > 0:
		return nil, errors.New("zohotest: InjectFault: give Nth or Fraction, not both")
	}
	switch f.Kind {
	case FaultStatus:
		if f.Status < 400 || f.Status > 599 {
			return nil, fmt.Errorf("zohotest: InjectFault: Status %d is not an HTTP error status", f.Status)
		}
	case FaultSlow:
		if f.Delay <= 0 || f.Delay > 10*time.Minute {
			return nil, fmt.Errorf("zohotest: InjectFault: Delay %v is out of range (0, 10m]", f.Delay)
		}
	case FaultDropBeforeApply, FaultDropAfterApply:
	default:
		return nil, fmt.Errorf("zohotest: InjectFault: unknown Kind %d", int(f.Kind))
	}
	r := &FaultRule{s: s, f: f}
	s.mu.Lock()
	s.faults = append(s.faults, r)
	s.mu.Unlock()
	return r, nil
}

// String describes the rule.
func (r *FaultRule) String() string {
	return fmt.Sprintf("zohotest.FaultRule{kind: %s, method: %q, path: %q, org: %q, status: %d}", r.f.Kind, r.f.Method, r.f.Path, r.f.Org, r.f.Status)
}

// Format prints the description for every fmt verb.
func (r *FaultRule) Format(f fmt.State, verb rune) { fmt.Fprint(f, r.String()) }

// Hits reports how many calls the rule failed.
func (r *FaultRule) Hits() int {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.hits
}

// Remove takes the rule out; calls in progress are not affected.
func (r *FaultRule) Remove() {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.removed = true
	for i, x := range r.s.faults {
		if x == r {
			r.s.faults = append(r.s.faults[:i:i], r.s.faults[i+1:]...)
			break
		}
	}
}

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.faults {
		r.removed = true
	}
	s.faults = nil
}

func (f *Fault) filters(c Call) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, c.Method) {
		return false
	}
	if f.Path != "" {
		if ok, _ := path.Match(f.Path, c.Path); !ok {
			return false
		}
	}
	if f.Org != "" && f.Org != c.Org {
		return false
	}
	return true
}

// pickFault returns the fault that fails c, if any.
func (s *Server) pickFault(c Call) *Fault {
	s.mu.Lock()
	rules := append([]*FaultRule(nil), s.faults...)
	s.mu.Unlock()
	if len(rules) == 0 {
		return nil
	}
	// User filters run without the lock (they might be slow or call back).
	matched := make([]bool, len(rules))
	for i, r := range rules {
		matched[i] = r.f.filters(c) && (r.f.Match == nil || r.f.Match(c))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range rules {
		if !matched[i] || r.removed {
			continue
		}
		r.seen++
		if r.f.Times > 0 && r.hits >= r.f.Times {
			continue
		}
		fire := true
		switch {
		case r.f.Nth > 0:
			fire = r.seen == r.f.Nth
		case r.f.Fraction > 0:
			fire = s.rng.Float64() < r.f.Fraction
		}
		if fire {
			r.hits++
			f := r.f
			return &f
		}
	}
	return nil
}

// faultReply is the answer of a FaultStatus.
func faultReply(f *Fault) *reply {
	if f.Status == http.StatusTooManyRequests && f.Code == "" && f.Message != "" {
		return errorReply(f.Status, "TOO_MANY_REQUESTS", f.Message, nil)
	}
	return statusFault(f.Status, f.Code, f.Message)
}
