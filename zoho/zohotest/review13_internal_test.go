package zohotest

import (
	"testing"
	"time"
)

// A long fakezoho run where scripts connect again and again: the 21st refresh token of a user
// revokes the oldest, but revoked refresh tokens are never forgotten, so the map (and the O(n)
// scans of every later creation) grows without bound.
func TestReview13RevokedRefreshTokensArePruned(t *testing.T) {
	f := newFixture(t)
	for range 2000 {
		f.org.IssueRefreshToken()
		f.clock.Advance(2 * time.Hour)
		f.org.IssueAccessToken() // issues drive the prune sweep
	}
	f.srv.mu.Lock()
	n := len(f.srv.refresh)
	f.srv.mu.Unlock()
	if n > pruneEvery+2*DefaultMaxRefreshTokensForReview { // swept every pruneEvery issues: bounded, amortised
		t.Fatalf("%d refresh tokens kept after 2,000 created for one user and client (at most 20 are live)", n)
	}
}

// DefaultMaxRefreshTokensForReview is Zoho's 20 refresh tokens per user and client.
const DefaultMaxRefreshTokensForReview = 20
