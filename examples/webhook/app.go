package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for sqlstore
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/cloudcx/cxzoho/cloudcx"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/riverjob"
	"github.com/cloudcx/cxzoho/sync/sqlstore"
	"github.com/cloudcx/cxzoho/zoho"
)

// config is what an instance of the service needs.
type config struct {
	// DatabaseURL is "postgres://…" (several instances share it), or a SQLite file path
	// (optionally "sqlite:" before it) for one machine.
	DatabaseURL string
	// ChatsDir holds the CloudCX data the file loader serves.
	ChatsDir string
	// Secrets are the per-tenant shared secrets CloudCX sends in X-CloudCX-Secret.
	Secrets map[string]string
	// OAuth is the Zoho OAuth client; ClientOptions point the Zoho client at a fake when set.
	OAuth         *zoho.OAuthConfig
	ClientOptions []zoho.Option
	// Workers is how many River workers run here (0: this instance only takes webhooks).
	Workers int
	Logger  *slog.Logger
}

// app is one instance of the service: the HTTP handlers, the Syncer, and River.
type app struct {
	cfg    config
	log    *slog.Logger
	syncer *cxsync.Syncer
	insert func(ctx context.Context, args riverjob.Args) (*jobResult, error)
	start  func(ctx context.Context) error
	stop   func(ctx context.Context) error
	closes []func()
}

type jobResult struct {
	ID        int64
	Duplicate bool
}

// newApp opens the databases, migrates them (the store's schema and River's), and builds the
// Syncer and the River client. Nothing is worked until start.
func newApp(ctx context.Context, cfg config) (*app, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &app{cfg: cfg, log: cfg.Logger}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	dialect, storeDB, err := a.openStore(ctx)
	if err != nil {
		return nil, err
	}
	store, err := sqlstore.New(storeDB, dialect)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		return nil, err
	}
	host := fileHost{dir: cfg.ChatsDir}
	a.syncer, err = cxsync.New(cxsync.Config{
		Store: store,
		OAuthClient: func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
			return cfg.OAuth, nil
		},
		Loader: host, Attachments: host, Logger: cfg.Logger, ClientOptions: cfg.ClientOptions,
	})
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, riverjob.NewWorker(a.syncer))
	rcfg := &river.Config{Workers: workers, Logger: cfg.Logger, JobTimeout: 10 * time.Minute}
	if cfg.Workers > 0 {
		rcfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	}
	if dialect == sqlstore.PostgreSQL {
		err = a.riverPostgres(ctx, rcfg)
	} else {
		err = a.riverSQLite(ctx, rcfg)
	}
	if err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

func (a *app) openStore(ctx context.Context) (sqlstore.Dialect, *sql.DB, error) {
	u := a.cfg.DatabaseURL
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		db, err := sql.Open("pgx", u)
		if err != nil {
			return 0, nil, err
		}
		a.closes = append(a.closes, func() { db.Close() })
		return sqlstore.PostgreSQL, db, db.PingContext(ctx)
	}
	db, err := sql.Open("sqlite", sqliteDSN(u))
	if err != nil {
		return 0, nil, err
	}
	a.closes = append(a.closes, func() { db.Close() })
	return sqlstore.SQLite, db, db.PingContext(ctx)
}

func sqliteDSN(u string) string {
	path := strings.TrimPrefix(u, "sqlite:")
	return "file:" + path + "?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_txlock=immediate"
}

func (a *app) riverSQLite(ctx context.Context, rcfg *river.Config) error {
	db, err := sql.Open("sqlite", sqliteDSN(a.cfg.DatabaseURL))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1) // River's SQLite driver wants one connection
	a.closes = append(a.closes, func() { db.Close() })
	driver := riversqlite.New(db)
	if err := migrateRiver(ctx, driver); err != nil {
		return err
	}
	client, err := river.NewClient(driver, rcfg)
	if err != nil {
		return err
	}
	a.wire(client.Insert, client.Start, client.Stop, client.StopAndCancel)
	return nil
}

func (a *app) riverPostgres(ctx context.Context, rcfg *river.Config) error {
	pool, err := pgxpool.New(ctx, a.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	a.closes = append(a.closes, pool.Close)
	driver := riverpgxv5.New(pool)
	// River's migrator takes no lock of its own: instances starting together queue on one.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", riverMigrateLock); err != nil {
		return err
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", riverMigrateLock)
	}()
	if err := migrateRiver(ctx, driver); err != nil {
		return err
	}
	client, err := river.NewClient(driver, rcfg)
	if err != nil {
		return err
	}
	a.wire(client.Insert, client.Start, client.Stop, client.StopAndCancel)
	return nil
}

// riverMigrateLock is the PostgreSQL advisory lock around River's migrations.
const riverMigrateLock int64 = 0x63787269766572 // "cxriver"

// migrateRiver applies River's own migrations.
func migrateRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// wire keeps the River client's calls (its type depends on the driver).
func (a *app) wire(insert func(context.Context, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error),
	start, stop, stopAndCancel func(context.Context) error) {
	a.insert = func(ctx context.Context, args riverjob.Args) (*jobResult, error) {
		res, err := insert(ctx, args, nil)
		if err != nil {
			return nil, err
		}
		return &jobResult{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
	}
	a.start = func(ctx context.Context) error {
		if a.cfg.Workers == 0 {
			return nil
		}
		return start(ctx)
	}
	// Graceful: stop taking jobs and let those running finish; past the deadline, cancel them
	// (River puts them back in the queue for another instance or the next start).
	a.stop = func(ctx context.Context) error {
		if a.cfg.Workers == 0 {
			return nil
		}
		if err := stop(ctx); err == nil || !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return stopAndCancel(cctx)
	}
}

// close releases the databases (after stop).
func (a *app) close() {
	for i := len(a.closes) - 1; i >= 0; i-- {
		a.closes[i]()
	}
	a.closes = nil
}

// handler routes the service's endpoints.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cloudcx/{tenant}/events", a.events)
	mux.HandleFunc("GET /zoho/connect", a.connect)
	mux.HandleFunc("GET /zoho/callback", a.callback)
	mux.HandleFunc("POST /zoho/disconnect", a.disconnect)
	mux.HandleFunc("GET /zoho/status", a.status)
	return mux
}

// authorized checks the tenant's shared secret in constant time (hashes of equal length are
// compared, so neither the secret nor its length leaks through timing).
func (a *app) authorized(r *http.Request, tenant string) bool {
	want, ok := a.cfg.Secrets[tenant]
	got := r.Header.Get("X-CloudCX-Secret")
	wh, gh := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(wh[:], gh[:]) == 1 && ok && want != ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// events takes one CloudCX webhook: checked, decoded, queued, answered at once (CloudCX allows a
// webhook about 10 seconds; Zoho may take longer).
func (a *app) events(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !a.authorized(r, tenant) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unknown tenant or wrong secret"})
		return
	}
	ev, err := cloudcx.ReadWebhook(r.Body)
	var ignored *cloudcx.IgnoredEventError
	var tooLarge *cloudcx.WebhookTooLargeError
	switch {
	case errors.As(err, &ignored):
		writeJSON(w, http.StatusAccepted, map[string]string{"ignored": ignored.Error()})
		return
	case errors.As(err, &tooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": err.Error()})
		return
	case err != nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	ev.SetTenant(tenant)
	res, err := a.insert(r.Context(), riverjob.Args{Event: ev})
	if err != nil {
		a.log.ErrorContext(r.Context(), "webhook: queueing the event failed", "tenant", tenant, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the event could not be queued; deliver it again"})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"job": res.ID, "duplicate": res.Duplicate})
}

func (a *app) connect(w http.ResponseWriter, r *http.Request) {
	tenant := r.URL.Query().Get("tenant")
	// Connecting replaces the tenant's Zoho org: only whoever holds the tenant's secret may.
	if !a.authorized(r, tenant) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unknown tenant or wrong secret"})
		return
	}
	// The state is bound to this browser: a cookie only it sends back with Zoho's callback.
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	session := base64.RawURLEncoding.EncodeToString(b[:])
	u, err := a.syncer.ConnectURL(r.Context(), cxsync.ConnectRequest{TenantID: tenant,
		Client: cxsync.OAuthClientRef{Kind: cxsync.ClientSystem, ClientID: a.cfg.OAuth.ClientID}, DataCenter: zoho.DataCenter(r.URL.Query().Get("dc")),
		Session: session})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: connectCookie, Value: session, Path: "/zoho/callback", MaxAge: int(cxsync.ConnectStateTTL.Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, u, http.StatusFound)
}

// connectCookie carries the connect session from /zoho/connect to Zoho's callback.
const connectCookie = "cxzoho_connect"

func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	session := ""
	if c, err := r.Cookie(connectCookie); err == nil {
		session = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: connectCookie, Path: "/zoho/callback", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	res, err := a.syncer.CompleteConnect(r.Context(), session, r.URL.Query())
	var ce *cxsync.ConnectError
	if errors.As(err, &ce) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": string(ce.Kind), "detail": ce.Error()})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	problems := []string{}
	for _, p := range res.Problems {
		problems = append(problems, p.String())
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenant": res.Connection.TenantID, "org": res.Connection.OrgName, "problems": problems})
}

func (a *app) disconnect(w http.ResponseWriter, r *http.Request) {
	tenant := r.URL.Query().Get("tenant")
	if !a.authorized(r, tenant) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unknown tenant or wrong secret"})
		return
	}
	err := a.syncer.Disconnect(r.Context(), tenant)
	if err != nil && !errors.Is(err, cxsync.ErrRevokeFailed) {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	out := map[string]any{"disconnected": tenant}
	if err != nil {
		out["warning"] = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *app) status(w http.ResponseWriter, r *http.Request) {
	tenant := r.URL.Query().Get("tenant")
	if !a.authorized(r, tenant) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unknown tenant or wrong secret"})
		return
	}
	st, err := a.syncer.Status(r.Context(), tenant)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	out := map[string]any{"connected": st.Connected, "mode": st.Mode, "failed_steps": st.FailedSteps, "reconnect_required": st.ReconnectRequired}
	if c := st.Connection; c != nil {
		out["org"], out["org_id"], out["data_center"], out["user"] = c.OrgName, c.OrgID, c.DataCenter, c.UserEmail
		out["paused"], out["pause_reason"], out["last_error"] = c.Health.Paused, c.Health.PauseReason, c.Health.LastError
	}
	writeJSON(w, http.StatusOK, out)
}

// errNoTenants: the service needs at least one tenant secret.
var errNoTenants = errors.New("no tenant secrets: give -tenant name=secret (repeatable) or CXZOHO_TENANT_SECRETS")
