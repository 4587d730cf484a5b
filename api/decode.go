package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/switchyard/switchyard"
)

// DecodeJSON reads one JSON object of at most limit bytes from the request
// body into dst (see DecodeJSONBytes).
func DecodeJSON(c echo.Context, dst any, limit int64) error {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, limit+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if int64(len(b)) > limit {
		return PayloadTooLarge(limit)
	}
	return DecodeJSONBytes(b, dst)
}

// DecodeJSONBytes decodes one JSON object into dst. Unknown fields are
// refused, so a typo does not silently keep a default; a problem is a 422
// that names the field as clients spell it and says what is wrong in
// their terms (JSONProblem).
func DecodeJSONBytes(b []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return JSONProblem(err)
	}
	if dec.More() {
		return Invalid("body", "one JSON object expected, with nothing after it")
	}
	return nil
}

// JSONProblem is a JSON decoding error in a client's words: the field and
// the JSON type it takes, an unknown field, or where the JSON is broken.
// A coded error a value's own decoding returned is kept as it is.
func JSONProblem(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var coded *switchyard.Error
	switch {
	case errors.As(err, &coded):
		return err
	case errors.As(err, &te) && te.Field != "":
		return &Error{Code: CodeInvalid, Field: Clip(te.Field), Message: fmt.Sprintf("must be a JSON %s, got %s", jsonKind(te.Type), jsonValue(te.Value)), Err: err}
	case errors.As(err, &te):
		return &Error{Code: CodeInvalid, Field: "body", Message: fmt.Sprintf("must be a JSON %s, got %s", jsonKind(te.Type), jsonValue(te.Value)), Err: err}
	case errors.As(err, &se):
		return &Error{Code: CodeInvalid, Field: "body", Message: fmt.Sprintf("not valid JSON (at byte %d)", se.Offset), Err: err}
	case errors.Is(err, io.EOF):
		return &Error{Code: CodeInvalid, Field: "body", Message: "empty: a JSON object is expected", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Code: CodeInvalid, Field: "body", Message: "the JSON ends too early", Err: err}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name := Clip(strings.Trim(f, `"`))
		return &Error{Code: CodeInvalid, Field: name, Message: fmt.Sprintf("unknown field %q", name), Err: err}
	}
	return &Error{Code: CodeInvalid, Field: "body", Message: "not the expected JSON object", Err: err}
}

// jsonKind is the JSON name of the type a Go value decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "value"
}

// jsonValue is what a JSON value was, with its article ("a string", "an
// array", "a number 1.5").
func jsonValue(v string) string {
	v = strings.Replace(v, "bool", "boolean", 1)
	if v != "" && strings.ContainsRune("aeiou", rune(v[0])) {
		return "an " + v
	}
	return "a " + v
}
