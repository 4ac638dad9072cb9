package cloudcx

// Adversarial review of issue 12 (branch review12): each test fails on main at the time of the
// review and names the item it attacks.

import (
	"errors"
	"testing"
	"time"
)

// Item 16: ids with NUL or bidi overrides must be refused by Validate and DecodeWebhook. Only the
// Event's own id fields are checked: Chat.Validate (which sync's loader path calls on every
// chat it loads) accepts a chat whose id, tenant id or visitor id holds them, and a Comm100-style
// webhook whose chat names its visitor by "visitor_id" passes DecodeWebhook with a bidi override
// in Chat.Visitor.ID.
func TestReview12InvisibleIDsInsideChatsAreRefused(t *testing.T) {
	base := func() *Chat {
		return &Chat{Thread: Thread{ID: "c1", TenantID: "t1", Channel: ChannelWebChat, StartedAt: time.Unix(1700000000, 0), Status: StatusNormal, Visitor: Visitor{ID: "v1"}}}
	}
	for name, mutate := range map[string]func(*Chat){
		"chat id with a bidi override": func(c *Chat) { c.ID = "c\u202e1" },
		"tenant id with a NUL":         func(c *Chat) { c.TenantID = "t\x001" },
		"visitor id with a NUL":        func(c *Chat) { c.Visitor.ID = "v\x001" },
	} {
		c := base()
		mutate(c)
		var ve *ValidationError
		if err := c.Validate(); !errors.As(err, &ve) {
			t.Errorf("Chat.Validate, %s: %v, want a *ValidationError", name, err)
		}
	}
	e, err := DecodeWebhook([]byte(`{"event":"chat_ended","chat":{"id":"c1","visitor_id":"v\u202e1"}}`))
	var mal *MalformedWebhookError
	if !errors.As(err, &mal) {
		visitor := ""
		if e.Chat != nil {
			visitor = e.Chat.Visitor.ID
		}
		t.Errorf("DecodeWebhook accepted a chat whose visitor id is %+q (err %v)", visitor, err)
	}
}
