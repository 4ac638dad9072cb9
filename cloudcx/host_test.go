package cloudcx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
)

func TestMemoryHostLoad(t *testing.T) {
	ctx := t.Context()
	var h MemoryHost // the zero value is ready
	if _, err := h.LoadChat(ctx, "t-1", "chat-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty host: %v", err)
	}
	c := sampleChat()
	h.PutChat(c)
	h.PutChat(nil)
	c.Visitor.Name = "changed after Put"
	got, err := h.LoadChat(ctx, "t-1", "chat-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Visitor.Name != "Jane Doe" {
		t.Errorf("Put did not copy: %q", got.Visitor.Name)
	}
	got.Messages[0].Text = "changed after Load"
	again, _ := h.LoadChat(ctx, "t-1", "chat-1")
	if again.Messages[0].Text != "Hello" {
		t.Error("Load did not copy")
	}
	// Tenants are separate.
	var nf *NotFoundError
	if _, err := h.LoadChat(ctx, "t-2", "chat-1"); !errors.As(err, &nf) || nf.What != "chat" || nf.TenantID != "t-2" {
		t.Errorf("other tenant: %v", err)
	}
	if nf.Error() != "cloudcx: chat chat-1 of tenant t-2 not found" {
		t.Errorf("message %q", nf.Error())
	}

	cv := sampleConversation()
	h.PutConversation(cv)
	h.PutConversation(nil)
	gotCv, err := h.LoadConversation(ctx, "t-1", "conv-1")
	if err != nil || gotCv.State != ConversationResolved || gotCv == cv {
		t.Errorf("LoadConversation: %+v %v", gotCv, err)
	}
	if _, err := h.LoadConversation(ctx, "t-1", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing conversation: %v", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.LoadChat(cancelled, "t-1", "chat-1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled LoadChat: %v", err)
	}
	if _, err := h.LoadConversation(cancelled, "t-1", "conv-1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled LoadConversation: %v", err)
	}
	if _, _, err := h.OpenAttachment(cancelled, "t-1", Attachment{ID: "f1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled OpenAttachment: %v", err)
	}
}

func TestMemoryHostAttachments(t *testing.T) {
	ctx := t.Context()
	h := &MemoryHost{}
	data := []byte("%PDF-1.7")
	h.PutAttachment("t-1", "f1", data, "application/pdf")
	h.PutAttachment("t-1", "https://files.example/x", []byte("png"), "")
	data[0] = 'X' // Put copied

	tests := []struct {
		name   string
		tenant string
		a      Attachment
		body   string
		info   AttachmentInfo
		err    error
	}{
		{"by id", "t-1", Attachment{ID: "f1", URL: "https://files.example/x"}, "%PDF-1.7", AttachmentInfo{Size: 8, ContentType: "application/pdf"}, nil},
		{"by url, type from the attachment", "t-1", Attachment{ID: "zz", URL: "https://files.example/x", MIMEType: "image/png"}, "png", AttachmentInfo{Size: 3, ContentType: "image/png"}, nil},
		{"other tenant", "t-2", Attachment{ID: "f1"}, "", AttachmentInfo{}, ErrNotFound},
		{"no key", "t-1", Attachment{Name: "f1"}, "", AttachmentInfo{}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, info, err := h.OpenAttachment(ctx, tt.tenant, tt.a)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			if string(b) != tt.body || info != tt.info {
				t.Errorf("got %q %+v, want %q %+v", b, info, tt.body, tt.info)
			}
		})
	}
}

// TestMemoryHostConcurrent is meant for -race.
func TestMemoryHostConcurrent(t *testing.T) {
	ctx := t.Context()
	h := &MemoryHost{}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				id := fmt.Sprint(i, "-", j)
				c := sampleChat()
				c.ID = id
				h.PutChat(c)
				cv := sampleConversation()
				cv.ID = id
				h.PutConversation(cv)
				h.PutAttachment("t-1", id, []byte(id), "text/plain")
				if _, err := h.LoadChat(ctx, "t-1", id); err != nil {
					t.Error(err)
				}
				if _, err := h.LoadConversation(ctx, "t-1", id); err != nil {
					t.Error(err)
				}
				rc, _, err := h.OpenAttachment(ctx, "t-1", Attachment{ID: id})
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, rc)
				_ = rc.Close()
			}
		}()
	}
	wg.Wait()
}
