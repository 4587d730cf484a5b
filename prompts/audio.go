package prompts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/media"
)

// Audio formats a prompt may be uploaded in.
const (
	FormatMP3 = "mp3"
	FormatWAV = "wav"
	FormatOGG = "ogg"
)

// Asterisk's prompt format: 8 kHz, mono, 16-bit signed PCM in WAV (what
// it plays on a telephone call without transcoding).
const (
	sampleRate     = media.SampleRate
	bytesPerSecond = sampleRate * 2
)

// Sniff names the audio format of an uploaded file from its first bytes
// ("" when it is none of mp3, wav or ogg): the file's name or declared
// type is not trusted.
func Sniff(data []byte) string {
	switch {
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WAVE")):
		return FormatWAV
	case len(data) >= 4 && bytes.Equal(data[:4], []byte("OggS")):
		return FormatOGG
	case len(data) >= 3 && bytes.Equal(data[:3], []byte("ID3")):
		return FormatMP3
	case len(data) >= 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0:
		return FormatMP3 // an MPEG audio frame's sync word
	}
	return ""
}

// Converter turns uploaded audio into Asterisk's prompt format with sox.
type Converter struct {
	// Sox is the sox binary (default "sox" on PATH).
	Sox string
	// MaxDuration caps the audio's length.
	MaxDuration time.Duration
	// Timeout bounds one conversion (default 2 minutes).
	Timeout time.Duration
}

// Convert decodes an mp3, wav or ogg file and returns it as an 8 kHz mono
// 16-bit WAV with its duration. A file of another type, one sox cannot
// decode (corrupt), one with no audio or one longer than MaxDuration is
// ErrInvalid with the reason.
func (c Converter) Convert(ctx context.Context, data []byte) ([]byte, time.Duration, error) {
	format := Sniff(data)
	if format == "" {
		return nil, 0, ErrInvalid.New("file", "the file is not an mp3, wav or ogg audio file")
	}
	sox := c.Sox
	if sox == "" {
		sox = "sox"
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "sy-prompt-")
	if err != nil {
		return nil, 0, fmt.Errorf("prompts: convert: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	in, out := filepath.Join(dir, "in."+format), filepath.Join(dir, "out.wav")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, 0, fmt.Errorf("prompts: convert: %w", err)
	}
	args := []string{"-V1", "-t", format, in, "-t", "wav", "-r", strconv.Itoa(sampleRate), "-c", "1", "-b", "16", "-e", "signed-integer", out}
	if c.MaxDuration > 0 {
		// Decode one second past the cap at most: a long file is refused
		// without converting all of it.
		args = append(args, "trim", "0", strconv.FormatFloat((c.MaxDuration+time.Second).Seconds(), 'f', 3, 64))
	}
	cmd := exec.CommandContext(ctx, sox, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("prompts: converting the %s file took longer than %v: %w", format, timeout, ctx.Err())
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, 0, ErrInvalid.New("file", "the file could not be read as %s audio (it may be corrupt): %s", format, firstLine(stderr.String()))
		}
		return nil, 0, fmt.Errorf("prompts: run %s: %w", sox, err)
	}
	wav, err := os.ReadFile(out)
	if err != nil {
		return nil, 0, fmt.Errorf("prompts: converted audio: %w", err)
	}
	d, err := WAVDuration(wav)
	if err != nil {
		return nil, 0, fmt.Errorf("prompts: converted audio: %w", err)
	}
	if d < 100*time.Millisecond {
		return nil, 0, ErrInvalid.New("file", "the file has no audio (%v)", d)
	}
	if c.MaxDuration > 0 && d > c.MaxDuration {
		return nil, 0, ErrInvalid.New("file", "the audio is longer than %v; a prompt is at most %v long", c.MaxDuration, c.MaxDuration)
	}
	return wav, d, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimPrefix(s, "sox FAIL formats: ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// WAVDuration reads an 8 kHz mono 16-bit PCM WAV's duration from its data
// chunk; any other WAV is an error.
func WAVDuration(wav []byte) (time.Duration, error) { return media.WAVDuration(wav) }
