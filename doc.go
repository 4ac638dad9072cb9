// Package cxzoho connects CloudCX (Web Chat, Inbox, Agent Console) to Zoho CRM v2.
//
// The module is a set of small packages; this root package holds only this overview.
package cxzoho
