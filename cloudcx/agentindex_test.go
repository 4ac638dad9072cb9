package cloudcx

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// naiveMatchAgent is the reference agentIndex.match must agree with: the
// scan over every agent it replaced.
func naiveMatchAgent(id, name string, agents []Agent) (Agent, bool) {
	if id != "" {
		for _, a := range agents {
			if a.ID == id {
				return a, true
			}
		}
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Agent{}, false
	}
	for _, a := range agents {
		if an := strings.TrimSpace(a.Name); an != "" && strings.EqualFold(an, name) {
			return a, true
		}
	}
	for _, a := range agents {
		an := strings.TrimSpace(a.Name)
		if an == "" || len(an) >= len(name) || !strings.EqualFold(name[:len(an)], an) {
			continue
		}
		if r := []rune(name[len(an):]); len(r) > 0 && !unicode.IsLetter(r[0]) && !unicode.IsDigit(r[0]) {
			return a, true
		}
	}
	return Agent{}, false
}

func TestAgentIndexMatch(t *testing.T) {
	henry := Agent{Name: "henry"}
	agents := []Agent{{ID: "1", Name: "Sam"}, henry, {ID: "2", Name: "Sam Lee"}, {ID: "3", Name: " Éva "}, {ID: "4", Name: "Ava", IsBot: true}}
	tests := []struct {
		id, name string
		want     Agent
		ok       bool
	}{
		{id: "2", name: "Sam", want: agents[2], ok: true},  // id first
		{id: "9", name: "sam", want: agents[0], ok: true},  // unknown id: by name
		{name: " SAM LEE ", want: agents[2], ok: true},     // exact beats prefix
		{name: "Sam Leeds", want: agents[0], ok: true},     // "Sam" + space
		{name: "Henry - Comm100", want: henry, ok: true},   // prefix + space
		{name: "henry2", ok: false},                        // prefix + digit
		{name: "henryk", ok: false},                        // prefix + letter
		{name: "éVA (support)", want: agents[3], ok: true}, // non-ASCII case folding
		{name: "ava", want: agents[4], ok: true},           // bots are found too
		{name: "", ok: false},                              // nothing
		{name: "Sa", ok: false},                            // shorter than any name
		{name: "Sam\u00a0Lee", want: agents[0], ok: true},  // NBSP is not a letter
		{name: "\u212Aelvin", ok: false},                   // Kelvin sign, no agent
		{name: "K", ok: false},                             // no agent named K
		{name: "Sam\xff", want: agents[0], ok: true},       // invalid byte ends the name
		{name: strings.Repeat("Sam ", 1000), want: agents[0], ok: true},
	}
	idx := newAgentIndex(agents)
	for _, tt := range tests {
		got, ok := idx.match(tt.id, tt.name)
		if ok != tt.ok || got != tt.want {
			t.Errorf("match(%q, %q) = %+v, %v; want %+v, %v", tt.id, tt.name, got, ok, tt.want, tt.ok)
		}
		if ref, refOK := naiveMatchAgent(tt.id, tt.name, agents); ref != got || refOK != ok {
			t.Errorf("match(%q, %q) = %+v, %v; the reference says %+v, %v", tt.id, tt.name, got, ok, ref, refOK)
		}
	}
	if _, ok := newAgentIndex(nil).match("1", "Sam"); ok {
		t.Error("an empty index matched")
	}
}

// TestAgentIndexAgreesWithReference compares the index with the reference
// on random agents and names.
func TestAgentIndexAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "A", "b", "B", "é", "É", "ü", " ", "-", ".", "1", "ab", "Ab"}
	word := func(max int) string {
		var b strings.Builder
		for range rng.IntN(max + 1) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	for range 20000 {
		agents := make([]Agent, rng.IntN(6))
		for i := range agents {
			agents[i] = Agent{Name: word(4)}
			if rng.IntN(3) == 0 {
				agents[i].ID = word(1)
			}
		}
		id, name := "", word(7)
		if rng.IntN(4) == 0 {
			id = word(1)
		}
		got, ok := newAgentIndex(agents).match(id, name)
		want, wantOK := naiveMatchAgent(id, name, agents)
		if got != want || ok != wantOK {
			t.Fatalf("agents %+v, match(%q, %q) = %+v, %v; the reference says %+v, %v", agents, id, name, got, ok, want, wantOK)
		}
	}
}

func TestFoldKey(t *testing.T) {
	for _, pair := range [][2]string{{"Sam", "sAM"}, {"Éva", "éVA"}, {"\u212A", "k"}, {"ſ", "S"}, {"Σ", "ς"}, {"\xff", "\xfe"}} {
		if foldKey(pair[0]) != foldKey(pair[1]) || !strings.EqualFold(pair[0], pair[1]) {
			t.Errorf("%q and %q fold differently", pair[0], pair[1])
		}
	}
	if foldKey("a") == foldKey("b") {
		t.Error("a and b fold alike")
	}
}
