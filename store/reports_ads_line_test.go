package store

import (
	"testing"

	"github.com/switchyard/switchyard/dialer"
)

// TestADSDetailRecordIsUploadedLine: the Detailed Report's "Record" is
// the recipient line as uploaded (spacing, quoting and column order
// kept), on both drivers; a record imported without a line (the trigger
// API) gets its line rebuilt from its numbers and variables.
func TestADSDetailRecordIsUploadedLine(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "acme")
		uploaded := `+15550000001|+15550000009 , "Henry ""Hank"" Case",  vip;late,"line one` + "\n" + `line two"`
		req, err := s.ImportCallList(ctx, CallListImport{AccountID: a.ID, FlowID: "77", FlowName: "Dialer list", FlowType: "dialer", Source: SourceUpload},
			ImportRecords([]ImportRecord{
				{Row: 2, Numbers: []string{"+15550000001", "+15550000009"}, Status: RecordPending, Variables: map[string]string{"name": `Henry "Hank" Case`}, Line: uploaded},
				{Row: 3, Numbers: []string{"+15550000002"}, Status: RecordPending, Variables: map[string]string{"name": "Ann, B"}},
			}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCampaign(ctx, Campaign{Campaign: dialer.Campaign{AccountID: a.ID, Type: "call", Mode: "predictive", Name: "March", Status: "Created",
			Recipients: []string{req.ID}, SimultaneousCalls: 1, DialAttempts: 1}}); err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := s.EachADSDetail(ctx, ADSFilter{AccountID: a.ID}, func(d *ADSDetail) error { got = append(got, d.Record); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] != uploaded || got[1] != `+15550000002,"Ann, B"` {
			t.Fatalf("records %q", got)
		}
	})
}
