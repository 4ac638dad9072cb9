package zoho_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cloudcx/cxzoho/zoho"
	"golang.org/x/oauth2"
)

// Attaching a chat transcript to a Case, then downloading it again.
func ExampleAttachmentsService_Upload() {
	var stored string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			f, hdr, err := r.FormFile("file")
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			b, _ := io.ReadAll(f)
			stored = string(b)
			fmt.Println("Zoho received", hdr.Filename, len(b), "bytes at", r.URL.Path)
			fmt.Fprint(w, `{"data":[{"code":"SUCCESS","details":{"Created_Time":"2024-05-01T10:00:00+02:00","id":"9001",
				"Created_By":{"name":"Agent","id":"42"}},"message":"attachment uploaded successfully","status":"success"}]}`)
		case http.MethodGet:
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, stored)
		}
	}))
	defer srv.Close()
	client, err := zoho.NewClient(
		zoho.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "1000.example"})),
		zoho.WithEndpoints(zoho.Endpoints{API: srv.URL}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	transcript := strings.NewReader("10:00 Visitor: Hello\n10:01 Agent: Hi!\n") // seekable: streamed, replayable
	att, _, err := client.Attachments.Upload(ctx, "Cases", "5001", zoho.File{Name: "transcript.txt", ContentType: "text/plain", Body: transcript}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("attachment", att.ID, att.FileName, att.Size, "bytes, by", att.CreatedBy.Name)

	body, _, err := client.Attachments.Download(ctx, "Cases", "5001", att.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer body.Close() // holds a concurrency slot until closed
	b, _ := io.ReadAll(body)
	fmt.Printf("%q\n", b)

	_, _, err = client.Attachments.Upload(ctx, "Cases", "5001", zoho.File{Name: "setup.exe", Body: strings.NewReader("MZ")}, nil)
	fmt.Println(err)
	// Output:
	// Zoho received transcript.txt 38 bytes at /crm/v2/Cases/5001/Attachments
	// attachment 9001 transcript.txt 38 bytes, by Agent
	// "10:00 Visitor: Hello\n10:01 Agent: Hi!\n"
	// zoho: attachment "setup.exe" refused: Zoho CRM accepts all file types except .exe
}
