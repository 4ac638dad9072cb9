package crm

// Lead is a lead (module Leads).
//
// Lead, [Contact], [Account], [Case] and [Task] are the typed records of the five standard modules
// this SDK writes. Each names the fields of Zoho's standard layout by their API names and keeps
// every other field — custom fields ("Visitor_Score__c"), system keys ("$approved"), fields of
// later API versions — in Extra, so that decoding a record and encoding it again loses nothing.
//
// Every named field is an [Optional]: unset fields are not sent, [Some] sends a value, [Null]
// clears the field in Zoho. Lookups ([Lookup]) are {id, name}; to link a record set only the id.
// Dates are [Date] (yyyy-MM-dd), date-times [DateTime] (with their UTC offset). The fields of
// Extra are written too, unless the struct writes the same key; set a custom field with
// rec.Extra.Set("Custom__c", v).
//
// Decoding replaces the whole value and is lossless: keys fill a named field only when they match
// its API name exactly (a "status" key stays in Extra, never becomes Status); a value that does not
// fit the field's Go type (text where a number is expected, a malformed date) stays in Extra
// rather than failing the record; and a field left unchanged is written back with the exact text
// Zoho sent (136.670 stays 136.670, not 136.67).
type Lead struct {
	// ID is the record id; set it to update.
	ID string `json:"id,omitempty"`
	// Owner is the record owner, a user.
	Owner      Optional[Lookup] `json:"Owner,omitzero"`
	Company    Optional[string] `json:"Company,omitzero"`
	Salutation Optional[string] `json:"Salutation,omitzero"`
	FirstName  Optional[string] `json:"First_Name,omitzero"`
	// LastName (Last_Name) is system-mandatory on create.
	LastName Optional[string] `json:"Last_Name,omitzero"`
	// FullName (Full_Name) is read-only, computed by Zoho.
	FullName       Optional[string] `json:"Full_Name,omitzero"`
	Designation    Optional[string] `json:"Designation,omitzero"`
	Email          Optional[string] `json:"Email,omitzero"`
	SecondaryEmail Optional[string] `json:"Secondary_Email,omitzero"`
	Phone          Optional[string] `json:"Phone,omitzero"`
	Mobile         Optional[string] `json:"Mobile,omitzero"`
	Fax            Optional[string] `json:"Fax,omitzero"`
	Website        Optional[string] `json:"Website,omitzero"`
	SkypeID        Optional[string] `json:"Skype_ID,omitzero"`
	Twitter        Optional[string] `json:"Twitter,omitzero"`
	// LeadSource (Lead_Source) is a picklist.
	LeadSource Optional[string] `json:"Lead_Source,omitzero"`
	// LeadStatus (Lead_Status) is a picklist.
	LeadStatus Optional[string] `json:"Lead_Status,omitzero"`
	// Industry is a picklist.
	Industry Optional[string] `json:"Industry,omitzero"`
	// Rating is a picklist.
	Rating        Optional[string]  `json:"Rating,omitzero"`
	NoOfEmployees Optional[int]     `json:"No_of_Employees,omitzero"`
	AnnualRevenue Optional[float64] `json:"Annual_Revenue,omitzero"`
	EmailOptOut   Optional[bool]    `json:"Email_Opt_Out,omitzero"`
	Street        Optional[string]  `json:"Street,omitzero"`
	City          Optional[string]  `json:"City,omitzero"`
	State         Optional[string]  `json:"State,omitzero"`
	ZipCode       Optional[string]  `json:"Zip_Code,omitzero"`
	Country       Optional[string]  `json:"Country,omitzero"`
	Description   Optional[string]  `json:"Description,omitzero"`
	// CreatedBy (Created_By) is read-only (set by Zoho).
	CreatedBy Optional[Lookup] `json:"Created_By,omitzero"`
	// ModifiedBy (Modified_By) is read-only (set by Zoho).
	ModifiedBy Optional[Lookup] `json:"Modified_By,omitzero"`
	// CreatedTime (Created_Time) is read-only (set by Zoho).
	CreatedTime Optional[DateTime] `json:"Created_Time,omitzero"`
	// ModifiedTime (Modified_Time) is read-only (set by Zoho).
	ModifiedTime Optional[DateTime] `json:"Modified_Time,omitzero"`
	// Extra holds every field Zoho sent that the struct does not name, written back unchanged.
	Extra Record `json:"-"`
}

type leadFields Lead

// MarshalJSON encodes the lead's set and null fields, then those of Extra.
func (r Lead) MarshalJSON() ([]byte, error) { return encodeWithExtra((*leadFields)(&r), &r.Extra) }

// UnmarshalJSON decodes a lead, keeping the fields it does not name in Extra.
func (r *Lead) UnmarshalJSON(data []byte) error {
	return decodeWithExtra(data, (*leadFields)(r), &r.Extra)
}

// Contact is a contact (module Contacts). Its fields follow the pattern described at [Lead].
type Contact struct {
	// ID is the record id; set it to update.
	ID string `json:"id,omitempty"`
	// Owner is the record owner, a user.
	Owner      Optional[Lookup] `json:"Owner,omitzero"`
	Salutation Optional[string] `json:"Salutation,omitzero"`
	FirstName  Optional[string] `json:"First_Name,omitzero"`
	// LastName (Last_Name) is system-mandatory on create.
	LastName Optional[string] `json:"Last_Name,omitzero"`
	// FullName (Full_Name) is read-only, computed by Zoho.
	FullName Optional[string] `json:"Full_Name,omitzero"`
	// AccountName (Account_Name) is the contact's account.
	AccountName    Optional[Lookup] `json:"Account_Name,omitzero"`
	Title          Optional[string] `json:"Title,omitzero"`
	Department     Optional[string] `json:"Department,omitzero"`
	Email          Optional[string] `json:"Email,omitzero"`
	SecondaryEmail Optional[string] `json:"Secondary_Email,omitzero"`
	Phone          Optional[string] `json:"Phone,omitzero"`
	Mobile         Optional[string] `json:"Mobile,omitzero"`
	HomePhone      Optional[string] `json:"Home_Phone,omitzero"`
	OtherPhone     Optional[string] `json:"Other_Phone,omitzero"`
	Fax            Optional[string] `json:"Fax,omitzero"`
	Assistant      Optional[string] `json:"Assistant,omitzero"`
	AsstPhone      Optional[string] `json:"Asst_Phone,omitzero"`
	DateOfBirth    Optional[Date]   `json:"Date_of_Birth,omitzero"`
	SkypeID        Optional[string] `json:"Skype_ID,omitzero"`
	Twitter        Optional[string] `json:"Twitter,omitzero"`
	// LeadSource (Lead_Source) is a picklist.
	LeadSource     Optional[string] `json:"Lead_Source,omitzero"`
	EmailOptOut    Optional[bool]   `json:"Email_Opt_Out,omitzero"`
	MailingStreet  Optional[string] `json:"Mailing_Street,omitzero"`
	MailingCity    Optional[string] `json:"Mailing_City,omitzero"`
	MailingState   Optional[string] `json:"Mailing_State,omitzero"`
	MailingZip     Optional[string] `json:"Mailing_Zip,omitzero"`
	MailingCountry Optional[string] `json:"Mailing_Country,omitzero"`
	Description    Optional[string] `json:"Description,omitzero"`
	// CreatedBy (Created_By) is read-only (set by Zoho).
	CreatedBy Optional[Lookup] `json:"Created_By,omitzero"`
	// ModifiedBy (Modified_By) is read-only (set by Zoho).
	ModifiedBy Optional[Lookup] `json:"Modified_By,omitzero"`
	// CreatedTime (Created_Time) is read-only (set by Zoho).
	CreatedTime Optional[DateTime] `json:"Created_Time,omitzero"`
	// ModifiedTime (Modified_Time) is read-only (set by Zoho).
	ModifiedTime Optional[DateTime] `json:"Modified_Time,omitzero"`
	// Extra holds every field Zoho sent that the struct does not name, written back unchanged.
	Extra Record `json:"-"`
}

type contactFields Contact

// MarshalJSON encodes the contact's set and null fields, then those of Extra.
func (r Contact) MarshalJSON() ([]byte, error) {
	return encodeWithExtra((*contactFields)(&r), &r.Extra)
}

// UnmarshalJSON decodes a contact, keeping the fields it does not name in Extra.
func (r *Contact) UnmarshalJSON(data []byte) error {
	return decodeWithExtra(data, (*contactFields)(r), &r.Extra)
}

// Account is an account (module Accounts). Its fields follow the pattern described at [Lead].
type Account struct {
	// ID is the record id; set it to update.
	ID string `json:"id,omitempty"`
	// Owner is the record owner, a user.
	Owner Optional[Lookup] `json:"Owner,omitzero"`
	// AccountName (Account_Name) is system-mandatory on create.
	AccountName Optional[string] `json:"Account_Name,omitzero"`
	AccountSite Optional[string] `json:"Account_Site,omitzero"`
	// AccountType (Account_Type) is a picklist.
	AccountType   Optional[string] `json:"Account_Type,omitzero"`
	ParentAccount Optional[Lookup] `json:"Parent_Account,omitzero"`
	// Industry is a picklist.
	Industry Optional[string] `json:"Industry,omitzero"`
	// Rating is a picklist.
	Rating Optional[string] `json:"Rating,omitzero"`
	// Ownership is a picklist.
	Ownership       Optional[string]  `json:"Ownership,omitzero"`
	Phone           Optional[string]  `json:"Phone,omitzero"`
	Fax             Optional[string]  `json:"Fax,omitzero"`
	Website         Optional[string]  `json:"Website,omitzero"`
	TickerSymbol    Optional[string]  `json:"Ticker_Symbol,omitzero"`
	Employees       Optional[int]     `json:"Employees,omitzero"`
	AnnualRevenue   Optional[float64] `json:"Annual_Revenue,omitzero"`
	BillingStreet   Optional[string]  `json:"Billing_Street,omitzero"`
	BillingCity     Optional[string]  `json:"Billing_City,omitzero"`
	BillingState    Optional[string]  `json:"Billing_State,omitzero"`
	BillingCode     Optional[string]  `json:"Billing_Code,omitzero"`
	BillingCountry  Optional[string]  `json:"Billing_Country,omitzero"`
	ShippingStreet  Optional[string]  `json:"Shipping_Street,omitzero"`
	ShippingCity    Optional[string]  `json:"Shipping_City,omitzero"`
	ShippingState   Optional[string]  `json:"Shipping_State,omitzero"`
	ShippingCode    Optional[string]  `json:"Shipping_Code,omitzero"`
	ShippingCountry Optional[string]  `json:"Shipping_Country,omitzero"`
	Description     Optional[string]  `json:"Description,omitzero"`
	// CreatedBy (Created_By) is read-only (set by Zoho).
	CreatedBy Optional[Lookup] `json:"Created_By,omitzero"`
	// ModifiedBy (Modified_By) is read-only (set by Zoho).
	ModifiedBy Optional[Lookup] `json:"Modified_By,omitzero"`
	// CreatedTime (Created_Time) is read-only (set by Zoho).
	CreatedTime Optional[DateTime] `json:"Created_Time,omitzero"`
	// ModifiedTime (Modified_Time) is read-only (set by Zoho).
	ModifiedTime Optional[DateTime] `json:"Modified_Time,omitzero"`
	// Extra holds every field Zoho sent that the struct does not name, written back unchanged.
	Extra Record `json:"-"`
}

type accountFields Account

// MarshalJSON encodes the account's set and null fields, then those of Extra.
func (r Account) MarshalJSON() ([]byte, error) {
	return encodeWithExtra((*accountFields)(&r), &r.Extra)
}

// UnmarshalJSON decodes a account, keeping the fields it does not name in Extra.
func (r *Account) UnmarshalJSON(data []byte) error {
	return decodeWithExtra(data, (*accountFields)(r), &r.Extra)
}

// Case is a case (module Cases). Its fields follow the pattern described at [Lead].
type Case struct {
	// ID is the record id; set it to update.
	ID string `json:"id,omitempty"`
	// Owner is the record owner, a user.
	Owner Optional[Lookup] `json:"Owner,omitzero"`
	// Subject is system-mandatory on create.
	Subject Optional[string] `json:"Subject,omitzero"`
	// Status is a picklist, system-mandatory on create.
	Status Optional[string] `json:"Status,omitzero"`
	// CaseOrigin (Case_Origin) is a picklist, system-mandatory on create.
	CaseOrigin Optional[string] `json:"Case_Origin,omitzero"`
	// Priority is a picklist.
	Priority Optional[string] `json:"Priority,omitzero"`
	// Type is a picklist.
	Type Optional[string] `json:"Type,omitzero"`
	// CaseReason (Case_Reason) is a picklist.
	CaseReason Optional[string] `json:"Case_Reason,omitzero"`
	// RelatedTo (Related_To) is the contact the case is about.
	RelatedTo        Optional[Lookup] `json:"Related_To,omitzero"`
	AccountName      Optional[Lookup] `json:"Account_Name,omitzero"`
	DealName         Optional[Lookup] `json:"Deal_Name,omitzero"`
	ProductName      Optional[Lookup] `json:"Product_Name,omitzero"`
	ReportedBy       Optional[string] `json:"Reported_By,omitzero"`
	Email            Optional[string] `json:"Email,omitzero"`
	Phone            Optional[string] `json:"Phone,omitzero"`
	Description      Optional[string] `json:"Description,omitzero"`
	InternalComments Optional[string] `json:"Internal_Comments,omitzero"`
	Solution         Optional[string] `json:"Solution,omitzero"`
	// CreatedBy (Created_By) is read-only (set by Zoho).
	CreatedBy Optional[Lookup] `json:"Created_By,omitzero"`
	// ModifiedBy (Modified_By) is read-only (set by Zoho).
	ModifiedBy Optional[Lookup] `json:"Modified_By,omitzero"`
	// CreatedTime (Created_Time) is read-only (set by Zoho).
	CreatedTime Optional[DateTime] `json:"Created_Time,omitzero"`
	// ModifiedTime (Modified_Time) is read-only (set by Zoho).
	ModifiedTime Optional[DateTime] `json:"Modified_Time,omitzero"`
	// Extra holds every field Zoho sent that the struct does not name, written back unchanged.
	Extra Record `json:"-"`
}

type caseFields Case

// MarshalJSON encodes the case's set and null fields, then those of Extra.
func (r Case) MarshalJSON() ([]byte, error) { return encodeWithExtra((*caseFields)(&r), &r.Extra) }

// UnmarshalJSON decodes a case, keeping the fields it does not name in Extra.
func (r *Case) UnmarshalJSON(data []byte) error {
	return decodeWithExtra(data, (*caseFields)(r), &r.Extra)
}

// Task is a task (module Tasks). Its fields follow the pattern described at [Lead].
type Task struct {
	// ID is the record id; set it to update.
	ID string `json:"id,omitempty"`
	// Owner is the record owner, a user.
	Owner Optional[Lookup] `json:"Owner,omitzero"`
	// Subject is system-mandatory on create.
	Subject Optional[string] `json:"Subject,omitzero"`
	DueDate Optional[Date]   `json:"Due_Date,omitzero"`
	// Status is a picklist.
	Status Optional[string] `json:"Status,omitzero"`
	// Priority is a picklist.
	Priority Optional[string] `json:"Priority,omitzero"`
	// WhatID (What_Id) is the Lead, Account, Deal, … the task is about; name its module in SeModule.
	WhatID Optional[Lookup] `json:"What_Id,omitzero"`
	// SeModule ($se_module) is the module of WhatID ("Leads", "Accounts", "Deals", …).
	SeModule Optional[string] `json:"$se_module,omitzero"`
	// WhoID (Who_Id) is the contact the task is about.
	WhoID                 Optional[Lookup] `json:"Who_Id,omitzero"`
	SendNotificationEmail Optional[bool]   `json:"Send_Notification_Email,omitzero"`
	// ClosedTime (Closed_Time) is read-only (set by Zoho).
	ClosedTime  Optional[DateTime] `json:"Closed_Time,omitzero"`
	Description Optional[string]   `json:"Description,omitzero"`
	// CreatedBy (Created_By) is read-only (set by Zoho).
	CreatedBy Optional[Lookup] `json:"Created_By,omitzero"`
	// ModifiedBy (Modified_By) is read-only (set by Zoho).
	ModifiedBy Optional[Lookup] `json:"Modified_By,omitzero"`
	// CreatedTime (Created_Time) is read-only (set by Zoho).
	CreatedTime Optional[DateTime] `json:"Created_Time,omitzero"`
	// ModifiedTime (Modified_Time) is read-only (set by Zoho).
	ModifiedTime Optional[DateTime] `json:"Modified_Time,omitzero"`
	// Extra holds every field Zoho sent that the struct does not name, written back unchanged.
	Extra Record `json:"-"`
}

type taskFields Task

// MarshalJSON encodes the task's set and null fields, then those of Extra.
func (r Task) MarshalJSON() ([]byte, error) { return encodeWithExtra((*taskFields)(&r), &r.Extra) }

// UnmarshalJSON decodes a task, keeping the fields it does not name in Extra.
func (r *Task) UnmarshalJSON(data []byte) error {
	return decodeWithExtra(data, (*taskFields)(r), &r.Extra)
}
