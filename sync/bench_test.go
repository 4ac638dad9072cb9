package sync_test

import (
	"fmt"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
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

// BenchmarkThroughputAtLoad runs b.N new visitors' chats through one Syncer, inflight of them at
// once, against an org with Zoho's Standard concurrency limit (C = 10 simultaneous calls) and
// L = 50 ms per call, and reports chats/s, the share of the ceiling C/L used (achieved calls/s ÷
// 200/s), the share of the org's slots held (time the fake spent on API calls ÷ C × elapsed: the
// fake's own work on a call comes on top of L, so this is how full sync keeps the slots), the
// 429s the fake answered (the client must never exceed C), and the Case insert calls per chat
// (adaptive batching: Cases ready at once go in one call; target ≤ 0.3), with batching off
// (batch=1) and on (batch=100, the default); with batching, more chats in flight make bigger
// batches (fewer calls per chat) and keep the slots fuller.
func BenchmarkThroughputAtLoad(b *testing.B) {
	for _, r := range []struct{ batch, inflight int }{{1, 100}, {cxsync.DefaultMaxBatch, 100}, {cxsync.DefaultMaxBatch, 400}} {
		b.Run(fmt.Sprintf("batch=%d/inflight=%d", r.batch, r.inflight), func(b *testing.B) { throughputAtLoad(b, r.batch, r.inflight) })
	}
}

func throughputAtLoad(b *testing.B, maxBatch, inflight int) {
	const latency = 50 * time.Millisecond
	h := newHarness(b, withFake(zohotest.WithLatency(latency)), withConfig(func(c *cxsync.Config) { c.MaxBatch = maxBatch }))
	org, err := h.srv.AddOrg(zohotest.OrgConfig{Name: "Load", Edition: zohotest.EditionStandard,
		Users: []zohotest.User{{Email: "anna.kingsley@zylker.example", FirstName: "Anna", LastName: "Kingsley"}}})
	if err != nil {
		b.Fatal(err)
	}
	h.connect("load", org)
	h.settings("load", rules.DefaultSettings())
	limit := zoho.EditionConcurrency(zohotest.EditionStandard)
	chats := make([]*cloudcx.Chat, b.N)
	for i := range chats {
		c := chat(fmt.Sprint("load-", i), visitor(fmt.Sprint("load", i)))
		c.TenantID = "load"
		h.host.PutChat(c)
		chats[i] = c
	}
	// Warm the owner cache and the token.
	warm := chat("load-warm", visitor("load-warm"))
	warm.TenantID = "load"
	h.host.PutChat(warm)
	if _, err := h.syncer.Handle(b.Context(), chatEvent(cloudcx.EventChatEnded, warm)); err != nil {
		b.Fatal(err)
	}
	h.srv.ResetCalls()
	var calls atomic.Int64
	work := make(chan *cloudcx.Chat)
	var wg gosync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range inflight { // more chats in flight than Zoho takes calls: the client queues them
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				res, err := h.syncer.Handle(b.Context(), chatEvent(cloudcx.EventChatEnded, c))
				if err != nil {
					b.Error(err)
					return
				}
				calls.Add(int64(res.Calls))
			}
		}()
	}
	for _, c := range chats {
		work <- c
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	tooMany := 0
	var held time.Duration // how long the org's slots were held, at the fake
	for _, c := range h.srv.Calls() {
		if c.Status == 429 {
			tooMany++
		}
		if !strings.HasPrefix(c.Path, "/oauth/") {
			held += c.Duration
		}
	}
	// Counted at the fake: a batched insert is one call for all its chats.
	apiCalls := h.srv.CallCount("", "") - h.srv.CallCount("", "/oauth/v2/*")
	calls.Store(int64(apiCalls))
	recordInserts := h.srv.CallCount("POST", "/crm/v2/Cases")
	ceiling := float64(limit) / latency.Seconds()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "chats/s")
	b.ReportMetric(float64(calls.Load())/elapsed.Seconds()/ceiling, "ceiling-used")
	b.ReportMetric(held.Seconds()/elapsed.Seconds()/float64(limit), "slots-used")
	b.ReportMetric(float64(tooMany), "429s")
	b.ReportMetric(float64(calls.Load())/float64(b.N), "calls/chat")
	b.ReportMetric(float64(recordInserts)/float64(b.N), "case-inserts/chat")
}
