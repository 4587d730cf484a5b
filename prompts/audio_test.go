package prompts

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"wav", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), FormatWAV},
		{"riff not wave", []byte("RIFF\x24\x00\x00\x00AVI LIST"), ""},
		{"ogg", []byte("OggS\x00\x02"), FormatOGG},
		{"mp3 with ID3", []byte("ID3\x04\x00"), FormatMP3},
		{"mp3 frame", []byte{0xFF, 0xFB, 0x90, 0x64}, FormatMP3},
		{"csv", []byte("name,number\n"), ""},
		{"empty", nil, ""},
		{"one byte", []byte{0xFF}, ""},
	} {
		if got := Sniff(c.in); got != c.want {
			t.Errorf("%s: %q; want %q", c.name, got, c.want)
		}
	}
}

// pcmWAV is a WAV header for rate/channels/bits with n data bytes (and
// the bytes, zero).
func pcmWAV(rate uint32, ch, bits uint16, n int, extra ...byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+n+len(extra)))
	b.WriteString("WAVE")
	b.Write(extra)
	b.WriteString("fmt ")
	for _, v := range []any{uint32(16), uint16(1), ch, rate, rate * uint32(ch) * uint32(bits/8), ch * bits / 8, bits} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(n))
	b.Write(make([]byte, n))
	return b.Bytes()
}

func TestWAVDuration(t *testing.T) {
	list := []byte("LIST\x04\x00\x00\x00abcd")
	for _, c := range []struct {
		name string
		in   []byte
		want time.Duration
		ok   bool
	}{
		{"1 s", pcmWAV(8000, 1, 16, 16000), time.Second, true},
		{"with a LIST chunk first", pcmWAV(8000, 1, 16, 8000, list...), 500 * time.Millisecond, true},
		{"stereo", pcmWAV(8000, 2, 16, 16000), 0, false},
		{"16 kHz", pcmWAV(16000, 1, 16, 16000), 0, false},
		{"8 bits", pcmWAV(8000, 1, 8, 16000), 0, false},
		{"not a wav", []byte("OggS and more bytes"), 0, false},
		{"no data chunk", pcmWAV(8000, 1, 16, 16000)[:36], 0, false},
	} {
		d, err := WAVDuration(c.in)
		if c.ok != (err == nil) || d != c.want {
			t.Errorf("%s: %v %v; want %v ok=%v", c.name, d, err, c.want, c.ok)
		}
	}
}

// FuzzWAVDuration: any bytes give a duration that is not negative or an
// error, never a panic.
func FuzzWAVDuration(f *testing.F) {
	f.Add(pcmWAV(8000, 1, 16, 160))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\x7f"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := WAVDuration(b); err == nil && (d < 0 || d > time.Duration(len(b))*time.Second/bytesPerSecond) {
			t.Fatalf("%d bytes: duration %v", len(b), d)
		}
		_ = Sniff(b)
	})
}

// sox runs sox -n with args, OUT.<ext> standing for the output file,
// and returns the file.
func sox(t *testing.T, args ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	var out string
	for i, a := range args {
		if strings.HasPrefix(a, "OUT.") {
			out = filepath.Join(dir, a)
			args[i] = out
		}
	}
	if b, err := exec.Command("sox", append([]string{"-n"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("sox %q: %v\n%s", args, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestConvert: mp3, ogg and wav in any rate and channel count come out as
// 8 kHz mono 16-bit WAV of the same length; a file of another type, a
// corrupt one, one without audio and one over the duration cap are
// ErrInvalid saying so.
func TestConvert(t *testing.T) {
	c := Converter{MaxDuration: 3 * time.Second}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		args []string
		want time.Duration
	}{
		{"mp3 44.1 kHz stereo", []string{"-r", "44100", "-c", "2", "OUT.mp3", "synth", "2", "sine", "440"}, 2 * time.Second},
		{"ogg 22 kHz mono", []string{"-r", "22050", "-c", "1", "OUT.ogg", "synth", "1.5", "sine", "300"}, 1500 * time.Millisecond},
		{"wav 48 kHz 24-bit", []string{"-r", "48000", "-c", "2", "-b", "24", "OUT.wav", "synth", "1", "sine", "500"}, time.Second},
	} {
		wav, d, err := c.Convert(ctx, sox(t, tc.args...))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got, err := WAVDuration(wav)
		if err != nil || got != d || d < tc.want-100*time.Millisecond || d > tc.want+100*time.Millisecond {
			t.Errorf("%s: %v (%v, %v); want about %v as 8 kHz mono 16-bit", tc.name, d, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"text", []byte("hello, this is no audio"), "not an mp3, wav or ogg"},
		{"corrupt mp3", append([]byte("ID3\x03\x00\x00\x00\x00\x00\x00"), bytes.Repeat([]byte{1, 2, 3}, 300)...), "could not be read as mp3"},
		{"corrupt ogg", append([]byte("OggS"), bytes.Repeat([]byte{9}, 300)...), "could not be read as ogg"},
		{"no audio", sox(t, "-r", "8000", "-c", "1", "OUT.wav", "synth", "0.02", "sine", "300"), "has no audio"},
		{"too long", sox(t, "-r", "8000", "-c", "1", "OUT.mp3", "synth", "5", "sine", "300"), "longer than 3s"},
	} {
		_, _, err := c.Convert(ctx, tc.in)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want ErrInvalid %q", tc.name, err, tc.want)
		}
	}
	if _, _, err := (Converter{Sox: "/nonexistent/sox"}).Convert(ctx, pcmWAV(8000, 1, 16, 16000)); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("a missing sox: %v; want an internal error, not the client's", err)
	}
}
