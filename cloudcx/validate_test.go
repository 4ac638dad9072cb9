package cloudcx

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func problemFields(err error) []string {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.Field)
	}
	return out
}

func TestChatValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Chat)
		want   []string // fields at fault, in order
	}{
		{name: "valid", change: func(c *Chat) {}},
		{name: "unknown channel is fine", change: func(c *Chat) { c.Channel = "securemessaging" }},
		{name: "empty status means normal", change: func(c *Chat) { c.Status = "" }},
		{name: "everything wrong at once", change: func(c *Chat) {
			c.ID, c.TenantID, c.Channel = "", " ", ""
			c.StartedAt = time.Time{}
			c.Status = "lost"
			c.Agents = append(c.Agents, Agent{})
			c.Messages[0].SenderKind = "alien"
			c.Messages[3].Attachments[0] = Attachment{Name: "x", Size: -1}
			c.Attachments[0].ID, c.Attachments[0].URL = "", ""
			c.Notes[0].Text = ""
			c.WrapUp.Fields[0].Name = ""
			c.CustomFields[1].Name = ""
			c.CustomVariables[0].Name = ""
			c.Visitor.CustomFields[0].Name = ""
			c.Visitor.CustomVariables[0].Name = ""
			c.Rating.Score = 6
			c.Rating.Fields[0].Name = ""
		}, want: []string{"id", "tenant_id", "channel", "started_at", "status",
			"visitor.custom_fields[0].name", "visitor.custom_variables[0].name", "agents[3]",
			"messages[0].sender_kind", "messages[3].attachments[0]", "messages[3].attachments[0].size",
			"attachments[0]", "notes[0].text", "wrap_up.fields[0].name", "custom_fields[1].name",
			"custom_variables[0].name", "rating.score", "rating.fields[0].name"}},
		{name: "ended before started", change: func(c *Chat) { c.EndedAt = c.StartedAt.Add(-time.Second) }, want: []string{"ended_at"}},
		{name: "offline message status", change: func(c *Chat) { c.Channel = ChannelOfflineMessage }, want: []string{"status"}},
		{name: "negative score", change: func(c *Chat) { c.Rating.Score = -1 }, want: []string{"rating.score"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleChat()
			tt.change(c)
			err := c.Validate()
			got := problemFields(err)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("problems %q, want %q (err %v)", got, tt.want, err)
			}
			if len(tt.want) == 0 && err != nil {
				t.Errorf("unexpected error %v", err)
			}
		})
	}
}

func TestValidationErrorParts(t *testing.T) {
	c := sampleChat()
	c.ID, c.TenantID = "", ""
	err := c.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("not a *ValidationError: %T", err)
	}
	if len(ve.Problems) != 2 || ve.What != "chat" {
		t.Fatalf("problems %+v", ve.Problems)
	}
	if want := "cloudcx: invalid chat: id: missing; tenant_id: missing"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "id" {
		t.Errorf("errors.As FieldError = %+v", fe)
	}
	if parts := ve.Unwrap(); len(parts) != 2 || parts[1].Error() != "tenant_id: missing" {
		t.Errorf("Unwrap = %v", parts)
	}
	if (&FieldError{Problem: "p"}).Error() != "p" {
		t.Error("FieldError without field")
	}
	if err := (*Chat)(nil).Validate(); err == nil {
		t.Error("nil chat is valid")
	}
	if err := (*Conversation)(nil).Validate(); err == nil {
		t.Error("nil conversation is valid")
	}
}

func TestConversationValidate(t *testing.T) {
	c := sampleConversation()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.State = "archived"
	if got := problemFields(c.Validate()); strings.Join(got, ",") != "state" {
		t.Errorf("problems %q", got)
	}
}
