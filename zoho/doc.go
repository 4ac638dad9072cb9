// Package zoho is a typed client for the Zoho CRM v2 REST API.
//
// It knows Zoho, not chats: anyone may use it on its own. One [Client] talks to one Zoho
// organisation; its services share the client's transport, one per concern and one method per
// operation: Leads, Contacts, Accounts, Cases and Tasks ([ModuleService]) read and write the
// standard modules as typed records, Records ([RecordsService]) any module (custom modules
// included) as [crm.Record] values, and Fields, Attachments, Users and Org the rest:
//
//	c, err := zoho.NewClient(
//		zoho.WithDataCenter(zoho.EU),
//		zoho.WithTokenSource(ts), // an oauth2.TokenSource; see the OAuth support in this package
//	)
//
// # Data types
//
// The values the services send and receive are defined in package
// [github.com/cloudcx/cxzoho/zoho/crm], which does no I/O: records ([crm.Record], [crm.Lookup]),
// the typed records of the standard modules ([crm.Lead], [crm.Contact], [crm.Account],
// [crm.Case], [crm.Task]) with their [crm.Optional] fields, dates ([crm.Date], [crm.DateTime]),
// search criteria ([crm.Criteria], [crm.SearchQuery]), field metadata ([crm.FieldSet]) and
// lengths in UTF-16 units ([crm.UTF16Len]). This package holds what talks to Zoho: the client,
// its services and options, and the outcomes of calls ([RecordResults], [*APIError], [Response]).
// Code that only needs Zoho's data, such as pure decision code, imports crm without the client:
//
//	res, _, err := c.Leads.InsertOne(ctx, &crm.Lead{LastName: crm.Some("Boyle")}, nil)
//	if err != nil { … } // the call failed, or Zoho refused the record (errors.Is(err, zoho.ErrInvalidData), …)
//	fmt.Println("created", res.ID)
//
// Batch writes (Insert, Update, Upsert, Delete) take any number of records, split them into
// calls of 100 and return one [RecordResult] per record; the One methods (InsertOne, UpdateOne,
// UpsertOne) write one record and fold its refusal into err.
//
// # OAuth 2.0
//
// [OAuthConfig] runs Zoho's flows for every data centre: [OAuthConfig.AuthCodeURL] (offline access,
// forced consent, [DefaultScopes]), [OAuthConfig.Exchange] at the accounts server the callback
// names ([ParseOAuthCallback]; unknown hosts are refused before anything is sent), the
// client-credentials and self-client grants, refresh and [OAuthConfig.RevokeToken]. A [Token]
// keeps api_domain and the granted scope through persistence.
//
// Zoho mints at most 10 access tokens per refresh token per 10 minutes, so refreshes must be rare:
// [NewTokenSource] returns a source that refreshes once however many goroutines wait, and, through
// a host-implemented [TokenStore] (compare-and-swap on a version, optional [TokenLeaser]), once
// however many processes share the token. A refresh token Zoho rejects is a permanent
// [ErrReconnectRequired], never a retry loop, and an access token Zoho rejects moments after
// issuing it is not renewed again until it is older than a floor ([WithMinRefreshInterval]).
//
// The SDK calls Zoho's token endpoint itself rather than through golang.org/x/oauth2's
// Config.Exchange and TokenSource, and uses x/oauth2 for its types only (oauth2.TokenSource, which
// [WithTokenSource] accepts, and oauth2.Token). x/oauth2 cannot read Zoho's answers: Zoho
// reports most token errors with HTTP 200 and a body such as {"error":"invalid_code"}, which
// x/oauth2 takes for a token without an access token; some accounts servers give expires_in in
// milliseconds (expires_in_sec beside it), which x/oauth2 reads as seconds; and the api_domain
// that says where the org's API lives would be lost in an oauth2.Token that is stored and loaded
// again. [Token] keeps it, and [TokenSource] adds what x/oauth2's reuse source lacks: the store's
// compare-and-swap and lease across processes, and a backoff when Zoho throttles.
//
// Where a library fits, it is used: concurrent misses of the field metadata cache
// ([FieldsService.List]) share one request through golang.org/x/sync/singleflight.
//
// # Transport
//
// Every call takes a context first. Under [Client.Do] sit, outer to inner: go-retryablehttp with
// this package's retry decisions ([RetryPolicy]), an http.Client that refuses cross-host
// redirects, a per-client concurrency limit ([WithConcurrency]; Zoho caps simultaneous calls per
// org by edition), the access token (`Authorization: Zoho-oauthtoken …`, fetched for every attempt
// so a refresh during a backoff is picked up), and the base transport. A call waits for its
// concurrency slot before it fetches its token, and gives the slot back when the answer's body has
// been read to its end or closed. [WithTimeout] bounds how long each attempt waits for the
// answer's headers after sending; it never cuts a body that is still flowing (an attachment's
// upload or download): the call's context bounds those.
//
// The API domain is, in order: the API URL of the token source's [OAuthConfig].Endpoints (or of
// [WithEndpoints], for a token source of the host's own); the token's api_domain (Zoho tells
// each org where its API lives); the data centre's default. Tokens are only ever sent to Zoho's
// API domains or to the host named explicitly in [Endpoints], the one setting that points a
// client at a fake Zoho, a proxy or a sandbox. A request's path must stay inside
// the API: [Client.Do] and [Client.DoRaw] check it for every [Request], built by
// [Client.NewRequest] or by hand, and refuse one with "..", a host, a query or the like with a
// [*PathError] before anything is sent.
//
// # Retries
//
// 429 (concurrency), 5xx and broken connections are retried with capped exponential backoff and
// jitter; Retry-After is honoured up to a cap. A POST that reached Zoho is not replayed unless it
// is marked [Idempotent] (Zoho has no idempotency keys): it fails with an [*AmbiguousError] and
// the caller must look before writing again. An upsert ([RecordsService.Upsert]) is replayed only
// when every record of the call has a value in a duplicate-check field (without one, Zoho inserts
// the record, and a replay would insert it again). A batch write whose final answer is a server
// error gives no per-record results, even when the answer holds items: each record carries the
// *AmbiguousError. Credit exhaustion (the org's 24-hour API credits) is never retried. A 401
// INVALID_TOKEN makes a [TokenRejecter] token source refresh, and the call is retried once.
//
// # Page walks
//
// The iterators (ListIter, SearchIter) fetch page after page, lazily. Every walk is bounded, since
// each page costs an API credit: by Zoho's paging limit (2,000 records by page number), by what
// the listing can hold (an org's users, a record's attachments), by a page token the server hands
// out a second time, and by 5,000 pages. It then ends, after the items it delivered, with a
// [*PagingLimitError] naming the walk (errors.Is(err, [ErrPagingLimit])).
//
// # Errors
//
// Each question about an error is asked one way: errors.Is with a sentinel for what happened,
// errors.As with an error type for its details.
//
//	errors.Is(err, zoho.ErrCreditsExhausted)  // the org's 24-hour API credits are spent: stop for hours
//	errors.Is(err, zoho.ErrRateLimited)       // too many simultaneous calls: retry soon
//	errors.Is(err, zoho.ErrTemporary)         // the same call may succeed later (429 concurrency, 5xx, OAuth throttling…)
//	errors.Is(err, zoho.ErrInvalidToken)      // Zoho refused the access token (after one renewal)
//	errors.Is(err, zoho.ErrScopeMismatch)     // the grant lacks a scope: reconnect with more scopes
//	errors.Is(err, zoho.ErrReconnectRequired) // the grant is gone (revoked, expired): the user must consent again
//	errors.Is(err, zoho.ErrTokenThrottled)    // Zoho refused to mint a token for now
//	errors.Is(err, zoho.ErrInvalidData)       // and ErrMandatoryMissing, ErrDuplicateData, ErrNoPermission, ErrInvalidModule, ErrNotFound
//	errors.Is(err, zoho.ErrPagingLimit)       // a page walk went as far as Zoho pages
//	errors.As(err, &amb)                      // *AmbiguousError: a write may or may not have been applied; look before writing again
//	errors.As(err, &apiErr)                   // *APIError: Zoho's code, message, details, HTTP status, Retry-After
//	errors.As(err, &tokErr)                   // *TokenError: the OAuth operation and Zoho's error code
//
// A batch write's per-record failures are in each [RecordResult]'s Err and are asked the same
// way (errors.Is(res.Err, zoho.ErrInvalidData)). No error, log line or String output contains a token or a client secret,
// nor a query string: a call is named by its method and path, and net/http's errors, which name
// the whole URL, are cut down to scheme, host and path ([RedactURL]), so that searched values such
// as an email address stay out of logs.
//
// # Logging
//
// One *slog.Logger, given once in [OAuthConfig].Logger, reaches the OAuth calls, every
// [TokenSource] made with that config and every [Client] on such a source (and the client of
// [NewClientFromRefreshToken]). [WithLogger] is only for a client on a token source of the
// host's own. Retries are logged at debug level with how long the client waits and why (wait,
// wait_reason "Retry-After" or "backoff"), renewals and failures at their level; silent by
// default.
//
// # Another host than Zoho
//
// A fake Zoho (package zohotest), a proxy or a sandbox is pointed at once, in
// [OAuthConfig].Endpoints: the accounts calls, the token sources and the clients built on the
// config all use it.
//
// # Accounting
//
// [WithCallHook] is called for every HTTP attempt with the request's context, so callers can count
// API calls (Zoho credits) per unit of work.
package zoho
