// Command fakezoho runs the fake Zoho CRM v2 of package zohotest as a standalone server, so that a
// host application (in any language) can test its Zoho integration without a Zoho account:
//
//	go run ./examples/fakezoho -addr 127.0.0.1:8089
//
// It prints the base URL (accounts server and API domain in one), the OAuth client id and secret,
// and a ready refresh token per org, then serves until interrupted (Ctrl-C or SIGTERM). Point the
// application's accounts server and API domain at the printed URL.
//
// Flags:
//
//	-addr host:port        where to listen (default 127.0.0.1:8089; loopback only unless -allow-remote)
//	-allow-remote          allow a non-loopback address (the fake has no real security)
//	-seed demo|file.json   the orgs, users and records to start with (default demo; the JSON
//	                       format is documented at zohotest.Server.LoadSeed)
//	-latency 50ms          delay every answer
//	-concurrency n         per-org limit of simultaneous API calls (0: the edition's, -1: none)
//	-credits n             per-org API credits per rolling 24 hours (0: the edition's, -1: none)
//	-token-lifetime 1h     access token lifetime
//	-indexing-delay 2s     records are not searchable for this long after a write
//	-client-id, -client-secret   pin the OAuth client (default: zohotest's published fake client)
//	-refresh-token tok     pin the first org's refresh token, so scripts need not read it
//	-print-env             print only ZOHO_API_URL, ZOHO_ACCOUNTS_URL, ZOHO_CLIENT_ID,
//	                       ZOHO_CLIENT_SECRET and ZOHO_REFRESH_TOKEN as shell assignments (what
//	                       examples/quickstart reads to run against it), then serve
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fakezoho:", err)
		os.Exit(2)
	}
}

// durationFlag is a duration flag whose error says to use a unit.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return "0s"
	}
	return f.d.String()
}

func (f durationFlag) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		if _, nerr := strconv.ParseFloat(v, 64); nerr == nil {
			return fmt.Errorf("%q has no unit: use a unit, e.g. 50ms", v)
		}
		return fmt.Errorf("%q is not a duration (e.g. 50ms, 2s, 1h)", v)
	}
	*f.d = d
	return nil
}

func duration(fs *flag.FlagSet, name string, def time.Duration, usage string) *time.Duration {
	d := def
	fs.Var(durationFlag{&d}, name, usage)
	return &d
}

// run parses args, starts the fake Zoho, prints how to reach it, and serves until ctx ends. Usage
// goes to stderr once, with the error that caused it; -h prints it and returns nil.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakezoho", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // usage is printed once, below
	fs.Usage = func() {}
	addr := fs.String("addr", "127.0.0.1:8089", "address to listen on (host:port)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback -addr")
	seed := fs.String("seed", "demo", `"demo" or the path of a JSON seed file`)
	latency := duration(fs, "latency", 0, "delay of every answer (e.g. 50ms)")
	concurrency := fs.Int("concurrency", 0, "per-org simultaneous API calls (0: by edition, -1: no limit)")
	credits := fs.Int("credits", 0, "per-org API credits per rolling 24 hours (0: by edition, -1: no limit)")
	lifetime := duration(fs, "token-lifetime", time.Hour, "access token lifetime")
	indexing := duration(fs, "indexing-delay", 0, "how long records stay unsearchable after a write")
	clientID := fs.String("client-id", "", "pin the OAuth client id (with -client-secret)")
	clientSecret := fs.String("client-secret", "", "pin the OAuth client secret (with -client-id)")
	refreshToken := fs.String("refresh-token", "", "pin the first org's refresh token (20 to 200 visible characters)")
	printEnv := fs.Bool("print-env", false, "print only the ZOHO_* shell assignments, then serve")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, "usage: fakezoho [flags]")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if (*clientID == "") != (*clientSecret == "") {
		return errors.New("-client-id and -client-secret go together")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *concurrency < -1 {
		return fmt.Errorf("-concurrency %d: give a positive limit, 0 (the edition's) or -1 (none)", *concurrency)
	}
	if *credits < -1 {
		return fmt.Errorf("-credits %d: give a positive number, 0 (the edition's) or -1 (no limit)", *credits)
	}
	if !*allowRemote {
		if err := loopbackOnly(*addr); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	opts := []zohotest.Option{zohotest.WithListener(ln), zohotest.WithLatency(*latency),
		zohotest.WithTokenLifetime(*lifetime), zohotest.WithIndexingDelay(*indexing)}
	if *clientID != "" {
		opts = append(opts, zohotest.WithDefaultClient(*clientID, *clientSecret))
	}
	srv := zohotest.NewServer(opts...)
	if err := srv.Start(); err != nil {
		ln.Close()
		return err
	}
	defer srv.Close()

	var orgs []*zohotest.Org
	if *seed == "demo" {
		o, err := srv.AddDemoOrg()
		if err != nil {
			return err
		}
		orgs = append(orgs, o)
	} else {
		f, err := os.Open(*seed)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		orgs, err = srv.LoadSeed(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	for _, o := range orgs {
		if *concurrency != 0 {
			o.SetConcurrency(*concurrency)
		}
		if *credits != 0 {
			o.SetDailyCredits(*credits)
		}
	}

	tokens := make([]string, len(orgs))
	for i, o := range orgs {
		if i == 0 && *refreshToken != "" {
			if err := o.AddRefreshToken(*refreshToken, zohotest.DefaultScopes()...); err != nil {
				return fmt.Errorf("-refresh-token: %w", err)
			}
			tokens[i] = *refreshToken
			continue
		}
		tokens[i] = o.IssueRefreshToken()
	}
	if *printEnv {
		for _, kv := range [][2]string{{"ZOHO_API_URL", srv.URL()}, {"ZOHO_ACCOUNTS_URL", srv.URL()}, {"ZOHO_CLIENT_ID", srv.ClientID()},
			{"ZOHO_CLIENT_SECRET", srv.ClientSecret()}, {"ZOHO_REFRESH_TOKEN", tokens[0]}} {
			fmt.Fprintf(stdout, "%s=%s\n", kv[0], shellQuote(kv[1]))
		}
		fmt.Fprintln(stderr, "fakezoho: serving until interrupted (Ctrl-C)")
	} else {
		fmt.Fprintf(stdout, "fake Zoho CRM v2 listening on %s (accounts server and API domain)\n", srv.URL())
		fmt.Fprintf(stdout, "  OAuth client id:     %s\n", srv.ClientID())
		fmt.Fprintf(stdout, "  OAuth client secret: %s\n", srv.ClientSecret())
		for i, o := range orgs {
			fmt.Fprintf(stdout, "org %s %q (%s), current user %s\n", o.ID(), o.Name(), o.Edition(), o.CurrentUser().Email)
			if o.ClientID() != srv.ClientID() {
				fmt.Fprintf(stdout, "  its own OAuth client: %s / %s\n", o.ClientID(), o.ClientSecret())
			}
			fmt.Fprintf(stdout, "  refresh token: %s\n", tokens[i])
		}
		fmt.Fprintf(stdout, "get an access token:\n  curl -s -X POST '%s/oauth/v2/token' -d grant_type=refresh_token -d client_id=%s -d client_secret=%s -d refresh_token=%s\n",
			srv.URL(), srv.ClientID(), srv.ClientSecret(), tokens[0])
		fmt.Fprintln(stdout, "serving until interrupted (Ctrl-C)")
	}
	<-ctx.Done()
	fmt.Fprintf(stdout, "stopping after %d calls\n", srv.CallCount("", ""))
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// loopbackOnly refuses addresses other people could reach.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %v", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("-addr " + addr + " is not a loopback address; the fake Zoho has no real security (use -allow-remote to insist)")
}
