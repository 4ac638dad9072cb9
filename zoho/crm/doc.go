// Package crm is the vocabulary of Zoho CRM v2 data, with no I/O: records ([Record], [Lookup]),
// dates ([Date], [DateTime]), optional fields ([Optional], [Some], [Null]), the typed records of
// the standard modules ([Lead], [Contact], [Account], [Case], [Task]), search criteria
// ([Criteria], [ParseCriteria], [SearchQuery]), field metadata ([Field], [FieldSet]) and lengths
// counted as Zoho counts them ([UTF16Len], [TruncateUTF16]).
//
// The client, package github.com/cloudcx/cxzoho/zoho, sends and receives these values; this
// package only builds, reads, checks and encodes them. It imports no HTTP, database or process
// package and nothing else of this module, so that pure code (such as the integration's
// decisions in github.com/cloudcx/cxzoho/rules) can use Zoho's types without depending on the
// client, in the way the service/*/types packages of aws-sdk-go-v2 hold their services' shapes.
//
// # Records and their fields
//
// A [Record] keeps every field Zoho sent, in order and with its exact JSON value, so that a record
// read and written back loses nothing. The typed records name the standard fields of their module
// and keep the others in Extra. A field has three states — absent (Zoho leaves it alone), a value,
// or null (Zoho clears it) — which [Record.Set], [Record.Clear] and [Record.Delete] set on a
// Record, and [Optional] on the typed records.
//
// # Search criteria
//
// [Criteria] is a tree of conditions that [Criteria.Build] turns into Zoho's escaped criteria
// text and [ParseCriteria] reads back (as a fake Zoho server does); [Criteria.Matches] evaluates
// it exactly, since Zoho's own search is approximate. Zoho's limits are checked before anything
// is sent: at most [MaxCriteriaConditions] conditions, values of at least
// [MinSearchValueLength] characters ([CheckSearchValue]). Errors are [*CriteriaError] values and
// never contain the searched values.
//
// Errors of this package start with "zoho:", like those of the client.
package crm
