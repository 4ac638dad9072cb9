package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Limits of Zoho CRM v2 attachments.
const (
	// MaxAttachmentSize is the largest file Zoho CRM v2 accepts as an attachment: 100 MB, taken
	// as 100 MiB. Upload refuses larger files before sending; Zoho's own 413 for a file near the
	// limit is reported the same way ([ErrAttachmentTooLarge]).
	MaxAttachmentSize int64 = 100 << 20
	// MaxAttachmentNameLength is the longest file name Upload sends, in characters.
	MaxAttachmentNameLength = 255
	// maxAttachmentURLLength and maxAttachmentTitleLength are Zoho's limits on attachmentUrl
	// and title (v8 OpenAPI description of uploadAttachment).
	maxAttachmentURLLength   = 3000
	maxAttachmentTitleLength = 255
	// attachmentSpoolMemory is how much of a non-seekable upload is held in memory; beyond it the
	// upload is spooled to a temporary file.
	attachmentSpoolMemory = 4 << 20
)

// Errors of attachment uploads, matched with errors.Is against an [*AttachmentRejectedError].
var (
	// ErrAttachmentTooLarge: the file is larger than [MaxAttachmentSize], or Zoho answered 413.
	ErrAttachmentTooLarge = errors.New("zoho: attachment larger than Zoho allows")
	// ErrAttachmentType: Zoho refuses the file type (Zoho CRM v2 accepts "all the file types
	// except .exe").
	ErrAttachmentType = errors.New("zoho: attachment file type refused by Zoho")
)

// AttachmentRejectedError is returned when an attachment is refused: before sending, by size or
// type, or by Zoho with HTTP 413.
type AttachmentRejectedError struct {
	// FileName is the file name as it would have been sent.
	FileName string
	// Size is the file size in bytes, or -1 when not known.
	Size int64
	// Reason says what is wrong.
	Reason string
	// Err is ErrAttachmentTooLarge or ErrAttachmentType.
	Err error
	// APIError is Zoho's answer when Zoho refused the upload, nil when it was refused before
	// sending.
	APIError *APIError
}

// Error describes the refusal.
func (e *AttachmentRejectedError) Error() string {
	s := fmt.Sprintf("zoho: attachment %q refused: %s", e.FileName, e.Reason)
	if e.APIError != nil {
		s += ": " + strings.TrimPrefix(e.APIError.Error(), "zoho: ")
	}
	return s
}

// Unwrap returns the sentinel and, when Zoho answered, its *APIError.
func (e *AttachmentRejectedError) Unwrap() []error {
	if e.APIError != nil {
		return []error{e.Err, e.APIError}
	}
	return []error{e.Err}
}

// Attachment types Zoho reports in [Attachment].Type.
const (
	AttachmentTypeFile = "File"
	AttachmentTypeLink = "Link URL"
)

// Attachment is a file or link attached to a record. Fields Zoho leaves null are zero; every key
// stays in Raw.
type Attachment struct {
	ID       string `json:"id"`
	FileName string `json:"File_Name"`
	// Size is the file size in bytes (Zoho sends it as a string), 0 for links or when not given.
	Size int64 `json:"Size"`
	// Type is AttachmentTypeFile or AttachmentTypeLink.
	Type    string `json:"$type"`
	LinkURL string `json:"$link_url"`
	FileID  string `json:"$file_id"`
	// Module is the parent record's module ($se_module).
	Module string `json:"$se_module"`
	// Parent is the record the attachment belongs to (Parent_Id), when Zoho says.
	Parent       *crm.Lookup `json:"Parent_Id"`
	Owner        *crm.Lookup `json:"Owner"`
	CreatedBy    *crm.Lookup `json:"Created_By"`
	ModifiedBy   *crm.Lookup `json:"Modified_By"`
	CreatedTime  time.Time   `json:"Created_Time"`
	ModifiedTime time.Time   `json:"Modified_Time"`
	Editable     bool        `json:"$editable"`

	// Raw is the attachment object as Zoho sent it (for an upload, the result's details).
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an attachment leniently: Size as a string or a number, Parent_Id as an
// object or a bare id, and times that are empty or malformed as zero.
func (a *Attachment) UnmarshalJSON(b []byte) error {
	type plain Attachment
	var p struct {
		plain
		Size         json.RawMessage `json:"Size"`
		Parent       json.RawMessage `json:"Parent_Id"`
		CreatedTime  json.RawMessage `json:"Created_Time"`
		ModifiedTime json.RawMessage `json:"Modified_Time"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*a = Attachment(p.plain)
	a.Size = looseInt(p.Size)
	a.Parent = looseLookup(p.Parent)
	a.CreatedTime, a.ModifiedTime = looseTime(p.CreatedTime), looseTime(p.ModifiedTime)
	a.Raw = append(json.RawMessage(nil), b...)
	return nil
}

func looseInt(raw json.RawMessage) int64 {
	s := strings.Trim(string(bytes.TrimSpace(raw)), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func looseLookup(raw json.RawMessage) *crm.Lookup {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var id string
	if json.Unmarshal(raw, &id) == nil {
		if id == "" {
			return nil
		}
		return &crm.Lookup{ID: id}
	}
	var l crm.Lookup
	if json.Unmarshal(raw, &l) != nil {
		return nil
	}
	return &l
}

// ListAttachmentsOptions page the attachments of [AttachmentsService.List].
type ListAttachmentsOptions struct {
	// Fields limits the keys Zoho returns (optional in v2).
	Fields []string `url:"fields,omitempty,comma"`
	// Page counts from 1 (default 1).
	Page int `url:"page,omitempty"`
	// PerPage is the page size, 1..200 (default 200).
	PerPage int `url:"per_page,omitempty"`
}

func (o *ListAttachmentsOptions) validate() error {
	if o == nil {
		return nil
	}
	for _, f := range o.Fields {
		if !crm.ValidFieldName(f) {
			return fmt.Errorf("zoho: ListAttachmentsOptions.Fields: %+.64q is not a field API name", f)
		}
	}
	return validatePage("ListAttachmentsOptions", o.Page, o.PerPage)
}

// List returns one page of a record's attachments (GET /{module}/{recordID}/Attachments). A
// record without attachments gives none and no error.
func (s *AttachmentsService) List(ctx context.Context, module, recordID string, opts *ListAttachmentsOptions) ([]*Attachment, *Response, error) {
	path, err := attachmentsPath(module, recordID)
	if err != nil {
		return nil, nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	var params any
	if opts != nil {
		params = opts
	}
	req, err := s.client.NewRequest(http.MethodGet, path, params, nil)
	if err != nil {
		return nil, nil, err
	}
	var out struct {
		Data []*Attachment `json:"data"`
	}
	resp, err := s.client.Do(ctx, req, &out)
	if err != nil {
		return nil, resp, err
	}
	var atts []*Attachment
	for _, a := range out.Data {
		if a != nil {
			atts = append(atts, a)
		}
	}
	return atts, resp, nil
}

// ListIter returns all of a record's attachments, page after page, from opts.Page (default 1).
// It does not modify opts, yields the first error with a nil attachment and stops, and stops
// fetching when the loop breaks.
func (s *AttachmentsService) ListIter(ctx context.Context, module, recordID string, opts *ListAttachmentsOptions) iter.Seq2[*Attachment, error] {
	return func(yield func(*Attachment, error) bool) {
		o := ListAttachmentsOptions{}
		if opts != nil {
			o = *opts
		}
		pages(ctx, paging{module: "attachments of " + module + "/" + recordID, page: max(o.Page, 1), perPage: o.PerPage, maxItems: maxAttachmentsWalk}, func(page int, _ string) ([]*Attachment, *Response, error) {
			o.Page = page
			return s.List(ctx, module, recordID, &o)
		})(yield)
	}
}

// Download streams an attachment's content (GET /{module}/{recordID}/Attachments/{attachmentID}).
// The caller must close the returned body: until then the call holds one of the client's
// concurrency slots (see [WithConcurrency]), so read it promptly. resp.Header carries Zoho's
// Content-Type and Content-Disposition (the file name). An attachment that does not exist is an
// error matching [ErrNotFound].
func (s *AttachmentsService) Download(ctx context.Context, module, recordID, attachmentID string) (io.ReadCloser, *Response, error) {
	path, err := attachmentPath(module, recordID, attachmentID)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(http.MethodGet, path, nil, nil, WithHeader("Accept", "*/*"))
	if err != nil {
		return nil, nil, err
	}
	resp, err := s.client.DoRaw(ctx, req)
	if err != nil {
		return nil, resp, err
	}
	if resp.StatusCode == http.StatusNoContent {
		resp.Body.Close()
		return nil, resp, fmt.Errorf("zoho: GET %s: no such attachment: %w", s.client.fullPath(req), ErrNotFound)
	}
	return resp.Body, resp, nil
}

// Delete removes an attachment (DELETE /{module}/{recordID}/Attachments/{attachmentID}).
func (s *AttachmentsService) Delete(ctx context.Context, module, recordID, attachmentID string) (*Response, error) {
	path, err := attachmentPath(module, recordID, attachmentID)
	if err != nil {
		return nil, err
	}
	req, err := s.client.NewRequest(http.MethodDelete, path, nil, nil)
	if err != nil {
		return nil, err
	}
	_, resp, err := s.doItem(ctx, req)
	return resp, err
}

// attachmentsPath checks the module and record id, as the records service does, and returns the
// path of the record's attachments.
func attachmentsPath(module, recordID string) (string, error) {
	if err := validateModule(module); err != nil {
		return "", err
	}
	if err := validateRecordID(recordID); err != nil {
		return "", err
	}
	return PathJoin(module, recordID, "Attachments")
}

// attachmentPath checks the ids and returns the path of one attachment.
func attachmentPath(module, recordID, attachmentID string) (string, error) {
	if _, err := attachmentsPath(module, recordID); err != nil {
		return "", err
	}
	if err := validateRecordID(attachmentID); err != nil {
		return "", fmt.Errorf("zoho: attachment id: %w", err)
	}
	return PathJoin(module, recordID, "Attachments", attachmentID)
}

// doItem sends req and returns the first item of Zoho's data[] answer, or its error.
func (s *AttachmentsService) doItem(ctx context.Context, req *Request) (resultItem, *Response, error) {
	var out struct {
		Data []resultItem `json:"data"`
	}
	resp, err := s.client.Do(ctx, req, &out)
	if err != nil {
		return resultItem{}, resp, err
	}
	if len(out.Data) == 0 {
		return resultItem{}, resp, fmt.Errorf("zoho: %s %s: Zoho's answer holds no result (HTTP %d)", req.Method, s.client.fullPath(req), resp.StatusCode)
	}
	res := out.Data[0].toResult(0, resp.StatusCode, req.Method, s.client.fullPath(req), resp.Attempts)
	if res.Err != nil {
		return resultItem{}, resp, res.Err
	}
	return out.Data[0], resp, nil
}
