package cloudcx

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Without -fuzz, `go test` runs each target on its seeds only.

func addFixtureSeeds(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// stringBytes walks v and returns the total length of its strings,
// failing on any that is not valid UTF-8.
func stringBytes(t *testing.T, v reflect.Value) int {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			t.Errorf("invalid UTF-8 %q", v.String())
		}
		return v.Len()
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 0
		}
		return stringBytes(t, v.Elem())
	case reflect.Slice, reflect.Array:
		n := 0
		for i := range v.Len() {
			n += stringBytes(t, v.Index(i))
		}
		return n
	case reflect.Struct:
		if v.Type().PkgPath() != "" && v.Type().PkgPath() != reflect.TypeFor[Chat]().PkgPath() {
			return 0 // time.Time and friends
		}
		n := 0
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n += stringBytes(t, v.Field(i))
			}
		}
		return n
	}
	return 0
}

// checkDecoded checks what a decoder returned: valid UTF-8, bounded by the
// input, marshalable, and harmless to the other functions of the package.
func checkDecoded(t *testing.T, in []byte, v any) {
	t.Helper()
	if n := stringBytes(t, reflect.ValueOf(v)); n > 8*len(in)+16 {
		t.Errorf("%d bytes of strings from %d bytes of input", n, len(in))
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	back := reflect.New(reflect.TypeOf(v))
	if err := json.Unmarshal(b, back.Interface()); err != nil {
		t.Fatalf("unmarshal own output: %v", err)
	}
	visit := func(c *Chat) {
		_ = c.Validate()
		if _, ok := c.LastAgent(); ok != (len(c.HumanAgents()) > 0) {
			t.Errorf("LastAgent reports %v, HumanAgents %+v", ok, c.HumanAgents())
		}
		_ = c.AllAttachments()
		_ = c.WriteTranscript(io.Discard, TranscriptOptions{})
		_ = c.Clone()
	}
	switch x := v.(type) {
	case *Chat:
		visit(x)
	case []Chat:
		for i := range x {
			visit(&x[i])
		}
	case Event:
		_ = x.Validate()
		if x.Chat != nil {
			visit(x.Chat)
		}
	}
}

func FuzzComm100Chat(f *testing.F) {
	addFixtureSeeds(f)
	for _, s := range []string{
		`{"id":1,"chat_transcript":"[23:59:59] A: x⊙[00:00:01] B: y","start_time":"/Date(1584489500000)/"}`,
		`{"type":"Missed","chat":{"chat":{"id":1}}}`,
		`{"customFields":{"a":[{"b":null}],"c":1e400}}`,
		`{"agents":[[1],{"id":{"x":1}}],"attachment":[null,"x"]}`,
		`{"chatTranscript":[{"time":"/Date(9223372036854775807)/"}]}`,
		`"chat": {"id": "\ud800"},`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Comm100Decoder{}
		if c, err := d.Chat(data); err == nil {
			checkDecoded(t, data, c)
		} else if !isDecodeError(err) {
			t.Fatalf("error %T", err)
		}
		if c, err := d.OfflineMessage(data); err == nil {
			checkDecoded(t, data, c)
		}
		if cs, err := d.Chats(data); err == nil {
			checkDecoded(t, data, cs)
		}
	})
}

func FuzzComm100Other(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Comm100Decoder{}
		if v, err := d.Visitor(data); err == nil {
			checkDecoded(t, data, v)
		}
		if a, err := d.Agent(data); err == nil {
			checkDecoded(t, data, a)
		}
		if cs, err := d.OfflineMessages(data); err == nil {
			checkDecoded(t, data, cs)
		}
	})
}

func isDecodeError(err error) bool {
	var de *DecodeError
	return errors.As(err, &de)
}

func FuzzDecodeWebhook(f *testing.F) {
	for _, s := range []string{
		`{"event":"LiveChatSessionChatting","planId":"p","sessionId":"s","visitorId":"v"}`,
		`{"event":"LiveChatSessionEnd","sessionId":1}`,
		`{"event":"OfflineMessageSubmit","offlineMessageId":"o","content":"hi"}`,
		`{"event":"LiveChatWrapUp","wrapUpId":"w","sessionId":"s","category":["a"],"comment":"c"}`,
		`{"event":"TicketCreated","ticketId":"t"}`,
		`{"event":"TicketStatusChanged","ticketId":"t","beforeTicketStatus":"Resolved","afterTicketStatus":"New"}`,
		`{"event":"chat_ended","chat":{"id":1,"chat_transcript":"a⊙b"},"visitor":{"id":2}}`,
		`{"event":"chat_wrapped_up","chat_id":"c","wrapup":{"category":"x","time":"/Date(1)/"}}`,
		`{"event":"offline_message_submitted","offline_message":{"id":3,"content":"<b>x</b>"}}`,
		`{"event":"chat_started","visitor":{"chat_id":"c"}}`,
		`{"event":"TicketAgentReply"}`,
		`{"event":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeWebhook(data)
		if err != nil {
			var (
				m *MalformedWebhookError
				u *UnknownEventError
				i *IgnoredEventError
				l *WebhookTooLargeError
			)
			if !errors.As(err, &m) && !errors.As(err, &u) && !errors.As(err, &i) && !errors.As(err, &l) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if !e.Kind.Known() || e.EventID == "" || e.TargetID() == "" {
			t.Fatalf("incomplete event %+v", e)
		}
		checkDecoded(t, data, e)
	})
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{
		"", "plain", "<p>a</p><p>b</p>", "a<br><br>b", "<ul><li>x<li>y</ul>", "<table><tr><td>1<td>2</table>",
		`<a href="https://x/?a=1&amp;b=2">t</a>`, "<a href=u>", "<script>x</script>y", "<style>", "<!--", "<!DOCTYPE",
		"<pre>\n a\r\n</pre>", "&nGt;&NotNestedGreaterGreater;&#x110000;&#0;&#128;", "\xff\xfe<b>\xc3</b>", "<img alt='&lt;x&gt;'>",
		"<a href='\u202e'>\u0000</a>", "<<<>>>", "</", "<a", "<svg/><svg>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLToText(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 %q", out)
		}
		if len(out) > 3*len(s) {
			t.Fatalf("%d bytes from %d", len(out), len(s))
		}
		for _, r := range out {
			if r != '\n' && r != '\t' && isInvisibleControl(r) {
				t.Fatalf("control %U in %q", r, out)
			}
		}
		if strings.HasPrefix(out, "\n") || strings.HasSuffix(out, "\n") {
			t.Fatalf("leading or trailing line break: %q", out)
		}
		if again := HTMLToText(s); again != out {
			t.Fatal("not deterministic")
		}
	})
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "a\r\nb", "\xff", "\u202e", "\x00\x7f\u0085", "é😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanText(s)
		if !utf8.ValidString(out) || len(out) > 3*len(s) {
			t.Fatalf("CleanText(%q) = %q", s, out)
		}
		if strings.ContainsRune(out, '\r') || CleanText(out) != out {
			t.Fatalf("CleanText(%q) = %q is not clean", s, out)
		}
	})
}

func FuzzWriteTranscript(f *testing.F) {
	f.Add("Jane", "hello\nworld", "<p>x</p>", "a.png", true)
	f.Add("\xff\n[", "\r[x]\x00", "<pre>\n[</pre>", "\n[", false)
	f.Fuzz(func(t *testing.T, name, text, html, file string, note bool) {
		msgs := []Message{
			{SenderKind: SenderVisitor, SenderName: name, Text: text, InternalNote: note},
			{SenderKind: SenderAgent, SenderName: name, HTML: html, Attachments: []Attachment{{Name: file, URL: file}}},
		}
		var b strings.Builder
		if err := WriteTranscript(&b, msgs, TranscriptOptions{}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 %q", out)
		}
		starts := 0
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if strings.HasPrefix(line, "[") {
				starts++
			} else if !strings.HasPrefix(line, "  ") {
				t.Fatalf("stray line %q in %q", line, out)
			}
		}
		if starts != len(msgs) {
			t.Fatalf("%d message lines in %q", starts, out)
		}
	})
}
