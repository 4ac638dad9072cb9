package memstore_test

import (
	"testing"
	"time"

	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/sync/memstore"
	"github.com/cloudcx/cxzoho/sync/storetest"
)

// memstore meets every contract of sync's storage interfaces, its token leases measured by a
// clock the suite drives.
func TestConformance(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	storetest.Run(t, func(*testing.T) cxsync.Store { return memstore.New(memstore.WithClock(clock.Now)) }, storetest.WithClock(clock))
}

// The same on the wall clock: the suite waits for a short token lease to lapse.
func TestConformanceWallClock(t *testing.T) {
	storetest.Run(t, func(*testing.T) cxsync.Store { return memstore.New() })
}
