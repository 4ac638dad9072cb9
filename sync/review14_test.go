package sync_test

// Adversarial review of issues 14 and 15 (sync). Each test here failed on the code it was written
// against; it is kept as evidence of a defect and as a regression test for its fix.

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// The Case insert of a chat's end is applied by Zoho but its answer is lost (the step stays
// pending, with the hash of what was sent). The wrap-up arrives next: the reconcile finds the
// Case by its marker and records it done with the wrap-up's hash, though Zoho holds the content
// of the end. The wrap-up is never written, and every redelivery says "same content".
func TestReview14ReconciledCaseMissesTheWrapUp(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	c := chat("c-r14-wrap", visitor("r14wrap"))
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatStarted, c))
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("dropped answer: %v", err)
	}
	ev := chatEvent(cloudcx.EventChatWrappedUp, c)
	ev.WrapUp = &cloudcx.WrapUp{Categories: []string{"Billing"}, Comment: "Refund promised"}
	h.handle(ev)
	h.handle(ev) // redelivered
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 {
		t.Fatalf("%d cases, want 1", len(cases))
	}
	if d, _ := cases[0]["Description"].(string); !contains(d, "Refund promised") {
		t.Fatalf("the Case found by the reconcile was recorded with the wrap-up's content, but Zoho's description lacks the wrap-up:\n%s", d)
	}
}

// A Case that Zoho refused in manual mode (CreateCase) is listed as failed; the administrator
// fixes the cause and retries it: RetryFailed hands it to Handle, which skips a manual-mode
// tenant. Nothing is created, and the step, now pending, is no longer listed as failed.
func TestReview14RetryFailedInManualMode(t *testing.T) {
	h := newHarness(t)
	st := rules.DefaultSettings()
	st.Mode = rules.Manual
	h.settings("t1", st)
	rule, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Status: 400, Code: "MANDATORY_NOT_FOUND", Message: "required field not found"})
	if err != nil {
		t.Fatal(err)
	}
	c := chat("c-r14-manfail", visitor("r14manfail"))
	h.host.PutChat(c)
	if _, err := h.syncer.CreateCase(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID}); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("CreateCase = %v, want a permanent error", err)
	}
	steps, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10)
	if len(steps) != 1 {
		t.Fatalf("failed steps: %+v", steps)
	}
	rule.Remove()
	res, err := h.syncer.RetryFailed(t.Context(), steps[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d cases after RetryFailed (result: skipped %q)", n, res.Skipped)
	}
}

// newSyncerAt builds a second Syncer on the harness's store and fake Zoho, with the given clock
// and OAuth client scopes (nil: the defaults).
func newSyncerAt(t *testing.T, h *harness, clock func() time.Time, scopes []string) *cxsync.Syncer {
	t.Helper()
	return newSyncerWith(t, h, func(c *cxsync.Config) {
		c.Clock = clock
		c.OAuthClient = func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: h.srv.ClientID(), ClientSecret: h.srv.ClientSecret(), Endpoints: zoho.Endpoints{API: h.srv.URL(), Accounts: h.srv.URL()},
				RedirectURL: "https://app.example/zoho/callback", Scopes: scopes}, nil
		}
	})
}

// newSyncerWith builds a second Syncer on the harness's store and fake Zoho, configured as the
// harness's and then changed by mut.
func newSyncerWith(t *testing.T, h *harness, mut func(*cxsync.Config)) *cxsync.Syncer {
	t.Helper()
	cfg := cxsync.Config{
		Store: h.store,
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return &zoho.OAuthConfig{ClientID: h.srv.ClientID(), ClientSecret: h.srv.ClientSecret(), Endpoints: zoho.Endpoints{API: h.srv.URL(), Accounts: h.srv.URL()}, RedirectURL: "https://app.example/zoho/callback"}, nil
		},
		Loader:        h.host,
		Attachments:   h.host,
		ClientOptions: []zoho.Option{zoho.WithRetryPolicy(zoho.RetryPolicy{MaxRetries: -1})},
		LockWait:      20 * time.Second,
	}
	mut(&cfg)
	s, err := cxsync.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Credits ran out: the tenant is paused until the window passes. Once it has, events are sent
// again and succeed, but the connection still says paused (credits exhausted): the settings page
// shows a paused tenant that is working.
func TestReview14CreditsPauseIsNeverCleared(t *testing.T) {
	h := newHarness(t)
	var mu gosync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := newSyncerAt(t, h, clock, nil)
	if _, err := h.srv.InjectFault(zohotest.Fault{Path: "/crm/v2/*", Status: 429, Code: "TOO_MANY_REQUESTS",
		Message: "Number of API requests for the 24 hour period is exceeded", Times: 1}); err != nil {
		t.Fatal(err)
	}
	c := chat("c-r14-credits", visitor("r14credits"))
	h.host.PutChat(c)
	if _, err := s.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); cxsync.ClassOf(err) != cxsync.ClassTenantPaused {
		t.Fatalf("credits exhausted: %v", err)
	}
	mu.Lock()
	now = now.Add(25 * time.Hour)
	mu.Unlock()
	if _, err := s.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	st, err := s.Status(t.Context(), "t1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Connection.Health.Paused {
		t.Fatalf("the tenant works again, but its status says paused: %+v", st.Connection.Health)
	}
}

// The Agent Console's manual call carries a chat of tenant t2 under tenant t1: Handle refuses
// such an event (Event.Validate: the chat must agree with the event's tenant), the manual path
// does not validate and writes t2's chat into t1's Zoho org.
func TestReview14ManualRefusesAnotherTenantsChat(t *testing.T) {
	h := newHarness(t)
	c := chat("c-r14-other", visitor("r14other"))
	c.TenantID = "t2"
	_, err := h.syncer.CreateCase(t.Context(), cxsync.Manual{TenantID: "t1", Chat: c})
	if err == nil || cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("CreateCase of tenant t2's chat under t1: %v, want a permanent error", err)
	}
	if n := len(h.withMarker("Cases", c)); n != 0 {
		t.Fatalf("%d Cases of tenant t2 written to tenant t1's org", n)
	}
}

// The chat's end is delivered again after its wrap-up (queues deliver at least once, in any
// order). The loader's chat does not carry the wrap-up (it came with its event), so the render of
// the redelivered end differs from the recorded wrap-up content and is written over it: the
// Case loses the wrap-up.
func TestReview14RedeliveredEndAfterWrapUpErasesIt(t *testing.T) {
	h := newHarness(t)
	c := chat("c-r14-rewrap", visitor("r14rewrap"))
	h.host.PutChat(c)
	end := chatEvent(cloudcx.EventChatEnded, c)
	h.handle(end)
	wrap := chatEvent(cloudcx.EventChatWrappedUp, c)
	wrap.WrapUp = &cloudcx.WrapUp{Categories: []string{"Billing"}, Comment: "Refund promised"}
	h.handle(wrap)
	h.handle(end) // redelivered
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 {
		t.Fatalf("%d cases", len(cases))
	}
	if d, _ := cases[0]["Description"].(string); !contains(d, "Refund promised") {
		t.Fatalf("a redelivered end erased the wrap-up from the Case:\n%s", d)
	}
}

// Contacts merged in Zoho: the visitor's Contact is gone, sync notices, identifies the visitor
// again and files the Case under the surviving Contact — all done. But the person step that
// noticed it was marked failed, and nothing marks it done again: Status counts a failed step and
// ListSteps lists it for an administrator to "fix", though nothing is wrong.
func TestReview14VanishedPersonLeavesAFailedStep(t *testing.T) {
	h := newHarness(t)
	v := visitor("r14merged")
	c1 := chat("c-r14-merge-1", v)
	h.host.PutChat(c1)
	first := h.handle(chatEvent(cloudcx.EventChatEnded, c1))
	master, _ := h.org.Seed("Contacts", map[string]any{"Last_Name": "Master", "Email": v.Email})
	if err := h.org.MergeRecords("Contacts", master[0], first.Person.ID); err != nil {
		t.Fatal(err)
	}
	c2 := chat("c-r14-merge-2", v)
	h.host.PutChat(c2)
	h.handle(chatEvent(cloudcx.EventChatEnded, c2))
	if n := len(h.withMarker("Cases", c2)); n != 1 {
		t.Fatalf("%d cases", n)
	}
	st, err := h.syncer.Status(t.Context(), "t1")
	if err != nil {
		t.Fatal(err)
	}
	if st.FailedSteps != 0 {
		steps, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10)
		t.Fatalf("%d failed steps after everything succeeded: %+v (%+v)", st.FailedSteps, steps[0].Key, steps[0].Err)
	}
}

// failCase makes Zoho refuse the chat's Case for good and returns the failed step.
func failCase(t *testing.T, h *harness, c *cloudcx.Chat) (*zohotest.FaultRule, cxsync.StepKey) {
	t.Helper()
	rule, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Status: 400, Code: "MANDATORY_NOT_FOUND", Message: "required field not found"})
	if err != nil {
		t.Fatal(err)
	}
	h.host.PutChat(c)
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); cxsync.ClassOf(err) != cxsync.ClassPermanent {
		t.Fatalf("Handle = %v, want a permanent error", err)
	}
	steps, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10)
	if len(steps) != 1 {
		t.Fatalf("failed steps: %+v", steps)
	}
	return rule, steps[0].Key
}

// An administrator retries a failed Case and Zoho answers 500 this once: RetryFailed has already
// made the step pending, so the error leaves it pending — no longer listed as failed, refused by
// the next RetryFailed ("the step is pending, not failed"), and no event of an ended chat will
// come to complete it. The Case is never created.
func TestReview14RetryFailedInterruptedLosesTheStep(t *testing.T) {
	h := newHarness(t)
	c := chat("c-r14-retry500", visitor("r14retry500"))
	rule, key := failCase(t, h, c)
	rule.Remove() // fixed
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Status: 500, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.RetryFailed(t.Context(), key); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("first retry: %v, want a retry-later error", err)
	}
	if _, err := h.syncer.RetryFailed(t.Context(), key); err != nil {
		t.Fatalf("retrying again after a temporary failure: %v", err)
	}
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d cases", n)
	}
}

// The same with a paused tenant: RetryFailed turns the failed step pending, then Handle refuses
// (tenant paused); once the tenant is resumed the step is neither failed nor retried.
func TestReview14RetryFailedOnPausedTenantLosesTheStep(t *testing.T) {
	h := newHarness(t)
	c := chat("c-r14-retrypause", visitor("r14retrypause"))
	rule, key := failCase(t, h, c)
	rule.Remove()
	setPaused := func(paused bool) {
		conn, err := h.store.GetConnection(t.Context(), "t1")
		if err != nil {
			t.Fatal(err)
		}
		conn.Health.Paused, conn.Health.PauseReason = paused, cxsync.PauseScopeMismatch
		if _, err := h.store.PutConnection(t.Context(), conn); err != nil {
			t.Fatal(err)
		}
	}
	setPaused(true)
	if _, err := h.syncer.RetryFailed(t.Context(), key); cxsync.ClassOf(err) != cxsync.ClassTenantPaused {
		t.Fatalf("retry on a paused tenant: %v", err)
	}
	setPaused(false)
	steps, _, _ := h.store.ListSteps(t.Context(), "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 10)
	if len(steps) != 1 {
		st, _ := h.store.GetStep(t.Context(), key)
		t.Fatalf("after a refused retry the step is %s and %d failed steps are listed: it can no longer be retried", st.Status, len(steps))
	}
}

// A callback with a valid state but no code (a truncated or hand-edited URL) is reported as
// "wrong data centre": ParseOAuthCallback's every error other than access denied is typed so,
// and an administrator is told to look at the wrong thing.
func TestReview14CallbackWithoutCodeIsNotWrongDataCenter(t *testing.T) {
	h := newHarness(t)
	u, err := h.syncer.ConnectURL(t.Context(), cxsync.ConnectRequest{TenantID: "t-r14-nocode", Client: systemClient(h)})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := url.Parse(u)
	_, err = h.syncer.CompleteConnect(t.Context(), "", url.Values{"state": {p.Query().Get("state")}})
	var ce *cxsync.ConnectError
	if !errors.As(err, &ce) || ce.Kind == cxsync.ConnectWrongDataCenter {
		t.Fatalf("a callback without a code: %v", err)
	}
}

// memstore's ListSteps cursor is an offset into the current list: an administrator's "retry all"
// that lists a page, retries its steps (which leave the failed list) and asks for the next page
// skips as many failed steps as it retried. sqlstore's cursor is the last key seen, as the
// contract says ("starting after the cursor").
func TestReview14MemstoreCursorSkipsStepsThatLeftTheList(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, id := range []string{"a", "b", "c"} {
		if _, err := s.PutStep(ctx, &cxsync.Step{Key: cxsync.StepKey{TenantID: "t1", OrgID: "o", Section: cloudcx.SectionWebChat, SourceID: id, Kind: cxsync.StepRecord},
			Status: cxsync.StepFailed, UpdatedAt: at.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	page, cursor, err := s.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, "", 1)
	if err != nil || len(page) != 1 || page[0].Key.SourceID != "a" {
		t.Fatalf("first page %+v %v", page, err)
	}
	// "a" is retried: it is no longer failed.
	st := page[0]
	st.Status = cxsync.StepPending
	if _, err := s.PutStep(ctx, st); err != nil {
		t.Fatal(err)
	}
	next, _, err := s.ListSteps(ctx, "t1", cxsync.StepFilter{Status: cxsync.StepFailed}, cursor, 1)
	if err != nil || len(next) != 1 || next[0].Key.SourceID != "b" {
		var got []string
		for _, x := range next {
			got = append(got, x.Key.SourceID)
		}
		t.Fatalf("the page after the cursor is %v, want [b] (the step after the last one seen)", got)
	}
}

// Two files of one chat with the same name (every pasted screenshot is "image.png") share one
// planned file name, so one ledger step: the second is never uploaded, yet reported uploaded
// with the first one's id.
func TestReview14SameNamedFilesAreBothUploaded(t *testing.T) {
	h := newHarness(t)
	c := chat("c-r14-img", visitor("r14img"))
	c.Attachments = []cloudcx.Attachment{{ID: "f1", Name: "image.png", MIMEType: "image/png"}, {ID: "f2", Name: "image.png", MIMEType: "image/png"}}
	h.host.PutChat(c)
	h.host.PutAttachment("t1", "f1", []byte("\x89PNG first screenshot"), "image/png")
	h.host.PutAttachment("t1", "f2", []byte("\x89PNG second screenshot, another picture"), "image/png")
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 {
		t.Fatalf("%d cases", len(cases))
	}
	atts := h.org.Attachments("Cases", cases[0]["id"].(string))
	if len(atts) != 2 {
		t.Fatalf("%d files in Zoho for the chat's 2 files (result %+v)", len(atts), res.Attachments)
	}
}

// The agent asks for a Task for a chat whose Case automatic mode created: the record step of the
// chat holds the Case, and the Task render, whose hash differs, is sent as an update of that
// Case's id in the Tasks module.
func TestReview14ManualTaskAfterAutomaticCase(t *testing.T) {
	h := newHarness(t)
	c := chat("c-r14-mix", visitor("r14mix"))
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatEnded, c))
	res, err := h.syncer.CreateTask(t.Context(), cxsync.Manual{TenantID: "t1", ChatID: c.ID})
	if err != nil {
		t.Fatalf("CreateTask after the automatic Case: %v (record %+v)", err, res.Record)
	}
	if res.Record == nil || res.Record.Module != "Tasks" {
		t.Fatalf("CreateTask returned %+v", res.Record)
	}
	if n := len(h.withMarker("Tasks", c)); n != 1 {
		t.Fatalf("%d tasks for the chat", n)
	}
}

// A returning visitor's Contact is linked to an Account that was deleted in Zoho since. The
// Case's Account_Name is refused; sync takes it for a vanished person, drops the person (who is
// still there), identifies it again — and gets the dead Account back from the account cache, so
// the retried insert is refused too and the Case is marked failed for good.
func TestReview14DeletedAccountFailsTheCase(t *testing.T) {
	h := newHarness(t)
	accs, _ := h.org.Seed("Accounts", map[string]any{"Account_Name": "Initech"})
	v := visitor("r14initech")
	v.Company = "Initech"
	c1 := chat("c-r14-acc1", v)
	h.host.PutChat(c1)
	first := h.handle(chatEvent(cloudcx.EventChatEnded, c1))
	if first.Account == nil || first.Account.ID != accs[0] {
		t.Fatalf("account %+v", first.Account)
	}
	if err := h.org.DeleteRecord("Accounts", accs[0]); err != nil {
		t.Fatal(err)
	}
	c2 := chat("c-r14-acc2", v)
	h.host.PutChat(c2)
	res, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c2))
	if err != nil {
		t.Fatalf("the visitor's next chat after their Account was deleted: %v (class %s)", err, cxsync.ClassOf(err))
	}
	if n := len(h.withMarker("Cases", c2)); n != 1 {
		t.Fatalf("%d cases (%+v)", n, res.Record)
	}
}

// The Agent Console looks the visitor up while the chat goes on. sync created the visitor's
// Contact when the chat started, and knows it (person map, ledger), but Lookup only searches, and
// Zoho's search has not indexed the new Contact yet: the console shows no record for the
// visitor sync has just created. (A visitor with neither email nor phone is never found at all.)
func TestReview14LookupMissesThePersonSyncJustCreated(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	c := chat("c-r14-look", visitor("r14look"))
	h.host.PutChat(c)
	started := h.handle(chatEvent(cloudcx.EventChatStarted, c))
	lk, err := h.syncer.Lookup(t.Context(), "t1", cloudcx.SectionWebChat, c.Visitor)
	if err != nil {
		t.Fatal(err)
	}
	if lk.Person == nil || lk.Person.ID != started.Person.ID {
		t.Fatalf("Lookup during the chat: %+v, want the Contact %s sync created when it started", lk.Person, started.Person.ID)
	}
}

type blockingOpener struct {
	cloudcx.AttachmentOpener
	id      string
	n       int
	held    chan struct{}
	release chan struct{}
	mu      gosync.Mutex
	opens   int
}

func (b *blockingOpener) OpenAttachment(ctx context.Context, tenant string, a cloudcx.Attachment) (io.ReadCloser, cloudcx.AttachmentInfo, error) {
	if a.ID == b.id {
		b.mu.Lock()
		b.opens++
		hold := b.opens == b.n
		b.mu.Unlock()
		if hold {
			close(b.held)
			<-b.release
		}
	}
	return b.AttachmentOpener.OpenAttachment(ctx, tenant, a)
}

func TestReview14AmbiguousInsertAdoptsAnotherVisitorsContact(t *testing.T) {
	h := newHarness(t)
	a := cloudcx.Visitor{ID: "v-r14-a", Name: "Jane"}
	b := cloudcx.Visitor{ID: "v-r14-b", Name: "Jane"}
	ca, cb := chat("c-r14-a", a), chat("c-r14-b", b)
	h.host.PutChat(ca)
	h.host.PutChat(cb)
	first := h.handle(chatEvent(cloudcx.EventChatStarted, ca))
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropBeforeApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, cb)); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("dropped insert: %v", err)
	}
	res := h.handle(chatEvent(cloudcx.EventChatStarted, cb))
	if res.Person.ID == first.Person.ID {
		t.Fatalf("visitor B was linked to visitor A's Contact %s (%+v)", first.Person.ID, res.Person)
	}
}

func TestReview14EditedContactDefeatsTheReconcile(t *testing.T) {
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	c := chat("c-r14-edited", visitor("r14edited"))
	h.host.PutChat(c)
	ev := chatEvent(cloudcx.EventChatStarted, c)
	if _, err := h.syncer.Handle(t.Context(), ev); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("dropped answer: %v", err)
	}
	made := h.records("Contacts", "Email", c.Visitor.Email)
	if len(made) != 1 {
		t.Fatalf("%d contacts after the dropped answer", len(made))
	}
	if err := h.updateRecord("Contacts", made[0]["id"].(string), map[string]any{"Phone": "(555) 010-0199"}); err != nil {
		t.Fatal(err)
	}
	h.handle(ev)
	if n := len(h.records("Contacts", "Email", c.Visitor.Email)); n != 1 {
		t.Fatalf("%d contacts for one visitor after the retry, want 1", n)
	}
}

func TestReview14ExpiredLeaseUploadsTwice(t *testing.T) {
	h := newHarness(t)
	var mu gosync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, c, ev, op, first := heldUpload(t, h, "c-r14-lease", func(c *cxsync.Config) { c.Clock, c.LockTTL = clock, time.Minute })
	mu.Lock()
	now = now.Add(2 * time.Minute) // the upload outlasts the lease
	mu.Unlock()
	if _, err := s.Handle(t.Context(), ev); err != nil {
		t.Logf("second worker: %v", err)
	}
	close(op.release)
	if err := <-first; err != nil {
		t.Logf("first worker: %v", err)
	}
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 {
		t.Fatalf("%d cases", len(cases))
	}
	if atts := h.org.Attachments("Cases", cases[0]["id"].(string)); len(atts) != 1 {
		t.Fatalf("the file is attached %d times", len(atts))
	}
}

func TestReview14MissingScopesAcceptedAtConnect(t *testing.T) {
	h := newHarness(t)
	s := newSyncerAt(t, h, nil, []string{"ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ", "ZohoCRM.settings.fields.READ"})
	u, err := s.ConnectURL(t.Context(), cxsync.ConnectRequest{TenantID: "t-r14-scope", Client: systemClient(h)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CompleteConnect(t.Context(), "", consent(t, u))
	var ce *cxsync.ConnectError
	if !errors.As(err, &ce) || ce.Kind != cxsync.ConnectMissingScopes {
		t.Fatalf("consent without ZohoSearch.securesearch.READ and attachments: %v, want a ConnectMissingScopes error", err)
	}
}

func TestReview14PersonMapOverridesRuleOrder(t *testing.T) {
	h := newHarness(t)
	// A Contact with Bob's email, entered in Zoho by hand.
	ids, err := h.org.Seed("Contacts", map[string]any{"Last_Name": "Bob Byrne", "Email": "bob@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	// Alice chats first from the office line.
	alice := cloudcx.Visitor{ID: "v-alice", Name: "Alice Ames", Email: "alice@example.org", Phone: "+1 555 0100"}
	c1 := chat("c-r14-alice", alice)
	h.host.PutChat(c1)
	first := h.handle(chatEvent(cloudcx.EventChatStarted, c1))
	// Bob chats from the same line, with his own email.
	bob := cloudcx.Visitor{ID: "v-bob", Name: "Bob Byrne", Email: "bob@example.org", Phone: "+1 555 0100"}
	c2 := chat("c-r14-bob", bob)
	h.host.PutChat(c2)
	res := h.handle(chatEvent(cloudcx.EventChatStarted, c2))
	if res.Person.ID != ids[0] {
		t.Fatalf("Bob was linked to %s (Alice's Contact is %s), not to the Contact with his email %s (rule 1)", res.Person.ID, first.Person.ID, ids[0])
	}
}

func TestReview14ReResolvedLongConversationTranscriptIsStale(t *testing.T) {
	h := newHarness(t)
	c := conversation("c-r14-longrr", visitor("r14longrr"))
	res := h.handle(h.resolveAgainWithMore(c))
	tasks := h.withMarker("Tasks", c)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
	atts := h.org.Attachments("Tasks", tasks[0]["id"].(string))
	if len(atts) == 0 {
		t.Fatalf("no transcript attached (%+v)", res.Attachments)
	}
	var found bool
	for _, a := range atts {
		found = found || strings.Contains(string(a.Data), "The very last word")
	}
	if !found || len(atts) != 1 {
		t.Fatalf("the re-resolved conversation's new messages in an attachment: %v; %d attachments (want the old transcript replaced: 1); result %+v", found, len(atts), res.Attachments)
	}
	// Delivered again, nothing more is uploaded or deleted.
	h.handle(convEvent(cloudcx.EventConversationResolved, c))
	if n := len(h.org.Attachments("Tasks", tasks[0]["id"].(string))); n != 1 {
		t.Fatalf("%d attachments after a redelivery", n)
	}
}

// A live worker's lease is renewed while it works: with a lease of 900 ms, a worker held in a
// file's upload for two seconds still holds the chat, so a second worker handling the same end
// waits and gives up (ClassRetry) instead of taking the chat over and uploading the file again.
func TestLeaseRenewedDuringLongUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("lets two seconds pass")
	}
	h := newHarness(t)
	s, c, ev, op, first := heldUpload(t, h, "c-lease-renew", func(c *cxsync.Config) {
		c.LockTTL, c.LockWait = 900*time.Millisecond, 50*time.Millisecond
	})
	time.Sleep(2 * time.Second) // more than twice the lease: only renewals keep it
	if _, err := s.Handle(t.Context(), ev); cxsync.ClassOf(err) != cxsync.ClassRetry || !errors.Is(err, cxsync.ErrLockHeld) {
		t.Errorf("second worker during the upload: %v, want the chat's lock held", err)
	}
	close(op.release)
	if err := <-first; err != nil {
		t.Fatalf("first worker: %v", err)
	}
	cases := h.withMarker("Cases", c)
	if len(cases) != 1 || len(h.org.Attachments("Cases", cases[0]["id"].(string))) != 1 {
		t.Fatalf("%d cases, file attached %v", len(cases), cases)
	}
}

// The new transcript of a re-resolved conversation is uploaded but the answer is lost: the next
// attempt finds the new file by its name (not the old one, which has the same name), deletes the
// old one, and the Task ends with exactly the new transcript.
func TestReplacedTranscriptReconciledAfterLostAnswer(t *testing.T) {
	h := newHarness(t)
	c := conversation("c-rr-drop", visitor("rrdrop"))
	ev := h.resolveAgainWithMore(c)
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Tasks/*/Attachments", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.syncer.Handle(t.Context(), ev); cxsync.ClassOf(err) != cxsync.ClassRetry {
		t.Fatalf("lost answer: %v", err)
	}
	h.handle(ev)
	tasks := h.withMarker("Tasks", c)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
	atts := h.org.Attachments("Tasks", tasks[0]["id"].(string))
	if len(atts) != 1 || !strings.Contains(string(atts[0].Data), "The very last word") {
		t.Fatalf("%d attachments; want the new transcript alone", len(atts))
	}
}

// heldUpload starts handling the end of a chat with one file, whose upload is held (the file's
// second open: the first sizes it) until op.release is closed; it returns once the upload is
// held, with the first worker's error to come on first.
func heldUpload(t *testing.T, h *harness, id string, mut func(*cxsync.Config)) (*cxsync.Syncer, *cloudcx.Chat, cloudcx.Event, *blockingOpener, chan error) {
	op := &blockingOpener{AttachmentOpener: h.host, id: "f1", n: 2, held: make(chan struct{}), release: make(chan struct{})}
	s := newSyncerWith(t, h, func(c *cxsync.Config) { c.Attachments = op; mut(c) })
	c := chat(id, visitor(id))
	c.Attachments = []cloudcx.Attachment{{ID: "f1", Name: "big-video.mp4", MIMEType: "video/mp4"}}
	h.host.PutChat(c)
	h.host.PutAttachment("t1", "f1", []byte("pretend this is 100 MB"), "video/mp4")
	ev := chatEvent(cloudcx.EventChatEnded, c)
	first := make(chan error, 1)
	go func() {
		_, err := s.Handle(context.Background(), ev)
		first <- err
	}()
	<-op.held
	return s, c, ev, op, first
}
