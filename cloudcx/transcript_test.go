package cloudcx

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func transcript(t *testing.T, msgs []Message, opts TranscriptOptions) string {
	t.Helper()
	var b strings.Builder
	if err := WriteTranscript(&b, msgs, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteTranscriptSample(t *testing.T) {
	c := sampleChat()
	var b bytes.Buffer
	if err := c.WriteTranscript(&b, TranscriptOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `[2024-03-01 09:30:00] Jane Doe: Hello
[2024-03-01 09:30:01] Ava (bot): Hi, I am a bot
[2024-03-01 09:30:02] Sam: Hi Jane
[2024-03-01 09:30:03] Kim: Taking over
  attachment: invoice.pdf (https://files.example/f1)
[2024-03-01 09:30:04] Sam (internal note): note
[2024-03-01 09:30:05] System: The chat is ended.
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteTranscript(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name string
		msgs []Message
		opts TranscriptOptions
		want string
	}{
		{name: "nothing", want: ""},
		{name: "zone and layout", msgs: []Message{{SentAt: t0, SenderKind: SenderAgent, SenderName: "Sam", Text: "hi"}},
			opts: TranscriptOptions{Location: tokyo, TimeLayout: "15:04 MST"}, want: "[18:30 JST] Sam: hi\n"},
		{name: "default labels", msgs: []Message{
			{SenderKind: SenderVisitor, Text: "v"}, {SenderKind: SenderContact, Text: "c"}, {SenderKind: SenderAgent, Text: "a"},
			{SenderKind: SenderBot, Text: "b"}, {SenderKind: SenderSystem, SenderName: "ignored", Text: "s"}, {SenderKind: "", Text: "u"},
			{SenderKind: "robot", SenderName: "R2", Text: "r"}},
			want: "[-] Visitor: v\n[-] Contact: c\n[-] Agent: a\n[-] Bot: b\n[-] System: s\n[-] Unknown: u\n[-] R2: r\n"},
		{name: "multi-line text is indented, blank lines dropped", msgs: []Message{
			{SenderKind: SenderVisitor, SenderName: "Jo", Text: "line one  \r\n\r\n  [not a message]\n\tindented\n"}},
			want: "[-] Jo: line one\n    [not a message]\n  \tindented\n"},
		{name: "html when text is blank", msgs: []Message{
			{SenderKind: SenderAgent, Text: " \n", HTML: "<p>Hello <b>there</b></p><ul><li>a</li><li>b</li></ul><script>x</script>"}},
			want: "[-] Agent: Hello there\n  - a\n  - b\n"},
		{name: "text preferred over html", msgs: []Message{{SenderKind: SenderAgent, Text: "plain", HTML: "<b>rich</b>"}},
			want: "[-] Agent: plain\n"},
		{name: "empty message", msgs: []Message{{SenderKind: SenderVisitor}}, want: "[-] Visitor:\n"},
		{name: "internal notes omitted", msgs: []Message{{SenderKind: SenderAgent, Text: "a", InternalNote: true}, {SenderKind: SenderAgent, Text: "b"}},
			opts: TranscriptOptions{OmitInternalNotes: true}, want: "[-] Agent: b\n"},
		{name: "internal note label", msgs: []Message{{SenderKind: SenderAgent, Text: "a", InternalNote: true}},
			opts: TranscriptOptions{InternalNoteLabel: "note\ninterne"}, want: "[-] Agent (note interne): a\n"},
		{name: "attachments", msgs: []Message{{SenderKind: SenderVisitor, Attachments: []Attachment{
			{Name: "a.png", URL: "https://x/a"}, {URL: "https://x/b"}, {Name: "c.txt"}, {Name: "d", URL: "d"},
			{Name: "e.exe", URL: "u", Unavailable: true, UnavailableReason: "virus\nscan"}, {Unavailable: true}, {}}}},
			want: "[-] Visitor:\n  attachment: a.png (https://x/a)\n  attachment: https://x/b\n  attachment: c.txt\n  attachment: d\n" +
				"  attachment: e.exe (u; unavailable: virus scan)\n  attachment: (unavailable)\n  attachment:\n"},
		{name: "sender names cleaned", msgs: []Message{{SenderKind: SenderAgent, SenderName: " Sam\n\x1b[31mEvil\u202e ", Text: "x"}},
			want: "[-] Sam [31mEvil: x\n"},
		{name: "control characters and invalid utf-8", msgs: []Message{{SenderKind: SenderVisitor, Text: "a\x00b\x07\xffc\u2028d"}},
			want: "[-] Visitor: ab\ufffdc\n  d\n"},
		{name: "layout producing newlines is folded", msgs: []Message{{SentAt: t0, SenderKind: SenderBot, SenderName: "Ava", Text: "x"}},
			opts: TranscriptOptions{TimeLayout: "2006\n01"}, want: "[2024 03] Ava (bot): x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := transcript(t, tt.msgs, tt.opts); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestWriteTranscriptEveryMessageStartsALine checks the line invariant on
// hostile input.
func TestWriteTranscriptEveryMessageStartsALine(t *testing.T) {
	msgs := []Message{
		{SenderKind: SenderVisitor, Text: "[fake] line\n[2024] another\r[x]"},
		{SenderKind: SenderAgent, HTML: "<p>[p]</p><br>[br]<pre>\n[pre]</pre>"},
		{SenderKind: SenderAgent, SenderName: "a\n[b", Attachments: []Attachment{{Name: "n\n[x", URL: "u\n[y"}}},
	}
	out := transcript(t, msgs, TranscriptOptions{})
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(line, "[") {
			n++
		} else if !strings.HasPrefix(line, "  ") {
			t.Errorf("line %q neither starts a message nor is indented", line)
		}
	}
	if n != len(msgs) {
		t.Errorf("%d lines start with [, want %d:\n%s", n, len(msgs), out)
	}
}

func TestWriteTranscriptDeterministic(t *testing.T) {
	c := sampleChat()
	a := transcript(t, c.Messages, TranscriptOptions{})
	for range 5 {
		if b := transcript(t, c.Messages, TranscriptOptions{}); a != b {
			t.Fatal("output differs between runs")
		}
	}
}

// recordingWriter records the size of every write.
type recordingWriter struct {
	writes, max, total int
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.max = max(w.max, len(p))
	w.total += len(p)
	return len(p), nil
}

// TestWriteTranscriptStreams writes 10,000 messages and checks they reach
// the writer in buffer-sized pieces rather than as one copy of the whole.
func TestWriteTranscriptStreams(t *testing.T) {
	msgs := make([]Message, 10000)
	for i := range msgs {
		msgs[i] = Message{SentAt: t0.Add(time.Duration(i) * time.Second), SenderKind: SenderVisitor, SenderName: "Jo",
			Text: fmt.Sprintf("message number %d with some text to make it longer", i)}
	}
	w := &recordingWriter{}
	if err := WriteTranscript(w, msgs, TranscriptOptions{}); err != nil {
		t.Fatal(err)
	}
	if w.max > 4096 || w.writes < w.total/4096 {
		t.Errorf("%d writes, largest %d bytes, %d in all", w.writes, w.max, w.total)
	}
	allocs := testing.AllocsPerRun(3, func() {
		_ = WriteTranscript(&recordingWriter{}, msgs, TranscriptOptions{})
	})
	// A few per message at most (time formatting); no copy of the whole.
	if allocs > 3*float64(len(msgs)) {
		t.Errorf("%v allocations for %d messages", allocs, len(msgs))
	}
}

type failingWriter struct{ after int }

var errWrite = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errWrite
	}
	w.after--
	return len(p), nil
}

func TestWriteTranscriptWriteError(t *testing.T) {
	msgs := make([]Message, 2000)
	for i := range msgs {
		msgs[i] = Message{SenderKind: SenderVisitor, Text: strings.Repeat("x", 100)}
	}
	for _, after := range []int{0, 1, 5} {
		if err := WriteTranscript(&failingWriter{after: after}, msgs, TranscriptOptions{}); !errors.Is(err, errWrite) {
			t.Errorf("after %d writes: %v", after, err)
		}
	}
	if err := WriteTranscript(&failingWriter{}, msgs[:1], TranscriptOptions{}); !errors.Is(err, errWrite) {
		t.Errorf("flush error: %v", err)
	}
}

func TestTranscriptValidUTF8(t *testing.T) {
	msgs := []Message{{SenderKind: SenderVisitor, SenderName: "\xff", Text: "\xc3\x28", HTML: "\xe2\x82"},
		{SenderKind: SenderAgent, HTML: "\xf0\x9f<b>\x98</b>"}}
	if out := transcript(t, msgs, TranscriptOptions{}); !utf8.ValidString(out) {
		t.Errorf("invalid UTF-8: %q", out)
	}
}

// transcriptMessages returns n messages of a typical chat: plain text,
// HTML, an attachment now and then.
func transcriptMessages(n int) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		m := Message{SentAt: t0.Add(time.Duration(i) * time.Second), SenderKind: SenderVisitor, SenderName: "Jane Doe",
			Text: fmt.Sprintf("message number %d with some text to make it longer", i)}
		switch i % 10 {
		case 3:
			m.SenderKind, m.SenderName, m.Text = SenderAgent, "Sam", ""
			m.HTML = fmt.Sprintf("<p>Reply %d &amp; <a href=\"https://x.example/%d\">a link</a></p>", i, i)
		case 7:
			m.Attachments = []Attachment{{ID: fmt.Sprint(i), Name: "photo.png", URL: "https://files.example/photo.png"}}
		}
		msgs[i] = m
	}
	return msgs
}

// TestWriteTranscriptAllocatesLessThanItWrites checks that a 10,000
// message transcript is streamed: building it whole in memory even once
// would allocate at least as many bytes as it writes (about twice as many
// with a growing buffer). The writer is fed as it goes, so the transcript
// takes some 40 bytes of garbage per message of about 90 written.
func TestWriteTranscriptAllocatesLessThanItWrites(t *testing.T) {
	msgs := transcriptMessages(10000)
	w := &recordingWriter{}
	var err error
	n := allocated(func() { err = WriteTranscript(w, msgs, TranscriptOptions{}) })
	if err != nil {
		t.Fatal(err)
	}
	if n >= uint64(w.total) {
		t.Errorf("writing %d bytes of transcript allocated %d bytes", w.total, n)
	}
	th := Thread{Messages: msgs}
	w2 := &recordingWriter{}
	if n := allocated(func() { err = th.WriteTranscript(w2, TranscriptOptions{}) }); err != nil || n >= uint64(w2.total) || w2.total != w.total {
		t.Errorf("Thread.WriteTranscript: %d bytes written, %d allocated, %v", w2.total, n, err)
	}
}

// BenchmarkWriteTranscript reports the bytes allocated per message; a
// transcript built whole in memory would show as several times the bytes
// written per message.
func BenchmarkWriteTranscript(b *testing.B) {
	msgs := transcriptMessages(10000)
	w := &recordingWriter{}
	b.ReportAllocs()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	for b.Loop() {
		if err := WriteTranscript(w, msgs, TranscriptOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.TotalAlloc-before)/float64(b.N)/float64(len(msgs)), "allocB/msg")
	b.ReportMetric(float64(w.total)/float64(b.N)/float64(len(msgs)), "outB/msg")
}
