package storetest_test

import (
	"fmt"
	"testing"
	"time"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/storetest"
	"github.com/cloudcx/cxzoho/zoho"
)

// A host runs the suite from a test of its own store: the factory gives a fresh, empty store for
// each contract (here the memory store; a SQL store would get a new schema or database, and
// register its removal with t.Cleanup). The store measures token leases by the Clock, which the
// suite moves instead of waiting.
func ExampleRun() {
	_ = func(t *testing.T) {
		clock := storetest.NewClock(time.Now())
		storetest.Run(t, func(t *testing.T) cxsync.Store {
			return memstore.New(memstore.WithClock(clock.Now))
		}, storetest.WithClock(clock))
	}
	// Output:
}

// The token contract alone, for an implementation of zoho.TokenStore (and zoho.TokenLeaser).
// Without WithClock the suite waits real time for a short lease to lapse.
func ExampleRunTokenStore() {
	_ = func(t *testing.T) {
		storetest.RunTokenStore(t, func(t *testing.T) zoho.TokenStore { return zoho.NewMemoryTokenStore() })
	}
	// Output:
}

// A Clock moves only when told to.
func ExampleClock() {
	clock := storetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	fmt.Println(clock.Now().Format(time.TimeOnly))
	clock.Advance(time.Minute + time.Second)
	fmt.Println(clock.Now().Format(time.TimeOnly))
	// Output:
	// 09:00:00
	// 09:01:01
}

func TestMemoryTokenStore(t *testing.T) {
	storetest.RunTokenStore(t, func(*testing.T) zoho.TokenStore { return zoho.NewMemoryTokenStore() })
}
