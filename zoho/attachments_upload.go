package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UploadOptions adjust an upload.
type UploadOptions struct {
	// Retry lets the client replay the upload after a server error or a connection lost after
	// sending, like an idempotent call. Zoho has no idempotency key: a replay after Zoho stored
	// the file attaches it twice. Set it only if a duplicate attachment is acceptable or you will
	// reconcile (list the record's attachments and delete extras). Without it such a failure is an
	// [*AmbiguousError] and nothing is replayed.
	Retry bool
}

func (o *UploadOptions) requestOptions() []RequestOption {
	if o != nil && o.Retry {
		return []RequestOption{Idempotent()}
	}
	return nil
}

// File is a file to attach to a record with [AttachmentsService.Upload].
//
//	f, _ := os.Open("transcript.txt")
//	defer f.Close()
//	att, _, err := client.Attachments.Upload(ctx, "Cases", caseID,
//		zoho.File{Name: "transcript.txt", ContentType: "text/plain; charset=utf-8", Body: f}, nil)
type File struct {
	// Name is the file name Zoho shows. It is reduced to its base name; quotes, control
	// characters and invalid UTF-8 are made safe for the Content-Disposition header (non-ASCII is
	// sent as UTF-8, as browsers do; RFC 7578 rules out filename*). Required.
	Name string
	// ContentType is the file's media type ("text/plain; charset=utf-8"); "" sends
	// application/octet-stream.
	ContentType string
	// Body is the content, which must not be used elsewhere until Upload returns. So that a retry
	// sends the same complete body without holding the file twice:
	//   - if Body is an io.ReaderAt and an io.Seeker (*os.File, *bytes.Reader, *strings.Reader,
	//     *io.SectionReader), the file is the part from its current offset to its end, streamed
	//     afresh for every attempt through an io.SectionReader and never held in memory;
	//   - if Body is an io.ReaderAt with a Size() int64 method, the file is its whole content,
	//     streamed the same way;
	//   - otherwise Body is read once: up to 4 MiB into memory, beyond that into a temporary file
	//     (os.CreateTemp, removed before Upload returns).
	Body io.Reader
}

// Upload attaches a file to a record: POST /{module}/{recordID}/Attachments as
// multipart/form-data with the file in the part named "file" (scope ZohoCRM.modules.ALL and
// ZohoCRM.modules.attachments.CREATE). See [File] for how its Body is read.
//
// Files larger than [MaxAttachmentSize], and .exe files (the one type Zoho CRM v2 refuses), fail
// before anything is sent with an [*AttachmentRejectedError]; so does Zoho's 413. An upload is
// not replayed after an ambiguous failure unless opts.Retry is set: without it, a failure after
// which Zoho may have stored the file (a server error, a lost connection, an unreadable answer,
// the context ending while the upload is in flight) is an [*AmbiguousError].
//
// The returned Attachment has the new ID, the times and creator from Zoho's answer, and the
// FileName, Size, Type and Module sent.
func (s *AttachmentsService) Upload(ctx context.Context, module, recordID string, file File, opts *UploadOptions) (*Attachment, *Response, error) {
	if file.Body == nil {
		return nil, nil, errors.New("zoho: AttachmentsService.Upload: the File has no Body")
	}
	fileName, contentType, r := file.Name, file.ContentType, file.Body
	path, err := attachmentsPath(module, recordID)
	if err != nil {
		return nil, nil, err
	}
	name, err := attachmentFileName(fileName)
	if err != nil {
		return nil, nil, err
	}
	if isRefusedAttachmentType(name) {
		return nil, nil, &AttachmentRejectedError{FileName: name, Size: -1, Reason: "Zoho CRM accepts all file types except .exe", Err: ErrAttachmentType}
	}
	ctype, err := attachmentContentType(contentType)
	if err != nil {
		return nil, nil, err
	}
	// Reading (and perhaps spooling) the file is wasted when the call cannot be made.
	if ctx == nil {
		return nil, nil, errors.New("zoho: nil context")
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	src, err := newUploadSource(r, MaxAttachmentSize)
	if err != nil {
		var rej *AttachmentRejectedError
		if errors.As(err, &rej) {
			rej.FileName = name
		}
		return nil, nil, err
	}
	defer src.close()

	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
	h.Set("Content-Type", ctype)
	head, tail, formType, err := multipartFrame(h)
	if err != nil {
		return nil, nil, err
	}
	length := int64(len(head)) + src.size + int64(len(tail))
	open := func() (io.Reader, error) {
		return io.MultiReader(bytes.NewReader(head), io.NewSectionReader(src.ra, src.off, src.size), bytes.NewReader(tail)), nil
	}
	req, err := s.client.NewStreamRequest(http.MethodPost, path, formType, length, open, opts.requestOptions()...)
	if err != nil {
		return nil, nil, err
	}
	att, resp, err := s.uploadResult(ctx, req)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.HTTPStatus == http.StatusRequestEntityTooLarge {
			return nil, resp, &AttachmentRejectedError{FileName: name, Size: src.size, Reason: "Zoho answered 413", Err: ErrAttachmentTooLarge, APIError: ae}
		}
		return nil, resp, err
	}
	att.FileName, att.Size, att.Type, att.Module = name, src.size, AttachmentTypeFile, module
	return att, resp, nil
}

// Link is a link to attach to a record ([AttachmentsService.UploadURL]).
type Link struct {
	// URL is the link: an absolute http(s) URL of at most 3000 characters. Required.
	URL string
	// Title is the name Zoho shows for it, one line of at most 255 characters; "" lets Zoho
	// show the URL.
	Title string
}

// UploadURL attaches a link to a record: POST /{module}/{recordID}/Attachments with the
// multipart fields attachmentUrl and, if not empty, title. opts.Retry works as for Upload.
//
//	att, _, err := client.Attachments.UploadURL(ctx, "Cases", caseID,
//		zoho.Link{URL: "https://chat.example/t/123", Title: "Chat transcript"}, nil)
func (s *AttachmentsService) UploadURL(ctx context.Context, module, recordID string, l Link, opts *UploadOptions) (*Attachment, *Response, error) {
	link, title := l.URL, l.Title
	path, err := attachmentsPath(module, recordID)
	if err != nil {
		return nil, nil, err
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(link, "\r\n") {
		return nil, nil, errors.New("zoho: AttachmentsService.UploadURL: the link must be an absolute http(s) URL")
	}
	if utf8.RuneCountInString(link) > maxAttachmentURLLength {
		return nil, nil, fmt.Errorf("zoho: AttachmentsService.UploadURL: the link is longer than %d characters", maxAttachmentURLLength)
	}
	if utf8.RuneCountInString(title) > maxAttachmentTitleLength || !utf8.ValidString(title) || strings.ContainsAny(title, "\r\n") {
		return nil, nil, fmt.Errorf("zoho: AttachmentsService.UploadURL: the title must be one line of valid UTF-8, at most %d characters", maxAttachmentTitleLength)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("attachmentUrl", link); err != nil {
		return nil, nil, err
	}
	if title != "" {
		if err := mw.WriteField("title", title); err != nil {
			return nil, nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, nil, err
	}
	body := buf.Bytes()
	req, err := s.client.NewStreamRequest(http.MethodPost, path, mw.FormDataContentType(), int64(len(body)),
		func() (io.Reader, error) { return bytes.NewReader(body), nil }, opts.requestOptions()...)
	if err != nil {
		return nil, nil, err
	}
	att, resp, err := s.uploadResult(ctx, req)
	if err != nil {
		return nil, resp, err
	}
	att.Type, att.LinkURL, att.Module = AttachmentTypeLink, link, module
	if title != "" {
		att.FileName = title
	}
	return att, resp, nil
}

// uploadResult sends an upload and reads Zoho's data[0] answer.
func (s *AttachmentsService) uploadResult(ctx context.Context, req *Request) (*Attachment, *Response, error) {
	item, resp, err := s.doItem(ctx, req)
	if err != nil {
		return nil, resp, err
	}
	att := &Attachment{}
	if len(item.Details) > 0 && item.Details[0] == '{' {
		if err := json.Unmarshal(item.Details, att); err != nil {
			return nil, resp, fmt.Errorf("zoho: decoding answer of %s %s: %w", req.Method, s.client.fullPath(req), err)
		}
	}
	if att.ID == "" {
		return nil, resp, fmt.Errorf("zoho: %s %s: Zoho's answer holds no attachment id", req.Method, s.client.fullPath(req))
	}
	return att, resp, nil
}

// attachmentFileName makes name safe for a Content-Disposition filename parameter: invalid UTF-8
// becomes U+FFFD, directories are dropped (after the last / or \), control characters become "_"
// and a double quote becomes %22 (as browsers send it, WHATWG HTML "multipart/form-data encoding
// algorithm"). Non-ASCII is kept as UTF-8.
func attachmentFileName(name string) (string, error) {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '"':
			b.WriteString("%22")
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimSpace(b.String())
	if name == "" || name == "." || name == ".." {
		return "", errors.New("zoho: attachment: empty file name")
	}
	if utf8.RuneCountInString(name) > MaxAttachmentNameLength {
		return "", fmt.Errorf("zoho: attachment: file name longer than %d characters", MaxAttachmentNameLength)
	}
	return name, nil
}

// isRefusedAttachmentType reports whether Zoho refuses the file by its name. Zoho CRM v2
// documents one refused type, .exe; the comparison ignores case and the trailing dots and spaces
// Windows drops.
func isRefusedAttachmentType(name string) bool {
	n := strings.ToLower(strings.TrimRight(name, ". "))
	return strings.HasSuffix(n, ".exe")
}

func attachmentContentType(ct string) (string, error) {
	ct = strings.TrimSpace(ct)
	if ct == "" {
		return "application/octet-stream", nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") {
		return "", errors.New("zoho: attachment: invalid content type")
	}
	out := mime.FormatMediaType(mt, params)
	if out == "" {
		return "", errors.New("zoho: attachment: invalid content type")
	}
	return out, nil
}

// multipartFrame returns the bytes before and after the content of a single-part multipart body
// with the part header h, and the body's Content-Type.
func multipartFrame(h textproto.MIMEHeader) (head, tail []byte, contentType string, err error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if _, err := mw.CreatePart(h); err != nil {
		return nil, nil, "", err
	}
	head = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := mw.Close(); err != nil {
		return nil, nil, "", err
	}
	return head, bytes.Clone(buf.Bytes()), mw.FormDataContentType(), nil
}

// uploadSource is the replayable content of an upload: size bytes of ra from off.
type uploadSource struct {
	ra        io.ReaderAt
	off, size int64
	cleanup   func()
}

func (u *uploadSource) close() {
	if u.cleanup != nil {
		u.cleanup()
	}
}

// newUploadSource makes r replayable (see Upload) and checks its size against limit.
func newUploadSource(r io.Reader, limit int64) (*uploadSource, error) {
	tooLarge := func(size int64) error {
		return &AttachmentRejectedError{Size: size, Reason: fmt.Sprintf("larger than %d bytes", limit), Err: ErrAttachmentTooLarge}
	}
	if ra, ok := r.(io.ReaderAt); ok {
		if sk, ok := r.(io.Seeker); ok {
			if cur, err := sk.Seek(0, io.SeekCurrent); err == nil {
				end, err := sk.Seek(0, io.SeekEnd)
				if _, rerr := sk.Seek(cur, io.SeekStart); err == nil && rerr == nil && end >= cur {
					if end-cur > limit {
						return nil, tooLarge(end - cur)
					}
					return &uploadSource{ra: ra, off: cur, size: end - cur}, nil
				}
			}
		} else if sz, ok := r.(interface{ Size() int64 }); ok && sz.Size() >= 0 {
			if sz.Size() > limit {
				return nil, tooLarge(sz.Size())
			}
			return &uploadSource{ra: ra, size: sz.Size()}, nil
		}
	}
	return spoolUpload(r, limit, attachmentSpoolMemory)
}

// spoolUpload reads r once: up to memLimit bytes into memory, the rest into a temporary file,
// failing once more than limit bytes were read.
func spoolUpload(r io.Reader, limit, memLimit int64) (*uploadSource, error) {
	tooLarge := &AttachmentRejectedError{Size: -1, Reason: fmt.Sprintf("larger than %d bytes", limit), Err: ErrAttachmentTooLarge}
	mem, err := io.ReadAll(io.LimitReader(r, min(memLimit, limit)+1))
	if err != nil {
		return nil, fmt.Errorf("zoho: attachment: reading the file: %w", err)
	}
	if int64(len(mem)) <= memLimit && int64(len(mem)) <= limit {
		return &uploadSource{ra: bytes.NewReader(mem), size: int64(len(mem))}, nil
	}
	if int64(len(mem)) > limit {
		return nil, tooLarge
	}
	f, err := os.CreateTemp("", "cxzoho-upload-*")
	if err != nil {
		return nil, fmt.Errorf("zoho: attachment: spooling the file: %w", err)
	}
	cleanup := func() {
		f.Close()
		os.Remove(f.Name())
	}
	n := int64(len(mem))
	_, err = f.Write(mem)
	if err == nil {
		var m int64
		m, err = io.Copy(f, io.LimitReader(r, limit-n+1))
		n += m
	}
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("zoho: attachment: spooling the file: %w", err)
	}
	if n > limit {
		cleanup()
		return nil, tooLarge
	}
	return &uploadSource{ra: f, size: n, cleanup: cleanup}, nil
}
