package cloudcx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
)

// ErrNotFound is returned (possibly wrapped) by a Loader or
// AttachmentOpener when the chat, conversation or file does not exist.
var ErrNotFound = errors.New("cloudcx: not found")

// Loader returns a full chat or conversation by id. The host implements it
// over CloudCX's own storage or API; the sync package calls it when an
// event names a chat or conversation without carrying it. A Loader returns
// an error wrapping ErrNotFound when there is no such chat or conversation,
// and must be safe for concurrent use.
type Loader interface {
	LoadChat(ctx context.Context, tenantID, chatID string) (*Chat, error)
	LoadConversation(ctx context.Context, tenantID, conversationID string) (*Conversation, error)
}

// AttachmentInfo describes the bytes an AttachmentOpener returns.
type AttachmentInfo struct {
	// Size in bytes, or -1 when not known before reading.
	Size int64
	// ContentType is the MIME type, or "" when not known.
	ContentType string
}

// AttachmentOpener returns an attachment's bytes. The host implements it;
// the sync package calls it to upload files to Zoho and closes the reader.
// It returns an error wrapping ErrNotFound when the file is gone, and must
// be safe for concurrent use.
type AttachmentOpener interface {
	OpenAttachment(ctx context.Context, tenantID string, a Attachment) (io.ReadCloser, AttachmentInfo, error)
}

// MemoryHost is a Loader and AttachmentOpener that keeps chats,
// conversations and files in memory, for tests and examples. Its zero
// value is ready to use, and it is safe for concurrent use. It stores and
// returns deep copies, so callers may change what they passed or got.
type MemoryHost struct {
	mu    sync.RWMutex
	chats map[hostKey]*Chat
	convs map[hostKey]*Conversation
	files map[hostKey]memFile
}

type hostKey struct{ tenant, id string }

type memFile struct {
	data        []byte
	contentType string
}

var (
	_ Loader           = (*MemoryHost)(nil)
	_ AttachmentOpener = (*MemoryHost)(nil)
)

// PutChat stores a copy of c under (c.TenantID, c.ID), replacing any.
func (h *MemoryHost) PutChat(c *Chat) {
	if c == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.chats == nil {
		h.chats = make(map[hostKey]*Chat)
	}
	h.chats[hostKey{c.TenantID, c.ID}] = c.Clone()
}

// PutConversation stores a copy of c under (c.TenantID, c.ID), replacing any.
func (h *MemoryHost) PutConversation(c *Conversation) {
	if c == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.convs == nil {
		h.convs = make(map[hostKey]*Conversation)
	}
	h.convs[hostKey{c.TenantID, c.ID}] = c.Clone()
}

// PutAttachment stores a copy of data as the bytes of the tenant's
// attachment with the given key, which OpenAttachment looks up as the
// attachment's ID, else its URL.
func (h *MemoryHost) PutAttachment(tenantID, key string, data []byte, contentType string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.files == nil {
		h.files = make(map[hostKey]memFile)
	}
	h.files[hostKey{tenantID, key}] = memFile{data: bytes.Clone(data), contentType: contentType}
}

// LoadChat returns a copy of the stored chat, or an error wrapping ErrNotFound.
func (h *MemoryHost) LoadChat(ctx context.Context, tenantID, chatID string) (*Chat, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	c, ok := h.chats[hostKey{tenantID, chatID}]
	if !ok {
		return nil, notFound("chat", tenantID, chatID)
	}
	return c.Clone(), nil
}

// LoadConversation returns a copy of the stored conversation, or an error
// wrapping ErrNotFound.
func (h *MemoryHost) LoadConversation(ctx context.Context, tenantID, conversationID string) (*Conversation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	c, ok := h.convs[hostKey{tenantID, conversationID}]
	if !ok {
		return nil, notFound("conversation", tenantID, conversationID)
	}
	return c.Clone(), nil
}

// OpenAttachment returns a reader over the stored bytes of a (looked up by
// a.ID, else a.URL), their size and content type (the stored one, else
// a.MIMEType), or an error wrapping ErrNotFound.
func (h *MemoryHost) OpenAttachment(ctx context.Context, tenantID string, a Attachment) (io.ReadCloser, AttachmentInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, AttachmentInfo{}, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	var f memFile
	ok := false
	for _, k := range []string{a.ID, a.URL} {
		if k == "" {
			continue
		}
		if f, ok = h.files[hostKey{tenantID, k}]; ok {
			break
		}
	}
	if !ok {
		return nil, AttachmentInfo{}, notFound("attachment", tenantID, firstNonEmpty(a.ID, a.URL, a.Name))
	}
	ct := f.contentType
	if ct == "" {
		ct = a.MIMEType
	}
	// The stored slice is never written again, so readers may share it.
	return io.NopCloser(bytes.NewReader(f.data)), AttachmentInfo{Size: int64(len(f.data)), ContentType: ct}, nil
}

// NotFoundError is the error a MemoryHost returns for a missing item; it
// wraps ErrNotFound.
type NotFoundError struct {
	What, TenantID, ID string
}

// Error names what was not found.
func (e *NotFoundError) Error() string {
	return "cloudcx: " + e.What + " " + e.ID + " of tenant " + e.TenantID + " not found"
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

func notFound(what, tenant, id string) error {
	return &NotFoundError{What: what, TenantID: tenant, ID: id}
}
