package storetest

import (
	"sync"
	"time"
)

// Clock is a clock that only the suite moves, for the one time a store reads itself: the ttl of a
// zoho.TokenLeaser lease (AcquireTokenLease takes no now; lock leases and connect-state expiry take
// theirs from the caller). Give Clock.Now to the stores the factory makes and the Clock to the
// suite with WithClock. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading start until it is advanced.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Option changes how Run and RunTokenStore test.
type Option func(*config)

type config struct {
	clock *Clock
}

func configure(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithClock says that the stores newStore makes measure token leases by c. The suite then moves
// c instead of waiting: a lease is checked held just before its ttl and lapsed just after, and
// many callers are raced for a lapsed lease. Without it the suite waits real time for a short
// lease to lapse and cannot check that a lease lasts its whole ttl.
func WithClock(c *Clock) Option { return func(cfg *config) { cfg.clock = c } }
