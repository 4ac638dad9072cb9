package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// MatchDigests summarises what identification could find record r by, without keeping its
// values: one short digest per field and way of comparing ([Choose] compares emails, phones and
// other text each its own way), of the value as that comparison sees it. A field holding a
// lookup without its name (an Account given by id) gets a digest that stands for any value.
// Full_Name, which Zoho makes itself for Leads and Contacts from Salutation, First_Name and
// Last_Name, is summarised in each order an org may choose (with and without the salutation,
// first name first or last) unless r has it. [MayMatch] then tells, from the digests alone,
// whether a search could find the record. Values Zoho's own workflows or layout defaults would
// add to the stored record are not known here: a rule on such a field is not answered.
//
// Package sync keeps the digests of a Lead or Contact it is about to insert on the person's
// ledger step, so that when the insert's answer is lost, only a visitor whose rules could find
// that record pays a look for it. The digests cover every field of r, not only those the
// tenant's rules name today, so that rules changed later are answered too. They are one-way
// (a truncated SHA-256), but a value that can be guessed can be checked against them: store them
// as the person's data they summarise.
func MatchDigests(r *crm.Record) []string {
	if r == nil {
		return nil
	}
	var out []string
	add := func(kind, f, canon string) {
		if canon != "" && len(canon) <= maxMatchBytes {
			out = append(out, matchDigest(kind, f, canon))
		}
	}
	for _, f := range r.Keys() {
		if f == "id" {
			continue
		}
		v := r.Text(f)
		if v == "" {
			if l, ok := r.Lookup(f); ok {
				if l.Name == "" {
					out = append(out, matchDigest("any", f, ""))
					continue
				}
				v = l.Name
			}
		}
		add("email", f, normEmail(v))
		add("phone", f, phoneKey(v))
		add("text", f, foldText(normText(v)))
	}
	if sal, first, last := r.Text("Salutation"), r.Text("First_Name"), r.Text("Last_Name"); sal+first+last != "" && !r.Has("Full_Name") {
		for _, parts := range [][]string{{sal, first, last}, {first, last}, {sal, last, first}, {last, first}} {
			add("text", "Full_Name", foldText(normText(strings.Join(parts, " "))))
		}
	}
	return out
}

// MayMatch reports whether search could find a record whose [MatchDigests] are digests: false
// only when one of its checks holds on none of the record's fields. It errs towards true:
// digests nil or empty (a record summarised by nothing) may match any search.
func MayMatch(search Search, digests []string) bool {
	if len(search.Checks) == 0 {
		return false
	}
	if len(digests) == 0 {
		return true
	}
	have := make(map[string]bool, len(digests))
	for _, d := range digests {
		have[d] = true
	}
	for _, c := range search.Checks {
		kind, canon := "text", foldText(normText(c.Value))
		switch kindOf(c.CloudCXField) {
		case kindEmail:
			kind, canon = "email", normEmail(c.Value)
		case kindPhone:
			kind, canon = "phone", phoneKey(c.Value)
		}
		holds := false
		for _, f := range c.ZohoFields {
			if have[matchDigest("any", f, "")] || (canon != "" && have[matchDigest(kind, f, canon)]) {
				holds = true
				break
			}
		}
		if !holds {
			return false
		}
	}
	return true
}

// maxMatchBytes: longer values, as compared, are not summarised (no searched value is that long:
// see [Identify]).
const maxMatchBytes = 4096

func matchDigest(kind, field, canon string) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(field))
	h.Write([]byte{0})
	h.Write([]byte(canon))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// foldText maps each rune to the least rune of its simple case-folding orbit, so that two
// strings strings.EqualFold calls equal map to the same string (how [Choose] compares text).
func foldText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}
