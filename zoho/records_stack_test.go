package zoho

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// fakeRecords is a tiny stateful stand-in for Zoho's record API over httptest: it stores what
// writes send and serves it back, so write-then-read round trips go through the real stack.
type fakeRecords struct {
	mu   sync.Mutex
	next int
	recs map[string]*crm.Record
}

func (f *fakeRecords) handler() http.Handler {
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Data []*crm.Record `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		var items []map[string]any
		for _, rec := range body.Data {
			id := rec.ID()
			if r.Method == http.MethodPost {
				f.next++
				id = fmt.Sprint(4150868000000000000 + f.next)
				rec.SetID(id)
				f.recs[id] = rec
			} else {
				stored := f.recs[id]
				for _, k := range rec.Keys() {
					raw, _ := rec.Raw(k)
					_ = stored.SetRaw(k, raw)
				}
			}
			items = append(items, map[string]any{"code": "SUCCESS", "status": "success", "message": "record added",
				"details": map[string]any{"id": id, "Created_Time": "2026-03-01T09:30:00+01:00"}})
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": items})
	}
	mux.HandleFunc("POST /crm/v2/{module}", write)
	mux.HandleFunc("PUT /crm/v2/{module}", write)
	mux.HandleFunc("GET /crm/v2/{module}/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		rec, ok := f.recs[r.PathValue("id")]
		if !ok {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []*crm.Record{rec}})
	})
	return mux
}

func TestWriteThenReadRoundTrip(t *testing.T) {
	fake := &fakeRecords{recs: map[string]*crm.Record{}}
	srv := httptest.NewServer(fake.handler())
	defer srv.Close()
	c, err := NewClient(WithTokenSource(staticTS("")), WithEndpoints(Endpoints{API: srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ist := time.FixedZone("", 5*3600+1800)
	task := &crm.Task{
		Subject:  crm.Some("Chat 😀 with Anna"),
		DueDate:  crm.Some(crm.Date{Year: 2026, Month: 8, Day: 28}),
		WhatID:   crm.Some(crm.Lookup{ID: "3652397000000624046", Name: "Zylker"}),
		SeModule: crm.Some("Accounts"),
		Status:   crm.Null[string](),
	}
	_ = task.Extra.Set("Remind_At", map[string]string{"ALARM": "FREQ=NONE;ACTION=POPUP;TRIGGER=DATE-TIME:2026-08-28T09:00:00+05:30"})
	_ = task.Extra.Set("Chat_Started__c", crm.NewDateTime(time.Date(2026, 8, 27, 18, 4, 5, 0, ist)))
	res, _, err := c.Tasks.Insert(ctx, []*crm.Task{task}, nil)
	if err != nil || res[0].Err != nil {
		t.Fatalf("%v %v", res, err)
	}
	got, _, err := c.Tasks.Get(ctx, res[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	sent, _ := crm.Marshal(task)
	read, _ := crm.Marshal(got)
	var sentRec crm.Record
	_ = sentRec.UnmarshalJSON(sent)
	sentRec.SetID(res[0].ID)
	sentJSON, _ := crm.Marshal(sentRec)
	if !jsonEqual(t, sentJSON, read) {
		t.Fatalf("\nsent %s\nread %s", sentJSON, read)
	}
	if got.Extra.Text("Chat_Started__c") != "2026-08-27T18:04:05+05:30" || !got.Status.IsNull() {
		t.Fatalf("%+v", got)
	}

	// Update one field; the rest stays.
	res, _, err = c.Tasks.Update(ctx, []*crm.Task{{ID: got.ID, Status: crm.Some("Completed")}}, nil)
	if err != nil || res[0].Err != nil {
		t.Fatal(err)
	}
	again, _, err := c.Records.Get(ctx, "Tasks", got.ID)
	if err != nil || again.Text("Status") != "Completed" || again.Text("Subject") != "Chat 😀 with Anna" || again.Len() != sentRec.Len() {
		t.Fatalf("%v %v", again, err)
	}
}
