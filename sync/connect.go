package sync

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cloudcx/cxzoho/rules"
	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/crm"
)

// ConnectStateTTL is how long an authorisation URL's state is accepted.
const ConnectStateTTL = 10 * time.Minute

// ConnectErrorKind says what an administrator must do about a failed connection.
type ConnectErrorKind string

// The kinds of connection failure.
const (
	// ConnectAccessDenied: the administrator declined Zoho's consent page.
	ConnectAccessDenied ConnectErrorKind = "access_denied"
	// ConnectStateInvalid: the callback's state is unknown, expired, already used or tampered
	// with. Start again from a new authorisation URL.
	ConnectStateInvalid ConnectErrorKind = "state_invalid"
	// ConnectInvalidCode: Zoho refused the authorisation code (expired after a few minutes, or
	// used already). Start again.
	ConnectInvalidCode ConnectErrorKind = "invalid_code"
	// ConnectMissingScopes: consent was given without scopes sync needs (Missing lists them).
	ConnectMissingScopes ConnectErrorKind = "missing_scopes"
	// ConnectWrongDataCenter: the callback's location contradicts its accounts server, or the
	// accounts server is not Zoho's; no request was sent there.
	ConnectWrongDataCenter ConnectErrorKind = "wrong_data_center"
	// ConnectFailed: anything else (Zoho unavailable, the org or user could not be read).
	ConnectFailed ConnectErrorKind = "failed"
)

// ConnectError is a failed connection, typed for an administrator to act on.
type ConnectError struct {
	Kind ConnectErrorKind
	// Tenant is the tenant being connected, when the state named it.
	Tenant string
	// Missing lists the scopes consent did not grant (ConnectMissingScopes).
	Missing []string
	// Err is the cause.
	Err error
}

// Error returns one line naming the kind and the cause.
func (e *ConnectError) Error() string {
	msg := "sync: connecting to Zoho failed: " + string(e.Kind)
	if len(e.Missing) > 0 {
		msg += " (missing " + strings.Join(e.Missing, ", ") + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *ConnectError) Unwrap() error { return e.Err }

// ConnectRequest starts connecting a tenant.
type ConnectRequest struct {
	TenantID string
	// Client is the OAuth client to use: the system one, or the tenant's own.
	Client OAuthClientRef
	// DataCenter is where to send the administrator to sign in (default US); Zoho sends users
	// of other data centres on to theirs and names it in the callback.
	DataCenter zoho.DataCenter
	// Session identifies the administrator's signed-in session in the host (its session id, or
	// any value only that browser's session yields). CompleteConnect must be given the same
	// value, so that a callback carried to another browser (a leaked link, a login CSRF) is
	// refused. Only its hash is stored. Empty binds the state to no session: then
	// CompleteConnect must be given "" too.
	Session string
}

// ConnectURL returns the Zoho consent page to send the tenant's administrator to. Its state binds
// the tenant and the OAuth client, is single use, and expires after ConnectStateTTL; only its
// hash is stored.
func (s *Syncer) ConnectURL(ctx context.Context, req ConnectRequest) (string, error) {
	if req.TenantID == "" {
		return "", errors.New("sync: ConnectURL: a tenant id is required")
	}
	if req.DataCenter == "" {
		req.DataCenter = zoho.US
	}
	oc, err := s.oauthClient(ctx, req.TenantID, req.Client)
	if err != nil {
		return "", fmt.Errorf("sync: OAuth client: %w", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	state := base64.RawURLEncoding.EncodeToString(b[:])
	u, err := oc.AuthCodeURL(req.DataCenter, state)
	if err != nil {
		return "", err
	}
	st := &ConnectState{ID: stateID(state), TenantID: req.TenantID, Client: req.Client, DataCenter: req.DataCenter,
		Session: sessionHash(req.Session), ExpiresAt: s.cfg.Clock().Add(ConnectStateTTL)}
	if err := s.cfg.Store.PutConnectState(ctx, st); err != nil {
		return "", fmt.Errorf("sync: storing the connect state: %w", err)
	}
	return u, nil
}

func stateID(state string) string {
	h := sha256.Sum256([]byte(state))
	return hex.EncodeToString(h[:])
}

// sessionHash is what a state keeps of the administrator's session: "" for none.
func sessionHash(session string) string {
	if session == "" {
		return ""
	}
	h := sha256.Sum256([]byte("cxzoho-connect-session\x00" + session))
	return hex.EncodeToString(h[:])
}

// Connected is the result of a completed connection.
type Connected struct {
	Connection *Connection
	// OrgTimeZone is the org's time zone, to propose for the tenant's settings.
	OrgTimeZone string
	// RevokeErr is set when the token of the previous connection (a reconnect) could not be
	// revoked at Zoho; the new connection is in place all the same.
	RevokeErr error
	// Problems lists what an administrator must fix in this Zoho org or in the tenant's
	// settings (Syncer.CheckOrg); the connection is in place all the same. ProblemsErr is set
	// when the org's field metadata could not be read to check.
	Problems    []rules.Problem
	ProblemsErr error
}

// CompleteConnect finishes a connection from the query of Zoho's callback: it takes (and so
// consumes) the state, exchanges the code at the callback's accounts server (which must be
// Zoho's), checks the granted scopes, reads the org and the connecting user, and stores the
// connection and its token. Reconnecting a connected tenant replaces it: the previous refresh
// token is revoked with the OAuth client that issued it, and the tenant's cached client and
// owners are forgotten. session is the administrator's session the callback arrived in: the
// ConnectRequest's Session, or a ConnectStateInvalid error (the state is consumed all the same).
// Errors are *ConnectError.
func (s *Syncer) CompleteConnect(ctx context.Context, session string, query url.Values) (*Connected, error) {
	state := query.Get("state")
	if state == "" {
		return nil, &ConnectError{Kind: ConnectStateInvalid, Err: errors.New("the callback has no state")}
	}
	st, err := s.cfg.Store.TakeConnectState(ctx, stateID(state), s.cfg.Clock())
	if errors.Is(err, ErrNotFound) {
		return nil, &ConnectError{Kind: ConnectStateInvalid, Err: errors.New("unknown, expired or already used state")}
	}
	if err != nil {
		return nil, &ConnectError{Kind: ConnectFailed, Err: err}
	}
	fail := func(k ConnectErrorKind, err error) (*Connected, error) {
		return nil, &ConnectError{Kind: k, Tenant: st.TenantID, Err: err}
	}
	if subtle.ConstantTimeCompare([]byte(sessionHash(session)), []byte(st.Session)) != 1 {
		return fail(ConnectStateInvalid, errors.New("the callback arrived in another session than the one that asked for it"))
	}
	cb, err := zoho.ParseOAuthCallback(query)
	if err != nil {
		var te *zoho.TokenError
		var he *zoho.HostError
		switch {
		case errors.As(err, &te) && te.Op == "authorize":
			return fail(ConnectAccessDenied, err)
		case errors.As(err, &he):
			return fail(ConnectWrongDataCenter, err)
		}
		return fail(ConnectFailed, err) // a callback without a code, say: start again
	}
	oc, err := s.oauthClient(ctx, st.TenantID, st.Client)
	if err != nil {
		return fail(ConnectFailed, err)
	}
	accounts := cb.AccountsServer
	if accounts == "" {
		accounts = st.DataCenter.AccountsURL()
	}
	tok, err := oc.Exchange(ctx, cb.Code, accounts)
	if err != nil {
		var he *zoho.HostError
		var te *zoho.TokenError
		switch {
		case errors.As(err, &he):
			return fail(ConnectWrongDataCenter, err)
		case errors.As(err, &te) && te.Code == "invalid_code":
			return fail(ConnectInvalidCode, err)
		}
		return fail(ConnectFailed, err)
	}
	return s.finishConnect(ctx, st.TenantID, st.Client, oc, tok, true)
}

// ConnectRefreshToken connects a tenant with a refresh token obtained outside the consent flow
// (a Zoho self-client's, for trying the SDK against a sandbox org; a token migrated from another
// integration). tok needs RefreshToken and AccountsServer (or DataCenter); the access token is
// fetched here. Then it goes on as CompleteConnect: scopes checked, org and connecting user read,
// connection stored, a previous connection replaced and its token revoked. Errors are
// *ConnectError.
func (s *Syncer) ConnectRefreshToken(ctx context.Context, tenantID string, client OAuthClientRef, tok *zoho.Token) (*Connected, error) {
	if tenantID == "" || tok == nil || tok.RefreshToken == "" {
		return nil, &ConnectError{Kind: ConnectFailed, Tenant: tenantID, Err: errors.New("a tenant id and a refresh token are required")}
	}
	oc, err := s.oauthClient(ctx, tenantID, client)
	if err != nil {
		return nil, &ConnectError{Kind: ConnectFailed, Tenant: tenantID, Err: err}
	}
	t := *tok
	if t.AccountsServer == "" {
		t.AccountsServer = t.DataCenter.AccountsURL()
	}
	fresh, err := oc.Refresh(ctx, &t)
	if err != nil {
		var he *zoho.HostError
		if errors.As(err, &he) {
			return nil, &ConnectError{Kind: ConnectWrongDataCenter, Tenant: tenantID, Err: err}
		}
		return nil, &ConnectError{Kind: ConnectFailed, Tenant: tenantID, Err: err}
	}
	return s.finishConnect(ctx, tenantID, client, oc, fresh, false)
}

// finishConnect checks the granted scopes, reads the org and the connecting user with tok, and
// stores the connection and its token, replacing (and revoking) a previous one. A token minted
// by the consent flow (ours) is revoked when the connect fails before storing it; one the host
// brought is not. A granted scope covers a needed one as Zoho's scopes nest (scopeGranted).
func (s *Syncer) finishConnect(ctx context.Context, tenantID string, ref OAuthClientRef, oc *zoho.OAuthConfig, tok *zoho.Token, ours bool) (_ *Connected, err error) {
	fail := func(k ConnectErrorKind, err error) (*Connected, error) {
		return nil, &ConnectError{Kind: k, Tenant: tenantID, Err: err}
	}
	// A token the consent flow minted that this call does not store is revoked whatever went
	// wrong (scopes, reading the org or the user, the store): Zoho keeps 20 refresh tokens per
	// user and client and evicts the oldest, which may be another tenant's live connection.
	stored := false
	defer func() {
		if ours && err != nil && !stored {
			_ = oc.RevokeToken(context.WithoutCancel(ctx), tok.AccountsServer, tok.RefreshToken)
		}
	}()
	if granted := tok.Scopes(); len(granted) > 0 {
		var missing []string
		for _, need := range zoho.DefaultScopes() {
			if !scopeGranted(granted, need) {
				missing = append(missing, need)
			}
		}
		if len(missing) > 0 {
			return nil, &ConnectError{Kind: ConnectMissingScopes, Tenant: tenantID, Missing: missing}
		}
	}

	// Read the org and the connecting user with the new token alone.
	mem := zoho.NewMemoryTokenStore()
	if _, err := mem.SaveToken(ctx, "connect", tok, 0); err != nil {
		return fail(ConnectFailed, err)
	}
	ts, err := zoho.NewTokenSource(oc, mem, "connect", zoho.WithTokenClock(s.cfg.Clock))
	if err != nil {
		return fail(ConnectFailed, err)
	}
	opts := append([]zoho.Option{zoho.WithTokenSource(ts)}, s.cfg.ClientOptions...)
	c, err := zoho.NewClient(opts...)
	if err != nil {
		return fail(ConnectFailed, err)
	}
	if len(tok.Scopes()) == 0 {
		// Zoho's answer did not say what was granted: ask with one cheap call per scope.
		if missing := probeScopes(ctx, c); len(missing) > 0 {
			return nil, &ConnectError{Kind: ConnectMissingScopes, Tenant: tenantID, Missing: missing}
		}
	}
	org, _, err := c.Org.Get(ctx)
	if err != nil {
		return fail(ConnectFailed, fmt.Errorf("reading the org: %w", err))
	}
	user, _, err := c.Users.Current(ctx)
	if err != nil {
		return fail(ConnectFailed, fmt.Errorf("reading the connecting user: %w", err))
	}

	t := tenantID
	old, err := s.cfg.Store.GetConnection(ctx, t)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fail(ConnectFailed, err)
	}
	orgID := org.ZGID // the org id of Zoho's web URLs and of soid=ZohoCRM.{id}
	if orgID == "" {
		orgID = org.ID
	}
	conn := &Connection{TenantID: t, OrgID: orgID, OrgName: org.CompanyName, Edition: org.Edition(),
		DataCenter: tok.DataCenter, UserID: user.ID, UserEmail: user.Email, Client: ref, ConnectedAt: s.cfg.Clock()}
	oldTok, _, err := zoho.ReplaceToken(ctx, s.cfg.Store, t, tok)
	if err != nil {
		return fail(ConnectFailed, err)
	}
	stored = true // from here the tenant holds it: a later failure leaves it to the next connect
	for {
		if old != nil {
			conn.Version = old.Version
		}
		v, err := s.cfg.Store.PutConnection(ctx, conn)
		if err == nil {
			conn.Version = v
			break
		}
		if !errors.Is(err, ErrConflict) {
			return fail(ConnectFailed, err)
		}
		if old, err = s.cfg.Store.GetConnection(ctx, t); err != nil && !errors.Is(err, ErrNotFound) {
			return fail(ConnectFailed, err)
		} else if errors.Is(err, ErrNotFound) {
			old = nil
		}
	}
	s.forgetClient(t)
	s.cfg.Owners.Forget(t)
	out := &Connected{Connection: conn, OrgTimeZone: org.TimeZone}
	if set, _, err := s.Settings(ctx, t); err != nil {
		out.ProblemsErr = err
	} else {
		out.Problems, out.ProblemsErr = orgProblems(ctx, c, set)
	}
	if oldTok != nil && oldTok.RefreshToken != "" && oldTok.RefreshToken != tok.RefreshToken {
		issuer := ref
		if old != nil {
			issuer = old.Client // revoke with the client that issued the old token
		}
		out.RevokeErr = s.revoke(ctx, t, issuer, oldTok)
	}
	s.cfg.Logger.InfoContext(ctx, "sync: tenant connected", "tenant", t, "org", conn.OrgID, "edition", conn.Edition)
	return out, nil
}

// revoke revokes tok's refresh token with the OAuth client ref. A token Zoho no longer knows
// (already revoked) counts as revoked.
func (s *Syncer) revoke(ctx context.Context, tenant string, ref OAuthClientRef, tok *zoho.Token) error {
	if tok == nil || tok.RefreshToken == "" {
		return nil
	}
	oc, err := s.oauthClient(ctx, tenant, ref)
	if err != nil {
		return err
	}
	err = oc.RevokeToken(context.WithoutCancel(ctx), tok.AccountsServer, tok.RefreshToken)
	var te *zoho.TokenError
	if errors.As(err, &te) && te.HTTPStatus == 400 {
		return nil
	}
	return err
}

// ErrRevokeFailed: Disconnect removed the connection, but Zoho did not confirm the revocation of
// its refresh token (the error wraps the cause); an administrator may revoke it in Zoho's
// console (Connected Apps).
var ErrRevokeFailed = errors.New("sync: the refresh token could not be revoked at Zoho")

// Disconnect revokes the tenant's refresh token at Zoho, deletes its connection and token, and
// forgets its cached client and owners. From then on its events send nothing ("not connected").
// The ledger stays: reconnecting to the same org later does not duplicate what was synced.
// Disconnecting a tenant that is not connected is not an error. A failed revocation is reported
// (errors.Is(err, ErrRevokeFailed)) after the connection was removed all the same.
func (s *Syncer) Disconnect(ctx context.Context, tenantID string) error {
	conn, err := s.cfg.Store.GetConnection(ctx, tenantID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var revokeErr error
	tok, _, err := s.cfg.Store.LoadToken(ctx, tenantID)
	if err == nil {
		revokeErr = s.revoke(ctx, conn.TenantID, conn.Client, tok)
	} else if !errors.Is(err, zoho.ErrNoToken) {
		revokeErr = err
	}
	if err := s.cfg.Store.DeleteConnection(ctx, tenantID); err != nil {
		return fmt.Errorf("sync: deleting the connection: %w", err)
	}
	s.forgetClient(tenantID)
	s.cfg.Owners.Forget(tenantID)
	if revokeErr != nil {
		return fmt.Errorf("%w: %w", ErrRevokeFailed, revokeErr)
	}
	return nil
}

// probeScopes finds which of zoho.DefaultScopes a token lacks when Zoho's code-exchange answer
// did not list the scopes granted (its "scope" key is optional): one call needing each scope,
// a 401 OAUTH_SCOPE_MISMATCH naming it missing. Other failures prove nothing and are left to
// the calls that follow. A search and an attachment list need the modules scope as well as
// their own, so their mismatch names their own scope only when the modules call passed; the
// attachment list asks about a record id that does not exist (Zoho checks the scope first), so
// an org without records is probed too. Six calls, made once per connect.
func probeScopes(ctx context.Context, c *zoho.Client) []string {
	var missing []string
	check := func(scope string, err error) bool {
		if errors.Is(err, zoho.ErrScopeMismatch) {
			missing = append(missing, scope)
			return false
		}
		return true
	}
	_, _, err := c.Org.Get(ctx)
	check("ZohoCRM.org.READ", err)
	_, _, err = c.Users.Current(ctx)
	check("ZohoCRM.users.READ", err)
	_, _, err = c.Fields.List(ctx, rules.ModuleContacts)
	check("ZohoCRM.settings.fields.READ", err)
	_, _, err = c.Records.List(ctx, rules.ModuleContacts, &zoho.ListOptions{PerPage: 1})
	if !check("ZohoCRM.modules.ALL", err) {
		return missing // the two below would fail for want of it, whatever else is granted
	}
	_, _, err = c.Records.Search(ctx, rules.ModuleContacts, crm.SearchQuery{Email: "scope-check@cxzoho.invalid"}, nil)
	check("ZohoSearch.securesearch.READ", err)
	_, _, err = c.Attachments.List(ctx, rules.ModuleContacts, probeRecordID, nil)
	check("ZohoCRM.modules.attachments.ALL", err)
	return missing
}

// probeRecordID is a record id no org has, for probing the attachments scope.
const probeRecordID = "1"

// oauthClient asks the host for the OAuth client ref names, for tenant. A config without a
// Logger gets Config.Logger (a copy: the host's config is not modified), the one logger of the
// OAuth calls, the token source and the client built on it.
func (s *Syncer) oauthClient(ctx context.Context, tenant string, ref OAuthClientRef) (*zoho.OAuthConfig, error) {
	ref.TenantID = tenant
	oc, err := s.cfg.OAuthClient(ctx, ref)
	if err != nil {
		return nil, err
	}
	if oc == nil {
		return nil, errors.New("sync: Config.OAuthClient returned no config")
	}
	if oc.Logger == nil {
		cp := *oc
		cp.Logger = s.cfg.Logger
		oc = &cp
	}
	return oc, nil
}

// scopeGranted reports whether one of the granted scopes covers need. Zoho's scopes read
// Service.resource[.sub…].operation and nest: ZohoCRM.settings.ALL covers
// ZohoCRM.settings.fields.READ, ZohoCRM.users.ALL ZohoCRM.users.READ. Attachments are the
// exception: Zoho's attachment pages ask for ZohoCRM.modules.ALL (or the module's scope) and
// ZohoCRM.modules.attachments.{ALL|CREATE|WRITE}, so only a scope naming attachments covers them
// (zohotest is looser: there ZohoCRM.modules.ALL is enough). Names are compared without regard
// to case.
func scopeGranted(granted []string, need string) bool {
	n := strings.Split(strings.ToLower(need), ".")
	if len(n) < 3 {
		return slices.ContainsFunc(granted, func(g string) bool { return strings.EqualFold(g, need) })
	}
	for _, g := range granted {
		p := strings.Split(strings.ToLower(strings.TrimSpace(g)), ".")
		if len(p) < 3 || p[0] != n[0] {
			continue
		}
		op, res := p[len(p)-1], p[1:len(p)-1]
		needOp, needRes := n[len(n)-1], n[1:len(n)-1]
		if op != "all" && op != needOp {
			continue
		}
		if len(res) < len(needRes) && len(needRes) >= 2 && needRes[0] == "modules" && needRes[1] == "attachments" {
			continue // see above: modules.ALL does not stand for the attachments scope
		}
		if len(res) <= len(needRes) && slices.Equal(res, needRes[:len(res)]) {
			return true
		}
	}
	return false
}
