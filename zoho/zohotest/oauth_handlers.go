package zohotest

// The accounts server's endpoints (authorize, token, revoke) and the API's token check.

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

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
