package rules

import (
	"strings"
	"testing"

	"github.com/cloudcx/cxzoho/cloudcx"
)

func TestSearchKey(t *testing.T) {
	email := []Rule{{Conditions: []Condition{{CloudCXField: FieldEmail, ZohoFields: []string{"Email"}}}}}
	phone := []Rule{{Conditions: []Condition{{CloudCXField: FieldPhone, ZohoFields: []string{"Phone"}}}}}
	both := []Rule{{Conditions: []Condition{
		{CloudCXField: FieldEmail, ZohoFields: []string{"Email"}},
		{CloudCXField: FieldName, ZohoFields: []string{"Last_Name"}}}}}
	key := func(rs []Rule, v cloudcx.Visitor) string {
		s := Identify(ModuleContacts, rs, v, cloudcx.SectionWebChat)
		if len(s) != 1 {
			t.Fatalf("%d searches", len(s))
		}
		return s[0].Key()
	}
	jane := cloudcx.Visitor{ID: "1", Name: "Jane  Doe", Email: " Jane@Example.org ", Phone: "+1 (555) 010-0100"}
	// One email or phone condition: the keys IdentityKeys gives (what earlier versions stored).
	ids := IdentityKeys(jane, cloudcx.SectionWebChat)
	if got := key(email, jane); got != ids[0] {
		t.Errorf("email rule key %q, want %q", got, ids[0])
	}
	if got := key(phone, jane); got != ids[1] {
		t.Errorf("phone rule key %q, want %q", got, ids[1])
	}
	// A compound rule: equal when Choose would find the same records, different otherwise.
	same := cloudcx.Visitor{ID: "2", Name: "jane doe", Email: "jane@example.org"}
	other := cloudcx.Visitor{ID: "3", Name: "John Doe", Email: "jane@example.org"}
	k := key(both, jane)
	if !strings.HasPrefix(k, "rule:") || key(both, same) != k {
		t.Errorf("same person, keys %q and %q", k, key(both, same))
	}
	if key(both, other) == k {
		t.Errorf("another name has the same key %q", k)
	}
	if (Search{}).Key() != "" {
		t.Error("a search without checks has a key")
	}
}

func TestPersonMarker(t *testing.T) {
	k := SourceKey{TenantID: "t1", Section: cloudcx.SectionWebChat, ID: "visitor:web_chat:v-1"}
	m := PersonMarker(k)
	if m != "[cx:t1:person:web_chat:visitor%3Aweb_chat%3Av-1]" {
		t.Errorf("marker %q", m)
	}
	if other := PersonMarker(SourceKey{TenantID: "t1", Section: cloudcx.SectionWebChat, ID: "visitor:web_chat:v-2"}); other == m {
		t.Error("two visitors share a marker")
	}
	if long := PersonMarker(SourceKey{TenantID: "t1", ID: strings.Repeat("x", 200)}); len(long) > maxMarkerBytes || !strings.HasPrefix(long, "[cx:h:") {
		t.Errorf("long marker %q", long)
	}
	// The new record's Description ends with it; a mapped Description comes first, defused.
	st := DefaultSettings()
	p, err := PersonFields(PersonInput{Settings: st, Module: ModuleContacts, Section: cloudcx.SectionWebChat,
		Visitor: cloudcx.Visitor{ID: "v-1", Name: "Jane"}, Marker: m})
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Record.Text("Description"); !EndsWithMarker(d, m) || p.Values.Has("Description") {
		t.Errorf("Description %q (values %v)", d, p.Values.Keys())
	}
	st.ExtraMappings = append(st.ExtraMappings, ExtraMapping{Module: ModuleContacts, ZohoField: "Description", CloudCXField: FieldName})
	p, err = PersonFields(PersonInput{Settings: st, Module: ModuleContacts, Section: cloudcx.SectionWebChat,
		Visitor: cloudcx.Visitor{ID: "v-1", Name: "Jane [cx:t1:person:web_chat:x]"}, Marker: m})
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Record.Text("Description"); !strings.HasPrefix(d, "Jane (cx:") || !EndsWithMarker(d, m) || strings.Count(d, "[cx:") != 1 {
		t.Errorf("mapped Description %q", d)
	}
	if EndsWithMarker("anything", "") || !EndsWithMarker("x "+m+"\n", m) {
		t.Error("EndsWithMarker")
	}
}
