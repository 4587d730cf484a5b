package fastagi

import (
	"context"
	"fmt"
)

// HelloPath is the request path of the built-in Hello handler, used by the
// shipped dialplan example: AGI(agi://127.0.0.1:4573/hello).
const HelloPath = "hello"

// HelloVar is the channel variable Hello sets to "ok".
const HelloVar = "SWITCHYARD_AGI"

// Hello answers the channel, logs to the Asterisk console, sets
// SWITCHYARD_AGI=ok and plays hello-world. It proves the FastAGI path end
// to end.
func Hello(ctx context.Context, s *Session) error {
	steps := []struct {
		name string
		run  func() error
	}{
		{"ANSWER", s.Answer},
		{"VERBOSE", func() error {
			return s.Verbose(fmt.Sprintf("switchyard: hello from FastAGI on %s", s.Request.Channel), 1)
		}},
		{"SET VARIABLE", func() error { return s.SetVariable(HelloVar, "ok") }},
		{"STREAM FILE", func() error {
			_, err := s.StreamFile("hello-world", "", 0)
			return err
		}},
	}
	for _, st := range steps {
		if err := context.Cause(ctx); err != nil {
			return fmt.Errorf("hello: before %s: %w", st.name, err)
		}
		if err := st.run(); err != nil {
			return fmt.Errorf("hello: %s: %w", st.name, err)
		}
	}
	return nil
}
