package crm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Op is a comparison of a search condition. Zoho CRM v2 documents two: [OpEquals] and
// [OpStartsWith] (later API versions add more; they are not supported here).
type Op string

// The comparisons of Zoho CRM v2 search criteria.
const (
	OpEquals     Op = "equals"
	OpStartsWith Op = "starts_with"
)

// Logic joins the terms of a criteria group.
type Logic string

// The ways a group joins its terms.
const (
	LogicAnd Logic = "and"
	LogicOr  Logic = "or"
)

// Limits of Zoho CRM v2 search criteria.
const (
	// MaxCriteriaConditions is the most conditions one criteria may hold (Zoho's limit).
	MaxCriteriaConditions = 10
	// MinSearchValueLength is the fewest characters Zoho accepts in a search value; shorter
	// values are refused with INVALID_DATA.
	MinSearchValueLength = 2
	// maxCriteriaText bounds the criteria text ParseCriteria reads.
	maxCriteriaText = 64 << 10
	// maxCriteriaDepth bounds the nesting of groups ParseCriteria accepts.
	maxCriteriaDepth = 16
)

// Errors of criteria building and parsing, matched with errors.Is against a [*CriteriaError].
var (
	// ErrTooManyConditions: a criteria holds more than [MaxCriteriaConditions] conditions.
	ErrTooManyConditions = errors.New("zoho: search criteria hold more than 10 conditions")
	// ErrSearchValue: a search value Zoho would refuse (empty, shorter than
	// [MinSearchValueLength] characters, control characters, invalid UTF-8).
	ErrSearchValue = errors.New("zoho: search value refused")
	// ErrCriteriaSyntax: a criteria text that is not Zoho v2 criteria syntax, or a criteria value
	// that is malformed (empty group, unknown comparison, invalid field name).
	ErrCriteriaSyntax = errors.New("zoho: invalid search criteria")
)

// CriteriaError describes why a criteria could not be built or parsed. It never contains the
// searched values (they are often personal data), only field names and positions.
type CriteriaError struct {
	// Field is the API name of the condition at fault, when there is one.
	Field string
	// Pos is the byte offset in the criteria text where parsing failed, or -1.
	Pos int
	// Reason says what is wrong.
	Reason string
	// Err is one of ErrTooManyConditions, ErrSearchValue or ErrCriteriaSyntax.
	Err error
}

// Error describes the fault.
func (e *CriteriaError) Error() string {
	var b strings.Builder
	b.WriteString("zoho: search criteria: ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Reason)
	if e.Pos >= 0 {
		fmt.Fprintf(&b, " (at byte %d)", e.Pos)
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *CriteriaError) Unwrap() error { return e.Err }

// Condition is one comparison of a criteria: Field Op Value.
type Condition struct {
	// Field is the field's API name, such as "Email" or "Last_Name".
	Field string
	// Op is OpEquals or OpStartsWith.
	Op Op
	// Value is the plain value, unescaped.
	Value string
}

// Criteria is a Zoho CRM v2 search criteria: a tree whose leaves are conditions
// (`(Email:equals:jane@example.com)`) and whose inner nodes join their terms with `and` or `or`.
// Build one with [Equals], [StartsWith], [And] and [Or]; turn it into Zoho's text with
// [Criteria.Build]; read Zoho's text back with [ParseCriteria].
//
// A Criteria is a leaf when Logic is "" (Field, Op and Value are set) and a group otherwise
// (Terms are set). The zero Criteria is empty: it matches nothing and does not build. The
// constructors keep criteria canonical (a group has at least two terms, and no term of an `and`
// group is itself an `and` group, likewise for `or`), so that ParseCriteria(c.Build()) equals c.
//
// Zoho's v2 search is approximate: with several conditions `equals` behaves like "contains"
// ("ABC" matches "ABC Inc"), the comparison ignores case, and records created or edited moments
// ago may not be found until Zoho has indexed them. Callers that need exact matches re-check the
// results on the client ([Criteria.Matches] is an exact evaluator).
type Criteria struct {
	// Field, Op and Value are set on a leaf.
	Field string
	Op    Op
	Value string
	// Logic and Terms are set on a group.
	Logic Logic
	Terms []Criteria
}

// Equals is the condition field equals value.
func Equals(field, value string) Criteria { return Criteria{Field: field, Op: OpEquals, Value: value} }

// StartsWith is the condition field starts with value.
func StartsWith(field, value string) Criteria {
	return Criteria{Field: field, Op: OpStartsWith, Value: value}
}

// Cond is the condition field op value.
func Cond(field string, op Op, value string) Criteria {
	return Criteria{Field: field, Op: op, Value: value}
}

// And is the group that holds when all terms hold. Empty terms are dropped; one term is returned
// as it is; terms that are themselves `and` groups are merged into this one.
func And(terms ...Criteria) Criteria { return group(LogicAnd, terms) }

// Or is the group that holds when any term holds. Empty terms are dropped; one term is returned as
// it is; terms that are themselves `or` groups are merged into this one.
func Or(terms ...Criteria) Criteria { return group(LogicOr, terms) }

func group(l Logic, terms []Criteria) Criteria {
	var out []Criteria
	for _, t := range terms {
		switch {
		case t.IsZero():
		case t.Logic == l:
			out = append(out, t.Terms...)
		default:
			out = append(out, t)
		}
	}
	switch len(out) {
	case 0:
		return Criteria{}
	case 1:
		return out[0]
	}
	return Criteria{Logic: l, Terms: out}
}

// IsZero reports whether c is empty.
func (c Criteria) IsZero() bool {
	return c.Field == "" && c.Op == "" && c.Value == "" && c.Logic == "" && len(c.Terms) == 0
}

// IsCondition reports whether c is a single condition (a leaf).
func (c Criteria) IsCondition() bool { return c.Logic == "" && !c.IsZero() }

// Conditions returns the leaves of c, left to right.
func (c Criteria) Conditions() []Condition {
	var out []Condition
	c.walk(func(l Criteria) { out = append(out, Condition{Field: l.Field, Op: l.Op, Value: l.Value}) })
	return out
}

func (c Criteria) walk(fn func(Criteria)) {
	if c.Logic == "" {
		if !c.IsZero() {
			fn(c)
		}
		return
	}
	for _, t := range c.Terms {
		t.walk(fn)
	}
}

// Validate checks c against Zoho's rules: at least one and at most [MaxCriteriaConditions]
// conditions, valid field names (`[A-Za-z0-9_$]`), a known comparison, values of at least
// [MinSearchValueLength] characters in valid UTF-8 without control characters, and groups of
// `and`/`or` with at least one term. The error is a [*CriteriaError].
func (c Criteria) Validate() error {
	if c.IsZero() {
		return &CriteriaError{Pos: -1, Reason: "empty criteria", Err: ErrCriteriaSyntax}
	}
	n := 0
	if err := c.validate(&n, 0); err != nil {
		return err
	}
	if n > MaxCriteriaConditions {
		return &CriteriaError{Pos: -1, Reason: fmt.Sprintf("%d conditions, Zoho allows at most %d", n, MaxCriteriaConditions), Err: ErrTooManyConditions}
	}
	return nil
}

func (c Criteria) validate(n *int, depth int) error {
	if depth > maxCriteriaDepth {
		return &CriteriaError{Pos: -1, Reason: "groups nested too deeply", Err: ErrCriteriaSyntax}
	}
	switch c.Logic {
	case "":
		*n++
		if len(c.Terms) > 0 {
			return &CriteriaError{Field: safeField(c.Field), Pos: -1, Reason: "a condition must not have terms (set Logic for a group)", Err: ErrCriteriaSyntax}
		}
		return validateCondition(c.Field, c.Op, c.Value, -1)
	case LogicAnd, LogicOr:
		if len(c.Terms) == 0 {
			return &CriteriaError{Pos: -1, Reason: "empty " + string(c.Logic) + " group", Err: ErrCriteriaSyntax}
		}
		if c.Field != "" || c.Op != "" || c.Value != "" {
			return &CriteriaError{Pos: -1, Reason: "a group must not have a field, comparison or value", Err: ErrCriteriaSyntax}
		}
		for _, t := range c.Terms {
			if t.IsZero() {
				return &CriteriaError{Pos: -1, Reason: "empty term in " + string(c.Logic) + " group", Err: ErrCriteriaSyntax}
			}
			if err := t.validate(n, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return &CriteriaError{Pos: -1, Reason: fmt.Sprintf("unknown group logic %q (want and, or)", safeField(string(c.Logic))), Err: ErrCriteriaSyntax}
}

func validateCondition(field string, op Op, value string, pos int) error {
	if !ValidFieldName(field) {
		return &CriteriaError{Field: safeField(field), Pos: pos, Reason: "invalid field API name (letters, digits, _ and $ only)", Err: ErrCriteriaSyntax}
	}
	if op != OpEquals && op != OpStartsWith {
		return &CriteriaError{Field: field, Pos: pos, Reason: "comparison " + opName(string(op)) + " is not supported by Zoho CRM v2 (equals, starts_with)", Err: ErrCriteriaSyntax}
	}
	if err := CheckSearchValue(value); err != nil {
		var ce *CriteriaError
		if errors.As(err, &ce) {
			ce.Field, ce.Pos = field, pos
		}
		return err
	}
	return nil
}

// CheckSearchValue reports whether Zoho accepts v as a search value (in a criteria or as an
// email, phone or word search): it must be valid UTF-8, hold at least [MinSearchValueLength]
// characters and no control characters. The error is a [*CriteriaError] matching [ErrSearchValue].
func CheckSearchValue(v string) error {
	switch {
	case v == "":
		return &CriteriaError{Pos: -1, Reason: "empty value", Err: ErrSearchValue}
	case !utf8.ValidString(v):
		return &CriteriaError{Pos: -1, Reason: "value is not valid UTF-8", Err: ErrSearchValue}
	case utf8.RuneCountInString(v) < MinSearchValueLength:
		return &CriteriaError{Pos: -1, Reason: fmt.Sprintf("value shorter than %d characters (Zoho refuses it)", MinSearchValueLength), Err: ErrSearchValue}
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return &CriteriaError{Pos: -1, Reason: "value contains a control character", Err: ErrSearchValue}
		}
	}
	return nil
}

// ValidFieldName reports whether s is a plausible Zoho field API name: one or more of
// `A-Z a-z 0-9 _ $`.
func ValidFieldName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '$') {
			return false
		}
	}
	return true
}

// safeField returns s if it is short printable ASCII, else a placeholder, so that errors never
// carry arbitrary caller data.
func safeField(s string) string {
	if len(s) > 64 {
		return "(long name)"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return "(non-ASCII name)"
		}
	}
	return s
}

// opName quotes an unsupported comparison if it looks like one (a short word such as
// "not_equal"), so that errors name it without echoing arbitrary data.
func opName(s string) string {
	if s == "" || len(s) > 20 {
		return "(unnamed)"
	}
	for i := 0; i < len(s); i++ {
		if ch := s[i]; !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch == '_') {
			return "(unnamed)"
		}
	}
	return strconv.Quote(s)
}

// Build validates c and returns Zoho's criteria text, escaped but not URL-encoded, such as
// `((Last_Name:equals:Burns\,B)and(First_Name:starts_with:M))`. Inside a value, `\`, `(`, `)` and
// `,` are escaped with a backslash, as Zoho requires. Put the text in a url.Values (as the zoho
// client's search methods do) so that `+`, `&`, `#`, `%` and the like are percent-encoded.
func (c Criteria) Build() (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	c.write(&b)
	return b.String(), nil
}

// String returns the criteria text of [Criteria.Build], or a description of why c is invalid.
// It is meant for debugging and logs; note that it contains the searched values.
func (c Criteria) String() string {
	s, err := c.Build()
	if err != nil {
		return "<invalid criteria: " + err.Error() + ">"
	}
	return s
}

func (c Criteria) write(b *strings.Builder) {
	if c.Logic == "" {
		b.WriteByte('(')
		b.WriteString(c.Field)
		b.WriteByte(':')
		b.WriteString(string(c.Op))
		b.WriteByte(':')
		b.WriteString(EscapeCriteriaValue(c.Value))
		b.WriteByte(')')
		return
	}
	b.WriteByte('(')
	for i, t := range c.Terms {
		if i > 0 {
			b.WriteString(string(c.Logic))
		}
		t.write(b)
	}
	b.WriteByte(')')
}

// EscapeCriteriaValue escapes a value for Zoho's criteria text: `\` → `\\`, `(` → `\(`,
// `)` → `\)`, `,` → `\,`. It does not URL-encode.
func EscapeCriteriaValue(v string) string {
	if !strings.ContainsAny(v, `\(),`) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + 4)
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\', '(', ')', ',':
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// ParseCriteria reads Zoho v2 criteria text, already URL-decoded (as a server finds it in
// r.URL.Query().Get("criteria")), and returns the canonical Criteria: the exact inverse of
// [Criteria.Build]. It accepts `and`/`or` in any case, and a group whose terms are joined by one
// kind of logic only (Zoho gives no precedence between them). It applies the rules of
// [Criteria.Validate]. Errors are [*CriteriaError] values with the byte position of the fault.
func ParseCriteria(s string) (Criteria, error) {
	if len(s) > maxCriteriaText {
		return Criteria{}, &CriteriaError{Pos: -1, Reason: "criteria text too long", Err: ErrCriteriaSyntax}
	}
	p := &criteriaParser{s: s}
	c, err := p.term(0)
	if err != nil {
		return Criteria{}, err
	}
	if p.i != len(s) {
		return Criteria{}, p.fail("unexpected text after the criteria")
	}
	if err := c.Validate(); err != nil {
		return Criteria{}, err
	}
	return c, nil
}

type criteriaParser struct {
	s     string
	i     int
	conds int
}

func (p *criteriaParser) fail(reason string) error {
	return &CriteriaError{Pos: p.i, Reason: reason, Err: ErrCriteriaSyntax}
}

// term parses `(` (condition | term (logic term)*) `)`.
func (p *criteriaParser) term(depth int) (Criteria, error) {
	if depth > maxCriteriaDepth {
		return Criteria{}, p.fail("groups nested too deeply")
	}
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return Criteria{}, p.fail("expected '('")
	}
	p.i++
	if p.i < len(p.s) && p.s[p.i] != '(' {
		c, err := p.condition()
		if err != nil {
			return Criteria{}, err
		}
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return Criteria{}, p.fail("expected ')' after the value")
		}
		p.i++
		return c, nil
	}
	var terms []Criteria
	var logic Logic
	for {
		t, err := p.term(depth + 1)
		if err != nil {
			return Criteria{}, err
		}
		terms = append(terms, t)
		if p.i >= len(p.s) {
			return Criteria{}, p.fail("unclosed group")
		}
		if p.s[p.i] == ')' {
			p.i++
			break
		}
		var l Logic
		switch {
		case len(p.s)-p.i >= 3 && strings.EqualFold(p.s[p.i:p.i+3], "and"):
			l = LogicAnd
			p.i += 3
		case len(p.s)-p.i >= 2 && strings.EqualFold(p.s[p.i:p.i+2], "or"):
			l = LogicOr
			p.i += 2
		default:
			return Criteria{}, p.fail("expected 'and', 'or' or ')'")
		}
		if logic != "" && l != logic {
			return Criteria{}, p.fail("'and' and 'or' mixed in one group; group them with parentheses")
		}
		logic = l
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return group(logic, terms), nil
}

// condition parses field:op:value up to the closing parenthesis (not consumed).
func (p *criteriaParser) condition() (Criteria, error) {
	start := p.i
	p.conds++
	if p.conds > MaxCriteriaConditions {
		return Criteria{}, &CriteriaError{Pos: p.i, Reason: fmt.Sprintf("more than %d conditions", MaxCriteriaConditions), Err: ErrTooManyConditions}
	}
	colon := strings.IndexByte(p.s[p.i:], ':')
	if colon < 0 {
		return Criteria{}, p.fail("expected field:comparison:value")
	}
	field := p.s[p.i : p.i+colon]
	if !ValidFieldName(field) {
		return Criteria{}, &CriteriaError{Field: safeField(field), Pos: p.i, Reason: "invalid field API name (letters, digits, _ and $ only)", Err: ErrCriteriaSyntax}
	}
	p.i += colon + 1
	colon = strings.IndexByte(p.s[p.i:], ':')
	if colon < 0 {
		return Criteria{}, p.fail("expected comparison:value")
	}
	op := Op(strings.ToLower(p.s[p.i : p.i+colon]))
	if op != OpEquals && op != OpStartsWith {
		return Criteria{}, &CriteriaError{Field: field, Pos: p.i, Reason: "comparison " + opName(p.s[p.i:p.i+colon]) + " is not supported by Zoho CRM v2 (equals, starts_with)", Err: ErrCriteriaSyntax}
	}
	p.i += colon + 1
	valPos := p.i
	var v strings.Builder
	for p.i < len(p.s) {
		ch := p.s[p.i]
		switch ch {
		case '\\':
			if p.i+1 >= len(p.s) {
				return Criteria{}, p.fail("dangling backslash in value")
			}
			switch next := p.s[p.i+1]; next {
			case '\\', '(', ')', ',':
				v.WriteByte(next)
				p.i += 2
				continue
			}
			return Criteria{}, &CriteriaError{Field: field, Pos: p.i, Reason: `invalid escape in value (only \\, \(, \) and \, are allowed)`, Err: ErrCriteriaSyntax}
		case '(', ',':
			return Criteria{}, &CriteriaError{Field: field, Pos: p.i, Reason: "unescaped '" + string(ch) + "' in value", Err: ErrCriteriaSyntax}
		case ')':
			if err := validateCondition(field, op, v.String(), valPos); err != nil {
				return Criteria{}, err
			}
			return Criteria{Field: field, Op: op, Value: v.String()}, nil
		}
		v.WriteByte(ch)
		p.i++
	}
	p.i = start
	return Criteria{}, p.fail("unclosed condition")
}

// Matches evaluates c against a record whose field values get returns (ok false when the record
// has no such field, which fails the condition). Comparisons ignore case (Zoho's search does) and
// are otherwise exact: `equals` is whole-value equality and `starts_with` a prefix test. Real
// Zoho is looser (see [Criteria]): a record Zoho returns may not match here, and a record just
// written may match here but not yet be found by Zoho. The zero Criteria matches nothing.
func (c Criteria) Matches(get func(field string) (string, bool)) bool {
	switch c.Logic {
	case "":
		if c.IsZero() || get == nil {
			return false
		}
		v, ok := get(c.Field)
		if !ok {
			return false
		}
		switch c.Op {
		case OpEquals:
			return strings.EqualFold(v, c.Value)
		case OpStartsWith:
			return hasPrefixFold(v, c.Value)
		}
		return false
	case LogicAnd:
		for _, t := range c.Terms {
			if !t.Matches(get) {
				return false
			}
		}
		return len(c.Terms) > 0
	case LogicOr:
		for _, t := range c.Terms {
			if t.Matches(get) {
				return true
			}
		}
	}
	return false
}

// hasPrefixFold is strings.HasPrefix under Unicode simple case folding.
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		pr, pn := utf8.DecodeRuneInString(prefix)
		sr, sn := utf8.DecodeRuneInString(s)
		if !strings.EqualFold(string(pr), string(sr)) {
			return false
		}
		prefix, s = prefix[pn:], s[sn:]
	}
	return true
}
