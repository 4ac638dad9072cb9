package zoho

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

func TestAttachmentsListFixtures(t *testing.T) {
	t.Run("v8", func(t *testing.T) {
		c, mt := newMockClient(t)
		var query string
		mt.RegisterResponder("GET", attURL, func(r *http.Request) (*http.Response, error) {
			query = r.URL.RawQuery
			return httpmock.NewBytesResponse(200, readTestdataFile(t, "v8oas_list_attachments_response_200.json")), nil
		})
		atts, resp, err := c.Attachments.List(t.Context(), "Leads", "5725767000000524157", &ListAttachmentsOptions{Fields: []string{"File_Name", "Size", "$link_url"}, PerPage: 50})
		if err != nil {
			t.Fatal(err)
		}
		if query != "fields=File_Name%2CSize%2C%24link_url&per_page=50" {
			t.Errorf("query %q", query)
		}
		if len(atts) != 2 || resp.Info == nil || resp.Info.Count != 2 {
			t.Fatalf("%d attachments, info %+v", len(atts), resp.Info)
		}
		f, l := atts[0], atts[1]
		if f.ID != "2876819000001935002" || f.FileName != "Q4_Report.pdf" || f.Size != 1048576 || f.Type != AttachmentTypeFile ||
			f.FileID != "file123" || f.Module != "Leads" || f.Parent == nil || f.Parent.ID != "2876819000001234567" ||
			f.Owner == nil || f.Owner.Name != "John CRM" || !f.Editable || f.CreatedTime.IsZero() || f.ModifiedTime.IsZero() {
			t.Errorf("file = %+v", f)
		}
		if l.Type != AttachmentTypeLink || l.LinkURL != "https://www.google.com" || l.Size != 0 || l.FileID != "" || l.Module != "Contacts" {
			t.Errorf("link = %+v", l)
		}
		if !strings.Contains(string(f.Raw), `"$state"`) {
			t.Error("Raw lacks unknown keys")
		}
	})
	t.Run("v7", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", attURL, httpmock.NewBytesResponder(200, readTestdataFile(t, "v7docs_list_attachments_response.json")))
		atts, _, err := c.Attachments.List(t.Context(), "Leads", "5725767000000524157", nil)
		if err != nil || len(atts) != 2 || atts[0].FileName != "Image.jpg" || atts[0].Parent != nil || atts[1].ID != "4876876000001015061" {
			t.Fatalf("%+v %v", atts, err)
		}
	})
	t.Run("none", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", attURL, httpmock.NewStringResponder(204, ""))
		atts, _, err := c.Attachments.List(t.Context(), "Leads", "5725767000000524157", nil)
		if err != nil || atts != nil {
			t.Fatalf("%v %v", atts, err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		c, _ := newMockClient(t)
		for _, o := range []*ListAttachmentsOptions{{Fields: []string{"a,b"}}, {PerPage: 201}, {Page: -1}} {
			if _, _, err := c.Attachments.List(t.Context(), "Leads", "1", o); err == nil {
				t.Errorf("%+v accepted", o)
			}
		}
	})
}

func TestAttachmentDecodingTolerant(t *testing.T) {
	var a Attachment
	if err := a.UnmarshalJSON([]byte(`{"id":"1","Size":12,"Parent_Id":"99","Created_Time":"","Modified_Time":null}`)); err != nil {
		t.Fatal(err)
	}
	if a.Size != 12 || a.Parent == nil || a.Parent.ID != "99" || !a.CreatedTime.IsZero() {
		t.Errorf("%+v", a)
	}
	if err := a.UnmarshalJSON([]byte(`{"id":"1","Size":"n/a","Parent_Id":""}`)); err != nil || a.Size != 0 || a.Parent != nil {
		t.Errorf("%+v %v", a, err)
	}
}

func TestAttachmentsListIter(t *testing.T) {
	c, mt := newMockClient(t)
	pages := map[string]string{
		"1": `{"data":[{"id":"a"},{"id":"b"}],"info":{"more_records":true}}`,
		"2": `{"data":[{"id":"c"}],"info":{"more_records":false}}`,
	}
	mt.RegisterResponder("GET", attURL, func(r *http.Request) (*http.Response, error) {
		return httpmock.NewStringResponse(200, pages[r.URL.Query().Get("page")]), nil
	})
	var ids []string
	for a, err := range c.Attachments.ListIter(t.Context(), "Leads", "5725767000000524157", nil) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, ",") != "a,b,c" {
		t.Errorf("ids %v", ids)
	}
	mt.RegisterResponder("GET", attURL, httpmock.NewStringResponder(404, `{"code":"INVALID_URL_PATTERN","message":"x","status":"error","details":{}}`))
	for a, err := range c.Attachments.ListIter(t.Context(), "Leads", "5725767000000524157", nil) {
		if a != nil || !errors.Is(err, ErrNotFound) {
			t.Errorf("%v %v", a, err)
		}
	}
}

func TestDownloadStreamsAndReleasesSlot(t *testing.T) {
	c, mt := newMockClient(t, WithConcurrency(1))
	content := bytes.Repeat([]byte{0, 1, 2, 0xff}, 1000)
	mt.RegisterResponder("GET", attURL+"/2876819000001935002", func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewBytesResponse(200, content)
		resp.Header.Set("Content-Type", "application/pdf")
		resp.Header.Set("Content-Disposition", `attachment; filename="Q4_Report.pdf"`)
		return resp, nil
	})
	mt.RegisterResponder("GET", attURL+"/gone", httpmock.NewStringResponder(204, ""))
	for i := 0; i < 3; i++ { // concurrency 1: each download must release its slot when closed
		body, resp, err := c.Attachments.Download(t.Context(), "Leads", "5725767000000524157", "2876819000001935002")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(body)
		body.Close()
		if !bytes.Equal(got, content) || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("download %d: %d bytes, %v", i, len(got), resp.Header)
		}
	}
	if _, _, err := c.Attachments.Download(t.Context(), "Leads", "5725767000000524157", "gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	// The slot of the 204 was released too.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	body, _, err := c.Attachments.Download(ctx, "Leads", "5725767000000524157", "2876819000001935002")
	if err != nil {
		t.Fatal(err)
	}
	body.Close()
	if _, _, err := c.Attachments.Download(t.Context(), "Leads", "5725767000000524157", ""); err == nil {
		t.Error("empty id accepted")
	}
}

func TestDeleteAttachment(t *testing.T) {
	for _, f := range []string{"v8oas_delete_attachment_response_200.json", "v7docs_delete_attachment_response.json"} {
		c, mt := newMockClient(t)
		mt.RegisterResponder("DELETE", attURL+"/2876819000001935002", httpmock.NewBytesResponder(200, readTestdataFile(t, f)))
		if _, err := c.Attachments.Delete(t.Context(), "Leads", "5725767000000524157", "2876819000001935002"); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	c, mt := newMockClient(t)
	mt.RegisterResponder("DELETE", attURL+"/1", httpmock.NewStringResponder(200,
		`{"data":[{"code":"INVALID_DATA","details":{"id":"1"},"message":"the id given seems to be invalid","status":"error"}]}`))
	if _, err := c.Attachments.Delete(t.Context(), "Leads", "5725767000000524157", "1"); !errors.Is(err, ErrInvalidData) {
		t.Errorf("err = %v", err)
	}
	mt.RegisterResponder("DELETE", attURL+"/2", httpmock.NewStringResponder(200, `{"data":[]}`))
	if _, err := c.Attachments.Delete(t.Context(), "Leads", "5725767000000524157", "2"); err == nil {
		t.Error("empty answer accepted")
	}
	if _, err := c.Attachments.Delete(t.Context(), "Leads", "..", "2"); err == nil {
		t.Error("'..' accepted")
	}
}

// Module names and ids are checked as the records service checks them, before anything is sent.
func TestAttachmentPathsValidated(t *testing.T) {
	c, mt := newMockClient(t)
	var sent []string
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, r.Method+" "+r.URL.String())
		return httpmock.NewStringResponse(200, `{"data":[]}`), nil
	})
	ctx := t.Context()
	for _, p := range []struct{ module, record, att string }{
		{"Leads?x=1", "1", "2"}, {"Leads/Attachments", "1", "2"}, {"Leads", "1,2", "2"}, {"Leads", " 1", "2"},
		{"Leads", "1", "2#x"}, {"Leads", "1", "a/b"}, {"", "1", "2"}, {"Leads", "", "2"}, {"Leads", "1", ""},
	} {
		var errs []error
		if p.att == "2" { // calls without an attachment id
			_, _, err := c.Attachments.Upload(ctx, p.module, p.record, File{Name: "a.txt", Body: strings.NewReader("x")}, nil)
			errs = append(errs, err)
			_, _, err = c.Attachments.UploadURL(ctx, p.module, p.record, Link{URL: "https://example.com/", Title: ""}, nil)
			errs = append(errs, err)
			_, _, err = c.Attachments.List(ctx, p.module, p.record, nil)
			errs = append(errs, err)
		}
		_, _, err := c.Attachments.Download(ctx, p.module, p.record, p.att)
		errs = append(errs, err)
		_, err = c.Attachments.Delete(ctx, p.module, p.record, p.att)
		errs = append(errs, err)
		for i, err := range errs {
			if err == nil || !strings.HasPrefix(err.Error(), "zoho: ") {
				t.Errorf("%+v call %d: err = %v", p, i, err)
			}
		}
	}
	if len(sent) != 0 {
		t.Errorf("sent %q", sent)
	}
}
