package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var t0 = time.Date(2024, 5, 1, 21, 45, 5, 0, time.UTC) // 23:45 in Paris: the end crosses midnight there

// paris is what the caller resolves parisSettings().TimeZone to.
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

func parisSettings() Settings {
	s := DefaultSettings()
	s.TimeZone = "Europe/Paris"
	return s
}

// shortChat is a two-message Web Chat.
func shortChat() *cloudcx.Chat {
	return &cloudcx.Chat{Thread: cloudcx.Thread{
		ID: "4711", TenantID: "acme", Channel: cloudcx.ChannelWebChat,
		Visitor: cloudcx.Visitor{ID: "v-1", Name: "Jane Doe", Email: "jane@example.com", Phone: "+1 555 0100", Company: "Acme"},
		Agents:  []cloudcx.Agent{{ID: "a1", Name: "Alice Agent", Email: "alice@acme.test"}},
		Messages: []cloudcx.Message{
			{SentAt: t0, SenderKind: cloudcx.SenderVisitor, SenderName: "Jane Doe", Text: "Hello, my order has not arrived."},
			{SentAt: t0.Add(40 * time.Second), SenderKind: cloudcx.SenderAgent, SenderID: "a1", SenderName: "Alice Agent", Text: "Let me check."},
		},
		StartedAt: t0, EndedAt: t0.Add(20 * time.Minute),
	}}
}

// fullChat has every section of the description.
func fullChat() *cloudcx.Chat {
	c := shortChat()
	c.Agents = append(c.Agents, cloudcx.Agent{ID: "b1", Name: "Ava", IsBot: true}, cloudcx.Agent{ID: "a2", Name: "Bob", Email: "bob@acme.test"})
	c.Messages = append(c.Messages,
		cloudcx.Message{SentAt: t0.Add(50 * time.Second), SenderKind: cloudcx.SenderAgent, SenderID: "a1", SenderName: "Alice Agent", Text: "Transferring you to billing.", InternalNote: true},
		cloudcx.Message{SentAt: t0.Add(time.Minute), SenderKind: cloudcx.SenderSystem, Text: "Bob joined the chat."},
		cloudcx.Message{SentAt: t0.Add(2 * time.Minute), SenderKind: cloudcx.SenderAgent, SenderID: "a2", SenderName: "Bob",
			HTML:        `<p>Here is the <a href="https://acme.test/refund">refund form</a>.</p><ul><li>Step one</li><li>Step two</li></ul>`,
			Attachments: []cloudcx.Attachment{{ID: "f3", Name: "form.pdf", Size: 2048}}},
		cloudcx.Message{SentAt: t0.Add(3 * time.Minute), SenderKind: cloudcx.SenderVisitor, SenderName: "Jane Doe", Text: "Thanks!\nBye."},
	)
	c.WrapUp = &cloudcx.WrapUp{Categories: []string{"Billing", "Refund"}, Comment: "Refund issued.\r\nFollow up Monday.", Fields: cloudcx.Fields{{Name: "Priority", Value: "High"}}}
	c.Notes = []cloudcx.Note{
		{AgentName: "Bob", CreatedAt: t0.Add(25 * time.Minute), Text: "Customer was polite."},
		{AgentName: "Alice Agent", CreatedAt: t0.Add(21 * time.Minute), Text: "VIP customer;\nhandle with care."},
	}
	c.CustomFields = cloudcx.Fields{{Name: "Order number", Value: "A-1001"}}
	c.CustomVariables = cloudcx.Fields{{Name: "plan", Value: "gold"}, {Name: "cart", Value: "3 items"}}
	c.Visitor.CustomVariables = cloudcx.Fields{{Name: "plan", Value: "ignored: the chat's value wins"}, {Name: "country", Value: "FR"}}
	c.Attachments = []cloudcx.Attachment{
		{ID: "f1", Name: "screenshot.png", Size: 1000},
		{ID: "f2", Name: "installer.exe", Size: 50},
		{ID: "f4", Name: "video.mp4", Size: 150 << 20},
		{ID: "f5", Name: "gone.txt", Unavailable: true, UnavailableReason: "deleted by retention policy"},
		{ID: "f6", Name: "../../etc/passwd"},
		{ID: "f7", Name: "missing.doc"},
	}
	return c
}

// outcomesFor opens every attachment but f6 (not found) and f7 (no outcome at all).
func outcomesFor(c *cloudcx.Chat) []AttachmentOutcome {
	var out []AttachmentOutcome
	for _, a := range c.AllAttachments() {
		switch a.ID {
		case "f6":
			out = append(out, AttachmentOutcome{Attachment: a, Err: fmt.Errorf("open: %w", cloudcx.ErrNotFound)})
		case "f7":
		default:
			out = append(out, AttachmentOutcome{Attachment: a, Info: cloudcx.AttachmentInfo{Size: a.Size, ContentType: "application/octet-stream"}})
		}
	}
	return out
}

// bigChat has n messages: far more than a description holds.
func bigChat(n int) *cloudcx.Chat {
	c := shortChat()
	c.ID = "big-1"
	c.Messages = make([]cloudcx.Message, n)
	for i := range c.Messages {
		m := cloudcx.Message{SentAt: t0.Add(time.Duration(i) * time.Second), SenderKind: cloudcx.SenderVisitor, SenderName: "Jane Doe",
			Text: fmt.Sprintf("Message %d: the quick brown fox jumps over the lazy dog. ÄÖÜ 日本語 😀", i)}
		if i%2 == 1 {
			m.SenderKind, m.SenderID, m.SenderName = cloudcx.SenderAgent, "a1", "Alice Agent"
		}
		c.Messages[i] = m
	}
	c.EndedAt = t0.Add(time.Duration(n) * time.Second)
	return c
}

// hostileChat is an Inbox conversation full of hostile Unicode and HTML.
func hostileConversation() *cloudcx.Conversation {
	return &cloudcx.Conversation{Thread: cloudcx.Thread{
		ID: "conv 7/[cx:x]", TenantID: "t:e\nnant", Channel: cloudcx.ChannelWhatsApp,
		Visitor: cloudcx.Visitor{ID: "{tenant_id}", Name: "Mallory\u202e gnp.exe\x00", FirstName: "{chat_id}", LastName: "[cx:acme:chat:1]\r\nDrop",
			Email: "not-an-email", CellPhone: "+49 ١٢٣ ٤٥٦ ٧٨٩", Company: "<script>alert(1)</script> Ltd"},
		Agents: []cloudcx.Agent{{Name: "Zoë \U0001F469\u200D\U0001F4BB", Email: "zoe@acme.test"}},
		Messages: []cloudcx.Message{
			{SentAt: t0, SenderKind: cloudcx.SenderContact, SenderName: "Mallory\u202e", Text: "\xff\xfeinvalid bytes\x07 bell"},
			{SentAt: t0.Add(time.Second), SenderKind: cloudcx.SenderAgent, SenderName: "Zoë \U0001F469\u200D\U0001F4BB",
				HTML: `<script>steal()</script><style>p{}</style><p>Hi &amp; welcome &#8364;5 <img alt="logo" src="x"></p><!-- c --><a href="javascript:evil()">click</a>`},
			{SentAt: t0.Add(2 * time.Second), SenderKind: cloudcx.SenderContact, SenderName: "Mallory", Text: "👨‍👩‍👧‍👦🇫🇷🏳️‍🌈 e\u0301 \u0000 ﷽"},
		},
		Notes:     []cloudcx.Note{{AgentName: "Zoë", Text: "\u2028line sep\u2029para sep"}},
		StartedAt: t0, EndedAt: t0.Add(time.Hour),
	}, State: cloudcx.ConversationResolved}
}

// emojiChat's single message is one enormous line of ZWJ emoji, so the cut falls inside a run
// of emoji: it must not split one.
func emojiChat() *cloudcx.Chat {
	c := shortChat()
	c.ID = "emoji"
	c.Messages = []cloudcx.Message{{SentAt: t0, SenderKind: cloudcx.SenderVisitor, SenderName: "Jane Doe",
		Text: strings.Repeat("👩‍💻", 9000)}}
	return c
}

// dump renders a result as text for golden files.
func dump(t testing.TB, r *Rendered) []byte {
	t.Helper()
	var b bytes.Buffer
	rec := r.Record.Clone()
	rec.Set("Description", fmt.Sprintf("<%d UTF-16 units, below>", crm.UTF16Len(r.Description)))
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	fmt.Fprintf(&b, "== module %s\n== record\n", r.Module)
	if err := enc.Encode(rec); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "== marker %s\n== attachments\n", r.Marker)
	for _, a := range r.Attachments {
		fmt.Fprintf(&b, "%s upload=%v reason=%q\n", a.FileName, a.Upload, a.Reason)
	}
	if f := r.TranscriptAttachment; f != nil {
		fmt.Fprintf(&b, "== transcript attachment %s %s %d bytes sha256 %x\n", f.Name, f.ContentType, len(f.Content), sha256.Sum256(f.Content))
	}
	fmt.Fprintf(&b, "== notes\n%s\n", strings.Join(r.Notes, "\n"))
	fmt.Fprintf(&b, "== description\n%s", r.Description)
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./rules -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got %.200q\nwant %.200q\n(run go test ./rules -update if the change is intended)", path, i+1, g, w)
			}
		}
	}
}

// checkLimits asserts the invariants every rendering keeps.
func checkLimits(t testing.TB, r *Rendered, key SourceKey) {
	t.Helper()
	if n := crm.UTF16Len(r.Subject); n > MaxSubject {
		t.Errorf("subject has %d units", n)
	}
	if n := crm.UTF16Len(r.Description); n > MaxDescription {
		t.Errorf("description has %d units", n)
	}
	if !utf8.ValidString(r.Subject) || !utf8.ValidString(r.Description) {
		t.Error("invalid UTF-8")
	}
	if !HasMarker(r.Subject, key) || !strings.HasSuffix(r.Subject, r.Marker) || r.Marker != Marker(key) {
		t.Errorf("subject %q lacks marker %q", r.Subject, Marker(key))
	}
	if strings.ContainsAny(r.Subject, "\n\r\t\x00\u202e") {
		t.Errorf("subject not one clean line: %q", r.Subject)
	}
	if strings.Count(r.Subject, "[cx:") != 1 {
		t.Errorf("subject has more than one marker: %q", r.Subject)
	}
	if r.Record.Text("Subject") != r.Subject || r.Record.Text("Description") != r.Description {
		t.Error("record and result differ")
	}
	for _, c := range r.Description {
		if c < 0x20 && c != '\n' && c != '\t' {
			t.Fatalf("control character %U in description", c)
		}
	}
	if r.TranscriptAttachment != nil && !strings.Contains(r.Description, "[transcript truncated: full transcript attached as "+r.TranscriptAttachment.Name+"]") {
		t.Error("cut transcript without its marker line")
	}
}

func TestRenderGolden(t *testing.T) {
	sets := parisSettings()
	for _, tc := range []struct {
		name   string
		task   bool
		in     RenderInput
		cut    bool
		person Link
	}{
		{name: "short-case.txt", in: RenderInput{Interaction: shortChat()}},
		{name: "short-task.txt", task: true, in: RenderInput{Interaction: shortChat(), Person: Link{Module: ModuleLeads, ID: "lead-1"}}},
		{name: "every-section-case.txt", in: func() RenderInput {
			c := fullChat()
			return RenderInput{Interaction: c, Attachments: outcomesFor(c), Account: Link{Module: ModuleAccounts, ID: "acc-1"}}
		}()},
		{name: "every-section-task.txt", task: true, in: func() RenderInput {
			c := fullChat()
			return RenderInput{Interaction: c, Attachments: outcomesFor(c), Account: Link{Module: ModuleAccounts, ID: "acc-1"}}
		}()},
		{name: "overflow-10000.txt", cut: true, in: RenderInput{Interaction: bigChat(10000)}},
		{name: "hostile-inbox-case.txt", in: RenderInput{Interaction: hostileConversation()}},
		{name: "hostile-inbox-task.txt", task: true, in: RenderInput{Interaction: hostileConversation()}},
		{name: "emoji-cut.txt", cut: true, in: RenderInput{Interaction: emojiChat()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Settings, in.Location = sets, paris
			in.Owner = Owner{ID: "owner-1"}
			if in.Person.ID == "" {
				in.Person = Link{Module: ModuleContacts, ID: "contact-1"}
			}
			render := RenderCase
			if tc.task {
				render = RenderTask
			}
			r, err := render(in)
			if err != nil {
				t.Fatal(err)
			}
			checkLimits(t, r, KeyOf(in.Interaction))
			if (r.TranscriptAttachment != nil) != tc.cut {
				t.Errorf("transcript attachment = %v, want cut %v", r.TranscriptAttachment != nil, tc.cut)
			}
			again, _ := render(in)
			if !bytes.Equal(dump(t, r), dump(t, again)) {
				t.Error("not deterministic")
			}
			golden(t, tc.name, dump(t, r))
		})
	}
}

func TestRenderOverflowKeepsSectionsAndWholeLines(t *testing.T) {
	c := bigChat(10000)
	c.WrapUp = &cloudcx.WrapUp{Categories: []string{"Billing"}, Comment: "Long chat."}
	c.Notes = []cloudcx.Note{{AgentName: "Alice", Text: "note"}}
	r, err := RenderCase(RenderInput{Interaction: c, Settings: parisSettings(), Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	checkLimits(t, r, KeyOf(c))
	d := r.Description
	for _, want := range []string{"Chat ID: big-1\n", "\nWrap-up\nCategory: Billing\nComment: Long chat.\n", "\nNotes\n", "\nTranscript\n[2024-05-01 23:45:05] Jane Doe: Message 0:"} {
		if !strings.Contains(d, want) {
			t.Errorf("description lacks %q", want)
		}
	}
	if !strings.HasSuffix(d, "😀\n[transcript truncated: full transcript attached as transcript-big-1.txt]") {
		t.Errorf("description does not end with a whole line and the marker: %q", d[len(d)-120:])
	}
	if crm.UTF16Len(d) < MaxDescription-200 {
		t.Errorf("description uses only %d units", crm.UTF16Len(d))
	}
	f := r.TranscriptAttachment
	if f == nil || f.Name != "transcript-big-1.txt" || f.ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("transcript attachment %+v", f)
	}
	if lines := strings.Count(string(f.Content), "\n"); lines != 10000 {
		t.Errorf("attached transcript has %d lines", lines)
	}
	// The description's transcript is a prefix of the attached one.
	body := d[strings.Index(d, "\nTranscript\n")+len("\nTranscript\n") : strings.LastIndex(d, "[transcript truncated")]
	if !bytes.HasPrefix(f.Content, []byte(body)) {
		t.Error("description transcript is not a prefix of the full transcript")
	}
}

func TestRenderAbsurdSections(t *testing.T) {
	// Sections alone far beyond the limit: they are shortened with markers, never exceeding it.
	c := shortChat()
	c.Notes = []cloudcx.Note{{AgentName: "Alice", Text: strings.Repeat("note 📝 ", 10000)}}
	c.CustomFields = cloudcx.Fields{{Name: "blob", Value: strings.Repeat("x", 50000)}}
	c.WrapUp = &cloudcx.WrapUp{Comment: strings.Repeat("wrap ", 2000)}
	c.ID = strings.Repeat("i", 5000)
	r, err := RenderCase(RenderInput{Interaction: c, Settings: parisSettings(), Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	checkLimits(t, r, KeyOf(c))
	d := r.Description
	if !strings.Contains(d, "[section truncated: full text attached as ") || !strings.Contains(d, "\nWrap-up\nComment: wrap wrap") || !strings.Contains(d, "\nTranscript\n") {
		t.Errorf("sections lost: %.300q", d)
	}
	if !strings.Contains(d, "Chat ID: iiii") || strings.Contains(d, strings.Repeat("i", 600)) {
		t.Error("long id not cut in the header")
	}
	if r.TranscriptAttachment == nil {
		t.Error("transcript not attached")
	} else if a := string(r.TranscriptAttachment.Content); !strings.Contains(a, strings.Repeat("x", 50000)) || strings.Count(a, "note 📝") != 10000 {
		t.Error("the attached text lacks the sections the description had to shorten")
	}
	if !strings.HasPrefix(r.Marker, "[cx:h:") {
		t.Errorf("long id marker %q", r.Marker)
	}
}

// TestCaseMappingTable has one case per row of mission.md §5's Case/Task table (the subtest
// names say which: "row 2 Name|Last Name → Reported_By|Subject"), each checked for a Web Chat
// Case, a Web Chat Task, an Inbox Case and an Inbox Task.
func TestCaseMappingTable(t *testing.T) {
	web := fullChat()
	inbox := &cloudcx.Conversation{Thread: web.Thread, State: cloudcx.ConversationClosed}
	inbox.Channel = cloudcx.ChannelEmail
	inbox.Visitor = cloudcx.Visitor{ID: "c-1", Name: "J. D. (WhatsApp)", FirstName: "Jane", LastName: "Doe", Email: "jane@example.com",
		Phone: "+1 555 0100", CellPhone: "+1 555 0199", Company: "Acme"}
	inbox.WrapUp = nil // Inbox has no agent wrap-up
	s := parisSettings()
	s.ExtraMappings = []ExtraMapping{{Module: ModuleCases, CloudCXField: "variable:plan", ZohoField: "Plan__c"}, {Module: ModuleTasks, CloudCXField: "custom:Order number", ZohoField: "Order__c"}}
	in := func(i cloudcx.Interaction, person Link) RenderInput {
		return RenderInput{Interaction: i, Settings: s, Location: paris, Owner: Owner{ID: "u-1"}, Person: person,
			Account: Link{Module: ModuleAccounts, ID: "acc-9"}, Attachments: outcomesFor(web)}
	}
	contact := Link{Module: ModuleContacts, ID: "ct-1"}
	lead := Link{Module: ModuleLeads, ID: "ld-1"}
	type check func(t *testing.T, r *Rendered)
	field := func(name, want string) check {
		return func(t *testing.T, r *Rendered) {
			raw, ok := r.Record.Raw(name)
			got := ""
			if ok {
				got = string(raw)
			}
			if got != want {
				t.Errorf("%s = %s, want %s", name, got, want)
			}
		}
	}
	subjectHas := func(s string) check {
		return func(t *testing.T, r *Rendered) {
			if !strings.Contains(strings.TrimSuffix(r.Subject, r.Marker), s) {
				t.Errorf("subject %q lacks %q", r.Subject, s)
			}
		}
	}
	subjectLacks := func(s string) check {
		return func(t *testing.T, r *Rendered) {
			if strings.Contains(r.Subject, s) {
				t.Errorf("subject %q has %q", r.Subject, s)
			}
		}
	}
	descHas := func(s string) check {
		return func(t *testing.T, r *Rendered) {
			if !strings.Contains(r.Description, s) {
				t.Errorf("description lacks %q", s)
			}
		}
	}
	descLacks := func(s string) check {
		return func(t *testing.T, r *Rendered) {
			if strings.Contains(r.Description, s) {
				t.Errorf("description has %q", s)
			}
		}
	}
	// Row 15: every attachment of the chat (6) and of its messages (1) is planned; the two
	// that can be uploaded are, and each of the others is listed in the description with its reason.
	plan := func(t *testing.T, r *Rendered) {
		var up []string
		for _, a := range r.Attachments {
			if a.Upload {
				up = append(up, a.FileName)
			} else if !strings.Contains(r.Description, "\n"+a.FileName) || !strings.Contains(r.Description, a.Reason) {
				t.Errorf("%s (%s) not listed in the description", a.FileName, a.Reason)
			}
		}
		if len(r.Attachments) != 7 || strings.Join(up, ",") != "screenshot.png,form.pdf" {
			t.Errorf("%d attachments planned, uploaded %v", len(r.Attachments), up)
		}
	}
	rows := []struct {
		row                  string
		webCase, webTask     []check
		inboxCase, inboxTask []check
	}{
		{"row 1 agent who chatted|conversed → Owner",
			[]check{field("Owner", `{"id":"u-1"}`)}, []check{field("Owner", `{"id":"u-1"}`)},
			[]check{field("Owner", `{"id":"u-1"}`)}, []check{field("Owner", `{"id":"u-1"}`)}},
		{"row 2 Name|Last Name → Reported_By|Subject",
			[]check{field("Reported_By", `"Jane Doe"`)}, []check{subjectHas("Jane Doe"), field("Reported_By", ``)},
			[]check{field("Reported_By", `"Jane Doe"`)}, []check{subjectHas("- Jane Doe <"), subjectLacks("J. D."), field("Reported_By", ``)}},
		{"row 3 Email → Email|(Subject)",
			[]check{field("Email", `"jane@example.com"`)}, []check{subjectHas("<jane@example.com>"), field("Email", ``)},
			[]check{field("Email", `"jane@example.com"`)}, []check{subjectHas("<jane@example.com>"), field("Email", ``)}},
		{"row 4 Phone|Cell Phone → Phone|(on the linked person)",
			[]check{field("Phone", `"+1 555 0100"`)}, []check{field("Phone", ``)},
			[]check{field("Phone", `"+1 555 0199"`)}, []check{field("Phone", ``)}},
		{"row 5 Company|Company Name → Account_Name when identified|—",
			[]check{field("Account_Name", `{"id":"acc-9"}`), field("Company", ``)}, []check{field("Account_Name", ``), field("Company", ``)},
			[]check{field("Account_Name", `{"id":"acc-9"}`), field("Company", ``)}, []check{field("Account_Name", ``), field("Company", ``)}},
		{"row 6 Tenant ID → Subject",
			[]check{subjectHas("(acme)")}, []check{subjectHas("(acme)")},
			[]check{subjectHas("(acme)")}, []check{subjectHas("(acme)")}},
		{"row 7 Chat Channel → Subject",
			[]check{subjectHas("CloudCX Web Chat - ")}, []check{subjectHas("CloudCX Web Chat - ")},
			[]check{subjectHas("CloudCX Email - ")}, []check{subjectHas("CloudCX Email - ")}},
		{"row 8 Chat|Conversation Content → Description",
			[]check{descHas("\nTranscript\n[2024-05-01 23:45:05] Jane Doe: Hello")}, []check{descHas("] Bob: Here is the refund form (https://acme.test/refund).")},
			[]check{descHas("\nTranscript\n[2024-05-01 23:45:05] Jane Doe: Hello")}, []check{descHas("  - Step one")}},
		{"row 9 Chat|Conversation ID → Description",
			[]check{descHas("Chat ID: 4711\n")}, []check{descHas("Chat ID: 4711\n")},
			[]check{descHas("Conversation ID: 4711\n")}, []check{descHas("Conversation ID: 4711\n")}},
		{"row 10 Note → Description",
			[]check{descHas("\nNotes\n[2024-05-02 00:06:05 +02:00] Alice Agent: VIP customer;\n  handle with care.\n[2024-05-02 00:10:05 +02:00] Bob: Customer was polite.\n")}, []check{descHas("Bob: Customer was polite.")},
			[]check{descHas("Alice Agent: VIP customer;")}, []check{descHas("Bob: Customer was polite.")}},
		{"row 11 Agent Wrap-up|— → Description",
			[]check{descHas("\nWrap-up\nCategory: Billing, Refund\nComment: Refund issued.\n  Follow up Monday.\nPriority: High\n")}, []check{descHas("Category: Billing, Refund")},
			[]check{descLacks("Wrap-up")}, []check{descLacks("Wrap-up")}},
		{"row 12 Start Time → Description",
			[]check{descHas("Start time: 2024-05-01 23:45:05 +02:00\n")}, []check{descHas("Start time: 2024-05-01 23:45:05 +02:00\n")},
			[]check{descHas("Start time: 2024-05-01 23:45:05 +02:00\n")}, []check{descHas("Start time: 2024-05-01 23:45:05 +02:00\n")}},
		{"row 13 End Time → Description (and Due_Date)",
			[]check{descHas("End time: 2024-05-02 00:05:05 +02:00\n"), field("Due_Date", ``)}, []check{descHas("End time: 2024-05-02 00:05:05 +02:00\n"), field("Due_Date", `"2024-05-02"`)},
			[]check{descHas("End time: 2024-05-02 00:05:05 +02:00\n")}, []check{descHas("End time: 2024-05-02 00:05:05 +02:00\n"), field("Due_Date", `"2024-05-02"`)}},
		{"row 14 Custom Fields and Custom Variables|— → Description (and extra mappings)",
			[]check{descHas("\nCustom fields\nOrder number: A-1001\n\nCustom variables\nplan: gold\ncart: 3 items\ncountry: FR\n"), field("Plan__c", `"gold"`), field("Order__c", ``)},
			[]check{descHas("\nCustom fields\nOrder number: A-1001\n\nCustom variables\nplan: gold\n"), field("Order__c", `"A-1001"`), field("Plan__c", ``)},
			[]check{descHas("Order number: A-1001"), field("Plan__c", `"gold"`)}, []check{descHas("plan: gold"), field("Order__c", `"A-1001"`)}},
		{"row 15 Attachments → Attachments of the Case|Task",
			[]check{plan, descHas("\nAttachments not uploaded\n")}, []check{plan},
			[]check{plan}, []check{plan}},
		{"mandatory Status and Case_Origin",
			[]check{field("Status", `"New"`), field("Case_Origin", `"Chat"`)}, []check{field("Status", `"Completed"`), field("Case_Origin", ``)},
			[]check{field("Status", `"New"`), field("Case_Origin", `"Email"`)}, []check{field("Status", `"Completed"`)}},
		{"links Related_To|What_Id+$se_module|Who_Id",
			[]check{field("Related_To", `{"id":"ct-1"}`), field("Who_Id", ``)}, []check{field("What_Id", `{"id":"ld-1"}`), field("$se_module", `"Leads"`), field("Who_Id", ``), field("Related_To", ``)},
			[]check{field("Related_To", `{"id":"ct-1"}`)}, []check{field("Who_Id", `{"id":"ct-1"}`), field("What_Id", `{"id":"acc-9"}`), field("$se_module", `"Accounts"`)}},
	}
	for _, row := range rows {
		for _, v := range []struct {
			name   string
			render func(RenderInput) (*Rendered, error)
			in     RenderInput
			checks []check
		}{
			{"web chat case", RenderCase, in(web, contact), row.webCase},
			{"web chat task", RenderTask, in(web, lead), row.webTask},
			{"inbox case", RenderCase, in(inbox, contact), row.inboxCase},
			{"inbox task", RenderTask, in(inbox, contact), row.inboxTask},
		} {
			t.Run(row.row+"/"+v.name, func(t *testing.T) {
				r, err := v.render(v.in)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range v.checks {
					c(t, r)
				}
			})
		}
	}
	// Row 5, "when identified": without an identified Account, no Account_Name (and a Task with
	// a Contact links Who_Id only).
	for _, i := range []cloudcx.Interaction{web, inbox} {
		ri := in(i, contact)
		ri.Account = Link{}
		c, _ := RenderCase(ri)
		tk, _ := RenderTask(ri)
		if c.Record.Has("Account_Name") || tk.Record.Has("What_Id") || tk.Record.Has("$se_module") || !tk.Record.Has("Who_Id") {
			t.Errorf("row 5 not identified, %s: case %s task %s", i.Section(), mustJSON(t, c.Record.Keys()), mustJSON(t, tk.Record.Keys()))
		}
	}
}

func TestCaseOrigin(t *testing.T) {
	s := DefaultSettings()
	s.Case.OriginByChannel = map[string]string{"whatsapp": "WhatsApp", "sms": "Text"}
	for _, tc := range []struct {
		i    cloudcx.Interaction
		set  Settings
		want string
	}{
		{&cloudcx.Chat{Thread: cloudcx.Thread{ID: "1", Channel: cloudcx.ChannelWebChat}}, DefaultSettings(), "Chat"},
		{&cloudcx.Chat{Thread: cloudcx.Thread{ID: "1", Channel: cloudcx.ChannelOfflineMessage, Status: cloudcx.StatusOfflineMessage}}, DefaultSettings(), "Chat"},
		{&cloudcx.Conversation{Thread: cloudcx.Thread{ID: "1", Channel: cloudcx.ChannelEmail}}, DefaultSettings(), "Email"},
		{&cloudcx.Conversation{Thread: cloudcx.Thread{ID: "1", Channel: cloudcx.ChannelPhone}}, DefaultSettings(), "Phone"},
		{&cloudcx.Conversation{Thread: cloudcx.Thread{ID: "1", Channel: cloudcx.ChannelSMS}}, DefaultSettings(), "Phone"},
		{&cloudcx.Conversation{Thread: cloudcx.Thread{ID: "1", Channel: cloudcx.ChannelWhatsApp}}, DefaultSettings(), "Web"},
		{&cloudcx.Conversation{Thread: cloudcx.Thread{ID: "1", Channel: "carrier-pigeon"}}, DefaultSettings(), "Web"},
		{&cloudcx.Conversation{Thread: cloudcx.Thread{ID: "1", Channel: cloudcx.ChannelWhatsApp}}, s, "WhatsApp"},
		{&cloudcx.Conversation{Thread: cloudcx.Thread{ID: "1", Channel: cloudcx.ChannelSMS}}, s, "Text"},
		{&cloudcx.Conversation{Thread: cloudcx.Thread{ID: "1", Channel: cloudcx.ChannelEmail}}, s, "Email"},
	} {
		r, err := RenderCase(RenderInput{Interaction: tc.i, Settings: tc.set})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Record.Text("Case_Origin"); got != tc.want {
			t.Errorf("%s %s: Case_Origin %q, want %q", tc.i.Section(), tc.i.Base().Channel, got, tc.want)
		}
	}
}

// picklists builds field metadata with the given picklist values (display = actual).
func picklists(module string, values map[string][]string) *crm.FieldSet {
	var fields []crm.Field
	for _, name := range sortedKeys(map[string]string{"Status": "", "Case_Origin": ""}) {
		vs, ok := values[name]
		if !ok {
			continue
		}
		f := crm.Field{APIName: name, DataType: "picklist"}
		for _, v := range vs {
			f.PickListValues = append(f.PickListValues, crm.PickListValue{DisplayValue: v, ActualValue: v})
		}
		fields = append(fields, f)
	}
	return crm.NewFieldSet(module, fields)
}

func TestPicklistFallback(t *testing.T) {
	s := DefaultSettings()
	s.Case.Status = "Open"
	s.Case.OriginWebChat = "live chat"
	r, err := RenderCase(RenderInput{Interaction: shortChat(), Settings: s, Fields: picklists(ModuleCases, map[string][]string{
		"Status": {"Escalated", "New", "Closed"}, "Case_Origin": {"Email", "Live Chat", "Web"}})})
	if err != nil {
		t.Fatal(err)
	}
	if r.Record.Text("Status") != "New" || r.Record.Text("Case_Origin") != "Live Chat" {
		t.Errorf("Status %q Case_Origin %q", r.Record.Text("Status"), r.Record.Text("Case_Origin"))
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], `Status: "Open" is not a value of the org's picklist; used "New"`) {
		t.Errorf("notes %q", r.Notes)
	}
	// Neither the setting nor the default is allowed: the first value, noted.
	r, _ = RenderCase(RenderInput{Interaction: shortChat(), Settings: s, Fields: picklists(ModuleCases, map[string][]string{
		"Status": {"Nouveau", "Fermé"}, "Case_Origin": {"Live Chat"}})})
	if r.Record.Text("Status") != "Nouveau" || len(r.Notes) != 1 {
		t.Errorf("Status %q notes %q", r.Record.Text("Status"), r.Notes)
	}
	// Task status likewise.
	s.Task.Status = "Done"
	r, _ = RenderTask(RenderInput{Interaction: shortChat(), Settings: s, Fields: picklists(ModuleTasks, map[string][]string{"Status": {"Not Started", "Completed"}})})
	if r.Record.Text("Status") != "Completed" || len(r.Notes) != 1 {
		t.Errorf("task Status %q notes %q", r.Record.Text("Status"), r.Notes)
	}
}

func TestRenderSubject(t *testing.T) {
	c := shortChat()
	for _, tc := range []struct {
		name, tmpl string
		visitor    cloudcx.Visitor
		want       string
	}{
		{"values are not re-expanded", "{visitor_name} / {tenant_id}", cloudcx.Visitor{Name: "{tenant_id}"}, "{tenant_id} / acme [cx:acme:chat:4711]"},
		{"literal braces", "{{x}} {chat_id} }}", cloudcx.Visitor{}, "{x} 4711 } [cx:acme:chat:4711]"},
		{"newlines and controls stripped", "{visitor_name}", cloudcx.Visitor{Name: "Jane\n\r\tDoe\x00\u202e"}, "Jane Doe [cx:acme:chat:4711]"},
		{"a visitor named like a marker is defused", "{visitor_name}", cloudcx.Visitor{Name: "[cx:acme:chat:1]"}, "(cx:acme:chat:1] [cx:acme:chat:4711]"},
		{"visitor without a name", "{visitor_name}|{visitor}", cloudcx.Visitor{Email: "j@example.com"}, "j@example.com|j@example.com [cx:acme:chat:4711]"},
		{"visitor with nothing", "{visitor_name}", cloudcx.Visitor{ID: "v-9"}, "Visitor v-9 [cx:acme:chat:4711]"},
		{"empty expansion gives the marker alone", "{company}", cloudcx.Visitor{}, "[cx:acme:chat:4711]"},
		{"every placeholder", "{tenant_id}|{section}|{kind}|{channel}|{chat_id}|{visitor_id}|{visitor}|{visitor_email}|{visitor_phone}|{company}|{agent_name}|{start_time}|{end_time}|{start_date}|{end_date}|{wrap_up}",
			cloudcx.Visitor{ID: "v", Name: "N", Email: "e@x.io", Phone: "123", Company: "Co"},
			"acme|Web Chat|chat|Web Chat|4711|v|N <e@x.io>|e@x.io|123|Co|Alice Agent|2024-05-01 23:45|2024-05-02 00:05|2024-05-01|2024-05-02| [cx:acme:chat:4711]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := parisSettings()
			s.Templates.CaseSubject = tc.tmpl
			cc := c.Clone()
			cc.Visitor = tc.visitor
			r, err := RenderCase(RenderInput{Interaction: cc, Settings: s, Location: paris})
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject != tc.want {
				t.Errorf("subject %q, want %q", r.Subject, tc.want)
			}
			checkLimits(t, r, KeyOf(cc))
		})
	}
}

func TestRenderSubjectCutKeepsMarker(t *testing.T) {
	s := parisSettings()
	s.Templates.TaskSubject = "{visitor_name} {visitor_name}"
	c := shortChat()
	c.Visitor.Name = strings.Repeat("🇫🇷👩‍💻", 40) // 40 × 7 units
	r, err := RenderTask(RenderInput{Interaction: c, Settings: s, Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	checkLimits(t, r, KeyOf(c))
	if !strings.HasSuffix(r.Subject, "… [cx:acme:chat:4711]") {
		t.Errorf("subject %q", r.Subject)
	}
	text := strings.TrimSuffix(r.Subject, "… [cx:acme:chat:4711]")
	if strings.TrimSuffix(strings.TrimSuffix(text, "🇫🇷"), "👩‍💻") == text {
		t.Errorf("cut inside an emoji: %q", text[len(text)-20:])
	}
	// The org's metadata may shorten Subject further.
	r, _ = RenderTask(RenderInput{Interaction: c, Settings: s, Location: paris, Fields: crm.NewFieldSet(ModuleTasks, []crm.Field{{APIName: "Subject", Length: 40}})})
	if n := crm.UTF16Len(r.Subject); n > 40 || !strings.HasSuffix(r.Subject, r.Marker) {
		t.Errorf("subject %q (%d units)", r.Subject, n)
	}
	// A Subject too short even for the marker keeps the marker.
	r, _ = RenderTask(RenderInput{Interaction: c, Settings: s, Location: paris, Fields: crm.NewFieldSet(ModuleTasks, []crm.Field{{APIName: "Subject", Length: 5}})})
	if r.Subject != r.Marker {
		t.Errorf("subject %q", r.Subject)
	}
}

func TestMarker(t *testing.T) {
	for _, tc := range []struct {
		k    SourceKey
		want string
	}{
		{SourceKey{"acme", cloudcx.SectionWebChat, "4711", 0}, "[cx:acme:chat:4711]"},
		{SourceKey{"acme", cloudcx.SectionInbox, "4711", 0}, "[cx:acme:conv:4711]"},
		{SourceKey{"a:b", cloudcx.SectionInbox, "x]y z/é", 0}, "[cx:a%3Ab:conv:x%5Dy%20z%2F%C3%A9]"},
		{SourceKey{"", "", "", 0}, "[cx::x-:]"},
		{SourceKey{"t", cloudcx.SectionWebChat, "550e8400-e29b-41d4-a716-446655440000", 0}, "[cx:t:chat:550e8400-e29b-41d4-a716-446655440000]"},
	} {
		if got := Marker(tc.k); got != tc.want {
			t.Errorf("Marker(%+v) = %q, want %q", tc.k, got, tc.want)
		}
	}
	long := SourceKey{"tenant", cloudcx.SectionWebChat, strings.Repeat("ü", 100), 0}
	m := Marker(long)
	if !strings.HasPrefix(m, "[cx:h:") || len(m) != len("[cx:h:]")+32 {
		t.Errorf("long marker %q", m)
	}
	if Marker(SourceKey{"tenant", cloudcx.SectionInbox, strings.Repeat("ü", 100), 0}) == m {
		t.Error("hashed markers of two sections are equal")
	}
	if !HasMarker("  Something "+m+"  ", long) || HasMarker(m+" edited after", long) {
		t.Error("HasMarker end handling")
	}
	if HasMarker("x [cx:acme:chat:47111]", SourceKey{"acme", cloudcx.SectionWebChat, "4711", 0}) ||
		HasMarker("x [cx:acme:chat:14711]", SourceKey{"acme", cloudcx.SectionWebChat, "4711", 0}) ||
		HasMarker("x [cx:acme:conv:4711]", SourceKey{"acme", cloudcx.SectionWebChat, "4711", 0}) {
		t.Error("HasMarker matches another key")
	}
	first, again := SourceKey{"acme", cloudcx.SectionWebChat, "4711", 0}, SourceKey{"acme", cloudcx.SectionWebChat, "4711", 2}
	if m := Marker(again); m != "[cx:acme:chat:4711:2]" {
		t.Errorf("repeat marker %q", m)
	}
	if HasMarker("x "+Marker(again), first) || HasMarker("x "+Marker(first), again) {
		t.Error("HasMarker confuses a chat's record with its deliberate repeat")
	}
	longAgain := long
	longAgain.Seq = 1
	if Marker(longAgain) == Marker(long) {
		t.Error("hashed markers of a repeat and the original are equal")
	}
	if KeyOf(nil) != (SourceKey{}) {
		t.Error("KeyOf(nil)")
	}
}

func TestAttachmentPlan(t *testing.T) {
	c := fullChat()
	r, err := RenderCase(RenderInput{Interaction: c, Settings: parisSettings(), Location: paris, Attachments: outcomesFor(c)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range r.Attachments {
		got = append(got, fmt.Sprintf("%s %s %v %s", a.Attachment.ID, a.FileName, a.Upload, a.Reason))
	}
	want := []string{
		"f1 screenshot.png true ",
		"f2 installer.exe false Zoho does not accept .exe files",
		"f4 video.mp4 false larger than Zoho's 100 MB limit",
		"f5 gone.txt false not available in CloudCX (deleted by retention policy)",
		"f6 passwd false no longer found in CloudCX",
		"f7 missing.doc false not fetched from CloudCX",
		"f3 form.pdf true ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, w := range want {
		if parts := strings.SplitN(w, " ", 4); parts[2] == "false" && !strings.Contains(r.Description, parts[1]) {
			t.Errorf("description does not list %s", parts[1])
		}
	}
	// The opener's size wins over the declared one; other errors have a generic reason.
	a := cloudcx.Attachment{ID: "z", Name: "z.bin", Size: 10}
	c2 := &cloudcx.Chat{Thread: cloudcx.Thread{ID: "1", Attachments: []cloudcx.Attachment{a, {ID: "y", Name: "y.bin"}}}}
	r, _ = RenderCase(RenderInput{Interaction: c2, Settings: DefaultSettings(), Attachments: []AttachmentOutcome{
		{Attachment: a, Info: cloudcx.AttachmentInfo{Size: MaxAttachmentBytes + 1}},
		{Attachment: cloudcx.Attachment{ID: "y"}, Err: errors.New("secret-token=abc: connection refused")},
	}})
	if r.Attachments[0].Upload || r.Attachments[1].Reason != "could not be fetched from CloudCX" {
		t.Errorf("plan %+v", r.Attachments)
	}
	if strings.Contains(r.Description, "secret-token") {
		t.Error("an opener's error text reached the description")
	}
}

func TestRenderErrors(t *testing.T) {
	if _, err := RenderCase(RenderInput{Settings: DefaultSettings()}); err == nil {
		t.Error("nil interaction accepted")
	}
	s := DefaultSettings()
	s.TimeZone = "Nowhere/Never"
	if _, err := RenderTask(RenderInput{Interaction: shortChat(), Settings: s}); err == nil || !strings.Contains(err.Error(), "Nowhere/Never") {
		t.Errorf("bad zone: %v", err)
	}
	// A Case cannot link a Lead: noted, not linked.
	r, err := RenderCase(RenderInput{Interaction: shortChat(), Settings: DefaultSettings(), Person: Link{Module: ModuleLeads, ID: "l"}})
	if err != nil || r.Record.Has("Related_To") || len(r.Notes) != 1 {
		t.Errorf("case with lead: %v %v", r.Notes, err)
	}
}

func TestRenderDueDateFallbacks(t *testing.T) {
	c := shortChat()
	c.EndedAt = time.Time{}
	r, _ := RenderTask(RenderInput{Interaction: c, Settings: parisSettings(), Location: paris})
	if got := r.Record.Text("Due_Date"); got != "2024-05-01" { // the last message, 23:45:45 in Paris
		t.Errorf("Due_Date %q", got)
	}
	c.Messages = nil
	c.StartedAt = time.Time{}
	r, _ = RenderTask(RenderInput{Interaction: c, Settings: parisSettings(), Location: paris})
	if r.Record.Has("Due_Date") {
		t.Error("Due_Date without any time")
	}
	if !strings.Contains(r.Description, "Start time: unknown\nEnd time: unknown\nAgents: Alice Agent <alice@acme.test>\n") || !strings.Contains(r.Description, "Transcript\n(no messages)\n") {
		t.Errorf("description %q", r.Description)
	}
}

func FuzzRender(f *testing.F) {
	f.Add("4711", "Jane", "hello", "<p>hi</p>", "note", "{visitor_name} {chat_id}", 3, 100)
	f.Add("[cx:x]", "{tenant_id}\n", "\xff\x00", "<script>", "\u202e", "{{}}", 0, 0)
	f.Add(strings.Repeat("é", 300), "👩‍💻", strings.Repeat("😀", 200), "", "", "{visitor}", 1, 200)
	f.Fuzz(func(t *testing.T, id, name, text, html, note, tmpl string, n, repeat int) {
		// Bound the work: up to 50 messages and about 80 KB of transcript (enough to overflow).
		n, repeat = min(max(n, 0), 50), min(max(repeat, 0), 5000)
		if len(text)*repeat*n > 80<<10 {
			repeat = (80 << 10) / (len(text)*n + 1)
		}
		c := &cloudcx.Chat{Thread: cloudcx.Thread{ID: id, TenantID: name, Channel: cloudcx.Channel(text),
			Visitor:   cloudcx.Visitor{ID: id, Name: name, Email: text, Phone: text, Company: html},
			Notes:     []cloudcx.Note{{AgentName: name, Text: strings.Repeat(note, repeat%100)}},
			WrapUp:    &cloudcx.WrapUp{Categories: []string{name, text}, Comment: note},
			StartedAt: t0, EndedAt: t0.Add(time.Duration(n) * time.Minute)}}
		for i := range n {
			c.Messages = append(c.Messages, cloudcx.Message{SentAt: t0.Add(time.Duration(i) * time.Second), SenderKind: cloudcx.SenderAgent,
				SenderName: name, Text: strings.Repeat(text, repeat), HTML: html})
		}
		s := DefaultSettings()
		s.Templates.CaseSubject, s.Templates.TaskSubject = tmpl, tmpl
		var conv cloudcx.Interaction = &cloudcx.Conversation{Thread: c.Thread}
		for _, i := range []cloudcx.Interaction{c, conv} {
			for _, render := range []func(RenderInput) (*Rendered, error){RenderCase, RenderTask} {
				in := RenderInput{Interaction: i, Settings: s, Person: Link{Module: ModuleContacts, ID: "1"}}
				r, err := render(in)
				if err != nil {
					t.Fatal(err)
				}
				checkLimits(t, r, KeyOf(i))
				if _, err := json.Marshal(r.Record); err != nil {
					t.Fatal(err)
				}
				r2, _ := render(in)
				if r2.Subject != r.Subject || r2.Description != r.Description {
					t.Fatal("not deterministic")
				}
			}
		}
	})
}

// TestTypedNilInteraction: a nil *Chat or *Conversation inside the Interaction interface is no
// interaction at all, never a panic.
func TestTypedNilInteraction(t *testing.T) {
	var chat *cloudcx.Chat
	var conv *cloudcx.Conversation
	for _, i := range []cloudcx.Interaction{chat, conv} {
		if _, err := RenderCase(RenderInput{Interaction: i, Settings: DefaultSettings()}); err == nil {
			t.Errorf("%T: RenderCase accepted a nil interaction", i)
		}
		if _, err := RenderTask(RenderInput{Interaction: i, Settings: DefaultSettings()}); err == nil {
			t.Errorf("%T: RenderTask accepted a nil interaction", i)
		}
		if ok, why := DefaultSettings().MayRecord(i); ok || why == "" {
			t.Errorf("%T: MayRecord = %v %q", i, ok, why)
		}
		if k := KeyOf(i); k != (SourceKey{}) {
			t.Errorf("%T: KeyOf = %+v", i, k)
		}
		s := DefaultSettings()
		s.ExtraMappings = []ExtraMapping{{Module: ModuleLeads, CloudCXField: "custom:x", ZohoField: "X"}}
		p, err := PersonFields(PersonInput{Settings: s, Module: ModuleLeads, Visitor: cloudcx.Visitor{ID: "v-1"}, TenantID: "acme", Interaction: i})
		if err != nil || p.Record.Text("Last_Name") != "Visitor v-1" {
			t.Errorf("%T: PersonFields = %v, %v", i, p.Record, err)
		}
	}
}

// TestRenderSubjectHostileLimits: a 1,000-character emoji name and a hostile chat id still give
// a subject within 255 UTF-16 units that ends with the intact marker, for Case and Task, Web
// Chat and Inbox, whatever the template.
func TestRenderSubjectHostileLimits(t *testing.T) {
	names := []string{
		strings.Repeat("😀", 1000),
		strings.Repeat("👩‍💻", 1000),
		strings.Repeat("🇫🇷", 1000),
		strings.Repeat("e\u0301", 1000),
	}
	ids := []string{
		`4711`,
		`conv 7/[cx:x]` + "\n\x00" + `)(,\` + "😀",
		strings.Repeat("[cx:", 40), // escaped marker longer than 80 bytes: hashed
		"ü" + strings.Repeat("z", 30),
	}
	templates := []string{DefaultCaseSubject, DefaultTaskSubject, "{visitor_name}{visitor_name}{chat_id}", "[cx:{chat_id}] {visitor}"}
	for _, name := range names {
		for _, id := range ids {
			for _, tmpl := range templates {
				c := shortChat()
				c.ID, c.Visitor.Name = id, name
				conv := &cloudcx.Conversation{Thread: c.Clone().Thread}
				s := DefaultSettings()
				s.Templates.CaseSubject, s.Templates.TaskSubject = tmpl, tmpl
				for _, i := range []cloudcx.Interaction{c, conv} {
					for _, render := range []func(RenderInput) (*Rendered, error){RenderCase, RenderTask} {
						r, err := render(RenderInput{Interaction: i, Settings: s})
						if err != nil {
							t.Fatal(err)
						}
						checkLimits(t, r, KeyOf(i))
						if n := crm.UTF16Len(r.Subject); n > MaxSubject || n < MaxSubject-len(r.Marker)-8 && tmpl != DefaultCaseSubject && tmpl != DefaultTaskSubject {
							t.Errorf("subject of %d units: %q", n, r.Subject)
						}
						if !strings.HasSuffix(r.Subject, " "+Marker(KeyOf(i))) {
							t.Errorf("subject %q does not end with its marker", r.Subject)
						}
					}
				}
			}
		}
	}
}

// TestRenderOverflowKeepsEverySection: when the transcript overflows, every other section of
// the description is kept byte for byte, the transcript is cut at a line boundary and marked,
// and the full transcript is planned as an attachment.
func TestRenderOverflowKeepsEverySection(t *testing.T) {
	small := fullChat()
	r0, err := RenderCase(RenderInput{Interaction: small, Settings: parisSettings(), Location: paris, Attachments: outcomesFor(small)})
	if err != nil {
		t.Fatal(err)
	}
	head := r0.Description[:strings.Index(r0.Description, "\nTranscript\n")+1]
	if !strings.Contains(head, "\nWrap-up\n") || !strings.Contains(head, "\nNotes\n") || !strings.Contains(head, "\nCustom fields\n") ||
		!strings.Contains(head, "\nCustom variables\n") || !strings.Contains(head, "\nAttachments not uploaded\n") {
		t.Fatalf("fullChat lacks a section:\n%s", head)
	}
	big := fullChat()
	for i := range 5000 {
		big.Messages = append(big.Messages, cloudcx.Message{SentAt: t0.Add(time.Duration(10+i) * time.Minute), SenderKind: cloudcx.SenderVisitor,
			SenderName: "Jane Doe", Text: fmt.Sprintf("line %d 😀\nsecond line of %d", i, i)})
	}
	for _, render := range []func(RenderInput) (*Rendered, error){RenderCase, RenderTask} {
		r, err := render(RenderInput{Interaction: big, Settings: parisSettings(), Location: paris, Attachments: outcomesFor(big)})
		if err != nil {
			t.Fatal(err)
		}
		checkLimits(t, r, KeyOf(big))
		d := r.Description
		if !strings.HasPrefix(d, head+"Transcript\n") {
			t.Errorf("sections before the transcript changed:\n%.2000s", d)
		}
		if r.TranscriptAttachment == nil {
			t.Fatal("full transcript not planned as an attachment")
		}
		marker := "[transcript truncated: full transcript attached as transcript-4711.txt]"
		if !strings.HasSuffix(d, "\n"+marker) {
			t.Errorf("description does not end with the marker line: %q", d[len(d)-200:])
		}
		body := strings.TrimSuffix(strings.TrimPrefix(d, head+"Transcript\n"), marker)
		full := string(r.TranscriptAttachment.Content)
		if !strings.HasPrefix(full, body) || !strings.HasSuffix(body, "\n") || len(body) >= len(full) {
			t.Error("the description's transcript is not whole lines of the full one")
		}
		if next := full[len(body):]; !strings.HasPrefix(next, "[") && !strings.HasPrefix(next, "  ") {
			t.Errorf("cut inside a line: next %q", next[:40])
		}
		if n := crm.UTF16Len(d); n > MaxDescription || n < MaxDescription-200 {
			t.Errorf("description of %d units", n)
		}
	}
}

// FuzzRenderLimits: whatever the sizes of the sections and of the transcript, and whatever
// lengths the org's metadata gives Subject and Description, the limits hold, the text is valid
// UTF-8, and rendering is deterministic.
func FuzzRenderLimits(f *testing.F) {
	f.Add("4711", "Jane", "hello 😀\n", 10, 3, 0, 0, 0)
	f.Add("[cx:x]", "👩‍💻", strings.Repeat("x", 400), 90, 90, 40000, 300, 32000)
	f.Add("a", "é", "e\u0301\n", 50, 5000, 1000, 5, 2000)
	f.Fuzz(func(t *testing.T, id, name, text string, messages, sectionRepeat, fieldRepeat, subjectLen, descLen int) {
		messages = min(max(messages, 0), 100)
		sectionRepeat = min(max(sectionRepeat, 0), 40000/(len(text)+1))
		fieldRepeat = min(max(fieldRepeat, 0), 40000/(len(name)+1))
		if descLen > 0 {
			descLen = max(descLen, 140) // room at least for the truncation marker line (≤ 136 units)
		}
		c := &cloudcx.Chat{Thread: cloudcx.Thread{ID: id, TenantID: name, Channel: cloudcx.ChannelWebChat,
			Visitor:      cloudcx.Visitor{ID: id, Name: strings.Repeat(name, 50)},
			Notes:        []cloudcx.Note{{AgentName: name, Text: strings.Repeat(text, sectionRepeat)}},
			WrapUp:       &cloudcx.WrapUp{Categories: []string{name}, Comment: strings.Repeat(text, sectionRepeat/2)},
			CustomFields: cloudcx.Fields{{Name: name, Value: strings.Repeat(name, fieldRepeat)}},
			Attachments:  []cloudcx.Attachment{{ID: id, Name: strings.Repeat(name, 20) + ".exe"}},
			StartedAt:    t0, EndedAt: t0.Add(time.Hour)}}
		for i := range messages {
			c.Messages = append(c.Messages, cloudcx.Message{SentAt: t0.Add(time.Duration(i) * time.Second), SenderKind: cloudcx.SenderVisitor,
				SenderName: name, Text: strings.Repeat(text, min(sectionRepeat%500, 4000/(len(text)+1))+1)})
		}
		fields := crm.NewFieldSet(ModuleCases, []crm.Field{{APIName: "Subject", Length: subjectLen}, {APIName: "Description", Length: descLen}})
		for _, render := range []func(RenderInput) (*Rendered, error){RenderCase, RenderTask} {
			in := RenderInput{Interaction: c, Settings: DefaultSettings(), Fields: fields}
			r, err := render(in)
			if err != nil {
				t.Fatal(err)
			}
			checkLimits(t, r, KeyOf(c))
			if descLen > 0 && crm.UTF16Len(r.Description) > descLen {
				t.Fatalf("description of %d units, the org's field holds %d", crm.UTF16Len(r.Description), descLen)
			}
			if subjectLen > 0 && crm.UTF16Len(r.Subject) > max(subjectLen, crm.UTF16Len(r.Marker)) {
				t.Fatalf("subject of %d units, the org's field holds %d", crm.UTF16Len(r.Subject), subjectLen)
			}
			if r.TranscriptAttachment != nil && !utf8.Valid(r.TranscriptAttachment.Content) {
				t.Fatal("transcript attachment is not valid UTF-8")
			}
			again, _ := render(in)
			if !bytes.Equal(dump(t, r), dump(t, again)) {
				t.Fatal("not deterministic")
			}
		}
	})
}

// TestRenderTinyDescriptionKeepsMarker: an org whose Description holds less than the header
// still gets a description within its length that ends with the visible truncation marker.
func TestRenderTinyDescriptionKeepsMarker(t *testing.T) {
	c := fullChat()
	for _, n := range []int{73, 74, 100, 150, 300, 1000} {
		r, err := RenderCase(RenderInput{Interaction: c, Settings: parisSettings(), Location: paris,
			Fields: crm.NewFieldSet(ModuleCases, []crm.Field{{APIName: "Description", Length: n}})})
		if err != nil {
			t.Fatal(err)
		}
		checkLimits(t, r, KeyOf(c))
		if got := crm.UTF16Len(r.Description); got > n {
			t.Errorf("limit %d: description of %d units", n, got)
		}
		if r.TranscriptAttachment == nil || !strings.HasSuffix(r.Description, "[transcript truncated: full transcript attached as transcript-4711.txt]") {
			t.Errorf("limit %d: %q", n, r.Description)
		}
	}
}

// TestAttachmentPlanExeLikeZoho: the plan refuses every name the zoho client's Upload refuses as
// .exe (any case, with the trailing dots and spaces Windows drops), so that the description
// lists it instead of the upload failing later.
func TestAttachmentPlanExeLikeZoho(t *testing.T) {
	names := map[string]bool{
		"setup.exe": false, "SETUP.EXE": false, "setup.exe.": false, "setup.exe. .": false, "dir/setup.Exe..": false,
		"setup.exe.txt": true, "exe": true, "setup.exe1": true, "notes.txt": true,
	}
	var atts []cloudcx.Attachment
	var outs []AttachmentOutcome
	for name := range names {
		a := cloudcx.Attachment{ID: name, Name: name, Size: 10}
		atts = append(atts, a)
		outs = append(outs, AttachmentOutcome{Attachment: a, Info: cloudcx.AttachmentInfo{Size: 10}})
	}
	c := &cloudcx.Chat{Thread: cloudcx.Thread{ID: "1", Attachments: atts}}
	r, err := RenderCase(RenderInput{Interaction: c, Settings: DefaultSettings(), Attachments: outs})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Attachments {
		if want := names[p.Attachment.Name]; p.Upload != want {
			t.Errorf("%q: upload %v, want %v (%s)", p.Attachment.Name, p.Upload, want, p.Reason)
		}
	}
}

// BenchmarkRenderCase10000 measures rendering a 10,000-message chat that overflows Zoho's
// description limit: bytes allocated per transcript message are reported, so a change that copies
// the transcript several times shows up.
func BenchmarkRenderCase10000(b *testing.B) {
	c := bigChat(10000)
	in := RenderInput{Interaction: c, Settings: parisSettings(), Location: paris}
	b.ReportAllocs()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	before := m.TotalAlloc
	for b.Loop() {
		if _, err := RenderCase(in); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&m)
	perOp := float64(m.TotalAlloc-before) / float64(b.N)
	b.ReportMetric(perOp/10000, "B/message")
	// The target (issue 18): at most 3× the transcript's own size allocated per render.
	var size countWriter
	_ = c.WriteTranscript(&size, cloudcx.TranscriptOptions{Location: paris})
	b.ReportMetric(perOp/float64(size), "alloc/transcript")
}

type countWriter int

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }

// Issue 12 item 14: with 1,000 notes and 300 custom fields the other sections alone exceed the
// Description; every note and field is in the attached text.
func TestRenderNothingDroppedWhenSectionsAreCut(t *testing.T) {
	c := shortChat()
	for i := range 1000 {
		c.Notes = append(c.Notes, cloudcx.Note{AgentName: "Alice", Text: fmt.Sprintf("note %d: the customer called about order %d", i, i)})
	}
	for i := range 300 {
		c.CustomFields = append(c.CustomFields, cloudcx.Field{Name: fmt.Sprintf("field%d", i), Value: strings.Repeat("v", 60)})
	}
	r, err := RenderCase(RenderInput{Interaction: c, Settings: parisSettings(), Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	if r.TranscriptAttachment == nil {
		t.Fatal("nothing attached though sections were cut")
	}
	a := string(r.TranscriptAttachment.Content)
	for _, want := range []string{"note 0:", "note 999: the customer called about order 999", "field299"} {
		if !strings.Contains(a, want) {
			t.Errorf("the attached text lacks %q", want)
		}
	}
}

// A deliberate repeat's subject ends with its own marker, so a listing tells it from the chat's
// first Case.
func TestRenderRepeatMarker(t *testing.T) {
	c := fullChat()
	first, err := RenderCase(RenderInput{Interaction: c, Settings: parisSettings(), Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	again, err := RenderCase(RenderInput{Interaction: c, Settings: parisSettings(), Location: paris, Seq: 2})
	if err != nil {
		t.Fatal(err)
	}
	k := KeyOf(c)
	k2 := k
	k2.Seq = 2
	if again.Marker != Marker(k2) || !HasMarker(again.Subject, k2) || HasMarker(again.Subject, k) || !HasMarker(first.Subject, k) {
		t.Errorf("first %q, again %q", first.Subject, again.Subject)
	}
}
