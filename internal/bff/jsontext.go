package bff

// JSON typed into textareas (connector attributes, a whole source, provisioning
// policies, patches) and JSON shown to people: strict decoding, problems in words with
// the line and column, JSON Patch applied locally before ISC sees it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"sourcedesk/internal/api"
)

// errTrailingJSON is decodeStrict's answer to text after the JSON value.
var errTrailingJSON = errors.New("there is more text after the JSON value")

// decodeStrict decodes one JSON value from text and refuses trailing data.
func decodeStrict(text string, v any) error {
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailingJSON
	}
	return nil
}

// jsonProblem says in words what is wrong with text, which failed to decode with err,
// and where (line and column) when the decoder says.
func jsonProblem(text string, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := jsonPosition(text, se.Offset)
		return fmt.Sprintf("This is not valid JSON (line %d, column %d): %s.", line, col, se.Error())
	case errors.As(err, &te):
		line, col := jsonPosition(text, te.Offset)
		where := "the value"
		if te.Field != "" {
			where = fmt.Sprintf("%q", te.Field)
		}
		return fmt.Sprintf("Line %d, column %d: %s must be %s, not %s.", line, col, where, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.Is(err, errTrailingJSON):
		return "Enter one JSON value only; there is more text after it."
	case errors.Is(err, io.ErrUnexpectedEOF), strings.TrimSpace(text) == "":
		return "This is not valid JSON: it ends too early."
	default:
		return "This is not valid JSON: " + err.Error()
	}
}

// jsonPosition turns a byte offset in text into a line and column, both from 1.
func jsonPosition(text string, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(text)))
	before := text[:offset]
	return strings.Count(before, "\n") + 1, int(offset) - strings.LastIndex(before, "\n")
}

func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	default:
		return "a " + k
	}
}

// parseJSONObject parses a JSON object typed into a textarea (empty text is an empty
// object), with a message that says where it is wrong.
func parseJSONObject(text string) (map[string]json.RawMessage, string) {
	if strings.TrimSpace(text) == "" {
		return map[string]json.RawMessage{}, ""
	}
	var obj map[string]json.RawMessage
	err := decodeStrict(text, &obj)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return nil, "Enter a JSON object: { \"name\": value, … }."
	case errors.Is(err, errTrailingJSON):
		return nil, "Enter one JSON object only; there is more text after it."
	case err != nil:
		return nil, jsonProblem(text, err)
	case obj == nil:
		return nil, "Enter a JSON object: { \"name\": value, … }, not null."
	}
	return obj, ""
}

// prettyJSON is v as indented JSON, for a textarea or a <pre>.
func prettyJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// jsonText shows a JSON value as text: a string without its quotes, anything else as
// its JSON.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// Errors of patchJSON besides a patch that does not apply.
var (
	errPatchInvalid = errors.New("not a valid JSON Patch")
	errPatchResult  = errors.New("the patched document does not decode")
)

// patchJSON applies the RFC 6902 operations ops to a copy of doc and decodes the
// result into out, to check an edit before ISC does. It fails with errPatchInvalid
// when ops is not a valid patch, errPatchResult when the result does not fit out, or
// the library's error when the patch does not apply to doc.
func patchJSON(doc any, ops []api.JSONPatchOperation, out any) error {
	d, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	pb, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	p, err := jsonpatch.DecodePatch(pb)
	if err != nil {
		return fmt.Errorf("%w: %w", errPatchInvalid, err)
	}
	res, err := p.Apply(d)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res, out); err != nil {
		return fmt.Errorf("%w: %w", errPatchResult, err)
	}
	return nil
}
