package storetest_test

import (
	"testing"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/storetest"
	"github.com/cloudcx/cxzoho/zoho"
)

// A host runs the suite from a test of its own store: the factory gives a fresh, empty store for
// each contract (here the memory store; a SQL store would get a new schema or database).
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) cxsync.Store { return memstore.New() })
	}
	// Output:
}

// The token contract alone, for an implementation of zoho.TokenStore (and zoho.TokenLeaser).
func ExampleRunTokenStore() {
	_ = func(t *testing.T) {
		storetest.RunTokenStore(t, func(t *testing.T) zoho.TokenStore { return zoho.NewMemoryTokenStore() })
	}
	// Output:
}

func TestMemoryTokenStore(t *testing.T) {
	storetest.RunTokenStore(t, func(*testing.T) zoho.TokenStore { return zoho.NewMemoryTokenStore() })
}
