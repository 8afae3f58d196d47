package api

import "encoding/json"

// AttributeType is the type of a schema attribute: STRING, LONG, INT, BOOLEAN or DATE.
type AttributeType string

// Attribute types known to the v2025 spec.
const (
	AttributeString  AttributeType = "STRING"
	AttributeLong    AttributeType = "LONG"
	AttributeInt     AttributeType = "INT"
	AttributeBoolean AttributeType = "BOOLEAN"
	AttributeDate    AttributeType = "DATE"
)

// Schema is a source schema, e.g. "account" or "group". ISC requires id in
// the body of PUT, and id, name, created and modified must not change.
type Schema struct {
	ID                 string                     `json:"id,omitempty"`
	Name               string                     `json:"name,omitempty"`
	NativeObjectType   string                     `json:"nativeObjectType,omitempty"`
	IdentityAttribute  string                     `json:"identityAttribute,omitempty"`
	DisplayAttribute   string                     `json:"displayAttribute,omitempty"`
	HierarchyAttribute string                     `json:"hierarchyAttribute,omitempty"`
	IncludePermissions bool                       `json:"includePermissions"`
	Features           []SourceFeature            `json:"features,omitempty"`
	Configuration      map[string]json.RawMessage `json:"configuration,omitempty"`
	Attributes         []AttributeDefinition      `json:"attributes,omitempty"`
	Created            DateTime                   `json:"created,omitempty"`
	Modified           DateTime                   `json:"modified,omitempty"`
	Extra              Extra                      `json:"-"`
}

// UnmarshalJSON decodes s and keeps unknown members in s.Extra.
func (s *Schema) UnmarshalJSON(b []byte) error {
	type plain Schema
	return decodeKeeping(b, (*plain)(s), &s.Extra)
}

// MarshalJSON encodes s with its unknown members.
func (s Schema) MarshalJSON() ([]byte, error) {
	type plain Schema
	return encodeWith(plain(s), s.Extra)
}

// AttributeDefinition is one attribute of a Schema. IsGroup may be true only
// when IsEntitlement is and Schema references a group schema.
type AttributeDefinition struct {
	Name          string        `json:"name,omitempty"`
	NativeName    string        `json:"nativeName,omitempty"`
	Type          AttributeType `json:"type,omitempty"`
	Schema        *Reference    `json:"schema,omitempty"`
	Description   string        `json:"description,omitempty"`
	IsMulti       bool          `json:"isMulti"`
	IsEntitlement bool          `json:"isEntitlement"`
	IsGroup       bool          `json:"isGroup"`
	Extra         Extra         `json:"-"`
}

// UnmarshalJSON decodes a and keeps unknown members in a.Extra.
func (a *AttributeDefinition) UnmarshalJSON(b []byte) error {
	type plain AttributeDefinition
	return decodeKeeping(b, (*plain)(a), &a.Extra)
}

// MarshalJSON encodes a with its unknown members.
func (a AttributeDefinition) MarshalJSON() ([]byte, error) {
	type plain AttributeDefinition
	return encodeWith(plain(a), a.Extra)
}
