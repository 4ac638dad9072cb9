package cloudcx

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// modelTypes are the types whose JSON is documented as stable.
var modelTypes = []reflect.Type{
	reflect.TypeFor[Chat](), reflect.TypeFor[Conversation](), reflect.TypeFor[Thread](), reflect.TypeFor[Event](),
	reflect.TypeFor[Visitor](), reflect.TypeFor[Location](), reflect.TypeFor[Agent](), reflect.TypeFor[Message](),
	reflect.TypeFor[Attachment](), reflect.TypeFor[Note](), reflect.TypeFor[WrapUp](), reflect.TypeFor[Rating](),
	reflect.TypeFor[Field](),
}

// jsonNames returns "Type.name" for every JSON member of t (embedded
// structs flattened into t).
func jsonNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous {
			out = append(out, jsonNames(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, t.Name()+"."+name)
	}
	return out
}

// TestJSONNamesAreSnakeCase checks the documented casing on every member
// of every model type, and that none is left to the Go field name.
func TestJSONNamesAreSnakeCase(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for _, typ := range modelTypes {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() || f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !snake.MatchString(name) {
				t.Errorf("%s.%s has JSON name %q", typ.Name(), f.Name, name)
			}
		}
	}
}

// goldenValues hold every member of every model type at least once.
func goldenValues() map[string]any {
	c := sampleChat()
	cv := sampleConversation()
	return map[string]any{
		"chat":         c,
		"conversation": cv,
		"event-chat": &Event{Kind: EventChatWrappedUp, EventID: "e-1", TenantID: "t-1", ChatID: "chat-1", VisitorID: "v-1",
			OccurredAt: t0.Add(3 * time.Minute), Chat: c, WrapUp: c.WrapUp, SourceEvent: "chat_wrapped_up"},
		"event-conversation": &Event{Kind: EventConversationResolved, EventID: "TicketStatusChanged:conv-1:open:resolved", TenantID: "t-1",
			ConversationID: "conv-1", Conversation: cv, SourceEvent: "TicketStatusChanged"},
	}
}

// TestJSONGolden pins the JSON of a chat, a conversation and two events
// with every member set, byte for byte (go test -run TestJSONGolden -update
// rewrites testdata/golden). It also checks that together they use every
// member of every model type, so the round trips below cover them all.
func TestJSONGolden(t *testing.T) {
	used := make(map[string]bool)
	for name, v := range goldenValues() {
		got, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "golden", name+".json")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: JSON changed:\n%s\nwant\n%s", name, got, want)
		}
		collectNames(t, reflect.TypeOf(v).Elem(), got, used)
		// And back: the same value.
		back := reflect.New(reflect.TypeOf(v).Elem())
		if err := json.Unmarshal(want, back.Interface()); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Interface(), v) {
			t.Errorf("%s: decoding the golden JSON gives another value", name)
		}
	}
	for _, typ := range modelTypes {
		for _, n := range jsonNames(typ) {
			if !used[n] {
				t.Errorf("no golden value sets %s", n)
			}
		}
	}
}

// collectNames records "Type.member" for every member present in the
// JSON b of a value of type typ.
func collectNames(t *testing.T, typ reflect.Type, b []byte, used map[string]bool) {
	t.Helper()
	switch typ.Kind() {
	case reflect.Pointer:
		collectNames(t, typ.Elem(), b, used)
	case reflect.Slice:
		if typ.Elem().Kind() != reflect.Struct {
			return
		}
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			collectNames(t, typ.Elem(), it, used)
		}
	case reflect.Struct:
		if typ == reflect.TypeFor[time.Time]() {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		fields := make(map[string]reflect.Type)
		var walk func(reflect.Type)
		walk = func(st reflect.Type) {
			for i := range st.NumField() {
				f := st.Field(i)
				if f.Anonymous {
					walk(f.Type)
					continue
				}
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				fields[name] = f.Type
			}
		}
		walk(typ)
		for k, v := range m {
			ft, ok := fields[k]
			if !ok {
				t.Errorf("%s has no member %q", typ.Name(), k)
				continue
			}
			used[typ.Name()+"."+k] = true
			// Embedded Thread members count for Thread too.
			if _, ok := reflect.TypeFor[Thread]().FieldByName(fieldName(typ, k)); ok && typ != reflect.TypeFor[Thread]() {
				used["Thread."+k] = true
			}
			collectNames(t, ft, v, used)
		}
	}
}

// fieldName returns the Go name of the member called json in typ.
func fieldName(typ reflect.Type, json string) string {
	for _, f := range reflect.VisibleFields(typ) {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == json && !f.Anonymous {
			return f.Name
		}
	}
	return ""
}
