package tts

import (
	"errors"

	"github.com/switchyard/switchyard"
)

// fieldOf is the client field of a coded error ("" if none).
func fieldOf(err error) string {
	var e *switchyard.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
