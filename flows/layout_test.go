package flows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestLayoutIsEditorOnly checks that the flow editor's node positions
// (the document's "layout" key) change nothing a flow does: every example
// flow with a layout added (positions of its nodes and of a node that no
// longer exists) validates the same and parses to the same graph.
func TestLayoutIsEditorOnly(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "flows", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example flows: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			// Both documents go through the same encoder: the graphs keep
			// their parameters' raw JSON, which must not differ in spacing.
			if raw, err = json.Marshal(doc); err != nil {
				t.Fatal(err)
			}
			layout := map[string]any{"gone": map[string]float64{"x": -5, "y": 7.5}}
			for i, n := range doc["nodes"].([]any) {
				layout[n.(map[string]any)["id"].(string)] = map[string]float64{"x": float64(i * 180), "y": float64(i * 90)}
			}
			doc["layout"] = layout
			withLayout, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			for _, feat := range []Features{{}, {Queues: true}} {
				plain, perr := Parse(raw, feat)
				laid, lerr := Parse(withLayout, feat)
				if (perr == nil) != (lerr == nil) || (perr != nil && perr.Error() != lerr.Error()) {
					t.Fatalf("features %+v: validation differs: without layout %v, with layout %v", feat, perr, lerr)
				}
				if len(laid.Layout) != len(layout) || laid.Layout["gone"] != (Position{X: -5, Y: 7.5}) {
					t.Fatalf("layout not read: %v", laid.Layout)
				}
				laid.Layout = nil
				if !reflect.DeepEqual(plain, laid) {
					t.Fatalf("features %+v: the graph differs with a layout", feat)
				}
			}
		})
	}
}

// TestLayoutShape checks that a layout that is not a map of points is
// refused naming the field, like any other malformed field.
func TestLayoutShape(t *testing.T) {
	for _, doc := range []string{
		`{"format":1,"name":"x","type":"inbound","start":"a","nodes":[{"id":"a","type":"hangup"}],"layout":{"a":[1,2]}}`,
		`{"format":1,"name":"x","type":"inbound","start":"a","nodes":[{"id":"a","type":"hangup"}],"layout":{"a":{"x":1,"z":2}}}`,
		`{"format":1,"name":"x","type":"inbound","start":"a","nodes":[{"id":"a","type":"hangup"}],"layout":[]}`,
	} {
		_, err := Parse([]byte(doc), Features{})
		if err == nil || !strings.Contains(err.Error(), "layout") && !strings.Contains(err.Error(), `"z"`) {
			t.Errorf("%s: error %v does not name the layout", doc, err)
		}
	}
}
