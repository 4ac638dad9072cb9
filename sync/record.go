package sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// linkFields are the fields of a Case or Task that point at the person: INVALID_DATA on one of
// them means the person is gone from Zoho.
var linkFields = map[string]bool{"Related_To": true, "What_Id": true, "Who_Id": true, "Account_Name": true}

// contentHash is the digest of what a Case or Task says: a repeat with the same subject and
// description writes nothing.
// refusedEarlier answers a failed step with the content Zoho refused: skipped, permanently.
func (w *work) refusedEarlier(st *Step, module string) error {
	msg := ""
	if st.Err != nil {
		msg = st.Err.Message
	}
	w.res.Record = &RecordResult{Module: module, Outcome: Skipped, Reason: "Zoho refused it earlier: " + msg}
	return &Error{Class: ClassPermanent, Tenant: w.conn.TenantID, Step: &st.Key, Err: fmt.Errorf("sync: the step failed earlier (%s); retry it once the cause is fixed", msg)}
}

// mayHaveApplied reports whether an attempt of the step may have written to Zoho although the
// step is not done: looked for by marker before it is written again.
func mayHaveApplied(st *Step) bool {
	return st.Attempts > 0 && (st.Err == nil || !st.Err.NotApplied)
}

func contentHash(r *rules.Rendered) string {
	h := sha256.New()
	io.WriteString(h, r.Subject)
	h.Write([]byte{0})
	io.WriteString(h, r.Description)
	return hex.EncodeToString(h.Sum(nil))
}

// outcomes opens each attachment of the chat to learn its size (then closes it), so that the
// description can list the files that cannot be uploaded and why.
func (w *work) outcomes(ctx context.Context) []rules.AttachmentOutcome {
	op := w.s.cfg.Attachments
	if op == nil {
		return nil
	}
	var out []rules.AttachmentOutcome
	for _, a := range w.in.AllAttachments() {
		rc, info, err := op.OpenAttachment(ctx, w.conn.TenantID, a)
		if rc != nil {
			rc.Close()
		}
		out = append(out, rules.AttachmentOutcome{Attachment: a, Info: info, Err: err})
	}
	return out
}

// render renders the chat's Case or Task for the person.
func (w *work) render(ctx context.Context, pl *PersonLink, atts []rules.AttachmentOutcome) (*rules.Rendered, error) {
	own, err := w.resolveOwner(ctx)
	if err != nil {
		return nil, err
	}
	in := rules.RenderInput{Interaction: w.in, Seq: w.seq, Settings: w.set, Location: w.loc, Owner: own, Attachments: atts}
	if pl != nil {
		in.Person = rules.Link{Module: pl.Module, ID: pl.RecordID}
		if pl.AccountID != "" {
			in.Account = rules.Link{Module: rules.ModuleAccounts, ID: pl.AccountID}
		}
	}
	var r *rules.Rendered
	if w.set.Action(w.in.Section()) == rules.Sales {
		r, err = rules.RenderTask(in)
	} else {
		r, err = rules.RenderCase(in)
	}
	if err != nil {
		return nil, &Error{Class: ClassPermanent, Tenant: w.conn.TenantID, Err: err}
	}
	for _, f := range sortedKeys(w.recordOverrides) {
		_ = r.Record.Set(f, w.recordOverrides[f])
	}
	return r, nil
}

// updates reports whether the event may change a Case or Task already written: a wrap-up, a
// (re-)resolved or closed conversation, or an agent's manual call.
func (w *work) updates() bool {
	switch w.res.Kind {
	case cloudcx.EventChatEnded, cloudcx.EventOfflineMessage, cloudcx.EventChatStarted, cloudcx.EventConversationStarted:
		return w.manual
	}
	return true
}

// recordModule is the module of the chat's record under the settings in force (Tasks for Sales,
// else Cases): a chat may have a Case (automatic Support) and a Task (an agent's CreateTask), each
// its own ledger step, named by its module.
func (w *work) recordModule() string {
	if w.set.Action(w.in.Section()) == rules.Sales {
		return rules.ModuleTasks
	}
	return rules.ModuleCases
}

// maxRepeats bounds the deliberate repeats of one chat's Case or Task.
const maxRepeats = 1000

// nextRepeat picks the repeat an "another" call writes: the first whose step is missing, or
// pending (an earlier call was interrupted: it is completed, not repeated) unless fresh.
func (w *work) nextRepeat(ctx context.Context, src rules.SourceKey, fresh bool) (int, error) {
	for seq := 1; seq <= maxRepeats; seq++ {
		st, err := w.s.cfg.Store.GetStep(ctx, w.recordKey(src, seq))
		if errors.Is(err, ErrNotFound) || err == nil && st.Status == StepPending && !fresh {
			return seq, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, &Error{Class: ClassPermanent, Tenant: w.conn.TenantID, Err: fmt.Errorf("sync: the chat has %d Cases or Tasks already", maxRepeats)}
}

// recordKey is the ledger key of the chat's Case or Task (seq 0) or of a repeat.
func (w *work) recordKey(src rules.SourceKey, seq int) StepKey {
	return StepKey{TenantID: w.conn.TenantID, OrgID: w.conn.OrgID, Section: src.Section, SourceID: src.ID, Kind: StepRecord, Name: w.recordModule(), Seq: seq}
}

// repeat picks the repeat an "another" call writes: for RetryFailed, the repeat retried; without
// a request key, nextRepeat; with one, the repeat the key was given before, else a fresh one,
// reserved (its step pending, never claimed) and remembered under the key before anything is
// sent.
func (w *work) repeat(ctx context.Context, src rules.SourceKey) (int, error) {
	if w.retrySeq > 0 {
		return w.retrySeq, nil
	}
	if w.requestKey == "" {
		return w.nextRepeat(ctx, src, false)
	}
	store := w.s.cfg.Store
	rk := StepKey{TenantID: w.conn.TenantID, OrgID: w.conn.OrgID, Section: src.Section, SourceID: src.ID, Kind: StepRequest, Name: w.recordModule() + "/" + w.requestKey}
	st, err := store.GetStep(ctx, rk)
	if err == nil {
		if seq, perr := strconv.Atoi(strings.TrimPrefix(st.Hash, "repeat:")); perr == nil && seq > 0 {
			return seq, nil
		}
	} else if !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	seq, err := w.nextRepeat(ctx, src, true)
	if err != nil {
		return 0, err
	}
	now := w.s.cfg.Clock()
	if _, err := store.PutStep(ctx, &Step{Key: w.recordKey(src, seq), Status: StepPending, Module: w.recordModule(), UpdatedAt: now}); err != nil {
		return 0, fmt.Errorf("sync: reserving a repeat: %w", err)
	}
	if _, err := store.PutStep(ctx, &Step{Key: rk, Status: StepDone, Hash: "repeat:" + strconv.Itoa(seq), UpdatedAt: now}); err != nil {
		return 0, fmt.Errorf("sync: remembering the request: %w", err)
	}
	return seq, nil
}

// ensureRecord makes sure the chat has its Case or Task with the chat's current content, and its
// files uploaded once each.
func (w *work) ensureRecord(ctx context.Context, pl *PersonLink) error {
	t, org := w.conn.TenantID, w.conn.OrgID
	src := rules.KeyOf(w.in)
	held, err := w.s.lockAll(ctx, []string{"chat|" + t + "|" + org + "|" + string(src.Section) + "|" + src.ID})
	if err != nil {
		return err
	}
	defer held.release()
	w.chatLease = held
	defer func() { w.chatLease = nil }()
	if w.another {
		if w.seq, err = w.repeat(ctx, src); err != nil {
			return err
		}
	}
	src.Seq = w.seq

	key := w.recordKey(src, w.seq)
	st, err := w.s.cfg.Store.GetStep(ctx, key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if st == nil {
		st = &Step{Key: key}
	} else if w.reload != nil {
		// Another event wrote (or began writing) the record: what it wrote may be newer than
		// what this event loaded before it held the lock, so the chat is loaded again.
		in, err := w.reload(ctx)
		if err != nil {
			return err
		}
		w.loaded(in)
	}
	atts := w.outcomes(ctx)
	r, err := w.render(ctx, pl, atts)
	if err != nil {
		return err
	}
	hash := contentHash(r)

	switch {
	case st.Status == StepDone && st.Hash == hash:
		w.res.Record = &RecordResult{Module: r.Module, ID: st.RecordID, Outcome: Found, Reason: "written earlier with the same content"}
	case st.Status == StepDone && !w.updates():
		// A chat-end or offline-message event delivered again (perhaps after a wrap-up the
		// loaded chat does not carry): the record is written; only a wrap-up or a re-resolve
		// updates it, so a late redelivery never overwrites what they wrote.
		w.res.Record = &RecordResult{Module: r.Module, ID: st.RecordID, Outcome: Found, Reason: "written earlier; this event does not update it"}
	case st.Status == StepDone:
		if err := w.updateRecord(ctx, st, r, hash); err != nil {
			return err
		}
	case st.Status == StepFailed && st.Hash == hash && !mayHaveApplied(st):
		return w.refusedEarlier(st, r.Module)
	default:
		// Never claimed, or every insert refused by Zoho (NotApplied): nothing to look for. A
		// failed step whose earlier attempt may have been applied is looked for too.
		if (st.Status == StepPending || st.Status == StepFailed) && mayHaveApplied(st) {
			id, err := w.reconcileRecord(ctx, r.Module, st, src)
			if err != nil {
				return err
			}
			if id != "" {
				// Found with what the earlier attempt sent (st.Hash, when there was one attempt:
				// after several, which one's content it holds is not known, so it is written
				// again); newer content (a wrap-up since) is written on top.
				sent := st.Hash
				if st.Attempts > 1 {
					sent = ""
				}
				if err := w.recordDone(ctx, st, r, id, sent, "created by an earlier attempt"); err != nil {
					return err
				}
				if sent != hash {
					if err := w.updateRecord(ctx, st, r, hash); err != nil {
						return err
					}
				}
				break
			}
			if st.Status == StepFailed && st.Hash == hash {
				return w.refusedEarlier(st, r.Module) // not made after all: refused as it was
			}
		}
		if st, r, err = w.insertRecord(ctx, st, r, pl, atts); err != nil {
			return err
		}
	}
	// The transcript file follows the record: replaced only when the record now holds this
	// rendering (a redelivered end that does not update the record keeps the file it has).
	return w.uploadAll(ctx, r, st.RecordID, st.Hash == hash)
}

// insertRecord claims the step and creates the Case or Task. A person gone from Zoho, or an owner
// Zoho refuses, is dealt with and the insert tried once more.
func (w *work) insertRecord(ctx context.Context, st *Step, r *rules.Rendered, pl *PersonLink, atts []rules.AttachmentOutcome) (*Step, *rules.Rendered, error) {
	st.Hash, st.Module = contentHash(r), r.Module
	st, err := w.claim(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 { // after Zoho was read again (the Account, the person)
			if err := w.keepLeases(ctx, &st.Key); err != nil {
				return nil, nil, err
			}
		}
		id, err := w.s.batch.insert(ctx, w.client, r.Module, r.Record)
		if err == nil {
			return st, r, w.recordDone(ctx, st, r, id, contentHash(r), "")
		}
		var amb *zoho.AmbiguousError
		if attempt == 1 || errors.As(err, &amb) {
			return nil, nil, w.stepFailed(ctx, st, err)
		}
		switch {
		case errField(err) == "Account_Name" && pl != nil && pl.AccountID != "":
			// The Account is gone from Zoho (deleted or merged), not the person: forget it (the
			// cached search and the person's link) and write the record without it.
			w.s.accounts.forget(w.accountKey())
			acc := *pl
			acc.AccountID = ""
			pw := w.who()
			_ = w.relink(ctx, pw, &acc)
			pl = &acc
		case linkFields[errField(err)] && pl != nil:
			if err := w.vanished(ctx, pl.Module, pl.RecordID, w.who().step); err != nil {
				return nil, nil, err
			}
			if pl, err = w.ensurePerson(ctx); err != nil {
				return nil, nil, err
			}
		case w.ownerRejected(ctx, err):
		default:
			return nil, nil, w.stepFailed(ctx, st, err)
		}
		if r, err = w.render(ctx, pl, atts); err != nil {
			return nil, nil, err
		}
		st.Hash = contentHash(r)
	}
}

func (w *work) recordDone(ctx context.Context, st *Step, r *rules.Rendered, id, hash, why string) error {
	st.Status, st.Module, st.RecordID, st.Hash, st.Err = StepDone, r.Module, id, hash, nil
	st.UpdatedAt = w.s.cfg.Clock()
	rctx, cancel := outcomeCtx(ctx)
	defer cancel()
	v, err := w.s.cfg.Store.PutStep(rctx, st)
	if err != nil {
		return fmt.Errorf("sync: recording the %s: %w", r.Module, err)
	}
	st.Version = v
	w.res.Record = &RecordResult{Module: r.Module, ID: id, Outcome: Created, Reason: why}
	return nil
}

// updateRecord brings an existing Case or Task up to date after a wrap-up or a re-resolved
// conversation: Subject and Description only — never Status, Case_Origin or links, which an agent
// may have changed in Zoho. An update is idempotent, so it needs no reconcile.
func (w *work) updateRecord(ctx context.Context, st *Step, r *rules.Rendered, hash string) error {
	upd := crm.NewRecord()
	upd.SetID(st.RecordID)
	if err := upd.Set("Subject", r.Subject); err != nil {
		return err
	}
	if err := upd.Set("Description", r.Description); err != nil {
		return err
	}
	if err := w.keepLeases(ctx, &st.Key); err != nil { // another worker may have written newer content
		return err
	}
	res, _, err := w.client.Records.Update(ctx, r.Module, []*crm.Record{upd}, nil)
	if err == nil && len(res) > 0 {
		err = res[0].Err
	}
	if err != nil {
		return &Error{Class: classify(err), Tenant: w.conn.TenantID, Step: &st.Key, RetryAfter: retryAfter(err), Err: err}
	}
	st.Hash, st.UpdatedAt = hash, w.s.cfg.Clock()
	rctx, cancel := outcomeCtx(ctx)
	defer cancel()
	v, err := w.s.cfg.Store.PutStep(rctx, st)
	if err != nil {
		return fmt.Errorf("sync: recording the update: %w", err)
	}
	st.Version = v
	w.res.Record = &RecordResult{Module: r.Module, ID: st.RecordID, Outcome: Updated, Reason: "the chat changed (wrap-up, or resolved again)"}
	return nil
}

// uploadAll uploads every planned file once. A file Zoho refuses is reported; other files go on.
// The first temporary failure is returned after the others were tried. The full transcript (or
// description) file is uploaded once per content: when current and its content changed since
// (a conversation resolved again with more messages), the new one replaces the old.
func (w *work) uploadAll(ctx context.Context, r *rules.Rendered, recordID string, current bool) error {
	var first error
	for _, p := range r.Attachments {
		if !p.Upload {
			w.res.Attachments = append(w.res.Attachments, AttachmentResult{FileName: p.FileName, Reason: p.Reason})
			continue
		}
		a := p.Attachment
		open := func() (io.ReadCloser, string, error) {
			rc, info, err := w.s.cfg.Attachments.OpenAttachment(ctx, w.conn.TenantID, a)
			return rc, info.ContentType, err
		}
		if err := w.upload(ctx, r.Module, recordID, p.FileName, "", open); err != nil && first == nil {
			first = err
		}
	}
	if f := r.TranscriptAttachment; f != nil {
		open := func() (io.ReadCloser, string, error) {
			return io.NopCloser(bytes.NewReader(f.Content)), f.ContentType, nil
		}
		version := fileHash(f.Content)
		if !current {
			version = "" // keep whatever file the record has
		}
		if err := w.upload(ctx, r.Module, recordID, f.Name, version, open); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// fileHash is the digest of a generated file's content, kept in its step (Step.Hash).
func fileHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// upload uploads one file under its own ledger step. version, when given, is the digest of a
// generated file's content: a done step holding another version is uploaded again and the file
// it names deleted once the new one is there (the pending step keeps the old file's id in
// RecordID until then, so that a reconcile by name never takes the old file for the new).
// "" keeps a done step as it is.
func (w *work) upload(ctx context.Context, module, recordID, name, version string, open func() (io.ReadCloser, string, error)) error {
	key := StepKey{TenantID: w.conn.TenantID, OrgID: w.conn.OrgID, Section: w.in.Section(), SourceID: w.in.Base().ID, Kind: StepAttachment, Name: module + "/" + name, Seq: w.seq}
	st, err := w.s.cfg.Store.GetStep(ctx, key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if st == nil {
		st = &Step{Key: key}
	}
	// While a step is pending, RecordID names the file it replaces (if any), still on Zoho.
	stale := func() bool { return version != "" && st.Hash != "" && st.Hash != version }
	if st.Status == StepPending {
		id, err := w.reconcileAttachment(ctx, module, recordID, name, st.RecordID)
		if err != nil {
			return err
		}
		if id != "" {
			if err := w.attachmentDone(ctx, st, module, recordID, id, name); err != nil || !stale() {
				return err
			}
			w.res.Attachments = w.res.Attachments[:len(w.res.Attachments)-1] // replaced below
		}
	}
	switch {
	case st.Status == StepDone && !stale():
		w.res.Attachments = append(w.res.Attachments, AttachmentResult{FileName: name, ID: st.RecordID, Uploaded: true})
		return nil
	case st.Status == StepFailed && !stale():
		w.res.Attachments = append(w.res.Attachments, AttachmentResult{FileName: name, Reason: st.Err.Message})
		return nil
	}
	st.Hash = version
	if st, err = w.claim(ctx, st); err != nil {
		return err
	}
	rc, ctype, err := open()
	if err != nil {
		class := ClassRetry
		if errors.Is(err, cloudcx.ErrNotFound) {
			class = ClassPermanent
		}
		st.Err = &StepError{Class: class, Message: "the file could not be opened: " + err.Error()}
		if class == ClassPermanent {
			st.Status = StepFailed
		}
		st.UpdatedAt = w.s.cfg.Clock()
		_, _ = w.s.cfg.Store.PutStep(ctx, st)
		w.res.Attachments = append(w.res.Attachments, AttachmentResult{FileName: name, Reason: st.Err.Message})
		if class == ClassPermanent {
			return nil
		}
		return &Error{Class: class, Tenant: w.conn.TenantID, Step: &st.Key, Err: err}
	}
	defer rc.Close()
	if err := w.stillOurs(ctx, st); err != nil {
		return err
	}
	a, _, err := w.client.Attachments.Upload(ctx, module, recordID, zoho.File{Name: name, ContentType: ctype, Body: rc}, nil)
	if err != nil {
		var rej *zoho.AttachmentRejectedError
		if errors.As(err, &rej) {
			st.Status, st.Err, st.UpdatedAt = StepFailed, &StepError{Class: ClassPermanent, Message: err.Error()}, w.s.cfg.Clock()
			rctx, cancel := outcomeCtx(ctx)
			_, _ = w.s.cfg.Store.PutStep(rctx, st)
			cancel()
			w.res.Attachments = append(w.res.Attachments, AttachmentResult{FileName: name, Reason: err.Error()})
			return nil
		}
		w.res.Attachments = append(w.res.Attachments, AttachmentResult{FileName: name, Reason: err.Error()})
		return w.stepFailed(ctx, st, err)
	}
	return w.attachmentDone(ctx, st, module, recordID, a.ID, name)
}

// stillOurs checks, before a write that took long to prepare (opening a large file), that the
// step is still the one this worker claimed and renews the chat's lease: a worker whose lease
// ran out meanwhile (a stall longer than LockTTL) must not write what another worker has taken
// over. It returns a ClassRetry *Error when the step changed.
func (w *work) stillOurs(ctx context.Context, st *Step) error {
	if err := w.keepLeases(ctx, &st.Key); err != nil {
		return err
	}
	cur, err := w.s.cfg.Store.GetStep(ctx, st.Key)
	if err != nil {
		return fmt.Errorf("sync: reading a step: %w", err)
	}
	if cur.Version != st.Version {
		return &Error{Class: ClassRetry, Tenant: w.conn.TenantID, Step: &st.Key, Err: fmt.Errorf("sync: another worker took the step over: %w", ErrConflict)}
	}
	return nil
}

// attachmentDone records a file uploaded (or found) as id, after deleting the file it replaces
// (the pending step's RecordID; one already gone is fine).
func (w *work) attachmentDone(ctx context.Context, st *Step, module, recordID, id, name string) error {
	if old := st.RecordID; old != "" && old != id && st.Status == StepPending {
		if _, err := w.client.Attachments.Delete(ctx, module, recordID, old); err != nil && !errors.Is(err, zoho.ErrNotFound) {
			if classify(err) != ClassPermanent {
				return &Error{Class: classify(err), Tenant: w.conn.TenantID, Step: &st.Key, RetryAfter: retryAfter(err), Err: err}
			}
			w.s.cfg.Logger.WarnContext(ctx, "sync: the replaced file could not be deleted", "tenant", w.conn.TenantID, "module", module, "err", err)
		}
	}
	st.Status, st.Module, st.RecordID, st.ParentID, st.Err = StepDone, module, id, recordID, nil
	st.UpdatedAt = w.s.cfg.Clock()
	rctx, cancel := outcomeCtx(ctx)
	defer cancel()
	if _, err := w.s.cfg.Store.PutStep(rctx, st); err != nil {
		return fmt.Errorf("sync: recording an attachment: %w", err)
	}
	w.res.Attachments = append(w.res.Attachments, AttachmentResult{FileName: name, ID: id, Uploaded: true})
	return nil
}
