package rules

import (
	"fmt"
	"github.com/cloudcx/cxzoho/cloudcx"
	"sort"
	"strings"
)

// The CloudCX fields an identification rule or an extra mapping may name. Besides these, a rule
// or mapping may name a custom field as "custom:<name>" and a custom variable as
// "variable:<name>" (names compare case-insensitively).
const (
	// FieldName is the visitor's name: Web Chat Name; Inbox contact name, else first and last name.
	FieldName = "name"
	// FieldFirstName is the visitor's first name (Inbox contacts).
	FieldFirstName = "first_name"
	// FieldLastName is the visitor's last name: Inbox Last Name; Web Chat Name.
	FieldLastName = "last_name"
	// FieldEmail is the visitor's email address.
	FieldEmail = "email"
	// FieldPhone is the visitor's phone: Web Chat Phone; Inbox Cell Phone.
	FieldPhone = "phone"
	// FieldCompany is the visitor's company: Web Chat Company; Inbox Company Name.
	FieldCompany = "company"
	// FieldVisitorID is the CloudCX visitor id.
	FieldVisitorID = "visitor_id"
	// FieldContactID is the CloudCX contact id (Inbox contacts; Web Chat visitors linked to one).
	FieldContactID = "contact_id"
)

// Prefixes of custom fields and custom variables.
const (
	PrefixCustom   = "custom:"
	PrefixVariable = "variable:"
)

// CloudCXFields lists the fixed CloudCX field names (without the "custom:" and "variable:" forms).
func CloudCXFields() []string {
	return []string{FieldName, FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldCompany, FieldVisitorID, FieldContactID}
}

// fieldKind says how values of a CloudCX field compare.
type fieldKind int

const (
	kindText fieldKind = iota
	kindEmail
	kindPhone
)

func kindOf(cloudcxField string) fieldKind {
	switch cloudcxField {
	case FieldEmail:
		return kindEmail
	case FieldPhone:
		return kindPhone
	}
	return kindText
}

// checkCloudCXField returns "" for a valid CloudCX field name, else the problem.
func checkCloudCXField(f string) string {
	if contains(CloudCXFields(), f) {
		return ""
	}
	for _, p := range []string{PrefixCustom, PrefixVariable} {
		if name, ok := strings.CutPrefix(f, p); ok {
			if strings.TrimSpace(name) == "" {
				return fmt.Sprintf("%q names no %s", f, strings.TrimSuffix(p, ":"))
			}
			return ""
		}
	}
	return fmt.Sprintf("unknown field %q (known: %s, custom:<name>, variable:<name>)", f, strings.Join(CloudCXFields(), ", "))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isControl reports characters that do not belong in a one-line value: line and paragraph
// separators, and what cloudcx.IsInvisible reports (controls and Unicode format characters, such
// as bidirectional overrides, which can make a subject read differently from what it holds).
func isControl(r rune) bool {
	return r == '\u2028' || r == '\u2029' || cloudcx.IsInvisible(r)
}
