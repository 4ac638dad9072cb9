package zohotest

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

// multipartBody builds an upload body: a file part (when name != "") and extra fields.
func multipartBody(t *testing.T, name, contentType string, data []byte, fields ...string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if name != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		_ = mw.WriteField(fields[i], fields[i+1])
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

func TestAttachments(t *testing.T) {
	f := newFixture(t, WithMaxAttachmentSize(1024))
	caseID := str(details(f.call("POST", "/crm/v2/Cases", leadBody(map[string]any{"Subject": "Chat 7", "Status": "New", "Case_Origin": "Chat"})).data(t)[0])["id"])
	base := "/crm/v2/Cases/" + caseID + "/Attachments"

	body, ct := multipartBody(t, "transcript.txt", "text/plain", []byte("hello\nworld"))
	a := f.call("POST", base, body, "Content-Type", ct)
	wantStatus(t, a, http.StatusOK)
	it := a.data(t)[0]
	if it["code"] != "SUCCESS" || it["message"] != "attachment uploaded successfully" {
		t.Fatalf("%v", it)
	}
	fileID := str(details(it)["id"])
	body, ct = multipartBody(t, "", "", nil, "attachmentUrl", "https://cloudcx.example/chats/7", "title", "Chat 7")
	wantStatus(t, f.call("POST", base, body, "Content-Type", ct), http.StatusOK)

	got := f.org.Attachments("Cases", caseID)
	if len(got) != 2 || string(got[0].Data) != "hello\nworld" || got[0].FileName != "transcript.txt" || got[0].ContentType != "text/plain" ||
		got[1].LinkURL != "https://cloudcx.example/chats/7" || got[1].FileName != "Chat 7" {
		t.Fatalf("%+v", got)
	}
	got[0].Data[0] = 'X'
	if string(f.org.Attachments("Cases", caseID)[0].Data) != "hello\nworld" {
		t.Fatal("Attachments shares bytes with the server")
	}

	// List: newest first, Zoho's keys.
	a = f.call("GET", base, nil)
	wantStatus(t, a, http.StatusOK)
	list := a.data(t)
	if len(list) != 2 || list[0]["$type"] != "Link URL" || list[1]["$type"] != "File" || list[1]["Size"] != "11" ||
		list[1]["$se_module"] != "Cases" || list[1]["File_Name"] != "transcript.txt" {
		t.Fatalf("%v", list)
	}
	if p := list[1]["Parent_Id"].(map[string]any); p["id"] != caseID || p["name"] != "Chat 7" {
		t.Fatalf("Parent_Id %v", p)
	}

	// Download.
	a = f.call("GET", base+"/"+fileID, nil)
	wantStatus(t, a, http.StatusOK)
	if string(a.raw) != "hello\nworld" || !strings.Contains(a.header.Get("Content-Disposition"), "transcript.txt") {
		t.Fatalf("%q %v", a.raw, a.header)
	}

	// Refusals: too large (413, Zoho's body), .exe, neither part, both, not multipart, unknown record.
	body, ct = multipartBody(t, "big.bin", "", bytes.Repeat([]byte("x"), 1025))
	wantCode(t, f.call("POST", base, body, "Content-Type", ct), http.StatusRequestEntityTooLarge, "FILE_SIZE_MORE_THAN_ALLOWED_SIZE")
	body, ct = multipartBody(t, "setup.EXE", "", []byte("MZ"))
	wantCode(t, f.call("POST", base, body, "Content-Type", ct), http.StatusBadRequest, "INVALID_DATA")
	body, ct = multipartBody(t, "", "", nil, "title", "t")
	wantCode(t, f.call("POST", base, body, "Content-Type", ct), http.StatusBadRequest, "REQUIRED_PARAM_MISSING")
	body, ct = multipartBody(t, "a.txt", "", []byte("a"), "attachmentUrl", "https://x.example/")
	wantCode(t, f.call("POST", base, body, "Content-Type", ct), http.StatusBadRequest, "INVALID_DATA")
	wantCode(t, f.call("POST", base, `{"file":1}`, "Content-Type", "application/json"), http.StatusBadRequest, "INVALID_DATA")
	body, ct = multipartBody(t, "a.txt", "", []byte("a"))
	wantCode(t, f.call("POST", "/crm/v2/Cases/123/Attachments", body, "Content-Type", ct), http.StatusBadRequest, "INVALID_DATA")
	if n := len(f.org.Attachments("Cases", caseID)); n != 2 {
		t.Fatalf("%d attachments after refusals", n)
	}

	// Delete, then 204 when none are left.
	a = f.call("DELETE", base+"/"+fileID, nil)
	wantStatus(t, a, http.StatusOK)
	if it := a.data(t)[0]; it["message"] != "record deleted" || details(it)["id"] != fileID {
		t.Fatalf("%v", it)
	}
	wantCode(t, f.call("GET", base+"/"+fileID, nil), http.StatusBadRequest, "INVALID_DATA")
	f.call("DELETE", base+"/"+list[0]["id"].(string), nil)
	wantStatus(t, f.call("GET", base, nil), http.StatusNoContent)

	// Deleting the record deletes its attachments.
	body, ct = multipartBody(t, "a.txt", "", []byte("a"))
	f.call("POST", base, body, "Content-Type", ct)
	f.call("DELETE", "/crm/v2/Cases/"+caseID, nil)
	if n := len(f.org.Attachments("Cases", caseID)); n != 0 {
		t.Fatalf("%d attachments of a deleted record", n)
	}
}
