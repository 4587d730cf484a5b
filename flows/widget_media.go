package flows

// The play, record and play_and_record widgets: their config, its check
// at validation, and their runner (with media resolution: sound:, prompt:,
// tts:, recording: items).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows/variables"
)

type playCfg struct {
	Media   []string
	BargeIn bool
}

func checkPlay(p *paramReader) any {
	return &playCfg{Media: p.media("media", true), BargeIn: p.boolean("barge_in", false)}
}

type recordCfg struct {
	Prompt      []string
	Beep        bool
	MaxDuration time.Duration
	MaxSilence  time.Duration
	Terminator  string
	Format      string
	Variable    *variables.Ref
	PlayFirst   bool
	// Module is play_and_record's moduleName in the recording's name
	// (param "name"; the node id when unset).
	Module string
}

func checkRecord(p *paramReader, withPrompt bool) any {
	c := &recordCfg{
		Prompt:      p.media("prompt", withPrompt),
		Beep:        p.boolean("beep", true),
		MaxDuration: p.seconds("max_duration", 60*time.Second, time.Second, time.Hour),
		MaxSilence:  p.seconds("max_silence", 5*time.Second, 0, 10*time.Minute),
		Terminator:  p.enum("terminator", "#", "none", "any", "*", "#"),
		Format:      p.enum("format", DefaultRecordingFormat, "gsm", "wav", "ulaw", "alaw", "sln"),
		Variable:    p.optTarget("variable"),
		PlayFirst:   withPrompt,
	}
	if withPrompt {
		c.Module = p.str("name", false)
		if variables.HasRefs(c.Module) {
			p.bad("name", "the module name may not contain variables")
		}
		if c.Module != "" && namePart(c.Module) != c.Module {
			p.bad("name", "%q: use letters, digits, '+', '-' and '.' only (it is part of the recording's file name)", c.Module)
		}
	}
	return c
}

// resolveMedia interpolates media items and maps them to ARI media URIs.
func (r *run) resolveMedia(ctx context.Context, items []string) ([]string, error) {
	var out []string
	for _, m := range items {
		s, missing := r.subCtx(ctx, m)
		if len(missing) > 0 {
			return nil, fmt.Errorf("media %q: %w %s", m, errUnsetVar, strings.Join(missing, ", "))
		}
		if r.e.RecordingLinks != nil && (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "/")) {
			// A recording variable's download URL plays the recording.
			if name, ok := r.e.RecordingLinks.Name(s); ok {
				s = recordingPrefix + name
			}
		}
		kind, rest, ok := strings.Cut(s, ":")
		if !ok || !mediaKinds[kind] || rest == "" {
			return nil, fmt.Errorf("media %q is %q, which is not sound:, prompt:, recording:, digits:, number: or tts: media", m, s)
		}
		switch kind {
		case "tts":
			if r.e.TTS == nil {
				return nil, errors.New("text-to-speech is not configured")
			}
			uris, err := r.e.TTS.Synthesize(ctx, r.fv.AccountID, rest)
			if err != nil {
				return nil, fmt.Errorf("text-to-speech: %w", err)
			}
			out = append(out, uris...)
		case "prompt":
			if r.e.Prompts == nil {
				return nil, errors.New("the prompt library is not configured")
			}
			uri, err := r.e.Prompts.PromptURI(ctx, r.fv.AccountID, rest)
			if err != nil {
				return nil, fmt.Errorf("prompt %q: %w", rest, err)
			}
			out = append(out, uri)
		default:
			out = append(out, s)
		}
	}
	return out, nil
}

func (r *run) play(ctx context.Context, c *playCfg, st *Step) result {
	media, err := r.resolveMedia(ctx, c.Media)
	st.Inputs["media"] = media
	if err != nil {
		return fail(err)
	}
	res, err := r.call.Play(ctx, ari.PlayOptions{StopOnDTMF: c.BargeIn}, media...)
	st.Outputs["interrupted"] = res.Interrupted
	if err != nil {
		return hangupOr(err)
	}
	return line(0)
}

func (r *run) record(ctx context.Context, n *Node, c *recordCfg, st *Step) result {
	if len(c.Prompt) > 0 {
		media, err := r.resolveMedia(ctx, c.Prompt)
		st.Inputs["prompt"] = media
		if err != nil {
			return fail(err)
		}
		if _, err := r.call.Play(ctx, ari.PlayOptions{}, media...); err != nil {
			return hangupOr(err)
		}
	}
	kind, module := RecordingRecord, ""
	if c.PlayFirst {
		kind, module = RecordingPlayAndRecord, c.Module
		if module == "" {
			module = n.ID
		}
	}
	// The name carries the start in ms. Unique: a name already used on
	// this call moves on by 1 ms; Asterisk refuses an existing name
	// (ifExists=fail, e.g. another call of the same numbers in the same
	// millisecond) and we retry with +1 ms.
	var (
		name     string
		res      ari.RecordResult
		err      error
		recStart time.Time
	)
	start := r.e.now()
	for try := 0; ; try++ {
		name, start = r.recordingName(kind, module, start)
		recStart = time.Now()
		res, err = r.call.Record(ctx, ari.RecordOptions{
			Name: name, Format: c.Format, MaxDuration: c.MaxDuration, MaxSilence: c.MaxSilence,
			IfExists: "fail", Beep: c.Beep, TerminateOn: c.Terminator,
		})
		if err == nil || !nameTaken(err) || try+1 >= maxNameTries {
			break
		}
		start = start.Add(time.Millisecond)
	}
	elapsed := time.Since(recStart)
	st.Outputs["recording"] = res.Name
	st.Outputs["duration_s"] = res.Duration.Seconds()
	st.Outputs["elapsed_s"] = elapsed.Seconds()
	st.Outputs["caller_hung_up"] = res.HungUp
	if err != nil {
		return hangupOr(err)
	}
	d := res.Duration
	if d <= 0 || d > elapsed+time.Second {
		d = elapsed // ARI reports whole seconds
	}
	r.addRecording(Recording{Kind: kind, Name: name, Format: c.Format, StartedAt: start, Duration: d})
	uri := "recording:" + res.Name
	key := "ivr_recording.recordingUri"
	if c.PlayFirst {
		key = "play_and_record.recordingUri"
	}
	r.callVars[key] = uri
	if r.callRec == nil {
		// With record_call, $call.recordingUri stays the whole call's.
		r.callVars["recordingUri"] = uri
	}
	if c.Variable != nil {
		if err := r.assign(ctx, *c.Variable, uri); err != nil {
			return fail(err)
		}
	}
	if res.HungUp {
		return stop(ari.ErrHangup)
	}
	return line(0)
}

func (r *run) playPrompt(ctx context.Context, items []string) error {
	if len(items) == 0 {
		return nil
	}
	media, err := r.resolveMedia(ctx, items)
	if err != nil {
		return err
	}
	_, err = r.call.Play(ctx, ari.PlayOptions{StopOnDTMF: true}, media...)
	return err
}
