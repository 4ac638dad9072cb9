package zoho

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
)

const attURL = "https://www.zohoapis.com/crm/v2/Leads/5725767000000524157/Attachments"

// uploadCapture records the requests an httpmock responder saw.
type uploadCapture struct {
	mu     sync.Mutex
	bodies [][]byte
	reqs   []*http.Request
}

// responder answers the n-th request with the n-th of the given answers, repeating the last.
func (u *uploadCapture) responder(t *testing.T, responses ...answer) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading body: %v", err)
		}
		if r.ContentLength != int64(len(b)) {
			t.Errorf("Content-Length %d, body %d bytes", r.ContentLength, len(b))
		}
		u.mu.Lock()
		defer u.mu.Unlock()
		u.bodies = append(u.bodies, b)
		u.reqs = append(u.reqs, r)
		a := responses[min(len(u.reqs), len(responses))-1]
		return httpmock.NewBytesResponse(a.status, a.body), nil
	}
}

type answer struct {
	status int
	body   []byte
}

type formPart struct {
	name, fileName, disposition, contentType string
	content                                  []byte
}

// parseMultipart reads a multipart body part by part.
func parseMultipart(t *testing.T, contentType string, body []byte) []formPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q", contentType)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var parts []formPart
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		content, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("multipart part: %v", err)
		}
		_, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		parts = append(parts, formPart{name: p.FormName(), fileName: dp["filename"], disposition: p.Header.Get("Content-Disposition"),
			contentType: p.Header.Get("Content-Type"), content: content})
	}
	return parts
}

func okUpload(t *testing.T) answer {
	return answer{200, readTestdataFile(t, "v8oas_upload_attachment_response_200.json")}
}

func TestUploadMultipartShape(t *testing.T) {
	content := []byte("chat transcript\r\n--not-a-boundary\r\nline 3")
	readers := map[string]func() io.Reader{
		"bytes.Reader":   func() io.Reader { return bytes.NewReader(content) },
		"strings.Reader": func() io.Reader { return strings.NewReader(string(content)) },
		"SectionReader":  func() io.Reader { return io.NewSectionReader(bytes.NewReader(content), 0, int64(len(content))) },
		"plain reader":   func() io.Reader { return io.MultiReader(bytes.NewReader(content)) },
		"os.File": func() io.Reader {
			f, err := os.CreateTemp(t.TempDir(), "up")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			f.Write(content)
			f.Seek(0, io.SeekStart)
			return f
		},
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t)
			var capt uploadCapture
			mt.RegisterResponder("POST", attURL, capt.responder(t, okUpload(t)))
			att, resp, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: "transcript.txt", ContentType: "text/plain; charset=utf-8", Body: mk()}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || att.ID != "2876819000002738705" || att.FileName != "transcript.txt" ||
				att.Size != int64(len(content)) || att.Type != AttachmentTypeFile || att.Module != "Leads" ||
				att.CreatedBy == nil || att.CreatedBy.Name != "John Doe" || att.CreatedTime.IsZero() {
				t.Errorf("attachment = %+v", att)
			}
			if len(capt.reqs) != 1 {
				t.Fatalf("%d requests", len(capt.reqs))
			}
			r := capt.reqs[0]
			if r.Header.Get("Authorization") != "Zoho-oauthtoken "+testToken {
				t.Errorf("Authorization %q", r.Header.Get("Authorization"))
			}
			parts := parseMultipart(t, r.Header.Get("Content-Type"), capt.bodies[0])
			if len(parts) != 1 {
				t.Fatalf("%d parts", len(parts))
			}
			p := parts[0]
			if p.name != "file" || p.fileName != "transcript.txt" || p.contentType != "text/plain; charset=utf-8" || !bytes.Equal(p.content, content) {
				t.Errorf("part = %+v", p)
			}
		})
	}
}

func TestUploadFromOffsetKeepsReaderPosition(t *testing.T) {
	c, mt := newMockClient(t)
	var capt uploadCapture
	mt.RegisterResponder("POST", attURL, capt.responder(t, okUpload(t)))
	r := strings.NewReader("HEADERbody of the file")
	r.Seek(6, io.SeekStart)
	if _, _, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: "f.txt", Body: r}, nil); err != nil {
		t.Fatal(err)
	}
	parts := parseMultipart(t, capt.reqs[0].Header.Get("Content-Type"), capt.bodies[0])
	if string(parts[0].content) != "body of the file" || parts[0].contentType != "application/octet-stream" {
		t.Errorf("part = %+v", parts[0])
	}
	if pos, _ := r.Seek(0, io.SeekCurrent); pos != 6 {
		t.Errorf("reader moved to %d", pos)
	}
}

func TestUploadRetriedAfter500SendsSameBody(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	for name, mk := range map[string]func() io.Reader{
		"seekable": func() io.Reader { return bytes.NewReader(content) },
		"stream":   func() io.Reader { return io.MultiReader(bytes.NewReader(content)) },
	} {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t)
			var capt uploadCapture
			fail := answer{500, readTestdataFile(t, "v8oas_error_500_internal_error.json")}
			mt.RegisterResponder("POST", attURL, capt.responder(t, fail, okUpload(t)))
			att, resp, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: "big.bin", ContentType: "application/octet-stream", Body: mk()}, &UploadOptions{Retry: true})
			if err != nil {
				t.Fatal(err)
			}
			if att.ID == "" || resp.Attempts != 2 || len(capt.bodies) != 2 {
				t.Fatalf("attempts %d, bodies %d", resp.Attempts, len(capt.bodies))
			}
			if !bytes.Equal(capt.bodies[0], capt.bodies[1]) {
				t.Fatal("the retry sent a different body")
			}
			for i, b := range capt.bodies {
				parts := parseMultipart(t, capt.reqs[i].Header.Get("Content-Type"), b)
				if len(parts) != 1 || !bytes.Equal(parts[0].content, content) {
					t.Errorf("attempt %d: incomplete body", i+1)
				}
			}
		})
	}
}

func TestUploadNotRetriedWithoutOptIn(t *testing.T) {
	c, mt := newMockClient(t)
	var capt uploadCapture
	mt.RegisterResponder("POST", attURL, capt.responder(t, answer{500, readTestdataFile(t, "v8oas_error_500_internal_error.json")}))
	_, _, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: "a.txt", Body: strings.NewReader("hello")}, nil)
	var amb *AmbiguousError
	if !errors.As(err, &amb) || amb.StatusCode != 500 {
		t.Fatalf("err = %v, want *AmbiguousError", err)
	}
	if len(capt.bodies) != 1 {
		t.Errorf("%d attempts", len(capt.bodies))
	}
}

// sizedReaderAt claims a size without holding the bytes.
type sizedReaderAt struct{ n int64 }

func (s sizedReaderAt) ReadAt(p []byte, off int64) (int, error) { return 0, io.EOF }
func (s sizedReaderAt) Read(p []byte) (int, error)              { return 0, io.EOF }
func (s sizedReaderAt) Size() int64                             { return s.n }

func TestUploadRefusedBeforeSending(t *testing.T) {
	c, mt := newMockClient(t)
	cases := []struct {
		name, file string
		r          io.Reader
		want       error
	}{
		{"too large", "big.bin", sizedReaderAt{MaxAttachmentSize + 1}, ErrAttachmentTooLarge},
		{"exe", "setup.exe", strings.NewReader("MZ"), ErrAttachmentType},
		{"EXE", "SETUP.EXE", strings.NewReader("MZ"), ErrAttachmentType},
		{"exe trailing dot", "setup.exe.", strings.NewReader("MZ"), ErrAttachmentType},
		{"exe trailing space", "setup.exe  ", strings.NewReader("MZ"), ErrAttachmentType},
		{"exe in a path", `C:\tmp\setup.Exe`, strings.NewReader("MZ"), ErrAttachmentType},
	}
	for _, tc := range cases {
		_, _, err := c.Attachments.Upload(t.Context(), "Leads", "1", File{Name: tc.file, Body: tc.r}, nil)
		var rej *AttachmentRejectedError
		if !errors.Is(err, tc.want) || !errors.As(err, &rej) || rej.FileName == "" {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	for _, bad := range []struct{ module, id, file, ctype string }{
		{"", "1", "a.txt", ""}, {"Leads", "", "a.txt", ""}, {"..", "1", "a.txt", ""}, {"Leads", "1", "", ""},
		{"Leads", "1", "dir/", ""}, {"Leads", "1", "a.txt", "not a type"}, {"Leads", "1", "a.txt", "text/plain\r\nX: y"},
		{"Leads", "1", strings.Repeat("n", 300) + ".txt", ""},
	} {
		if _, _, err := c.Attachments.Upload(t.Context(), bad.module, bad.id, File{Name: bad.file, ContentType: bad.ctype, Body: strings.NewReader("x")}, nil); err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
	if _, _, err := c.Attachments.Upload(t.Context(), "Leads", "1", File{Name: "a.txt", Body: nil}, nil); err == nil {
		t.Error("nil reader accepted")
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d calls sent", n)
	}
	// Names that merely contain "exe" are fine.
	for _, ok := range []string{"setup.exe.txt", "exe", "notes.exec"} {
		if isRefusedAttachmentType(ok) {
			t.Errorf("%q refused", ok)
		}
	}
}

func TestUpload413(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("POST", attURL, httpmock.NewBytesResponder(413, readTestdataFile(t, "v8oas_error_413_file_size_exceeded.json")))
	_, _, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: "a.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF")}, nil)
	var rej *AttachmentRejectedError
	var ae *APIError
	if !errors.Is(err, ErrAttachmentTooLarge) || !errors.As(err, &rej) || !errors.As(err, &ae) || ae.Code != "FILE_SIZE_MORE_THAN_ALLOWED_SIZE" || rej.Size != 4 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "FILE_SIZE_MORE_THAN_ALLOWED_SIZE") {
		t.Errorf("Error() = %q", err)
	}
}

func TestUploadHostileFileNames(t *testing.T) {
	cases := map[string]string{
		`say "hi".txt`:                 `say %22hi%22.txt`,
		"evil\r\nX-Injected: 1.txt":    "evil__X-Injected: 1.txt",
		"../../etc/passwd":             "passwd",
		`C:\Users\jane\report.pdf`:     "report.pdf",
		"résumé 田中 🙂.pdf":              "résumé 田中 🙂.pdf",
		"bad\xffutf8.txt":              "bad\uFFFDutf8.txt",
		"tab\there.txt":                "tab_here.txt",
		"  spaced.txt  ":               "spaced.txt",
		"semi;colon=x.txt":             "semi;colon=x.txt",
		"line\u2028sep.txt":            "line_sep.txt",
		`quote\" name".txt`:            `%22 name%22.txt`,
		"percent%22already.txt":        "percent%22already.txt",
		"nul\x00byte.txt":              "nul_byte.txt",
		"content-type: evil\n\n.txt":   "content-type: evil__.txt",
		"--boundary-looking--name.txt": "--boundary-looking--name.txt",
	}
	for in, want := range cases {
		t.Run(want, func(t *testing.T) {
			got, err := attachmentFileName(in)
			if err != nil || got != want {
				t.Fatalf("attachmentFileName(%q) = %q, %v; want %q", in, got, err, want)
			}
			c, mt := newMockClient(t)
			var capt uploadCapture
			mt.RegisterResponder("POST", attURL, capt.responder(t, okUpload(t)))
			if _, _, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: in, Body: strings.NewReader("data")}, nil); err != nil {
				t.Fatal(err)
			}
			parts := parseMultipart(t, capt.reqs[0].Header.Get("Content-Type"), capt.bodies[0])
			if len(parts) != 1 || parts[0].fileName != want || string(parts[0].content) != "data" || parts[0].name != "file" {
				t.Errorf("parts = %+v", parts)
			}
			if strings.ContainsAny(parts[0].disposition, "\r\n") {
				t.Errorf("header injection: %q", parts[0].disposition)
			}
		})
	}
}

func TestSpoolUpload(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	tmp := os.TempDir()
	t.Run("in memory", func(t *testing.T) {
		src, err := spoolUpload(strings.NewReader("abc"), 10, 4)
		if err != nil || src.size != 3 || src.cleanup != nil {
			t.Fatalf("%+v %v", src, err)
		}
	})
	t.Run("spooled to a file, removed after", func(t *testing.T) {
		src, err := spoolUpload(strings.NewReader("abcdefgh"), 10, 4)
		if err != nil || src.size != 8 || src.cleanup == nil {
			t.Fatalf("%+v %v", src, err)
		}
		b, _ := io.ReadAll(io.NewSectionReader(src.ra, 0, src.size))
		if string(b) != "abcdefgh" {
			t.Errorf("content %q", b)
		}
		if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
			t.Errorf("temp dir holds %d files", len(ents))
		}
		src.close()
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Errorf("temp file left behind: %v", ents)
		}
	})
	for name, tc := range map[string]struct {
		in       string
		mem, max int64
	}{"over the limit in memory": {"abcdefgh", 100, 5}, "over the limit spooled": {"abcdefghijkl", 4, 10}, "exactly limit+1": {"abcdefghijk", 4, 10}} {
		t.Run(name, func(t *testing.T) {
			_, err := spoolUpload(strings.NewReader(tc.in), tc.max, tc.mem)
			if !errors.Is(err, ErrAttachmentTooLarge) {
				t.Errorf("err = %v", err)
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("temp file left behind: %v", ents)
			}
		})
	}
	t.Run("exactly the limit", func(t *testing.T) {
		src, err := spoolUpload(strings.NewReader("abcdefghij"), 10, 4)
		if err != nil || src.size != 10 {
			t.Fatalf("%+v %v", src, err)
		}
		src.close()
	})
	t.Run("read error", func(t *testing.T) {
		_, err := spoolUpload(io.MultiReader(strings.NewReader("abcdefgh"), errReader{}), 100, 4)
		if err == nil || errors.Is(err, ErrAttachmentTooLarge) {
			t.Errorf("err = %v", err)
		}
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Errorf("temp file left behind: %v", ents)
		}
	})
	t.Run("large stream upload", func(t *testing.T) {
		content := bytes.Repeat([]byte{'z'}, attachmentSpoolMemory+12345)
		c, mt := newMockClient(t)
		var capt uploadCapture
		mt.RegisterResponder("POST", attURL, capt.responder(t, okUpload(t)))
		att, _, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: "z.bin", Body: io.MultiReader(bytes.NewReader(content))}, nil)
		if err != nil || att.Size != int64(len(content)) {
			t.Fatalf("%+v %v", att, err)
		}
		parts := parseMultipart(t, capt.reqs[0].Header.Get("Content-Type"), capt.bodies[0])
		if !bytes.Equal(parts[0].content, content) {
			t.Error("content differs")
		}
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Errorf("temp file left behind: %v", ents)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestUploadURL(t *testing.T) {
	c, mt := newMockClient(t)
	var capt uploadCapture
	mt.RegisterResponder("POST", attURL, capt.responder(t, answer{200, readTestdataFile(t, "v7docs_upload_attachment_response.json")}))
	link := "https://example.com/chat?id=1&x=a+b#frag"
	att, _, err := c.Attachments.UploadURL(t.Context(), "Leads", "5725767000000524157", Link{URL: link, Title: "Chat transcript – Jane"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if att.ID != "4150868000005277036" || att.Type != AttachmentTypeLink || att.LinkURL != link || att.FileName != "Chat transcript – Jane" {
		t.Errorf("att = %+v", att)
	}
	parts := parseMultipart(t, capt.reqs[0].Header.Get("Content-Type"), capt.bodies[0])
	if len(parts) != 2 || parts[0].name != "attachmentUrl" || string(parts[0].content) != link || parts[1].name != "title" || string(parts[1].content) != "Chat transcript – Jane" {
		t.Errorf("parts = %+v", parts)
	}
	// Without a title only the link is sent.
	if _, _, err := c.Attachments.UploadURL(t.Context(), "Leads", "5725767000000524157", Link{URL: link, Title: ""}, nil); err != nil {
		t.Fatal(err)
	}
	if parts := parseMultipart(t, capt.reqs[1].Header.Get("Content-Type"), capt.bodies[1]); len(parts) != 1 {
		t.Errorf("parts = %+v", parts)
	}
	for _, bad := range []struct{ link, title string }{
		{"ftp://example.com/x", ""}, {"/relative", ""}, {"https://", ""}, {"https://example.com/" + strings.Repeat("a", 3000), ""},
		{"https://example.com/\r\nX: y", ""}, {"https://example.com/", strings.Repeat("t", 256)}, {"https://example.com/", "a\nb"},
	} {
		if _, _, err := c.Attachments.UploadURL(t.Context(), "Leads", "1", Link{URL: bad.link, Title: bad.title}, nil); err == nil {
			t.Errorf("%.40q accepted", bad.link)
		}
	}
	if len(capt.reqs) != 2 {
		t.Errorf("%d requests", len(capt.reqs))
	}
}

func TestUploadFixturesDecode(t *testing.T) {
	for _, f := range []string{"v8oas_upload_attachment_response_200.json", "v7docs_upload_attachment_response.json"} {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", attURL, httpmock.NewBytesResponder(200, readTestdataFile(t, f)))
		att, _, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: "a.txt", Body: strings.NewReader("hi")}, nil)
		if err != nil || att.ID == "" || att.CreatedBy == nil || att.ModifiedBy == nil || att.ModifiedTime.IsZero() {
			t.Errorf("%s: %+v %v", f, att, err)
		}
	}
	// An error item inside a 2xx answer is an error.
	c, mt := newMockClient(t)
	mt.RegisterResponder("POST", attURL, httpmock.NewStringResponder(200, `{"data":[{"code":"NO_PERMISSION","details":{},"message":"Permission denied","status":"error"}]}`))
	if _, _, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: "a.txt", Body: strings.NewReader("hi")}, nil); !errors.Is(err, ErrNoPermission) {
		t.Errorf("err = %v", err)
	}
	mt.RegisterResponder("POST", attURL, httpmock.NewStringResponder(200, `{"data":[{"code":"SUCCESS","details":{},"message":"ok","status":"success"}]}`))
	if _, _, err := c.Attachments.Upload(t.Context(), "Leads", "5725767000000524157", File{Name: "a.txt", Body: strings.NewReader("hi")}, nil); err == nil {
		t.Error("answer without id accepted")
	}
}

func TestAttachmentRejectedErrorUnwrap(t *testing.T) {
	e := &AttachmentRejectedError{FileName: "x.exe", Size: -1, Reason: "r", Err: ErrAttachmentType}
	if !errors.Is(e, ErrAttachmentType) || errors.Is(e, ErrAttachmentTooLarge) || !strings.HasPrefix(e.Error(), "zoho: ") {
		t.Error(e)
	}
}
