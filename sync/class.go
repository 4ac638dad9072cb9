package sync

// ErrorClass is what a host's queue should do with an event whose handling failed. ClassOf
// tells the class of an error Handle returned.
type ErrorClass string

// The classes of error.
const (
	// ClassRetry: temporary (rate limited, Zoho unavailable, a token refresh throttled, a lock
	// held by another worker). Deliver the event again later, after RetryAfter when it is known.
	ClassRetry ErrorClass = "retry"
	// ClassPermanent: this step was refused for good (invalid data, no permission, invalid
	// settings). The ledger keeps the error for the host to show; other chats and tenants are
	// not affected. Do not redeliver; Syncer.RetryFailed retries it once the cause is fixed.
	ClassPermanent ErrorClass = "permanent"
	// ClassTenantPaused: nothing is sent for the tenant until an administrator acts (credits
	// exhausted, reconnect required, a scope missing) or, for credits, the window passes.
	ClassTenantPaused ErrorClass = "tenant_paused"
)
