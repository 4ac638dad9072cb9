package zohotest

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// exchange is one request being served.
type exchange struct {
	w    http.ResponseWriter
	r    *http.Request
	call Call
	org  *Org
	tok  *accessToken
	// tokenReset is the access token's expiry, sent as X-Accesstoken-Reset like Zoho does.
	tokenReset time.Time
	mod        string   // canonical module name, for module routes
	segs       []string // path segments after /crm/{version}/
}

// route is what a request resolved to.
type route struct {
	handle func(*exchange) *reply
	needs  []scopeNeed
	api    bool // an API call: counts against concurrency and credits
}

// ServeHTTP serves the fake Zoho: /oauth/v2/{auth,token,token/revoke} and /crm/{v2,v2.1}/….
//
// Every request goes through the same steps: authentication and routing, scope check, fault
// rules, the org's concurrency limit and credits (API calls only), latency, the handler, and the
// answer (possibly delayed or dropped by a fault). It is logged in [Server.Calls].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.lifeMu.Lock()
	if s.closed {
		s.lifeMu.Unlock()
		http.Error(w, "zohotest: server closed", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.lifeMu.Unlock()
	defer s.wg.Done()

	start := time.Now()
	x := &exchange{w: w, r: r, call: Call{Time: s.now(), Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.Query())}}
	rt, rep := s.route(x)
	if rep == nil && rt.api && s.opts.scopeChecks && !x.tok.allows(rt.needs) {
		rep = errScopeMismatch()
	}
	if rep != nil {
		s.finish(x, rep, start)
		return
	}
	fault := s.pickFault(x.call)
	if fault != nil {
		x.call.Fault = fault.Kind.String()
		switch fault.Kind {
		case FaultStatus:
			s.finish(x, faultReply(fault), start)
			return
		case FaultDropBeforeApply:
			if s.sleep(r.Context(), s.opts.latency) {
				s.drop(x, start)
			} else {
				s.gone(x, start)
			}
			return
		}
	}
	if rt.api {
		if !x.org.acquire() {
			s.finish(x, errConcurrency(), start)
			return
		}
		defer x.org.release()
		if !x.org.spendCredit(s.now()) {
			s.finish(x, errCredits(), start)
			return
		}
	}
	if !s.sleep(r.Context(), s.opts.latency) {
		s.gone(x, start)
		return
	}
	rep = rt.handle(x)
	if fault != nil {
		switch fault.Kind {
		case FaultSlow:
			if !s.sleep(r.Context(), fault.Delay) {
				s.gone(x, start)
				return
			}
		case FaultDropAfterApply:
			s.drop(x, start)
			return
		}
	}
	s.write(x, rep, start)
}

// finish answers rep after the configured latency.
func (s *Server) finish(x *exchange, rep *reply, start time.Time) {
	if !s.sleep(x.r.Context(), s.opts.latency) {
		s.gone(x, start)
		return
	}
	s.write(x, rep, start)
}

func (s *Server) write(x *exchange, rep *reply, start time.Time) {
	h := x.w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	if x.org != nil && !x.tokenReset.IsZero() {
		h.Set("X-Accesstoken-Reset", x.org.format(x.tokenReset))
	}
	x.w.WriteHeader(rep.status)
	if len(rep.body) > 0 && x.r.Method != http.MethodHead {
		_, _ = x.w.Write(rep.body)
	}
	x.call.Status = rep.status
	x.call.Duration = time.Since(start)
	s.logCall(x.call)
}

// gone logs a request whose client (or the server) went away before the answer.
func (s *Server) gone(x *exchange, start time.Time) {
	x.call.Status = 0
	x.call.Duration = time.Since(start)
	s.logCall(x.call)
}

// drop closes the connection without an answer.
func (s *Server) drop(x *exchange, start time.Time) {
	s.gone(x, start)
	if hj, ok := x.w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 or a wrapped writer: net/http's documented way to abort a response.
	panic(http.ErrAbortHandler)
}

// route authenticates API requests and resolves the handler. A non-nil reply ends the request.
func (s *Server) route(x *exchange) (route, *reply) {
	p := x.r.URL.Path
	switch p {
	case "/oauth/v2/auth":
		return route{handle: s.handleAuth}, nil
	case "/oauth/v2/token":
		return route{handle: s.handleToken}, nil
	case "/oauth/v2/token/revoke":
		return route{handle: s.handleRevoke}, nil
	}
	rest, ok := strings.CutPrefix(p, "/crm/")
	if !ok {
		return route{}, errInvalidURL()
	}
	version, rest, _ := strings.Cut(rest, "/")
	if version != "v2" && version != "v2.1" {
		return route{}, errInvalidURL()
	}
	tok, reset, rep := s.authenticate(x.r)
	if tok != nil {
		x.call.TokenID = tok.label
		x.call.Org = tok.org.id
	}
	if rep != nil {
		return route{}, rep
	}
	x.tok, x.org, x.tokenReset = tok, tok.org, reset
	// Segments from the escaped path, so that an id holding "%2F" stays one segment.
	escRest := strings.TrimPrefix(x.r.URL.EscapedPath(), "/crm/"+version+"/")
	var segs []string
	for _, seg := range strings.Split(strings.TrimSuffix(escRest, "/"), "/") {
		u, err := url.PathUnescape(seg)
		if err != nil || u == "" {
			return route{}, errInvalidURL()
		}
		segs = append(segs, u)
	}
	if rest == "" || len(segs) == 0 {
		return route{}, errInvalidURL()
	}
	x.segs = segs
	return x.org.route(x)
}

func need(service, op string, paths ...[]string) scopeNeed {
	return scopeNeed{service: service, paths: paths, op: op}
}

// route resolves an API path of the org.
func (o *Org) route(x *exchange) (route, *reply) {
	segs, m := x.segs, x.r.Method
	api := func(h func(*exchange) *reply, needs ...scopeNeed) (route, *reply) {
		return route{handle: h, needs: needs, api: true}, nil
	}
	switch strings.ToLower(segs[0]) {
	case "org":
		if len(segs) != 1 {
			return route{}, errInvalidURL()
		}
		if m != http.MethodGet {
			return route{}, errMethod()
		}
		return api(o.handleOrg, need("zohocrm", "read", []string{"org"}))
	case "users":
		if len(segs) > 2 {
			return route{}, errInvalidURL()
		}
		if m != http.MethodGet {
			return route{}, errMethod()
		}
		return api(o.handleUsers, need("zohocrm", "read", []string{"users"}))
	case "settings":
		if len(segs) != 2 {
			return route{}, errInvalidURL()
		}
		if m != http.MethodGet {
			return route{}, errMethod()
		}
		switch strings.ToLower(segs[1]) {
		case "fields":
			return api(o.handleFields, need("zohocrm", "read", []string{"settings", "fields"}))
		case "modules":
			return api(o.handleModules, need("zohocrm", "read", []string{"settings", "modules"}))
		}
		return route{}, errInvalidURL()
	}
	o.mu.Lock()
	mod := o.moduleLocked(segs[0])
	var name string
	var custom bool
	if mod != nil {
		name, custom = mod.name, mod.custom
	}
	o.mu.Unlock()
	if mod == nil {
		return route{}, errInvalidModule()
	}
	x.mod = name
	modPaths := [][]string{{"modules", strings.ToLower(name)}}
	if custom {
		modPaths = append(modPaths, []string{"modules", "custom"})
	}
	modNeed := func(op string) scopeNeed { return scopeNeed{service: "zohocrm", paths: modPaths, op: op} }
	attNeed := func(op string) scopeNeed {
		return need("zohocrm", op, []string{"modules", "attachments"})
	}
	switch len(segs) {
	case 1:
		switch m {
		case http.MethodGet:
			return api(o.handleList, modNeed("read"))
		case http.MethodPost:
			return api(o.handleInsert, modNeed("create"))
		case http.MethodPut:
			return api(o.handleUpdate, modNeed("update"))
		case http.MethodDelete:
			return api(o.handleDelete, modNeed("delete"))
		}
		return route{}, errMethod()
	case 2:
		switch {
		case segs[1] == "upsert":
			if m != http.MethodPost {
				return route{}, errMethod()
			}
			return api(o.handleUpsert, modNeed("create"), modNeed("update"))
		case segs[1] == "search":
			if m != http.MethodGet {
				return route{}, errMethod()
			}
			return api(o.handleSearch, modNeed("read"), need("zohosearch", "read", []string{"securesearch"}))
		}
		switch m {
		case http.MethodGet:
			return api(o.handleGet, modNeed("read"))
		case http.MethodPut:
			return api(o.handleUpdate, modNeed("update"))
		case http.MethodDelete:
			return api(o.handleDelete, modNeed("delete"))
		}
		return route{}, errMethod()
	case 3, 4:
		if !strings.EqualFold(segs[2], "Attachments") {
			return route{}, errInvalidURL()
		}
		if len(segs) == 3 {
			switch m {
			case http.MethodGet:
				return api(o.handleListAttachments, modNeed("read"), attNeed("read"))
			case http.MethodPost:
				return api(o.handleUpload, modNeed("read"), attNeed("create"))
			}
			return route{}, errMethod()
		}
		switch m {
		case http.MethodGet:
			return api(o.handleDownload, modNeed("read"), attNeed("read"))
		case http.MethodDelete:
			return api(o.handleDeleteAttachment, modNeed("read"), attNeed("delete"))
		}
		return route{}, errMethod()
	}
	return route{}, errInvalidURL()
}

// moduleLocked finds a module by API name, ignoring case; o.mu must be held.
func (o *Org) moduleLocked(name string) *module {
	return o.modules[strings.ToLower(name)]
}
