// Package sync turns CloudCX events into the right Zoho CRM records, exactly once.
//
// It is the only package of the module that sequences I/O: it reads a tenant's connection and
// settings from the host's [Store], asks package rules what to write, package owner who owns it,
// and calls package zoho. Every Zoho write is a ledger [Step]: claimed before the call, completed
// after it, and reconciled (looked for in Zoho) when a crash or an ambiguous failure left it
// pending, so redelivered events and retries never create a second record. What Zoho answered
// is recorded even when the caller gave up meanwhile. A Lead or Contact is recorded in a fixed
// order — Zoho's write (and the update policy's), then the visitor's map, then its step done —
// so that it can always be found, by the map or by the pending step's marker.
//
// What sync writes carries a marker it can be found by without Zoho's search (which lags
// behind writes): a Case or Task ends its Subject with rules.Marker ("[cx:<tenant>:chat:<id>]"),
// a Lead or Contact it creates ends its Description with rules.PersonMarker ("Created by the
// CloudCX integration. [cx:<tenant>:person:…]"), an uploaded file has a name unique within its
// chat. A pending step is reconciled by reading the module's newest records and matching the
// marker on the client; only when none is found is the write sent again. Zoho users may edit
// the rest of the Description; the marker matters only while a step is pending.
//
// A Lead or Contact whose insert was interrupted may also be this person arriving another way
// (the other section; an id-less visitor's next chat) before its own event comes back: when
// identification finds nobody, the tenant's pending person steps that may have created a record
// (Step.Err not NotApplied) and whose record the visitor's rules could find (Step.MatchDigests,
// rules.MayMatch: digests of the record sent, so an unrelated visitor pays nothing) are looked
// for by their markers in one listing, the rules asked in order, and the record adopted.
//
// Which of two events for the same person came last is told by locks, never by clocks: an event
// whose chat was loaded through the host's Loader is loaded again once the person's locks are
// held when it would change a person the map knows, or before Zoho is read for one it does not
// know (a visitor new to sync costs the host one more load, no Zoho call), and a Case or Task
// another event wrote is rendered from a load made under the chat's lock. Locks are leases
// (Config.LockTTL), renewed while work goes on; every write to Zoho (an insert's claim, an update,
// an upload) renews them first. A renewal is fenced by the store (Locker.RenewLock), not by any
// worker's clock: a worker one of whose locks another worker took meanwhile — whether it still
// holds it or gave it back — gives up with a ClassRetry error instead of writing beside it or
// over what the other wrote. (Zoho has no conditional write: a lock taken over between that
// renewal and Zoho applying the write is not fenced.)
//
// Inserts of one tenant's module that are ready while one is in flight go together in one call
// (Config.MaxBatch); each record's result is recorded in its own step.
//
// The package shares its name with the standard library's sync; import it with an alias where
// both are used:
//
//	import (
//		"sync"
//
//		cxsync "github.com/cloudcx/cxzoho/sync"
//	)
//
// Storage is the host's: [Store] is a set of small interfaces; sync/memstore implements them in
// memory, sync/sqlstore on PostgreSQL and SQLite, and sync/storetest is the conformance suite for
// a host's own implementation.
package sync
