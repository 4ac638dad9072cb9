package crm

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestCriteriaBuild(t *testing.T) {
	tests := []struct {
		name string
		c    Criteria
		want string
	}{
		{"single", Equals("Email", "jane@example.com"), `(Email:equals:jane@example.com)`},
		{"zoho doc sample", And(Equals("Last_Name", "Burns,B"), StartsWith("First_Name", "Ma")),
			`((Last_Name:equals:Burns\,B)and(First_Name:starts_with:Ma))`},
		{"trailing backslash", Equals("Last_Name", `K\`), `(Last_Name:equals:K\\)`},
		{"parentheses", Equals("Company", "Zylker (EU)"), `(Company:equals:Zylker \(EU\))`},
		{"or", Or(Equals("Email", "a@b.c"), Equals("Secondary_Email", "a@b.c")),
			`((Email:equals:a@b.c)or(Secondary_Email:equals:a@b.c))`},
		{"nested", And(Equals("Last_Name", "Smith"), Or(Equals("Email", "a@b.c"), StartsWith("Phone", "+49"))),
			`((Last_Name:equals:Smith)and((Email:equals:a@b.c)or(Phone:starts_with:+49)))`},
		{"flattened and", And(And(Equals("A", "aa"), Equals("B", "bb")), Equals("C", "cc")),
			`((A:equals:aa)and(B:equals:bb)and(C:equals:cc))`},
		{"one term group collapses", And(Equals("A", "aa")), `(A:equals:aa)`},
		{"zero terms dropped", Or(Criteria{}, Equals("A", "aa"), Criteria{}), `(A:equals:aa)`},
		{"colon in value", Equals("Website", "https://x.example/?a=1&b=2#f"), `(Website:equals:https://x.example/?a=1&b=2#f)`},
		{"dollar field", Equals("$se_module", "Leads"), `($se_module:equals:Leads)`},
		{"non-ASCII", StartsWith("Last_Name", "Müller-Łukasz 田中 🙂"), `(Last_Name:starts_with:Müller-Łukasz 田中 🙂)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Build()
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if got != tt.want {
				t.Errorf("Build = %s, want %s", got, tt.want)
			}
			if s := tt.c.String(); s != tt.want {
				t.Errorf("String = %s", s)
			}
			back, err := ParseCriteria(got)
			if err != nil {
				t.Fatalf("ParseCriteria(%s): %v", got, err)
			}
			if !reflect.DeepEqual(back, tt.c) {
				t.Errorf("ParseCriteria(Build(c)) = %#v, want %#v", back, tt.c)
			}
		})
	}
}

func TestCriteriaBuildErrors(t *testing.T) {
	many := make([]Criteria, 11)
	for i := range many {
		many[i] = Equals("Email", "someone@example.com")
	}
	tests := []struct {
		name string
		c    Criteria
		want error
	}{
		{"empty", Criteria{}, ErrCriteriaSyntax},
		{"empty And", And(), ErrCriteriaSyntax},
		{"11 conditions", Or(many...), ErrTooManyConditions},
		{"11 nested", And(Or(many[:5]...), Or(many[5:]...)), ErrTooManyConditions},
		{"empty value", Equals("Email", ""), ErrSearchValue},
		{"one char", Equals("Last_Name", "K"), ErrSearchValue},
		{"one rune", Equals("Last_Name", "田"), ErrSearchValue},
		{"newline", Equals("Last_Name", "ab\ncd"), ErrSearchValue},
		{"NUL", Equals("Last_Name", "ab\x00"), ErrSearchValue},
		{"invalid UTF-8", Equals("Last_Name", "ab\xff"), ErrSearchValue},
		{"bad field", Equals("Last Name", "Smith"), ErrCriteriaSyntax},
		{"field injection", Equals("A:equals:x)or(B", "Smith"), ErrCriteriaSyntax},
		{"empty field", Equals("", "Smith"), ErrCriteriaSyntax},
		{"unknown op", Cond("Email", "contains", "ab"), ErrCriteriaSyntax},
		{"v4 op", Cond("Email", "not_equal", "ab"), ErrCriteriaSyntax},
		{"bad logic", Criteria{Logic: "xor", Terms: []Criteria{Equals("A", "aa"), Equals("B", "bb")}}, ErrCriteriaSyntax},
		{"empty group", Criteria{Logic: LogicAnd}, ErrCriteriaSyntax},
		{"zero term in group", Criteria{Logic: LogicAnd, Terms: []Criteria{{}, Equals("B", "bb")}}, ErrCriteriaSyntax},
		{"leaf with terms", Criteria{Field: "A", Op: OpEquals, Value: "aa", Terms: []Criteria{Equals("B", "bb")}}, ErrCriteriaSyntax},
		{"group with field", Criteria{Field: "A", Logic: LogicOr, Terms: []Criteria{Equals("B", "bb")}}, ErrCriteriaSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.c.Build()
			if err == nil {
				t.Fatalf("Build = %q, want error", s)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			var ce *CriteriaError
			if !errors.As(err, &ce) {
				t.Errorf("err %T is not a *CriteriaError", err)
			}
			if !strings.HasPrefix(err.Error(), "zoho: ") {
				t.Errorf("err %q lacks the zoho: prefix", err)
			}
			if !strings.HasPrefix(tt.c.String(), "<invalid criteria: ") {
				t.Errorf("String = %q", tt.c.String())
			}
		})
	}
}

func TestCriteriaErrorsDoNotLeakValues(t *testing.T) {
	secret := "visitor-secret@example.com"
	for _, c := range []Criteria{
		Equals("Email", secret+"\n"),
		Equals("Bad Field", secret),
		Cond("Email", Op(secret), "ab"),
	} {
		_, err := c.Build()
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("error %v leaks the value", err)
		}
	}
	_, err := ParseCriteria(`(Email:equals:` + secret + `\x)`)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("parse error %v leaks the value", err)
	}
}

func TestParseCriteria(t *testing.T) {
	tests := []struct {
		in   string
		want Criteria
	}{
		{`(Email:equals:jane@example.com)`, Equals("Email", "jane@example.com")},
		{`((Email:equals:jane@example.com))`, Equals("Email", "jane@example.com")},
		{`((Last_Name:EQUALS:Burns\,B)AND(First_Name:Starts_With:M\\))`, And(Equals("Last_Name", "Burns,B"), StartsWith("First_Name", `M\`))},
		{`((A:equals:aa)and((B:equals:bb)and(C:equals:cc)))`, And(Equals("A", "aa"), Equals("B", "bb"), Equals("C", "cc"))},
		{`((A:equals:aa)or((B:equals:bb)and(C:equals:cc)))`, Or(Equals("A", "aa"), And(Equals("B", "bb"), Equals("C", "cc")))},
		{`(A:equals:a:b:c)`, Equals("A", "a:b:c")},
		{`(A:equals: spaced )`, Equals("A", " spaced ")},
	}
	for _, tt := range tests {
		got, err := ParseCriteria(tt.in)
		if err != nil {
			t.Errorf("ParseCriteria(%s): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCriteria(%s) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseCriteriaErrors(t *testing.T) {
	eleven := "(" + strings.Repeat("(A:equals:aa)and", 10) + "(A:equals:aa))"
	tests := []struct {
		in   string
		want error
	}{
		{``, ErrCriteriaSyntax},
		{`Email:equals:x`, ErrCriteriaSyntax},
		{`(Email:equals:jane@example.com`, ErrCriteriaSyntax},
		{`(Email:equals:jane@example.com))`, ErrCriteriaSyntax},
		{`(Email:equals:ab)x`, ErrCriteriaSyntax},
		{`(Email:equals)`, ErrCriteriaSyntax},
		{`(Email)`, ErrCriteriaSyntax},
		{`(Email:contains:ab)`, ErrCriteriaSyntax},
		{`(Em ail:equals:ab)`, ErrCriteriaSyntax},
		{`(:equals:ab)`, ErrCriteriaSyntax},
		{`(A:equals:Burns,B)`, ErrCriteriaSyntax},
		{`(A:equals:a(b)`, ErrCriteriaSyntax},
		{`(A:equals:ab\)`, ErrCriteriaSyntax},
		{`(A:equals:ab\n)`, ErrCriteriaSyntax},
		{`(A:equals:ab\`, ErrCriteriaSyntax},
		{`((A:equals:aa)and(B:equals:bb)or(C:equals:cc))`, ErrCriteriaSyntax},
		{`((A:equals:aa)xor(B:equals:bb))`, ErrCriteriaSyntax},
		{`((A:equals:aa)and)`, ErrCriteriaSyntax},
		{`((A:equals:aa)and(B:equals:bb)`, ErrCriteriaSyntax},
		{`()`, ErrCriteriaSyntax},
		{`(())`, ErrCriteriaSyntax},
		{strings.Repeat("(", 100) + "A:equals:aa" + strings.Repeat(")", 100), ErrCriteriaSyntax},
		{`(A:equals:a)`, ErrSearchValue},
		{`(A:equals:)`, ErrSearchValue},
		{"(A:equals:a\tb)", ErrSearchValue},
		{eleven, ErrTooManyConditions},
		{strings.Repeat("x", maxCriteriaText+1), ErrCriteriaSyntax},
	}
	for _, tt := range tests {
		c, err := ParseCriteria(tt.in)
		if err == nil {
			t.Errorf("ParseCriteria(%.60s) = %v, want error", tt.in, c)
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("ParseCriteria(%.60s): %v, want %v", tt.in, err, tt.want)
		}
	}
}

// hostileValues are values that break naive encoders: Zoho's Node SDK sends `+` raw (it arrives
// as a space) and escapes nothing.
var hostileValues = []string{
	"jane+crm@example.com", "a&b", "#hash", "100%", "a/b", "why?", "a:b", "(x)", "a,b",
	`back\slash`, `trailing\`, `\\`, "Müller", "田中太郎", "🙂🙃", "a b", "a=b", "x;y", `"quoted"`,
	"'single'", "a%2Bb", "+49 30 1234", "<script>", "a\u00a0b", "%%", "++",
}

// TestCriteriaWireRoundTrip checks that every hostile value survives escaping, URL encoding,
// URL decoding and parsing, and that the encoded query never carries a raw `+`, `&` or `#` from a
// value.
func TestCriteriaWireRoundTrip(t *testing.T) {
	for _, v := range hostileValues {
		for _, c := range []Criteria{Equals("Email", v), And(StartsWith("Last_Name", v), Equals("Email", v))} {
			s, err := c.Build()
			if err != nil {
				t.Fatalf("Build(%q): %v", v, err)
			}
			raw := url.Values{"criteria": {s}}.Encode()
			if strings.Count(raw, "&") != 0 || strings.Contains(raw, "#") {
				t.Errorf("%q: raw query %s carries a separator", v, raw)
			}
			if strings.Contains(v, "+") && !strings.Contains(raw, "%2B") {
				t.Errorf("%q: raw query %s does not encode +", v, raw)
			}
			q, err := url.ParseQuery(raw)
			if err != nil {
				t.Fatalf("ParseQuery(%s): %v", raw, err)
			}
			back, err := ParseCriteria(q.Get("criteria"))
			if err != nil {
				t.Fatalf("%q: ParseCriteria: %v", v, err)
			}
			if !reflect.DeepEqual(back, c) {
				t.Errorf("%q: round trip gave %#v", v, back)
			}
		}
	}
}

func TestCriteriaEscapedForm(t *testing.T) {
	// Zoho's documented example: Burns,B → Burns\,B → Burns%5C%2CB; K\ → K\\ → K%5C%5C.
	s, _ := Equals("Last_Name", "Burns,B").Build()
	if got := url.QueryEscape(s); got != "%28Last_Name%3Aequals%3ABurns%5C%2CB%29" {
		t.Errorf("encoded = %s", got)
	}
	if got := EscapeCriteriaValue(`K\`); got != `K\\` {
		t.Errorf("EscapeCriteriaValue = %s", got)
	}
	if got := EscapeCriteriaValue(`a(b),c\d`); got != `a\(b\)\,c\\d` {
		t.Errorf("EscapeCriteriaValue = %s", got)
	}
}

func TestCriteriaConditions(t *testing.T) {
	c := And(Equals("Last_Name", "Smith"), Or(Equals("Email", "a@b.c"), StartsWith("Phone", "+49")))
	want := []Condition{
		{"Last_Name", OpEquals, "Smith"},
		{"Email", OpEquals, "a@b.c"},
		{"Phone", OpStartsWith, "+49"},
	}
	if got := c.Conditions(); !reflect.DeepEqual(got, want) {
		t.Errorf("Conditions = %v", got)
	}
	if (Criteria{}).Conditions() != nil {
		t.Error("zero criteria has conditions")
	}
	if !Equals("A", "aa").IsCondition() || c.IsCondition() || (Criteria{}).IsCondition() {
		t.Error("IsCondition wrong")
	}
}

func TestCriteriaMatches(t *testing.T) {
	rec := map[string]string{"Email": "Jane+CRM@Example.com", "Last_Name": "Müller", "Company": "ABC Inc"}
	get := func(f string) (string, bool) { v, ok := rec[f]; return v, ok }
	tests := []struct {
		c    Criteria
		want bool
	}{
		{Equals("Email", "jane+crm@example.com"), true},
		{Equals("Email", "jane crm@example.com"), false},
		{Equals("Company", "ABC"), false}, // exact, unlike Zoho's loose equals
		{StartsWith("Company", "abc"), true},
		{StartsWith("Last_Name", "MÜL"), true},
		{StartsWith("Last_Name", "Müllerin"), false},
		{Equals("Phone", "12"), false}, // no such field
		{And(Equals("Company", "abc inc"), StartsWith("Last_Name", "mü")), true},
		{And(Equals("Company", "abc inc"), StartsWith("Last_Name", "x")), false},
		{Or(Equals("Company", "nope"), StartsWith("Email", "JANE")), true},
		{Or(Equals("Company", "nope"), Equals("Email", "nope")), false},
		{Criteria{}, false},
		{Cond("Email", "contains", "jane"), false},
	}
	for _, tt := range tests {
		if got := tt.c.Matches(get); got != tt.want {
			t.Errorf("%v.Matches = %v, want %v", tt.c, got, tt.want)
		}
	}
	if Equals("Email", "ab").Matches(nil) {
		t.Error("nil getter matched")
	}
}

// FuzzCriteriaRoundTrip: build → URL-encode → URL-decode → parse gives back the same criteria.
func FuzzCriteriaRoundTrip(f *testing.F) {
	for i, v := range hostileValues {
		f.Add(v, hostileValues[(i+1)%len(hostileValues)], uint8(i))
	}
	f.Fuzz(func(t *testing.T, v1, v2 string, shape uint8) {
		a := Cond("Email", []Op{OpEquals, OpStartsWith}[shape&1], v1)
		b := Cond("Last_Name", []Op{OpEquals, OpStartsWith}[shape>>1&1], v2)
		var c Criteria
		switch shape >> 2 % 4 {
		case 0:
			c = a
		case 1:
			c = And(a, b)
		case 2:
			c = Or(a, b)
		case 3:
			c = And(Or(a, b), Equals("Company", v2+v1))
		}
		s, err := c.Build()
		if err != nil {
			if CheckSearchValue(v1) == nil && CheckSearchValue(v2) == nil {
				t.Fatalf("Build refused valid values: %v", err)
			}
			return
		}
		q, err := url.ParseQuery(url.Values{"criteria": {s}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseCriteria(q.Get("criteria"))
		if err != nil {
			t.Fatalf("ParseCriteria(%q): %v", s, err)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip: got %#v, want %#v", back, c)
		}
	})
}

// FuzzParseCriteria: the parser never panics, and what it accepts builds back to text that parses
// to the same criteria.
func FuzzParseCriteria(f *testing.F) {
	for _, s := range []string{
		`(Email:equals:jane@example.com)`,
		`((Last_Name:equals:Burns\,B)and(First_Name:starts_with:M))`,
		`((A:equals:aa)or((B:equals:bb)and(C:equals:c\\c)))`,
		`(A:equals:a\(b\))`, `((`, `(A:equals:`, `\`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCriteria(s)
		if err != nil {
			var ce *CriteriaError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *CriteriaError", err)
			}
			return
		}
		out, err := c.Build()
		if err != nil {
			t.Fatalf("parsed criteria does not build: %v", err)
		}
		again, err := ParseCriteria(out)
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("reparse of %q: %#v, %v", out, again, err)
		}
	})
}

// Zoho's limit is 10 conditions: ten build and parse, the eleventh is the typed error, whether the
// conditions are in one group or nested.
func TestCriteriaTenConditionsBoundary(t *testing.T) {
	conds := make([]Criteria, 11)
	for i := range conds {
		conds[i] = Equals("Email", fmt.Sprintf("user%d@example.com", i))
	}
	for _, c := range []Criteria{Or(conds[:10]...), And(Or(conds[:5]...), Or(conds[5:10]...))} {
		s, err := c.Build()
		if err != nil {
			t.Fatalf("10 conditions: %v", err)
		}
		if back, err := ParseCriteria(s); err != nil || len(back.Conditions()) != 10 {
			t.Fatalf("parse of 10: %v", err)
		}
	}
	for _, c := range []Criteria{Or(conds...), And(Or(conds[:5]...), Or(conds[5:]...))} {
		if _, err := c.Build(); !errors.Is(err, ErrTooManyConditions) {
			t.Fatalf("11 conditions: %v", err)
		}
		var sb strings.Builder
		c.write(&sb) // the text Zoho would refuse, unchecked
		if _, err := ParseCriteria(sb.String()); !errors.Is(err, ErrTooManyConditions) {
			t.Fatalf("parse of 11: %v", err)
		}
	}
}
