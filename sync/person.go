package sync

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/owner"
	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// personModule is the module a section's visitors are written to: Leads for Sales, Contacts for
// Support.
func personModule(a rules.Action) string {
	if a == rules.Sales {
		return rules.ModuleLeads
	}
	return rules.ModuleContacts
}

// who is how a visitor is known for its Lead or Contact.
type who struct {
	module string
	// visitor is the visitor id in its section ("visitor:<section>:<id>"), "" without an id.
	visitor string
	// searches are the module's identification searches, in rule order; their keys
	// (rules.Search.Key) are the names the person map answers under after the visitor's.
	searches []rules.Search
	// locks are every name the visitor's work is serialised under: the visitor, the normalised
	// email and phone, and every rule's key, so that the same person arriving through Web Chat
	// and Inbox at once (other visitor ids) waits for the first to be created.
	locks []string
	// step is the ledger key of the step that creates the person: under the visitor id, or the
	// chat's id for a visitor without one.
	step StepKey
}

// mapOrder returns the keys the person map is asked under, in the order that decides: the
// visitor's own, then one per identification rule in rule order. A hit under a rule's key
// answers for that rule; a miss stops the walk, because Zoho may hold a record that rule finds
// and the map never saw (a shared phone must not override an earlier email rule).
func (p who) mapOrder() (visitor string, rules []string) {
	for _, s := range p.searches {
		if k := s.Key(); k != "" {
			rules = append(rules, k)
		}
	}
	return p.visitor, rules
}

// values is what a record holds of the fields in r, as compact JSON per field: what the person
// map remembers, and what a reconcile matches.
func values(r *crm.Record) map[string]string {
	m := map[string]string{}
	if r == nil {
		return m
	}
	for _, k := range r.Keys() {
		if raw, ok := r.Raw(k); ok {
			m[k] = string(raw)
		}
	}
	return m
}

// resolveOwner resolves (once per Handle) who owns what this chat creates: the Zoho user with
// the last agent's email, else the connecting user.
func (w *work) resolveOwner(ctx context.Context) (rules.Owner, error) {
	if w.owner == nil {
		req := owner.Request{Tenant: w.conn.TenantID, Directory: owner.ZohoDirectory(w.client), ConnectingUserID: w.conn.UserID}
		if w.in != nil {
			if a, ok := w.in.LastAgent(); ok {
				req.AgentEmail = a.Email
			}
		}
		r, err := w.s.cfg.Owners.Resolve(ctx, req)
		if err != nil {
			if errors.Is(err, owner.ErrNoOwner) {
				// Leave Owner out: Zoho makes the token's user (the connecting user) the owner.
				w.owner = &owner.Result{Reason: err.Error()}
			} else {
				return rules.Owner{}, err
			}
		} else {
			w.owner = &r
		}
		w.res.Owner = w.owner
	}
	return rules.Owner{ID: w.owner.UserID, Name: w.owner.Name}, nil
}

// loaded takes the chat as loaded again: what was derived from the older load (its agent's
// owner) is derived again.
func (w *work) loaded(in cloudcx.Interaction) {
	w.in = in
	w.owner, w.res.Owner = nil, nil
}

// ownerRejected handles Zoho refusing the Owner: the user is forgotten and the owner resolved
// again (falling back to the connecting user). It reports whether a new try makes sense.
func (w *work) ownerRejected(ctx context.Context, err error) bool {
	if errField(err) != "Owner" || w.owner == nil || w.owner.UserID == "" {
		return false
	}
	w.s.cfg.Owners.ForgetUser(w.conn.TenantID, w.owner.UserID)
	bad := w.owner.UserID
	w.owner = nil
	if _, rerr := w.resolveOwner(ctx); rerr != nil {
		return false
	}
	if w.owner.UserID == bad { // still the same user: leave Owner out, Zoho takes the token's user
		w.owner = &owner.Result{Reason: "Zoho refused the resolved owner; the connecting user owns it"}
		w.res.Owner = w.owner
	}
	return true
}

// search runs one identification search.
func (w *work) search(ctx context.Context, module string, q crm.SearchQuery) ([]*crm.Record, error) {
	var (
		recs []*crm.Record
		err  error
	)
	switch {
	case q.Email != "":
		recs, _, err = w.client.Records.Search(ctx, module, crm.SearchQuery{Email: q.Email}, nil)
	case q.Phone != "":
		recs, _, err = w.client.Records.Search(ctx, module, crm.SearchQuery{Phone: q.Phone}, nil)
	default:
		recs, _, err = w.client.Records.Search(ctx, module, crm.SearchQuery{Criteria: q.Criteria}, nil)
	}
	return recs, err
}

// identify runs the module's identification rules and returns the record the first rule that
// finds one chose, with the rule's position.
func (w *work) identify(ctx context.Context, module string) (*crm.Record, int, error) {
	return w.identifyBy(ctx, module, rules.Identify(module, w.set.Identification.For(module), w.in.Base().Visitor, w.in.Section()))
}

// identifyBy runs searches (a module's, in rule order) and returns the record the first one
// that finds one chose, with its rule's position. The searches are folded into one Zoho call
// when they fit (rules.Combine), and decided rule by rule on its answer; otherwise each is run
// in turn.
func (w *work) identifyBy(ctx context.Context, module string, searches []rules.Search) (*crm.Record, int, error) {
	if comb, ok := rules.Combine(searches); ok {
		recs, err := w.search(ctx, module, comb.Query())
		if err != nil {
			return nil, 0, err
		}
		for _, s := range searches {
			if r, ok := rules.Choose(s, recs); ok {
				return r, s.RuleIndex, nil
			}
		}
		return nil, 0, nil
	}
	for _, s := range searches {
		recs, err := w.search(ctx, module, s.Query())
		if err != nil {
			return nil, 0, err
		}
		if r, ok := rules.Choose(s, recs); ok {
			return r, s.RuleIndex, nil
		}
	}
	return nil, 0, nil
}

// ensurePerson makes sure the visitor has a Lead or Contact (mission §3) and returns its link, or
// nil when none may be created for the visitor (the result says why).
func (w *work) ensurePerson(ctx context.Context) (*PersonLink, error) {
	p := w.who()
	t, org := w.conn.TenantID, w.conn.OrgID
	lock := func(p who) (*lease, error) {
		lockKeys := make([]string, len(p.locks))
		for i, k := range p.locks {
			lockKeys[i] = "person|" + t + "|" + org + "|" + p.module + "|" + k
		}
		return w.s.lockAll(ctx, lockKeys)
	}
	held, err := lock(p)
	if err != nil {
		return nil, err
	}
	outer := w.personLease // a person identified again while its chat's record is written
	w.personLease = held
	defer func() {
		w.personLease = outer
		if held != nil {
			held.release()
		}
	}()

	own, err := w.resolveOwner(ctx)
	if err != nil {
		return nil, err
	}
	for attempt, reloads := 0, 0; ; {
		link, err := w.person(ctx, p, own)
		if errors.Is(err, errStale) {
			// This event was loaded before the person's locks were held and would change the
			// person, or read Zoho for it: another event may have written a newer visitor
			// since, so the chat is loaded again now. When the newer visitor has other keys, theirs are held instead,
			// and the person looked at again under them (a third event may write it between
			// the two locks).
			reloads++
			in, err := w.reload(ctx)
			if err != nil {
				return nil, err
			}
			w.loaded(in)
			w.fresh = true
			if own, err = w.resolveOwner(ctx); err != nil { // the newer chat's agent
				return nil, err
			}
			if np := w.who(); !slices.Equal(np.locks, p.locks) {
				held.release()
				p = np
				if held, err = lock(p); err != nil {
					return nil, err
				}
				w.personLease = held
				w.fresh = reloads >= maxReloads
			}
			continue
		}
		if err == nil || attempt == 1 {
			return link, err
		}
		attempt++
		switch {
		case w.ownerRejected(ctx, err):
			own, _ = w.resolveOwner(ctx)
		case errors.Is(err, errVanished):
			// The mapping was dropped; identify again.
		default:
			return nil, err
		}
	}
}

// who names the chat's visitor for its person module (see [who]).
func (w *work) who() who {
	section := w.in.Section()
	module := personModule(w.set.Action(section))
	v := w.in.Base().Visitor
	p := who{module: module, searches: rules.Identify(module, w.set.Identification.For(module), v, section)}
	if id := strings.TrimSpace(v.ID); id != "" {
		p.visitor = "visitor:" + string(section) + ":" + id
		p.locks = append(p.locks, p.visitor)
	}
	p.locks = append(p.locks, rules.IdentityKeys(v, section)...)
	for _, s := range p.searches {
		if k := s.Key(); k != "" {
			p.locks = append(p.locks, k)
		}
	}
	// The step that creates the person is the visitor's; a visitor without an id has only its
	// chat's: its email or phone may be another visitor's too, and only the rules say whether
	// two visitors are one person (the map's rule keys find the person across its chats).
	source := p.visitor
	if source == "" {
		source = "chat:" + string(section) + ":" + w.in.Base().ID
		p.locks = append(p.locks, source)
	}
	p.step = StepKey{TenantID: w.conn.TenantID, OrgID: w.conn.OrgID, Section: section, SourceID: source, Kind: StepPerson, Name: module}
	return p
}

// keysFor returns the keys a link to r is remembered under: the visitor's own, each rule's key
// whose search r satisfies (rules.Matches: the rule would find r), and also; the step's key
// when there is nothing else.
func (p who) keysFor(r *crm.Record, also ...string) []string {
	var keys []string
	if p.visitor != "" {
		keys = append(keys, p.visitor)
	}
	for _, s := range p.searches {
		if k := s.Key(); k != "" && r != nil && rules.Matches(s, r) {
			keys = append(keys, k)
		}
	}
	for _, k := range also {
		if k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		keys = append(keys, p.step.SourceID)
	}
	return slices.Compact(slices.Sorted(slices.Values(keys)))
}

// known returns the link the person map holds for the visitor, asked in the order of
// [who.mapOrder], with the key that answered; nil when the map cannot answer.
func (w *work) known(ctx context.Context, p who) (*PersonLink, string, error) {
	visitor, byRule := p.mapOrder()
	ask := func(k string) (*PersonLink, error) {
		l, err := w.s.cfg.Store.GetPerson(ctx, PersonKey{TenantID: w.conn.TenantID, OrgID: w.conn.OrgID, Module: p.module, Identity: k})
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return l, err
	}
	if visitor == "" {
		visitor = p.step.SourceID // a visitor without an id: the key its person was made under
	}
	if l, err := ask(visitor); l != nil || err != nil {
		return l, visitor, err
	}
	if len(byRule) > 0 { // the first rule only: a miss means Zoho must be asked, from that rule on
		if l, err := ask(byRule[0]); l != nil || err != nil {
			return l, byRule[0], err
		}
	}
	return nil, "", nil
}

// settleOwnStep settles the visitor's own person step when the map links the visitor to a
// record while that step is left pending or failed without one — the store failed between the
// map's write and the step's (personDone writes the map first), or the step's insert was refused
// or lost while the visitor was identified another way. Each such step is settled once:
//   - nothing it sent can be in Zoho (StepError.NotApplied): recorded done with the map's record,
//     no Zoho call;
//   - its insert may have landed: looked for by its marker (one listing). Found as the map's
//     record, or not found: recorded done with the map's record. Found as another record (the
//     visitor's values changed since): that record is left for the person it was made for —
//     the step stays pending, naming it (RecordID), so that the same person arriving another way
//     still adopts it by its marker, and this visitor's next events do not look again.
//
// Without it, the step would stay pending (or failed, for RetryFailed) for good, every later
// event of the visitor going through the map. One store read for a visitor the map knows.
func (w *work) settleOwnStep(ctx context.Context, pw who, link *PersonLink) error {
	st, err := w.s.cfg.Store.GetStep(ctx, pw.step)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Status == StepDone || st.RecordID != "" {
		return nil
	}
	id := ""
	if st.Err == nil || !st.Err.NotApplied {
		if id, err = w.reconcilePerson(ctx, pw.module, st); err != nil {
			return err
		}
	}
	if id != "" && id != link.RecordID {
		st.RecordID, st.UpdatedAt = id, w.s.cfg.Clock()
		st.Status, st.Err = StepPending, &StepError{Class: ClassRetry, Message: "its record exists; the visitor is linked to another"}
		_, err := w.s.cfg.Store.PutStep(ctx, st)
		if errors.Is(err, ErrConflict) {
			return nil // another worker settled it
		}
		return err
	}
	st.Hash = "" // which values the record holds is not the step's to say: the map's are compared
	return w.personStepDone(ctx, st, link.RecordID)
}

// errVanished: the person the ledger knew is gone from Zoho (deleted, merged, a Lead converted).
var errVanished = errors.New("sync: the Zoho record is gone")

func (w *work) person(ctx context.Context, pw who, own rules.Owner) (*PersonLink, error) {
	t := w.conn.TenantID
	module, stepKey := pw.module, pw.step
	store := w.s.cfg.Store
	in := w.in
	v := in.Base().Visitor

	// Known already: under the visitor's key, or a rule's key the rules in order reach.
	link, hit, err := w.known(ctx, pw)
	if err != nil {
		return nil, err
	}
	if link == nil && w.reload != nil && !w.fresh && w.set.UpdatePolicy.For(module) != rules.Never {
		// Not known: what is asked of Zoho next (an earlier attempt's record, identification,
		// an interrupted insert) may be what a newer event wrote, so the chat is loaded again
		// first, under the person's locks; Zoho is read only after that.
		return nil, errStale
	}
	accountID, accountCached := "", false
	if link != nil {
		accountID = link.AccountID
	} else if module == rules.ModuleContacts {
		id, cached, err := w.account(ctx)
		if err != nil {
			return nil, err
		}
		if id != "" {
			accountID, accountCached = id, cached
			w.res.Account = &RecordResult{Module: rules.ModuleAccounts, ID: accountID, Outcome: Found, Reason: "identified by the Account rules"}
		}
	}
	p, err := rules.PersonFields(rules.PersonInput{Settings: w.set, Module: module, Section: in.Section(), Visitor: v,
		Interaction: in, TenantID: t, Channel: in.Base().Channel, Owner: own, AccountID: accountID,
		Marker: personMarker(stepKey), Overrides: w.personOverrides})
	if err != nil {
		return nil, &Error{Class: ClassPermanent, Tenant: t, Step: &stepKey, Err: err}
	}
	incoming := values(p.Values)

	if link != nil {
		if w.reload != nil && !w.fresh && w.set.UpdatePolicy.For(module) != rules.Never && changes(link.Values, incoming) {
			return nil, errStale
		}
		if accountID != "" {
			w.res.Account = &RecordResult{Module: rules.ModuleAccounts, ID: accountID, Outcome: Found, Reason: "linked earlier"}
		}
		out, err := w.applyPolicy(ctx, module, link, p.Values, incoming)
		if errors.Is(err, errVanished) {
			if derr := w.vanished(ctx, module, link.RecordID, stepKey); derr != nil {
				return nil, derr
			}
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		w.res.Person = out
		if err := w.remember(ctx, module, pw.keysFor(nil, hit), link); err != nil {
			return nil, err
		}
		return link, w.settleOwnStep(ctx, pw, link)
	}

	// Not known: the ledger step says whether an earlier attempt created it.
	step, err := store.GetStep(ctx, stepKey)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if step == nil {
		step = &Step{Key: stepKey}
	}
	reconciled := "" // the record an earlier attempt made, found now: the step is recorded done below
	if step.Status == StepPending && (step.Err == nil || !step.Err.NotApplied) || step.Status == StepFailed && mayHaveApplied(step) {
		// An earlier attempt may have made it (NotApplied says every attempt was refused), even
		// when the last one was refused for good: its write may have landed since.
		id, err := w.reconcilePerson(ctx, module, step)
		if err != nil {
			return nil, err
		}
		if id != "" {
			if step.Attempts > 1 {
				step.Hash = "" // which attempt's values it holds is not known: the policy decides
			}
			reconciled = id
			w.res.Person = &RecordResult{Module: module, ID: id, Outcome: Created, Reason: "created by an earlier attempt"}
		}
	}
	if recordID := cmp.Or(reconciled, step.RecordID); reconciled != "" || step.Status == StepDone && recordID != "" {
		link = &PersonLink{Module: module, RecordID: recordID, AccountID: accountID, Values: incoming, UpdatedAt: w.s.cfg.Clock()}
		if w.res.Person == nil {
			w.res.Person = &RecordResult{Module: module, ID: recordID, Outcome: Found, Reason: "created for this visitor earlier"}
		}
		if err := w.sentEarlier(ctx, module, link, step.Hash, p.Values, incoming); err != nil {
			if errors.Is(err, errVanished) { // deleted, merged or converted since: identify again
				if derr := w.vanished(ctx, module, recordID, stepKey); derr != nil {
					return nil, derr
				}
			}
			return nil, err
		}
		// The policy, then the map, then the step (see personDone): a step recorded done says its
		// values are in Zoho and its record is mapped.
		if err := w.remember(ctx, module, pw.keysFor(p.Record), link); err != nil {
			return nil, err
		}
		if reconciled != "" {
			if err := w.personStepDone(ctx, step, reconciled); err != nil {
				return nil, err
			}
		}
		return link, nil
	}

	// Identification rules.
	found, rule, err := w.identifyBy(ctx, module, pw.searches)
	if err != nil {
		return nil, err
	}
	var adopted *Step
	if found == nil {
		// Another visitor key of this person (another section, an id-less visitor's other chat)
		// may have created it in an attempt whose answer was lost: Zoho's search may not show it
		// yet, so it is looked for by that step's marker before anything is inserted. Its step
		// is recorded done once this visitor's merge is written (until then its own event, or
		// this one again, finds it pending).
		if found, rule, adopted, err = w.interruptedPerson(ctx, module, pw); err != nil {
			return nil, err
		}
	}
	if found != nil {
		link = &PersonLink{Module: module, RecordID: found.ID(), AccountID: accountID, UpdatedAt: w.s.cfg.Clock()}
		out, err := w.merge(ctx, module, found, p.Values)
		if err != nil {
			return nil, err
		}
		out.Reason = fmt.Sprintf("identified by %s rule %d; %s", module, rule+1, out.Reason)
		link.Values = incoming
		// The map before the adopted step is recorded done: until then the step's record is
		// found by its marker (a pending step), from then on through the map.
		if err := w.remember(ctx, module, pw.keysFor(found), link); err != nil {
			return nil, err
		}
		if adopted != nil {
			if err := w.personStepDone(ctx, adopted, found.ID()); err != nil {
				return nil, err
			}
		}
		w.res.Person = out
		return link, nil
	}
	if ok, why := w.set.MayCreatePerson(v, in.Section()); !ok {
		w.res.Person = &RecordResult{Module: module, Outcome: Skipped, Reason: why}
		return nil, nil
	}

	// Create it: claim the step, insert, record.
	step.Module, step.ParentID = module, in.Base().ID
	step.MatchDigests, step.Hash = rules.MatchDigests(p.Record), valuesHash(incoming)
	step, err = w.claim(ctx, step)
	if err != nil {
		return nil, err
	}
	newID, err := w.s.batch.insert(ctx, w.client, module, p.Record)
	if err != nil && accountCached && errField(err) == "Account_Name" {
		// The remembered Account is gone from Zoho: look it up again and insert once more.
		w.s.accounts.forget(w.accountKey())
		id, _, aerr := w.account(ctx)
		if aerr != nil {
			return nil, aerr
		}
		accountID = id
		p.Record.Delete("Account_Name")
		if id != "" {
			_ = p.Record.Set("Account_Name", crm.Lookup{ID: id})
		}
		if err := w.keepLeases(ctx, &step.Key); err != nil {
			return nil, err
		}
		newID, err = w.s.batch.insert(ctx, w.client, module, p.Record)
	}
	if dup := duplicateOf(err); dup != "" {
		// Zoho's own duplicate check (a unique field) names the record it keeps. When the
		// visitor's rules find that record it is the person, which Zoho's lagging search did not
		// show yet (or this step's own earlier write): taken as found, with the update policy.
		// Another unique field (a shared phone the rules do not use) names another person: the
		// refusal stands.
		rec, _, gerr := w.client.Records.Get(ctx, module, dup)
		if gerr != nil && !errors.Is(gerr, zoho.ErrNotFound) {
			return nil, gerr
		}
		for _, s := range pw.searches {
			if gerr != nil || !rules.Matches(s, rec) {
				continue
			}
			// The merge, then the map, then the step: a step recorded done says its values were
			// sent (its Hash), so a merge that failed would never be tried again.
			out, err := w.merge(ctx, module, rec, p.Values)
			if err != nil {
				return nil, err
			}
			link := &PersonLink{Module: module, RecordID: dup, AccountID: accountID, Values: incoming, UpdatedAt: w.s.cfg.Clock()}
			if err := w.remember(ctx, module, pw.keysFor(rec), link); err != nil {
				return nil, err
			}
			if err := w.personStepDone(ctx, step, dup); err != nil {
				return nil, err
			}
			out.Reason = fmt.Sprintf("Zoho's duplicate check named it, %s rule %d finds it; %s", module, s.RuleIndex+1, out.Reason)
			w.res.Person = out
			return link, nil
		}
	}
	if err != nil {
		return nil, w.stepFailed(ctx, step, err)
	}
	return w.personDone(ctx, module, pw.keysFor(p.Record), step, newID, accountID, incoming, Created, "no identification rule found one")
}

func (w *work) personDone(ctx context.Context, module string, keys []string, step *Step, id, accountID string, incoming map[string]string, o Outcome, why string) (*PersonLink, error) {
	step.Module = module
	link := &PersonLink{Module: module, RecordID: id, AccountID: accountID, Values: incoming, UpdatedAt: w.s.cfg.Clock()}
	// The map before the step is recorded done: until then the record is found by the step's
	// marker (a pending step: its own event, or the visitor arriving another way), from then on
	// through the map — never neither, whichever store write fails.
	if err := w.remember(ctx, module, keys, link); err != nil {
		return nil, err
	}
	if err := w.personStepDone(ctx, step, id); err != nil {
		return nil, err
	}
	w.res.Person = &RecordResult{Module: module, ID: id, Outcome: o, Reason: why}
	return link, nil
}

// sentEarlier brings a person an earlier attempt of the step created up to date with the
// visitor as this event has it (the update policy, as for a known person), when the values that
// attempt sent (sentHash) are not these; link.Values are then what was merged.
func (w *work) sentEarlier(ctx context.Context, module string, link *PersonLink, sentHash string, rec *crm.Record, incoming map[string]string) error {
	if sentHash == valuesHash(incoming) {
		return nil
	}
	link.Values = nil
	out, err := w.applyPolicy(ctx, module, link, rec, incoming)
	if err != nil {
		return err
	}
	w.res.Person.Reason += "; " + out.Reason
	if out.Outcome == Updated && w.res.Person.Outcome == Found {
		w.res.Person.Outcome = Updated
	}
	return nil
}

// valuesHash is a digest of a person's mapped values, kept as its step's Hash: the values its
// insert sent.
func valuesHash(values map[string]string) string {
	h := sha256.New()
	for _, k := range sortedKeys(values) {
		io.WriteString(h, k)
		h.Write([]byte{0})
		io.WriteString(h, values[k])
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// personStepDone records that the person step created record id. When another worker changed
// the step meanwhile (its own event came back and reconciled it, or a visitor of another
// section adopted its record), it stands if that worker recorded the same record; otherwise
// the event is to be tried again.
func (w *work) personStepDone(ctx context.Context, step *Step, id string) error {
	step.Status, step.RecordID, step.Err, step.UpdatedAt = StepDone, id, nil, w.s.cfg.Clock()
	rctx, cancel := outcomeCtx(ctx)
	defer cancel()
	_, err := w.s.cfg.Store.PutStep(rctx, step)
	if errors.Is(err, ErrConflict) {
		cur, gerr := w.s.cfg.Store.GetStep(rctx, step.Key)
		if gerr == nil && cur.Status == StepDone && cur.RecordID == id {
			*step = *cur
			return nil
		}
		return &Error{Class: ClassRetry, Tenant: w.conn.TenantID, Step: &step.Key,
			Err: fmt.Errorf("sync: another worker changed the person step: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("sync: recording the person step: %w", err)
	}
	return nil
}

// relink stores link again under each of the visitor's keys that names the same record.
func (w *work) relink(ctx context.Context, p who, link *PersonLink) error {
	visitor, byRule := p.mapOrder()
	for _, k := range append([]string{visitor, p.step.SourceID}, byRule...) {
		if k == "" {
			continue
		}
		pk := PersonKey{TenantID: w.conn.TenantID, OrgID: w.conn.OrgID, Module: p.module, Identity: k}
		if l, err := w.s.cfg.Store.GetPerson(ctx, pk); err == nil && l.RecordID == link.RecordID {
			if err := w.s.cfg.Store.PutPerson(ctx, pk, link); err != nil {
				return err
			}
		}
	}
	return nil
}

// remember stores the link under every identity key.
func (w *work) remember(ctx context.Context, module string, keys []string, link *PersonLink) error {
	// On the outcome's context: a person step recorded done whose map is not written would hide
	// its record from the visitor's other keys (another section's visitor with the same email
	// finds no pending step to adopt, and Zoho's search lags) when the caller gave up meanwhile.
	ctx, cancel := outcomeCtx(ctx)
	defer cancel()
	for _, k := range keys {
		if err := w.s.cfg.Store.PutPerson(ctx, PersonKey{TenantID: w.conn.TenantID, OrgID: w.conn.OrgID, Module: module, Identity: k}, link); err != nil {
			return fmt.Errorf("sync: remembering the person: %w", err)
		}
	}
	return nil
}

// applyPolicy brings a person known from the map up to date under the update policy. A visitor
// whose values are those last written costs no call.
func (w *work) applyPolicy(ctx context.Context, module string, link *PersonLink, incomingRec *crm.Record, incoming map[string]string) (*RecordResult, error) {
	if !changes(link.Values, incoming) || w.set.UpdatePolicy.For(module) == rules.Never {
		return &RecordResult{Module: module, ID: link.RecordID, Outcome: Found, Reason: "known from an earlier chat; nothing to update"}, nil
	}
	existing, _, err := w.client.Records.Get(ctx, module, link.RecordID)
	if errors.Is(err, zoho.ErrNotFound) {
		return nil, errVanished
	}
	if err != nil {
		return nil, err
	}
	out, err := w.merge(ctx, module, existing, incomingRec)
	if err != nil {
		return nil, err
	}
	if link.Values == nil {
		link.Values = map[string]string{}
	}
	maps.Copy(link.Values, incoming)
	link.UpdatedAt = w.s.cfg.Clock()
	return out, nil
}

// changes reports whether incoming has a value other than the one last written.
func changes(written, incoming map[string]string) bool {
	for k, val := range incoming {
		if written[k] != val {
			return true
		}
	}
	return false
}

// merge applies the update policy to a record Zoho has: one update call when something changes.
// Updates are idempotent (the same fields set again), so they need no ledger step.
func (w *work) merge(ctx context.Context, module string, existing, incoming *crm.Record) (*RecordResult, error) {
	upd, changed := rules.Merge(w.set.UpdatePolicy.For(module), existing, incoming)
	if !changed {
		return &RecordResult{Module: module, ID: existing.ID(), Outcome: Found, Reason: "nothing to update"}, nil
	}
	if err := w.keepLeases(ctx, nil); err != nil { // another worker may have written a newer visitor
		return nil, err
	}
	res, _, err := w.client.Records.Update(ctx, module, []*crm.Record{upd}, nil)
	if err == nil && len(res) > 0 {
		err = res[0].Err
	}
	if errors.Is(err, zoho.ErrNotFound) || errors.Is(err, zoho.ErrInvalidData) && errField(err) == "id" {
		return nil, errVanished
	}
	if err != nil {
		return nil, err
	}
	return &RecordResult{Module: module, ID: existing.ID(), Outcome: Updated, Reason: fmt.Sprintf("updated under the %s policy", w.set.UpdatePolicy.For(module))}, nil
}

// vanished forgets a person Zoho no longer has: the map entries and the step that made it, so
// that the visitor is identified (or created) again.
func (w *work) vanished(ctx context.Context, module, id string, stepKey StepKey) error {
	store := w.s.cfg.Store
	if err := store.DeletePerson(ctx, w.conn.TenantID, w.conn.OrgID, module, id); err != nil {
		return err
	}
	st, err := store.GetStep(ctx, stepKey)
	if err == nil && st.RecordID == id {
		// Not failed: nothing for an administrator to fix; the visitor is identified again (and
		// the step reconciled or claimed anew by the next attempt). Its record is gone: no other
		// visitor looks for it (NotApplied).
		st.Status, st.RecordID, st.UpdatedAt = StepPending, "", w.s.cfg.Clock()
		st.Err = &StepError{Class: ClassRetry, Message: "the record is gone from Zoho; the visitor is identified again", NotApplied: true}
		_, err = store.PutStep(ctx, st)
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	w.s.cfg.Logger.InfoContext(ctx, "sync: a person vanished from Zoho; identifying again", "tenant", w.conn.TenantID, "module", module, "id", id)
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// maxReloads bounds how often ensurePerson loads a chat again because the newer visitor it
// loaded had other keys than the one before (each time another event may have got in between).
const maxReloads = 3

// errStale: the event, loaded before the person's locks were held, would change a person the
// map knows, or is about to read Zoho for one it does not know; ensurePerson loads it again.
var errStale = errors.New("sync: the chat was loaded before the person's locks were held")

// maxInterruptedSteps and maxInterruptedPages bound the pending person steps interruptedPerson
// reads (a page per store call: steps Zoho refused during a burst of 429s may fill the first
// pages), and interruptedWindow how old one may be (a step its event never came back for is not
// worth a call for every new visitor after a day).
const (
	maxInterruptedSteps = 500
	maxInterruptedPages = 4
	interruptedWindow   = 24 * time.Hour
)

// interruptedPerson finds a Lead or Contact another person step of the tenant created without
// recording it (its insert applied but its answer lost, or its worker gone) that the visitor's
// rules would have found, asked in order, with that step (the caller records it done with the
// record once it has linked the visitor). Looked at: the day's pending or failed person steps
// whose insert may have been applied (no error, or one not known to have left Zoho unchanged:
// StepError.NotApplied) and whose record the visitor's rules could find (rules.MayMatch on the
// step's MatchDigests). A step whose worker is still at work is looked at too: a person sharing
// an identity key with it waits for its lock, so only one the rules join by other fields meets
// it, and then its record, if already made, is the one to adopt. No Zoho call is made when there
// is no such step.
func (w *work) interruptedPerson(ctx context.Context, module string, pw who) (*crm.Record, int, *Step, error) {
	if len(pw.searches) == 0 {
		return nil, 0, nil, nil // no rule could choose a record
	}
	now := w.s.cfg.Clock()
	// The day's pending person steps, oldest first, a few pages at most: older ones (whose
	// events never came back) and other kinds (a backlog of Cases) are left out by the store, so
	// they cannot crowd the pages. A tenant with more pending person steps in a day than that is
	// behind on more.
	var page []*Step
	cursor := ""
	for range maxInterruptedPages {
		p, next, err := w.s.cfg.Store.ListSteps(ctx, w.conn.TenantID, StepFilter{Status: StepPending, Since: now.Add(-interruptedWindow), Kind: StepPerson}, cursor, maxInterruptedSteps)
		if err != nil {
			return nil, 0, nil, err
		}
		page = append(page, p...)
		if cursor = next; cursor == "" {
			break
		}
	}
	// And the day's failed ones: refused for good after an attempt whose write may have landed
	// late (their errors are not NotApplied; the others are left out below).
	failed, _, err := w.s.cfg.Store.ListSteps(ctx, w.conn.TenantID, StepFilter{Status: StepFailed, Since: now.Add(-interruptedWindow), Kind: StepPerson}, "", maxInterruptedSteps)
	if err != nil {
		return nil, 0, nil, err
	}
	page = append(page, failed...)
	var steps []*Step
	since := now
	for _, st := range page {
		k := st.Key
		if k.Kind != StepPerson || k.Name != module || k.OrgID != w.conn.OrgID || k == pw.step {
			continue
		}
		if st.Err != nil && st.Err.NotApplied {
			// Zoho refused its inserts, and none may have been applied: it created nothing.
			continue
		}
		mayMatch := false
		for _, s := range pw.searches {
			if rules.MayMatch(s, st.MatchDigests) {
				mayMatch = true
				break
			}
		}
		if !mayMatch {
			continue // another person's: none of this visitor's rules could find its record
		}
		steps = append(steps, st)
		since = minTime(since, lookSince(st))
	}
	if len(steps) == 0 {
		return nil, 0, nil, nil
	}
	// The records those steps created, then the rules asked in order over them, as
	// identification asks Zoho: a record the first rule finds ends the walk early.
	var candidates []*crm.Record
	creator := map[string]*Step{}
	err = w.recentRecords(ctx, module, since, func(r *crm.Record) bool {
		for _, st := range steps {
			if rules.EndsWithMarker(r.Text("Description"), personMarker(st.Key)) {
				candidates, creator[r.ID()] = append(candidates, r), st
				_, first := rules.Choose(pw.searches[0], []*crm.Record{r})
				return first
			}
		}
		return false
	})
	if err != nil {
		return nil, 0, nil, err
	}
	for _, s := range pw.searches {
		found, ok := rules.Choose(s, candidates)
		if !ok {
			continue
		}
		return found, s.RuleIndex, creator[found.ID()], nil
	}
	return nil, 0, nil, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
