package crm

// SearchQuery is what a search looks for: exactly one of Criteria, Email, Phone or Word.
//
//   - Criteria: conditions on fields (`criteria=`), built with [Equals], [StartsWith], [And], [Or].
//   - Email: the value in any email field of the module (`email=`).
//   - Phone: the value in any phone field of the module (`phone=`).
//   - Word: the word anywhere in the record (`word=`).
//
// Values must have at least 2 characters ([CheckSearchValue]); the zoho client's search methods
// refuse shorter ones before anything is sent, as Zoho would refuse them.
type SearchQuery struct {
	Criteria Criteria
	Email    string
	Phone    string
	Word     string
}
