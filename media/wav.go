package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// SampleRate is the rate of the audio Asterisk plays from a .wav file
// (8 kHz; mono, 16-bit signed PCM).
const SampleRate = 8000

// WAVDuration reads an 8 kHz mono 16-bit PCM WAV's duration from its data
// chunk; any other WAV is an error.
func WAVDuration(wav []byte) (time.Duration, error) {
	if len(wav) < 12 || string(wav[:4]) != "RIFF" || string(wav[8:12]) != "WAVE" {
		return 0, errors.New("not a WAV file")
	}
	var fmtOK bool
	for p := 12; p+8 <= len(wav); {
		id, size := string(wav[p:p+4]), int(binary.LittleEndian.Uint32(wav[p+4:p+8]))
		body := p + 8
		switch id {
		case "fmt ":
			if body+16 > len(wav) {
				return 0, errors.New("short fmt chunk")
			}
			f := wav[body:]
			tag, ch, rate, bits := binary.LittleEndian.Uint16(f), binary.LittleEndian.Uint16(f[2:]), binary.LittleEndian.Uint32(f[4:]), binary.LittleEndian.Uint16(f[14:])
			if tag != 1 || ch != 1 || rate != SampleRate || bits != 16 {
				return 0, fmt.Errorf("WAV is format %d, %d channel(s), %d Hz, %d bits; want PCM mono 8000 Hz 16 bits", tag, ch, rate, bits)
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return 0, errors.New("WAV data before its format")
			}
			if size > len(wav)-body || size < 0 {
				size = len(wav) - body // a streamed WAV's unknown length
			}
			return time.Duration(size) * time.Second / (SampleRate * 2), nil
		}
		p = body + size + size%2
	}
	return 0, errors.New("WAV has no data chunk")
}
