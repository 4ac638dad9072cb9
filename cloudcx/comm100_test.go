package cloudcx

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fixture reads a vendor sample from testdata (see testdata/README.md).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// v2Chat is what the v2 "get a chat" sample decodes to.
func v2Chat(t *testing.T) Chat {
	var c Chat
	c.ID = "69242"
	c.Channel = ChannelWebChat
	c.Status = StatusNormal
	c.Visitor = Visitor{Name: "asd", Email: "asd@12.com"}
	c.Agents = []Agent{{ID: "446", Name: "li yu1", Email: "benjamin11@comm100.com"}}
	c.CustomFields = Fields{{"Agreement", "I agree with the agreement"}}
	c.StartedAt = mustTime(t, "2019-01-16T09:12:45.027Z")
	c.EndedAt = mustTime(t, "2019-01-16T09:40:23.773Z")
	c.Messages = []Message{{SentAt: mustTime(t, "2019-01-16T09:12:45Z"), SenderKind: SenderSystem,
		Text: "If you do not want to wait, please click here to leave us a message."}}
	return c
}

func TestComm100ChatGet(t *testing.T) {
	got, err := Comm100Decoder{}.Chat(fixture(t, "comm100-v2-chat-get.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := v2Chat(t); !reflect.DeepEqual(*got, want) {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
	// The host adds the tenant; then the chat is valid.
	got.TenantID = "t-1"
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
}

func TestComm100ChatsList(t *testing.T) {
	got, err := Comm100Decoder{}.Chats(fixture(t, "comm100-v2-chats-list.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Chat{v2Chat(t)}; !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestComm100MissedRefused(t *testing.T) {
	got, err := Comm100Decoder{}.Chats(fixture(t, "comm100-v2-missed-refused-chats.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want Chat
	want.ID = "69235"
	want.Channel = ChannelWebChat
	want.Status = StatusMissed
	want.Visitor = Visitor{SSOUserID: "hehe", Name: "183.129.213.10"}
	want.StartedAt = mustTime(t, "2019-01-16T03:06:19.38Z")
	want.EndedAt = mustTime(t, "2019-01-16T03:06:22.457Z")
	if !reflect.DeepEqual(got, []Chat{want}) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// One item alone decodes through Chat too.
	one, err := Comm100Decoder{}.Chat([]byte(`{"type":"Refused","chat":{"id":1,"requestTime":"2019-01-16T03:06:19"}}`))
	if err != nil || one.Status != StatusRefused || one.ID != "1" {
		t.Errorf("refused item: %+v %v", one, err)
	}
}

func TestComm100OfflineMessagesList(t *testing.T) {
	got, err := Comm100Decoder{}.OfflineMessages(fixture(t, "comm100-v2-offline-messages-list.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	at := mustTime(t, "2019-01-05T07:17:08.89Z")
	var want Chat
	want.ID = "411"
	want.Channel = ChannelOfflineMessage
	want.Status = StatusOfflineMessage
	want.Visitor = Visitor{Name: "allon", Email: "allon@comm100.com"}
	want.StartedAt, want.EndedAt = at, at
	want.Messages = []Message{{SentAt: at, SenderKind: SenderVisitor, SenderName: "allon", Text: "cccccccc",
		Attachments: []Attachment{{Name: "comm100SDK.css", URL: "https://ent.comm100.com/api/v2.0/livechat/download?id=411&downloadtype=offlinemessage"}}}}
	if !reflect.DeepEqual(got, []Chat{want}) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	got[0].TenantID = "t"
	if err := got[0].Validate(); err != nil {
		t.Error(err)
	}
}

func TestComm100VisitorGet(t *testing.T) {
	got, err := Comm100Decoder{}.Visitor(fixture(t, "comm100-v2-visitor-get.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Visitor{ID: "19", Name: "218.76.52.108",
		Location:        Location{IP: "218.76.52.108", City: "Changsha", State: "Hunan", Country: "China", TimeZone: "GMT +08:00"},
		CustomVariables: Fields{{"justfortestupdate1", "window.location.href"}, {"justfortestupdate2", "window.location.href"}},
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
}

func TestComm100WebhookVisitor(t *testing.T) {
	got, err := Comm100Decoder{}.Visitor(fixture(t, "comm100-webhook-visitor-object.fragment.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Visitor{ID: "1024768", Name: "allon", Email: "allon@comm100.com", Phone: "12983782710", Company: "Comm100",
		Location:        Location{IP: "192.168.8.1", City: "Vancouver", State: "British Columbia", Country: "Canada", TimeZone: "UTC-08:00"},
		CustomFields:    Fields{{"order_id", "1780064"}, {"bill_amount", "500.00"}},
		CustomVariables: Fields{{"user_login", "facebook"}, {"have_sales", "yes"}},
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
}

func TestComm100AgentGet(t *testing.T) {
	got, err := Comm100Decoder{}.Agent(fixture(t, "comm100-v2-livechat-agent-get.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	if *got != (Agent{ID: "1"}) {
		t.Errorf("got %+v", *got)
	}
	for in, want := range map[string]Agent{
		`{"id":446,"display_name":"li yu1","email":"e"}`:              {ID: "446", Name: "li yu1", Email: "e"},
		`{"id":"g","displayName":"D","firstName":"F","lastName":"L"}`: {ID: "g", Name: "D"},
		`{"id":"g","firstName":"F","lastName":"L","email":"f@x"}`:     {ID: "g", Name: "F L", Email: "f@x"},
		`{"agent":{"id":3,"name":"Ava","type":"chatbot"}}`:            {ID: "3", Name: "Ava", IsBot: true},
		`{"id":3,"name":"Ava","type":"chatbot","isBot":false}`:        {ID: "3", Name: "Ava"},
		`{"agentId":"9","name":"Bo","is_bot":true}`:                   {ID: "9", Name: "Bo", IsBot: true},
	} {
		got, err := Comm100Decoder{}.Agent([]byte(in))
		if err != nil || *got != want {
			t.Errorf("%s: got %+v %v, want %+v", in, got, err, want)
		}
	}
}

func TestComm100WebhookChat(t *testing.T) {
	got, err := Comm100Decoder{}.Chat(fixture(t, "comm100-webhook-chat-object.fragment.json"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1358453897, 0).UTC() // 10 digits: seconds
	var want Chat
	want.ID = "1098"
	want.Channel = ChannelWebChat
	want.Status = StatusNormal
	want.Department = "livechat"
	want.Visitor = Visitor{Name: "Allon", Email: "allon@comm100.com", Phone: "1-877-305-0464", Company: "comm100"}
	want.Agents = []Agent{{Name: "henry"}}
	want.Messages = []Message{
		{SenderKind: SenderSystem, Text: "Agent Henry - Comm100 has joined the chat."},
		// 19:16:06 is placed on the day nearest the start (20:18:17).
		{SentAt: time.Date(2013, 1, 17, 19, 16, 6, 0, time.UTC), SenderKind: SenderAgent, SenderName: "Henry - Comm100",
			Text: "Hi Allon, this is Henry. How may I help you?"},
		{SenderKind: SenderSystem, Text: "......."},
	}
	want.Attachments = []Attachment{{Name: "screen_capture.png", URL: "http://hosted.comm100.com/livechatreport/download.ashx?siteId=10014&downloadtype==chatattachment&id=3679"}}
	want.Notes = []Note{{Text: "paid"}}
	want.CustomFields = Fields{{"order_id", "1780064"}, {"bill_amount", "500.00"}}
	want.CustomVariables = Fields{{"user_login", "facebook"}, {"have_sales", "yes"}}
	want.StartedAt = start
	want.EndedAt = time.Unix(1358455857, 0).UTC()
	want.Rating = &Rating{Score: 1, Comment: "very good"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
	if a, ok := got.LastAgent(); !ok || a.Name != "henry" {
		t.Errorf("LastAgent = %+v, %v", a, ok)
	}
}

func TestComm100WebhookOfflineMessage(t *testing.T) {
	got, err := Comm100Decoder{}.OfflineMessage(fixture(t, "comm100-webhook-offline-message-object.fragment.json"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1358453897, 0).UTC()
	var want Chat
	want.ID = "1"
	want.Channel = ChannelOfflineMessage
	want.Status = StatusOfflineMessage
	want.Subject = "comm100 live chat"
	want.Department = "livechat"
	want.Visitor = Visitor{Name: "Allon", Email: "allon@comm100.com", Phone: "1-877-305-0464", Company: "comm100"}
	want.CustomFields = Fields{{"order_id", "1780064"}, {"bill_amount", "500.00"}}
	want.StartedAt, want.EndedAt = at, at
	want.Messages = []Message{{SentAt: at, SenderKind: SenderVisitor, SenderName: "Allon", Text: "I have an problem about Comm100 live chat. ",
		Attachments: []Attachment{{Name: "screen_capture.png", URL: "//hosted.comm100.com/livechatreport/download.ashx?siteId=10014&downloadtype=MessageAttachment&id=3679"}}}}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
}

func TestParseTime(t *testing.T) {
	vancouver := time.FixedZone("PST", -8*3600)
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
		err  bool
	}{
		{in: "", want: time.Time{}},
		{in: "/Date(1584415749307)/", want: time.UnixMilli(1584415749307).UTC()},
		{in: `\/Date(1584415749307)\/`, want: time.UnixMilli(1584415749307).UTC()},
		{in: "/Date(1358455857)/", want: time.Unix(1358455857, 0).UTC()},
		{in: "/Date(13584868423)/", want: time.Unix(13584868423, 0).UTC()}, // 11 digits, below 1e11: seconds
		{in: "/Date(1584415749307+0800)/", want: time.UnixMilli(1584415749307).In(time.FixedZone("", 8*3600))},
		{in: "/Date(1584415749307-0130)/", want: time.UnixMilli(1584415749307).In(time.FixedZone("", -90*60))},
		{in: "/Date(-1000)/", want: time.Unix(-1000, 0).UTC()},
		{in: "/Date(1584415749307+08)/", err: true},
		{in: "/Date(1584415749307-4000)/", err: true},
		{in: "2019-01-01T00:00:00+24:00", err: true},
		{in: "/Date(abc)/", err: true},
		{in: "/Date(99999999999999999999)/", err: true},
		{in: "1536738453010", want: time.UnixMilli(1536738453010).UTC()},
		{in: "1536738453", want: time.Unix(1536738453, 0).UTC()},
		{in: "2019-06-11T03:05:42.537Z", want: time.Date(2019, 6, 11, 3, 5, 42, 537e6, time.UTC)},
		{in: "2019-06-11T03:05:42+02:00", want: time.Date(2019, 6, 11, 3, 5, 42, 0, time.FixedZone("", 2*3600))},
		{in: "2019-01-16T09:12:45.027", want: time.Date(2019, 1, 16, 9, 12, 45, 27e6, time.UTC)},
		{in: "2019-01-16T09:12:45.027", loc: vancouver, want: time.Date(2019, 1, 16, 17, 12, 45, 27e6, time.UTC)},
		{in: "2019-01-16 09:12:45", want: time.Date(2019, 1, 16, 9, 12, 45, 0, time.UTC)},
		{in: "2019-01-16", want: time.Date(2019, 1, 16, 0, 0, 0, 0, time.UTC)},
		{in: "01/16/2019 09:12:45", want: time.Date(2019, 1, 16, 9, 12, 45, 0, time.UTC)},
		{in: "1/6/2019 9:12:45", want: time.Date(2019, 1, 6, 9, 12, 45, 0, time.UTC)},
		{in: "01/16/2019 9:12 PM", want: time.Date(2019, 1, 16, 21, 12, 0, 0, time.UTC)},
		{in: "01/16/2019", want: time.Date(2019, 1, 16, 0, 0, 0, 0, time.UTC)},
		{in: "16/01/2019", err: true},
		{in: "yesterday", err: true},
		{in: "/Date(999999999999999)/", err: true}, // year > 9999
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, tt.loc)
		if (err != nil) != tt.err {
			t.Errorf("parseTime(%q) error %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if _, wantOff := tt.want.Zone(); err == nil && !tt.want.IsZero() {
			if _, off := got.Zone(); off != wantOff && tt.loc == nil {
				t.Errorf("parseTime(%q) offset %d, want %d", tt.in, off, wantOff)
			}
		}
	}
}

func TestLenientJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":[1,2,],}`, `{"a":[1,2]}`},
		{"{\"a\":[1,\r\n  ],\r\n}", "{\"a\":[1\r\n  ]\r\n}"},
		{`{"a":"x,]",}`, `{"a":"x,]"}`},
		{`{"a":"q\",]"}`, `{"a":"q\",]"}`},
		{`"chat": {"id": 1},`, `{"chat": {"id": 1}}`},
		{"\ufeff  [1,]  ", `[1]`},
		{"{\"a\":1 // note\n,\"b\":2}", "{\"a\":1 \n,\"b\":2}"},
		{`{"a":1 /* c */}`, `{"a":1  }`},
		{`{"a":"http://x/y"}`, `{"a":"http://x/y"}`},
		{`{"a":1} /* open`, `{"a":1}`},
		{`"just a string"`, `"just a string"`},
		{`a/b`, `a/b`},
		{``, ``},
	}
	for _, tt := range tests {
		if got := string(lenientJSON([]byte(tt.in))); got != tt.want {
			t.Errorf("lenientJSON(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestComm100Quirks covers one quirk per row on a minimal chat.
func TestComm100Quirks(t *testing.T) {
	start := time.Date(2020, 3, 17, 3, 29, 9, 0, time.UTC)
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, c *Chat)
	}{
		{"string ids and guid", `{"id":"9f1c-guid","sessionId":"s","visitor_id":"v"}`, func(t *testing.T, c *Chat) {
			if c.ID != "9f1c-guid" || c.SessionID != "s" || c.Visitor.ID != "v" {
				t.Errorf("%+v", c)
			}
		}},
		{"agents as a comma-separated string", `{"id":1,"agents":"henry, anna ,"}`, func(t *testing.T, c *Chat) {
			if !reflect.DeepEqual(c.Agents, []Agent{{Name: "henry"}, {Name: "anna"}}) {
				t.Errorf("%+v", c.Agents)
			}
		}},
		{"agents as names, objects, ids and duplicates", `{"id":1,"agents":["a",{"id":2,"name":"B"},3,null,{}],"operators":"a","agent":{"id":2}}`, func(t *testing.T, c *Chat) {
			if !reflect.DeepEqual(c.Agents, []Agent{{Name: "a"}, {ID: "2", Name: "B"}, {ID: "3"}}) {
				t.Errorf("%+v", c.Agents)
			}
		}},
		{"attachment as object, attachments as array, note attachments", `{"id":1,"attachment":{"guid":"g","fileName":"f","url":"u","isAvailable":false,"fileSize":"12"},
			"attachments":[{"id":1,"name":"a","uri":"x","size":3,"contentType":"image/png"}],"noteAttachments":{"name":"n","uri":"y"}}`, func(t *testing.T, c *Chat) {
			want := []Attachment{{ID: "1", Name: "a", URL: "x", Size: 3, MIMEType: "image/png"}, {ID: "g", Name: "f", URL: "u", Size: 12, Unavailable: true},
				{Name: "n", URL: "y", InternalNote: true}}
			if !reflect.DeepEqual(c.Attachments, want) {
				t.Errorf("%+v", c.Attachments)
			}
		}},
		{"attachment sizes: large, fractional, negative, junk", `{"id":1,"attachments":[{"id":1,"size":1500000000},{"id":2,"fileSize":"5368709120"},
			{"id":3,"size":12.0},{"id":4,"size":-5},{"id":5,"size":"big"},{"id":6,"size":1e300}]}`, func(t *testing.T, c *Chat) {
			var got []int64
			for _, a := range c.Attachments {
				got = append(got, a.Size)
			}
			if want := []int64{1500000000, 5368709120, 12, 0, 0, 0}; !reflect.DeepEqual(got, want) {
				t.Errorf("sizes %v, want %v", got, want)
			}
		}},
		{"location object (Agent Console visitor)", `{"id":1,"location":{"ip":"192.0.2.9","city":"Lyon","state":"ARA","country":"France"},"city":"Paris"}`, func(t *testing.T, c *Chat) {
			if want := (Location{IP: "192.0.2.9", City: "Paris", State: "ARA", Country: "France"}); c.Visitor.Location != want {
				t.Errorf("%+v", c.Visitor.Location)
			}
		}},
		{".NET dates with offsets", `{"id":1,"start_time":"/Date(1584415749307+0800)/","end_time":"\/Date(1584415809307-0130)\/"}`, func(t *testing.T, c *Chat) {
			if !c.StartedAt.Equal(time.UnixMilli(1584415749307)) || !c.EndedAt.Equal(time.UnixMilli(1584415809307)) {
				t.Errorf("%v %v", c.StartedAt, c.EndedAt)
			}
			if _, off := c.StartedAt.Zone(); off != 8*3600 {
				t.Errorf("start offset %d", off)
			}
			if _, off := c.EndedAt.Zone(); off != -90*60 {
				t.Errorf("end offset %d", off)
			}
		}},
		{"empty attachment string and null", `{"id":1,"attachment":"","attachments":null}`, func(t *testing.T, c *Chat) {
			if c.Attachments != nil {
				t.Errorf("%+v", c.Attachments)
			}
		}},
		{"custom_variable (singular) and customVariable", `{"id":1,"custom_variable":[{"name":"a","value":"1"}],"customVariable":{"name":"b","value":2}}`, func(t *testing.T, c *Chat) {
			if !reflect.DeepEqual(c.CustomVariables, Fields{{"a", "1"}, {"b", "2"}}) {
				t.Errorf("%+v", c.CustomVariables)
			}
		}},
		{"customVariables with hyperlink and null type", `{"id":1,"customVariables":[{"id":0,"name":"v","type":null,"value":"","hyperlink":"https://x"}]}`, func(t *testing.T, c *Chat) {
			if !reflect.DeepEqual(c.CustomVariables, Fields{{"v", "https://x"}}) {
				t.Errorf("%+v", c.CustomVariables)
			}
		}},
		{"custom fields as a map keep their order", `{"id":1,"customFields":{"z":"1","a":["x","y"],"m":null,"o":{"k":true},"n":3.5}}`, func(t *testing.T, c *Chat) {
			want := Fields{{"z", "1"}, {"a", "x, y"}, {"m", ""}, {"o", `{"k":true}`}, {"n", "3.5"}}
			if !reflect.DeepEqual(c.CustomFields, want) {
				t.Errorf("%+v", c.CustomFields)
			}
		}},
		{"nested arrays flatten two levels, deeper ones stay JSON", `{"id":1,"customFields":{"a":[["x","y"],[["z",1]]],"b":[[[[]]]]}}`, func(t *testing.T, c *Chat) {
			want := Fields{{"a", `x, y, ["z",1]`}, {"b", "[[]]"}}
			if !reflect.DeepEqual(c.CustomFields, want) {
				t.Errorf("%q", c.CustomFields)
			}
		}},
		{"prechat, custom and offline fields in order, nameless dropped", `{"id":1,"prechatFields":[{"name":"p","value":"1"}],"custom_fields":[{"field_id":5,"value":"x"},{},"junk"],"fields":[{"fieldName":"f","value":"2"}]}`, func(t *testing.T, c *Chat) {
			want := Fields{{"p", "1"}, {"5", "x"}, {"f", "2"}}
			if !reflect.DeepEqual(c.CustomFields, want) {
				t.Errorf("%+v", c.CustomFields)
			}
		}},
		{"department -1 means none", `{"id":1,"department":-1}`, func(t *testing.T, c *Chat) {
			if c.Department != "" {
				t.Errorf("%q", c.Department)
			}
		}},
		{"rating grade -1 means none", `{"id":1,"postChat":{"ratingGrade":"-1","ratingComment":"","fields":[]}}`, func(t *testing.T, c *Chat) {
			if c.Rating != nil {
				t.Errorf("%+v", c.Rating)
			}
		}},
		{"rating levelN with post-chat fields", `{"id":1,"postChat":{"ratingGrade":"level4","ratingComment":"ok","fieldValues":[{"name":"nps","value":9}]}}`, func(t *testing.T, c *Chat) {
			if !reflect.DeepEqual(c.Rating, &Rating{Score: 4, Comment: "ok", Fields: Fields{{"nps", "9"}}}) {
				t.Errorf("%+v", c.Rating)
			}
		}},
		{"rating noRating with comment, out of range score", `{"id":1,"rating":"noRating","rating_comment":"meh","postChat":{"score":9}}`, func(t *testing.T, c *Chat) {
			if !reflect.DeepEqual(c.Rating, &Rating{Comment: "meh"}) {
				t.Errorf("%+v", c.Rating)
			}
		}},
		{"numeric rating", `{"id":1,"rating":5}`, func(t *testing.T, c *Chat) {
			if c.Rating == nil || c.Rating.Score != 5 {
				t.Errorf("%+v", c.Rating)
			}
		}},
		{"wrapup null", `{"id":1,"wrapup":null}`, func(t *testing.T, c *Chat) {
			if c.WrapUp != nil {
				t.Errorf("%+v", c.WrapUp)
			}
		}},
		{"wrap-up categorys (v3 spelling) and lastUpdatedBy", `{"id":1,"agentWrapUp":{"categorys":["A","B"],"comment":"c","lastUpdatedBy":"a-1","lastUpdatedTime":"2020-03-17T03:29:09Z","fieldValues":[{"name":"f","value":"v"}]}}`, func(t *testing.T, c *Chat) {
			want := &WrapUp{Categories: []string{"A", "B"}, Comment: "c", AgentID: "a-1", SubmittedAt: start, Fields: Fields{{"f", "v"}}}
			if !reflect.DeepEqual(c.WrapUp, want) {
				t.Errorf("%+v", c.WrapUp)
			}
		}},
		{"wrap_up with one category string", `{"id":1,"wrap_up":{"category":"Sales","comment":""}}`, func(t *testing.T, c *Chat) {
			if c.WrapUp == nil || !reflect.DeepEqual(c.WrapUp.Categories, []string{"Sales"}) {
				t.Errorf("%+v", c.WrapUp)
			}
		}},
		{"empty wrap-up is none", `{"id":1,"wrapup":{"category":"","comment":"","fields":[]}}`, func(t *testing.T, c *Chat) {
			if c.WrapUp != nil {
				t.Errorf("%+v", c.WrapUp)
			}
		}},
		{"operator_comment becomes a note", `{"id":1,"operator_comment":"call back"}`, func(t *testing.T, c *Chat) {
			if !reflect.DeepEqual(c.Notes, []Note{{Text: "call back"}}) {
				t.Errorf("%+v", c.Notes)
			}
		}},
		{"v4 preChat names and numeric status", `{"id":1,"preChatName":"Ann","preChatEmail":"a@x","preChatPhone":"1","preChatCompany":"Co","status":2}`, func(t *testing.T, c *Chat) {
			if !reflect.DeepEqual(c.Visitor, Visitor{Name: "Ann", Email: "a@x", Phone: "1", Company: "Co"}) || c.Status != StatusMissed {
				t.Errorf("%+v %q", c.Visitor, c.Status)
			}
		}},
		{"status words", `{"id":1,"status":"switchedToMessage"}`, func(t *testing.T, c *Chat) {
			if c.Status != StatusOfflineMessage {
				t.Errorf("%q", c.Status)
			}
		}},
		{"unknown live status is normal", `{"id":1,"status":"chatting"}`, func(t *testing.T, c *Chat) {
			if c.Status != StatusNormal {
				t.Errorf("%q", c.Status)
			}
		}},
		{"transcript items: enum types, notes, bots, html", `{"id":1,"agents":[{"id":7,"name":"Sam"},{"id":8,"name":"Ava","type":"bot"}],"name":"Jo",
			"chatTranscript":[
				{"time":"03/17/2020 03:29:09","sender":"Jo","type":"enumVisitor","content":"hi"},
				{"time":"03/17/2020 03:29:10","sender":"Sam","type":"agent","content":"<p>Hello &amp; welcome</p>"},
				{"time":"03/17/2020 03:29:11","sender":"Sam","type":"enumAgent","content":"psst","isNoteMessage":true},
				{"time":"03/17/2020 03:29:12","sender":"Ava","content":"beep"},
				{"sentTime":"2020-03-17T03:29:13Z","senderName":"Sam","senderType":"note","content":"n"},
				{"time":"","sender":"X","type":"chatbot","content":"c"},
				{"sender":"Jo","content":"who?"},
				{"sender":"","content":"sys"}]}`, func(t *testing.T, c *Chat) {
			want := []Message{
				{SentAt: start, SenderKind: SenderVisitor, SenderName: "Jo", Text: "hi"},
				{SentAt: start.Add(time.Second), SenderKind: SenderAgent, SenderID: "7", SenderName: "Sam", HTML: "<p>Hello &amp; welcome</p>"},
				{SentAt: start.Add(2 * time.Second), SenderKind: SenderAgent, SenderID: "7", SenderName: "Sam", Text: "psst", InternalNote: true},
				{SentAt: start.Add(3 * time.Second), SenderKind: SenderBot, SenderID: "8", SenderName: "Ava", Text: "beep"},
				{SentAt: start.Add(4 * time.Second), SenderKind: SenderAgent, SenderID: "7", SenderName: "Sam", Text: "n", InternalNote: true},
				{SenderKind: SenderBot, SenderName: "X", Text: "c"},
				{SenderKind: SenderVisitor, SenderName: "Jo", Text: "who?"},
				{SenderKind: SenderSystem, Text: "sys"},
			}
			if !reflect.DeepEqual(c.Messages, want) {
				t.Errorf("got  %+v\nwant %+v", c.Messages, want)
			}
		}},
		{"ticket-style messages with html and plain bodies and attachments", `{"id":1,"messages":[{"id":"m","sentByType":"contact","htmlBody":"<b>x</b>","plainBody":"x",
			"attachments":[{"guid":"g","fileName":"f.txt","url":"u"}],"attachmentName":"ignored"},{"type":"agent","body":"y","attachmentName":"a.png","isInternal":true}]}`, func(t *testing.T, c *Chat) {
			want := []Message{
				{ID: "m", SenderKind: SenderContact, HTML: "<b>x</b>", Text: "x", Attachments: []Attachment{{ID: "g", Name: "f.txt", URL: "u"}}},
				{SenderKind: SenderAgent, Text: "y", InternalNote: true, Attachments: []Attachment{{Name: "a.png", InternalNote: true}}},
			}
			if !reflect.DeepEqual(c.Messages, want) {
				t.Errorf("got  %+v\nwant %+v", c.Messages, want)
			}
		}},
		{"transcript string joined by ⊙, crossing midnight", `{"id":1,"name":"Ann","agents":"Walid","start_time":"/Date(1584489500000)/",
			"chat_transcript":"Agent Walid has joined the chat.⊙[23:59:59] Walid: Hi Ann\nsecond line⊙[00:00:01] Ann: a: b⊙[00:00:02] Ann:⊙[bad] x⊙The visitor has left the chat.⊙The chat is ended.(00:01:00)⊙"}`, func(t *testing.T, c *Chat) {
			day := time.Date(2020, 3, 17, 0, 0, 0, 0, time.UTC)
			want := []Message{
				{SenderKind: SenderSystem, Text: "Agent Walid has joined the chat."},
				{SentAt: day.Add(23*time.Hour + 59*time.Minute + 59*time.Second), SenderKind: SenderAgent, SenderName: "Walid", Text: "Hi Ann\nsecond line"},
				{SentAt: day.Add(24*time.Hour + time.Second), SenderKind: SenderVisitor, SenderName: "Ann", Text: "a: b"},
				{SentAt: day.Add(24*time.Hour + 2*time.Second), SenderKind: SenderSystem, Text: "Ann:"},
				{SenderKind: SenderSystem, Text: "[bad] x"},
				{SenderKind: SenderSystem, Text: "The visitor has left the chat."},
				{SentAt: day.Add(24*time.Hour + time.Minute), SenderKind: SenderSystem, Text: "The chat is ended."},
			}
			if !reflect.DeepEqual(c.Messages, want) {
				t.Errorf("got  %+v\nwant %+v", c.Messages, want)
			}
		}},
		{"transcript string with CRLF and full dates, no start", "{\"id\":1,\"transcript\":\"[2020-03-17 03:29:09] Bot: hi\\r\\n[03:29:10] Sam: yo\\r\\n\"}", func(t *testing.T, c *Chat) {
			want := []Message{
				{SentAt: start, SenderKind: SenderAgent, SenderName: "Bot", Text: "hi"},
				{SentAt: start.Add(time.Second), SenderKind: SenderAgent, SenderName: "Sam", Text: "yo"},
			}
			if !reflect.DeepEqual(c.Messages, want) {
				t.Errorf("got  %+v\nwant %+v", c.Messages, want)
			}
		}},
		{"clock times without any date are left unset", `{"id":1,"chat_transcript":"[10:00:00] Visitor: hi"}`, func(t *testing.T, c *Chat) {
			want := []Message{{SenderKind: SenderVisitor, SenderName: "Visitor", Text: "hi"}}
			if !reflect.DeepEqual(c.Messages, want) {
				t.Errorf("got  %+v\nwant %+v", c.Messages, want)
			}
		}},
		{"html content in a transcript string", `{"id":1,"chat_transcript":"[x] <b>hi</b>"}`, func(t *testing.T, c *Chat) {
			if len(c.Messages) != 1 || c.Messages[0].HTML != "[x] <b>hi</b>" {
				t.Errorf("%+v", c.Messages)
			}
		}},
		{"comments and snake times in the local zone", "{\n// sample\n\"id\":1,\"start_time\":\"2020-03-17 03:29:09\",\"end_time\":\"\"}", func(t *testing.T, c *Chat) {
			if !c.StartedAt.Equal(start) || !c.EndedAt.IsZero() {
				t.Errorf("%v %v", c.StartedAt, c.EndedAt)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Comm100Decoder{}.Chat([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestComm100Location(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	d := Comm100Decoder{Location: loc}
	c, err := d.Chat(fixture(t, "comm100-v2-chat-get.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2019, 1, 16, 1, 12, 45, 27e6, time.UTC); !c.StartedAt.Equal(want) {
		t.Errorf("StartedAt %v, want %v", c.StartedAt, want)
	}
	if want := time.Date(2019, 1, 16, 1, 12, 45, 0, time.UTC); !c.Messages[0].SentAt.Equal(want) {
		t.Errorf("message time %v, want %v", c.Messages[0].SentAt, want)
	}
	// Epoch times do not depend on the zone.
	w, err := d.Chat(fixture(t, "comm100-webhook-chat-object.fragment.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !w.StartedAt.Equal(time.Unix(1358453897, 0)) {
		t.Errorf("webhook start %v", w.StartedAt)
	}
	// Clock times in the transcript are read in the zone: 19:16:06 +08:00.
	if want := time.Date(2013, 1, 17, 11, 16, 6, 0, time.UTC); !w.Messages[1].SentAt.Equal(want) {
		t.Errorf("transcript time %v, want %v", w.Messages[1].SentAt, want)
	}
	ls, err := d.OfflineMessages(fixture(t, "comm100-v2-offline-messages-list.response.json"))
	if err != nil || !ls[0].StartedAt.Equal(time.Date(2019, 1, 4, 23, 17, 8, 89e7, time.UTC)) {
		t.Errorf("offline messages: %v %v", ls, err)
	}
}

func TestComm100Errors(t *testing.T) {
	tests := []struct {
		name string
		fn   func([]byte) error
		in   string
	}{
		{"chat: empty", chatErr, ""},
		{"chat: not an object", chatErr, `[1]`},
		{"chat: bad json", chatErr, `{"id":`},
		{"chat: bad start", chatErr, `{"id":1,"start_time":"soon"}`},
		{"chat: bad end", chatErr, `{"id":1,"endTime":"/Date(x)/"}`},
		{"chat: bad message time", chatErr, `{"id":1,"chatTranscript":[{"time":"13/45/2019"}]}`},
		{"chat: bad wrap-up time", chatErr, `{"id":1,"wrapup":{"time":"later"}}`},
		{"chat: list where a string", chatErr, `{"id":1,"attachments":"file.png"}`},
		{"chat: list is a number", chatErr, `{"id":1,"attachments":5}`},
		{"chat: fields are a number", chatErr, `{"id":1,"custom_fields":5}`},
		{"chat: bad inner chat", chatErr, `{"type":"Missed","chat":{"id":1,"requestTime":"?"}}`},
		{"chats: not a list", func(b []byte) error { _, err := Comm100Decoder{}.Chats(b); return err }, `{"total":1}`},
		{"chats: scalar", func(b []byte) error { _, err := Comm100Decoder{}.Chats(b); return err }, `7`},
		{"chats: bad item", func(b []byte) error { _, err := Comm100Decoder{}.Chats(b); return err }, `{"chats":[{"id":1,"endTime":"?"}]}`},
		{"chats: list not an array", func(b []byte) error { _, err := Comm100Decoder{}.Chats(b); return err }, `{"chats":{"id":1}}`},
		{"chats: empty", func(b []byte) error { _, err := Comm100Decoder{}.Chats(b); return err }, ` `},
		{"offline: empty", func(b []byte) error { _, err := Comm100Decoder{}.OfflineMessage(b); return err }, ``},
		{"offline: bad time", func(b []byte) error { _, err := Comm100Decoder{}.OfflineMessage(b); return err }, `{"time":"x"}`},
		{"offlines: bad item", func(b []byte) error { _, err := Comm100Decoder{}.OfflineMessages(b); return err }, `[{"time":"x"}]`},
		{"offlines: no list", func(b []byte) error { _, err := Comm100Decoder{}.OfflineMessages(b); return err }, `{}`},
		{"visitor: empty", func(b []byte) error { _, err := Comm100Decoder{}.Visitor(b); return err }, ``},
		{"visitor: array", func(b []byte) error { _, err := Comm100Decoder{}.Visitor(b); return err }, `[]`},
		{"agent: empty", func(b []byte) error { _, err := Comm100Decoder{}.Agent(b); return err }, ``},
		{"agent: string", func(b []byte) error { _, err := Comm100Decoder{}.Agent(b); return err }, `"x"`},
	}
	for _, tt := range tests {
		err := tt.fn([]byte(tt.in))
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: error %T %v, want *DecodeError", tt.name, err, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "cloudcx: decode comm100") {
			t.Errorf("%s: message %q", tt.name, err)
		}
	}
	de := &DecodeError{What: "x", Field: "f", Err: errors.New("e")}
	if de.Error() != `cloudcx: decode x field "f": e` || de.Unwrap().Error() != "e" {
		t.Errorf("%q", de.Error())
	}
}

func chatErr(b []byte) error { _, err := Comm100Decoder{}.Chat(b); return err }

func TestComm100Lists(t *testing.T) {
	cs, err := Comm100Decoder{}.Chats([]byte(`[{"id":1},{"type":"Missed","chat":{"id":2}}]`))
	if err != nil || len(cs) != 2 || cs[1].Status != StatusMissed {
		t.Errorf("bare array: %+v %v", cs, err)
	}
	cs, err = Comm100Decoder{}.Chats([]byte(`{"chats":null}`))
	if err != nil || len(cs) != 0 {
		t.Errorf("null list: %+v %v", cs, err)
	}
}

func TestComm100ClockAtTheEndOfTime(t *testing.T) {
	c, err := Comm100Decoder{}.Chat([]byte(`{"id":1,"start_time":"9999-12-31T23:00:00Z","chat_transcript":"[00:30:00] A: x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Messages[0].SentAt.IsZero() {
		t.Errorf("SentAt %v", c.Messages[0].SentAt)
	}
	if _, err := json.Marshal(c); err != nil {
		t.Error(err)
	}
}

// TestEveryFixtureIsAsserted fails when a vendor sample is added to
// testdata without a test that asserts what it decodes to.
func TestEveryFixtureIsAsserted(t *testing.T) {
	assertedBy := map[string]string{
		"comm100-v2-chat-get.response.json":                    "TestComm100ChatGet, TestComm100Location",
		"comm100-v2-chats-list.response.json":                  "TestComm100ChatsList",
		"comm100-v2-livechat-agent-get.response.json":          "TestComm100AgentGet",
		"comm100-v2-missed-refused-chats.response.json":        "TestComm100MissedRefused",
		"comm100-v2-offline-messages-list.response.json":       "TestComm100OfflineMessagesList, TestComm100Location",
		"comm100-v2-visitor-get.response.json":                 "TestComm100VisitorGet",
		"comm100-webhook-chat-object.fragment.json":            "TestComm100WebhookChat, TestDecodeWebhookComm100",
		"comm100-webhook-offline-message-object.fragment.json": "TestComm100WebhookOfflineMessage, TestDecodeWebhookComm100",
		"comm100-webhook-visitor-object.fragment.json":         "TestComm100WebhookVisitor, TestDecodeWebhookComm100",
	}
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(fixture(t, "README.md"))
	for _, p := range paths {
		name := filepath.Base(p)
		if assertedBy[name] == "" {
			t.Errorf("%s: no test asserts its values", name)
		}
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("%s: not listed in testdata/README.md", name)
		}
	}
	if len(paths) != len(assertedBy) {
		t.Errorf("%d fixtures, %d listed here", len(paths), len(assertedBy))
	}
}
