package rules

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Zoho's limits the rendering keeps.
const (
	// MaxSubject is the length of a Case or Task Subject, in UTF-16 units.
	MaxSubject = 255
	// MaxDescription is the length of a Description (a large text area), in UTF-16 units.
	MaxDescription = 32000
	// MaxAttachmentBytes is the largest file Zoho accepts as an attachment (100 MB).
	MaxAttachmentBytes = 100 << 20
)

// maxHeaderValue bounds one-line values of the description's header (ids, names), so that
// the header can never crowd out the rest.
const maxHeaderValue = 500

// Link is a Zoho record the Case or Task is linked to.
type Link struct {
	// Module is the record's module ("Contacts", "Leads", "Accounts").
	Module string
	// ID is the record id; empty means no link.
	ID string
}

// AttachmentOutcome is what the host found when it opened one of the interaction's attachments
// (see cloudcx.AttachmentOpener).
type AttachmentOutcome struct {
	Attachment cloudcx.Attachment
	// Info is what the opener returned (Size -1 when unknown).
	Info cloudcx.AttachmentInfo
	// Err is the opener's error, nil when the file could be opened.
	Err error
}

// PlannedAttachment says whether one attachment is uploaded to the Case or Task, and if not why.
type PlannedAttachment struct {
	Attachment cloudcx.Attachment
	// FileName is the name to upload the file under: the attachment's base name, cleaned.
	FileName string
	// Size is the file's size in bytes as far as known (the opener's, else the declared one);
	// 0 when unknown.
	Size int64
	// Upload is true when the file is to be uploaded.
	Upload bool
	// Reason says why it is not uploaded; it is also listed in the description.
	Reason string
}

// PlannedFile is a file the rendering itself produces, such as the full transcript.
type PlannedFile struct {
	Name        string
	ContentType string
	Content     []byte
}

// RenderInput is what [RenderCase] and [RenderTask] need.
type RenderInput struct {
	// Interaction is the chat or conversation.
	Interaction cloudcx.Interaction
	// Seq is 0 for the interaction's own Case or Task, or the number of a deliberate repeat
	// (an agent asking for another): the subject then ends with that repeat's marker
	// ([SourceKey].Seq).
	Seq int
	// Settings are the tenant's settings (templates, defaults, time zone, extra mappings).
	Settings Settings
	// Location is Settings.TimeZone resolved by the caller (time.LoadLocation; this package
	// reads no time-zone database), so that the zone data are the host's choice and are read
	// once per tenant rather than on every rendering. Its name must be Settings.TimeZone. Nil
	// stands for UTC, and is accepted only when Settings.TimeZone is "UTC" or empty.
	Location *time.Location
	// Owner owns the record.
	Owner Owner
	// Person is the Contact (Case, Task) or Lead (Task) the record belongs to.
	Person Link
	// Account is the Account the identification rules found, if any.
	Account Link
	// Attachments are the outcomes of opening the interaction's attachments. An attachment of
	// the interaction with no outcome here is planned as not uploaded ("not fetched").
	Attachments []AttachmentOutcome
	// Fields is the org's field metadata of the module rendered ("Cases" or "Tasks"), when
	// known: lengths, and the allowed picklist values of Status and Case_Origin.
	Fields *crm.FieldSet
}

// Rendered is a Case or Task ready to insert, and the files to attach to it.
type Rendered struct {
	// Module is "Cases" or "Tasks".
	Module string
	// Record holds every field to send: Subject, Description, Status, Case_Origin or Due_Date,
	// Owner, the links, the person's details on a Case, and the extra mappings.
	Record *crm.Record
	// Subject and Description are also in Record.
	Subject     string
	Description string
	// Marker ends Subject; see [Marker] and [HasMarker].
	Marker string
	// TranscriptAttachment is the full transcript, planned when the description had to cut it;
	// when sections other than the transcript had to be shortened too, it is the full
	// description (every section whole, then the whole transcript).
	TranscriptAttachment *PlannedFile
	// Attachments has one entry per attachment of the interaction, in order.
	Attachments []PlannedAttachment
	// Notes explain values that were replaced or left out. They contain no personal data.
	Notes []string
}

// RenderCase renders a chat or conversation as a Zoho Case:
//
//	Web Chat / Inbox             Case
//	agent                        Owner
//	Name / Last Name             Reported_By
//	Email                        Email
//	Phone / Cell Phone           Phone
//	Company (identified)         Account_Name
//	Tenant ID, Chat Channel      Subject (template) + marker
//	content, id, notes, wrap-up, Description
//	times, custom fields/vars
//	attachments                  the attachment plan
//
// plus Status (settings, "New"), Case_Origin ("Chat" for Web Chat; by channel for Inbox) and
// Related_To (the Contact). The result depends only on the input: same input, same bytes. The
// error reports only a nil interaction, or a Location that is not Settings.TimeZone (see
// [RenderInput.Location]).
func RenderCase(in RenderInput) (*Rendered, error) { return render(ModuleCases, in) }

// RenderTask renders a chat or conversation as a Zoho Task: Owner, Subject (template with the
// visitor's name and email) + marker, Description, Status (settings, "Completed"), Due_Date (the
// end date in the tenant's time zone), and the link: What_Id + $se_module "Leads" for a Lead;
// Who_Id for a Contact, with What_Id + $se_module "Accounts" when an Account was identified.
// See [RenderCase] for the rest.
func RenderTask(in RenderInput) (*Rendered, error) { return render(ModuleTasks, in) }

func render(module string, in RenderInput) (*Rendered, error) {
	i, t := threadOf(in.Interaction)
	if i == nil {
		return nil, errors.New("rules: render: no chat or conversation")
	}
	loc, err := in.location()
	if err != nil {
		return nil, err
	}
	section := i.Section()
	out := &Rendered{Module: module, Record: crm.NewRecord()}
	lim := limiter{fields: in.Fields, notes: &out.Notes}
	key := KeyOf(i)
	key.Seq = max(in.Seq, 0)
	out.Marker = Marker(key)

	out.Attachments = planAttachments(i, in.Attachments)

	// Subject.
	tmpl := in.Settings.Templates.CaseSubject
	if module == ModuleTasks {
		tmpl = in.Settings.Templates.TaskSubject
	}
	out.Subject = renderSubject(tmpl, subjectValues(i, in.Settings, loc), out.Marker, lim.limit("Subject"))

	// Description.
	transcriptName := "transcript-" + safeFileName(t.ID) + ".txt"
	desc, full, cut := renderDescription(i, loc, out.Attachments, transcriptName, min(lim.limit("Description"), MaxDescription))
	out.Description = desc
	if cut {
		out.TranscriptAttachment = &PlannedFile{Name: transcriptName, ContentType: "text/plain; charset=utf-8", Content: full}
	}

	// Fields.
	r := out.Record
	if in.Owner.ID != "" {
		_ = r.Set("Owner", in.Owner.lookup())
	}
	_ = r.Set("Subject", out.Subject)
	switch module {
	case ModuleCases:
		status := picklistValue("Status", in.Settings.Case.Status, "New", in.Fields, &out.Notes)
		origin := picklistValue("Case_Origin", caseOrigin(in.Settings.Case, section, t.Channel), caseOriginDefault(section, t.Channel), in.Fields, &out.Notes)
		_ = r.Set("Status", status)
		_ = r.Set("Case_Origin", origin)
		last, first := personNames(t.Visitor, section)
		if name := lim.text("Reported_By", strings.TrimSpace(first+" "+last)); name != "" {
			_ = r.Set("Reported_By", name)
		}
		if email := oneLine(t.Visitor.Email); email != "" && looksLikeEmail(email) && crm.UTF16Len(email) <= lim.limit("Email") {
			_ = r.Set("Email", email)
		}
		if phone := lim.text("Phone", zohoPhone(i.ContactPhone())); phone != "" {
			_ = r.Set("Phone", phone)
		}
		if in.Account.ID != "" {
			_ = r.Set("Account_Name", crm.Lookup{ID: in.Account.ID})
		}
		switch {
		case in.Person.ID == "":
		case in.Person.Module == ModuleContacts || in.Person.Module == "":
			_ = r.Set("Related_To", crm.Lookup{ID: in.Person.ID})
		default:
			out.Notes = append(out.Notes, fmt.Sprintf("Related_To: a Case links to a Contact, not to %s; not linked", in.Person.Module))
		}
	case ModuleTasks:
		_ = r.Set("Status", picklistValue("Status", in.Settings.Task.Status, "Completed", in.Fields, &out.Notes))
		if end := endTime(t); !end.IsZero() {
			_ = r.Set("Due_Date", crm.DateOf(end.In(loc)))
		}
		switch {
		case in.Person.ID == "":
		case in.Person.Module == ModuleLeads:
			_ = r.Set("What_Id", crm.Lookup{ID: in.Person.ID})
			_ = r.Set("$se_module", ModuleLeads)
		default:
			_ = r.Set("Who_Id", crm.Lookup{ID: in.Person.ID})
			if in.Account.ID != "" {
				_ = r.Set("What_Id", crm.Lookup{ID: in.Account.ID})
				_ = r.Set("$se_module", ModuleAccounts)
			}
		}
	}
	applyExtraMappings(r, in.Settings.ExtraMappings, module, func(field string) string {
		return mappedValue(field, t.Visitor, section, i)
	}, lim)
	_ = r.Set("Description", out.Description)
	return out, nil
}

// location returns the zone to render in: in.Location, which must be Settings.TimeZone
// resolved; nil stands for UTC when the settings say UTC.
func (in RenderInput) location() (*time.Location, error) {
	want := in.Settings.zoneName()
	if in.Location == nil {
		if want == "UTC" {
			return time.UTC, nil
		}
		return nil, fmt.Errorf("rules: render: Settings.TimeZone is %.80q but RenderInput.Location is nil; resolve it with time.LoadLocation", want)
	}
	if got := in.Location.String(); got != want {
		return nil, fmt.Errorf("rules: render: RenderInput.Location is %.80q but Settings.TimeZone is %.80q", got, want)
	}
	return in.Location, nil
}

// endTime is when the interaction ended: EndedAt, else the last message, else StartedAt.
func endTime(t *cloudcx.Thread) time.Time {
	if !t.EndedAt.IsZero() {
		return t.EndedAt
	}
	var last time.Time
	for _, m := range t.Messages {
		if m.SentAt.After(last) {
			last = m.SentAt
		}
	}
	if !last.IsZero() {
		return last
	}
	return t.StartedAt
}

// builtinOrigins are the Case_Origin values of Inbox channels when settings do not name them.
var builtinOrigins = map[cloudcx.Channel]string{
	cloudcx.ChannelEmail: "Email",
	cloudcx.ChannelPhone: "Phone",
	cloudcx.ChannelSMS:   "Phone",
}

// caseOrigin picks Case_Origin: Web Chat → OriginWebChat; Inbox → OriginByChannel, the built-in
// table, OriginDefault.
func caseOrigin(cs CaseSettings, section cloudcx.Section, ch cloudcx.Channel) string {
	if section == cloudcx.SectionWebChat {
		return cs.OriginWebChat
	}
	if v, ok := cs.OriginByChannel[string(ch)]; ok && strings.TrimSpace(v) != "" {
		return v
	}
	if v, ok := builtinOrigins[ch]; ok {
		return v
	}
	return cs.OriginDefault
}

// caseOriginDefault is the value used when the configured one is not a picklist value.
func caseOriginDefault(section cloudcx.Section, ch cloudcx.Channel) string {
	if section == cloudcx.SectionWebChat {
		return "Chat"
	}
	if v, ok := builtinOrigins[ch]; ok {
		return v
	}
	return "Web"
}

// picklistValue returns want when the field's picklist (if known) allows it; else the allowed
// value equal to it ignoring case, else fallback if allowed (ignoring case), else the picklist's
// first value, with a note. Without picklist metadata it returns want (or fallback when want is
// blank).
func picklistValue(field, want, fallback string, fields *crm.FieldSet, notes *[]string) string {
	want = oneLine(want)
	if want == "" {
		want = fallback
	}
	f, ok := fields.Get(field)
	if !ok || len(f.PickListValues) == 0 {
		return want
	}
	if f.AcceptsPickListValue(want) {
		return want
	}
	var allowed []string
	for _, p := range f.PickListValues {
		if p.ActualValue != "" {
			allowed = append(allowed, p.ActualValue)
		}
	}
	if len(allowed) == 0 {
		return want
	}
	for _, a := range allowed {
		if strings.EqualFold(a, want) {
			return a
		}
	}
	pick := allowed[0]
	for _, a := range allowed {
		if strings.EqualFold(a, fallback) {
			pick = a
			break
		}
	}
	*notes = append(*notes, fmt.Sprintf("%s: %q is not a value of the org's picklist; used %q", field, want, pick))
	return pick
}

// ---------------------------------------------------------------------------------------------
// Subject

// subjectValues are the placeholder values of a subject template, each one clean line.
func subjectValues(i cloudcx.Interaction, s Settings, loc *time.Location) map[string]string {
	t := i.Base()
	v := t.Visitor
	last, first := personNames(v, i.Section()) // Inbox: First and Last Name, as Reported_By and Last_Name
	name := oneLine(first + " " + last)
	email := oneLine(v.Email)
	phone := oneLine(i.ContactPhone())
	fallbackName := fallback(s.Fallbacks.LastName, fallbackPlaceholderValues(v.ID, t.TenantID, t.Channel, i.Section()), builtinLastName)
	visitorName := firstNonEmpty(name, email, phone, fallbackName)
	visitor := visitorName
	if name != "" && email != "" {
		visitor = name + " <" + email + ">"
	}
	agent := ""
	if a, ok := i.LastAgent(); ok {
		agent = oneLine(firstNonEmpty(a.Name, a.Email, a.ID))
	}
	wrap := ""
	if t.WrapUp != nil {
		wrap = oneLine(strings.Join(t.WrapUp.Categories, ", "))
	}
	return map[string]string{
		PlaceholderTenantID:     oneLine(t.TenantID),
		PlaceholderSection:      sectionLabel(i.Section()),
		PlaceholderKind:         kindLabel(i),
		PlaceholderChannel:      oneLine(t.Channel.Label()),
		PlaceholderChatID:       oneLine(t.ID),
		PlaceholderVisitorID:    oneLine(v.ID),
		PlaceholderVisitor:      visitor,
		PlaceholderVisitorName:  visitorName,
		PlaceholderVisitorEmail: email,
		PlaceholderVisitorPhone: phone,
		PlaceholderCompany:      oneLine(v.Company),
		PlaceholderAgentName:    agent,
		PlaceholderStartTime:    formatTime(t.StartedAt, loc, "2006-01-02 15:04"),
		PlaceholderEndTime:      formatTime(endTime(t), loc, "2006-01-02 15:04"),
		PlaceholderStartDate:    formatTime(t.StartedAt, loc, "2006-01-02"),
		PlaceholderEndDate:      formatTime(endTime(t), loc, "2006-01-02"),
		PlaceholderWrapUp:       wrap,
	}
}

func kindLabel(i cloudcx.Interaction) string {
	t := i.Base()
	switch {
	case i.Section() == cloudcx.SectionInbox:
		return "conversation"
	case t.Status == cloudcx.StatusOfflineMessage || t.Channel == cloudcx.ChannelOfflineMessage:
		return "offline message"
	}
	return "chat"
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func formatTime(t time.Time, loc *time.Location, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(layout)
}

// renderSubject expands the template into one clean line, cuts it so that " "+marker fits in
// max units, and appends the marker. The marker is never cut.
func renderSubject(tmpl string, values map[string]string, marker string, max int) string {
	max = min(max, MaxSubject)
	text := defuseMarkers(oneLine(expandTemplate(tmpl, SubjectPlaceholders(), values)))
	room := max - crm.UTF16Len(marker) - 1
	if room <= 0 {
		return marker
	}
	if crm.UTF16Len(text) > room {
		text = strings.TrimSpace(crm.TruncateUTF16(text, room-1)) + "…"
	}
	if text == "" || text == "…" {
		return marker
	}
	return text + " " + marker
}

// ---------------------------------------------------------------------------------------------
// Attachments

// planAttachments decides, for every attachment of the interaction, whether it is uploaded.
func planAttachments(i cloudcx.Interaction, outcomes []AttachmentOutcome) []PlannedAttachment {
	byKey := make(map[string]AttachmentOutcome, len(outcomes))
	for _, o := range outcomes {
		if k := o.Attachment.Key(); k != "" {
			if _, dup := byKey[k]; !dup {
				byKey[k] = o
			}
		}
	}
	var plan []PlannedAttachment
	used := map[string]bool{}
	for _, a := range i.AllAttachments() {
		p := PlannedAttachment{Attachment: a, FileName: uniqueFileName(attachmentFileName(a), used), Size: max(a.Size, 0)}
		o, ok := byKey[a.Key()]
		switch {
		case a.Unavailable:
			p.Reason = "not available in CloudCX"
			if r := oneLine(a.UnavailableReason); r != "" {
				p.Reason += " (" + cutText(r, 200) + ")"
			}
		case !ok:
			p.Reason = "not fetched from CloudCX"
		case o.Err != nil:
			if errors.Is(o.Err, cloudcx.ErrNotFound) {
				p.Reason = "no longer found in CloudCX"
			} else {
				p.Reason = "could not be fetched from CloudCX"
			}
		default:
			if o.Info.Size > 0 {
				p.Size = o.Info.Size
			}
			switch {
			case p.Size > MaxAttachmentBytes:
				p.Reason = "larger than Zoho's 100 MB limit"
			case refusedType(p.FileName):
				p.Reason = "Zoho does not accept .exe files"
			default:
				p.Upload = true
			}
		}
		plan = append(plan, p)
	}
	return plan
}

// uniqueFileName returns name, or "name (2).ext", "name (3).ext"… when an earlier file of the
// chat has it: each planned name is unique within a chat, so two pasted "image.png" are two
// uploads, and an upload whose answer was lost is found again by its name.
func uniqueFileName(name string, used map[string]bool) string {
	key := strings.ToLower(name)
	if !used[key] {
		used[key] = true
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name, ext = name[:i], name[i:]
	}
	for n := 2; ; n++ {
		cand := fmt.Sprintf("%s (%d)%s", name, n, ext)
		if k := strings.ToLower(cand); !used[k] {
			used[k] = true
			return cand
		}
	}
}

// refusedType reports a file Zoho refuses by its name: .exe, the one type Zoho CRM v2 documents,
// in any case and with the trailing dots and spaces Windows drops (as the zoho client's Upload
// decides).
func refusedType(name string) bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimRight(name, ". ")), ".exe")
}

// attachmentFileName is the attachment's base name as one clean line (no path separators), at
// most 255 units; "attachment" when it has none.
func attachmentFileName(a cloudcx.Attachment) string {
	name := oneLine(a.Name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = strings.TrimSpace(name[i+1:])
	}
	if name == "" || name == "." || name == ".." {
		name = "attachment"
		if a.ID != "" {
			name += "-" + safeFileName(a.ID)
		}
	}
	return crm.TruncateUTF16(name, 255)
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// cutText cuts a one-line value to n units, marking the cut.
func cutText(s string, n int) string {
	if crm.UTF16Len(s) <= n {
		return s
	}
	return strings.TrimSpace(crm.TruncateUTF16(s, n-1)) + "…"
}

// ---------------------------------------------------------------------------------------------
// Description

// section is one labelled part of the description.
type section struct {
	label string   // "" for the header lines
	lines []string // body lines
}

// renderDescription builds the description within max units. It returns the description, the
// text to attach, and whether anything was cut (then that text is to be attached): the full
// transcript when only the transcript was cut; the full description — every section whole, then
// the whole transcript — when other sections had to be shortened too, so that nothing the agent
// or the visitor wrote is dropped.
func renderDescription(i cloudcx.Interaction, loc *time.Location, plan []PlannedAttachment, transcriptName string, max int) (string, []byte, bool) {
	sections := describe(i, loc, plan)
	transcript := transcriptBytes(i, loc) // the largest thing here: kept as one buffer, never copied
	head := joinSections(sections)
	const label = "Transcript\n"

	tlen := utf16LenBytes(transcript)
	if crm.UTF16Len(head)+len(label)+tlen <= max {
		return head + label + string(transcript), transcript, false
	}

	marker := "[transcript truncated: full transcript attached as " + transcriptName + "]"
	fixed := label + marker
	// Absurd input: the other sections alone leave no room. Shorten the longest first; the file
	// attached is then the full description (every section whole, then the transcript).
	var attach []byte
	fullHead := head
	note := "[section truncated: full text attached as " + transcriptName + "]"
	for crm.UTF16Len(head)+crm.UTF16Len(fixed) > max {
		if !shortenLongest(sections, crm.UTF16Len(head)+crm.UTF16Len(fixed)-max, note) {
			break
		}
		head = joinSections(sections)
	}
	if head != fullHead {
		attach = make([]byte, 0, len(fullHead)+len(label)+len(transcript))
		attach = append(append(append(attach, fullHead...), label...), transcript...)
	} else {
		attach = transcript
	}
	budget := max - crm.UTF16Len(head) - crm.UTF16Len(fixed)
	cut := ""
	if budget > 0 {
		// budget UTF-16 units never take more than 3 bytes each: convert only that prefix.
		prefix := string(transcript[:min(len(transcript), 3*budget+4)])
		cut = crm.TruncateUTF16(prefix, budget)
		if nl := strings.LastIndexByte(cut, '\n'); nl >= 0 {
			cut = cut[:nl+1] // whole lines only
		} else if cut != "" {
			// The first line alone is longer than the room: keep what fits of it, on its own line.
			cut = crm.TruncateUTF16(prefix, budget-1) + "\n"
		}
	}
	desc := head + label + cut + marker
	if crm.UTF16Len(desc) > max {
		// Only for a field shorter than the header itself (an org's tiny Description): never send
		// more than it holds, and keep the marker, which says where the whole text went.
		desc = crm.TruncateUTF16(marker, max)
		if keep := max - crm.UTF16Len(marker) - 1; keep > 0 {
			desc = crm.TruncateUTF16(head+label, keep) + "\n" + marker
		}
	}
	return desc, attach, true
}

// utf16LenBytes is crm.UTF16Len of b, without converting it to a string.
func utf16LenBytes(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		i += size
		n++
		if r >= 0x10000 && r <= unicode.MaxRune {
			n++
		}
	}
	return n
}

// joinSections writes the sections: the header lines, then each labelled section preceded by a
// blank line, then a blank line before the transcript.
func joinSections(ss []section) string {
	var b strings.Builder
	for _, s := range ss {
		if s.label != "" {
			b.WriteString("\n")
			b.WriteString(s.label)
			b.WriteString("\n")
		}
		for _, l := range s.lines {
			b.WriteString(l)
			b.WriteString("\n")
		}
	}
	b.WriteString("\n")
	return b.String()
}

// shortenLongest cuts the longest section body by at least excess units, ending it with the note
// line.
// It reports false when nothing could be shortened.
func shortenLongest(ss []section, excess int, note string) bool {
	best, bestLen := -1, 0
	for i, s := range ss {
		n := 0
		for _, l := range s.lines {
			n += crm.UTF16Len(l) + 1
		}
		if n > bestLen {
			best, bestLen = i, n
		}
	}
	if best < 0 || bestLen <= crm.UTF16Len(note)+1 {
		return false
	}
	body := strings.Join(ss[best].lines, "\n")
	keep := bestLen - excess - crm.UTF16Len(note) - 2
	if keep < 0 {
		keep = 0
	}
	cut := crm.TruncateUTF16(body, keep)
	var lines []string
	if cut != "" {
		lines = strings.Split(cut, "\n")
	}
	ss[best].lines = append(lines, note)
	return true
}

// describe builds every section but the transcript, in the fixed order.
func describe(i cloudcx.Interaction, loc *time.Location, plan []PlannedAttachment) []section {
	t := i.Base()
	idLabel := "Chat ID"
	switch kindLabel(i) {
	case "conversation":
		idLabel = "Conversation ID"
	case "offline message":
		idLabel = "Offline message ID"
	}
	hv := func(s string) string { return cutText(oneLine(s), maxHeaderValue) }
	head := section{lines: []string{
		idLabel + ": " + hv(t.ID),
		"Tenant ID: " + hv(t.TenantID),
		"Channel: " + hv(t.Channel.Label()),
		"Start time: " + orUnknown(formatTime(t.StartedAt, loc, descTimeLayout)),
		"End time: " + orUnknown(formatTime(t.EndedAt, loc, descTimeLayout)),
		"Agents: " + agentsLine(i, hv),
	}}
	out := []section{head}

	if w := t.WrapUp; w != nil {
		s := section{label: "Wrap-up"}
		if cats := nonBlank(w.Categories); len(cats) > 0 {
			s.lines = append(s.lines, "Category: "+oneLine(strings.Join(cats, ", ")))
		}
		if c := multiLine(w.Comment); c != "" {
			s.lines = append(s.lines, indentLines("Comment: ", c)...)
		}
		for _, f := range w.Fields {
			s.lines = append(s.lines, fieldLines(f)...)
		}
		if len(s.lines) > 0 {
			out = append(out, s)
		}
	}

	if len(t.Notes) > 0 {
		s := section{label: "Notes"}
		notes := append([]cloudcx.Note(nil), t.Notes...)
		sort.SliceStable(notes, func(a, b int) bool { return notes[a].CreatedAt.Before(notes[b].CreatedAt) })
		for _, n := range notes {
			text := multiLine(n.Text)
			if text == "" {
				continue
			}
			prefix := ""
			if ts := formatTime(n.CreatedAt, loc, descTimeLayout); ts != "" {
				prefix = "[" + ts + "] "
			}
			if who := hv(firstNonEmpty(n.AgentName, n.AgentID)); who != "" {
				prefix += who + ": "
			}
			s.lines = append(s.lines, indentLines(prefix, text)...)
		}
		if len(s.lines) > 0 {
			out = append(out, s)
		}
	}

	for _, fs := range []struct {
		label  string
		fields cloudcx.Fields
	}{{"Custom fields", mergedFields(t.CustomFields, t.Visitor.CustomFields)}, {"Custom variables", mergedFields(t.CustomVariables, t.Visitor.CustomVariables)}} {
		s := section{label: fs.label}
		for _, f := range fs.fields {
			s.lines = append(s.lines, fieldLines(f)...)
		}
		if len(s.lines) > 0 {
			out = append(out, s)
		}
	}

	var skipped section
	skipped.label = "Attachments not uploaded"
	for _, p := range plan {
		if p.Upload {
			continue
		}
		line := p.FileName
		if p.Size > 0 {
			line += " (" + formatSize(p.Size) + ")"
		}
		skipped.lines = append(skipped.lines, line+": "+p.Reason)
	}
	if len(skipped.lines) > 0 {
		out = append(out, skipped)
	}
	return out
}

const descTimeLayout = "2006-01-02 15:04:05 -07:00"

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// agentsLine lists the human agents ("Name <email>"), then bots marked "(bot)"; "none" when
// nobody answered.
func agentsLine(i cloudcx.Interaction, hv func(string) string) string {
	var parts []string
	for _, a := range i.HumanAgents() {
		parts = append(parts, agentLabel(a, hv))
	}
	for _, a := range i.Base().Agents {
		if a.IsBot {
			parts = append(parts, agentLabel(a, hv)+" (bot)")
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func agentLabel(a cloudcx.Agent, hv func(string) string) string {
	name, email := hv(a.Name), hv(a.Email)
	switch {
	case name != "" && email != "":
		return name + " <" + email + ">"
	case name != "":
		return name
	case email != "":
		return email
	}
	return hv(a.ID)
}

// mergedFields returns the interaction's fields, then the visitor's fields whose names the
// interaction does not have.
func mergedFields(own, visitor cloudcx.Fields) cloudcx.Fields {
	out := append(cloudcx.Fields(nil), own...)
	for _, f := range visitor {
		if _, dup := own.Get(f.Name); !dup {
			out = append(out, f)
		}
	}
	return out
}

// fieldLines writes "Name: value", a multi-line value indented.
func fieldLines(f cloudcx.Field) []string {
	name := oneLine(f.Name)
	val := multiLine(f.Value)
	if name == "" && val == "" {
		return nil
	}
	return indentLines(name+": ", val)
}

// indentLines puts prefix before the first line of text and indents the others by two spaces.
func indentLines(prefix, text string) []string {
	lines := strings.Split(text, "\n")
	out := make([]string, len(lines))
	for i, l := range lines {
		if i == 0 {
			out[i] = strings.TrimRight(prefix+l, " ")
		} else {
			out[i] = "  " + l
		}
	}
	return out
}

// multiLine cleans text that may span lines (cloudcx.CleanText: line breaks become "\n",
// control and bidi characters go), tabs become spaces, each line's trailing spaces and the
// text's blank edges go.
func multiLine(s string) string {
	s = strings.ReplaceAll(cloudcx.CleanText(s), "\t", " ")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n ")
}

// transcriptText is the transcript (cloudcx.WriteTranscript) in the tenant's time zone, one
// line per message; "(no messages)" when there are none.
// transcriptBytes writes the transcript into one buffer sized from the messages up front, so a
// long chat is not copied as the buffer grows.
func transcriptBytes(i cloudcx.Interaction, loc *time.Location) []byte {
	t := i.Base()
	est := 0
	for _, m := range t.Messages {
		est += len(m.Text) + len(m.HTML) + len(m.SenderName) + 40 // "[2006-01-02 15:04:05] : \n" and attachment names
	}
	b := bytes.NewBuffer(make([]byte, 0, est))
	_ = t.WriteTranscript(b, cloudcx.TranscriptOptions{Location: loc}) // a Buffer never fails
	if b.Len() == 0 {
		return []byte("(no messages)\n")
	}
	return b.Bytes()
}

func nonBlank(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = oneLine(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
