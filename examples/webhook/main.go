// Command webhook is a service a host could start from: it takes CloudCX's webhooks, queues each
// event durably in River, and River's workers hand them to sync.Syncer, so an event is never
// lost when the process dies and never written twice to Zoho.
//
//	go run ./examples/webhook -tenant acme=s3cret
//
// Endpoints (on loopback by default):
//
//	POST /cloudcx/{tenant}/events   a CloudCX webhook; X-CloudCX-Secret: the tenant's secret
//	GET  /zoho/connect?tenant=…     sends the administrator to Zoho's consent page (secret header:
//	                                the host's admin UI calls it server-side and forwards the redirect)
//	GET  /zoho/callback             Zoho's redirect: completes the connection
//	POST /zoho/disconnect?tenant=…  revokes and removes the tenant's connection (secret header)
//	GET  /zoho/status?tenant=…      the connection's status as JSON (secret header)
//
// Storage: one SQLite file (-database-url, default cxzoho-webhook.db) for River and the store,
// no set-up, one machine; -database-url postgres://… for PostgreSQL, where several instances
// share the work. The chats come from a directory of JSON files (-chats; see fileHost).
//
// Zoho: by default an in-process fake Zoho (package zohotest) so the service runs anywhere; with
// ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET set it uses Zoho itself (the redirect URL is
// -public-url + /zoho/callback; register it in Zoho's API console).
//
// SIGINT or SIGTERM stop taking webhooks and jobs; jobs under way finish (or, after
// -shutdown-timeout, go back to the queue).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cloudcx/cxzoho/zoho"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, os.Args[1:], os.Getenv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(1)
	}
}

// tenants is the repeatable -tenant name=secret flag.
type tenants map[string]string

func (t tenants) String() string { return fmt.Sprintf("%d tenants", len(t)) } // never the secrets
func (t tenants) Set(v string) error {
	name, secret, ok := strings.Cut(v, "=")
	if !ok || name == "" || secret == "" {
		return errors.New("use name=secret")
	}
	t[name] = secret
	return nil
}

// serve runs the service until ctx ends. ready, when not nil, receives the listening address.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secrets := tenants{}
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (loopback by default)")
	dbURL := fs.String("database-url", "cxzoho-webhook.db", "a SQLite file, or postgres://… to share the work between instances")
	chats := fs.String("chats", "chats", "directory of CloudCX chats and conversations as JSON files")
	publicURL := fs.String("public-url", "", "the URL Zoho redirects back to (default http://<addr>)")
	workers := fs.Int("workers", 10, "River workers in this instance (0: only take webhooks)")
	shutdown := fs.Duration("shutdown-timeout", 30*time.Second, "how long jobs under way may take to finish on shutdown")
	verbose := fs.Bool("v", false, "debug logs")
	fs.Var(secrets, "tenant", "a tenant and its webhook secret, name=secret (repeatable); also CXZOHO_TENANT_SECRETS=name=secret,…")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	for _, kv := range strings.Split(getenv("CXZOHO_TENANT_SECRETS"), ",") {
		if kv != "" {
			if err := secrets.Set(kv); err != nil {
				return fmt.Errorf("CXZOHO_TENANT_SECRETS: %w", err)
			}
		}
	}
	if len(secrets) == 0 {
		return errNoTenants
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := *publicURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	cfg := config{DatabaseURL: *dbURL, ChatsDir: *chats, Secrets: secrets, Workers: *workers, Logger: log}
	if id := getenv("ZOHO_CLIENT_ID"); id != "" {
		cfg.OAuth = &zoho.OAuthConfig{ClientID: id, ClientSecret: getenv("ZOHO_CLIENT_SECRET"), RedirectURL: base + "/zoho/callback"}
	} else {
		fake := zohotest.NewServer()
		if err := fake.Start(); err != nil {
			return err
		}
		defer fake.Close()
		if _, err := fake.AddDemoOrg(); err != nil {
			return err
		}
		cfg.OAuth = &zoho.OAuthConfig{ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RedirectURL: base + "/zoho/callback", Endpoints: zoho.Endpoints{API: fake.URL(), Accounts: fake.URL()}}
		cfg.ClientOptions = nil
		log.Info("using an in-process fake Zoho (set ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET for Zoho itself)", "url", fake.URL())
	}

	a, err := newApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.close()
	// River runs on a context of its own: the signal ends it through stop (jobs under way finish,
	// or go back to the queue after -shutdown-timeout), never by cancelling running jobs at once.
	if err := a.start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "database", redactDB(*dbURL), "tenants", len(secrets))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: no new webhooks or jobs; jobs under way finish")
	sctx, cancel := context.WithTimeout(context.Background(), *shutdown)
	defer cancel()
	herr := srv.Shutdown(sctx)
	rerr := a.stop(sctx)
	return errors.Join(herr, rerr)
}

// redactDB shows a database URL without its password.
func redactDB(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.Index(u[i+3:], "@"); j >= 0 {
			return u[:i+3] + "…@" + u[i+3+j+1:]
		}
	}
	return u
}
