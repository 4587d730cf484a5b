package tts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/polly"
	"github.com/aws/aws-sdk-go-v2/service/polly/types"
	"github.com/aws/smithy-go"
)

// pollyEngine speaks through Amazon Polly's SynthesizeSpeech (16-bit PCM
// at 8 kHz). A voice is a Polly voice ID, optionally with the Polly
// engine after a colon ("Joanna", "Joanna:neural").
type pollyEngine struct {
	client *polly.Client
	alias  string
}

func newPolly(c Clouds, a CloudAccount, secret string) *pollyEngine {
	o := polly.Options{
		Region:           a.Region,
		Credentials:      credentials.NewStaticCredentialsProvider(a.AccessKeyID, secret, ""),
		HTTPClient:       c.client(),
		RetryMaxAttempts: 2,
	}
	if c.PollyURL != "" {
		o.BaseEndpoint = aws.String(c.PollyURL)
	}
	return &pollyEngine{client: polly.New(o), alias: a.Alias}
}

var pollyEngines = []string{"standard", "neural", "long-form", "generative"}

func (p *pollyEngine) Synthesize(ctx context.Context, voice, text string, ssml bool) ([]byte, error) {
	id, eng, _ := strings.Cut(voice, ":")
	in := &polly.SynthesizeSpeechInput{
		OutputFormat: types.OutputFormatPcm,
		SampleRate:   aws.String("8000"),
		Text:         aws.String(text),
		TextType:     types.TextTypeText,
		VoiceId:      types.VoiceId(id),
	}
	if ssml {
		in.TextType = types.TextTypeSsml
	}
	if eng != "" {
		if !contains(pollyEngines, eng) {
			return nil, ErrUnknownVoice.New("voice", "Amazon Polly has no engine %q (one of %s)", eng, strings.Join(pollyEngines, ", "))
		}
		in.Engine = types.Engine(eng)
	}
	out, err := p.client.SynthesizeSpeech(ctx, in)
	if err != nil {
		return nil, p.err(err)
	}
	defer func() { _ = out.AudioStream.Close() }()
	pcm, err := io.ReadAll(io.LimitReader(out.AudioStream, maxAudioBytes+1))
	if err != nil {
		return nil, ErrEngine.New("", "reading Amazon Polly's audio (cloud account %s): %v", p.alias, err)
	}
	if len(pcm) > maxAudioBytes {
		return nil, ErrEngine.New("", "Amazon Polly's audio is over %d MiB", maxAudioBytes>>20)
	}
	if ct := aws.ToString(out.ContentType); ct != "" && ct != "audio/pcm" {
		return nil, ErrEngine.New("", "Amazon Polly returned %s, not audio/pcm", ct)
	}
	if len(pcm)%2 == 1 {
		pcm = pcm[:len(pcm)-1]
	}
	return wavPCM16(pcm, SampleRate), nil
}

func (p *pollyEngine) Voices(ctx context.Context) ([]Voice, error) {
	var vs []Voice
	var next *string
	for range 50 {
		out, err := p.client.DescribeVoices(ctx, &polly.DescribeVoicesInput{NextToken: next})
		if err != nil {
			return nil, p.err(err)
		}
		for _, v := range out.Voices {
			vs = append(vs, Voice{ID: string(v.Id), Language: string(v.LanguageCode), Name: aws.ToString(v.Name),
				Gender: strings.ToLower(string(v.Gender))})
		}
		if next = out.NextToken; aws.ToString(next) == "" {
			break
		}
	}
	return vs, nil
}

// err turns Polly's answer into a coded error the account can act on.
func (p *pollyEngine) err(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := fmt.Sprintf("Amazon Polly (cloud account %s) refused: %s: %s", p.alias, ae.ErrorCode(), clip(ae.ErrorMessage(), 300))
		switch ae.ErrorCode() {
		case "InvalidSsmlException", "TextLengthExceededException", "SsmlMarksNotSupportedForTextTypeException", "InvalidSampleRateException":
			return ErrInvalid.New("text", "%s", msg)
		case "ValidationException", "EngineNotSupportedException", "LanguageNotSupportedException":
			return ErrUnknownVoice.New("voice", "%s", msg)
		}
		return ErrEngine.New("", "%s", msg)
	}
	return ErrEngine.New("", "Amazon Polly (cloud account %s) could not be reached: %v", p.alias, err)
}
