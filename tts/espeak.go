package tts

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// Espeak is the local engine: espeak-ng speaks, sox converts to 8 kHz
// mono 16-bit. Its voices are espeak-ng's languages, with an optional
// variant ("en-us+Alicia").
type Espeak struct {
	// Binary and Sox are the programs (default "espeak-ng" and "sox" on
	// the PATH).
	Binary, Sox string
	// Timeout bounds one synthesis (default 30 s).
	Timeout time.Duration

	mu       sync.Mutex // guards the fields below while loading
	voices   []Voice
	known    map[string]bool
	variants map[string]bool
	slots    chan struct{}
}

func (e *Espeak) bin() string {
	if e.Binary != "" {
		return e.Binary
	}
	return "espeak-ng"
}

func (e *Espeak) sox() string {
	if e.Sox != "" {
		return e.Sox
	}
	return "sox"
}

// load reads espeak-ng's voices and variants once; a failure (espeak-ng
// missing, a timeout) is not remembered, so the next call tries again.
func (e *Espeak) load(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.known != nil {
		return nil
	}
	if e.slots == nil {
		e.slots = make(chan struct{}, 2*runtime.NumCPU())
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, e.bin(), "--voices").Output()
	if err != nil {
		return ErrEngine.New("", "espeak-ng does not list its voices: %v", err)
	}
	vout, err := exec.CommandContext(ctx, e.bin(), "--voices=variant").Output()
	if err != nil {
		return ErrEngine.New("", "espeak-ng does not list its voice variants: %v", err)
	}
	voices := parseEspeakVoices(out)
	if len(voices) == 0 {
		return ErrEngine.New("", "espeak-ng lists no voices")
	}
	known := map[string]bool{}
	for _, v := range voices {
		known[v.ID] = true
	}
	// A language's other codes ("fr" for fr-fr, "en" for en-gb) are
	// voices too.
	for _, m := range espeakAlias.FindAllSubmatch(out, -1) {
		known[string(m[1])] = true
	}
	variants := map[string]bool{}
	for _, v := range parseEspeakVoices(vout) {
		variants[v.Name] = true
	}
	e.voices, e.known, e.variants = voices, known, variants
	return nil
}

// espeakAlias is an "Other Languages" entry of `espeak-ng --voices`:
// "(fr 8)".
var espeakAlias = regexp.MustCompile(`\(([a-z][a-z0-9-]*) [0-9]+\)`)

// parseEspeakVoices reads `espeak-ng --voices` output: one voice per
// line after the header (Pty, Language, Age/Gender, VoiceName, File,
// Other languages). For variants the Name is the file's base name
// ("!v/Alicia" → "Alicia"), which is what "+variant" names.
func parseEspeakVoices(out []byte) []Voice {
	var vs []Voice
	sc := bufio.NewScanner(bytes.NewReader(out))
	first := true
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if first {
			first = false
			if len(f) > 0 && f[0] == "Pty" {
				continue
			}
		}
		if len(f) < 5 {
			continue
		}
		v := Voice{ID: f[1], Language: f[1], Name: strings.ReplaceAll(f[3], "_", " ")}
		if _, g, ok := strings.Cut(f[2], "/"); ok {
			switch g {
			case "M":
				v.Gender = "male"
			case "F":
				v.Gender = "female"
			}
		}
		if f[1] == "variant" {
			v.Name = filepath.Base(f[4])
		}
		vs = append(vs, v)
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].ID < vs[j].ID })
	return vs
}

// Voices lists espeak-ng's languages.
func (e *Espeak) Voices(ctx context.Context) ([]Voice, error) {
	if err := e.load(ctx); err != nil {
		return nil, err
	}
	return append([]Voice(nil), e.voices...), nil
}

// CheckVoice reports whether voice is one of espeak-ng's languages with
// an optional known variant.
func (e *Espeak) CheckVoice(ctx context.Context, voice string) error {
	if err := e.load(ctx); err != nil {
		return err
	}
	lang, variant, hasVariant := strings.Cut(voice, "+")
	if !e.known[lang] {
		return ErrUnknownVoice.New("voice", "the local engine has no voice %q (GET /api/v1/tts/voices lists them)", lang)
	}
	if hasVariant && !e.variants[variant] {
		return ErrUnknownVoice.New("voice", "the local engine has no voice variant %q", variant)
	}
	return nil
}

// Synthesize runs espeak-ng (-m for SSML) and sox.
func (e *Espeak) Synthesize(ctx context.Context, voice, text string, ssml bool) ([]byte, error) {
	if err := e.CheckVoice(ctx, voice); err != nil {
		return nil, err
	}
	select {
	case e.slots <- struct{}{}:
		defer func() { <-e.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "sy-tts-")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEngine, err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	raw, out := filepath.Join(dir, "espeak.wav"), filepath.Join(dir, "out.wav")
	args := []string{"-v", voice, "-w", raw, "--stdin"}
	if ssml {
		args = append([]string{"-m"}, args...)
	}
	if err := run(ctx, e.bin(), args, text); err != nil {
		return nil, err
	}
	if err := run(ctx, e.sox(), []string{"-q", raw, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", out}, ""); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEngine, err)
	}
	if err := asteriskWAV(b); err != nil {
		return nil, fmt.Errorf("%w: espeak-ng made no usable audio: %v", ErrEngine, err)
	}
	return b, nil
}

// run runs a program with stdin, wrapping a failure in ErrEngine with
// what it printed.
func run(ctx context.Context, name string, args []string, stdin string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %s: %w", ErrEngine, filepath.Base(name), ctx.Err())
		}
		msg := strings.TrimSpace(stderr.String())
		var ee *exec.Error
		if errors.As(err, &ee) {
			msg = ee.Error()
		}
		return ErrEngine.New("", "%s failed: %s", filepath.Base(name), clip(firstNonEmpty(msg, err.Error()), 200))
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
