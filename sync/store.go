package sync

import (
	"context"
	"errors"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/zoho"
)

// The storage the host supplies. Each interface is small and role-based: a method added later
// breaks every host implementation, so these are meant to stay as they are. sync/memstore
// implements them all in memory, sync/sqlstore on PostgreSQL and SQLite, and sync/storetest is
// the conformance suite any implementation runs from its own tests.
//
// Conventions every implementation follows:
//   - Every method is safe for concurrent use, across processes when the store is shared.
//   - "Not found" is an error wrapping [ErrNotFound]; a conflict wraps [ErrConflict]; a lock or
//     lease held by someone else wraps [ErrLockHeld].
//   - Values passed in are copied: the store keeps no reference to a struct, slice or map it was
//     given, and the values it returns are the caller's to change.
//   - Times are stored with at least millisecond precision and returned in UTC.
//   - Tenant ids, keys and ids are opaque strings of at most 255 bytes of UTF-8.

// Sentinel errors of the storage contract.
var (
	// ErrNotFound: nothing is stored under the key.
	ErrNotFound = errors.New("sync: not found")
	// ErrConflict: a compare-and-swap lost (the stored version is not the one the caller read),
	// or an insert found the key taken.
	ErrConflict = errors.New("sync: conflict")
	// ErrLockHeld: another holder's lock has not expired.
	ErrLockHeld = errors.New("sync: lock held")
)

// Store is everything sync keeps. Config.Store takes one; an implementation may be assembled
// from separate parts by embedding them in a struct.
//
// The token of a tenant's Zoho connection lives in the zoho.TokenStore (versioned load and
// compare-and-swap save) under the tenant id as key, and zoho.TokenLeaser keeps one refresh at a
// time across replicas. DeleteConnection deletes that token too.
type Store interface {
	zoho.TokenStore
	zoho.TokenLeaser
	ConnectionStore
	SettingsStore
	ConnectStateStore
	Ledger
	PersonMap
	Locker
}

// ConnectionStore keeps one Connection per tenant.
type ConnectionStore interface {
	// GetConnection returns the tenant's connection, or an error wrapping ErrNotFound.
	GetConnection(ctx context.Context, tenantID string) (*Connection, error)
	// PutConnection stores c under c.TenantID if the stored connection's Version is still
	// c.Version (0: none is stored), and returns the new version (the old one plus one; 1 for a
	// new connection). Otherwise it stores nothing and returns an error wrapping ErrConflict.
	PutConnection(ctx context.Context, c *Connection) (int64, error)
	// DeleteConnection deletes the tenant's connection and its token (the zoho.TokenStore entry
	// keyed by the tenant id), and any lease on that token. Deleting what does not exist is not
	// an error.
	DeleteConnection(ctx context.Context, tenantID string) error
}

// Connection is a tenant's link to one Zoho CRM organisation. The token itself is not here: it
// is in the zoho.TokenStore under the tenant id (data centre, accounts server, api_domain and
// scope are fields of zoho.Token).
type Connection struct {
	// TenantID is the CloudCX tenant.
	TenantID string `json:"tenant_id"`
	// OrgID and OrgName are the Zoho organisation's.
	OrgID   string `json:"org_id"`
	OrgName string `json:"org_name,omitempty"`
	// Edition is the org's Zoho edition as Zoho named it; it sets the concurrency limit.
	Edition string `json:"edition,omitempty"`
	// DataCenter is where the org lives (also in the token; kept here for status pages).
	DataCenter zoho.DataCenter `json:"data_center,omitempty"`
	// UserID and UserEmail are the Zoho user who connected the tenant: the owner of records when
	// the agent is not a Zoho user.
	UserID    string `json:"user_id"`
	UserEmail string `json:"user_email,omitempty"`
	// Client names the OAuth client that issued the token. Refreshes and revocation use it.
	Client OAuthClientRef `json:"client"`
	// Health is what went wrong lately, and whether work for the tenant is paused.
	Health Health `json:"health"`
	// ConnectedAt is when the connection was made.
	ConnectedAt time.Time `json:"connected_at"`
	// Version is the stored version, for PutConnection's compare-and-swap; 0 for a new one.
	Version int64 `json:"version"`
}

// OAuthClientRef names an OAuth client without holding its secret: the operator's system-wide
// client, or the tenant's own. Secrets come from the host (Config.OAuthClients); the store never
// needs them.
type OAuthClientRef struct {
	// Kind is ClientSystem or ClientTenant.
	Kind ClientKind `json:"kind"`
	// ClientID is the OAuth client id (not a secret).
	ClientID string `json:"client_id"`
	// TenantID is the tenant the client is asked for: sync sets it on every call of
	// Config.OAuthClient, so that a host keeping each tenant's own client finds its secret.
	TenantID string `json:"tenant_id,omitempty"`
}

// ClientKind says whose OAuth client connected a tenant.
type ClientKind string

// The kinds of OAuth client.
const (
	// ClientSystem is the operator's system-wide OAuth client.
	ClientSystem ClientKind = "system"
	// ClientTenant is the tenant's own OAuth client ("custom configuration").
	ClientTenant ClientKind = "tenant"
)

// Health is the state of a tenant's connection as sync last saw it.
type Health struct {
	// Paused is set while nothing is sent to Zoho for the tenant; PauseReason says why and
	// PausedUntil, when not zero, when sync tries again on its own.
	Paused      bool        `json:"paused,omitempty"`
	PauseReason PauseReason `json:"pause_reason,omitempty"`
	PausedUntil time.Time   `json:"paused_until,omitzero"`
	// LastError is the last error's text (no secrets, no personal data) and LastErrorAt its time.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// PauseReason says why work for a tenant is paused.
type PauseReason string

// The reasons a tenant is paused.
const (
	// PauseCreditsExhausted: the org used its API credits for the 24-hour window.
	PauseCreditsExhausted PauseReason = "credits_exhausted"
	// PauseReconnectRequired: the refresh token was revoked or refused; an administrator must
	// connect again.
	PauseReconnectRequired PauseReason = "reconnect_required"
	// PauseScopeMismatch: the token lacks a scope sync needs; an administrator must connect
	// again granting it.
	PauseScopeMismatch PauseReason = "scope_mismatch"
)

// SettingsStore keeps each tenant's settings as the JSON of rules.Settings. sync validates them
// before saving (Syncer.SaveSettings); the store keeps the bytes as given.
type SettingsStore interface {
	// GetSettings returns the tenant's settings document, or an error wrapping ErrNotFound.
	GetSettings(ctx context.Context, tenantID string) ([]byte, error)
	// PutSettings stores the tenant's settings document, replacing any.
	PutSettings(ctx context.Context, tenantID string, doc []byte) error
}

// ConnectStateStore keeps the OAuth state of connections under way: each is taken once, and not
// after it expired.
type ConnectStateStore interface {
	// PutConnectState stores s under s.ID, or fails wrapping ErrConflict when the id is taken.
	PutConnectState(ctx context.Context, s *ConnectState) error
	// TakeConnectState deletes and returns the state stored under id. A state that does not
	// exist, was taken already, or whose ExpiresAt is not after now is an error wrapping
	// ErrNotFound (an expired state is deleted too). Of concurrent calls for one id, at most one
	// succeeds.
	TakeConnectState(ctx context.Context, id string, now time.Time) (*ConnectState, error)
}

// ConnectState is one connection attempt between the authorisation URL and Zoho's callback.
type ConnectState struct {
	// ID is the key: a hash of the state value sent to Zoho (the value itself is never stored).
	ID string `json:"id"`
	// TenantID is the tenant being connected.
	TenantID string `json:"tenant_id"`
	// Client is the OAuth client the authorisation URL was made for.
	Client OAuthClientRef `json:"client"`
	// DataCenter is where the administrator was sent to sign in.
	DataCenter zoho.DataCenter `json:"data_center,omitempty"`
	// Session is a hash of the administrator's session the state is bound to
	// (ConnectRequest.Session), "" for none.
	Session string `json:"session,omitempty"`
	// ExpiresAt is when the state stops being accepted.
	ExpiresAt time.Time `json:"expires_at"`
}

// Ledger records every Zoho write sync makes as a Step, so that a redelivered event, a retry
// after a crash or a second replica never writes twice.
type Ledger interface {
	// GetStep returns the step stored under k, or an error wrapping ErrNotFound.
	GetStep(ctx context.Context, k StepKey) (*Step, error)
	// PutStep stores s under s.Key if the stored step's Version is still s.Version (0: none is
	// stored), and returns the new version. Otherwise it stores nothing and returns an error
	// wrapping ErrConflict.
	PutStep(ctx context.Context, s *Step) (int64, error)
	// ListSteps returns the tenant's steps that f selects (its status, updated at or after
	// f.Since), oldest UpdatedAt first (then by key), at most limit of them (limit ≤ 0: 100),
	// starting after the cursor (empty: from the start). It returns the cursor of the next page, empty when there is none. A cursor is a
	// position in that order (after the last step returned), not a count: steps that change
	// status between pages (a host retrying each page of failed steps) make the next page skip
	// none of the others. A step changed during a walk that still has the status may be listed
	// again at its new place (its UpdatedAt moved): a host retrying "all" remembers the keys it
	// retried. A limit above 1,000 is read as 1,000.
	ListSteps(ctx context.Context, tenantID string, f StepFilter, cursor string, limit int) ([]*Step, string, error)
}

// StepFilter selects the steps ListSteps lists.
type StepFilter struct {
	// Status is the steps' status.
	Status StepStatus
	// Since, when not zero, leaves out the steps last updated before it (sync looks only at
	// recent pending steps; a tenant's steps whose events never came back stay pending for ever).
	Since time.Time
	// Kind, when not "", leaves out the steps of other kinds (sync looks for pending person
	// steps, which a backlog of pending Case steps must not crowd out of a page).
	Kind StepKind
}

// StepKey names one Zoho write. Chat and conversation ids may collide, so the section is part of
// the key; the org is too, so that connecting a tenant to another Zoho org starts anew.
type StepKey struct {
	TenantID string          `json:"tenant_id"`
	OrgID    string          `json:"org_id"`
	Section  cloudcx.Section `json:"section"`
	// SourceID is the chat or conversation id (for person steps: the visitor id).
	SourceID string `json:"source_id"`
	// Kind is what the step writes.
	Kind StepKind `json:"kind"`
	// Name tells apart steps of one kind for one source: a record step's module ("Cases",
	// "Tasks"), an attachment's module and planned file name ("Cases/photo.png").
	Name string `json:"name,omitempty"`
	// Seq is 0, or the number of a deliberate repeat (a second Case an agent asked for).
	Seq int `json:"seq,omitempty"`
}

// StepKind says what a step writes.
type StepKind string

// The kinds of step.
const (
	// StepPerson creates or updates the visitor's Lead or Contact.
	StepPerson StepKind = "person"
	// StepRecord creates the chat's Case or Task, and keeps it up to date: after a wrap-up or a
	// re-resolved conversation its Hash changes and the record's Subject and Description are
	// updated in place.
	StepRecord StepKind = "record"
	// StepAttachment uploads one file to the Case or Task (Name is the planned file name).
	StepAttachment StepKind = "attachment"
	// StepRequest writes nothing to Zoho: it remembers which repeat an Agent Console request
	// (Manual.RequestKey) was given (Name is the record module and the key, Hash "repeat:<n>"),
	// so that the request sent again is answered with the same Case or Task.
	StepRequest StepKind = "request"
)

// StepStatus is where a step is.
type StepStatus string

// The statuses of a step.
const (
	// StepPending: claimed; the write may be under way, or may have happened without being
	// recorded (a crash). It is reconciled before anything is sent again.
	StepPending StepStatus = "pending"
	// StepDone: written; Module and RecordID say where.
	StepDone StepStatus = "done"
	// StepFailed: refused for good (invalid data, no permission, invalid settings); Err says why.
	// Retried only when asked to (Syncer.RetryFailed) after the cause was fixed.
	StepFailed StepStatus = "failed"
)

// Step is one Zoho write and what became of it.
type Step struct {
	Key    StepKey    `json:"key"`
	Status StepStatus `json:"status"`
	// Module and RecordID are the Zoho record written (for an attachment: the attachment id in
	// RecordID and the parent record's in ParentID; for a person: the chat or conversation whose
	// event last worked on it in ParentID, so that RetryFailed can work on it again).
	Module   string `json:"module,omitempty"`
	RecordID string `json:"record_id,omitempty"`
	ParentID string `json:"parent_id,omitempty"`
	// Hash is a digest of what was written, so that a repeat with the same content is a no-op.
	Hash string `json:"hash,omitempty"`
	// Attempts counts the calls made for the step.
	Attempts int `json:"attempts"`
	// SentSince is when the first of the step's attempts that may have been applied was
	// claimed (zero when none was): a record it made is looked for among those created since,
	// however late the next attempt comes (a redelivery, an administrator's retry).
	SentSince time.Time `json:"sent_since,omitzero"`
	// MatchDigests, on a person step, are rules.MatchDigests of the Lead or Contact it inserts:
	// when the insert's answer is lost, only a visitor whose identification rules could find
	// that record (rules.MayMatch) looks for it. One-way digests of the person's values.
	MatchDigests []string `json:"match_digests,omitempty"`
	// Err is the last error, for the host to show; nil once done.
	Err *StepError `json:"err,omitempty"`
	// UpdatedAt is when the step last changed.
	UpdatedAt time.Time `json:"updated_at"`
	// Version is the stored version, for PutStep's compare-and-swap; 0 for a new step.
	Version int64 `json:"version"`

	// unsettled: when this attempt was claimed, an earlier one may have been applied (its look
	// found nothing, but an ambiguous write may land later); kept in process only, between the
	// claim and the attempt's outcome, so that a refusal of this attempt does not read as
	// "nothing applied" (StepError.NotApplied).
	unsettled bool
}

// StepError is a step's last error as kept in the ledger: no secrets, no personal data.
type StepError struct {
	// Class is how sync classed the error.
	Class ErrorClass `json:"class"`
	// Code is Zoho's error code when Zoho gave one ("INVALID_DATA"), and Field the field it named.
	Code  string `json:"code,omitempty"`
	Field string `json:"field,omitempty"`
	// Message says what went wrong.
	Message string `json:"message"`
	// NotApplied: nothing the step's calls made is in Zoho (Zoho refused every one, they were
	// never sent, or what they made is gone). False when it may have been applied although it
	// failed (its answer was lost: *zoho.AmbiguousError), and when not known (a step an older
	// version stored): the next attempt looks for what it may have written before it sends again.
	NotApplied bool `json:"not_applied,omitempty"`
}

// PersonMap remembers which Zoho Lead or Contact stands for a visitor, under each of the
// visitor's identity keys (the visitor id in its section, and the key of each identification
// rule the record satisfies: rules.Search.Key, such as the normalised email or phone), with what
// sync last wrote to it, so that a returning visitor with unchanged details costs no Zoho call.
// It is asked in rule order: the visitor's own key, then the first rule's; any other case is
// asked of Zoho, so that the map never overrides the order of the rules.
type PersonMap interface {
	// GetPerson returns the link stored under k, or an error wrapping ErrNotFound.
	GetPerson(ctx context.Context, k PersonKey) (*PersonLink, error)
	// PutPerson stores l under k, replacing any.
	PutPerson(ctx context.Context, k PersonKey, l *PersonLink) error
	// DeletePerson deletes every key whose link names (l.Module, l.RecordID) in the tenant's org:
	// the record vanished from Zoho (deleted, merged, a Lead converted). Deleting what does not
	// exist is not an error.
	DeletePerson(ctx context.Context, tenantID, orgID, module, recordID string) error
}

// PersonKey names a visitor in one tenant's Zoho org, for one module (a visitor may be a Lead
// for Inbox and a Contact for Web Chat).
type PersonKey struct {
	TenantID string `json:"tenant_id"`
	OrgID    string `json:"org_id"`
	Module   string `json:"module"`
	// Identity is "visitor:<section>:<id>", or one of rules' identity keys ("email:…", "phone:…").
	Identity string `json:"identity"`
}

// PersonLink is the Zoho record that stands for a visitor.
type PersonLink struct {
	Module   string `json:"module"`
	RecordID string `json:"record_id"`
	// AccountID is the Account the identification rules linked, if any.
	AccountID string `json:"account_id,omitempty"`
	// Values are the mapped values sync last wrote or found (Zoho field name → JSON value).
	Values map[string]string `json:"values,omitempty"`
	// UpdatedAt is when the link was written.
	UpdatedAt time.Time `json:"updated_at"`
}

// Locker hands out named locks with a lease, so that one worker at a time (across replicas, when
// the store is shared) works on a person or a chat, and a dead worker's lock expires.
type Locker interface {
	// AcquireLock takes the lock named key for owner until now+ttl. Taking a lock the same owner
	// holds extends it. It fails with an error wrapping ErrLockHeld when another owner holds it
	// and its lease has not expired at now. The returned release function gives the lock up if
	// the owner still holds it; releasing twice, or after the lease expired and another owner
	// took the lock, does nothing to the other owner's lock.
	AcquireLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) (release func(context.Context) error, err error)
	// RenewLock extends the lock named key to now+ttl if owner still holds it: if no other owner
	// has taken it since owner's AcquireLock, even when owner's lease has passed meanwhile, and it
	// was not released. Otherwise it changes nothing and fails with an error wrapping
	// ErrLockHeld, whether another owner holds the lock now or took it and gave it back: a
	// worker's lease is fenced by the store, not by the worker's clock. The release function
	// AcquireLock returned still gives the renewed lock up.
	RenewLock(ctx context.Context, key, owner string, ttl time.Duration, now time.Time) error
}
