// Package rules holds the integration's decisions as pure functions: a tenant's [Settings], the
// identification of existing Zoho records, the mapping of a visitor to a Lead or Contact, the
// update policy for a person found, and the rendering of a chat or conversation as a Case or
// Task. It does no I/O, reads no clock and no time-zone database: times come from the chat, the
// tenant's zone ([RenderInput.Location]), ids and owners from the caller. It imports only the cloudcx and zoho/crm packages of this module (for their types and
// pure helpers; never the zoho client itself), so everything here is table-testable.
//
// # Per event
//
// The sync orchestrator calls, in order:
//
//   - [Settings.Action] for the event's section: Sales (Lead + Task), Support (Contact + Case)
//     or Off.
//   - [Identify] with the module's rules → the [Search] values to run, in rule order; for each,
//     the Zoho search it names, then [Choose] on what Zoho returned (Zoho's v2 search is
//     approximate, so every condition is re-checked exactly). The first rule that finds a
//     record wins. Accounts are identified the same way, and never created.
//   - For a found person, [Merge] with the module's [UpdatePolicy] and [Person.Values] → the
//     update, or nothing. Otherwise [Settings.MayCreatePerson], then [PersonFields] → the record
//     to insert.
//   - When the chat ends: [Settings.MayRecord], then [RenderCase] or [RenderTask] → the record
//     to insert (Subject ending with [Marker], Description, links), the attachment plan, and
//     the full transcript as a file when the description had to cut it.
//
// # Settings
//
// Settings are JSON with a "version" ([SettingsVersion]); [ParseSettings] reads every version up
// to the current one, and [Settings.Validate] reports every problem at once with its JSON path
// ([ValidationError]). [DefaultSettings] reproduces the product guide.
//
// Identification rules and extra mappings name CloudCX values from a fixed list
// ([CloudCXFields]: name, first_name, last_name, email, phone, company, visitor_id, contact_id)
// or a custom field "custom:<name>" or custom variable "variable:<name>". Subject templates use
// named placeholders ([SubjectPlaceholders]) such as {tenant_id} and {visitor_name}, not Go
// templates; values are inserted verbatim and never expanded again.
//
// # Limits kept
//
// Lengths are counted in UTF-16 units, as Zoho counts them, and text is cut only between whole
// characters (an emoji sequence is kept or dropped whole), never producing invalid UTF-8:
// Subject ≤ 255 with the marker always intact, Description ≤ 32,000 (cutting only the
// transcript, with a visible marker line, and attaching the full transcript), person fields
// within Zoho's standard lengths or the org's field metadata ([crm.FieldSet]). Same input, same bytes.
package rules
