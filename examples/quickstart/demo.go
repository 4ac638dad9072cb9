package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
)

// demo plays the events and reports what they did.
type demo struct {
	ctx    context.Context
	out    io.Writer
	syncer *cxsync.Syncer
	host   *cloudcx.MemoryHost
	e      *env
	cases  []string // ids of the Cases created, for the report
	// created lists every record the events created, by module, for the report on a real Zoho.
	created map[string][]string
	calls   int // Zoho API calls made by Handle
	events  int
}

var (
	day   = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	anna  = cloudcx.Agent{ID: "a-anna", Name: "Anna Kingsley", Email: "anna.kingsley@zylker.example"}
	guest = cloudcx.Agent{ID: "a-guest", Name: "Sam Temp", Email: "sam.temp@agency.example"} // not a Zoho user
	ada   = cloudcx.Visitor{ID: "v-ada", Name: "Ada Lovelace", Email: "ada@analytical.example", Phone: "+44 20 7946 0001", Company: "Analytical Engines"}
	grace = cloudcx.Visitor{ID: "v-grace", Name: "Grace Hopper", Email: "grace@navy.example", Phone: "+1 202 555 0199"}
	linus = cloudcx.Visitor{ID: "v-linus", Name: "Linus Torvalds", Email: "linus@kernel.example"}
	edsg  = cloudcx.Visitor{ID: "v-edsger", Name: "Edsger Dijkstra", Email: "edsger@structured.example", Phone: "+31 20 555 0100"}
	alan  = cloudcx.Visitor{ID: "v-alan", FirstName: "Alan", LastName: "Turing", Email: "alan@bletchley.example", CellPhone: "+44 7700 900123"}
)

// chat builds an ended Web Chat of the tenant.
func chat(id string, v cloudcx.Visitor, a cloudcx.Agent, start time.Time, lines ...string) *cloudcx.Chat {
	c := &cloudcx.Chat{Thread: cloudcx.Thread{ID: id, TenantID: tenant, Channel: cloudcx.ChannelWebChat, Visitor: v,
		Agents: []cloudcx.Agent{a}, StartedAt: start, Status: cloudcx.StatusNormal}}
	for i, l := range lines {
		m := cloudcx.Message{ID: fmt.Sprintf("%s-m%d", id, i+1), SentAt: start.Add(time.Duration(i) * 30 * time.Second), Text: l,
			SenderKind: cloudcx.SenderVisitor, SenderName: v.DisplayName()}
		if i%2 == 1 {
			m.SenderKind, m.SenderID, m.SenderName = cloudcx.SenderAgent, a.ID, a.Name
		}
		c.Messages = append(c.Messages, m)
	}
	c.EndedAt = start.Add(time.Duration(len(lines)) * 30 * time.Second)
	return c
}

func (d *demo) play() error {
	// A new visitor: the chat starts (→ Contact), then ends (→ Case with the transcript).
	c1 := chat("c-1001", ada, anna, day, "Hello, my order #4711 has not arrived.", "Sorry to hear that, Ada. Let me check.", "Thank you!", "It ships tomorrow.")
	d.host.PutChat(c1)
	if err := d.webhook("new visitor: chat starts", `{"event":"LiveChatSessionChatting","sessionId":"c-1001","visitorId":"v-ada"}`); err != nil {
		return err
	}
	if err := d.webhook("new visitor: chat ends", `{"event":"LiveChatSessionEnd","sessionId":"c-1001","visitorId":"v-ada"}`); err != nil {
		return err
	}
	if err := d.webhook("the same webhook delivered again", `{"event":"LiveChatSessionEnd","sessionId":"c-1001","visitorId":"v-ada"}`); err != nil {
		return err
	}

	// The returning visitor: nothing changed, the person costs nothing.
	d.host.PutChat(chat("c-1002", ada, anna, day.Add(24*time.Hour), "Hi again, it arrived. Thanks!", "Great, have a nice day."))
	if err := d.webhook("returning visitor: chat ends", `{"event":"LiveChatSessionEnd","sessionId":"c-1002","visitorId":"v-ada"}`); err != nil {
		return err
	}

	// Attachments: each uploaded to the Case once. The agent is not a Zoho user: the user who
	// connected the tenant owns the records.
	c3 := chat("c-1003", grace, guest, day.Add(2*time.Hour), "The invoice total looks wrong, see attached.", "Thanks, I will look at it.")
	c3.Messages[0].Attachments = []cloudcx.Attachment{
		{ID: "f-1", Name: "invoice-0042.pdf", MIMEType: "application/pdf", Size: 2048},
		{ID: "f-2", Name: "screenshot.png", MIMEType: "image/png", Size: 1024},
	}
	d.host.PutAttachment(tenant, "f-1", []byte(strings.Repeat("%PDF-1.7 demo ", 146)), "application/pdf")
	d.host.PutAttachment(tenant, "f-2", []byte(strings.Repeat("\x89PNG demo", 114)), "image/png")
	d.host.PutChat(c3)
	if err := d.webhook("chat with two attachments ends", `{"event":"LiveChatSessionEnd","sessionId":"c-1003","visitorId":"v-grace"}`); err != nil {
		return err
	}

	// An offline message: the person and the Case at once.
	om := &cloudcx.Chat{Thread: cloudcx.Thread{ID: "om-2001", TenantID: tenant, Channel: cloudcx.ChannelOfflineMessage, Visitor: linus,
		StartedAt: day.Add(20 * time.Hour), EndedAt: day.Add(20 * time.Hour), Status: cloudcx.StatusOfflineMessage,
		Messages: []cloudcx.Message{{ID: "om-2001-m1", SentAt: day.Add(20 * time.Hour), SenderKind: cloudcx.SenderVisitor, SenderName: linus.Name, Text: "Please call me back about the enterprise plan."}}}}
	d.host.PutChat(om)
	if err := d.webhook("offline message", `{"event":"OfflineMessageSubmit","offlineMessageId":"om-2001","visitorId":"v-linus"}`); err != nil {
		return err
	}

	// A very long chat: the description keeps within Zoho's 32,000 characters, and the whole
	// transcript is attached.
	long := make([]string, 12000)
	for i := range long {
		long[i] = fmt.Sprintf("Message %d of a very long conversation about an integration.", i+1)
	}
	d.host.PutChat(chat("c-1004", ada, anna, day.Add(48*time.Hour), long...))
	if err := d.webhook("a 12,000-message chat ends", `{"event":"LiveChatSessionEnd","sessionId":"c-1004","visitorId":"v-ada"}`); err != nil {
		return err
	}

	// A visitor whose Contact exists with empty fields: only the empty ones are filled.
	if d.e.org != nil {
		if _, err := d.e.org.Seed("Contacts", map[string]any{"Last_Name": "Dijkstra", "First_Name": "Edsger", "Email": "edsger@structured.example"}); err != nil {
			return err
		}
	}
	d.host.PutChat(chat("c-1005", edsg, anna, day.Add(50*time.Hour), "Is there a discount for universities?", "Yes, 40%."))
	if err := d.webhook("existing Contact with an empty Phone: chat ends", `{"event":"LiveChatSessionEnd","sessionId":"c-1005","visitorId":"v-edsger"}`); err != nil {
		return err
	}

	// A wrap-up submitted after the chat ended: the same Case is updated.
	c1.WrapUp = &cloudcx.WrapUp{Categories: []string{"Shipping"}, Comment: "Order re-sent with express delivery."}
	d.host.PutChat(c1)
	if err := d.webhook("wrap-up after the end", `{"event":"ChatWrapUpSubmitted","wrapUpId":"w-1","sessionId":"c-1001","category":["Shipping"],"comment":"Order re-sent with express delivery."}`); err != nil {
		return err
	}

	// An Inbox conversation (Sales): started (→ Lead), resolved (→ Task), reopened, resolved
	// again (→ the same Task updated).
	conv := &cloudcx.Conversation{Thread: cloudcx.Thread{ID: "t-3001", TenantID: tenant, Channel: cloudcx.ChannelEmail, Subject: "Pricing for 50 seats",
		Visitor: alan, Agents: []cloudcx.Agent{anna}, StartedAt: day.Add(3 * time.Hour),
		Messages: []cloudcx.Message{{ID: "t-3001-m1", SentAt: day.Add(3 * time.Hour), SenderKind: cloudcx.SenderVisitor, SenderName: "Alan Turing", Text: "What would 50 seats cost?"}}},
		State: cloudcx.ConversationOpen}
	d.host.PutConversation(conv)
	if err := d.webhook("conversation starts", `{"event":"TicketCreated","ticketId":"t-3001"}`); err != nil {
		return err
	}
	conv.Messages = append(conv.Messages, cloudcx.Message{ID: "t-3001-m2", SentAt: day.Add(4 * time.Hour), SenderKind: cloudcx.SenderAgent, SenderID: anna.ID, SenderName: anna.Name, Text: "50 seats are 2,500 a month."})
	conv.State, conv.EndedAt = cloudcx.ConversationResolved, day.Add(4*time.Hour)
	d.host.PutConversation(conv)
	if err := d.webhook("conversation resolved", `{"event":"TicketStatusChanged","ticketId":"t-3001","beforeTicketStatus":"Open","afterTicketStatus":"Resolved","eventTime":"2026-06-01T13:00:00Z"}`); err != nil {
		return err
	}
	if err := d.webhook("conversation reopened", `{"event":"TicketStatusChanged","ticketId":"t-3001","beforeTicketStatus":"Resolved","afterTicketStatus":"Open","eventTime":"2026-06-02T08:00:00Z"}`); err != nil {
		return err
	}
	conv.Messages = append(conv.Messages,
		cloudcx.Message{ID: "t-3001-m3", SentAt: day.Add(24 * time.Hour), SenderKind: cloudcx.SenderVisitor, SenderName: "Alan Turing", Text: "And with annual billing?"},
		cloudcx.Message{ID: "t-3001-m4", SentAt: day.Add(25 * time.Hour), SenderKind: cloudcx.SenderAgent, SenderID: anna.ID, SenderName: anna.Name, Text: "Two months free."})
	conv.EndedAt = day.Add(25 * time.Hour)
	d.host.PutConversation(conv)
	return d.webhook("conversation resolved again", `{"event":"TicketStatusChanged","ticketId":"t-3001","beforeTicketStatus":"Open","afterTicketStatus":"Resolved","eventTime":"2026-06-02T10:00:00Z"}`)
}

// webhook decodes a webhook body as the host's endpoint does, sets the tenant (the URL names it;
// the body does not) and hands the event to the Syncer.
func (d *demo) webhook(what, body string) error {
	ev, err := cloudcx.DecodeWebhook([]byte(body))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ev.SetTenant(tenant)
	res, err := d.syncer.Handle(d.ctx, ev)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var parts []string
	if res.Skipped != "" {
		parts = append(parts, "nothing to do ("+res.Skipped+")")
	}
	for _, r := range []*cxsync.RecordResult{res.Person, res.Account, res.Record} {
		if r != nil {
			parts = append(parts, fmt.Sprintf("%s %s %s", r.Module, r.ID, r.Outcome))
		}
	}
	if res.Record != nil && res.Record.Module == "Cases" && res.Record.Outcome == cxsync.Created {
		d.cases = append(d.cases, res.Record.ID)
	}
	for _, r := range []*cxsync.RecordResult{res.Person, res.Record} {
		if r != nil && r.Outcome == cxsync.Created {
			if d.created == nil {
				d.created = map[string][]string{}
			}
			d.created[r.Module] = append(d.created[r.Module], r.ID)
		}
	}
	uploaded := 0
	for _, a := range res.Attachments {
		if a.Uploaded && a.ID != "" {
			uploaded++
		}
	}
	if uploaded > 0 {
		parts = append(parts, fmt.Sprintf("%d files uploaded", uploaded))
	}
	if res.Owner != nil && res.Record != nil && res.Record.Outcome == cxsync.Created {
		parts = append(parts, "owner "+res.Owner.Email)
	}
	d.calls += res.Calls
	d.events++
	fmt.Fprintf(d.out, "   %-48s %d API calls: %s\n", what, res.Calls, strings.Join(parts, "; "))
	return nil
}

// report prints what the fake Zoho holds now.
func (d *demo) report() {
	org := d.e.org
	fmt.Fprintln(d.out, "4. In Zoho now:")
	for _, module := range []string{"Contacts", "Leads", "Cases", "Tasks"} {
		recs := org.Records(module)
		sort.Slice(recs, func(i, j int) bool { return fmt.Sprint(recs[i]["id"]) < fmt.Sprint(recs[j]["id"]) })
		fmt.Fprintf(d.out, "   %s (%d):\n", module, len(recs))
		for _, r := range recs {
			name := text(r["Full_Name"])
			if name == "" {
				name = text(r["Subject"])
			}
			extra := ""
			if module == "Contacts" || module == "Leads" {
				extra = fmt.Sprintf(" <%s> phone %q", text(r["Email"]), text(r["Phone"]))
			}
			var files []string
			for _, a := range org.Attachments(module, text(r["id"])) {
				files = append(files, fmt.Sprintf("%s (%d bytes)", a.FileName, len(a.Data)))
			}
			if len(files) > 0 {
				extra += ", attached: " + strings.Join(files, ", ")
			}
			fmt.Fprintf(d.out, "     %s %-60s owner %s%s\n", text(r["id"]), name, lookupName(r["Owner"]), extra)
		}
	}
	if len(d.cases) > 0 {
		r, _ := org.Record("Cases", d.cases[0])
		fmt.Fprintf(d.out, "5. The description of Case %s, as Zoho shows it:\n", d.cases[0])
		for _, l := range strings.Split(text(r["Description"]), "\n") {
			fmt.Fprintln(d.out, "   | "+l)
		}
	}
}

func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func lookupName(v any) string {
	if m, ok := v.(map[string]any); ok {
		return text(m["name"])
	}
	return ""
}

// reportFrom prints what the events created, read back from Zoho through the client (a real Zoho:
// the org's other records are not listed).
func (d *demo) reportFrom(client *zoho.Client) error {
	fmt.Fprintln(d.out, "4. Created in Zoho (read back):")
	for _, module := range []string{"Contacts", "Leads", "Cases", "Tasks"} {
		for _, id := range d.created[module] {
			r, _, err := client.Records.Get(d.ctx, module, id)
			if err != nil {
				return fmt.Errorf("reading %s %s: %w", module, id, err)
			}
			name := r.Text("Full_Name")
			if name == "" {
				name = r.Text("Subject")
			}
			owner, _ := r.Lookup("Owner")
			files, _, err := client.Attachments.List(d.ctx, module, id, nil)
			if err != nil {
				return fmt.Errorf("listing the attachments of %s %s: %w", module, id, err)
			}
			fmt.Fprintf(d.out, "   %s %s %q owner %s, %d attachments\n", module, id, name, owner.Name, len(files))
		}
	}
	if len(d.cases) > 0 {
		r, _, err := client.Records.Get(d.ctx, "Cases", d.cases[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(d.out, "5. The description of Case %s:\n", d.cases[0])
		for _, l := range strings.Split(r.Text("Description"), "\n") {
			fmt.Fprintln(d.out, "   | "+l)
		}
	}
	return nil
}
