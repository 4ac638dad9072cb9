package sync_test

import (
	"context"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Forty new visitors' chats end at once against a Zoho answering in 20 ms: their Contacts and
// Cases go in a few batched calls, and each chat has exactly its own Case, linked to its own
// visitor's Contact (each record's result went back to its own step).
func TestBatchedInsertsMapBackToTheirChats(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithLatency(20*time.Millisecond)))
	const n = 40
	chats := newChats(h, "batch", n)
	h.srv.ResetCalls()
	results := make([]*cxsync.Result, n)
	var wg gosync.WaitGroup
	for i, c := range chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.syncer.Handle(context.Background(), chatEvent(cloudcx.EventChatEnded, c))
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	if inserts := h.srv.CallCount("POST", "/crm/v2/Cases"); inserts >= n/2 {
		t.Errorf("%d Case insert calls for %d chats ending at once: not batched", inserts, n)
	}
	for i, c := range chats {
		cases := h.withMarker("Cases", c)
		contacts := h.records("Contacts", "Email", c.Visitor.Email)
		if len(cases) != 1 || len(contacts) != 1 {
			t.Fatalf("chat %d: %d cases, %d contacts", i, len(cases), len(contacts))
		}
		if results[i] == nil || results[i].Record.ID != cases[0]["id"] || results[i].Person.ID != contacts[0]["id"] {
			t.Fatalf("chat %d: result %+v, case %v, contact %v", i, results[i], cases[0]["id"], contacts[0]["id"])
		}
		if who, _ := cases[0]["Related_To"].(map[string]any); who == nil || who["id"] != contacts[0]["id"] {
			t.Fatalf("chat %d: the Case is linked to %v, not to its visitor's Contact %v", i, cases[0]["Related_To"], contacts[0]["id"])
		}
	}
}

// A batch whose answer is lost after Zoho applied it (every record of it written, no result)
// leaves each chat's step pending; redelivered, each is reconciled by its marker: one Case per
// chat, none twice.
func TestLostBatchAnswerReconciledPerChat(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithLatency(20*time.Millisecond)))
	chats := newChats(h, "lostbatch", 12)
	for _, c := range chats {
		h.handle(chatEvent(cloudcx.EventChatStarted, c)) // the Contacts exist
	}
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Kind: zohotest.FaultDropAfterApply, Times: 3}); err != nil {
		t.Fatal(err)
	}
	var wg gosync.WaitGroup
	for _, c := range chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = h.syncer.Handle(context.Background(), chatEvent(cloudcx.EventChatEnded, c))
		}()
	}
	wg.Wait()
	for _, c := range chats {
		h.handle(chatEvent(cloudcx.EventChatEnded, c))
		if n := len(h.withMarker("Cases", c)); n != 1 {
			t.Fatalf("%s: %d cases", c.ID, n)
		}
	}
}

// newChats makes n chats of new visitors, named after name, known to the host.
func newChats(h *harness, name string, n int) []*cloudcx.Chat {
	chats := make([]*cloudcx.Chat, n)
	for i := range chats {
		chats[i] = chat(fmt.Sprint("c-", name, "-", i), visitor(fmt.Sprint(name, i)))
		h.host.PutChat(chats[i])
	}
	return chats
}
