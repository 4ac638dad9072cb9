package cloudcx

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Comm100Decoder decodes the Comm100-style payloads CloudCX inherited
// (Comm100 Live Chat API v2 responses and webhook objects) into the SDK's
// models. It is lenient about the quirks of the published samples:
//
//   - trailing commas, // and /* */ comments, a byte order mark, and member
//     fragments such as `"chat": {…}` (wrapped and unwrapped);
//   - camelCase and snake_case spellings of the same member
//     (customVariables, custom_variables, custom_variable, customVariable;
//     start_time, startTime, requestTime; …);
//   - ids as numbers or strings (GUIDs);
//   - members that are an object in one sample and an array in another
//     (attachment, agents, wrap-up categories) or a plain string (agents
//     "henry, anna");
//   - times as .NET "/Date(ms)/" (seconds or milliseconds by magnitude, an
//     optional ±hhmm offset), bare epoch numbers, RFC 3339, zone-less ISO
//     times and "MM/dd/yyyy HH:mm:ss" (zone-less times are read in Location);
//   - the transcript as an array of messages or as one string whose lines
//     are joined by "⊙" (or by newlines, real or written as the two
//     characters `\n`), each line "[HH:mm:ss] Sender: text" or a bare
//     system sentence, times of day being placed on the day nearest the
//     chat's start and moving forward past midnight;
//   - "-1", "" and "noRating" ratings, "levelN" grades, message types
//     spelled "enumSystem", agents named by display_name or displayName.
//
// Members the models do not carry (waiting time, browser, page views, …)
// are ignored. The zero Comm100Decoder reads zone-less times in UTC.
// A Comm100Decoder never panics; malformed input gives a *DecodeError.
type Comm100Decoder struct {
	// Location is the time zone of zone-less times; nil means UTC.
	Location *time.Location
}

// Chat decodes one chat: a Comm100 API v2 chat object, a webhook "chat"
// object (bare or as a `"chat": {…}` fragment), or a missed/refused list
// item `{"type": "Missed", "chat": {…}}`. Channel is ChannelWebChat.
func (d Comm100Decoder) Chat(data []byte) (*Chat, error) {
	return decodeOne("comm100 chat", data, d.chatItem, "chat")
}

// Chats decodes a chat list: a Comm100 "get chats" response ({"chats":
// […]}), a missed and refused chats response ({"missedAndRefusedChats":
// [{"type", "chat"}]}), or a bare array of chats.
func (d Comm100Decoder) Chats(data []byte) ([]Chat, error) {
	return decodeList("comm100 chats", data, deref(d.chatItem), "chats", "missedAndRefusedChats", "data")
}

// OfflineMessage decodes one offline message (an API v2 offline message
// or a webhook "offline_message" object) into a Chat with Channel
// ChannelOfflineMessage, Status StatusOfflineMessage, EndedAt equal to
// StartedAt and one visitor message holding the content and attachments.
func (d Comm100Decoder) OfflineMessage(data []byte) (*Chat, error) {
	return decodeOne("comm100 offline message", data, d.offlineItem, "offline_message", "offlineMessage")
}

// OfflineMessages decodes an offline message list ({"offlineMessages":
// […]} or a bare array).
func (d Comm100Decoder) OfflineMessages(data []byte) ([]Chat, error) {
	return decodeList("comm100 offline messages", data, deref(d.offlineItem), "offlineMessages", "offline_messages", "data")
}

// Visitor decodes a visitor (an API v2 visitor or a webhook "visitor"
// object).
func (d Comm100Decoder) Visitor(data []byte) (*Visitor, error) {
	return decodeOne("comm100 visitor", data, func(obj []byte) (*Visitor, error) {
		var r rawVisitor
		if err := unmarshalObject(obj, &r); err != nil {
			return nil, err
		}
		v := r.visitor()
		return &v, nil
	}, "visitor")
}

// Agent decodes an agent: a chat's agent entry ({id, name or display_name,
// email}), an account agent ({id, displayName, firstName, lastName, email})
// or a Live Chat agent status ({id, status, …}, which gives only the id).
func (d Comm100Decoder) Agent(data []byte) (*Agent, error) {
	return decodeOne("comm100 agent", data, func(obj []byte) (*Agent, error) {
		var r rawAgent
		if err := unmarshalObject(obj, &r); err != nil {
			return nil, err
		}
		a := r.agent()
		return &a, nil
	}, "agent")
}

// decodeOne decodes data, an object or a member fragment named one of
// names (`"chat": {…}`), with item; failures are a *DecodeError about what.
func decodeOne[T any](what string, data []byte, item func([]byte) (*T, error), names ...string) (*T, error) {
	clean := lenientJSON(data)
	if len(clean) == 0 {
		return nil, &DecodeError{What: what, Err: errors.New("empty input")}
	}
	v, err := item(unwrapMember(clean, names...))
	if err != nil {
		return nil, &DecodeError{What: what, Err: err}
	}
	return v, nil
}

// decodeList decodes each element of a list (see listItems) with item;
// failures are a *DecodeError about what, naming the element.
func decodeList[T any](what string, data []byte, item func([]byte) (T, error), keys ...string) ([]T, error) {
	items, err := listItems(data, keys...)
	if err != nil {
		return nil, &DecodeError{What: what, Err: err}
	}
	out := make([]T, 0, len(items))
	for i, it := range items {
		v, err := item(it)
		if err != nil {
			return nil, &DecodeError{What: what, Field: fmt.Sprintf("[%d]", i), Err: err}
		}
		out = append(out, v)
	}
	return out, nil
}

// deref turns a decoder of *T into one of T.
func deref[T any](item func([]byte) (*T, error)) func([]byte) (T, error) {
	return func(b []byte) (T, error) {
		p, err := item(b)
		if err != nil {
			var zero T
			return zero, err
		}
		return *p, nil
	}
}

// listItems returns the elements of a bare array, or of the first of keys
// found in an object.
func listItems(data []byte, keys ...string) ([]json.RawMessage, error) {
	clean := lenientJSON(data)
	if len(clean) == 0 {
		return nil, errors.New("empty input")
	}
	var items []json.RawMessage
	switch clean[0] {
	case '[':
		if err := json.Unmarshal(clean, &items); err != nil {
			return nil, err
		}
	case '{':
		m, err := members(clean)
		if err != nil {
			return nil, err
		}
		found := false
		for _, k := range keys {
			if v, ok := member(m, k); ok {
				found = true
				if isNull(v) {
					break
				}
				if err := json.Unmarshal(v, &items); err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("no list member (%s)", strings.Join(keys, ", "))
		}
	default:
		return nil, errors.New("not a JSON array or object")
	}
	return items, nil
}

func unmarshalObject(b []byte, v any) error {
	if !isObject(b) {
		return errors.New("not a JSON object")
	}
	return json.Unmarshal(b, v)
}

type rawAgent struct {
	ID          flexString `json:"id"`
	AgentID     flexString `json:"agentId"`
	Name        flexString `json:"name"`
	DisplayName flexString `json:"displayName"`
	DisplaySnk  flexString `json:"display_name"`
	FirstName   flexString `json:"firstName"`
	LastName    flexString `json:"lastName"`
	Email       flexString `json:"email"`
	Type        flexString `json:"type"`
	IsBot       *bool      `json:"isBot"`
	IsBotSnk    *bool      `json:"is_bot"`
}

func (r rawAgent) agent() Agent {
	name := firstNonEmpty(r.Name.String(), r.DisplayName.String(), r.DisplaySnk.String(),
		strings.TrimSpace(r.FirstName.String()+" "+r.LastName.String()))
	t := strings.ToLower(r.Type.String())
	bot := t == "bot" || t == "chatbot"
	if r.IsBot != nil {
		bot = *r.IsBot
	} else if r.IsBotSnk != nil {
		bot = *r.IsBotSnk
	}
	return Agent{ID: firstNonEmpty(r.ID.String(), r.AgentID.String()), Name: name, Email: r.Email.String(), IsBot: bot}
}

// flexAgents accepts an array of agent objects or names, one agent object,
// a comma-separated string of names, or null.
type flexAgents []Agent

func (l *flexAgents) UnmarshalJSON(b []byte) error {
	var items []json.RawMessage
	switch c := firstByte(b); c {
	case '[':
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
	case '{', '"':
		items = []json.RawMessage{b}
	case 'n', 0:
		*l = nil
		return nil
	default: // a bare id
		items = []json.RawMessage{b}
	}
	var out []Agent
	for _, it := range items {
		switch firstByte(it) {
		case '{':
			var r rawAgent
			if err := json.Unmarshal(it, &r); err != nil {
				return err
			}
			if a := r.agent(); agentKey(a) != "" {
				out = append(out, a)
			}
		case '"':
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return err
			}
			for _, n := range strings.Split(s, ",") {
				if n = strings.TrimSpace(n); n != "" {
					out = append(out, Agent{Name: n})
				}
			}
		case 'n', 0:
		default:
			var id flexString
			if err := id.UnmarshalJSON(it); err != nil {
				return err
			}
			if id.String() != "" {
				out = append(out, Agent{ID: id.String()})
			}
		}
	}
	*l = out
	return nil
}

func firstByte(b []byte) byte {
	for _, c := range b {
		if !isJSONSpace(c) {
			return c
		}
	}
	return 0
}

type rawAttachment struct {
	ID          flexString `json:"id"`
	GUID        flexString `json:"guid"`
	Name        flexString `json:"name"`
	FileName    flexString `json:"fileName"`
	URI         flexString `json:"uri"`
	URL         flexString `json:"url"`
	FileURL     flexString `json:"fileURL"`
	MIME        flexString `json:"mimeType"`
	MIMESnk     flexString `json:"mime_type"`
	ContentType flexString `json:"contentType"`
	Size        flexString `json:"size"`
	FileSize    flexString `json:"fileSize"`
	IsAvailable *bool      `json:"isAvailable"`
}

func (r rawAttachment) attachment(note bool) (Attachment, bool) {
	a := Attachment{
		ID:           firstNonEmpty(r.ID.String(), r.GUID.String()),
		Name:         firstNonEmpty(r.Name.String(), r.FileName.String()),
		URL:          firstNonEmpty(r.URI.String(), r.URL.String(), r.FileURL.String()),
		MIMEType:     firstNonEmpty(r.MIME.String(), r.MIMESnk.String(), r.ContentType.String()),
		Size:         parseSize(firstNonEmpty(r.Size.String(), r.FileSize.String())),
		InternalNote: note,
	}
	if r.IsAvailable != nil && !*r.IsAvailable {
		a.Unavailable = true
	}
	return a, a.ID != "" || a.Name != "" || a.URL != ""
}

func attachments(note bool, lists ...flexList[rawAttachment]) []Attachment {
	var out []Attachment
	for _, l := range lists {
		for _, r := range l {
			if a, ok := r.attachment(note); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

type rawMessage struct {
	ID            flexString              `json:"id"`
	Time          flexTime                `json:"time"`
	SentTime      flexTime                `json:"sentTime"`
	SentTimeSnk   flexTime                `json:"sent_time"`
	Sender        flexString              `json:"sender"`
	SenderName    flexString              `json:"senderName"`
	SenderNameSnk flexString              `json:"sender_name"`
	SenderID      flexString              `json:"senderId"`
	SentByID      flexString              `json:"sentById"`
	Type          flexString              `json:"type"`
	SenderType    flexString              `json:"senderType"`
	SenderTypeSnk flexString              `json:"sender_type"`
	SentByType    flexString              `json:"sentByType"`
	Content       flexString              `json:"content"`
	Text          flexString              `json:"text"`
	Body          flexString              `json:"body"`
	HTMLBody      flexString              `json:"htmlBody"`
	PlainBody     flexString              `json:"plainBody"`
	IsNote        *bool                   `json:"isNoteMessage"`
	IsNoteSnk     *bool                   `json:"is_note_message"`
	IsInternal    *bool                   `json:"isInternal"`
	Attachments   flexList[rawAttachment] `json:"attachments"`
	Attachment    flexList[rawAttachment] `json:"attachment"`
	AttachName    flexString              `json:"attachmentName"`
}

// flexTranscript is a transcript as an array of messages or as one string.
type flexTranscript struct {
	items []rawMessage
	text  string
	set   bool
}

func (t *flexTranscript) UnmarshalJSON(b []byte) error {
	switch firstByte(b) {
	case '[', '{':
		var l flexList[rawMessage]
		if err := l.UnmarshalJSON(b); err != nil {
			return err
		}
		t.items, t.set = l, true
	case '"':
		if err := json.Unmarshal(b, &t.text); err != nil {
			return err
		}
		t.set = true
	}
	return nil
}

type rawWrapUp struct {
	Category        flexStrings `json:"category"`
	Categories      flexStrings `json:"categories"`
	Categorys       flexStrings `json:"categorys"`
	CategoryList    flexStrings `json:"categoryList"`
	Comment         flexString  `json:"comment"`
	Fields          flexFields  `json:"fields"`
	FieldValues     flexFields  `json:"fieldValues"`
	CustomFields    flexFields  `json:"customFields"`
	Time            flexTime    `json:"time"`
	SubmitTime      flexTime    `json:"submitTime"`
	LastUpdatedTime flexTime    `json:"lastUpdatedTime"`
	AgentID         flexString  `json:"agentId"`
	LastUpdatedBy   flexString  `json:"lastUpdatedByAgentId"`
	LastUpdatedBy2  flexString  `json:"lastUpdatedBy"`
}

func (d Comm100Decoder) wrapUp(r *rawWrapUp) (*WrapUp, error) {
	if r == nil {
		return nil, nil
	}
	w := &WrapUp{Comment: r.Comment.String()}
	for _, l := range []flexStrings{r.Categories, r.Categorys, r.CategoryList, r.Category} {
		w.Categories = append(w.Categories, l...)
	}
	w.Fields = append(append(append(w.Fields, r.Fields...), r.FieldValues...), r.CustomFields...)
	w.AgentID = firstNonEmpty(r.AgentID.String(), r.LastUpdatedBy.String(), r.LastUpdatedBy2.String())
	t, err := d.time("wrapup.time", r.Time, r.SubmitTime, r.LastUpdatedTime)
	if err != nil {
		return nil, err
	}
	w.SubmittedAt = t
	if len(w.Categories) == 0 && w.Comment == "" && len(w.Fields) == 0 && w.AgentID == "" && t.IsZero() {
		return nil, nil
	}
	return w, nil
}

type rawPostChat struct {
	RatingGrade   flexString `json:"ratingGrade"`
	Rating        flexString `json:"rating"`
	Score         flexString `json:"score"`
	RatingComment flexString `json:"ratingComment"`
	Comment       flexString `json:"comment"`
	Fields        flexFields `json:"fields"`
	FieldValues   flexFields `json:"fieldValues"`
}

// ratingScore reads "3", "level3", "-1", "noRating", "": a score 1..5, or 0.
func ratingScore(s string) int {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "level")
	n := atoiDefault(s, 0)
	if n < 1 || n > 5 {
		return 0
	}
	return n
}

func rating(score int, comment string, fields Fields) *Rating {
	if score == 0 && comment == "" && len(fields) == 0 {
		return nil
	}
	return &Rating{Score: score, Comment: comment, Fields: fields}
}

type rawVisitor struct {
	ID              flexString `json:"id"`
	VisitorID       flexString `json:"visitorId"`
	ContactID       flexString `json:"contactId"`
	SSOUserID       flexString `json:"ssoUserId"`
	SSOID           flexString `json:"ssoId"`
	Name            flexString `json:"name"`
	ContactName     flexString `json:"contactName"`
	FirstName       flexString `json:"firstName"`
	FirstNameSnk    flexString `json:"first_name"`
	LastName        flexString `json:"lastName"`
	LastNameSnk     flexString `json:"last_name"`
	Email           flexString `json:"email"`
	Mail            flexString `json:"mail"`
	Phone           flexString `json:"phone"`
	OfficePhone     flexString `json:"officePhone"`
	CellPhone       flexString `json:"cellPhone"`
	CellPhoneSnk    flexString `json:"cell_phone"`
	Company         flexString `json:"company"`
	CompanyName     flexString `json:"companyName"`
	IP              flexString `json:"ip"`
	Street          flexString `json:"street"`
	City            flexString `json:"city"`
	State           flexString `json:"state"`
	Province        flexString `json:"province"`
	ZipCode         flexString `json:"zipCode"`
	Country         flexString `json:"country"`
	TimeZone        flexString `json:"time_zone"`
	TimeZone2       flexString `json:"timeZone"`
	CustomFields    flexFields `json:"custom_fields"`
	CustomFields2   flexFields `json:"customFields"`
	CustomVariables flexFields `json:"custom_variables"`
	CustomVars2     flexFields `json:"customVariables"`
	CustomVariable  flexFields `json:"custom_variable"`
	CustomVar2      flexFields `json:"customVariable"`
	Location        *struct {
		IP      flexString `json:"ip"`
		City    flexString `json:"city"`
		State   flexString `json:"state"`
		Country flexString `json:"country"`
	} `json:"location"`
}

func (r *rawVisitor) visitor() Visitor {
	v := Visitor{
		ID:        firstNonEmpty(r.ID.String(), r.VisitorID.String()),
		ContactID: r.ContactID.String(),
		SSOUserID: firstNonEmpty(r.SSOUserID.String(), r.SSOID.String()),
		Name:      firstNonEmpty(r.Name.String(), r.ContactName.String()),
		FirstName: firstNonEmpty(r.FirstName.String(), r.FirstNameSnk.String()),
		LastName:  firstNonEmpty(r.LastName.String(), r.LastNameSnk.String()),
		Email:     firstNonEmpty(r.Email.String(), r.Mail.String()),
		Phone:     firstNonEmpty(r.Phone.String(), r.OfficePhone.String()),
		CellPhone: firstNonEmpty(r.CellPhone.String(), r.CellPhoneSnk.String()),
		Company:   firstNonEmpty(r.Company.String(), r.CompanyName.String()),
		Location: Location{
			IP:         r.IP.String(),
			Street:     r.Street.String(),
			City:       r.City.String(),
			State:      firstNonEmpty(r.State.String(), r.Province.String()),
			PostalCode: r.ZipCode.String(),
			Country:    r.Country.String(),
			TimeZone:   firstNonEmpty(r.TimeZone.String(), r.TimeZone2.String()),
		},
		CustomFields:    concatFields(r.CustomFields, r.CustomFields2),
		CustomVariables: concatFields(r.CustomVariables, r.CustomVars2, r.CustomVariable, r.CustomVar2),
	}
	if l := r.Location; l != nil {
		v.Location.IP = firstNonEmpty(v.Location.IP, l.IP.String())
		v.Location.City = firstNonEmpty(v.Location.City, l.City.String())
		v.Location.State = firstNonEmpty(v.Location.State, l.State.String())
		v.Location.Country = firstNonEmpty(v.Location.Country, l.Country.String())
	}
	return v
}

func concatFields(lists ...flexFields) Fields {
	var out Fields
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// rawChat is a chat or offline message in any of the Comm100 spellings.
type rawChat struct {
	rawVisitor
	ID              flexString              `json:"id"`
	SessionID       flexString              `json:"sessionId"`
	SessionIDSnk    flexString              `json:"session_id"`
	ChatID          flexString              `json:"chatId"`
	VisitorIDSnk    flexString              `json:"visitor_id"`
	PreChatName     flexString              `json:"preChatName"`
	PreChatEmail    flexString              `json:"preChatEmail"`
	PreChatPhone    flexString              `json:"preChatPhone"`
	PreChatCompany  flexString              `json:"preChatCompany"`
	Department      flexString              `json:"department"`
	DepartmentName  flexString              `json:"departmentName"`
	Subject         flexString              `json:"subject"`
	Agents          flexAgents              `json:"agents"`
	Operators       flexAgents              `json:"operators"`
	Agent           flexAgents              `json:"agent"`
	PrechatFields   flexFields              `json:"prechatFields"`
	Fields          flexFields              `json:"fields"`
	RequestTime     flexTime                `json:"requestTime"`
	RequestedTime   flexTime                `json:"requestedTime"`
	StartTime       flexTime                `json:"startTime"`
	StartTimeSnk    flexTime                `json:"start_time"`
	Time            flexTime                `json:"time"`
	EndTime         flexTime                `json:"endTime"`
	EndTimeSnk      flexTime                `json:"end_time"`
	ChatTranscript  flexTranscript          `json:"chatTranscript"`
	TranscriptSnk   flexTranscript          `json:"chat_transcript"`
	Messages        flexTranscript          `json:"messages"`
	Transcript      flexTranscript          `json:"transcript"`
	Content         flexString              `json:"content"`
	Attachments     flexList[rawAttachment] `json:"attachments"`
	Attachment      flexList[rawAttachment] `json:"attachment"`
	NoteAttachments flexList[rawAttachment] `json:"noteAttachments"`
	PostChat        *rawPostChat            `json:"postChat"`
	Rating          flexString              `json:"rating"`
	RatingGrade     flexString              `json:"ratingGrade"`
	RatingComment   flexString              `json:"ratingComment"`
	RatingCommSnk   flexString              `json:"rating_comment"`
	WrapUp          *rawWrapUp              `json:"wrapup"`
	WrapUpSnk       *rawWrapUp              `json:"wrap_up"`
	AgentWrapUp     *rawWrapUp              `json:"agentWrapUp"`
	AgentComment    flexString              `json:"agentComment"`
	AgentCommSnk    flexString              `json:"agent_comment"`
	OperatorComment flexString              `json:"operatorComment"`
	OperatorCommSnk flexString              `json:"operator_comment"`
	Status          flexString              `json:"status"`
	Type            flexString              `json:"type"`
	Chat            json.RawMessage         `json:"chat"`
}

func (r *rawChat) agents() []Agent {
	var out []Agent
	seen := make(map[string]bool)
	for _, l := range []flexAgents{r.Agents, r.Operators, r.Agent} {
		for _, a := range l {
			if k := agentKey(a); !seen[k] {
				seen[k] = true
				out = append(out, a)
			}
		}
	}
	return out
}

func (d Comm100Decoder) loc() *time.Location {
	if d.Location == nil {
		return time.UTC
	}
	return d.Location
}

// time parses the first non-empty of ts.
func (d Comm100Decoder) time(field string, ts ...flexTime) (time.Time, error) {
	for _, t := range ts {
		if t == "" {
			continue
		}
		v, err := parseTime(string(t), d.loc())
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: %w", field, err)
		}
		return v, nil
	}
	return time.Time{}, nil
}

// chatItem decodes a chat object, or a {"type", "chat"} list item.
func (d Comm100Decoder) chatItem(obj []byte) (*Chat, error) {
	var r rawChat
	if err := unmarshalObject(obj, &r); err != nil {
		return nil, err
	}
	if isObject(r.Chat) && r.ID == "" {
		// One level only: each level would parse and copy the rest again.
		var inner rawChat
		if err := unmarshalObject(r.Chat, &inner); err != nil {
			return nil, fmt.Errorf("chat: %w", err)
		}
		c, err := d.chat(&inner)
		if err != nil {
			return nil, fmt.Errorf("chat: %w", err)
		}
		if s := chatStatus(r.Type.String()); s != "" {
			c.Status = s
		}
		return c, nil
	}
	return d.chat(&r)
}

// chat decodes a chat object read into r.
func (d Comm100Decoder) chat(r *rawChat) (*Chat, error) {
	c := &Chat{}
	c.Channel = ChannelWebChat
	c.Status = StatusNormal
	if err := d.fill(r, c); err != nil {
		return nil, err
	}
	if s := chatStatus(firstNonEmpty(r.Status.String(), r.Type.String())); s != "" {
		c.Status = s
	}
	return c, nil
}

func (d Comm100Decoder) offlineItem(obj []byte) (*Chat, error) {
	var r rawChat
	if err := unmarshalObject(obj, &r); err != nil {
		return nil, err
	}
	c := &Chat{}
	c.Channel = ChannelOfflineMessage
	c.Status = StatusOfflineMessage
	// Attachments of an offline message belong to its one message.
	files := attachments(false, r.Attachments, r.Attachment)
	r.Attachments, r.Attachment = nil, nil
	if err := d.fill(&r, c); err != nil {
		return nil, err
	}
	if c.EndedAt.IsZero() {
		c.EndedAt = c.StartedAt
	}
	if content := r.Content.String(); content != "" || len(files) > 0 {
		m := Message{SentAt: c.StartedAt, SenderKind: SenderVisitor, SenderName: c.Visitor.DisplayName(), SenderID: c.Visitor.ID}
		setContent(&m, string(r.Content))
		m.Attachments = files
		c.Messages = append(c.Messages, m)
	}
	return c, nil
}

// fill sets what chats and offline messages share.
func (d Comm100Decoder) fill(r *rawChat, c *Chat) error {
	c.ID = firstNonEmpty(r.ID.String(), r.ChatID.String())
	c.SessionID = firstNonEmpty(r.SessionID.String(), r.SessionIDSnk.String())
	v := r.visitor()
	v.ID = firstNonEmpty(r.VisitorID.String(), r.VisitorIDSnk.String())
	v.Name = firstNonEmpty(v.Name, r.PreChatName.String())
	v.Email = firstNonEmpty(v.Email, r.PreChatEmail.String())
	v.Phone = firstNonEmpty(v.Phone, r.PreChatPhone.String())
	v.Company = firstNonEmpty(v.Company, r.PreChatCompany.String())
	// A chat's custom fields and variables are the chat's, not the visitor's.
	c.CustomFields = concatFields(r.PrechatFields, flexFields(v.CustomFields), r.Fields)
	c.CustomVariables = v.CustomVariables
	v.CustomFields, v.CustomVariables = nil, nil
	c.Visitor = v
	c.Department = firstNonEmpty(r.Department.String(), r.DepartmentName.String())
	if c.Department == "-1" {
		c.Department = ""
	}
	c.Subject = r.Subject.String()
	c.Agents = r.agents()

	var err error
	if c.StartedAt, err = d.time("start_time", r.StartTime, r.StartTimeSnk, r.RequestTime, r.RequestedTime, r.Time); err != nil {
		return err
	}
	if c.EndedAt, err = d.time("end_time", r.EndTime, r.EndTimeSnk); err != nil {
		return err
	}
	if c.Messages, err = d.messages(r, &c.Thread, ""); err != nil {
		return err
	}
	c.Attachments = append(attachments(false, r.Attachments, r.Attachment), attachments(true, r.NoteAttachments)...)

	score, comment := ratingScore(firstNonEmpty(r.RatingGrade.String(), r.Rating.String())), firstNonEmpty(r.RatingComment.String(), r.RatingCommSnk.String())
	var fields Fields
	if p := r.PostChat; p != nil {
		score = max(score, ratingScore(firstNonEmpty(p.RatingGrade.String(), p.Rating.String(), p.Score.String())))
		comment = firstNonEmpty(comment, p.RatingComment.String(), p.Comment.String())
		fields = concatFields(p.Fields, p.FieldValues)
	}
	c.Rating = rating(score, comment, fields)

	for _, w := range []*rawWrapUp{r.WrapUp, r.WrapUpSnk, r.AgentWrapUp} {
		if w == nil {
			continue
		}
		if c.WrapUp, err = d.wrapUp(w); err != nil {
			return err
		}
		if c.WrapUp != nil {
			break
		}
	}
	if n := firstNonEmpty(r.AgentComment.String(), r.AgentCommSnk.String(), r.OperatorComment.String(), r.OperatorCommSnk.String()); n != "" {
		c.Notes = []Note{{Text: n}}
	}
	return nil
}

// chatStatus maps Comm100 status spellings to a Status, or "".
func chatStatus(s string) Status {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "normal", "0":
		return StatusNormal
	case "refused", "agentrefused", "1":
		return StatusRefused
	case "missed", "2":
		return StatusMissed
	case "offlinemessage", "offline_message", "switchedtomessage", "3":
		return StatusOfflineMessage
	}
	return ""
}

// messages decodes the transcript of r; def is the sender kind of messages
// whose kind cannot be told (the decoder guesses otherwise).
func (d Comm100Decoder) messages(r *rawChat, t *Thread, def SenderKind) ([]Message, error) {
	for _, tr := range []flexTranscript{r.ChatTranscript, r.TranscriptSnk, r.Messages, r.Transcript} {
		if !tr.set {
			continue
		}
		s := senders{visitor: t.Visitor.DisplayName(), agents: newAgentIndex(t.Agents), def: def}
		if tr.items != nil {
			return d.itemMessages(tr.items, s)
		}
		if strings.TrimSpace(tr.text) != "" {
			return d.textMessages(tr.text, firstTime(t.StartedAt, t.EndedAt), s), nil
		}
	}
	return nil, nil
}

func (d Comm100Decoder) itemMessages(items []rawMessage, s senders) ([]Message, error) {
	out := make([]Message, 0, len(items))
	for i := range items {
		r := &items[i]
		at, err := d.time(fmt.Sprintf("transcript[%d].time", i), r.Time, r.SentTime, r.SentTimeSnk)
		if err != nil {
			return nil, err
		}
		m := Message{ID: r.ID.String(), SentAt: at,
			SenderName: firstNonEmpty(r.SenderName.String(), r.SenderNameSnk.String(), r.Sender.String()),
			SenderID:   firstNonEmpty(r.SenderID.String(), r.SentByID.String()),
		}
		kind := strings.ToLower(firstNonEmpty(r.SenderType.String(), r.SenderTypeSnk.String(), r.SentByType.String(), r.Type.String()))
		kind = strings.TrimPrefix(kind, "enum")
		switch kind {
		case "system":
			m.SenderKind = SenderSystem
		case "visitor":
			m.SenderKind = SenderVisitor
		case "contact":
			m.SenderKind = SenderContact
		case "agent", "operator":
			m.SenderKind = SenderAgent
		case "bot", "chatbot":
			m.SenderKind = SenderBot
		case "note":
			m.SenderKind = SenderAgent
			m.InternalNote = true
		default:
			m.SenderKind = s.guess(m.SenderName)
		}
		for _, b := range []*bool{r.IsNote, r.IsNoteSnk, r.IsInternal} {
			if b != nil && *b {
				m.InternalNote = true
			}
		}
		if m.SenderKind == SenderAgent || m.SenderKind == SenderBot {
			if a, ok := s.agents.match(m.SenderID, m.SenderName); ok {
				m.SenderID = a.ID
				if a.IsBot {
					m.SenderKind = SenderBot
				}
			}
		}
		if h := r.HTMLBody.String(); h != "" {
			m.HTML = string(r.HTMLBody)
			m.Text = string(r.PlainBody)
		} else {
			setContent(&m, firstNonEmpty(string(r.Content), string(r.Text), string(r.Body), string(r.PlainBody)))
		}
		m.Attachments = attachments(m.InternalNote, r.Attachments, r.Attachment)
		if n := r.AttachName.String(); n != "" && len(m.Attachments) == 0 {
			m.Attachments = []Attachment{{Name: n, InternalNote: m.InternalNote}}
		}
		out = append(out, m)
	}
	return out, nil
}

// textMessages splits a transcript string into messages; ref is the
// chat's start (or end), the day clock times are placed on.
func (d Comm100Decoder) textMessages(text string, ref time.Time, s senders) []Message {
	var lines []string
	if strings.Contains(text, "⊙") {
		lines = strings.Split(text, "⊙")
	} else {
		text = strings.ReplaceAll(text, "\r\n", "\n")
		text = strings.ReplaceAll(text, `\n`, "\n")
		lines = strings.Split(text, "\n")
	}
	loc := d.loc()
	var out []Message
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		m := Message{SenderKind: SenderSystem}
		var clock string
		text := line
		if strings.HasPrefix(line, "[") {
			if end := strings.IndexByte(line, ']'); end > 0 {
				clock, text = line[1:end], strings.TrimSpace(line[end+1:])
				if name, rest, ok := strings.Cut(text, ": "); ok && name != "" {
					m.SenderName = strings.TrimSpace(name)
					m.SenderKind = s.guess(m.SenderName)
					text = rest
					if a, ok := s.agents.match("", m.SenderName); ok && m.SenderKind != SenderVisitor {
						m.SenderID = a.ID
						if a.IsBot {
							m.SenderKind = SenderBot
						}
					}
				}
			}
		} else if strings.HasSuffix(line, ")") {
			// "The chat is ended.(03:36:59)"
			if open := strings.LastIndexByte(line, '('); open >= 0 {
				if _, _, _, ok := parseClock(line[open+1 : len(line)-1]); ok {
					clock, text = line[open+1:len(line)-1], strings.TrimSpace(line[:open])
				}
			}
		}
		if clock != "" {
			if h, mi, sec, ok := parseClock(clock); ok {
				if at := atClock(ref, h, mi, sec, loc); !ref.IsZero() && jsonSafeTime(at) {
					m.SentAt = at
					ref = at
				}
			} else if at, err := parseTime(clock, loc); err == nil {
				m.SentAt = at
				ref = at
			} else {
				text = line // not a time: keep the line as it was
				m.SenderKind, m.SenderName, m.SenderID = SenderSystem, "", ""
			}
		}
		setContent(&m, text)
		out = append(out, m)
	}
	return out
}

// senders tells who sent the messages of one transcript.
type senders struct {
	visitor string // the visitor's display name
	agents  *agentIndex
	// def is the kind of senders that cannot be told, "" to guess.
	def SenderKind
}

// guess tells a transcript sender's kind by name: the visitor's name gives
// SenderVisitor, an agent's name an agent (or bot); other names give def,
// or SenderAgent when def is empty (transcripts name agents by display
// names that the agent list may spell otherwise).
func (s senders) guess(name string) SenderKind {
	def := s.def
	name = strings.TrimSpace(name)
	if name == "" {
		if def != "" {
			return def
		}
		return SenderSystem
	}
	if def == "" && s.visitor != "" && strings.EqualFold(s.visitor, name) {
		return SenderVisitor
	}
	if a, ok := s.agents.match("", name); ok {
		if a.IsBot {
			return SenderBot
		}
		return SenderAgent
	}
	if def != "" {
		return def
	}
	if strings.EqualFold(name, "visitor") {
		return SenderVisitor
	}
	return SenderAgent
}

// setContent stores s as HTML when it contains markup, else as text.
func setContent(m *Message, s string) {
	if looksLikeHTML(s) {
		m.HTML = s
		return
	}
	m.Text = s
}

// looksLikeHTML reports whether s holds a tag ("<p", "</", "<br", "<!--").
func looksLikeHTML(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		c := s[i+1]
		if c == '/' || c == '!' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
			if strings.IndexByte(s[i:], '>') > 0 {
				return true
			}
		}
	}
	return false
}
