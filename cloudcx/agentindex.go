package cloudcx

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// agentIndex finds a thread's agents by id and by name in time that does
// not grow with the number of agents, so matching every message of a
// transcript against the agents stays linear in the input.
type agentIndex struct {
	agents []Agent
	byID   map[string]int
	// byName maps the fold key of each trimmed agent name to the first
	// agent with that name.
	byName map[string]int
	// nameLen[n] is true when some trimmed agent name is n bytes long; only
	// those prefixes of a sender's name can name an agent.
	nameLen []bool
}

func newAgentIndex(agents []Agent) *agentIndex {
	x := &agentIndex{agents: agents}
	if len(agents) == 0 {
		return x
	}
	x.byID = make(map[string]int, len(agents))
	x.byName = make(map[string]int, len(agents))
	for i, a := range agents {
		if a.ID != "" && !hasKey(x.byID, a.ID) {
			x.byID[a.ID] = i
		}
		n := strings.TrimSpace(a.Name)
		if n == "" {
			continue
		}
		if k := foldKey(n); !hasKey(x.byName, k) {
			x.byName[k] = i
		}
		if len(n) >= len(x.nameLen) {
			x.nameLen = append(x.nameLen, make([]bool, len(n)+1-len(x.nameLen))...)
		}
		x.nameLen[len(n)] = true
	}
	return x
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// id returns the first agent with the given id.
func (x *agentIndex) id(id string) (Agent, bool) {
	if i, ok := x.byID[id]; ok {
		return x.agents[i], true
	}
	return Agent{}, false
}

// match finds the agent with the given id, else the first agent whose name
// equals name ignoring case, else the first whose name starts name followed
// by a character that is neither a letter nor a digit ("Henry - Comm100"
// is agent "henry").
func (x *agentIndex) match(id, name string) (Agent, bool) {
	if a, ok := x.id(id); ok {
		return a, true
	}
	name = strings.TrimSpace(name)
	if name == "" || len(x.byName) == 0 {
		return Agent{}, false
	}
	// One pass over name builds the fold key of each prefix; a prefix is
	// looked up only where an agent name of its length ends at a
	// non-letter, so the work is bounded by the name and those lengths.
	var key strings.Builder
	key.Grow(len(name))
	best := -1
	for i, r := range name {
		if i > 0 && i < len(x.nameLen) && x.nameLen[i] && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if j, ok := x.byName[key.String()]; ok && (best < 0 || j < best) {
				best = j
			}
		}
		key.WriteRune(foldRune(r))
	}
	if j, ok := x.byName[key.String()]; ok {
		return x.agents[j], true
	}
	if best >= 0 {
		return x.agents[best], true
	}
	return Agent{}, false
}

// foldKey maps s to a string that is equal for two strings exactly when
// strings.EqualFold reports them equal.
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// foldRune returns the smallest rune of r's simple case-folding orbit.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}
