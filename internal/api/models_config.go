package api

import "encoding/json"

// NativeChangeDetectionConfig configures native change detection on a source.
type NativeChangeDetectionConfig struct {
	Enabled bool `json:"enabled"`
	// Operations are ACCOUNT_UPDATED, ACCOUNT_CREATED and/or ACCOUNT_DELETED.
	Operations                       []string `json:"operations,omitempty"`
	AllEntitlements                  bool     `json:"allEntitlements"`
	AllNonEntitlementAttributes      bool     `json:"allNonEntitlementAttributes"`
	SelectedEntitlements             []string `json:"selectedEntitlements,omitempty"`
	SelectedNonEntitlementAttributes []string `json:"selectedNonEntitlementAttributes,omitempty"`
	Extra                            Extra    `json:"-"`
}

// UnmarshalJSON decodes n and keeps unknown members in n.Extra.
func (n *NativeChangeDetectionConfig) UnmarshalJSON(b []byte) error {
	type plain NativeChangeDetectionConfig
	return decodeKeeping(b, (*plain)(n), &n.Extra)
}

// MarshalJSON encodes n with its unknown members.
func (n NativeChangeDetectionConfig) MarshalJSON() ([]byte, error) {
	type plain NativeChangeDetectionConfig
	return encodeWith(plain(n), n.Extra)
}

// AttrSyncSourceConfig is a source's attribute synchronization configuration
// (experimental). Only Attributes[].Enabled may change on PUT.
type AttrSyncSourceConfig struct {
	Source     Reference           `json:"source"`
	Attributes []AttrSyncAttribute `json:"attributes"`
	Extra      Extra               `json:"-"`
}

// UnmarshalJSON decodes a and keeps unknown members in a.Extra.
func (a *AttrSyncSourceConfig) UnmarshalJSON(b []byte) error {
	type plain AttrSyncSourceConfig
	return decodeKeeping(b, (*plain)(a), &a.Extra)
}

// MarshalJSON encodes a with its unknown members.
func (a AttrSyncSourceConfig) MarshalJSON() ([]byte, error) {
	type plain AttrSyncSourceConfig
	if a.Attributes == nil {
		a.Attributes = []AttrSyncAttribute{} // required: [] rather than null
	}
	return encodeWith(plain(a), a.Extra)
}

// AttrSyncAttribute is one identity attribute a source may synchronize.
type AttrSyncAttribute struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Enabled     bool   `json:"enabled"`
	Target      string `json:"target"`
	Extra       Extra  `json:"-"`
}

// UnmarshalJSON decodes a and keeps unknown members in a.Extra.
func (a *AttrSyncAttribute) UnmarshalJSON(b []byte) error {
	type plain AttrSyncAttribute
	return decodeKeeping(b, (*plain)(a), &a.Extra)
}

// MarshalJSON encodes a with its unknown members.
func (a AttrSyncAttribute) MarshalJSON() ([]byte, error) {
	type plain AttrSyncAttribute
	return encodeWith(plain(a), a.Extra)
}

// SyncJobStatus is the state of a SourceSyncJob.
type SyncJobStatus string

// Sync job states.
const (
	SyncQueued     SyncJobStatus = "QUEUED"
	SyncInProgress SyncJobStatus = "IN_PROGRESS"
	SyncSuccess    SyncJobStatus = "SUCCESS"
	SyncError      SyncJobStatus = "ERROR"
)

// SourceSyncJob is the 202 answer of synchronize-attributes.
type SourceSyncJob struct {
	ID      string            `json:"id"`
	Status  SyncJobStatus     `json:"status"`
	Payload SourceSyncPayload `json:"payload"`
}

// SourceSyncPayload is the payload of a SourceSyncJob.
type SourceSyncPayload struct {
	Type     string `json:"type"`
	DataJSON string `json:"dataJson"`
}

// SourceEntitlementRequestConfig is how access to a source's entitlements is
// requested and revoked.
type SourceEntitlementRequestConfig struct {
	AccessRequestConfig     *EntitlementAccessRequestConfig     `json:"accessRequestConfig,omitempty"`
	RevocationRequestConfig *EntitlementRevocationRequestConfig `json:"revocationRequestConfig,omitempty"`
	Extra                   Extra                               `json:"-"`
}

// UnmarshalJSON decodes s and keeps unknown members in s.Extra.
func (s *SourceEntitlementRequestConfig) UnmarshalJSON(b []byte) error {
	type plain SourceEntitlementRequestConfig
	return decodeKeeping(b, (*plain)(s), &s.Extra)
}

// MarshalJSON encodes s with its unknown members.
func (s SourceEntitlementRequestConfig) MarshalJSON() ([]byte, error) {
	type plain SourceEntitlementRequestConfig
	return encodeWith(plain(s), s.Extra)
}

// EntitlementAccessRequestConfig is the request half of SourceEntitlementRequestConfig.
type EntitlementAccessRequestConfig struct {
	ApprovalSchemes            []ApprovalScheme `json:"approvalSchemes,omitempty"`
	RequestCommentRequired     bool             `json:"requestCommentRequired"`
	DenialCommentRequired      bool             `json:"denialCommentRequired"`
	ReauthorizationRequired    bool             `json:"reauthorizationRequired"`
	RequireEndDate             bool             `json:"requireEndDate"`
	MaxPermittedAccessDuration *AccessDuration  `json:"maxPermittedAccessDuration,omitempty"`
	Extra                      Extra            `json:"-"`
}

// UnmarshalJSON decodes e and keeps unknown members in e.Extra.
func (e *EntitlementAccessRequestConfig) UnmarshalJSON(b []byte) error {
	type plain EntitlementAccessRequestConfig
	return decodeKeeping(b, (*plain)(e), &e.Extra)
}

// MarshalJSON encodes e with its unknown members.
func (e EntitlementAccessRequestConfig) MarshalJSON() ([]byte, error) {
	type plain EntitlementAccessRequestConfig
	return encodeWith(plain(e), e.Extra)
}

// EntitlementRevocationRequestConfig is the revocation half of SourceEntitlementRequestConfig.
type EntitlementRevocationRequestConfig struct {
	ApprovalSchemes []ApprovalScheme `json:"approvalSchemes,omitempty"`
	Extra           Extra            `json:"-"`
}

// UnmarshalJSON decodes e and keeps unknown members in e.Extra.
func (e *EntitlementRevocationRequestConfig) UnmarshalJSON(b []byte) error {
	type plain EntitlementRevocationRequestConfig
	return decodeKeeping(b, (*plain)(e), &e.Extra)
}

// MarshalJSON encodes e with its unknown members.
func (e EntitlementRevocationRequestConfig) MarshalJSON() ([]byte, error) {
	type plain EntitlementRevocationRequestConfig
	return encodeWith(plain(e), e.Extra)
}

// ApprovalScheme is one approval step. ApproverType is ENTITLEMENT_OWNER,
// SOURCE_OWNER, MANAGER, GOVERNANCE_GROUP or WORKFLOW; ApproverID names the
// group or workflow for the last two.
type ApprovalScheme struct {
	ApproverType string `json:"approverType,omitempty"`
	ApproverID   string `json:"approverId,omitempty"`
	Extra        Extra  `json:"-"`
}

// UnmarshalJSON decodes a and keeps unknown members in a.Extra.
func (a *ApprovalScheme) UnmarshalJSON(b []byte) error {
	type plain ApprovalScheme
	return decodeKeeping(b, (*plain)(a), &a.Extra)
}

// MarshalJSON encodes a with its unknown members.
func (a ApprovalScheme) MarshalJSON() ([]byte, error) {
	type plain ApprovalScheme
	return encodeWith(plain(a), a.Extra)
}

// AccessDuration is a duration such as {value: 2, timeUnit: "WEEKS"};
// TimeUnit is HOURS, DAYS, WEEKS or MONTHS.
type AccessDuration struct {
	Value    int    `json:"value"`
	TimeUnit string `json:"timeUnit,omitempty"`
}

// ConnectorStatus is SUCCESS or FAILURE in a StatusResponse.
type ConnectorStatus string

// Connector test outcomes.
const (
	ConnectorSuccess ConnectorStatus = "SUCCESS"
	ConnectorFailure ConnectorStatus = "FAILURE"
)

// StatusResponse is the answer of check-connection, test-configuration and
// ping-cluster. Details depend on the connector and are kept verbatim.
type StatusResponse struct {
	ID            string                     `json:"id,omitempty"`
	Name          string                     `json:"name,omitempty"`
	Status        ConnectorStatus            `json:"status,omitempty"`
	ElapsedMillis int64                      `json:"elapsedMillis"`
	Details       map[string]json.RawMessage `json:"details,omitempty"`
}

// ResourceObjectsRequest asks a connector for a sample of its objects. ISC's
// defaults are objectType "account" and maxCount 25; zero values are omitted.
type ResourceObjectsRequest struct {
	ObjectType string `json:"objectType,omitempty"`
	MaxCount   int    `json:"maxCount,omitempty"`
}

// ResourceObjectsResponse is the answer of peek-resource-objects.
type ResourceObjectsResponse struct {
	ID              string           `json:"id,omitempty"`
	Name            string           `json:"name,omitempty"`
	ObjectCount     int              `json:"objectCount"`
	ElapsedMillis   int64            `json:"elapsedMillis"`
	ResourceObjects []ResourceObject `json:"resourceObjects,omitempty"`
}

// ResourceObject is one object read from the connector, as it is there.
type ResourceObject struct {
	Instance         string                     `json:"instance,omitempty"`
	Identity         string                     `json:"identity,omitempty"`
	UUID             string                     `json:"uuid,omitempty"`
	PreviousIdentity string                     `json:"previousIdentity,omitempty"`
	Name             string                     `json:"name,omitempty"`
	ObjectType       string                     `json:"objectType,omitempty"`
	Incomplete       bool                       `json:"incomplete"`
	Incremental      bool                       `json:"incremental"`
	Delete           bool                       `json:"delete"`
	Remove           bool                       `json:"remove"`
	Missing          []string                   `json:"missing,omitempty"`
	Attributes       map[string]json.RawMessage `json:"attributes,omitempty"`
	FinalUpdate      bool                       `json:"finalUpdate"`
}
