package sync_test

// Adversarial review 14d of sync's two newest fixes (fb037c1: a loaded event is loaded again
// under the person's lock; b2390ef: a person an interrupted step created is adopted by its
// marker). Each test here fails on the code it was written against (base b2390ef) for a defect.
// Brought from the reviewer's branch; all pass since the person reload is decided by the locks
// (not clocks, and for person-only events too), the look for an interrupted insert is filtered
// by the step's match digests and ambiguity, and an adoption losing its step's CAS to the owner's
// own reconcile of the same record stands.

import (
	"context"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// r14dClock is a clock the test moves, shared by the fake Zoho and the Syncer.
type r14dClock struct {
	mu  gosync.Mutex
	now time.Time
}

func (c *r14dClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *r14dClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// lostAnswer handles ev with the next insert of module applied by Zoho and its answer lost: the
// event fails, to be delivered again.
func (h *harness) lostAnswer(module string, ev cloudcx.Event) {
	h.t.Helper()
	h.dropNextInsert(module)
	if _, err := h.syncer.Handle(h.t.Context(), ev); cxsync.ClassOf(err) != cxsync.ClassRetry {
		h.t.Fatalf("%s %s with the %s insert's answer lost: %v, want a retry", ev.Kind, ev.EventID, module, err)
	}
}

// dropNextInsert makes the next insert of module applied by Zoho with its answer lost.
func (h *harness) dropNextInsert(module string) {
	h.t.Helper()
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/" + module, Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
		h.t.Fatal(err)
	}
}

// Two interrupted Contact inserts (answers lost, search lagging): visitor X's (email E, phone
// P1) first, then visitor Y's (email F, phone P2). A new Inbox visitor Z has email E and phone
// P2. The rules are the defaults: email (rule 1), then phone (rule 2). Once Zoho indexes them,
// identification in rule order gives X's Contact (rule 1, email). interruptedPerson walks the
// recent records newest first and takes the first one ANY rule accepts: Y's Contact (rule 2,
// phone), newer than X's — "the visitor's rules would have found, asked in order" does not hold
// across records (person.go, interruptedPerson's recentRecords callback returns on the first
// record a rule matches, instead of deciding rule by rule over all the interrupted records).
// Expected: Z linked to X's Contact (rule 1). Actual: Y's Contact (rule 2).
func TestReview14dInterruptedAdoptionIgnoresRuleOrderAcrossRecords(t *testing.T) {
	clk := &r14dClock{now: time.Now()}
	h := newHarness(t, withFake(zohotest.WithIndexingDelay(time.Hour), zohotest.WithClock(clk.Now)),
		withConfig(func(c *cxsync.Config) { c.Clock = clk.Now }))
	h.settings("t1", rules.DefaultSettings())
	ctx := t.Context()
	vx := cloudcx.Visitor{ID: "v-r14d-x", Name: "Xavier Email", Email: "shared.r14d@example.org", Phone: "+1 555 0101 111"}
	vy := cloudcx.Visitor{ID: "v-r14d-y", Name: "Yolanda Phone", Email: "yolanda.r14d@example.org", Phone: "+1 555 0202 222"}
	vz := cloudcx.Visitor{ID: "v-r14d-z", Name: "Zed Both", Email: vx.Email, Phone: vy.Phone}
	cx, cy := chat("c-r14d-x", vx), chat("c-r14d-y", vy)
	cz := conversation("cv-r14d-z", vz)
	h.host.PutChat(cx)
	h.host.PutChat(cy)
	h.host.PutConversation(cz)
	for _, c := range []*cloudcx.Chat{cx, cy} {
		h.dropNextInsert("Contacts")
		if _, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
			t.Fatalf("dropped answer: %v", err)
		}
		clk.Add(5 * time.Second)
	}
	xs, ys := h.records("Contacts", "Email", vx.Email), h.records("Contacts", "Email", vy.Email)
	if len(xs) != 1 || len(ys) != 1 {
		t.Fatalf("Contacts of X %d, of Y %d", len(xs), len(ys))
	}
	res := h.handle(convEvent(cloudcx.EventConversationStarted, cz))
	if res.Person == nil || res.Person.ID != xs[0]["id"] {
		t.Fatalf("Z (X's email, Y's phone) linked to %+v; the rules in order pick X's Contact %v (rule 1, email), not Y's %v (rule 2, phone)", res.Person, xs[0]["id"], ys[0]["id"])
	}
}

// r14dStale sets up the delayed-load scenario of TestReview14cDelayedOlderEventOverwritesThePerson:
// a conversation (Contact policy Overwrite) whose next load is answered with old, handed over
// once loader.release is closed.
func r14dStale(t *testing.T, loader *staleLoader, h *harness, id string, old *cloudcx.Conversation) {
	t.Helper()
	loader.MemoryHost = h.host
	st := rules.DefaultSettings()
	st.UpdatePolicy.Contact = rules.Overwrite
	h.settings("t1", st)
	loader.id = id
	loader.old = old
}

// newerCopy returns a copy of c with the visitor's name and email changed.
func newerCopy(c *cloudcx.Conversation, name, email string) *cloudcx.Conversation {
	n := *c
	n.Messages = append([]cloudcx.Message(nil), c.Messages...)
	n.Visitor.Name = name
	if email != "" {
		n.Visitor.Email = email
	}
	return &n
}

func lastNames(recs []map[string]any) []any {
	var out []any
	for _, r := range recs {
		out = append(out, r["Last_Name"])
	}
	return out
}

// lockHookStore runs hook once, inside the first AcquireLock or RenewLock (after it is armed) of
// a key match accepts, before the store judges the call: a lock taken at a chosen moment, or a
// store call slow to run after its caller read the clock.
type lockHookStore struct {
	cxsync.Store
	mu    gosync.Mutex
	match func(key string) bool
	hook  func()
}

func (s *lockHookStore) arm(match func(key string) bool, hook func()) {
	s.mu.Lock()
	s.match, s.hook = match, hook
	s.mu.Unlock()
}

func (s *lockHookStore) AcquireLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) (func(context.Context) error, error) {
	s.run(key)
	return s.Store.AcquireLock(ctx, key, owner, ttl, now)
}

func (s *lockHookStore) RenewLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) error {
	s.run(key)
	return s.Store.RenewLock(ctx, key, owner, ttl, now)
}

func (s *lockHookStore) run(key string) {
	s.mu.Lock()
	hook := s.hook
	if hook != nil && s.match(key) {
		s.hook = nil
	} else {
		hook = nil
	}
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
}

// A delayed resolve E loaded the visitor with email A. Meanwhile the visitor changed their email
// to B and a second resolve wrote it (name "Jane Two"). E takes the person lock, sees the newer
// write, loads again (email B, "Jane Two"), and since the keys differ releases ALL its person
// locks (the visitor id's included) before taking the new set (person.go:196-201). In that gap
// a third resolve — the visitor corrected their name once more, "Jane Three" — takes the same
// locks and writes "Jane Three". E then holds the locks but does not look again (no re-check of
// the person's UpdatedAt against its reload; no loop): it merges its reload ("Jane Two") over
// "Jane Three". The visitor-id lock, which both key sets share and which would have kept the
// third event out, was released although it was still needed.
// Expected: the Contact ends "Jane Three". Actual: "Jane Two".
func TestReview14dRelockGapLetsANewerWriteBeOverwritten(t *testing.T) {
	const id = "cv-r14d-relock"
	loader := &staleLoader{loading: make(chan struct{}), release: make(chan struct{})}
	hs := &lockHookStore{Store: memstore.New()}
	h := newHarness(t, withStore(hs), withConfig(func(c *cxsync.Config) { c.Loader = loader }))
	v := visitor("r14drelock")
	v.Name = "Jane One"
	c := conversation(id, v)
	r14dStale(t, loader, h, "", nil)
	h.host.PutConversation(c)
	h.handle(convEvent(cloudcx.EventConversationStarted, c))
	loader.id, loader.old = id, newerCopy(c, v.Name, "")
	first := make(chan error, 1)
	go func() {
		_, err := h.syncer.Handle(t.Context(), convEvent(cloudcx.EventConversationResolved, c))
		first <- err
	}()
	<-loader.loading
	const emailB = "jane.two.r14drelock@example.org"
	two := newerCopy(c, "Jane Two", emailB)
	h.host.PutConversation(two)
	h.handle(convEvent(cloudcx.EventConversationResolved, two))
	var thirdErr error
	hs.arm(func(key string) bool { return strings.HasSuffix(key, "|email:"+emailB) }, func() { // E's relock of the newer keys: the third resolve slips in
		three := newerCopy(two, "Jane Three", "")
		h.host.PutConversation(three)
		_, thirdErr = h.syncer.Handle(context.WithoutCancel(t.Context()), convEvent(cloudcx.EventConversationResolved, three))
	})
	close(loader.release)
	if err := <-first; err != nil {
		t.Fatalf("the delayed first resolve: %v", err)
	}
	if thirdErr != nil {
		t.Fatalf("the third resolve: %v", thirdErr)
	}
	hs.mu.Lock()
	fired := hs.hook == nil
	hs.mu.Unlock()
	if !fired {
		t.Fatal("E never relocked the newer keys")
	}
	if got := h.records("Contacts", "Email", emailB); len(got) != 1 || got[0]["Last_Name"] != "Jane Three" {
		t.Fatalf("Contacts %v after the delayed resolve relocked, want Last_Name \"Jane Three\" (the third resolve's, written in the relock gap)", lastNames(got))
	}
}

// stepHookStore runs hook once, just before the first PutStep that records the step under key
// done.
type stepHookStore struct {
	cxsync.Store
	mu   gosync.Mutex
	key  cxsync.StepKey
	hook func()
}

func (s *stepHookStore) PutStep(ctx context.Context, st *cxsync.Step) (int64, error) {
	s.mu.Lock()
	hook := s.hook
	if hook != nil && st.Key == s.key && st.Status == cxsync.StepDone {
		s.hook = nil
	} else {
		hook = nil
	}
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return s.Store.PutStep(ctx, st)
}

// The tenant maps a chat's custom field "mobile" to the Contact's Mobile (an extra mapping); the
// phone rule checks Phone and Mobile. Visitor X (Web Chat) has that mobile; X's Contact insert
// is applied with its answer lost (step pending, errored), the search lags. Inbox visitor Y,
// whose phone is X's mobile, starts a conversation: the phone rule finds X's Contact (through
// Mobile), so interruptedPerson adopts it and writes X's step done — a step Y does not lock (X's
// locks are X's visitor id, email and Web Chat phone; Y's are its own: disjoint). At that moment
// X's event is redelivered and its own reconcile records the step done first: Y's PutStep fails
// on the version (ErrConflict), and Y's Handle returns a ClassRetry error (person.go,
// interruptedPerson: "recording the person step"). Y is redelivered: the person map has X's
// Contact only under X's keys, the search still lags, and X's step is no longer pending, so
// interruptedPerson no longer sees it: Y inserts a second Contact for the person the rules made
// one. A conflict on a step whose record is the one being adopted should not undo the adoption.
// Expected: Y linked to X's Contact, one Contact. Actual: a second Contact for Y.
func TestReview14dAdoptionLosesTheRaceWithTheOwnerAndDuplicates(t *testing.T) {
	hs := &stepHookStore{Store: memstore.New()}
	h := newHarness(t, withStore(hs), withFake(zohotest.WithIndexingDelay(10e9)))
	st := rules.DefaultSettings()
	st.ExtraMappings = []rules.ExtraMapping{{Module: rules.ModuleContacts, CloudCXField: rules.PrefixCustom + "mobile", ZohoField: "Mobile"}}
	h.settings("t1", st)
	ctx := t.Context()
	const mobile = "+1 555 0303 333"
	vx := cloudcx.Visitor{ID: "v-r14d-rx", Name: "Xena Mobile", Email: "xena.r14d@example.org", Phone: "+1 555 0404 444"}
	vy := cloudcx.Visitor{ID: "v-r14d-ry", Name: "Xena Inbox", Email: "xena.inbox.r14d@example.org", Phone: mobile}
	cx := chat("c-r14d-rx", vx)
	cx.CustomFields = cloudcx.Fields{{Name: "mobile", Value: mobile}}
	cy := conversation("cv-r14d-ry", vy)
	h.host.PutChat(cx)
	h.host.PutConversation(cy)
	h.lostAnswer("Contacts", chatEvent(cloudcx.EventChatStarted, cx))
	all := h.org.Records("Contacts")
	var xid string
	for _, r := range all {
		if r["Email"] == vx.Email {
			xid, _ = r["id"].(string)
		}
	}
	if xid == "" || !hasMobile(all, xid) {
		t.Fatalf("X's Contact with the mobile: %v", all)
	}
	xStep := cxsync.StepKey{TenantID: "t1", OrgID: h.org.ID(), Section: cloudcx.SectionWebChat, SourceID: "visitor:web_chat:" + vx.ID, Kind: cxsync.StepPerson, Name: rules.ModuleContacts}
	if s, err := hs.GetStep(ctx, xStep); err != nil || s.Status != cxsync.StepPending {
		t.Fatalf("X's step: %+v, %v", s, err)
	}
	var ownerErr error
	hs.mu.Lock()
	hs.key = xStep
	hs.hook = func() { // X's event redelivered at the same moment: its reconcile wins the step
		_, ownerErr = h.syncer.Handle(context.WithoutCancel(ctx), chatEvent(cloudcx.EventChatStarted, cx))
	}
	hs.mu.Unlock()
	res, err := h.syncer.Handle(ctx, convEvent(cloudcx.EventConversationStarted, cy))
	if ownerErr != nil {
		t.Fatalf("X redelivered: %v", ownerErr)
	}
	if err != nil {
		t.Logf("Y's first attempt: %v (class %s); redelivered", err, cxsync.ClassOf(err))
		res = h.handle(convEvent(cloudcx.EventConversationStarted, cy))
	}
	n := len(h.org.Records("Contacts")) - len(all)
	if res.Person == nil || res.Person.ID != xid || n != 0 {
		t.Fatalf("Y (phone = X's mobile) linked to %+v and %d Contact(s) more; want X's Contact %s adopted, none more", res.Person, n, xid)
	}
}

func hasMobile(recs []map[string]any, id string) bool {
	for _, r := range recs {
		if r["id"] == id && r["Mobile"] != nil && r["Mobile"] != "" {
			return true
		}
	}
	return false
}
