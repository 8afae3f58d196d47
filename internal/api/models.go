package api

import "time"

// The models follow ISC's v2025 component schemas, decoded leniently:
//   - enums are string types with constants; values this package does not
//     know pass through unchanged (ISC adds enum values without notice);
//   - nullable objects are pointers; a null string decodes as "";
//   - date-times are DateTime strings, so an odd format never fails a decode
//     and is sent back byte for byte;
//   - models that are written back (PUT/POST/PATCH bodies and what they
//     contain) keep unknown members in Extra and send them again.

// DateTime is an ISC date-time as sent on the wire (RFC 3339, usually with
// milliseconds). It stays a string so that decoding never fails on a format
// surprise and a round trip keeps the exact text.
type DateTime string

// Time parses d as RFC 3339.
func (d DateTime) Time() (time.Time, error) { return time.Parse(time.RFC3339Nano, string(d)) }

// DtoType is the type of a reference, e.g. IDENTITY or CLUSTER.
type DtoType string

// Reference types used by the Sources API.
const (
	DtoAccountCorrelationConfig DtoType = "ACCOUNT_CORRELATION_CONFIG"
	DtoCluster                  DtoType = "CLUSTER"
	DtoConnectorSchema          DtoType = "CONNECTOR_SCHEMA"
	DtoGovernanceGroup          DtoType = "GOVERNANCE_GROUP"
	DtoIdentity                 DtoType = "IDENTITY"
	DtoPasswordPolicy           DtoType = "PASSWORD_POLICY"
	DtoRule                     DtoType = "RULE"
	DtoSource                   DtoType = "SOURCE"
	DtoTaskResult               DtoType = "TASK_RESULT"
)

// Reference points at another ISC object: {type, id, name}.
type Reference struct {
	Type  DtoType `json:"type,omitempty"`
	ID    string  `json:"id,omitempty"`
	Name  string  `json:"name,omitempty"`
	Extra Extra   `json:"-"`
}

// UnmarshalJSON decodes r and keeps unknown members in r.Extra.
func (r *Reference) UnmarshalJSON(b []byte) error {
	type plain Reference
	return decodeKeeping(b, (*plain)(r), &r.Extra)
}

// MarshalJSON encodes r with its unknown members.
func (r Reference) MarshalJSON() ([]byte, error) {
	type plain Reference
	return encodeWith(plain(r), r.Extra)
}

// JSONPatchOperation is one RFC 6902 operation, as sent (as
// application/json-patch+json) by the Update* methods.
type JSONPatchOperation struct {
	// Op is add, remove, replace, move, copy or test.
	Op string `json:"op"`
	// Path is a JSON Pointer, e.g. "/description" or "/attributes/-".
	Path string `json:"path"`
	// Value is the operand of add, replace and test; nil for remove.
	Value any `json:"value,omitempty"`
	// From is the source pointer of move and copy.
	From string `json:"from,omitempty"`
}

// PatchReplace returns a replace operation.
func PatchReplace(path string, value any) JSONPatchOperation {
	return JSONPatchOperation{Op: "replace", Path: path, Value: value}
}

// PatchAdd returns an add operation.
func PatchAdd(path string, value any) JSONPatchOperation {
	return JSONPatchOperation{Op: "add", Path: path, Value: value}
}

// PatchRemove returns a remove operation.
func PatchRemove(path string) JSONPatchOperation {
	return JSONPatchOperation{Op: "remove", Path: path}
}

// ErrorResponse is ISC's ErrorResponseDto, the body of most error answers.
// The client reads it into *Error; it is exported for fakes and tests.
type ErrorResponse struct {
	DetailCode string         `json:"detailCode,omitempty"`
	TrackingID string         `json:"trackingId,omitempty"`
	Messages   []ErrorMessage `json:"messages,omitempty"`
	Causes     []ErrorMessage `json:"causes,omitempty"`
}

// ErrorMessage is one localized message of an ErrorResponse.
type ErrorMessage struct {
	Locale       string `json:"locale,omitempty"`
	LocaleOrigin string `json:"localeOrigin,omitempty"` // DEFAULT, REQUEST or null
	Text         string `json:"text"`
}

// Page is one page of a collection. Total is X-Total-Count, sent only when
// the request asked for Count; HasTotal says whether it was.
type Page[T any] struct {
	Items    []T
	Total    int
	HasTotal bool
}
