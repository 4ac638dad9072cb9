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
	"strings"
	"syscall"
	"time"

	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakezoho:", err)
		os.Exit(1)
	}
}

// run parses args, starts the fake Zoho, prints how to reach it, and serves until ctx ends.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fakezoho", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8089", "address to listen on (host:port)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback -addr")
	seed := fs.String("seed", "demo", `"demo" or the path of a JSON seed file`)
	latency := fs.Duration("latency", 0, "delay of every answer")
	concurrency := fs.Int("concurrency", 0, "per-org simultaneous API calls (0: by edition, -1: no limit)")
	credits := fs.Int("credits", 0, "per-org API credits per rolling 24 hours (0: by edition, -1: no limit)")
	lifetime := fs.Duration("token-lifetime", time.Hour, "access token lifetime")
	indexing := fs.Duration("indexing-delay", 0, "how long records stay unsearchable after a write")
	if err := fs.Parse(args); err != nil {
		return err
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
	srv := zohotest.NewServer(zohotest.WithListener(ln), zohotest.WithLatency(*latency),
		zohotest.WithTokenLifetime(*lifetime), zohotest.WithIndexingDelay(*indexing))
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

	fmt.Fprintf(stdout, "fake Zoho CRM v2 listening on %s (accounts server and API domain)\n", srv.URL())
	fmt.Fprintf(stdout, "  OAuth client id:     %s\n", srv.ClientID())
	fmt.Fprintf(stdout, "  OAuth client secret: %s\n", srv.ClientSecret())
	for _, o := range orgs {
		fmt.Fprintf(stdout, "org %s %q (%s), current user %s\n", o.ID(), o.Name(), o.Edition(), o.CurrentUser().Email)
		if o.ClientID() != srv.ClientID() {
			fmt.Fprintf(stdout, "  its own OAuth client: %s / %s\n", o.ClientID(), o.ClientSecret())
		}
		fmt.Fprintf(stdout, "  refresh token: %s\n", o.IssueRefreshToken())
	}
	fmt.Fprintf(stdout, "get an access token:\n  curl -s -X POST '%s/oauth/v2/token' -d grant_type=refresh_token -d client_id=%s -d client_secret=%s -d refresh_token=<refresh token>\n",
		srv.URL(), srv.ClientID(), srv.ClientSecret())
	fmt.Fprintln(stdout, "serving until interrupted (Ctrl-C)")
	<-ctx.Done()
	fmt.Fprintf(stdout, "stopping after %d calls\n", srv.CallCount("", ""))
	return nil
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
