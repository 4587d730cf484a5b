package tts

import (
	"strings"
	"unicode/utf8"
)

// MaxTextBytes caps the text (or SSML) of one item: a sentence or a few,
// not a book (the cloud services refuse more than about 3,000 characters
// per request too).
const MaxTextBytes = 3000

// maxVoiceSpec caps the bracketed voice choice.
const maxVoiceSpec = 96

// LocalEngine names the local espeak-ng engine in settings and items.
const LocalEngine = "local"

// Item is a parsed "tts:" media item.
type Item struct {
	// Engine is "" (the account's engine), LocalEngine or a cloud
	// account's alias.
	Engine string
	// Voice is "" (the engine's voice in the account's settings) or a
	// voice name.
	Voice string
	// Text is what is spoken: plain text, or SSML when SSML is true.
	Text string
	SSML bool
}

// ParseItem parses the text of a "tts:" media item: an optional voice
// choice in brackets ("[voice]", "[engine/voice]", "[]" for the defaults)
// followed by the text. Text starting with "<speak" is SSML.
func ParseItem(s string) (Item, error) {
	var it Item
	if strings.HasPrefix(s, "[") {
		spec, rest, ok := strings.Cut(s[1:], "]")
		if !ok {
			return Item{}, ErrInvalid.New("text", "the voice choice %q has no closing ]", clip(s, 40))
		}
		if len(spec) > maxVoiceSpec {
			return Item{}, ErrInvalid.New("voice", "the voice choice is over %d characters", maxVoiceSpec)
		}
		eng, voice, named := strings.Cut(spec, "/")
		if !named {
			eng, voice = "", spec
		} else if eng == "" {
			return Item{}, ErrInvalid.New("voice", "the voice choice %q names no engine before /", spec)
		}
		if eng != "" && eng != LocalEngine && !ValidAlias(eng) {
			return Item{}, ErrInvalid.New("voice", "the engine %q is neither local nor a cloud account alias (letters, digits and _)", eng)
		}
		if voice != "" && !validVoiceName(voice) {
			return Item{}, ErrInvalid.New("voice", "the voice %q may only have letters, digits and - _ . + :", voice)
		}
		it.Engine, it.Voice = eng, voice
		s = rest
	}
	text := strings.TrimSpace(s)
	if text == "" {
		return Item{}, ErrInvalid.New("text", "the text to speak is empty")
	}
	if len(text) > MaxTextBytes {
		return Item{}, ErrInvalid.New("text", "the text to speak is %d bytes; at most %d", len(text), MaxTextBytes)
	}
	if !utf8.ValidString(text) {
		return Item{}, ErrInvalid.New("text", "the text to speak is not UTF-8")
	}
	for _, r := range text {
		if r == 0 {
			return Item{}, ErrInvalid.New("text", "the text to speak has a NUL character")
		}
	}
	it.Text = text
	it.SSML = strings.HasPrefix(text, "<speak")
	if it.SSML && !strings.HasSuffix(text, "</speak>") {
		return Item{}, ErrInvalid.New("text", "SSML text must end with </speak>")
	}
	return it, nil
}

// String is the item as a "tts:" text that parses back to it.
func (it Item) String() string {
	if it.Engine == "" && it.Voice == "" {
		if strings.HasPrefix(it.Text, "[") {
			return "[] " + it.Text
		}
		return it.Text
	}
	if it.Engine == "" {
		return "[" + it.Voice + "] " + it.Text
	}
	return "[" + it.Engine + "/" + it.Voice + "] " + it.Text
}

// ValidAlias reports whether s is a cloud account alias: 1–32 letters,
// digits and underscores (and not the local engine's name).
func ValidAlias(s string) bool {
	if s == "" || len(s) > 32 || s == LocalEngine {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// validVoiceName reports whether s may be a voice name of some engine
// ("en-us", "en-us+Alicia", "Joanna", "en-US-Standard-C").
func validVoiceName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || r == '+' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
