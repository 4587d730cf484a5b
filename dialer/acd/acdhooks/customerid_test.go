package acdhooks

import (
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// TestVarsCustomerID: CRM and agent event webhooks can use the customer
// id the caller-ID widget found.
func TestVarsCustomerID(t *testing.T) {
	v := Vars(acd.Event{Kind: acdconfig.EventKind("Dial"), CustomerID: "0023", Customer: "+4930555", At: time.Unix(0, 0)}, time.UTC)
	if v["event.customer_id"] != "0023" || v["event.customer"] != "+4930555" {
		t.Errorf("vars %v", v)
	}
}
