package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strconv"
	"strings"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// SourceKey names the chat or conversation a Case or Task was made from: the tenant, the section
// (chat ids and conversation ids may collide) and the id.
type SourceKey struct {
	TenantID string
	Section  cloudcx.Section
	ID       string
	// Seq is 0 for the chat's own Case or Task, or the number of a deliberate repeat (a second
	// Case an agent asked for), which gets a marker of its own.
	Seq int
}

// KeyOf returns the source key of a chat or conversation.
func KeyOf(i cloudcx.Interaction) SourceKey {
	i, b := threadOf(i)
	if i == nil {
		return SourceKey{}
	}
	return SourceKey{TenantID: b.TenantID, Section: i.Section(), ID: b.ID}
}

// threadOf returns i and its thread, or (nil, nil) when there is no usable interaction: a nil
// interface, a nil pointer in it (a nil *cloudcx.Chat would panic in Base), or a nil thread.
func threadOf(i cloudcx.Interaction) (cloudcx.Interaction, *cloudcx.Thread) {
	if i == nil {
		return nil, nil
	}
	if v := reflect.ValueOf(i); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, nil
	}
	b := i.Base()
	if b == nil {
		return nil, nil
	}
	return i, b
}

// maxMarkerBytes bounds a readable marker; longer keys are hashed.
const maxMarkerBytes = 80

// Marker returns the fixed machine marker that ends the subject of every Case and Task the
// integration creates, so that a record whose creation was interrupted can be found again in a
// listing of recent records. It is "[cx:<tenant>:chat:<id>]" for a Web Chat chat and
// "[cx:<tenant>:conv:<id>]" for an Inbox conversation ("[cx:<tenant>:chat:<id>:<seq>]" for a
// deliberate repeat, Seq > 0), where the tenant and id keep ASCII
// letters, digits, '.', '_' and '-' and percent-encode every other byte (so ':', ']' and
// spaces cannot confuse it). A marker that would be longer than 80 bytes becomes
// "[cx:h:<32 hex digits of SHA-256 of the key>]". Marker is deterministic and never empty.
func Marker(k SourceKey) string {
	section := "chat"
	switch k.Section {
	case cloudcx.SectionWebChat:
	case cloudcx.SectionInbox:
		section = "conv"
	default:
		section = "x-" + markerEscape(string(k.Section))
	}
	seq := ""
	if k.Seq > 0 {
		seq = ":" + strconv.Itoa(k.Seq)
	}
	m := "[cx:" + markerEscape(k.TenantID) + ":" + section + ":" + markerEscape(k.ID) + seq + "]"
	if len(m) <= maxMarkerBytes {
		return m
	}
	sum := sha256.Sum256([]byte(k.TenantID + "\x00" + string(k.Section) + "\x00" + k.ID + seq))
	return "[cx:h:" + hex.EncodeToString(sum[:16]) + "]"
}

// HasMarker reports whether subject ends with the marker of k (surrounding white space
// ignored). Only the end counts: the rendered subject text before the marker cannot contain
// "[cx:" (a visitor named like another chat's marker is neutralised), so a marker can only be
// the one the integration wrote.
func HasMarker(subject string, k SourceKey) bool {
	return EndsWithMarker(subject, Marker(k))
}

// PersonMarker returns the marker that ends the Description of every Lead and Contact the
// integration creates (see [PersonInput].Marker): "[cx:<tenant>:person:<section>:<identity>]",
// escaped as in [Marker] and hashed the same way when longer than 80 bytes, where k.ID names
// the person step (package sync: the module and what the step is kept under, the visitor id in
// its section, else the chat's id). Two visitors never share one, so an
// interrupted insert is reconciled with its own record only, even when another visitor's
// record holds the same name, and even after someone edited the record in Zoho meanwhile.
func PersonMarker(k SourceKey) string {
	m := "[cx:" + markerEscape(k.TenantID) + ":person:" + markerEscape(string(k.Section)) + ":" + markerEscape(k.ID) + "]"
	if len(m) <= maxMarkerBytes {
		return m
	}
	sum := sha256.Sum256([]byte("person\x00" + k.TenantID + "\x00" + string(k.Section) + "\x00" + k.ID))
	return "[cx:h:" + hex.EncodeToString(sum[:16]) + "]"
}

// EndsWithMarker reports whether text ends with marker (surrounding white space ignored): how
// [HasMarker] reads a subject, and how a Description is checked for its [PersonMarker].
func EndsWithMarker(text, marker string) bool {
	return marker != "" && strings.HasSuffix(strings.TrimSpace(text), marker)
}

// personMarkerNote is the Description of a new Lead or Contact when no mapping gives one: a
// line saying where the record came from, then the marker.
const personMarkerNote = "Created by the CloudCX integration. "

// cutPersonMarker splits a Description into its text and the marker that ends it (see
// [PersonMarker]); the note the integration writes when no mapping gave a Description counts as
// part of the marker, so a Description holding only those has no text. marker is "" when text
// does not end with a marker.
func cutPersonMarker(text string) (body, marker string) {
	t := strings.TrimSpace(text)
	i := strings.LastIndex(t, "[cx:")
	if i < 0 || !strings.HasSuffix(t, "]") || !markerChars(t[i+len("[cx:"):len(t)-1]) {
		return text, ""
	}
	body = strings.TrimSpace(t[:i])
	if body == strings.TrimSpace(personMarkerNote) {
		body = ""
	}
	return body, t[i:]
}

// markerChars reports whether s holds only what an escaped marker holds between "[cx:" and "]".
func markerChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".-_%:", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// withPersonMarker ends text with marker, text cut to leave it room in a field of limit UTF-16
// units.
func withPersonMarker(text, marker string, limit int) string {
	if text == "" {
		return personMarkerNote + marker
	}
	room := limit - crm.UTF16Len(marker) - 2
	return strings.TrimSpace(crm.TruncateUTF16(text, max(room, 0))) + "\n\n" + marker
}

// defuseMarkers rewrites anything in s that could be read as a marker.
func defuseMarkers(s string) string {
	return strings.ReplaceAll(s, "[cx:", "(cx:")
}

func markerEscape(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}

// safeFileName turns an id into a file-name part: ASCII letters, digits, '.', '_' and '-' are
// kept, anything else becomes '_', at most 64 bytes; empty gives "unknown".
func safeFileName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 64; i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || (c == '.' && b.Len() > 0) {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}
