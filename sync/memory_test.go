package sync_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho"
)

// Every cache of a Syncer is keyed and bounded (clients per tenant, owners, Accounts, field sets,
// time zones) and every tenant's client shares one connection pool, so serving more tenants does
// not leave more behind: after a few times MaxClients tenants and after five times as many, the
// goroutines alive (idle connections, listings) are as many, and the heap after GC grows only with
// the data the store, the fake Zoho and the host keep. CI runs 200 and 1,000 tenants with
// MaxClients 20; CXZOHO_SOAK=1 runs 2,000 and 10,000 with MaxClients 100.
func TestSyncerMemoryIsBoundedByTenants(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("many tenants: run without -race and -short (CI's go-line run does)")
	}
	few, many, maxClients := 200, 1000, 20
	if os.Getenv("CXZOHO_SOAK") == "1" {
		few, many, maxClients = 2000, 10000, 100
	}
	h := newHarness(t)
	oauth := func(context.Context, cxsync.OAuthClientRef) (*zoho.OAuthConfig, error) {
		return &zoho.OAuthConfig{ClientID: h.srv.ClientID(), ClientSecret: h.srv.ClientSecret(), Endpoints: zoho.Endpoints{API: h.srv.URL(), Accounts: h.srv.URL()}}, nil
	}
	s, err := cxsync.New(cxsync.Config{Store: h.store, OAuthClient: oauth, Loader: h.host, Attachments: h.host,
		ClientOptions: nil, MaxClients: maxClients})
	if err != nil {
		t.Fatal(err)
	}
	next := 0
	serve := func(tenants int) (goroutines int, heap uint64) {
		for range tenants {
			i := next
			next++
			tenant := fmt.Sprint("mem-", i)
			h.connect(tenant, h.org)
			if err := s.SaveSettings(t.Context(), tenant, rules.DefaultSettings()); err != nil {
				t.Fatal(err)
			}
			c := chat(fmt.Sprint("c-mem-", i), cloudcx.Visitor{ID: fmt.Sprint("v", i), Name: "V", Email: fmt.Sprintf("v%d@mem.example", i)})
			c.TenantID = tenant
			h.host.PutChat(c)
			if _, err := s.Handle(t.Context(), chatEvent(cloudcx.EventChatEnded, c)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond) // let finished listings and connections wind down
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return runtime.NumGoroutine(), m.HeapAlloc
	}
	g1, h1 := serve(few)
	g2, h2 := serve(many - few)
	t.Logf("after %d tenants: %d goroutines, heap %d KiB; after %d: %d goroutines, heap %d KiB (%d B per tenant, the data included)",
		few, g1, h1>>10, many, g2, h2>>10, (int64(h2)-int64(h1))/int64(many-few))
	if g2 > g1+maxClients/2+10 {
		t.Fatalf("%d goroutines after %d tenants, %d after %d: something per tenant stays alive (idle connections of dropped clients?)", g2, many, g1, few)
	}
	runtime.KeepAlive(s)
}
