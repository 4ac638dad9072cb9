// Package zohotest is a fake Zoho CRM v2: a stateful HTTP server, in process (like
// net/http/httptest) or standalone (examples/fakezoho), that speaks Zoho's wire format so that the
// zoho client, the sync orchestrator and host applications can be tested without a network or a
// Zoho account. It is for tests and local runs only; production packages never import it.
//
// One server is both the accounts server and the API domain of any number of orgs:
//
//   - OAuth: /oauth/v2/auth (approves at once and redirects with code, location and
//     accounts-server), /oauth/v2/token (authorization_code, refresh_token and client_credentials;
//     query, form-urlencoded, multipart and Basic-auth parameters; errors as HTTP 200
//     {"error": …}; Zoho's refresh throttle and token caps), /oauth/v2/token/revoke. Expired or
//     revoked tokens get 401 INVALID_TOKEN; tokens of one org never see another org's data.
//   - Records of Leads, Contacts, Accounts, Deals, Cases, Tasks and custom modules: insert,
//     update, upsert, get, list and delete with Zoho's envelopes and statuses (201/200/207/400,
//     204 when empty), 19-digit ids, mandatory fields, lookups, UTF-16 lengths and picklists from
//     the field metadata served at /settings/fields.
//   - Search by criteria (parsed with crm.ParseCriteria), email, phone or word, with an optional
//     indexing delay; attachments (multipart file or attachmentUrl, 100 MB, no .exe); users; org.
//   - Limits: per-org concurrency (429), per-org rolling 24-hour credits (429), latency.
//
// Tests drive it with Go: seed orgs, users and records; read records and attachments back; read
// the call log ([Server.Calls], [Server.CallCount]); inject faults ([Server.InjectFault]): a
// status on the Nth call or a fraction of calls, a connection dropped before or after the write
// is applied, a slow answer; expire or revoke tokens.
//
// A test connects the zoho client to it like this:
//
//	srv := zohotest.New(t)
//	org, _ := srv.AddOrg(zohotest.OrgConfig{Name: "Acme"})
//	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: org.IssueAccessToken()})
//	client, _ := zoho.NewClient(zoho.WithTokenSource(ts), zoho.WithEndpoints(zoho.Endpoints{API: srv.URL()}))
//
// Where the fake departs from Zoho, or Zoho's documentation is silent, the behaviour is named in
// the documentation of the function concerned (see also the package README in testdata for the
// samples the answers were checked against).
package zohotest
