package sync_test

import (
	"fmt"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
)

// BenchmarkCallsPerChat reports the Zoho API calls (credits) one ended chat costs, per flow:
// Sales (Lead + Task) and Support (Contact + Case), a new or a returning visitor, with or
// without an attachment. The owner cache is warm (one chat is handled before the timer starts).
func BenchmarkCallsPerChat(b *testing.B) {
	for _, action := range []rules.Action{rules.Support, rules.Sales} {
		for _, returning := range []bool{false, true} {
			for _, withFile := range []bool{false, true} {
				name := fmt.Sprintf("%s/returning=%t/attachment=%t", action, returning, withFile)
				b.Run(name, func(b *testing.B) {
					h := newHarness(b)
					st := rules.DefaultSettings()
					st.Sections.WebChat.Action = action
					if err := h.syncer.SaveSettings(b.Context(), "t1", st); err != nil {
						b.Fatal(err)
					}
					warm := chat("warm", visitor("warm"))
					h.host.PutChat(warm)
					if _, err := h.syncer.Handle(b.Context(), chatEvent(cloudcx.EventChatEnded, warm)); err != nil {
						b.Fatal(err)
					}
					calls := 0
					b.ResetTimer()
					for i := range b.N {
						v := visitor(fmt.Sprint("b", i))
						if returning {
							v = visitor("warm")
						}
						c := chat(fmt.Sprint("bench", i), v)
						if withFile {
							key := fmt.Sprint("file", i)
							c.Attachments = []cloudcx.Attachment{{ID: key, Name: "photo.png", MIMEType: "image/png"}}
							h.host.PutAttachment("t1", key, []byte("PNG"), "image/png")
						}
						h.host.PutChat(c)
						res, err := h.syncer.Handle(b.Context(), chatEvent(cloudcx.EventChatEnded, c))
						if err != nil {
							b.Fatal(err)
						}
						calls += res.Calls
					}
					b.ReportMetric(float64(calls)/float64(b.N), "calls/chat")
				})
			}
		}
	}
}
