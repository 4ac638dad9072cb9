package crm

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

// fullLead is a full Lead as Zoho answers it (69 keys: standard fields, lookups, date-times,
// system $ keys), from testdata/v7docs_search_leads_by_criteria_response.json.
func fullLead(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/v7docs_search_leads_by_criteria_response.json")
	if err != nil {
		tb.Fatal(err)
	}
	var ans struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &ans); err != nil || len(ans.Data) == 0 {
		tb.Fatalf("fixture: %v", err)
	}
	return ans.Data[0]
}

// BenchmarkDecodeLead decodes a full Lead into a crm.Lead (lossless: every field Zoho sent is kept,
// written back as sent) and reports its cost against decoding the same record into a
// map[string]any with encoding/json, the same number of times: time/map and allocs/map are the
// ratios (the aim: within 2).
func BenchmarkDecodeLead(b *testing.B) {
	raw := fullLead(b)
	typed := func() {
		var l Lead
		if err := json.Unmarshal(raw, &l); err != nil {
			b.Fatal(err)
		}
	}
	untyped := func() {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		typed()
	}
	elapsed := b.Elapsed()
	start := time.Now()
	for range b.N {
		untyped()
	}
	base := time.Since(start)
	b.ReportMetric(float64(elapsed)/float64(base), "time/map")
	b.ReportMetric(testing.AllocsPerRun(100, typed)/testing.AllocsPerRun(100, untyped), "allocs/map")
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "map-ns/op")
}
