// Package owner decides which Zoho user owns the records the SDK creates for an agent's work.
//
// The rule (mission §3): the owner is the active Zoho user whose email equals the agent's email,
// compared case-insensitively after trimming spaces; otherwise it is the Zoho user who connected
// the tenant. A chat without a human agent uses the connecting user. A [Result] says which rule
// chose the owner.
//
// Zoho CRM v2 cannot look a user up by email, so a [Resolver] lists the org's active users
// (GET /crm/v2/users?type=ActiveUsers, every page) and caches them by email, per tenant:
//
//   - one listing per tenant per [Config.TTL]; every caller that needs a listing while one is in
//     flight waits for that one (single flight), so 100 concurrent resolves on a cold cache cost
//     one listing;
//   - an email missing from a fresh listing resolves to the connecting user, and lists again at
//     most once per [Config.MinRefreshInterval] (a storm of unknown agents is not a storm of API
//     calls);
//   - the connecting user is the one the connection names, or, when it names none, the one Zoho
//     reports as the token's user (type=CurrentUser), fetched once per tenant and remembered;
//   - users Zoho does not list as active never become owners; when Zoho rejects an owner on a
//     write, [Resolver.ForgetUser] keeps that user out; [Resolver.Forget] drops a disconnected
//     tenant;
//   - memory is bounded: at most [Config.MaxTenants] tenants (the least recently used idle ones
//     are dropped) and [Config.MaxUsersPerTenant] users each.
//
// The package imports only the zoho package of this module. A [Directory] is what the resolver
// needs from Zoho; [ZohoDirectory] provides it over a *zoho.Client.
package owner
