package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Status is what a tenant's settings page shows about its Zoho connection.
type Status struct {
	// Connected is false when the tenant has no connection (then only Mode is set).
	Connected bool
	// Connection is the stored connection: org, data centre, connecting user, OAuth client and
	// health (paused and why, last error). It holds no secret.
	Connection *Connection
	// Mode is the tenant's mode (automatic or manual).
	Mode rules.Mode
	// FailedSteps counts the ledger steps Zoho refused for good (at most MaxCountedFailures);
	// list them with Store.ListSteps(ctx, tenant, StepFilter{Status: StepFailed}, …) and retry with RetryFailed.
	FailedSteps int
	// ReconnectRequired is true when an administrator must connect again.
	ReconnectRequired bool
}

// MaxCountedFailures bounds the failed steps Status counts.
const MaxCountedFailures = 1000

// Status returns the tenant's connection status.
func (s *Syncer) Status(ctx context.Context, tenantID string) (*Status, error) {
	set, _, err := s.Settings(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	st := &Status{Mode: set.Mode}
	conn, err := s.cfg.Store.GetConnection(ctx, tenantID)
	if errors.Is(err, ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	st.Connected, st.Connection = true, conn
	st.ReconnectRequired = conn.Health.Paused && (conn.Health.PauseReason == PauseReconnectRequired || conn.Health.PauseReason == PauseScopeMismatch)
	cursor := ""
	for st.FailedSteps < MaxCountedFailures {
		steps, next, err := s.cfg.Store.ListSteps(ctx, tenantID, StepFilter{Status: StepFailed}, cursor, 200)
		if err != nil {
			return nil, err
		}
		st.FailedSteps += len(steps)
		if next == "" {
			break
		}
		cursor = next
	}
	st.FailedSteps = min(st.FailedSteps, MaxCountedFailures)
	return st, nil
}

// Match is a Zoho record the identification rules found for the Agent Console.
type Match struct {
	Module string
	ID     string
	// URL opens the record in Zoho CRM's web UI ("" when the data centre is unknown).
	URL string
	// Record is the record as Zoho has it.
	Record *crm.Record
	// Fields are the display fields the tenant's settings name for the module (rules.Display),
	// in order, with Zoho's labels; fields the record lacks are left out.
	Fields []DisplayField
}

// DisplayField is one field of a found record, as the Agent Console shows it.
type DisplayField struct {
	// APIName is the Zoho field ("Email"); Label is what Zoho's UI calls it ("Email"), or the
	// API name when the field metadata could not be read.
	APIName, Label string
	// Value is the field's text (a lookup's name; a list's values joined by ", ").
	Value string
}

// Lookup is what the Agent Console shows for a visitor during a chat.
type Lookup struct {
	// Person is the Lead or Contact the rules found, nil when none.
	Person *Match
	// Account is the Account the rules found by the visitor's company, nil when none.
	Account *Match
}

// Lookup finds the visitor's Zoho records with the tenant's identification rules (the person in
// the module the section writes to, Contacts when the section is off; the Account by company),
// without writing anything.
func (s *Syncer) Lookup(ctx context.Context, tenantID string, section cloudcx.Section, v cloudcx.Visitor) (*Lookup, error) {
	res := &Result{Tenant: tenantID}
	w, skip, err := s.begin(ctx, tenantID, "", res)
	if err != nil {
		return nil, err
	}
	if skip {
		return nil, &Error{Class: ClassPermanent, Tenant: tenantID, Err: ErrNotConnected}
	}
	w.in = &cloudcx.Chat{Thread: cloudcx.Thread{Visitor: v}}
	if section == cloudcx.SectionInbox {
		w.in = &cloudcx.Conversation{Thread: cloudcx.Thread{Visitor: v}}
	}
	module := rules.ModuleContacts
	if w.set.Action(section) == rules.Sales {
		module = rules.ModuleLeads
	}
	out := &Lookup{}
	match := func(module string, r *crm.Record) *Match {
		return &Match{Module: module, ID: r.ID(), Record: r, URL: w.conn.DataCenter.RecordURL(w.conn.OrgID, module, r.ID()),
			Fields: w.displayFields(ctx, module, r)}
	}
	// What sync already linked to this visitor first (Zoho's search lags behind a person created
	// when the chat started, and a visitor without email or phone is found by no rule), then the
	// identification rules.
	p, err := w.knownPerson(ctx, module)
	if err != nil {
		return nil, err
	}
	if p == nil {
		if p, _, err = w.identify(ctx, module); err != nil {
			return nil, err
		}
	}
	if p != nil {
		out.Person = match(module, p)
	}
	a, _, err := w.identify(ctx, rules.ModuleAccounts)
	if err != nil {
		return nil, err
	}
	if a != nil {
		out.Account = match(rules.ModuleAccounts, a)
	}
	return out, nil
}

// knownPerson returns the record the person map links to the visitor in module, read from Zoho,
// or nil when none is linked or it is gone.
func (w *work) knownPerson(ctx context.Context, module string) (*crm.Record, error) {
	p := w.who()
	if p.module != module {
		return nil, nil
	}
	l, _, err := w.known(ctx, p)
	if err != nil || l == nil {
		return nil, err
	}
	r, _, err := w.client.Records.Get(ctx, module, l.RecordID)
	if errors.Is(err, zoho.ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// displayFields returns the record's display fields for the Agent Console. Labels come from the
// module's field metadata (cached by the client); without it the API names serve.
func (w *work) displayFields(ctx context.Context, module string, r *crm.Record) []DisplayField {
	names := w.set.Display.For(module)
	if len(names) == 0 {
		return nil
	}
	fs, _, err := w.client.Fields.List(ctx, module)
	if err != nil {
		w.s.cfg.Logger.DebugContext(ctx, "sync: field labels unavailable", "module", module, "err", err)
	}
	var out []DisplayField
	for _, name := range names {
		v := r.Text(name)
		if v == "" {
			continue
		}
		label := name
		if f, ok := fs.Get(name); ok && f.Label != "" {
			label = f.Label
		}
		out = append(out, DisplayField{APIName: name, Label: label, Value: v})
	}
	return out
}

// CheckOrg lists what an administrator must fix before the tenant's settings work with its
// connected Zoho org (rules.Settings.CheckOrg: picklist values, fields the settings name that
// the org lacks, mandatory fields left unfilled), reading the field metadata of Leads,
// Contacts, Accounts, Cases and Tasks (cached by the client). CompleteConnect runs it too;
// call it again after the settings or the org changed.
func (s *Syncer) CheckOrg(ctx context.Context, tenantID string) ([]rules.Problem, error) {
	w, skip, err := s.begin(ctx, tenantID, "", &Result{Tenant: tenantID})
	if err != nil {
		return nil, err
	}
	if skip {
		return nil, &Error{Class: ClassPermanent, Tenant: tenantID, Err: ErrNotConnected}
	}
	return orgProblems(ctx, w.client, w.set)
}

func orgProblems(ctx context.Context, c *zoho.Client, set rules.Settings) ([]rules.Problem, error) {
	fields := map[string]*crm.FieldSet{}
	for _, module := range []string{rules.ModuleLeads, rules.ModuleContacts, rules.ModuleAccounts, rules.ModuleCases, rules.ModuleTasks} {
		fs, _, err := c.Fields.List(ctx, module)
		if err != nil {
			return nil, fmt.Errorf("sync: reading the fields of %s: %w", module, err)
		}
		fields[module] = fs
	}
	return set.CheckOrg(fields), nil
}

// Manual is a request from the Agent Console to create a record for a chat or conversation.
type Manual struct {
	TenantID string
	// ChatID or ConversationID names the interaction, loaded through Config.Loader; or Chat or
	// Conversation carries it.
	ChatID, ConversationID string
	Chat                   *cloudcx.Chat
	Conversation           *cloudcx.Conversation
	// Another asks CreateCase and CreateTask for one more Case or Task for the chat although one
	// exists (the agent's "create another"); each gets a marker of its own ([rules.SourceKey]
	// Seq). A call interrupted before its record was recorded is completed, not repeated, by
	// the next call with Another set.
	Another bool
	// RequestKey, when given with Another, identifies the agent's click (an idempotency key the
	// Console makes once per click, at most 200 bytes): the request sent again (an HTTP retry)
	// is answered with the Case or Task the first made, and a new click always gets a repeat of
	// its own, even while an earlier one is unfinished.
	RequestKey string
	// Overrides are the values the agent typed in the form, by Zoho field API name: for
	// CreateLead and CreateContact they apply to the person (name, email, phone and company
	// also drive identification), for CreateCase and CreateTask to the Case or Task. They are
	// checked with rules.CheckOverrides: the fields the integration manages (owner, links,
	// subject, description) are refused.
	Overrides map[string]string

	// retrySeq is the repeat RetryFailed writes again (that one, not the next free one).
	retrySeq int
}

// CreateLead creates a Lead for the chat's visitor, as the Agent Console's button does, in manual
// and in automatic mode alike: the same identification, mapping and owner as automatic mode. A
// Lead the rules find is returned as Found (the agent is told it exists), updated under the
// update policy; repeating the call creates nothing more.
func (s *Syncer) CreateLead(ctx context.Context, m Manual) (*Result, error) {
	return s.manual(ctx, m, rules.Sales, false)
}

// CreateContact is CreateLead for a Contact (and the Account the rules identify is linked).
func (s *Syncer) CreateContact(ctx context.Context, m Manual) (*Result, error) {
	return s.manual(ctx, m, rules.Support, false)
}

// CreateCase creates the chat's Case (and its Contact, as CreateContact does). A Case already
// created for the chat, by automatic mode or an earlier call, is returned instead (Found, or
// Updated when the chat changed since).
func (s *Syncer) CreateCase(ctx context.Context, m Manual) (*Result, error) {
	return s.manual(ctx, m, rules.Support, true)
}

// CreateTask is CreateCase for a Task under the visitor's Lead.
func (s *Syncer) CreateTask(ctx context.Context, m Manual) (*Result, error) {
	return s.manual(ctx, m, rules.Sales, true)
}

func (s *Syncer) manual(ctx context.Context, m Manual, action rules.Action, record bool) (*Result, error) {
	ev := cloudcx.Event{Kind: cloudcx.EventChatEnded, TenantID: m.TenantID, ChatID: m.ChatID, Chat: m.Chat}
	if m.ConversationID != "" || m.Conversation != nil {
		ev = cloudcx.Event{Kind: cloudcx.EventConversationResolved, TenantID: m.TenantID, ConversationID: m.ConversationID, Conversation: m.Conversation}
	}
	res := &Result{Tenant: m.TenantID, Kind: ev.Kind}
	counter := &callCounter{}
	ctx = context.WithValue(ctx, callCounterKey{}, counter)
	err := s.doManual(ctx, ev, m, action, record, res)
	res.Calls = int(counter.n.Load())
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Class: classify(err), Tenant: m.TenantID, RetryAfter: retryAfter(err), Err: err}
		}
		s.noteError(ctx, m.TenantID, e)
		return res, e
	}
	return res, nil
}

func (s *Syncer) doManual(ctx context.Context, ev cloudcx.Event, m Manual, action rules.Action, record bool, res *Result) error {
	if ev.TenantID == "" {
		return &Error{Class: ClassPermanent, Err: errors.New("sync: a tenant id is required")}
	}
	if k := m.RequestKey; len(k) > 200 || !utf8.ValidString(k) || strings.ContainsFunc(k, unicode.IsControl) {
		return &Error{Class: ClassPermanent, Tenant: ev.TenantID, Err: errors.New("sync: the request key must be valid UTF-8 of at most 200 bytes without control characters")}
	}
	if len(m.Overrides) > 0 {
		module := personModule(action)
		if record {
			module = action.InteractionModule()
		}
		if err := rules.CheckOverrides(module, m.Overrides); err != nil {
			return &Error{Class: ClassPermanent, Tenant: ev.TenantID, Err: err}
		}
	}
	w, skip, err := s.begin(ctx, ev.TenantID, "", res)
	if err != nil {
		return err
	}
	if skip {
		return &Error{Class: ClassPermanent, Tenant: ev.TenantID, Err: ErrNotConnected}
	}
	if w.in, err = s.eventInteraction(ctx, ev); err != nil { // never another tenant's chat
		return err
	}
	w.manual = true
	// The agent's choice decides the modules, whatever the section's automatic action.
	switch w.in.Section() {
	case cloudcx.SectionInbox:
		w.set.Sections.Inbox.Action = action
	default:
		w.set.Sections.WebChat.Action = action
	}
	w.set.Creation.RequireIdentity = rules.IdentityNone // the agent asked for it
	if record {
		w.recordOverrides, w.another, w.requestKey, w.retrySeq = m.Overrides, m.Another, m.RequestKey, m.retrySeq
	} else if len(m.Overrides) > 0 {
		w.personOverrides = m.Overrides
		w.in = withVisitorOverrides(w.in, m.Overrides)
	}
	pl, err := w.ensurePerson(ctx)
	if err != nil {
		return err
	}
	if record {
		return w.ensureRecord(ctx, pl)
	}
	return nil
}

// RetryFailed retries a step Zoho refused for good, once an administrator fixed the cause (a
// picklist value, a permission, a mandatory field): the step is made pending again and its chat
// or conversation handled anew (for a person step: the chat or conversation that last worked on
// it, as its start; a step that names none waits for the visitor's next event). Use
// Store.ListSteps to find failed steps, or RetryAllFailed to retry them all. It succeeds only
// when the step itself was written: a retry that sent nothing for it (the section switched off,
// the chat no longer qualifying) returns a ClassPermanent *Error with the reason, and the step
// stays on the failed list.
func (s *Syncer) RetryFailed(ctx context.Context, key StepKey) (*Result, error) {
	st, err := s.cfg.Store.GetStep(ctx, key)
	if err != nil {
		return nil, err
	}
	if st.Status != StepFailed {
		return nil, fmt.Errorf("sync: RetryFailed: the step is %s, not failed", st.Status)
	}
	st.Status, st.UpdatedAt = StepPending, s.cfg.Clock()
	if st.Err == nil || !st.Err.NotApplied {
		// An error that says nothing was applied stays: the retry need not look for the write
		// in Zoho (a listing) before sending it again. The claim clears it.
		st.Err = nil
	}
	if st.Key.Kind == StepRecord || st.Key.Kind == StepPerson {
		st.Hash = "" // content must be written again
	}
	if _, err := s.cfg.Store.PutStep(ctx, st); err != nil {
		return nil, err
	}
	var res *Result
	switch {
	case key.Kind == StepPerson && st.ParentID == "":
		// A step recorded before steps named their chat: the visitor's next event retries it.
		return &Result{Tenant: key.TenantID, Skipped: "the person is created again with the visitor's next event"}, nil
	case key.Kind == StepPerson:
		res, err = s.retryPerson(ctx, key, st)
	default:
		res, err = s.retryRecord(ctx, key, st)
	}
	if err == nil {
		// Handled, but was this step written? A section switched off, a chat that no longer
		// qualifies, a retry that wrote another step: the step would be left pending with no
		// event to come, so it fails again with the reason.
		// A person step left pending naming its own record (settleOwnStep: the visitor is
		// linked to another; the record is kept for the person it was made for) is settled.
		if cur, gerr := s.cfg.Store.GetStep(ctx, key); gerr == nil && cur.Status == StepPending && !(key.Kind == StepPerson && cur.RecordID != "") {
			why := "the retry wrote another step"
			if res != nil && res.Skipped != "" {
				why = res.Skipped
			}
			err = &Error{Class: ClassPermanent, Tenant: key.TenantID, Step: &key, Err: fmt.Errorf("the retry did not write the step: %s", why)}
		}
	}
	if err != nil {
		// Interrupted (a temporary failure, a paused tenant, the caller gone), refused again or
		// not written: a step left pending goes back on the failed list, so it is retried again
		// rather than left pending with no event to come.
		rctx, cancel := outcomeCtx(ctx)
		defer cancel()
		if cur, gerr := s.cfg.Store.GetStep(rctx, key); gerr == nil && cur.Status == StepPending {
			unsettled := mayHaveApplied(cur)
			cur.Status, cur.Err, cur.UpdatedAt = StepFailed, stepError(err), s.cfg.Clock()
			if unsettled {
				cur.Err.NotApplied = false // an earlier attempt may have been applied
			}
			_, _ = s.cfg.Store.PutStep(rctx, cur)
		}
	}
	return res, err
}

// retryPerson works again on the visitor of the chat or conversation that last worked on a person
// step: through the Agent Console's path in manual mode, else as the chat's (or conversation's)
// start.
func (s *Syncer) retryPerson(ctx context.Context, key StepKey, st *Step) (*Result, error) {
	set, _, err := s.Settings(ctx, key.TenantID)
	if err != nil {
		return nil, err
	}
	create := s.CreateContact
	if st.Module == rules.ModuleLeads {
		create = s.CreateLead
	}
	return s.retryVia(ctx, key, st.ParentID, set.Mode == rules.Manual, 0, create, cloudcx.EventChatStarted, cloudcx.EventConversationStarted)
}

// retryVia works on a chat or conversation again for RetryFailed: through the Agent Console's
// path, create (manual; seq > 0 names the deliberate repeat to write), else as an event of the
// kind its section has (chatKind, convKind).
func (s *Syncer) retryVia(ctx context.Context, key StepKey, id string, manual bool, seq int, create func(context.Context, Manual) (*Result, error), chatKind, convKind cloudcx.EventKind) (*Result, error) {
	inbox := key.Section == cloudcx.SectionInbox
	if manual {
		m := Manual{TenantID: key.TenantID, ChatID: id, Another: seq > 0, retrySeq: seq}
		if inbox {
			m = Manual{TenantID: key.TenantID, ConversationID: id, Another: seq > 0, retrySeq: seq}
		}
		return create(ctx, m)
	}
	ev := cloudcx.Event{Kind: chatKind, EventID: "retry:" + id, TenantID: key.TenantID, ChatID: id}
	if inbox {
		ev = cloudcx.Event{Kind: convKind, EventID: "retry:" + id, TenantID: key.TenantID, ConversationID: id}
	}
	return s.Handle(ctx, ev)
}

// RetryReport is what RetryAllFailed did.
type RetryReport struct {
	// Retried counts the failed steps retried; Succeeded those whose retry went through.
	Retried, Succeeded int
	// Failed has the error of each step whose retry failed again (by step), in the order tried.
	Failed []RetryFailure
}

// RetryFailure is one step RetryAllFailed could not complete.
type RetryFailure struct {
	Key StepKey
	Err error
}

// RetryAllFailed retries every failed step of the tenant (Syncer.RetryFailed on each, oldest
// first), once an administrator fixed a cause that failed many chats at once (a picklist value,
// a mandatory field). The failed steps are listed first, then each retried once, so a step that
// fails again is not retried in the same call. A paused tenant stops the walk: the steps left
// stay on the failed list. It returns an error only when the steps cannot be listed or the
// tenant is paused.
func (s *Syncer) RetryAllFailed(ctx context.Context, tenantID string) (*RetryReport, error) {
	var keys []StepKey
	cursor := ""
	for {
		steps, next, err := s.cfg.Store.ListSteps(ctx, tenantID, StepFilter{Status: StepFailed}, cursor, 100)
		if err != nil {
			return nil, err
		}
		for _, st := range steps {
			if !slices.Contains(keys, st.Key) {
				keys = append(keys, st.Key)
			}
		}
		if next == "" || len(steps) == 0 {
			break
		}
		cursor = next
	}
	rep := &RetryReport{}
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Retried++
		_, err := s.RetryFailed(ctx, k)
		if err == nil {
			rep.Succeeded++
			continue
		}
		rep.Failed = append(rep.Failed, RetryFailure{Key: k, Err: err})
		if ClassOf(err) == ClassTenantPaused {
			return rep, err
		}
	}
	return rep, nil
}

// retryRecord writes a record step's chat again: through the Agent Console's path for a
// deliberate repeat or a tenant in manual mode (Handle sends nothing in manual mode), else as the
// chat's end or the conversation's resolve.
func (s *Syncer) retryRecord(ctx context.Context, key StepKey, st *Step) (*Result, error) {
	set, _, err := s.Settings(ctx, key.TenantID)
	if err != nil {
		return nil, err
	}
	create := s.CreateCase
	if st.Module == rules.ModuleTasks || st.Module == "" && set.Action(key.Section) == rules.Sales {
		create = s.CreateTask
	}
	return s.retryVia(ctx, key, key.SourceID, key.Seq > 0 || set.Mode == rules.Manual, key.Seq, create, cloudcx.EventChatEnded, cloudcx.EventConversationResolved)
}

// withVisitorOverrides returns the interaction with the agent's values for the visitor's own
// fields that identification uses (Email, Phone, Company), so that identification and mapping
// use what the agent typed; other fields are set on the record written. The loader's value is not changed: the chat or conversation is copied.
func withVisitorOverrides(in cloudcx.Interaction, o map[string]string) cloudcx.Interaction {
	apply := func(v *cloudcx.Visitor) {
		if x, ok := o["Email"]; ok {
			v.Email = x
		}
		if x, ok := o["Phone"]; ok {
			v.Phone, v.CellPhone = x, x
		}
		if x, ok := o["Company"]; ok {
			v.Company = x
		}
	}
	switch x := in.(type) {
	case *cloudcx.Chat:
		c := *x
		apply(&c.Visitor)
		return &c
	case *cloudcx.Conversation:
		c := *x
		apply(&c.Visitor)
		return &c
	}
	return in
}
