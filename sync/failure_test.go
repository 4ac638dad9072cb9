package sync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// Credits exhausted: the tenant is paused, later events send nothing until the pause ends.
func TestCreditsExhaustedPausesTheTenant(t *testing.T) {
	h := newHarness(t)
	if _, err := h.srv.InjectFault(zohotest.Fault{Path: "/crm/v2/*", Status: 429, Code: "TOO_MANY_REQUESTS",
		Message: "Number of API requests for the 24 hour period is exceeded", Times: 1}); err != nil {
		t.Fatal(err)
	}
	c := chat("c-credits", visitor("credits"))
	h.host.PutChat(c)
	_, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c))
	if cxsync.ClassOf(err) != cxsync.ClassTenantPaused || !errors.Is(err, zoho.ErrCreditsExhausted) {
		t.Fatalf("credits exhausted: class %q, %v", cxsync.ClassOf(err), err)
	}
	conn, _ := h.store.GetConnection(t.Context(), "t1")
	if !conn.Health.Paused || conn.Health.PauseReason != cxsync.PauseCreditsExhausted || conn.Health.PausedUntil.IsZero() {
		t.Fatalf("health %+v", conn.Health)
	}
	before := len(h.srv.Calls())
	res, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c))
	if !errors.Is(err, cxsync.ErrTenantPaused) || res.Calls != 0 || len(h.srv.Calls()) != before {
		t.Fatalf("paused tenant: %v, %d calls", err, res.Calls)
	}
	var e *cxsync.Error
	if !errors.As(err, &e) || e.RetryAfter <= 0 {
		t.Fatalf("a paused tenant's error should say when to retry: %+v", e)
	}
}

// A context that ends in the middle of the Case insert: the insert, sent, is awaited and what Zoho
// answered is recorded (a caller that gave up does not leave a write Zoho made unrecorded); the
// next delivery finds the step done, and the Case exists once.
func TestCancelledMidCallIsRecorded(t *testing.T) {
	h := newHarness(t)
	c := chat("c-cancel", visitor("cancel"))
	h.host.PutChat(c)
	h.handle(chatEvent(cloudcx.EventChatStarted, c))
	if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Cases", Kind: zohotest.FaultSlow, Delay: 300 * time.Millisecond, Times: 1}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := h.syncer.Handle(ctx, chatEvent(cloudcx.EventChatEnded, c)); err != nil {
		t.Fatalf("cancelled mid-call, the insert answered: %v, want the Case recorded", err)
	}
	if res := h.handle(chatEvent(cloudcx.EventChatEnded, c)); res.Calls != 0 {
		t.Fatalf("the redelivery made %d Zoho calls, want 0 (the step recorded done)", res.Calls)
	}
	if n := len(h.withMarker("Cases", c)); n != 1 {
		t.Fatalf("%d cases, want 1", n)
	}
}

// A Contact deleted in Zoho after it was synced: the next chat with new details finds it gone,
// forgets it and creates a new one.
func TestVanishedContactIsCreatedAgain(t *testing.T) {
	h := newHarness(t)
	v := visitor("vanish")
	c1 := chat("c-v1", v)
	h.host.PutChat(c1)
	first := h.handle(chatEvent(cloudcx.EventChatEnded, c1))
	if err := h.deleteRecord("Contacts", first.Person.ID); err != nil {
		t.Fatal(err)
	}
	v.Company = "New Co"
	v.Name = "Jane Vanish-Renamed"
	c2 := chat("c-v2", v)
	h.host.PutChat(c2)
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c2))
	if res.Person.ID == first.Person.ID || res.Person.Outcome != cxsync.Created {
		t.Fatalf("person %+v after the first (%s) was deleted", res.Person, first.Person.ID)
	}
	cases := h.withMarker("Cases", c2)
	if len(cases) != 1 || lookupID(cases[0]["Related_To"]) != res.Person.ID {
		t.Fatalf("case %v", cases)
	}
}

// A section switched off sends nothing.
func TestSectionOff(t *testing.T) {
	h := newHarness(t)
	st := rules.DefaultSettings()
	st.Sections.WebChat.Action = rules.Off
	h.settings("t1", st)
	c := chat("c-off", visitor("off"))
	h.host.PutChat(c)
	res := h.handle(chatEvent(cloudcx.EventChatEnded, c))
	if res.Skipped == "" || res.Calls != 0 {
		t.Fatalf("%+v", res)
	}
}

// An unknown time zone is refused when settings are saved.
func TestSaveSettingsRefusesUnknownZone(t *testing.T) {
	h := newHarness(t)
	st := rules.DefaultSettings()
	st.TimeZone = "Mars/Olympus_Mons"
	var ve *rules.ValidationError
	if err := h.syncer.SaveSettings(t.Context(), "t1", st); !errors.As(err, &ve) {
		t.Fatalf("unknown zone: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	if _, err := cxsync.New(cxsync.Config{}); err == nil || !contains(err.Error(), "Store is required") || !contains(err.Error(), "OAuthClient is required") {
		t.Fatalf("empty config: %v", err)
	}
	cfg := cxsync.Config{Store: memstore.New(), OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) { return nil, nil }}
	// A lock held while Handle waits for the next is not renewed: a wait longer than half the
	// lease would end it before the work began.
	cfg.LockTTL, cfg.LockWait = time.Minute, 31*time.Second
	if _, err := cxsync.New(cfg); err == nil || !contains(err.Error(), "LockWait") {
		t.Fatalf("LockWait over half of LockTTL: %v, want an invalid Config", err)
	}
	cfg.LockTTL, cfg.LockWait = 10*time.Second, 0 // the default wait shrinks to fit
	if _, err := cxsync.New(cfg); err != nil {
		t.Fatalf("a short LockTTL with the default LockWait: %v", err)
	}
}

// Zoho refuses the cached owner (the agent's user was deactivated after it was cached): the user
// is forgotten, the owner resolved again (the connecting user), and the Case is created.
func TestOwnerRefusedFallsBack(t *testing.T) {
	h := newHarness(t)
	c1 := chat("c-own1", visitor("own1"))
	h.host.PutChat(c1)
	h.handle(chatEvent(cloudcx.EventChatEnded, c1)) // caches Anna as the owner
	var anna string
	for _, u := range h.org.Users() {
		if u.Email == "anna.kingsley@zylker.example" {
			anna = u.ID
		}
	}
	if err := h.org.SetUserStatus(anna, "inactive"); err != nil {
		t.Fatal(err)
	}
	c2 := chat("c-own2", visitor("own2"))
	h.host.PutChat(c2)
	res, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c2))
	if err != nil {
		t.Fatalf("%v (owner %+v)", err, res.Owner)
	}
	cases := h.withMarker("Cases", c2)
	if len(cases) != 1 || lookupID(cases[0]["Owner"]) == anna {
		t.Fatalf("case owner %v, want not the deactivated user %s", cases, anna)
	}
}
