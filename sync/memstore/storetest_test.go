package memstore_test

import (
	"testing"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/storetest"
)

// memstore meets every contract of sync's storage interfaces.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) cxsync.Store { return memstore.New() })
}
