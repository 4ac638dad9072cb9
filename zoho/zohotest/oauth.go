package zohotest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
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
