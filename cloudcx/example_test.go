package cloudcx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
)

// A host builds a chat from its own data and prints its transcript in the
// tenant's time zone.
func ExampleWriteTranscript() {
	start := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	chat := &cloudcx.Chat{}
	chat.ID = "c-1001"
	chat.TenantID = "tenant-7"
	chat.Channel = cloudcx.ChannelWebChat
	chat.StartedAt = start
	chat.EndedAt = start.Add(3 * time.Minute)
	chat.Visitor = cloudcx.Visitor{ID: "v-1", FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}
	chat.Agents = []cloudcx.Agent{{ID: "bot", Name: "Ava", IsBot: true}, {ID: "a-1", Name: "Sam", Email: "sam@example.com"}}
	chat.Messages = []cloudcx.Message{
		{SentAt: start, SenderKind: cloudcx.SenderVisitor, SenderName: chat.Visitor.DisplayName(), Text: "My order #42 has not arrived."},
		{SentAt: start.Add(5 * time.Second), SenderKind: cloudcx.SenderBot, SenderID: "bot", SenderName: "Ava", Text: "Let me find an agent."},
		{SentAt: start.Add(40 * time.Second), SenderKind: cloudcx.SenderAgent, SenderID: "a-1", SenderName: "Sam",
			HTML: `<p>Sorry, Jane!</p><p>Track it <a href="https://shop.example/t/42">here</a>.</p>`},
		{SentAt: start.Add(50 * time.Second), SenderKind: cloudcx.SenderAgent, SenderID: "a-1", SenderName: "Sam",
			Text: "Carrier lost it; reship.", InternalNote: true},
		{SentAt: start.Add(3 * time.Minute), SenderKind: cloudcx.SenderSystem, Text: "The chat is ended."},
	}
	if err := chat.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	owner, _ := chat.LastAgent()
	fmt.Println("owner:", owner.Email)

	paris := time.FixedZone("CET", 3600)
	err := cloudcx.WriteTranscript(os.Stdout, chat.Messages, cloudcx.TranscriptOptions{Location: paris, TimeLayout: "15:04:05"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// owner: sam@example.com
	// [10:30:00] Jane Doe: My order #42 has not arrived.
	// [10:30:05] Ava (bot): Let me find an agent.
	// [10:30:40] Sam: Sorry, Jane!
	//   Track it here (https://shop.example/t/42).
	// [10:30:50] Sam (internal note): Carrier lost it; reship.
	// [10:33:00] System: The chat is ended.
}

func ExampleHTMLToText() {
	fmt.Println(cloudcx.HTMLToText(`<div>Hi &amp; welcome!<br>See:<ul><li><a href="https://x.example/faq">FAQ</a></li><li>Email</li></ul></div><script>track()</script>`))
	// Output:
	// Hi & welcome!
	// See:
	// - FAQ (https://x.example/faq)
	// - Email
}

func ExampleDecodeWebhook() {
	body := []byte(`{"event":"LiveChatSessionEnd","planId":"p-9","sessionId":"s-123","visitorId":"v-5"}`)
	e, err := cloudcx.DecodeWebhook(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	e.SetTenant("tenant-7") // the host knows it from where the webhook arrived
	fmt.Println(e.Kind, e.ChatID, e.EventID, e.Validate() == nil)

	_, err = cloudcx.DecodeWebhook([]byte(`{"event":"TicketAgentReply","ticketId":"t","messageId":"m"}`))
	var ignored *cloudcx.IgnoredEventError
	fmt.Println(errors.As(err, &ignored))
	// Output:
	// chat_ended s-123 LiveChatSessionEnd:s-123 true
	// true
}

func ExampleComm100Decoder_Chat() {
	data := []byte(`"chat": {
		"id": 1098, "name": "Allon", "email": "allon@comm100.com", "agents": "henry",
		"start_time": "/Date(1358453897)/", "end_time": "/Date(1358455857)/",
		"chat_transcript": "Agent henry has joined the chat.⊙[20:18:20] henry: Hi Allon!⊙[20:18:31] Allon: Hello,⊙",
		"custom_variable": [{"name": "plan", "value": "gold"}],
	}`)
	c, err := cloudcx.Comm100Decoder{}.Chat(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.ID, c.Visitor.Name, c.StartedAt, c.CustomVariables)
	_ = c.WriteTranscript(os.Stdout, cloudcx.TranscriptOptions{TimeLayout: time.TimeOnly})
	// Output:
	// 1098 Allon 2013-01-17 20:18:17 +0000 UTC [{plan gold}]
	// [-] System: Agent henry has joined the chat.
	// [20:18:20] henry: Hi Allon!
	// [20:18:31] Allon: Hello,
}

func ExampleMemoryHost() {
	ctx := context.Background()
	var host cloudcx.MemoryHost
	chat := &cloudcx.Chat{}
	chat.ID, chat.TenantID = "c-1", "tenant-7"
	chat.Messages = []cloudcx.Message{{SenderKind: cloudcx.SenderVisitor,
		Attachments: []cloudcx.Attachment{{ID: "f-1", Name: "receipt.txt"}}}}
	host.PutChat(chat)
	host.PutAttachment("tenant-7", "f-1", []byte("paid: 42 EUR"), "text/plain")

	// What the sync package does through the seams:
	var loader cloudcx.Loader = &host
	var opener cloudcx.AttachmentOpener = &host
	got, _ := loader.LoadChat(ctx, "tenant-7", "c-1")
	for _, a := range got.AllAttachments() {
		rc, info, err := opener.OpenAttachment(ctx, "tenant-7", a)
		if err != nil {
			fmt.Println(err)
			continue
		}
		b, _ := io.ReadAll(rc)
		_ = rc.Close()
		fmt.Println(a.Name, info.Size, info.ContentType, string(b))
	}
	_, err := loader.LoadChat(ctx, "tenant-8", "c-1")
	fmt.Println(errors.Is(err, cloudcx.ErrNotFound))
	// Output:
	// receipt.txt 12 text/plain paid: 42 EUR
	// true
}

func ExampleThread_LastAgent() {
	var c cloudcx.Conversation
	c.Agents = []cloudcx.Agent{{ID: "a-1", Name: "Sam"}, {ID: "a-2", Name: "Kim"}}
	c.Messages = []cloudcx.Message{
		{SenderKind: cloudcx.SenderAgent, SenderID: "a-1", Text: "Hello"},
		{SenderKind: cloudcx.SenderAgent, SenderID: "a-2", Text: "I took over from Sam"},
		{SenderKind: cloudcx.SenderContact, Text: "Thanks"},
	}
	last, ok := c.LastAgent()
	fmt.Println(last.Name, ok, len(c.HumanAgents()))
	// Output: Kim true 2
}

func ExampleVisitor_PhoneFor() {
	v := cloudcx.Visitor{Phone: "+1 555 0100", CellPhone: "+1 555 0199"}
	fmt.Println(v.PhoneFor(cloudcx.SectionWebChat), v.PhoneFor(cloudcx.SectionInbox))
	// Output: +1 555 0100 +1 555 0199
}

func ExampleChat_Validate() {
	var c cloudcx.Chat
	c.Messages = []cloudcx.Message{{SenderKind: "alien"}}
	err := c.Validate()
	var ve *cloudcx.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// id: missing
	// tenant_id: missing
	// channel: missing
	// started_at: missing
	// messages[0].sender_kind: unknown sender kind "alien"
}
