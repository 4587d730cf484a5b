package intake

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// fakeStore records DNC entries and answers the account country; the rest
// of Store is not used by these tests.
type fakeStore struct {
	Store
	country string
	dnc     []store.DNCEntry
}

func (f *fakeStore) AccountCountry(context.Context, int64) (string, error) { return f.country, nil }

func (f *fakeStore) AddDNCEntries(_ context.Context, _ int64, _ string, es []store.DNCEntry) (int64, error) {
	f.dnc = append(f.dnc, es...)
	return int64(len(es)), nil
}

type flowsFunc func(ctx context.Context, acc int64, id string) (Flow, error)

func (f flowsFunc) Flow(ctx context.Context, acc int64, id string) (Flow, error) {
	return f(ctx, acc, id)
}

// TestFlow: call lists go to the account's outbound and dialer flows only;
// the errors name the field and say what is wrong.
func TestFlow(t *testing.T) {
	im := New(Config{Store: &fakeStore{}, Flows: flowsFunc(func(_ context.Context, _ int64, id string) (Flow, error) {
		switch id {
		case "1":
			return Flow{ID: "1", Type: FlowTypeDialer}, nil
		case "2":
			return Flow{ID: "2", Type: "inbound"}, nil
		}
		return Flow{}, ErrFlowNotFound
	})})
	ctx := context.Background()
	if f, err := im.Flow(ctx, 1, " 1 "); err != nil || f.ID != "1" {
		t.Fatalf("dialer flow: %+v %v", f, err)
	}
	for id, code := range map[string]string{"": switchyard.CodeInvalid, "2": switchyard.CodeInvalid, "9": switchyard.CodeNotFound} {
		var se *switchyard.Error
		if _, err := im.Flow(ctx, 1, id); !errors.As(err, &se) || se.Code != code {
			t.Errorf("flow %q: %v, want %s", id, err, code)
		}
	}
}

// TestImportDNC: numbers are read with the account's country, prefixes
// end in "*", a header line is skipped and bad lines are listed.
func TestImportDNC(t *testing.T) {
	st := &fakeStore{country: "IN"}
	im := New(Config{Store: st, Flows: flowsFunc(nil)})
	in := "number\n9876543210\n\"+9114*\",x\n+0*\nnot a number\n"
	res, err := im.ImportDNC(context.Background(), 1, "dnc.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 4 || res.Added != 2 || len(res.Rejected) != 2 || res.Rejected[0].Line != 4 {
		t.Fatalf("result %+v", res)
	}
	if len(st.dnc) != 2 || st.dnc[0] != (store.DNCEntry{Value: "+919876543210"}) || st.dnc[1] != (store.DNCEntry{Value: "+9114", Prefix: true}) {
		t.Errorf("stored %+v", st.dnc)
	}
}
