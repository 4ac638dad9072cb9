package sync_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// harness is one fake Zoho with the demo org, a memory store, a memory CloudCX host and a Syncer,
// with tenant "t1" connected.
type harness struct {
	t      testing.TB
	srv    *zohotest.Server
	org    *zohotest.Org
	store  cxsync.Store
	host   *cloudcx.MemoryHost
	syncer *cxsync.Syncer
	start  time.Time
}

type harnessOpt func(*harnessConfig)

type harnessConfig struct {
	fake  []zohotest.Option
	store cxsync.Store
	mut   func(*cxsync.Config)
}

func withFake(o ...zohotest.Option) harnessOpt {
	return func(c *harnessConfig) { c.fake = append(c.fake, o...) }
}
func withStore(s cxsync.Store) harnessOpt { return func(c *harnessConfig) { c.store = s } }

// withConfig changes the harness Syncer's Config before it is built.
func withConfig(mut func(*cxsync.Config)) harnessOpt {
	return func(c *harnessConfig) { c.mut = mut }
}

var chatStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newHarness(t testing.TB, opts ...harnessOpt) *harness {
	t.Helper()
	hc := harnessConfig{}
	for _, o := range opts {
		o(&hc)
	}
	srv := zohotest.New(t, hc.fake...)
	org, err := srv.AddDemoOrg()
	if err != nil {
		t.Fatal(err)
	}
	store := hc.store
	if store == nil {
		store = memstore.New()
	}
	h := &harness{t: t, srv: srv, org: org, store: store, host: &cloudcx.MemoryHost{}, start: chatStart}
	cfg := cxsync.Config{
		Store: store,
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoints: zoho.Endpoints{API: srv.URL(), Accounts: srv.URL()}, RedirectURL: "https://app.example/zoho/callback"}, nil
		},
		Loader:        h.host,
		Attachments:   h.host,
		ClientOptions: []zoho.Option{zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: -1})},
		LockWait:      20 * time.Second,
	}
	if hc.mut != nil {
		hc.mut(&cfg)
	}
	s, err := cxsync.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.syncer = s
	h.connect("t1", org)
	st := rules.DefaultSettings()
	st.Sections.Inbox.Action = rules.Sales
	h.settings("t1", st)
	return h
}

// connect stores a connection of tenant to org with a fresh refresh token.
func (h *harness) connect(tenant string, org *zohotest.Org) {
	h.t.Helper()
	ctx := h.t.Context()
	tok := &zoho.Token{RefreshToken: org.IssueRefreshToken(), AccountsServer: h.srv.URL(), APIDomain: h.srv.URL()}
	if _, err := h.store.SaveToken(ctx, tenant, tok, 0); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.store.PutConnection(ctx, &cxsync.Connection{TenantID: tenant, OrgID: org.ID(), OrgName: org.Name(),
		Edition: org.Edition(), UserID: org.CurrentUser().ID, UserEmail: org.CurrentUser().Email,
		Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: h.srv.ClientID()}, ConnectedAt: chatStart}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) settings(tenant string, st rules.Settings) {
	h.t.Helper()
	if err := h.syncer.SaveSettings(h.t.Context(), tenant, st); err != nil {
		h.t.Fatal(err)
	}
}

// visitor is a new visitor with details derived from n.
func visitor(n string) cloudcx.Visitor {
	h := fnv.New32a()
	h.Write([]byte(n))
	return cloudcx.Visitor{ID: "v-" + n, Name: "Jane " + n, Email: "jane." + n + "@example.org", Phone: fmt.Sprintf("+1 555 %07d", h.Sum32()%10000000)}
}

// chat is an ended Web Chat of tenant t1 with an agent who is a Zoho user.
func chat(id string, v cloudcx.Visitor) *cloudcx.Chat {
	return &cloudcx.Chat{Thread: cloudcx.Thread{
		ID: id, TenantID: "t1", Channel: cloudcx.ChannelWebChat, Visitor: v,
		Agents: []cloudcx.Agent{{ID: "a1", Name: "Anna Kingsley", Email: "anna.kingsley@zylker.example"}},
		Messages: []cloudcx.Message{
			{ID: "m1", SentAt: chatStart, SenderKind: cloudcx.SenderVisitor, SenderName: v.Name, Text: "Hello, my order is late."},
			{ID: "m2", SentAt: chatStart.Add(time.Minute), SenderKind: cloudcx.SenderAgent, SenderID: "a1", SenderName: "Anna Kingsley", Text: "Let me check."},
		},
		StartedAt: chatStart, EndedAt: chatStart.Add(10 * time.Minute), Status: cloudcx.StatusNormal,
	}}
}

// conversation is a resolved Inbox conversation of tenant t1.
func conversation(id string, v cloudcx.Visitor) *cloudcx.Conversation {
	c := chat(id, v)
	c.Channel = cloudcx.ChannelEmail
	return &cloudcx.Conversation{Thread: c.Thread, State: cloudcx.ConversationResolved}
}

func chatEvent(kind cloudcx.EventKind, c *cloudcx.Chat) cloudcx.Event {
	return cloudcx.Event{Kind: kind, EventID: string(kind) + ":" + c.ID, TenantID: c.TenantID, ChatID: c.ID, VisitorID: c.Visitor.ID}
}

func convEvent(kind cloudcx.EventKind, c *cloudcx.Conversation) cloudcx.Event {
	return cloudcx.Event{Kind: kind, EventID: string(kind) + ":" + c.ID, TenantID: c.TenantID, ConversationID: c.ID, VisitorID: c.Visitor.ID}
}

// handle handles ev and fails the test on an error.
func (h *harness) handle(ev cloudcx.Event) *cxsync.Result {
	h.t.Helper()
	res, err := h.syncer.Handle(h.t.Context(), ev)
	if err != nil {
		h.t.Fatalf("Handle(%s): %v", ev.Kind, err)
	}
	return res
}

// records returns the org's records of module whose field equals value.
func (h *harness) records(module, field, value string) []map[string]any {
	var out []map[string]any
	for _, r := range h.org.Records(module) {
		if s, _ := r[field].(string); s == value {
			out = append(out, r)
		}
	}
	return out
}

// withMarker returns the org's records of module whose Subject carries the chat's marker.
func (h *harness) withMarker(module string, in cloudcx.Interaction) []map[string]any {
	var out []map[string]any
	for _, r := range h.org.Records(module) {
		if s, _ := r["Subject"].(string); rules.HasMarker(s, rules.KeyOf(in)) {
			out = append(out, r)
		}
	}
	return out
}

func lookupID(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m["id"].(string)
		return s
	}
	return ""
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// time_ is i seconds.
func time_(i int) time.Duration { return time.Duration(i) * time.Second }

// longMessages returns n visitor messages a second apart: a transcript longer than a Description
// holds once n is large (1,500 of them).
func longMessages(n int) []cloudcx.Message {
	msgs := make([]cloudcx.Message, 0, n)
	for i := range n {
		msgs = append(msgs, cloudcx.Message{ID: fmt.Sprint("m", i), SentAt: chatStart.Add(time_(i)), SenderKind: cloudcx.SenderVisitor, SenderName: "Jane", Text: fmt.Sprintf("message number %d with some more words in it", i)})
	}
	return msgs
}

// resolveAgainWithMore resolves a long conversation, reopens it and adds "The very last word",
// returning the second resolve.
func (h *harness) resolveAgainWithMore(c *cloudcx.Conversation) cloudcx.Event {
	c.Messages = longMessages(1500)
	h.host.PutConversation(c)
	h.handle(convEvent(cloudcx.EventConversationResolved, c))
	h.handle(convEvent(cloudcx.EventConversationReopened, c))
	c.Messages = append(c.Messages, cloudcx.Message{ID: "late", SentAt: chatStart.Add(2 * time.Hour), SenderKind: cloudcx.SenderVisitor, SenderName: "Jane", Text: "The very last word"})
	h.host.PutConversation(c)
	return convEvent(cloudcx.EventConversationResolved, c)
}

// admin returns a client of the org as a Zoho user of the web UI would act.
func (h *harness) admin() *zoho.Client {
	h.t.Helper()
	tok := &zoho.Token{RefreshToken: h.org.IssueRefreshToken(), AccountsServer: h.srv.URL(), APIDomain: h.srv.URL()}
	store := zoho.NewMemoryTokenStore()
	if _, err := store.SaveToken(h.t.Context(), "admin", tok, 0); err != nil {
		h.t.Fatal(err)
	}
	ts, err := zoho.NewTokenSource(&zoho.OAuthConfig{ClientID: h.srv.ClientID(), ClientSecret: h.srv.ClientSecret(), Endpoints: zoho.Endpoints{API: h.srv.URL(), Accounts: h.srv.URL()}}, store, "admin")
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := zoho.NewClient(zoho.WithTokenSource(ts))
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// deleteRecord deletes a record through the API, as a Zoho user would in the web UI.
func (h *harness) deleteRecord(module, id string) error {
	res, _, err := h.admin().Records.Delete(h.t.Context(), module, []string{id}, nil)
	if err != nil {
		return err
	}
	return res.Err()
}

// updateRecord sets fields of a record through the API, as a Zoho user would in the web UI.
func (h *harness) updateRecord(module, id string, fields map[string]any) error {
	r := crm.NewRecord()
	r.SetID(id)
	for k, v := range fields {
		if err := r.Set(k, v); err != nil {
			return err
		}
	}
	_, _, err := h.admin().Records.UpdateOne(h.t.Context(), module, r, nil)
	return err
}
