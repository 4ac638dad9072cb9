package crm_test

import (
	"fmt"
	"unicode/utf8"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// Zoho counts lengths in UTF-16 code units: an emoji outside the Basic Multilingual Plane counts 2.
func ExampleUTF16Len() {
	s := "Merci 👍"
	fmt.Println(len(s), utf8.RuneCountInString(s), crm.UTF16Len(s))
	// Output: 10 7 8
}

// Cut text to a field's length without splitting a character: no half emoji, no accent torn
// from its letter, no broken ZWJ sequence.
func ExampleTruncateUTF16() {
	fmt.Printf("%q\n", crm.TruncateUTF16("Chat 👍 done", 6))
	fmt.Printf("%q\n", crm.TruncateUTF16("Chat 👍 done", 7))
	fmt.Printf("%q\n", crm.TruncateUTF16("cafe\u0301!", 4))
	fmt.Printf("%q\n", crm.TruncateUTF16("dev 👩‍💻", 8))
	// Output:
	// "Chat "
	// "Chat 👍"
	// "caf"
	// "dev "
}
