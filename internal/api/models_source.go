package api

import "encoding/json"

// SourceStatus is a source's health state, e.g. SOURCE_STATE_HEALTHY.
type SourceStatus string

// Source states known to the v2025 spec.
const (
	SourceStateErrorAccountFileImport    SourceStatus = "SOURCE_STATE_ERROR_ACCOUNT_FILE_IMPORT"
	SourceStateErrorCluster              SourceStatus = "SOURCE_STATE_ERROR_CLUSTER"
	SourceStateErrorSource               SourceStatus = "SOURCE_STATE_ERROR_SOURCE"
	SourceStateErrorVA                   SourceStatus = "SOURCE_STATE_ERROR_VA"
	SourceStateFailureCluster            SourceStatus = "SOURCE_STATE_FAILURE_CLUSTER"
	SourceStateFailureSource             SourceStatus = "SOURCE_STATE_FAILURE_SOURCE"
	SourceStateHealthy                   SourceStatus = "SOURCE_STATE_HEALTHY"
	SourceStateUncheckedCluster          SourceStatus = "SOURCE_STATE_UNCHECKED_CLUSTER"
	SourceStateUncheckedClusterNoSources SourceStatus = "SOURCE_STATE_UNCHECKED_CLUSTER_NO_SOURCES"
	SourceStateUncheckedSource           SourceStatus = "SOURCE_STATE_UNCHECKED_SOURCE"
	SourceStateUncheckedSourceNoAccounts SourceStatus = "SOURCE_STATE_UNCHECKED_SOURCE_NO_ACCOUNTS"
)

// SourceFeature is a capability of a source or schema, e.g. PROVISIONING.
// The list grows (APPLICATION_DISCOVERY broke strict clients), so unknown
// values are kept as they are.
type SourceFeature string

// A few source features the console shows; see the spec for all 33.
const (
	FeatureAuthenticate      SourceFeature = "AUTHENTICATE"
	FeatureDiscoverSchema    SourceFeature = "DISCOVER_SCHEMA"
	FeatureEnable            SourceFeature = "ENABLE"
	FeatureNoAggregation     SourceFeature = "NO_AGGREGATION"
	FeaturePassword          SourceFeature = "PASSWORD"
	FeatureProvisioning      SourceFeature = "PROVISIONING"
	FeatureGroupProvisioning SourceFeature = "GROUP_PROVISIONING"
	FeatureUnlock            SourceFeature = "UNLOCK"
	FeatureDelete            SourceFeature = "DELETE"
)

// Source is an ISC source (component schema Source). name, owner and
// connector are required by ISC; owner may be null (ISC's own
// IdentityNowConnector source has none), so it is always sent, as null when nil.
type Source struct {
	ID                        string                     `json:"id,omitempty"`
	Name                      string                     `json:"name"`
	Description               string                     `json:"description,omitempty"`
	Owner                     *Reference                 `json:"owner"`
	Cluster                   *Reference                 `json:"cluster,omitempty"`
	AccountCorrelationConfig  *Reference                 `json:"accountCorrelationConfig,omitempty"`
	AccountCorrelationRule    *Reference                 `json:"accountCorrelationRule,omitempty"`
	ManagerCorrelationMapping *ManagerCorrelationMapping `json:"managerCorrelationMapping,omitempty"`
	ManagerCorrelationRule    *Reference                 `json:"managerCorrelationRule,omitempty"`
	BeforeProvisioningRule    *Reference                 `json:"beforeProvisioningRule,omitempty"`
	Schemas                   []Reference                `json:"schemas,omitempty"`
	PasswordPolicies          []Reference                `json:"passwordPolicies,omitempty"`
	Features                  []SourceFeature            `json:"features,omitempty"`
	// Type is set by ISC (e.g. DelimitedFile when created with provisionAsCsv).
	Type           string `json:"type,omitempty"`
	Connector      string `json:"connector"`
	ConnectorClass string `json:"connectorClass,omitempty"`
	// ConnectorAttributes is the connector's free-form configuration, kept
	// verbatim member by member.
	ConnectorAttributes map[string]json.RawMessage `json:"connectorAttributes,omitempty"`
	// DeleteThreshold is a percentage (0-100); nil when not set.
	DeleteThreshold           *int         `json:"deleteThreshold,omitempty"`
	Authoritative             bool         `json:"authoritative"`
	ManagementWorkgroup       *Reference   `json:"managementWorkgroup,omitempty"`
	Healthy                   bool         `json:"healthy"`
	Status                    SourceStatus `json:"status,omitempty"`
	Since                     string       `json:"since,omitempty"`
	ConnectorID               string       `json:"connectorId,omitempty"`
	ConnectorName             string       `json:"connectorName,omitempty"`
	ConnectionType            string       `json:"connectionType,omitempty"` // "direct" or "file"
	ConnectorImplementationID string       `json:"connectorImplementationId,omitempty"`
	Created                   DateTime     `json:"created,omitempty"`
	Modified                  DateTime     `json:"modified,omitempty"`
	CredentialProviderEnabled bool         `json:"credentialProviderEnabled"`
	Category                  string       `json:"category,omitempty"`
	Extra                     Extra        `json:"-"`
}

// UnmarshalJSON decodes s and keeps unknown members in s.Extra.
func (s *Source) UnmarshalJSON(b []byte) error {
	type plain Source
	return decodeKeeping(b, (*plain)(s), &s.Extra)
}

// MarshalJSON encodes s with its unknown members.
func (s Source) MarshalJSON() ([]byte, error) {
	type plain Source
	return encodeWith(plain(s), s.Extra)
}

// ManagerCorrelationMapping matches incoming manager values to identities.
type ManagerCorrelationMapping struct {
	AccountAttributeName  string `json:"accountAttributeName,omitempty"`
	IdentityAttributeName string `json:"identityAttributeName,omitempty"`
	Extra                 Extra  `json:"-"`
}

// UnmarshalJSON decodes m and keeps unknown members in m.Extra.
func (m *ManagerCorrelationMapping) UnmarshalJSON(b []byte) error {
	type plain ManagerCorrelationMapping
	return decodeKeeping(b, (*plain)(m), &m.Extra)
}

// MarshalJSON encodes m with its unknown members.
func (m ManagerCorrelationMapping) MarshalJSON() ([]byte, error) {
	type plain ManagerCorrelationMapping
	return encodeWith(plain(m), m.Extra)
}

// SourceHealth is GET /sources/{sourceId}/source-health (SourceHealthDto).
type SourceHealth struct {
	ID               string       `json:"id,omitempty"`
	Type             string       `json:"type,omitempty"`
	Name             string       `json:"name,omitempty"`
	Org              string       `json:"org,omitempty"`
	IsAuthoritative  bool         `json:"isAuthoritative"`
	IsCluster        bool         `json:"isCluster"`
	Hostname         string       `json:"hostname,omitempty"`
	Pod              string       `json:"pod,omitempty"`
	IqServiceVersion string       `json:"iqServiceVersion,omitempty"`
	Status           SourceStatus `json:"status,omitempty"`
}

// SourceConnections is what depends on a source (SourceConnectionsDto); a
// source can be deleted only when nothing does.
type SourceConnections struct {
	IdentityProfiles          []IdentityProfileConnection `json:"identityProfiles,omitempty"`
	CredentialProfiles        []string                    `json:"credentialProfiles,omitempty"`
	SourceAttributes          []string                    `json:"sourceAttributes,omitempty"`
	MappingProfiles           []string                    `json:"mappingProfiles,omitempty"`
	DependentCustomTransforms []Transform                 `json:"dependentCustomTransforms,omitempty"`
	DependentApps             []DependentApp              `json:"dependentApps,omitempty"`
	MissingDependents         []MissingDependent          `json:"missingDependents,omitempty"`
}

// IdentityProfileConnection is an identity profile that uses a source.
type IdentityProfileConnection struct {
	ID            string `json:"id,omitempty"`
	Name          string `json:"name,omitempty"`
	IdentityCount int64  `json:"identityCount"`
}

// Transform is a custom transform that references a source (TransformRead).
// Attributes differ per transform type and are kept verbatim.
type Transform struct {
	ID         string          `json:"id,omitempty"`
	Name       string          `json:"name,omitempty"`
	Type       string          `json:"type,omitempty"`
	Internal   bool            `json:"internal"`
	Attributes json.RawMessage `json:"attributes,omitempty"`
}

// DependentApp is an app that uses a source (DependantAppConnections).
type DependentApp struct {
	CloudAppID              string          `json:"cloudAppId,omitempty"`
	Description             string          `json:"description,omitempty"`
	Enabled                 bool            `json:"enabled"`
	ProvisionRequestEnabled bool            `json:"provisionRequestEnabled"`
	AccountSource           json.RawMessage `json:"accountSource,omitempty"`
	LauncherCount           int64           `json:"launcherCount"`
	MatchAllAccount         bool            `json:"matchAllAccount"`
	Owner                   []Reference     `json:"owner,omitempty"`
	AppCenterEnabled        bool            `json:"appCenterEnabled"`
}

// MissingDependent is a dependency ISC could not check, with the reason.
type MissingDependent struct {
	DependencyType string `json:"dependencyType,omitempty"`
	Reason         string `json:"reason,omitempty"`
}

// CorrelationConfig is a source's account correlation configuration.
type CorrelationConfig struct {
	ID                   string                  `json:"id,omitempty"`
	Name                 string                  `json:"name,omitempty"`
	AttributeAssignments []CorrelationAssignment `json:"attributeAssignments,omitempty"`
	Extra                Extra                   `json:"-"`
}

// UnmarshalJSON decodes c and keeps unknown members in c.Extra.
func (c *CorrelationConfig) UnmarshalJSON(b []byte) error {
	type plain CorrelationConfig
	return decodeKeeping(b, (*plain)(c), &c.Extra)
}

// MarshalJSON encodes c with its unknown members.
func (c CorrelationConfig) MarshalJSON() ([]byte, error) {
	type plain CorrelationConfig
	return encodeWith(plain(c), c.Extra)
}

// CorrelationAssignment is one rule of a CorrelationConfig.
type CorrelationAssignment struct {
	Property     string `json:"property,omitempty"`
	Value        string `json:"value,omitempty"`
	Operation    string `json:"operation,omitempty"` // EQ
	Complex      bool   `json:"complex"`
	IgnoreCase   bool   `json:"ignoreCase"`
	MatchMode    string `json:"matchMode,omitempty"` // ANYWHERE, START, END
	FilterString string `json:"filterString,omitempty"`
	Extra        Extra  `json:"-"`
}

// UnmarshalJSON decodes a and keeps unknown members in a.Extra.
func (a *CorrelationAssignment) UnmarshalJSON(b []byte) error {
	type plain CorrelationAssignment
	return decodeKeeping(b, (*plain)(a), &a.Extra)
}

// MarshalJSON encodes a with its unknown members.
func (a CorrelationAssignment) MarshalJSON() ([]byte, error) {
	type plain CorrelationAssignment
	return encodeWith(plain(a), a.Extra)
}

// PasswordPolicyHolder is one item of PasswordPolicyHoldersDto: a password
// policy on a source and the identities it selects.
type PasswordPolicyHolder struct {
	PolicyID   string                   `json:"policyId,omitempty"`
	PolicyName string                   `json:"policyName,omitempty"`
	Selectors  *PasswordPolicySelectors `json:"selectors,omitempty"`
	Extra      Extra                    `json:"-"`
}

// UnmarshalJSON decodes p and keeps unknown members in p.Extra.
func (p *PasswordPolicyHolder) UnmarshalJSON(b []byte) error {
	type plain PasswordPolicyHolder
	return decodeKeeping(b, (*plain)(p), &p.Extra)
}

// MarshalJSON encodes p with its unknown members.
func (p PasswordPolicyHolder) MarshalJSON() ([]byte, error) {
	type plain PasswordPolicyHolder
	return encodeWith(plain(p), p.Extra)
}

// PasswordPolicySelectors selects identities by attribute values.
type PasswordPolicySelectors struct {
	IdentityAttr []NameValue `json:"identityAttr,omitempty"`
	Extra        Extra       `json:"-"`
}

// UnmarshalJSON decodes s and keeps unknown members in s.Extra.
func (s *PasswordPolicySelectors) UnmarshalJSON(b []byte) error {
	type plain PasswordPolicySelectors
	return decodeKeeping(b, (*plain)(s), &s.Extra)
}

// MarshalJSON encodes s with its unknown members.
func (s PasswordPolicySelectors) MarshalJSON() ([]byte, error) {
	type plain PasswordPolicySelectors
	return encodeWith(plain(s), s.Extra)
}

// NameValue is a {name, value} pair.
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ConnectorDetail is a source's connector configuration
// (GET /sources/{id}/connectors/source-config).
type ConnectorDetail struct {
	Name                  string                     `json:"name,omitempty"`
	Type                  string                     `json:"type,omitempty"`
	ClassName             string                     `json:"className,omitempty"`
	ScriptName            string                     `json:"scriptName,omitempty"`
	ApplicationXML        string                     `json:"applicationXml,omitempty"`
	CorrelationConfigXML  string                     `json:"correlationConfigXml,omitempty"`
	SourceConfigXML       string                     `json:"sourceConfigXml,omitempty"`
	SourceConfig          string                     `json:"sourceConfig,omitempty"`
	SourceConfigFrom      string                     `json:"sourceConfigFrom,omitempty"`
	S3Location            string                     `json:"s3Location,omitempty"`
	UploadedFiles         []string                   `json:"uploadedFiles,omitempty"`
	FileUpload            bool                       `json:"fileUpload"`
	DirectConnect         bool                       `json:"directConnect"`
	TranslationProperties map[string]json.RawMessage `json:"translationProperties,omitempty"`
	ConnectorMetadata     map[string]json.RawMessage `json:"connectorMetadata,omitempty"`
	// Status is DEPRECATED, DEVELOPMENT, DEMO or RELEASED.
	Status string `json:"status,omitempty"`
}
