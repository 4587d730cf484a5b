package switchyard_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/switchyard/switchyard/flows"
)

// TestReadmeIVRExample: the inbound IVR the README shows (the JSON block
// after the marker naming testdata/flows/readme_ivr.json) says the same as
// that file (the same JSON, whatever the spacing), and the flow is valid.
// The flow editor's browser test builds this flow by mouse.
func TestReadmeIVRExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- testdata/flows/readme_ivr.json -->\n```json\n"
	i := bytes.Index(readme, []byte(marker))
	if i < 0 {
		t.Fatalf("README.md has no %q", marker)
	}
	block := readme[i+len(marker):]
	end := bytes.Index(block, []byte("\n```"))
	if end < 0 {
		t.Fatal("README.md: the IVR example's code block does not end")
	}
	block = block[:end]
	file, err := os.ReadFile("testdata/flows/readme_ivr.json")
	if err != nil {
		t.Fatal(err)
	}
	var inReadme, inFile any
	if err := json.Unmarshal(block, &inReadme); err != nil {
		t.Fatalf("the README's IVR example: %v", err)
	}
	if err := json.Unmarshal(file, &inFile); err != nil {
		t.Fatalf("testdata/flows/readme_ivr.json: %v", err)
	}
	if !reflect.DeepEqual(inReadme, inFile) {
		t.Errorf("the README's IVR example differs from testdata/flows/readme_ivr.json:\nREADME:\n%s\nfile:\n%s", block, file)
	}
	f, err := flows.Parse(file, flows.Features{})
	if err != nil {
		t.Fatalf("the README's IVR example is not a valid flow: %v", err)
	}
	if f.Type != "inbound" || f.Start != "answer" {
		t.Errorf("the README's IVR example: type %q, start %q", f.Type, f.Start)
	}
}
