package zohotest

import (
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Editions of Zoho CRM, with their limits (zoho-api.md §6).
const (
	EditionFree         = "free"
	EditionStandard     = "standard"
	EditionProfessional = "professional"
	EditionEnterprise   = "enterprise"
	EditionUltimate     = "ultimate"
)

// editionLimits: concurrency, and daily credits = base + per-user × users, capped at max (0: no
// cap), from Zoho's API limits page (current table).
var editionLimits = map[string]struct{ concurrency, base, perUser, max int }{
	EditionFree:         {5, 5000, 0, 5000},
	EditionStandard:     {10, 50000, 250, 100000},
	EditionProfessional: {15, 50000, 500, 3000000},
	EditionEnterprise:   {20, 50000, 1000, 5000000},
	EditionUltimate:     {25, 50000, 2000, 0},
}

// OrgConfig describes an org (a Zoho CRM organisation) to add to the server. Zero fields take
// defaults.
type OrgConfig struct {
	// ID is the org id, as in client_credentials' soid=ZohoCRM.{ID} and in [Call.Org] (default:
	// a generated 9-digit id).
	ID string
	// Name is the company name (default "Zylker <n>").
	Name string
	// Edition is free, standard, professional, enterprise (default) or ultimate; it sets the
	// default concurrency and credits.
	Edition string
	// TimeZone is the IANA zone of the org's times (default "UTC").
	TimeZone string
	// Concurrency is how many API calls may be in flight at once (0: the edition's 5, 10, 15, 20
	// or 25; -1: no limit). One more gets 429 TOO_MANY_REQUESTS.
	Concurrency int
	// DailyCredits is the org's API credits per rolling 24 hours (0: the edition's formula;
	// -1: no limit). Every API call costs 1 credit; token calls cost none.
	DailyCredits int
	// Users are the org's users. The first active one is the current user: the one who connects
	// (authorizes) and the default owner. Default: one active administrator.
	Users []User
	// ClientID and ClientSecret name the OAuth client the org accepts besides the server's
	// default client (several orgs may share a client, as a public app is shared).
	ClientID, ClientSecret string
	// Modules adds custom modules, or replaces the fields of standard ones.
	Modules []Module
	// PrimaryEmail is the org's contact email (default: the current user's).
	PrimaryEmail string
}

// String describes the config without its client secret.
func (c OrgConfig) String() string {
	secret := ""
	if c.ClientSecret != "" {
		secret = "REDACTED"
	}
	return fmt.Sprintf("zohotest.OrgConfig{ID: %q, Name: %q, Edition: %q, TimeZone: %q, Concurrency: %d, DailyCredits: %d, "+
		"Users: %d, ClientID: %q, ClientSecret: %q, Modules: %d, PrimaryEmail: %q}", c.ID, c.Name, c.Edition, c.TimeZone,
		c.Concurrency, c.DailyCredits, len(c.Users), c.ClientID, secret, len(c.Modules), c.PrimaryEmail)
}

// GoString describes the config without its client secret (the %#v verb).
func (c OrgConfig) GoString() string { return c.String() }

// Format prints the description for every fmt verb, so that no verb shows the client secret.
func (c OrgConfig) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

// User is a Zoho CRM user of an org.
type User struct {
	// ID is the user id (default: generated, 19 digits like Zoho's).
	ID string
	// Email is required and unique within the org (case-insensitively).
	Email string
	// FirstName and LastName make full_name.
	FirstName, LastName string
	// Status is "active" (default), "inactive" (deactivated), "disabled" or "deleted".
	Status string
	// Role and Profile are names (defaults: "CEO"/"Administrator" for the first user,
	// "Sales Representative"/"Standard" for others).
	Role, Profile string
	// NotConfirmed marks a user who has not accepted the invitation (confirm: false).
	NotConfirmed bool
	// TimeZone is the user's IANA zone (default: the org's).
	TimeZone string
}

// FullName is "First Last", or whichever is set.
func (u User) FullName() string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

// Org is one Zoho CRM organisation on the server, with its users, records, attachments, limits
// and tokens. Its methods are safe for concurrent use.
type Org struct {
	s            *Server
	id           string
	name         string
	edition      string
	loc          *time.Location
	client       *oauthClient
	primaryEmail string
	longID       string
	prefix       int64

	mu          sync.Mutex
	seq         int64
	users       []*User
	modules     map[string]*module // by lower-case API name
	modOrder    []*module
	attachments map[string][]*attachment // by parent record id
	concurrency int
	credits     int
	inflight    int
	peak        int
	window      creditWindow
	caseNumber  int
	names       map[string]string // role and profile ids
	reserved    map[string]bool   // ids given by seeds and configs, never generated
	created     time.Time
	consent     string // the id of the user consent authorizes as ("": the first active user)
}

// AddOrg adds an org. It fails on a duplicate id, a client id already registered with another
// secret, or an invalid user, module or time zone.
func (s *Server) AddOrg(cfg OrgConfig) (*Org, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.orgSeq + 1
	if cfg.ID == "" {
		cfg.ID = strconv.Itoa(808232144 + 1000*n)
	}
	if strings.ContainsAny(cfg.ID, " /?#&=") {
		return nil, fmt.Errorf("zohotest: AddOrg: org id %q must be a plain token", cfg.ID)
	}
	if _, dup := s.orgByID[cfg.ID]; dup {
		return nil, fmt.Errorf("zohotest: AddOrg: org %s already exists", cfg.ID)
	}
	if cfg.Name == "" {
		cfg.Name = fmt.Sprintf("Zylker %d", n)
	}
	if cfg.Edition == "" {
		cfg.Edition = EditionEnterprise
	}
	lim, ok := editionLimits[strings.ToLower(cfg.Edition)]
	if !ok {
		return nil, fmt.Errorf("zohotest: AddOrg: unknown edition %q (free, standard, professional, enterprise, ultimate)", cfg.Edition)
	}
	loc := time.UTC
	if cfg.TimeZone != "" {
		var err error
		if loc, err = time.LoadLocation(cfg.TimeZone); err != nil {
			return nil, fmt.Errorf("zohotest: AddOrg: time zone %q: %v", cfg.TimeZone, err)
		}
	}
	o := &Org{
		s: s, id: cfg.ID, name: cfg.Name, edition: strings.ToLower(cfg.Edition), loc: loc,
		prefix:      orgIDPrefix(n),
		seq:         225000,
		modules:     map[string]*module{},
		attachments: map[string][]*attachment{},
		window:      creditWindow{buckets: map[int64]int{}},
		names:       map[string]string{},
		reserved:    map[string]bool{},
		created:     s.now().Truncate(time.Second),
	}
	o.longID = o.newIDLocked()
	// Client.
	o.client = s.clients[s.opts.defaultClientID]
	if cfg.ClientID != "" || cfg.ClientSecret != "" {
		if cfg.ClientID == "" || cfg.ClientSecret == "" {
			return nil, errors.New("zohotest: AddOrg: give both ClientID and ClientSecret")
		}
		if c, ok := s.clients[cfg.ClientID]; ok {
			if c.secret != cfg.ClientSecret {
				return nil, fmt.Errorf("zohotest: AddOrg: client %s is already registered with another secret", cfg.ClientID)
			}
			o.client = c
		} else {
			o.client = &oauthClient{id: cfg.ClientID, secret: cfg.ClientSecret}
		}
	}
	// Users.
	if len(cfg.Users) == 0 {
		cfg.Users = []User{{Email: fmt.Sprintf("admin@zylker%d.example", n), FirstName: "Patricia", LastName: "Boyle"}}
	}
	active := 0
	for i, u := range cfg.Users {
		nu, err := o.addUserLocked(u, i == 0)
		if err != nil {
			return nil, fmt.Errorf("zohotest: AddOrg: %w", err)
		}
		if nu.Status == "active" {
			active++
		}
	}
	if active == 0 {
		return nil, errors.New("zohotest: AddOrg: the org needs an active user (the one who connects)")
	}
	o.primaryEmail = cfg.PrimaryEmail
	if o.primaryEmail == "" {
		o.primaryEmail = o.currentLocked().Email
	}
	// Limits.
	o.concurrency = cfg.Concurrency
	if o.concurrency == 0 {
		o.concurrency = lim.concurrency
	}
	o.credits = cfg.DailyCredits
	if o.credits == 0 {
		o.credits = lim.base + lim.perUser*active
		if lim.max > 0 && o.credits > lim.max {
			o.credits = lim.max
		}
	}
	if o.concurrency < -1 || o.credits < -1 {
		return nil, errors.New("zohotest: AddOrg: Concurrency and DailyCredits must be positive, 0 (edition default) or -1 (unlimited)")
	}
	// Modules.
	custom := map[string]Module{}
	for _, m := range cfg.Modules {
		custom[strings.ToLower(m.APIName)] = m
	}
	for _, name := range StandardModules() {
		m := Module{APIName: name}
		if c, ok := custom[strings.ToLower(name)]; ok {
			m = c
			m.APIName = name
			delete(custom, strings.ToLower(name))
		}
		if err := o.addModuleLocked(m, true); err != nil {
			return nil, fmt.Errorf("zohotest: AddOrg: %w", err)
		}
	}
	for _, m := range cfg.Modules {
		if _, ok := custom[strings.ToLower(m.APIName)]; !ok {
			continue
		}
		if err := o.addModuleLocked(m, false); err != nil {
			return nil, fmt.Errorf("zohotest: AddOrg: %w", err)
		}
	}
	if _, ok := s.clients[o.client.id]; !ok {
		s.clients[o.client.id] = o.client
	}
	s.orgSeq = n
	s.orgs = append(s.orgs, o)
	s.orgByID[o.id] = o
	return o, nil
}

func (o *Org) addModuleLocked(m Module, standard bool) error {
	if _, dup := o.modules[strings.ToLower(m.APIName)]; dup {
		return fmt.Errorf("module %s given twice", m.APIName)
	}
	mod, err := o.newModule(m, standard)
	if err != nil {
		return err
	}
	o.modules[strings.ToLower(mod.name)] = mod
	o.modOrder = append(o.modOrder, mod)
	return nil
}

// AddModule adds a custom module to the org.
func (o *Org) AddModule(m Module) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.addModuleLocked(m, false); err != nil {
		return fmt.Errorf("zohotest: AddModule: %w", err)
	}
	return nil
}

// SetFields replaces the fields of a module (system fields are kept). Existing records keep
// their values; only later writes are checked against the new fields.
func (o *Org) SetFields(moduleName string, fields []Field) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	old := o.moduleLocked(moduleName)
	if old == nil {
		return fmt.Errorf("zohotest: SetFields: no module %q", moduleName)
	}
	mod, err := o.newModule(Module{APIName: old.name, Fields: fields, DuplicateCheckFields: filterExisting(old.dupFields, fields)}, !old.custom)
	if err != nil {
		return fmt.Errorf("zohotest: SetFields: %w", err)
	}
	mod.records, mod.id, mod.custom = old.records, old.id, old.custom
	o.modules[strings.ToLower(mod.name)] = mod
	for i, m := range o.modOrder {
		if m == old {
			o.modOrder[i] = mod
		}
	}
	return nil
}

func filterExisting(names []string, fields []Field) []string {
	var out []string
	for _, n := range names {
		for _, fl := range fields {
			if fl.APIName == n && !fl.Unique {
				out = append(out, n)
			}
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// Orgs returns every org, in the order added.
func (s *Server) Orgs() []*Org {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Org(nil), s.orgs...)
}

// Org returns the org with the given id, or nil.
func (s *Server) Org(id string) *Org {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orgByID[id]
}

// ID returns the org id.
func (o *Org) ID() string { return o.id }

// Name returns the company name.
func (o *Org) Name() string { return o.name }

// Edition returns the edition.
func (o *Org) Edition() string { return o.edition }

// ClientID returns the OAuth client id the org accepts besides the server's default.
func (o *Org) ClientID() string { return o.client.id }

// ClientSecret returns the secret of [Org.ClientID].
func (o *Org) ClientSecret() string { return o.client.secret }

// String describes the org without secrets.
func (o *Org) String() string {
	return fmt.Sprintf("zohotest.Org{id: %s, name: %q, edition: %s}", o.id, o.name, o.edition)
}

// GoString describes the org without secrets (the %#v verb).
func (o *Org) GoString() string { return o.String() }

// Format prints the description for every fmt verb.
func (o *Org) Format(f fmt.State, verb rune) { fmt.Fprint(f, o.String()) }

// orgIDPrefix is the first 7 digits of the ids of the nth org: distinct for the first few
// thousand orgs, and always in 1000000..8999999 so that ids are 19 digits within int64 (as Zoho's
// are, such as 5725767000000524157).
func orgIDPrefix(n int) int64 {
	return 1_000_000 + (3_150_868+int64(n-1)*1117)%8_000_000
}

// newIDLocked returns a new 19-digit id, increasing within the org; o.mu must be held (or the org
// not yet shared).
func (o *Org) newIDLocked() string {
	for {
		o.seq++
		id := fmt.Sprintf("%d%012d", o.prefix, o.seq)
		if !o.reserved[id] {
			return id
		}
	}
}

func (o *Org) addUserLocked(u User, first bool) (*User, error) {
	addr, err := mail.ParseAddress(u.Email)
	if err != nil || addr.Address != u.Email {
		return nil, fmt.Errorf("user %q: not an email address", u.Email)
	}
	for _, x := range o.users {
		if strings.EqualFold(x.Email, u.Email) {
			return nil, fmt.Errorf("user %s given twice", u.Email)
		}
		if u.ID != "" && x.ID == u.ID {
			return nil, fmt.Errorf("user id %s given twice", u.ID)
		}
	}
	switch u.Status {
	case "":
		u.Status = "active"
	case "active", "inactive", "disabled", "deleted":
	default:
		return nil, fmt.Errorf("user %s: status %q is not active, inactive, disabled or deleted", u.Email, u.Status)
	}
	if u.ID == "" {
		u.ID = o.newIDLocked()
	} else if _, err := strconv.ParseUint(u.ID, 10, 64); err != nil {
		return nil, fmt.Errorf("user %s: id %q is not numeric", u.Email, u.ID)
	} else {
		o.reserved[u.ID] = true
	}
	if u.Role == "" {
		u.Role = "Sales Representative"
		if first {
			u.Role = "CEO"
		}
	}
	if u.Profile == "" {
		u.Profile = "Standard"
		if first {
			u.Profile = "Administrator"
		}
	}
	if u.TimeZone == "" {
		u.TimeZone = o.loc.String()
	}
	if u.FirstName == "" && u.LastName == "" {
		u.LastName = u.Email[:strings.IndexByte(u.Email, '@')]
	}
	o.nameIDLocked("role", u.Role)
	o.nameIDLocked("profile", u.Profile)
	nu := u
	o.users = append(o.users, &nu)
	return &nu, nil
}

// AddUser adds a user to the org and returns it with its id.
func (o *Org) AddUser(u User) (User, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	nu, err := o.addUserLocked(u, false)
	if err != nil {
		return User{}, fmt.Errorf("zohotest: AddUser: %w", err)
	}
	return *nu, nil
}

// SetUserStatus changes a user's status ("active", "inactive", "disabled", "deleted").
func (o *Org) SetUserStatus(userID, status string) error {
	switch status {
	case "active", "inactive", "disabled", "deleted":
	default:
		return fmt.Errorf("zohotest: SetUserStatus: unknown status %q", status)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, u := range o.users {
		if u.ID == userID {
			u.Status = status
			return nil
		}
	}
	return fmt.Errorf("zohotest: SetUserStatus: no user %s", userID)
}

// Users returns the org's users.
func (o *Org) Users() []User {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]User, len(o.users))
	for i, u := range o.users {
		out[i] = *u
	}
	return out
}

// CurrentUser returns the user consent authorizes as (the consent page, IssueGrantCode,
// IssueRefreshToken, IssueAccessToken): the token's user, who owns records written without an
// Owner. It is the first active user unless SetConsentUser chose another.
func (o *Org) CurrentUser() User {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.currentLocked()
}

// SetConsentUser makes the active user with this email (or id) the one consent authorizes as
// from now on, as when another administrator of the org connects: the connecting user then
// differs from the org's first user. Tokens issued earlier keep their user.
func (o *Org) SetConsentUser(emailOrID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, u := range o.users {
		if (strings.EqualFold(u.Email, emailOrID) || u.ID == emailOrID) && u.Status == "active" {
			o.consent = u.ID
			return nil
		}
	}
	return fmt.Errorf("zohotest: SetConsentUser: no active user %q in org %s", emailOrID, o.id)
}

func (o *Org) currentLocked() *User {
	if o.consent != "" {
		for _, u := range o.users {
			if u.ID == o.consent && u.Status == "active" {
				return u
			}
		}
	}
	for _, u := range o.users {
		if u.Status == "active" {
			return u
		}
	}
	return o.users[0]
}

func (o *Org) userLocked(id string) *User {
	for _, u := range o.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// --- limits ---

// SetConcurrency changes how many API calls of the org may be in flight at once (n < 1: no
// limit).
func (o *Org) SetConcurrency(n int) {
	o.mu.Lock()
	o.concurrency = n
	if n < 1 {
		o.concurrency = -1
	}
	o.mu.Unlock()
}

// SetDailyCredits changes the org's credits per rolling 24 hours (n < 0: unlimited). Credits
// already spent in the window stay spent.
func (o *Org) SetDailyCredits(n int) {
	o.mu.Lock()
	o.credits = n
	if n < 0 {
		o.credits = -1
	}
	o.mu.Unlock()
}

// CreditsUsed returns the credits spent in the last 24 hours.
func (o *Org) CreditsUsed() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.window.prune(o.s.now())
	return o.window.used
}

// InFlight returns how many API calls of the org are being served now.
func (o *Org) InFlight() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.inflight
}

// PeakInFlight returns the most API calls of the org served at once so far (rejected calls not
// counted), so tests can check that a client keeps within the limit.
func (o *Org) PeakInFlight() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.peak
}

func (o *Org) acquire() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.concurrency > 0 && o.inflight >= o.concurrency {
		return false
	}
	o.inflight++
	o.peak = max(o.peak, o.inflight)
	return true
}

func (o *Org) release() {
	o.mu.Lock()
	o.inflight--
	o.mu.Unlock()
}

func (o *Org) spendCredit(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.window.prune(now)
	if o.credits >= 0 && o.window.used >= o.credits {
		return false
	}
	o.window.spend(now)
	return true
}

// creditWindow counts credits in a rolling 24 hours, by minute.
type creditWindow struct {
	buckets map[int64]int
	used    int
	pruned  int64
}

func (w *creditWindow) spend(now time.Time) {
	w.buckets[now.Unix()/60]++
	w.used++
}

func (w *creditWindow) prune(now time.Time) {
	minute := now.Unix() / 60
	if minute == w.pruned {
		return
	}
	w.pruned = minute
	for m, n := range w.buckets {
		if m <= minute-24*60 {
			w.used -= n
			delete(w.buckets, m)
		}
	}
}

// format renders t as Zoho does: second precision in the org's zone.
func (o *Org) format(t time.Time) string { return t.In(o.loc).Format("2006-01-02T15:04:05-07:00") }
