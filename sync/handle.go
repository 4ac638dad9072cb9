package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/owner"
	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho"
)

// Outcome says what happened to one Zoho record.
type Outcome string

// The outcomes.
const (
	// Created: sync created the record (or found the one an interrupted attempt created).
	Created Outcome = "created"
	// Updated: the record existed and sync changed it.
	Updated Outcome = "updated"
	// Found: the record existed (identified or known from an earlier event) and needed no change.
	Found Outcome = "found"
	// Skipped: nothing was written; Reason says why.
	Skipped Outcome = "skipped"
)

// RecordResult is what happened to one Zoho record.
type RecordResult struct {
	Module  string
	ID      string
	Outcome Outcome
	// Reason explains the outcome in words (which rule found it, why nothing was written).
	Reason string
}

// AttachmentResult is what happened to one file of the chat.
type AttachmentResult struct {
	// FileName is the name the file has (or would have) in Zoho.
	FileName string
	// ID is Zoho's attachment id once uploaded.
	ID string
	// Uploaded is true when the file is attached to the Case or Task (now or earlier).
	Uploaded bool
	// Reason says why it was not uploaded.
	Reason string
}

// Result is what Handle did for an event.
type Result struct {
	Tenant string
	Kind   cloudcx.EventKind
	// Skipped, when not empty, says why nothing was done for the event at all.
	Skipped string
	// Person is the visitor's Lead or Contact; Account the Account the rules identified.
	Person  *RecordResult
	Account *RecordResult
	// Record is the chat's Case or Task.
	Record *RecordResult
	// Attachments has one entry per file of the chat (the full transcript included, when the
	// description had to cut it).
	Attachments []AttachmentResult
	// Owner is who owns what was created, and why.
	Owner *owner.Result
	// Calls is the number of Zoho API calls made (each one credit), token calls not included. An
	// insert batched with other events' records (Config.MaxBatch) is counted once, in the Result
	// of the event whose Handle sent it: an event whose record went in another's call may show
	// Calls 0 with its Record Created.
	Calls int
}

// work is the state of one Handle: the tenant's connection, settings and client.
type work struct {
	s      *Syncer
	conn   *Connection
	set    rules.Settings
	loc    *time.Location
	client *zoho.Client
	in     cloudcx.Interaction
	res    *Result
	owner  *owner.Result
	// seq is the deliberate repeat being written (manual "another"); 0 for the chat's own record.
	seq int
	// another: find the next free repeat of the chat's Case or Task instead of its own;
	// requestKey: the Agent Console request asking for it, when it gave one.
	another    bool
	requestKey string
	// retrySeq: the repeat RetryFailed writes again, instead of the next free one.
	retrySeq int
	// manual: an Agent Console call (it may update a written record whatever the event kind).
	manual bool
	// fieldOverrides are an agent's values (Zoho field → value) for the person (personOverrides)
	// or the Case/Task (recordOverrides) of a manual call; nil otherwise.
	personOverrides, recordOverrides map[string]string
	// chatLease is the chat's lock while its Case or Task and files are written; personLease
	// the person's locks while its Lead or Contact is found or written. A claim renews both
	// (keepLeases).
	chatLease, personLease *lease
	// reload loads the chat again (nil when the event carried it, or for a manual call): a Case
	// or Task another event wrote is rendered from what the Loader holds once the chat's lock
	// is held, and a person this event would change from what the Loader holds once the
	// person's locks are.
	reload func(context.Context) (cloudcx.Interaction, error)
	// fresh: w.in was loaded (again) while the person's locks were held, so what it says of the
	// visitor is at least as new as anything another event wrote to the person.
	fresh bool
}

// Handle does for one CloudCX event what the tenant's settings say (mission §3): a chat or
// conversation that starts, or an offline message, creates the visitor's Lead or Contact unless
// the identification rules find one (which then gets the update policy); a chat that ends, an
// offline message and a resolved or closed conversation create the Case or Task with the whole
// chat; a wrap-up after the end and a re-resolved conversation update that Case or Task's
// subject and description. The host sets the event's tenant (Event.SetTenant).
//
// Handle is idempotent: delivering the same event again, or an event about the same chat, writes
// nothing that was written already. A disconnected tenant, manual mode or a section switched off
// is not an error: the result's Skipped says why nothing was sent. Errors are *Error; ClassOf
// tells the host's queue whether to deliver the event again.
func (s *Syncer) Handle(ctx context.Context, ev cloudcx.Event) (*Result, error) {
	res := &Result{Tenant: ev.TenantID, Kind: ev.Kind}
	if err := ev.Validate(); err != nil {
		return res, &Error{Class: ClassPermanent, Tenant: ev.TenantID, Err: err}
	}
	counter := &callCounter{}
	ctx = context.WithValue(ctx, callCounterKey{}, counter)
	err := s.handle(ctx, ev, res)
	res.Calls = int(counter.n.Load())
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Class: classify(err), Tenant: ev.TenantID, RetryAfter: retryAfter(err), Err: err}
			err = e
		}
		s.noteError(ctx, ev.TenantID, e)
		return res, err
	}
	return res, nil
}

func (s *Syncer) handle(ctx context.Context, ev cloudcx.Event, res *Result) error {
	w, skip, err := s.begin(ctx, ev.TenantID, ev.Kind.Section(), res)
	if err != nil || skip {
		return err
	}
	if w.set.Mode != rules.Automatic {
		res.Skipped = "the tenant is in manual mode"
		return nil
	}
	var person, record bool
	switch ev.Kind {
	case cloudcx.EventChatStarted, cloudcx.EventConversationStarted:
		person = true
	case cloudcx.EventOfflineMessage, cloudcx.EventChatEnded, cloudcx.EventConversationResolved, cloudcx.EventChatWrappedUp:
		person, record = true, true
	case cloudcx.EventConversationReopened:
		res.Skipped = "a reopened conversation changes nothing in Zoho until it is resolved again"
		return nil
	default:
		res.Skipped = fmt.Sprintf("event kind %q needs nothing in Zoho", ev.Kind)
		return nil
	}
	if w.in, err = s.eventInteraction(ctx, ev); err != nil {
		return err
	}
	if ev.Chat == nil && ev.Conversation == nil {
		// Loaded: loaded again under the person's locks when it would change the person, and
		// under the chat's when another event wrote the record, so that an event loaded before
		// a later one (a delayed start, a conversation resolved twice) never writes older
		// content over the newer. Which came first is told by the locks, never by clocks:
		// those of two workers differ.
		w.reload = func(ctx context.Context) (cloudcx.Interaction, error) { return s.eventInteraction(ctx, ev) }
	}
	if record {
		if ok, why := w.set.MayRecord(w.in); !ok {
			record = false
			res.Record = &RecordResult{Outcome: Skipped, Reason: why}
		}
	}
	var pl *PersonLink
	if person || record {
		if pl, err = w.ensurePerson(ctx); err != nil {
			return err
		}
	}
	if record {
		return w.ensureRecord(ctx, pl)
	}
	return nil
}

// begin loads what every operation of a tenant needs. skip is true when the tenant is not
// connected or the section is off (res.Skipped says so).
func (s *Syncer) begin(ctx context.Context, tenant string, section cloudcx.Section, res *Result) (*work, bool, error) {
	conn, err := s.cfg.Store.GetConnection(ctx, tenant)
	if errors.Is(err, ErrNotFound) {
		res.Skipped = "the tenant is not connected to Zoho"
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sync: connection of %s: %w", tenant, err)
	}
	if h := conn.Health; h.Paused {
		now := s.cfg.Clock()
		if h.PausedUntil.IsZero() || now.Before(h.PausedUntil) {
			var after time.Duration
			if !h.PausedUntil.IsZero() {
				after = h.PausedUntil.Sub(now)
			}
			return nil, false, &Error{Class: ClassTenantPaused, Tenant: tenant, RetryAfter: after,
				Err: fmt.Errorf("%w: %s", ErrTenantPaused, h.PauseReason)}
		}
		// The pause is over (credits renewed): work goes on, and Status says so.
		c := *conn
		c.Health.Paused, c.Health.PauseReason, c.Health.PausedUntil = false, "", time.Time{}
		if v, err := s.cfg.Store.PutConnection(ctx, &c); err == nil {
			c.Version = v
			conn = &c
		}
	}
	set, loc, err := s.Settings(ctx, tenant)
	if err != nil {
		// Settings that do not parse or validate are the administrator's to fix; a store that
		// failed to answer (a timeout, a shutdown) is not: the event is delivered again.
		var ve *rules.ValidationError
		var vr *rules.VersionError
		class := ClassRetry
		if errors.As(err, &ve) || errors.As(err, &vr) || errors.Is(err, errBadSettings) {
			class = ClassPermanent
		}
		return nil, false, &Error{Class: class, Tenant: tenant, Err: err}
	}
	if section != "" && set.Action(section) == rules.Off {
		res.Skipped = fmt.Sprintf("section %s is off", section)
		return nil, true, nil
	}
	c, err := s.client(ctx, conn)
	if err != nil {
		return nil, false, err
	}
	return &work{s: s, conn: conn, set: set, loc: loc, client: c, res: res}, false, nil
}

// eventInteraction returns the chat or conversation of ev (see interaction), checked to be the
// event's tenant's, with the event's wrap-up when the chat does not carry one yet.
func (s *Syncer) eventInteraction(ctx context.Context, ev cloudcx.Event) (cloudcx.Interaction, error) {
	in, err := s.interaction(ctx, ev)
	if err != nil {
		return nil, err
	}
	if b := in.Base(); b == nil || b.TenantID != ev.TenantID {
		return nil, &Error{Class: ClassPermanent, Tenant: ev.TenantID, Err: errors.New("sync: the chat or conversation belongs to another tenant")}
	}
	if ev.Kind == cloudcx.EventChatWrappedUp && ev.WrapUp != nil && in.Base().WrapUp == nil {
		in.Base().WrapUp = ev.WrapUp
	}
	return in, nil
}

// interaction returns the chat or conversation of ev: the one it carries, or the Loader's.
func (s *Syncer) interaction(ctx context.Context, ev cloudcx.Event) (cloudcx.Interaction, error) {
	switch {
	case ev.Chat != nil:
		return ev.Chat, nil
	case ev.Conversation != nil:
		return ev.Conversation, nil
	case s.cfg.Loader == nil:
		return nil, &Error{Class: ClassPermanent, Tenant: ev.TenantID, Err: errors.New("sync: the event does not carry its chat and Config.Loader is not set")}
	}
	var (
		in  cloudcx.Interaction
		err error
	)
	if ev.ConversationID != "" {
		var c *cloudcx.Conversation
		if c, err = s.cfg.Loader.LoadConversation(ctx, ev.TenantID, ev.ConversationID); err == nil {
			in = c
		}
	} else {
		var c *cloudcx.Chat
		if c, err = s.cfg.Loader.LoadChat(ctx, ev.TenantID, ev.ChatID); err == nil {
			in = c
		}
	}
	if err != nil {
		class := ClassRetry
		if errors.Is(err, cloudcx.ErrNotFound) {
			class = ClassPermanent
		}
		return nil, &Error{Class: class, Tenant: ev.TenantID, Err: fmt.Errorf("sync: loading %s: %w", ev.TargetID(), err)}
	}
	if in == nil || in.Base() == nil {
		return nil, &Error{Class: ClassPermanent, Tenant: ev.TenantID, Err: errors.New("sync: the loader returned no chat")}
	}
	if err := in.Validate(); err != nil {
		return nil, &Error{Class: ClassPermanent, Tenant: ev.TenantID, Err: err}
	}
	return in, nil
}

// noteError records a tenant-level error on its connection: a pause for the errors that need an
// administrator or the credit window, the last error for the status page.
func (s *Syncer) noteError(ctx context.Context, tenant string, e *Error) {
	if tenant == "" || errors.Is(e, ErrTenantPaused) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for range 3 {
		conn, err := s.cfg.Store.GetConnection(ctx, tenant)
		if err != nil {
			return
		}
		now := s.cfg.Clock()
		conn.Health.LastError, conn.Health.LastErrorAt = e.Err.Error(), now
		if e.Class == ClassTenantPaused {
			conn.Health.Paused = true
			switch {
			case errors.Is(e, zoho.ErrCreditsExhausted):
				conn.Health.PauseReason = PauseCreditsExhausted
				wait := e.RetryAfter
				if wait <= 0 {
					wait = time.Hour
				}
				conn.Health.PausedUntil = now.Add(wait)
			case errors.Is(e, zoho.ErrScopeMismatch):
				conn.Health.PauseReason = PauseScopeMismatch
			default:
				conn.Health.PauseReason = PauseReconnectRequired
			}
		}
		if _, err := s.cfg.Store.PutConnection(ctx, conn); !errors.Is(err, ErrConflict) {
			if e.Class == ClassTenantPaused {
				s.forgetClient(tenant)
			}
			return
		}
	}
}
