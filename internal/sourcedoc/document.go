package sourcedoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"sourcedesk/docs"
)

// Format and Version identify a source document; Parse refuses any other.
const (
	Format  = "sourcedesk.source"
	Version = 1
)

// Document is one source as code: its definition without secrets and every
// configuration hanging off it, with the ids another tenant would not share
// replaced by names. docs/source-document.schema.json is its JSON Schema and
// docs/source-document.md describes it.
//
// A section is null when it could not be read (Unread says why), so a
// document never claims a configuration it does not hold.
type Document struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Origin says where the document was exported; Compare ignores it.
	Origin                *Origin                `json:"origin,omitempty"`
	Source                Definition             `json:"source"`
	Schemas               []Schema               `json:"schemas"`
	ProvisioningPolicies  []Policy               `json:"provisioningPolicies"`
	Schedules             []Schedule             `json:"schedules"`
	Correlation           *Correlation           `json:"correlation"`
	AttributeSync         *AttributeSync         `json:"attributeSync"`
	NativeChangeDetection *NativeChangeDetection `json:"nativeChangeDetection"`
	EntitlementRequest    *EntitlementRequest    `json:"entitlementRequest"`
	PasswordPolicies      []PasswordPolicy       `json:"passwordPolicies"`
	// Unread maps a section that could not be read to the reason (e.g. the
	// user level lacks the right).
	Unread map[string]string `json:"unread,omitempty"`
}

// Origin is where a document was exported from.
type Origin struct {
	Tenant   string `json:"tenant,omitempty"`
	SourceID string `json:"sourceId,omitempty"`
}

// Definition is the source itself (ISC's Source without the members ISC
// computes). Connector attributes that hold a secret are left out and named in
// Secrets.
type Definition struct {
	Name           string `json:"name"`
	Description    string `json:"description"`
	Connector      string `json:"connector"`
	Type           string `json:"type"`
	ConnectorClass string `json:"connectorClass"`
	// Owner is matched by alias across tenants (an identity's display name
	// is not unique); null for a source without owner.
	Owner               *Identity `json:"owner"`
	Cluster             *Named    `json:"cluster"`
	ManagementWorkgroup *Named    `json:"managementWorkgroup"`
	// PasswordPolicies are policy names, sorted. ISC sets them when the
	// source is created and refuses to change them afterwards.
	PasswordPolicies          []string                   `json:"passwordPolicies"`
	AccountCorrelationRule    *Named                     `json:"accountCorrelationRule"`
	ManagerCorrelationRule    *Named                     `json:"managerCorrelationRule"`
	BeforeProvisioningRule    *Named                     `json:"beforeProvisioningRule"`
	ManagerCorrelationMapping *ManagerCorrelationMapping `json:"managerCorrelationMapping"`
	// Features are sorted: ISC treats them as a set.
	Features                  []string `json:"features"`
	DeleteThreshold           *int     `json:"deleteThreshold"`
	CredentialProviderEnabled bool     `json:"credentialProviderEnabled"`
	Category                  string   `json:"category"`
	// ConnectorAttributes is the connector's configuration without secrets.
	ConnectorAttributes map[string]any `json:"connectorAttributes"`
	// Secrets are the connector attributes (dotted paths, [i] for list
	// items) whose values were left out; sorted.
	Secrets []string `json:"secrets"`
}

// Identity is a person by alias (unique in a tenant) and display name.
type Identity struct {
	Name  string `json:"name"`
	Alias string `json:"alias"`
}

// Named is an object referred to by its name: a cluster, a governance group, a rule.
type Named struct {
	Name string `json:"name"`
}

// ManagerCorrelationMapping matches an account attribute to the manager's identity attribute.
type ManagerCorrelationMapping struct {
	AccountAttributeName  string `json:"accountAttributeName"`
	IdentityAttributeName string `json:"identityAttributeName"`
}

// Schema is a source schema, named ("account", "group", …).
type Schema struct {
	Name               string         `json:"name"`
	NativeObjectType   string         `json:"nativeObjectType"`
	IdentityAttribute  string         `json:"identityAttribute"`
	DisplayAttribute   string         `json:"displayAttribute"`
	HierarchyAttribute string         `json:"hierarchyAttribute"`
	IncludePermissions bool           `json:"includePermissions"`
	Features           []string       `json:"features"`
	Configuration      map[string]any `json:"configuration"`
	// Attributes keep ISC's order, which is the column order of the schema.
	Attributes []Attribute `json:"attributes"`
}

// Attribute is one attribute of a schema.
type Attribute struct {
	Name       string `json:"name"`
	NativeName string `json:"nativeName"`
	Type       string `json:"type"`
	// Schema names the schema the values refer to (e.g. "group"), if any.
	Schema        string `json:"schema,omitempty"`
	Description   string `json:"description"`
	IsMulti       bool   `json:"isMulti"`
	IsEntitlement bool   `json:"isEntitlement"`
	IsGroup       bool   `json:"isGroup"`
}

// Policy is a provisioning policy, one per usage type.
type Policy struct {
	UsageType   string  `json:"usageType"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Fields      []Field `json:"fields"`
}

// Field is one field of a provisioning policy.
type Field struct {
	Name          string         `json:"name"`
	Type          string         `json:"type"`
	IsMultiValued bool           `json:"isMultiValued"`
	Transform     map[string]any `json:"transform"`
	Attributes    map[string]any `json:"attributes"`
}

// Schedule is an aggregation schedule (Quartz cron, with seconds).
type Schedule struct {
	Type           string `json:"type"`
	CronExpression string `json:"cronExpression"`
}

// Correlation is the account correlation configuration.
type Correlation struct {
	AttributeAssignments []Assignment `json:"attributeAssignments"`
}

// Assignment is one correlation rule.
type Assignment struct {
	Property     string `json:"property"`
	Value        string `json:"value"`
	Operation    string `json:"operation"`
	Complex      bool   `json:"complex"`
	IgnoreCase   bool   `json:"ignoreCase"`
	MatchMode    string `json:"matchMode"`
	FilterString string `json:"filterString"`
}

// AttributeSync is which identity attributes are synchronized to accounts.
// ISC offers the attributes the Create Account policy maps directly from an
// identity attribute; only Enabled can be changed.
type AttributeSync struct {
	Attributes []SyncAttribute `json:"attributes"`
}

// SyncAttribute is one identity attribute and the account attribute it syncs to.
type SyncAttribute struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Target      string `json:"target"`
	Enabled     bool   `json:"enabled"`
}

// NativeChangeDetection is the native change detection configuration; its
// lists are sorted.
type NativeChangeDetection struct {
	Enabled                          bool     `json:"enabled"`
	Operations                       []string `json:"operations"`
	AllEntitlements                  bool     `json:"allEntitlements"`
	AllNonEntitlementAttributes      bool     `json:"allNonEntitlementAttributes"`
	SelectedEntitlements             []string `json:"selectedEntitlements"`
	SelectedNonEntitlementAttributes []string `json:"selectedNonEntitlementAttributes"`
}

// EntitlementRequest is how access to the source's entitlements is requested and revoked.
type EntitlementRequest struct {
	AccessRequest     *AccessRequest     `json:"accessRequest"`
	RevocationRequest *RevocationRequest `json:"revocationRequest"`
}

// AccessRequest is the request half of EntitlementRequest.
type AccessRequest struct {
	ApprovalSchemes            []Approval `json:"approvalSchemes"`
	RequestCommentRequired     bool       `json:"requestCommentRequired"`
	DenialCommentRequired      bool       `json:"denialCommentRequired"`
	ReauthorizationRequired    bool       `json:"reauthorizationRequired"`
	RequireEndDate             bool       `json:"requireEndDate"`
	MaxPermittedAccessDuration *Duration  `json:"maxPermittedAccessDuration"`
}

// RevocationRequest is the revocation half of EntitlementRequest.
type RevocationRequest struct {
	ApprovalSchemes []Approval `json:"approvalSchemes"`
}

// Approval is one approval step. A governance group approver is named;
// a workflow approver keeps ISC's workflow id, which only its tenant knows.
type Approval struct {
	ApproverType    string `json:"approverType"`
	GovernanceGroup string `json:"governanceGroup,omitempty"`
	WorkflowID      string `json:"workflowId,omitempty"`
}

// Duration is e.g. {value: 2, timeUnit: WEEKS}.
type Duration struct {
	Value    int    `json:"value"`
	TimeUnit string `json:"timeUnit"`
}

// PasswordPolicy is a password policy on the source and the identities it selects.
type PasswordPolicy struct {
	Name      string         `json:"name"`
	Selectors map[string]any `json:"selectors"`
}

// Section keys, in the order documents, diffs and plans list them.
const (
	SectionSource                = "source"
	SectionSchemas               = "schemas"
	SectionProvisioningPolicies  = "provisioningPolicies"
	SectionSchedules             = "schedules"
	SectionCorrelation           = "correlation"
	SectionAttributeSync         = "attributeSync"
	SectionNativeChangeDetection = "nativeChangeDetection"
	SectionEntitlementRequest    = "entitlementRequest"
	SectionPasswordPolicies      = "passwordPolicies"
)

// Sections lists every section with its title, in order.
var Sections = []struct{ Key, Title string }{
	{SectionSource, "Source definition"},
	{SectionSchemas, "Schemas"},
	{SectionProvisioningPolicies, "Provisioning policies"},
	{SectionSchedules, "Schedules"},
	{SectionCorrelation, "Correlation"},
	{SectionAttributeSync, "Attribute sync"},
	{SectionNativeChangeDetection, "Native change detection"},
	{SectionEntitlementRequest, "Entitlement requests"},
	{SectionPasswordPolicies, "Password policies"},
}

// SectionTitle is the title of a section key.
func SectionTitle(key string) string {
	for _, s := range Sections {
		if s.Key == key {
			return s.Title
		}
	}
	return key
}

// Marshal writes d as the document format: two-space indentation, members in
// the format's order (maps sorted by key), characters such as < kept as they
// are, and a final newline, so that two exports of one source are byte for
// byte the same and a change shows as a small text diff.
func Marshal(d *Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrInvalid marks a document that is not valid JSON or does not follow the
// format; the error's text says where and why.
var ErrInvalid = errors.New("not a source document")

// Parse reads a document, checking it against the format's JSON Schema, so a
// hand-edited or foreign file is refused with the place of the first problems
// rather than half understood.
func Parse(data []byte) (*Document, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrInvalid)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: not valid JSON: %v", ErrInvalid, err)
	}
	if head, ok := inst.(map[string]any); ok {
		if f, _ := head["format"].(string); f != Format {
			return nil, fmt.Errorf("%w: format is %q, not %q", ErrInvalid, head["format"], Format)
		}
		if v, ok := head["version"].(json.Number); !ok || v.String() != fmt.Sprint(Version) {
			return nil, fmt.Errorf("%w: version %v is not supported (this console reads version %d)", ErrInvalid, head["version"], Version)
		}
	}
	sch, err := compiledSchema()
	if err != nil {
		return nil, err
	}
	if err := sch.Validate(inst); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, validationText(err))
	}
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return &d, nil
}

// compiledSchema compiles docs/source-document.schema.json once.
var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(docs.SourceDocumentSchema))
	if err != nil {
		return nil, fmt.Errorf("sourcedoc: the format's JSON Schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	const url = "source-document.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("sourcedoc: the format's JSON Schema: %w", err)
	}
	return c.Compile(url)
})

// validationText lists the first few leaf problems of a schema validation
// as "at /path: message".
func validationText(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var out []string
	var walk func(u *jsonschema.OutputUnit)
	walk = func(u *jsonschema.OutputUnit) {
		if len(out) >= 3 {
			return
		}
		if len(u.Errors) == 0 && u.Error != nil {
			at := u.InstanceLocation
			if at == "" {
				at = "/"
			}
			out = append(out, "at "+at+": "+u.Error.String())
			return
		}
		for i := range u.Errors {
			walk(&u.Errors[i])
		}
	}
	walk(ve.BasicOutput())
	if len(out) == 0 {
		return ve.Error()
	}
	return strings.Join(out, "; ")
}
