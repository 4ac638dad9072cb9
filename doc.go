// Package cxzoho connects CloudCX (Web Chat, Inbox conversations, the Agent Console) to Zoho CRM
// v2. This root package holds only this overview; the work is done by the packages below it.
//
// # The packages and how they fit
//
//   - zoho: a typed Zoho CRM v2 client (records, search, attachments, users, org, field metadata,
//     OAuth 2.0 for every Zoho data centre). It knows Zoho, not chats, and imports nothing else of
//     the module but its own subpackage zoho/crm: use it on its own as a general Zoho CRM client.
//     zoho/crm holds Zoho CRM's data without I/O (records, lookups, dates, optional fields, the
//     typed Lead, Contact, Account, Case and Task, search criteria, field metadata, UTF-16
//     lengths), so that pure code can use Zoho's types without the client. zoho/zohotest is a
//     stateful fake Zoho server for tests and local runs.
//   - cloudcx: the chat side's vocabulary: Chat, Conversation, Visitor, Agent, Message, events, the
//     host seams that load chats and open attachments, and transcript text. It imports nothing
//     else of the module.
//   - rules: the integration's decisions as pure functions: tenant settings, identification rules,
//     field mapping, the update policy for a matching person, and the rendering of a Case or Task
//     from a chat. No I/O, no clock: it uses zoho/crm's types, never the zoho client.
//   - owner: the Zoho user who owns what an agent created (same email, else the connecting user).
//   - sync: the orchestrator, the only place that sequences I/O. Syncer.Handle turns a CloudCX
//     event into the right Zoho records exactly once (a ledger step per write, reconciled after a
//     crash or an ambiguous failure); Syncer also connects and disconnects tenants over OAuth,
//     reports their status, looks visitors up for the Agent Console and creates records on
//     demand (manual mode). It defines the storage interfaces (sync.Store); sync/memstore
//     implements them in memory, sync/sqlstore on PostgreSQL and SQLite (replicas share one
//     PostgreSQL database), and sync/storetest is the conformance suite for a host's own.
//     sync/riverjob runs Handle from River jobs: a durable, retried, de-duplicated queue of
//     webhook events on the host's database.
//   - examples: quickstart (the whole mission on a fake Zoho, or a real one from ZOHO_*
//     variables), webhook (an HTTP service: CloudCX webhooks queued in River, worked by the
//     Syncer, on SQLite or PostgreSQL), backfill (past events from a JSON Lines file, resumable)
//     and fakezoho (the fake Zoho standalone, for hosts' own tests).
//
// # The two-minute path
//
// Create one sync.Syncer with a store (sync/memstore to try, sync/sqlstore in production), the
// OAuth client(s) and the host's cloudcx.Loader; connect a tenant with Syncer.ConnectURL and
// Syncer.CompleteConnect; then pass every CloudCX event to Syncer.Handle — directly, redelivering
// it when the error's class (sync.ClassOf) says so, or through sync/riverjob, which does that for
// you. The Example of Syncer.Handle runs this on a fake Zoho; go run ./examples/quickstart runs
// every flow.
//
// # Stability
//
// Before v1 the API may change between minor versions; CHANGELOG.md says what changed. The storage
// interfaces of package sync are meant to stay: hosts implement them.
//
// Imports run downward only: examples → sync → rules, owner → cloudcx, zoho → zoho/crm (rules
// takes only cloudcx and zoho/crm).
package cxzoho
