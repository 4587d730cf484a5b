package grammars

import (
	_ "embed"
	"fmt"
)

// SampleName is the name of the Sample English Grammar, shipped with
// Switchyard and available to every account read-only; no account's
// grammar can take the name.
const SampleName = "sample_english"

// SampleTitle is how the console shows the sample grammar.
const SampleTitle = "Sample English Grammar"

// sampleEnglish is the sample grammar document: Asterisk's core English
// sounds (digits/…, letters/…).
//
//go:embed sample_english.json
var sampleEnglish []byte

var sample *Grammar

func init() {
	g, err := Parse(sampleEnglish)
	if err != nil {
		panic(fmt.Sprintf("grammars: the sample English grammar is not valid: %v", err))
	}
	sample = g
}

// Sample returns a copy of the Sample English Grammar's document.
func Sample() *Grammar {
	g, _ := Parse(sampleEnglish) // valid: checked at init
	return g
}

// SampleDocument is the sample grammar's JSON document.
func SampleDocument() []byte { return append([]byte(nil), sampleEnglish...) }
