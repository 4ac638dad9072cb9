package zoho

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
)

// slotWatcher is a token source that notes how many concurrency slots are taken each time the
// client asks it for a token.
type slotWatcher struct {
	mu     sync.Mutex
	client *Client
	held   []int
}

func (s *slotWatcher) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = append(s.held, len(s.client.limiter.slots))
	return &oauth2.Token{AccessToken: testToken}, nil
}

// The token is fetched after the call got its concurrency slot, so a call that queued behind
// slow downloads does not send a token that expired while it waited.
func TestSlotTakenBeforeTheToken(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", apiBase+"org", httpmock.NewStringResponder(200, `{}`))
	ts := &slotWatcher{}
	c, err := NewClient(WithTokenSource(ts), WithTransport(mt), WithBaseURL("https://www.zohoapis.com"), WithConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	ts.client = c
	req, _ := c.NewRequest(http.MethodGet, "org", nil, nil)
	for range 2 {
		if _, err := c.Do(t.Context(), req, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(ts.held) != 2 || ts.held[0] != 1 || ts.held[1] != 1 {
		t.Fatalf("slots held when the token was fetched: %v, want [1 1]", ts.held)
	}
}

// A download read to its end gives its slot back even if the caller never closes it; closing it
// later does not give back a second slot.
func TestSlotReleasedAtEndOfBody(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", apiBase+"Leads/1/Attachments/2", httpmock.NewStringResponder(200, strings.Repeat("x", 10<<10)))
	c, err := NewClient(WithTokenSource(staticTS("")), WithTransport(mt), WithBaseURL("https://www.zohoapis.com"), WithConcurrency(2))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := c.NewRequest(http.MethodGet, "Leads/1/Attachments/2", nil, nil)
	resp, err := c.DoRaw(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.limiter.slots); n != 1 {
		t.Fatalf("%d slots taken while the body is open", n)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || len(b) != 10<<10 {
		t.Fatalf("read %d bytes: %v", len(b), err)
	}
	if n := len(c.limiter.slots); n != 0 {
		t.Fatalf("%d slots still taken after the body was read to its end", n)
	}
	held, err := c.DoRaw(t.Context(), req) // takes one slot and keeps it
	if err != nil {
		t.Fatal(err)
	}
	defer held.Body.Close()
	resp.Body.Close() // must not give back a slot it no longer holds
	if n := len(c.limiter.slots); n != 1 {
		t.Fatalf("%d slots taken after the late Close, want the one still held", n)
	}
}
