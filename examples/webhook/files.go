package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudcx/cxzoho/cloudcx"
)

// fileHost is the example's chat loader: CloudCX's data as JSON files in a directory, one
// folder per tenant:
//
//	<dir>/<tenant>/chats/<chat id>.json                  a cloudcx.Chat
//	<dir>/<tenant>/conversations/<conversation id>.json  a cloudcx.Conversation
//	<dir>/<tenant>/files/<attachment id>                 an attachment's bytes
//
// A real host loads them from CloudCX's API or its own database.
type fileHost struct{ dir string }

var (
	_ cloudcx.Loader           = fileHost{}
	_ cloudcx.AttachmentOpener = fileHost{}
)

// path joins a tenant and an id under dir, refusing names that could leave it.
func (h fileHost) path(tenant, kind, id string) (string, error) {
	for _, s := range []string{tenant, id} {
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, `/\`) || strings.ContainsRune(s, 0) {
			return "", fmt.Errorf("fileHost: %q is not a usable name: %w", s, cloudcx.ErrNotFound)
		}
	}
	return filepath.Join(h.dir, tenant, kind, id), nil
}

func (h fileHost) load(tenant, kind, id string, v any) error {
	p, err := h.path(tenant, kind, id+".json")
	if err != nil {
		return err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("fileHost: %s %s of %s: %w", kind, id, tenant, cloudcx.ErrNotFound)
	}
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	return dec.Decode(v)
}

// LoadChat implements cloudcx.Loader.
func (h fileHost) LoadChat(ctx context.Context, tenantID, chatID string) (*cloudcx.Chat, error) {
	var c cloudcx.Chat
	if err := h.load(tenantID, "chats", chatID, &c); err != nil {
		return nil, err
	}
	c.TenantID = tenantID
	return &c, nil
}

// LoadConversation implements cloudcx.Loader.
func (h fileHost) LoadConversation(ctx context.Context, tenantID, conversationID string) (*cloudcx.Conversation, error) {
	var c cloudcx.Conversation
	if err := h.load(tenantID, "conversations", conversationID, &c); err != nil {
		return nil, err
	}
	c.TenantID = tenantID
	return &c, nil
}

// OpenAttachment implements cloudcx.AttachmentOpener.
func (h fileHost) OpenAttachment(ctx context.Context, tenantID string, a cloudcx.Attachment) (io.ReadCloser, cloudcx.AttachmentInfo, error) {
	p, err := h.path(tenantID, "files", a.ID)
	if err != nil {
		return nil, cloudcx.AttachmentInfo{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, cloudcx.AttachmentInfo{}, fmt.Errorf("fileHost: file %s: %w", a.ID, cloudcx.ErrNotFound)
	}
	if err != nil {
		return nil, cloudcx.AttachmentInfo{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, cloudcx.AttachmentInfo{}, err
	}
	ct := a.MIMEType
	if ct == "" {
		ct = mime.TypeByExtension(filepath.Ext(a.Name))
	}
	return f, cloudcx.AttachmentInfo{Size: st.Size(), ContentType: ct}, nil
}
