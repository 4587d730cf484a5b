package switchyard

import (
	"fmt"
	"unicode/utf8"
)

// MaxEcho bounds how much of a client's own input an error message may
// quote back (Clip): an error about a 40 MB value must not return 40 MB.
const MaxEcho = 512

// Clip returns s cut to MaxEcho bytes (on a rune boundary), marked as cut
// with its full length, for quoting client input in an error message.
func Clip(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	cut := MaxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}
