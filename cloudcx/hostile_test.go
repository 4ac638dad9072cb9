package cloudcx

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes the Go heap handed out while fn ran.
func allocated(fn func()) uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	fn()
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc - before
}

// TestDecodeHostileNesting feeds webhook bodies under MaxWebhookSize whose
// nesting made the decoders parse and copy the input once per level: a
// body of under 1 MiB took minutes. Work now stays proportional to the
// input, which the bytes allocated show without timing anything.
func TestDecodeHostileNesting(t *testing.T) {
	const depth = 2000
	blob := strings.Repeat("x", 200_000)
	tests := []struct{ name, body string }{
		{"nested arrays in a field value", `{"event":"chat_ended","chat":{"id":1,"customFields":{"a":` +
			strings.Repeat("[", depth) + `"` + blob + `"` + strings.Repeat("]", depth) + `}}}`},
		{"nested arrays in wrap-up categories", `{"event":"LiveChatWrapUp","wrapUpId":"w","sessionId":"s","category":` +
			strings.Repeat("[", depth) + `"` + blob + `"` + strings.Repeat("]", depth) + `}`},
		{"nested chat objects", `{"event":"chat_ended",` + strings.Repeat(`"chat":{`, depth) + `"id":1,"content":"` + blob + `"` +
			strings.Repeat("}", depth) + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = DecodeWebhook([]byte(tt.body)) })
			if limit := uint64(64 * len(tt.body)); n > limit {
				t.Errorf("decoding %d bytes allocated %d bytes (limit %d); err %v", len(tt.body), n, limit, err)
			}
		})
	}
}

// hostileAgentsBody is a chat_ended webhook under MaxWebhookSize naming
// tens of thousands of agents and as many transcript lines by other names.
// Matching each sender against every agent made decoding it take minutes,
// and so did HumanAgents and LastAgent on the result.
func hostileAgentsBody() []byte {
	var b strings.Builder
	b.WriteString(`{"event":"chat_ended","chat":{"id":1,"agents":[{"id":"bot","name":"Zed","type":"bot"},"`)
	for i := range 55000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "a%d", i)
	}
	b.WriteString(`"],"start_time":"/Date(1584489500000)/","chat_transcript":"`)
	for i := range 30000 {
		if i > 0 {
			b.WriteString("⊙")
		}
		if i%2 == 0 {
			b.WriteString("[1:00:00] zz: q")
		} else {
			b.WriteString("[1:00:00] Zed: q")
		}
	}
	b.WriteString(`"}}`)
	return []byte(b.String())
}

// TestDecodeHostileAgents guards against sender matching that is
// quadratic in agents × messages. The time limit is far above what the
// linear code needs even under -race (well under a second without it);
// the quadratic code took minutes.
func TestDecodeHostileAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	body := hostileAgentsBody()
	if len(body) > MaxWebhookSize {
		t.Fatalf("body of %d bytes is over the limit", len(body))
	}
	if err := decodeHostileAgents(body); err != nil {
		t.Fatal(err)
	}
}

// decodeHostileAgents decodes the hostile body and uses the derived agent views on it.
func decodeHostileAgents(body []byte) error {
	e, err := DecodeWebhook(body)
	if err != nil {
		return err
	}
	if len(e.Chat.Agents) != 55001 || len(e.Chat.Messages) != 30000 {
		return fmt.Errorf("%d agents, %d messages", len(e.Chat.Agents), len(e.Chat.Messages))
	}
	if m := e.Chat.Messages[1]; m.SenderKind != SenderBot || m.SenderID != "bot" {
		return fmt.Errorf("message 1: %+v", m)
	}
	_ = e.Chat.HumanAgents()
	_, _ = e.Chat.LastAgent()
	return e.Chat.WriteTranscript(io.Discard, TranscriptOptions{})
}

// BenchmarkDecodeHostileAgents measures the hostile webhook above (the quadratic code took
// minutes per decode; the indexed one a fraction of a second).
func BenchmarkDecodeHostileAgents(b *testing.B) {
	body := hostileAgentsBody()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := decodeHostileAgents(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadWebhookStopsEarly reads from a 100 MB body and checks that
// ReadWebhook stopped right after the limit instead of reading it all.
func TestReadWebhookStopsEarly(t *testing.T) {
	r := &countingReader{left: 100 << 20}
	_, err := ReadWebhook(r)
	var tooLarge *WebhookTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("error %T %v, want *WebhookTooLargeError", err, err)
	}
	if r.read > MaxWebhookSize+64<<10 {
		t.Errorf("read %d bytes of a 100 MB body; the limit is %d", r.read, MaxWebhookSize)
	}
}

// countingReader yields left bytes of spaces and counts what was read.
type countingReader struct{ left, read int }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left)
	for i := range p[:n] {
		p[i] = ' '
	}
	r.left -= n
	r.read += n
	return n, nil
}

// TestWebhookSizeLimitOffByOne: MaxWebhookSize bytes are read, one more
// is refused, through both entry points.
func TestWebhookSizeLimitOffByOne(t *testing.T) {
	body := `{"event":"TicketCreated","ticketId":"t"}`
	at := body + strings.Repeat(" ", MaxWebhookSize-len(body))
	over := at + " "
	for name, decode := range map[string]func(string) (Event, error){
		"DecodeWebhook": func(s string) (Event, error) { return DecodeWebhook([]byte(s)) },
		"ReadWebhook":   func(s string) (Event, error) { return ReadWebhook(strings.NewReader(s)) },
	} {
		if e, err := decode(at); err != nil || e.ConversationID != "t" {
			t.Errorf("%s of %d bytes: %v", name, len(at), err)
		}
		var tooLarge *WebhookTooLargeError
		if _, err := decode(over); !errors.As(err, &tooLarge) {
			t.Errorf("%s of %d bytes: %v", name, len(over), err)
		}
	}
}
