package zohotest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeHTTP sends arbitrary API and token requests to the fake: it must answer every one
// (never panic), and every error it answers is Zoho's envelope or a token error.
func FuzzServeHTTP(f *testing.F) {
	seeds := []struct{ method, target, ctype, body string }{
		{"GET", "/crm/v2/Leads?page=2&per_page=1&sort_by=Created_Time&sort_order=asc", "", ""},
		{"GET", "/crm/v2/Leads?page=9223372036854775807", "", ""},
		{"GET", "/crm/v2/Contacts/search?criteria=((Last_Name:equals:Marrier)and(Email:starts_with:kr))", "", ""},
		{"GET", "/crm/v2/Contacts/search?word=zy&page=9223372036854775807", "", ""},
		{"GET", "/crm/v2/users?type=ActiveUsers&page=3", "", ""},
		{"POST", "/crm/v2/Leads", "", `{"data":[{"Last_Name":"L","Company":"C","Owner":{"id":1}}]}`},
		{"POST", "/crm/v2/Tasks", "", `{"data":[{"Subject":"S","What_Id":{"id":"1"},"$se_module":"Tasks"}]}`},
		{"PUT", "/crm/v2/Leads", "", `{"data":[{"id":{"id":"x"}},null,[]]}`},
		{"POST", "/crm/v2/Accounts/upsert", "", `{"data":[{"Account_Name":"Zylker"}],"duplicate_check_fields":["Account_Name"]}`},
		{"DELETE", "/crm/v2/Accounts?ids=,,1,", "", ""},
		{"POST", "/crm/v2/Cases/1/Attachments", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nA\r\n--x--\r\n"},
		{"GET", "/crm/v2/settings/fields?module=Cases", "", ""},
		{"POST", "/oauth/v2/token?grant_type=refresh_token", "application/x-www-form-urlencoded", "client_id=1000.ZOHOTESTCLIENT0000000000000000&refresh_token=x"},
		{"POST", "/oauth/v2/token", "multipart/form-data; boundary=y", "--y\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--y--\r\n"},
		{"GET", "/oauth/v2/auth?response_type=code&client_id=1000.ZOHOTESTCLIENT0000000000000000&redirect_uri=http://a/&scope=a.b.c", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.ctype, s.body)
	}
	f.Fuzz(func(t *testing.T, method, target, ctype, body string) {
		switch method {
		case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD":
		default:
			method = "GET"
		}
		if !strings.HasPrefix(target, "/") {
			target = "/crm/v2/" + target
		}
		srv := NewServer()
		org, err := srv.AddDemoOrg()
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(method, "http://fake.invalid"+target, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.RequestURI = target
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Authorization", "Zoho-oauthtoken "+org.IssueAccessToken())
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("%s %s: status %d", method, target, w.Code)
		}
		if org.InFlight() != 0 {
			t.Fatalf("%s %s: %d calls still in flight", method, target, org.InFlight())
		}
	})
}
