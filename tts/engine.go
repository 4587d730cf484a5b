package tts

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
)

// Engine makes speech audio. The local espeak-ng engine and the cloud
// adapters (Polly, Google) implement it.
type Engine interface {
	// Synthesize speaks text (SSML when ssml is true) with the voice and
	// returns an 8 kHz mono 16-bit PCM WAV file.
	Synthesize(ctx context.Context, voice, text string, ssml bool) ([]byte, error)
	// Voices lists the engine's voices.
	Voices(ctx context.Context) ([]Voice, error)
}

// Voice is one voice of an engine.
type Voice struct {
	ID       string `json:"id"`       // what a setting or an item names
	Language string `json:"language"` // language code (en-us, en-US, fr…)
	Name     string `json:"name"`     // a readable name
	Gender   string `json:"gender,omitempty"`
}

// SampleRate is the rate of the audio handed to Asterisk.
const SampleRate = 8000

// wavPCM16 wraps little-endian 16-bit mono PCM samples at rate in a WAV
// header.
func wavPCM16(pcm []byte, rate int) []byte {
	var b bytes.Buffer
	b.Grow(44 + len(pcm))
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+len(pcm)))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(pcm)))
	b.Write(pcm)
	return b.Bytes()
}

// WAVInfo is what matters of a PCM WAV file's format.
type WAVInfo struct {
	Rate, Channels, Bits int
	Data                 []byte // the samples
}

// ParseWAV reads a PCM WAV file's format and samples.
func ParseWAV(b []byte) (WAVInfo, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return WAVInfo{}, fmt.Errorf("not a WAV file")
	}
	var info WAVInfo
	haveFmt := false
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		n := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		body := b[p+8:]
		if n < 0 || n > len(body) {
			if id == "data" { // a streamed file's unknown length: the rest
				n = len(body)
			} else {
				return WAVInfo{}, fmt.Errorf("WAV chunk %q is cut short", id)
			}
		}
		body = body[:n]
		switch id {
		case "fmt ":
			if n < 16 {
				return WAVInfo{}, fmt.Errorf("WAV format chunk too short")
			}
			if f := binary.LittleEndian.Uint16(body); f != 1 {
				return WAVInfo{}, fmt.Errorf("WAV format %d is not PCM", f)
			}
			info.Channels = int(binary.LittleEndian.Uint16(body[2:]))
			info.Rate = int(binary.LittleEndian.Uint32(body[4:]))
			info.Bits = int(binary.LittleEndian.Uint16(body[14:]))
			haveFmt = true
		case "data":
			if !haveFmt {
				return WAVInfo{}, fmt.Errorf("WAV data before its format")
			}
			info.Data = body
			return info, nil
		}
		p += 8 + n + n%2
	}
	return WAVInfo{}, fmt.Errorf("WAV file has no data")
}

// asteriskWAV checks that b is the 8 kHz mono 16-bit WAV Asterisk is
// given and not empty.
func asteriskWAV(b []byte) error {
	info, err := ParseWAV(b)
	if err != nil {
		return err
	}
	if info.Rate != SampleRate || info.Channels != 1 || info.Bits != 16 {
		return fmt.Errorf("audio is %d Hz, %d channels, %d bits; want 8000 Hz mono 16-bit", info.Rate, info.Channels, info.Bits)
	}
	if len(info.Data) < 2 {
		return fmt.Errorf("audio is empty")
	}
	return nil
}
