package zoho

import (
	"errors"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
)

// A Request built by hand, not by NewRequest, is checked when it is sent: a path that leaves the
// API is refused with a *PathError and nothing (no token above all) goes out.
func TestHandBuiltRequestPathCheckedWhenSent(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		t.Errorf("sent %s %s", r.Method, r.URL)
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	bad := []string{
		"../../admin",
		"Leads/../../oauth",
		"Leads/./x",
		"/crm/v2/Leads",
		"https://evil.io/x",
		"//evil.io/x",
		"Leads?x=1",
		"Leads#f",
		"",
		"Leads//x",
		"Leads/",
		"Leads/%2e%2e/%2E%2E/admin",
		"Leads/..%2f..%2fadmin",
		`Leads\..\..\admin`,
		"Leads/%zz",
		"Leads/\x00",
		"Leads\r\nX: y",
	}
	for _, p := range bad {
		req := &Request{Method: http.MethodGet, Path: p}
		var pe *PathError
		if _, err := c.Do(t.Context(), req, nil); !errors.As(err, &pe) || pe.Path != p {
			t.Errorf("Do(%q): err = %v, want *PathError", p, err)
		}
		if resp, err := c.DoRaw(t.Context(), req); !errors.As(err, &pe) {
			t.Errorf("DoRaw(%q): err = %v, want *PathError", p, err)
			if err == nil {
				resp.Body.Close()
			}
		}
		if _, err := c.NewRequest(http.MethodGet, p, nil, nil); !errors.As(err, &pe) {
			t.Errorf("NewRequest(%q): err = %v, want *PathError", p, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	// A good hand-built request goes out.
	mt.RegisterResponder("GET", apiBase+"Leads/12", httpmock.NewStringResponder(200, `{"data":[]}`))
	if _, err := c.Do(t.Context(), &Request{Method: http.MethodGet, Path: "Leads/12"}, nil); err != nil {
		t.Fatal(err)
	}
}
