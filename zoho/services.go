package zoho

// RecordsService reads and writes records of any module: Leads, Contacts, Accounts, Cases, Tasks
// and custom modules (/crm/{version}/{module}).
type RecordsService service

// FieldsService reads field metadata (/crm/{version}/settings/fields).
type FieldsService service

// AttachmentsService uploads, lists, downloads and deletes the attachments of a record.
type AttachmentsService service

// UsersService lists the org's users (/crm/{version}/users).
type UsersService service

// OrgService reads the organisation's details (/crm/{version}/org).
type OrgService service
