package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
)

// generateEvents writes n ended chats and resolved conversations of a few hundred visitors, one
// event a line with its chat or conversation, as a history export would look.
func generateEvents(path, tenant string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	start := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	visitors := max(n/25, 1)
	for i := range n {
		v := i % visitors
		vis := cloudcx.Visitor{ID: fmt.Sprintf("v-%05d", v), Name: fmt.Sprintf("Visitor %05d", v), Email: fmt.Sprintf("visitor%05d@example.org", v)}
		at := start.Add(time.Duration(i) * 7 * time.Minute)
		th := cloudcx.Thread{TenantID: tenant, Visitor: vis, StartedAt: at, EndedAt: at.Add(5 * time.Minute),
			Messages: []cloudcx.Message{
				{ID: "m1", SentAt: at, SenderKind: cloudcx.SenderVisitor, SenderName: vis.Name, Text: "Hello, a question about my order."},
				{ID: "m2", SentAt: at.Add(time.Minute), SenderKind: cloudcx.SenderAgent, SenderName: "Anna Kingsley", Text: "Happy to help."},
			}}
		var ev cloudcx.Event
		if i%4 == 3 {
			th.ID, th.Channel = fmt.Sprintf("t-%06d", i), cloudcx.ChannelEmail
			conv := &cloudcx.Conversation{Thread: th, State: cloudcx.ConversationResolved}
			ev = cloudcx.Event{Kind: cloudcx.EventConversationResolved, EventID: "resolved:" + th.ID, ConversationID: th.ID, Conversation: conv, OccurredAt: th.EndedAt}
		} else {
			th.ID, th.Channel, th.Status = fmt.Sprintf("c-%06d", i), cloudcx.ChannelWebChat, cloudcx.StatusNormal
			ev = cloudcx.Event{Kind: cloudcx.EventChatEnded, EventID: "ended:" + th.ID, ChatID: th.ID, Chat: &cloudcx.Chat{Thread: th}, OccurredAt: th.EndedAt}
		}
		if err := enc.Encode(ev); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
