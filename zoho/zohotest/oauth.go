package zohotest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type oauthClient struct{ id, secret string }

type grantCode struct {
	code, label string
	org         *Org
	userID      string
	client      *oauthClient
	scopes      []string
	redirect    string
	offline     bool
	expires     time.Time
	used        bool
}

type refreshToken struct {
	token, label string
	org          *Org
	userID       string
	client       *oauthClient
	scopes       []string
	created      time.Time
	revoked      bool
	minted       []time.Time    // times it was refreshed, for the refresh limit
	active       []*accessToken // its access tokens, oldest first, for the 15-token cap
}

type accessToken struct {
	token, label string
	org          *Org
	userID       string
	scopes       []string
	expires      time.Time
	revoked      bool
	evicted      bool // invalidated by the 16th access token of its refresh token
	parent       *refreshToken
}

// DefaultScopes are the scopes of tokens issued without explicit scopes: everything this fake
// serves.
func DefaultScopes() []string {
	return []string{"ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL", "ZohoCRM.users.ALL", "ZohoCRM.org.ALL",
		"ZohoSearch.securesearch.READ"}
}

// parseScopes splits Zoho's comma-separated (or OAuth's space-separated) scope list.
func parseScopes(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		if !contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms (Go 1.24 documents it never returns an
		// error); keep the fake usable regardless.
		return fmt.Sprintf("1000.%x", time.Now().UnixNano())
	}
	return "1000." + hex.EncodeToString(b[:16]) + "." + hex.EncodeToString(b[16:])
}

// nextLabelLocked names a token for the call log; s.mu must be held.
func (s *Server) nextLabelLocked(kind string) string {
	s.tokenSeq++
	return fmt.Sprintf("%s#%d", kind, s.tokenSeq)
}

// TokenID returns the public name ("access#3", "refresh#2", "grant#1") of an access token,
// refresh token or grant code issued by the server, as [Call.TokenID] shows it; "" if unknown.
func (s *Server) TokenID(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.access[token]; ok {
		return t.label
	}
	if t, ok := s.refresh[token]; ok {
		return t.label
	}
	if c, ok := s.codes[token]; ok {
		return c.label
	}
	return ""
}

// ExpireToken makes an access token expire now. It reports whether the token was known.
func (s *Server) ExpireToken(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[accessToken]
	if ok {
		t.expires = s.now()
	}
	return ok
}

// RevokeToken revokes a refresh token (and every access token made from it) or an access token,
// as /oauth/v2/token/revoke does. It reports whether the token was known and valid.
func (s *Server) RevokeToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revokeLocked(token)
}

func (s *Server) revokeLocked(token string) bool {
	if rt, ok := s.refresh[token]; ok && !rt.revoked {
		s.revokeRefreshLocked(rt)
		return true
	}
	if at, ok := s.access[token]; ok && !at.revoked {
		at.revoked = true
		return true
	}
	return false
}

func (s *Server) revokeRefreshLocked(rt *refreshToken) {
	rt.revoked = true
	for _, at := range s.access {
		if at.parent == rt {
			at.revoked = true
		}
	}
}

// IssueGrantCode returns a grant code for the org's current user, as Zoho's Self Client console
// generates one: exchange it at /oauth/v2/token (grant_type=authorization_code, no redirect_uri)
// with the org's client for an access token and a refresh token. No scopes: [DefaultScopes].
func (o *Org) IssueGrantCode(scopes ...string) string {
	userID := o.CurrentUser().ID
	s := o.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newCodeLocked(o, userID, o.client, scopesOrDefault(scopes), "", true).code
}

// IssueRefreshToken returns a new refresh token of the org's current user for the org's client,
// as if the user had connected (the 21st of one user and client evicts the oldest). No scopes:
// [DefaultScopes].
func (o *Org) IssueRefreshToken(scopes ...string) string {
	userID := o.CurrentUser().ID
	s := o.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newRefreshLocked(o, userID, o.client, scopesOrDefault(scopes)).token
}

// AddRefreshToken registers token, chosen by the caller, as a refresh token of the org's current
// user and its OAuth client, so that a script can pin credentials (fakezoho -refresh-token). The
// token must be 20 to 200 visible ASCII characters and not already known.
func (o *Org) AddRefreshToken(token string, scopes ...string) error {
	if len(token) < 20 || len(token) > 200 || strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return errors.New("zohotest: AddRefreshToken: a token is 20 to 200 visible ASCII characters")
	}
	userID := o.CurrentUser().ID
	s := o.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.refresh[token]; ok {
		return errors.New("zohotest: AddRefreshToken: the token is known already")
	}
	rt := s.newRefreshLocked(o, userID, o.client, scopesOrDefault(scopes))
	delete(s.refresh, rt.token)
	rt.token = token
	s.refresh[token] = rt
	return nil
}

// IssueAccessToken returns a new access token of the org's current user, valid for the token
// lifetime and not tied to a refresh token (a static token for tests). No scopes:
// [DefaultScopes].
func (o *Org) IssueAccessToken(scopes ...string) string {
	userID := o.CurrentUser().ID
	s := o.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newAccessLocked(o, userID, scopesOrDefault(scopes), nil).token
}

// ExpireTokens makes every access token of the org expire now; refresh tokens stay valid.
func (o *Org) ExpireTokens() {
	s := o.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, at := range s.access {
		if at.org == o && at.expires.After(now) {
			at.expires = now
		}
	}
}

// RevokeTokens revokes every refresh and access token of the org (as if the user had revoked the
// app's access in Zoho).
func (o *Org) RevokeTokens() {
	s := o.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range s.refresh {
		if rt.org == o {
			rt.revoked = true
		}
	}
	for _, at := range s.access {
		if at.org == o {
			at.revoked = true
		}
	}
}

// ActiveRefreshTokens counts the org's refresh tokens that are not revoked or evicted.
func (o *Org) ActiveRefreshTokens() int {
	s := o.s
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, rt := range s.refresh {
		if rt.org == o && !rt.revoked {
			n++
		}
	}
	return n
}

func scopesOrDefault(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		out = append(out, parseScopes(s)...)
	}
	if len(out) == 0 {
		return DefaultScopes()
	}
	return out
}

func (s *Server) newCodeLocked(o *Org, userID string, c *oauthClient, scopes []string, redirect string, offline bool) *grantCode {
	g := &grantCode{code: newSecret(), label: s.nextLabelLocked("grant"), org: o, userID: userID, client: c,
		scopes: scopes, redirect: redirect, offline: offline, expires: s.now().Add(s.opts.codeLifetime)}
	s.codes[g.code] = g
	s.pruneLocked()
	return g
}

// recentRefreshCreationsLocked counts the refresh tokens created for the user and client within
// the refresh window (revoked ones included: Zoho counts creations).
func (s *Server) recentRefreshCreationsLocked(o *Org, userID string, c *oauthClient, now time.Time) int {
	n := 0
	for _, rt := range s.refresh {
		if rt.org == o && rt.userID == userID && rt.client == c && now.Sub(rt.created) < s.opts.refreshWindow {
			n++
		}
	}
	return n
}

// pruneEvery is how many tokens and codes are issued between sweeps of the expired ones.
const pruneEvery = 256

// pruneLocked forgets, every pruneEvery issues, the access tokens and grant codes that expired
// longer ago than their lifetime (a token or code presented after that is unknown, which Zoho
// answers like an expired one), and the revoked refresh tokens older than the creation window, so
// a long fakezoho run does not grow without bound.
func (s *Server) pruneLocked() {
	s.issued++
	if s.issued%pruneEvery != 0 {
		return
	}
	now := s.now()
	for k, at := range s.access {
		if now.After(at.expires.Add(s.opts.tokenLifetime)) {
			delete(s.access, k)
		}
	}
	for k, g := range s.codes {
		if now.After(g.expires.Add(s.opts.codeLifetime)) {
			delete(s.codes, k)
		}
	}
	for k, rt := range s.refresh {
		// A revoked refresh token answers like an unknown one; it is kept only while it still
		// counts toward the creation throttle's window.
		if rt.revoked && now.Sub(rt.created) > s.opts.refreshWindow {
			delete(s.refresh, k)
		}
	}
}

func (s *Server) newRefreshLocked(o *Org, userID string, c *oauthClient, scopes []string) *refreshToken {
	// Zoho keeps 20 refresh tokens per user and client: the 21st evicts the oldest.
	var same []*refreshToken
	for _, rt := range s.refresh {
		if rt.org == o && rt.userID == userID && rt.client == c && !rt.revoked {
			same = append(same, rt)
		}
	}
	for len(same) >= s.opts.maxRefresh {
		oldest := 0
		for i, rt := range same {
			if rt.created.Before(same[oldest].created) || (rt.created.Equal(same[oldest].created) && rt.label < same[oldest].label) {
				oldest = i
			}
		}
		s.revokeRefreshLocked(same[oldest])
		same = append(same[:oldest], same[oldest+1:]...)
	}
	rt := &refreshToken{token: newSecret(), label: s.nextLabelLocked("refresh"), org: o, userID: userID, client: c,
		scopes: scopes, created: s.now()}
	s.refresh[rt.token] = rt
	return rt
}

func (s *Server) newAccessLocked(o *Org, userID string, scopes []string, parent *refreshToken) *accessToken {
	now := s.now()
	at := &accessToken{token: newSecret(), label: s.nextLabelLocked("access"), org: o, userID: userID, scopes: scopes,
		expires: now.Add(s.opts.tokenLifetime), parent: parent}
	s.access[at.token] = at
	s.pruneLocked()
	if parent != nil {
		// At most maxAccess valid access tokens per refresh token: the next invalidates the oldest.
		live := parent.active[:0]
		for _, t := range parent.active {
			if !t.revoked && !t.evicted && t.expires.After(now) {
				live = append(live, t)
			}
		}
		for len(live) >= s.opts.maxAccess {
			live[0].evicted = true
			live = live[1:]
		}
		parent.active = append(live, at)
	}
	return at
}

// tokenAnswer is the token endpoint's success body (keys as in Zoho's samples, zoho-api.md §9).
func (s *Server) tokenAnswer(at *accessToken, rt *refreshToken, withScope bool) *reply {
	body := obj{
		"access_token": at.token,
		"api_domain":   s.URL(),
		"token_type":   "Bearer",
		"expires_in":   int(s.opts.tokenLifetime / time.Second),
	}
	if rt != nil {
		body["refresh_token"] = rt.token
	}
	if withScope {
		body["scope"] = strings.Join(at.scopes, " ")
	}
	return jsonReply(http.StatusOK, body)
}

// orgsForClientLocked lists the orgs that accept client id.
func (s *Server) orgsForClientLocked(id string) []*Org {
	var out []*Org
	for _, o := range s.orgs {
		if id == s.opts.defaultClientID || o.client.id == id {
			out = append(out, o)
		}
	}
	return out
}

// handleAuth serves GET /oauth/v2/auth: it approves at once, for the org's current user, and
// redirects to redirect_uri with code, location and accounts-server (and state). When several
// orgs accept the client, the fake-only parameter zohotest_org picks one.
func (s *Server) handleAuth(x *exchange) *reply {
	q := x.r.URL.Query()
	if x.r.Method != http.MethodGet && x.r.Method != http.MethodPost {
		return jsonReply(http.StatusMethodNotAllowed, obj{"error": "invalid_request"})
	}
	if x.r.Method == http.MethodPost {
		if err := x.r.ParseForm(); err == nil {
			q = x.r.Form
		}
	}
	clientID, redirect := q.Get("client_id"), q.Get("redirect_uri")
	if q.Get("response_type") != "code" {
		return jsonReply(http.StatusBadRequest, obj{"error": "unsupported_response_type"})
	}
	ru, err := url.Parse(redirect)
	if redirect == "" || err != nil || (ru.Scheme != "http" && ru.Scheme != "https") || ru.Host == "" {
		return jsonReply(http.StatusBadRequest, obj{"error": "invalid_redirect_uri"})
	}
	scopes := parseScopes(q.Get("scope"))
	if len(scopes) == 0 {
		return jsonReply(http.StatusBadRequest, obj{"error": "invalid_scope"})
	}
	s.mu.Lock()
	c, ok := s.clients[clientID]
	var org *Org
	if ok {
		orgs := s.orgsForClientLocked(clientID)
		want := q.Get("zohotest_org")
		for _, o := range orgs {
			if want == "" && len(orgs) == 1 || o.id == want {
				org = o
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		return jsonReply(http.StatusBadRequest, obj{"error": "invalid_client"})
	}
	if org == nil {
		return jsonReply(http.StatusBadRequest, obj{"error": "invalid_org",
			"error_description": "several orgs (or none) accept this client: pick one with zohotest_org"})
	}
	userID := org.CurrentUser().ID
	s.mu.Lock()
	g := s.newCodeLocked(org, userID, c, scopes, redirect, strings.EqualFold(q.Get("access_type"), "offline"))
	s.mu.Unlock()
	x.call.Org, x.call.TokenID = org.id, g.label
	rq := ru.Query()
	rq.Set("code", g.code)
	rq.Set("location", "us")
	rq.Set("accounts-server", s.URL())
	if st := q.Get("state"); st != "" {
		rq.Set("state", st)
	}
	ru.RawQuery = rq.Encode()
	r := newReply()
	r.status = http.StatusFound
	r.header.Set("Location", ru.String())
	return r
}

// maxTokenBody bounds the token endpoints' request bodies.
const maxTokenBody = 1 << 20

// tokenParams gathers the token endpoint's parameters from the query, a form-urlencoded or
// multipart body (Zoho's SDKs send multipart), a body without content type, and Basic auth.
func tokenParams(r *http.Request) (url.Values, error) {
	params := url.Values{}
	for k, v := range r.URL.Query() {
		params[k] = append(params[k], v...)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body != nil {
		r.Body = http.MaxBytesReader(nil, r.Body, maxTokenBody)
	}
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxTokenBody); err != nil {
			return nil, err
		}
		for k, v := range r.MultipartForm.Value {
			params[k] = append(params[k], v...)
		}
	case "application/x-www-form-urlencoded", "":
		if r.Body != nil {
			if ct == "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if err := r.ParseForm(); err != nil {
				return nil, err
			}
			for k, v := range r.PostForm {
				params[k] = append(params[k], v...)
			}
		}
	}
	if id, secret, ok := r.BasicAuth(); ok {
		if params.Get("client_id") == "" {
			params.Set("client_id", id)
		}
		if params.Get("client_secret") == "" {
			params.Set("client_secret", secret)
		}
	}
	return params, nil
}

// handleToken serves POST /oauth/v2/token. Failures are HTTP 200 with {"error": …}, as Zoho's.
func (s *Server) handleToken(x *exchange) *reply {
	if x.r.Method != http.MethodPost {
		return tokenError("invalid_request")
	}
	p, err := tokenParams(x.r)
	if err != nil {
		return tokenError("invalid_request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[p.Get("client_id")]
	if !ok {
		return tokenError("invalid_client")
	}
	if p.Get("client_secret") != c.secret {
		return tokenError("invalid_client_secret")
	}
	now := s.now()
	switch p.Get("grant_type") {
	case "authorization_code":
		g, ok := s.codes[p.Get("code")]
		if ok {
			x.call.Org, x.call.TokenID = g.org.id, g.label
		}
		if !ok || g.used || !now.Before(g.expires) || g.client != c {
			return tokenError("invalid_code")
		}
		if g.redirect != "" && p.Get("redirect_uri") != g.redirect {
			return tokenError("invalid_redirect_uri")
		}
		var rt *refreshToken
		if g.offline {
			// Zoho creates at most 10 refresh tokens per user and client per 10 minutes; past
			// that the exchange answers HTTP 200 "Access Denied" (zoho-api.md §1, Kaizen 43).
			if s.opts.refreshLimit > 0 && s.recentRefreshCreationsLocked(g.org, g.userID, c, now) >= s.opts.refreshLimit {
				return tokenThrottle()
			}
			g.used = true
			rt = s.newRefreshLocked(g.org, g.userID, c, g.scopes)
		}
		g.used = true
		at := s.newAccessLocked(g.org, g.userID, g.scopes, rt)
		return s.tokenAnswer(at, rt, false)
	case "refresh_token":
		rt, ok := s.refresh[p.Get("refresh_token")]
		if ok {
			x.call.Org, x.call.TokenID = rt.org.id, rt.label
		}
		if !ok || rt.revoked || rt.client != c {
			return tokenError("invalid_code")
		}
		if s.opts.refreshLimit > 0 {
			recent := rt.minted[:0]
			for _, t := range rt.minted {
				if now.Sub(t) < s.opts.refreshWindow {
					recent = append(recent, t)
				}
			}
			rt.minted = recent
			if len(recent) >= s.opts.refreshLimit {
				return tokenThrottle()
			}
		}
		at := s.newAccessLocked(rt.org, rt.userID, rt.scopes, rt)
		rt.minted = append(rt.minted, now) // the code exchange's access token is not a refresh
		return s.tokenAnswer(at, nil, true)
	case "client_credentials":
		scopes := parseScopes(p.Get("scope"))
		if len(scopes) == 0 {
			return tokenError("invalid_scope")
		}
		orgs := s.orgsForClientLocked(c.id)
		var org *Org
		if soid := p.Get("soid"); soid != "" {
			for _, o := range orgs {
				if "zohocrm."+strings.ToLower(o.id) == strings.ToLower(soid) {
					org = o
				}
			}
			if org == nil {
				return tokenError("invalid_client")
			}
		} else if len(orgs) == 1 {
			org = orgs[0]
		} else {
			return tokenError("missing_org_info")
		}
		x.call.Org = org.id
		org.mu.Lock()
		userID := org.currentLocked().ID
		org.mu.Unlock()
		at := s.newAccessLocked(org, userID, scopes, nil)
		return s.tokenAnswer(at, nil, true)
	}
	return tokenError("unsupported_grant_type")
}

// handleRevoke serves POST /oauth/v2/token/revoke?token=…: {"status":"success"}, or HTTP 400 for
// an unknown or already revoked token.
func (s *Server) handleRevoke(x *exchange) *reply {
	if x.r.Method != http.MethodPost {
		return jsonReply(http.StatusBadRequest, obj{"error": "invalid_request", "status": "failure"})
	}
	p, err := tokenParams(x.r)
	if err != nil {
		return jsonReply(http.StatusBadRequest, obj{"error": "invalid_request", "status": "failure"})
	}
	tok := p.Get("token")
	s.mu.Lock()
	if rt, ok := s.refresh[tok]; ok {
		x.call.Org, x.call.TokenID = rt.org.id, rt.label
	} else if at, ok := s.access[tok]; ok {
		x.call.Org, x.call.TokenID = at.org.id, at.label
	}
	ok := s.revokeLocked(tok)
	s.mu.Unlock()
	if !ok {
		return jsonReply(http.StatusBadRequest, obj{"error": "invalid_token", "status": "failure"})
	}
	return jsonReply(http.StatusOK, obj{"status": "success"})
}

// authenticate finds the access token of an API request: 401 AUTHENTICATION_FAILURE without
// one, 401 INVALID_TOKEN when it is unknown, expired or revoked.
func (s *Server) authenticate(r *http.Request) (*accessToken, time.Time, *reply) {
	h := r.Header.Get("Authorization")
	const prefix = "zoho-oauthtoken "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return nil, time.Time{}, errAuthenticationFailure()
	}
	tok := strings.TrimSpace(h[len(prefix):])
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[tok]
	if !ok || at.revoked || !s.now().Before(at.expires) {
		return at, time.Time{}, errInvalidToken()
	}
	if at.evicted {
		return at, time.Time{}, errorReply(http.StatusUnauthorized, "INVALID_OAUTHTOKEN", "invalid oauth token", nil)
	}
	return at, at.expires, nil
}

// scopeNeed is one scope requirement: the token needs a scope of service whose resource path is
// a prefix of one of paths, with an operation covering op.
type scopeNeed struct {
	service string
	paths   [][]string
	op      string // read, create, update, delete
}

func (t *accessToken) allows(needs []scopeNeed) bool {
	for _, n := range needs {
		if !scopesSatisfy(t.scopes, n) {
			return false
		}
	}
	return true
}

func scopesSatisfy(scopes []string, n scopeNeed) bool {
	for _, sc := range scopes {
		parts := strings.Split(strings.ToLower(sc), ".")
		if len(parts) < 3 || parts[0] != n.service {
			continue
		}
		op, res := parts[len(parts)-1], parts[1:len(parts)-1]
		if op != "all" && op != n.op && (op != "write" || n.op == "read") {
			continue
		}
		for _, p := range n.paths {
			if len(res) <= len(p) && equalStrings(res, p[:len(res)]) {
				return true
			}
		}
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
