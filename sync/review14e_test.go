package sync_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cloudcx/cxzoho/cloudcx"
	"github.com/cloudcx/cxzoho/rules"
	cxsync "github.com/cloudcx/cxzoho/sync"
	"github.com/cloudcx/cxzoho/zoho/zohotest"
)

// interruptedPerson reads only the 500 OLDEST pending steps of the tenant and only then drops
// those older than a day: steps its events never came back for (pending forever) crowd out a
// person step interrupted a minute ago, and the same person arriving through the other section
// gets a second Contact.
// Fixed by StepFilter.Since: the store leaves out the steps older than a day.
func TestReview14eInterruptedPersonCrowdedOutByAbandonedSteps(t *testing.T) {
	for _, abandoned := range []int{0, 500} {
		t.Run(fmt.Sprint(abandoned, " abandoned steps"), func(t *testing.T) {
			h := newHarness(t, withFake(zohotest.WithIndexingDelay(10e9)))
			h.settings("t1", rules.DefaultSettings())
			old := time.Now().Add(-48 * time.Hour)
			for i := range abandoned {
				st := &cxsync.Step{Key: cxsync.StepKey{TenantID: "t1", OrgID: h.org.ID(), Section: cloudcx.SectionWebChat,
					SourceID: fmt.Sprint("c-old-", i), Kind: cxsync.StepRecord, Name: "Cases"},
					Status: cxsync.StepPending, Attempts: 1, UpdatedAt: old}
				if _, err := h.store.PutStep(t.Context(), st); err != nil {
					t.Fatal(err)
				}
			}
			v := cloudcx.Visitor{ID: "v-crowd", Name: "Crowded Person", Email: "crowded.person@example.org"}
			c := chat("c-crowd", v)
			vi := v
			vi.ID = "v-crowd-inbox"
			cv := conversation("cv-crowd", vi)
			h.host.PutChat(c)
			h.host.PutConversation(cv)
			if _, err := h.srv.InjectFault(zohotest.Fault{Method: "POST", Path: "/crm/v2/Contacts", Kind: zohotest.FaultDropAfterApply, Times: 1}); err != nil {
				t.Fatal(err)
			}
			if _, err := h.syncer.Handle(t.Context(), chatEvent(cloudcx.EventChatStarted, c)); cxsync.ClassOf(err) != cxsync.ClassRetry {
				t.Fatalf("dropped answer: %v", err)
			}
			h.srv.ClearFaults()
			h.handle(convEvent(cloudcx.EventConversationStarted, cv))
			if n := len(h.records("Contacts", "Email", v.Email)); n != 1 {
				t.Errorf("%d Contacts for %s, want 1 (the interrupted step's, adopted)", n, v.Email)
			}
		})
	}
}
