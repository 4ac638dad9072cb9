package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// SearchKind says which Zoho search runs a [Search].
type SearchKind string

// The search kinds.
const (
	// SearchCriteria: GET /{module}/search?criteria=… with Search.Criteria.
	SearchCriteria SearchKind = "criteria"
	// SearchEmail: GET /{module}/search?email=… with Search.Value (searches every email field).
	SearchEmail SearchKind = "email"
	// SearchPhone: GET /{module}/search?phone=… with Search.Value (searches every phone field).
	SearchPhone SearchKind = "phone"
)

// MinPhoneDigits is the fewest digits a phone number needs to be searched or compared; shorter
// numbers (extensions, "0", junk) would match unrelated people.
const MinPhoneDigits = 6

// maxSearchValue is the longest value a rule searches, in UTF-16 units: Zoho's longest
// single-line field (255). A longer value cannot equal the value of a field Zoho searches, and
// would only make the search URL longer than servers accept.
const maxSearchValue = LenSingleLine

// Search is one Zoho search an identification rule asks for. Run it, then give what Zoho
// returned to [Choose], which re-checks every condition exactly.
type Search struct {
	// Module is the Zoho module searched: "Accounts", "Contacts" or "Leads".
	Module string
	// RuleIndex is the rule's position in the module's rules (its JSON index).
	RuleIndex int
	// Kind is the search to run.
	Kind SearchKind
	// Criteria is set for SearchCriteria.
	Criteria crm.Criteria
	// Value is the email address (trimmed) for SearchEmail, the digits for SearchPhone.
	Value string
	// Checks are the rule's conditions with the visitor's values, as Choose re-checks them.
	Checks []Check
}

// Query returns the search as a crm.SearchQuery, for the zoho client's RecordsService.Search*
// methods.
func (s Search) Query() crm.SearchQuery {
	switch s.Kind {
	case SearchEmail:
		return crm.SearchQuery{Email: s.Value}
	case SearchPhone:
		return crm.SearchQuery{Phone: s.Value}
	}
	return crm.SearchQuery{Criteria: s.Criteria}
}

// Check is one condition of a rule with the visitor's value: it holds when one of ZohoFields of
// a record has a value equal to Value, compared according to CloudCXField (emails ignoring case,
// phones by their digits, other text ignoring case and runs of spaces).
type Check struct {
	CloudCXField string
	ZohoFields   []string
	// Value is the visitor's value, trimmed.
	Value string
}

// Identify returns the searches that look for the visitor in module ("Accounts", "Contacts" or
// "Leads"), in rule order, one per rule. A rule is skipped when one of its values is empty or
// cannot be searched: shorter than 2 characters or with control characters (Zoho refuses them),
// longer than 255 UTF-16 units (no searchable Zoho field holds as much), an email without the
// shape of an address, a phone with fewer than [MinPhoneDigits] digits or more than a phone
// field holds ([LenPhone]).
//
// A rule with a single email condition becomes Zoho's email search; any other rule becomes
// criteria with `equals` (the conditions and-ed, the Zoho fields of one condition or-ed), values
// escaped by the crm criteria builder. Zoho compares phone values as written, so a phone is
// searched in every form it may be stored in (see phoneForms: as typed, digits only, E.164), in
// each of the condition's fields, in that one criteria search — the typed form and the digits
// only when all forms would exceed Zoho's 10 conditions, the typed form alone when even that
// would. Choose re-checks by digits.
//
// section picks which of the visitor's phones is "phone" (Inbox: the cell phone).
func Identify(module string, rules []Rule, v cloudcx.Visitor, section cloudcx.Section) []Search {
	var out []Search
	for i, r := range rules {
		if s, ok := searchFor(module, i, r, v, section); ok {
			out = append(out, s)
		}
	}
	return out
}

// Combine folds a module's searches (from Identify) into one criteria search, so that a visitor
// is identified with one Zoho call instead of one per rule: the searches' criteria or-ed (an email
// search becomes `equals` on the rule's email fields). Run it, then give what Zoho returned to
// Choose with each search in rule order: the first search Choose accepts a record for is the
// rule that wins, exactly as running the searches one by one would decide (Choose re-checks every
// condition, so Zoho's loose `equals` returning more records changes nothing). It reports false
// when there is nothing to fold (fewer than two searches, or searches of different modules) or
// the folded criteria would exceed Zoho's 10 conditions; then run the searches one by one.
//
// One difference remains: a search returns at most one page (200 records); a folded search whose
// loose matches fill that page may leave out a record a single rule's search would have returned.
// Identification values are specific (an email, a phone), so this only happens with very short
// values, which Identify already refuses to search.
func Combine(searches []Search) (Search, bool) {
	if len(searches) < 2 {
		return Search{}, false
	}
	terms := make([]crm.Criteria, 0, len(searches))
	for _, s := range searches {
		if s.Module != searches[0].Module {
			return Search{}, false
		}
		switch s.Kind {
		case SearchCriteria:
			terms = append(terms, s.Criteria)
		case SearchEmail:
			c := s.Checks[0]
			alts := make([]crm.Criteria, 0, len(c.ZohoFields))
			for _, f := range c.ZohoFields {
				alts = append(alts, crm.Equals(f, c.Value))
			}
			terms = append(terms, crm.Or(alts...))
		default:
			return Search{}, false
		}
	}
	out := Search{Module: searches[0].Module, RuleIndex: -1, Kind: SearchCriteria, Criteria: crm.Or(terms...)}
	if out.Criteria.Validate() != nil {
		return Search{}, false
	}
	return out, true
}

func searchFor(module string, index int, r Rule, v cloudcx.Visitor, section cloudcx.Section) (Search, bool) {
	if len(r.Conditions) == 0 {
		return Search{}, false
	}
	s := Search{Module: module, RuleIndex: index}
	for _, c := range r.Conditions {
		if len(c.ZohoFields) == 0 {
			return Search{}, false
		}
		for _, f := range c.ZohoFields {
			if !crm.ValidFieldName(f) {
				return Search{}, false
			}
		}
		val := strings.TrimSpace(visitorValue(c.CloudCXField, v, section))
		if !searchable(kindOf(c.CloudCXField), val) {
			return Search{}, false
		}
		s.Checks = append(s.Checks, Check{CloudCXField: c.CloudCXField, ZohoFields: append([]string(nil), c.ZohoFields...), Value: val})
	}
	if len(s.Checks) == 1 {
		switch c := s.Checks[0]; kindOf(c.CloudCXField) {
		case kindEmail:
			s.Kind, s.Value = SearchEmail, c.Value
			return s, true
		}
	}
	// Every stored form of a phone is searched; when that exceeds Zoho's 10 conditions, only the
	// typed form and the digits are, and then only the typed form (a rule Settings.Validate
	// accepts, at most 10 Zoho fields, always fits that way: it is never dropped).
	for _, maxForms := range []int{3, 2, 1} {
		terms := make([]crm.Criteria, 0, len(s.Checks))
		for _, c := range s.Checks {
			forms := textForms(c.Value)
			if kindOf(c.CloudCXField) == kindPhone {
				forms = phoneForms(c.Value)
			}
			forms = forms[:min(len(forms), maxForms)]
			alts := make([]crm.Criteria, 0, len(c.ZohoFields)*len(forms))
			for _, form := range forms {
				for _, f := range c.ZohoFields {
					alts = append(alts, crm.Equals(f, form))
				}
			}
			terms = append(terms, crm.Or(alts...))
		}
		s.Kind, s.Criteria = SearchCriteria, crm.And(terms...)
		if s.Criteria.Validate() == nil {
			break
		}
	}
	if s.Criteria.Validate() != nil {
		return Search{}, false
	}
	return s, true
}

// textForms are the ways a text value may be stored in Zoho, which compares as written: in NFC
// (what browsers and Zoho's UI send: "Café" composed) and, when different, as the visitor's data
// gave it (a record this SDK wrote from decomposed input). Choose then compares in NFC.
func textForms(v string) []string {
	if n := norm.NFC.String(v); n != v {
		return []string{n, v}
	}
	return []string{v}
}

// phoneForms are the ways a phone number may be stored in Zoho, which compares phone values as
// written (zoho-api.md §2.4 documents no normalisation): as the visitor typed it, its digits
// alone, and in E.164 form ("+" and the digits) when it was typed with its country code. Each
// form is searched; Choose then re-checks candidates by their significant digits.
func phoneForms(typed string) []string {
	typed = oneLine(typed)
	d := phoneDigits(typed)
	forms := []string{typed, d}
	switch {
	case strings.HasPrefix(typed, "+"):
		forms = append(forms, "+"+d)
	case strings.HasPrefix(d, "00") && len(d) > 8:
		// The international prefix written as 00 ("0044 20 7946 0958"): its E.164 form.
		forms = append(forms, "+"+d[2:])
	}
	return slices.Compact(forms) // "+15550100" typed is its own E.164 form
}

// searchable reports whether a trimmed value can be searched.
func searchable(k fieldKind, val string) bool {
	if crm.CheckSearchValue(val) != nil || crm.UTF16Len(val) > maxSearchValue {
		return false
	}
	switch k {
	case kindEmail:
		return looksLikeEmail(val)
	case kindPhone:
		// A phone field holds at most LenPhone characters, so at most as many digits.
		n := len(phoneDigits(val))
		return n >= MinPhoneDigits && n <= LenPhone
	}
	return true
}

// looksLikeEmail is a deliberately loose shape check: one "@" with text on both sides, a dot in
// the domain, no spaces or control characters, at most 254 bytes.
func looksLikeEmail(s string) bool {
	if len(s) > 254 || !utf8.ValidString(s) {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || at == len(s)-1 {
		return false
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || isControl(r) || r == ',' || r == ';' || r == '<' || r == '>' || r == '"' {
			return false
		}
	}
	return true
}

// phoneDigits returns the digits of s as ASCII (Arabic-Indic, Devanagari, fullwidth… digits are
// mapped to ASCII); everything else is dropped.
func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if d := digitValue(r); d >= 0 {
			b.WriteByte(byte('0' + d))
		}
	}
	return b.String()
}

// digitZeros are the zeros of the non-ASCII decimal digit sets phone numbers are written in:
// Arabic-Indic, Extended Arabic-Indic (Persian, Urdu), NKo, Devanagari, Bengali, fullwidth.
var digitZeros = []rune{0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0xFF10}

// digitValue returns the value of a digit of one of digitZeros' sets, or -1.
func digitValue(r rune) int {
	for _, z := range digitZeros {
		if r >= z && r <= z+9 {
			return int(r - z)
		}
	}
	return -1
}

// visitorValue returns the visitor's value of a CloudCX field.
func visitorValue(field string, v cloudcx.Visitor, section cloudcx.Section) string {
	switch field {
	case FieldName:
		return v.DisplayName()
	case FieldFirstName:
		return v.FirstName
	case FieldLastName:
		if section == cloudcx.SectionInbox || strings.TrimSpace(v.LastName) != "" {
			return v.LastName
		}
		return v.DisplayName()
	case FieldEmail:
		return v.Email
	case FieldPhone:
		return v.PhoneFor(section)
	case FieldCompany:
		return v.Company
	case FieldVisitorID:
		return v.ID
	case FieldContactID:
		return v.ContactID
	}
	if name, ok := strings.CutPrefix(field, PrefixCustom); ok {
		return fieldValue(v.CustomFields, name)
	}
	if name, ok := strings.CutPrefix(field, PrefixVariable); ok {
		return fieldValue(v.CustomVariables, name)
	}
	return ""
}

// fieldValue returns the value of the first field named name: an exact match first, else one
// equal ignoring case and surrounding spaces.
func fieldValue(fs cloudcx.Fields, name string) string {
	if v, ok := fs.Get(name); ok {
		return v
	}
	name = strings.TrimSpace(name)
	for _, f := range fs {
		if strings.EqualFold(strings.TrimSpace(f.Name), name) {
			return f.Value
		}
	}
	return ""
}

// ---------------------------------------------------------------------------------------------
// Choose

// Choose returns the record that search found, checked exactly: Zoho's v2 search is approximate
// (with several conditions `equals` acts like "contains"; email and phone searches look at every
// email or phone field), so every condition of the rule is re-checked on each candidate, emails
// ignoring case, phones by their digits, other text ignoring case and runs of spaces. Among
// several true matches the most recently modified wins (Modified_Time), then the greatest id.
// It reports false when no candidate truly matches. Nil candidates are ignored.
func Choose(search Search, candidates []*crm.Record) (*crm.Record, bool) {
	var best *crm.Record
	for _, c := range candidates {
		if c == nil || !Matches(search, c) {
			continue
		}
		if best == nil || newer(c, best) {
			best = c
		}
	}
	return best, best != nil
}

// Matches reports whether record r satisfies every check of the search exactly (see [Choose]).
func Matches(search Search, r *crm.Record) bool {
	if r == nil || len(search.Checks) == 0 {
		return false
	}
	for _, c := range search.Checks {
		if !checkHolds(c, r) {
			return false
		}
	}
	return true
}

func checkHolds(c Check, r *crm.Record) bool {
	k := kindOf(c.CloudCXField)
	for _, f := range c.ZohoFields {
		if valuesEqual(k, c.Value, recordText(r, f)) {
			return true
		}
	}
	return false
}

// recordText returns a field as text; a lookup (Account_Name on a Contact) gives its name.
func recordText(r *crm.Record, field string) string {
	if s := r.Text(field); s != "" {
		return s
	}
	if l, ok := r.Lookup(field); ok {
		return l.Name
	}
	return ""
}

// valuesEqual compares a visitor's value with a Zoho value the way the field's kind says.
// Empty values never match.
func valuesEqual(k fieldKind, a, b string) bool {
	switch k {
	case kindEmail:
		a, b = normEmail(a), normEmail(b)
		return a != "" && a == b
	case kindPhone:
		return samePhone(a, b)
	}
	a, b = normText(a), normText(b)
	return a != "" && strings.EqualFold(a, b)
}

// SignificantPhoneDigits is how many trailing digits decide that two phone numbers are the same
// when both have at least as many: the subscriber number, whatever country code ("+33", "001")
// or trunk prefix ("0") one of them was written with.
const SignificantPhoneDigits = 9

// samePhone reports whether two phone values are the same number. Their digits are compared
// (any decimal script); when both have at least SignificantPhoneDigits digits, only the last
// SignificantPhoneDigits count ("+1 (555) 010-0100" equals "(555) 010-0100", "+33 6 12 34 56 78"
// equals "06 12 34 56 78"); shorter numbers must have the same digits, at least MinPhoneDigits.
func samePhone(a, b string) bool {
	ka, kb := phoneKey(a), phoneKey(b)
	return ka != "" && ka == kb
}

// phoneKey is what samePhone compares: the last SignificantPhoneDigits digits, or all of them
// for a shorter number; "" with fewer than MinPhoneDigits.
func phoneKey(s string) string {
	d := phoneDigits(s)
	if len(d) < MinPhoneDigits {
		return ""
	}
	if len(d) > SignificantPhoneDigits {
		d = d[len(d)-SignificantPhoneDigits:]
	}
	return d
}

// normEmail is how emails compare: trimmed, NFC, lower-cased.
func normEmail(s string) string { return strings.ToLower(norm.NFC.String(strings.TrimSpace(s))) }

// IdentityKeys names a visitor by the values that make two visitors the same person: the
// normalised email ("email:" + normEmail) and phone ("phone:" + its significant digits, as
// samePhone compares them) of the section. Package sync serialises work on a person under these
// keys, so that the same person arriving through Web Chat and Inbox at once is created once.
func IdentityKeys(v cloudcx.Visitor, section cloudcx.Section) []string {
	var keys []string
	if e := normEmail(oneLine(v.Email)); looksLikeEmail(e) {
		keys = append(keys, "email:"+e)
	}
	if p := phoneKey(v.PhoneFor(section)); p != "" {
		keys = append(keys, "phone:"+p)
	}
	return keys
}

// normText is how text values compare: Unicode NFC (a decomposed "José" equals the composed
// one), trimmed, runs of white space collapsed to one space. Callers compare the results
// ignoring case (strings.EqualFold).
func normText(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }

// newer reports whether a should win over b: later Modified_Time, then the greater id (ids are
// numeric strings: a longer one is greater).
func newer(a, b *crm.Record) bool {
	ta, tb := a.ModifiedTime(), b.ModifiedTime()
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	ia, ib := a.ID(), b.ID()
	if len(ia) != len(ib) {
		return len(ia) > len(ib)
	}
	return ia > ib
}

// Key names what the search looks for, so that two visitors whose searches have the same key
// are found by the same records: "email:" and "phone:" followed by the normalised value for a
// rule of one email or one phone condition (the keys [IdentityKeys] gives), else "rule:" and a
// digest of every condition's CloudCX field and value, normalised the way [Choose] compares
// them (emails and other text in NFC, lower-cased, spaces collapsed; phones by their
// significant digits). Package sync remembers a visitor's Lead or Contact under these keys and
// locks its work on them, so that the same person arriving through Web Chat and Inbox at once
// is created once whatever the rules combine. It is "" for a search without checks.
func (s Search) Key() string {
	if len(s.Checks) == 0 {
		return ""
	}
	canon := func(c Check) string {
		switch kindOf(c.CloudCXField) {
		case kindEmail:
			return normEmail(c.Value)
		case kindPhone:
			return phoneKey(c.Value)
		}
		return strings.ToLower(normText(c.Value))
	}
	if len(s.Checks) == 1 {
		switch c := s.Checks[0]; kindOf(c.CloudCXField) {
		case kindEmail:
			return "email:" + canon(c)
		case kindPhone:
			return "phone:" + canon(c)
		}
	}
	parts := make([]string, 0, len(s.Checks))
	for _, c := range s.Checks {
		parts = append(parts, strconv.Quote(c.CloudCXField)+"="+strconv.Quote(canon(c)))
	}
	slices.Sort(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "&")))
	return "rule:" + hex.EncodeToString(sum[:16])
}
