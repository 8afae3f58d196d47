package api

import "encoding/json"

// UsageType names a provisioning policy by what it is used for, e.g. CREATE.
type UsageType string

// Usage types known to the v2025 spec.
const (
	UsageCreate         UsageType = "CREATE"
	UsageUpdate         UsageType = "UPDATE"
	UsageEnable         UsageType = "ENABLE"
	UsageDisable        UsageType = "DISABLE"
	UsageDelete         UsageType = "DELETE"
	UsageAssign         UsageType = "ASSIGN"
	UsageUnassign       UsageType = "UNASSIGN"
	UsageCreateGroup    UsageType = "CREATE_GROUP"
	UsageUpdateGroup    UsageType = "UPDATE_GROUP"
	UsageDeleteGroup    UsageType = "DELETE_GROUP"
	UsageRegister       UsageType = "REGISTER"
	UsageCreateIdentity UsageType = "CREATE_IDENTITY"
	UsageUpdateIdentity UsageType = "UPDATE_IDENTITY"
	UsageEditGroup      UsageType = "EDIT_GROUP"
	UsageUnlock         UsageType = "UNLOCK"
	UsageChangePassword UsageType = "CHANGE_PASSWORD"
)

// ProvisioningPolicy is ProvisioningPolicyDto: the fields ISC fills in when
// it provisions an account for one usage type. Name is required (and may be
// null, which decodes as "").
type ProvisioningPolicy struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	UsageType   UsageType      `json:"usageType,omitempty"`
	Fields      []FieldDetails `json:"fields,omitempty"`
	Extra       Extra          `json:"-"`
}

// UnmarshalJSON decodes p and keeps unknown members in p.Extra.
func (p *ProvisioningPolicy) UnmarshalJSON(b []byte) error {
	type plain ProvisioningPolicy
	return decodeKeeping(b, (*plain)(p), &p.Extra)
}

// MarshalJSON encodes p with its unknown members.
func (p ProvisioningPolicy) MarshalJSON() ([]byte, error) {
	type plain ProvisioningPolicy
	return encodeWith(plain(p), p.Extra)
}

// FieldDetails is one field of a provisioning policy (FieldDetailsDto).
type FieldDetails struct {
	Name       string                     `json:"name,omitempty"`
	Transform  map[string]json.RawMessage `json:"transform,omitempty"`
	Attributes map[string]json.RawMessage `json:"attributes,omitempty"`
	// IsRequired is read-only: ISC computes it. It is decoded but never
	// sent, so a GET → PUT round trip passes a validator that rejects
	// read-only members in requests.
	IsRequired bool `json:"isRequired,omitempty"`
	// Type is string, int, long, date, boolean or secret.
	Type          string `json:"type,omitempty"`
	IsMultiValued bool   `json:"isMultiValued"`
	Extra         Extra  `json:"-"`
}

// UnmarshalJSON decodes f and keeps unknown members in f.Extra.
func (f *FieldDetails) UnmarshalJSON(b []byte) error {
	type plain FieldDetails
	return decodeKeeping(b, (*plain)(f), &f.Extra)
}

// MarshalJSON encodes f without the read-only isRequired, with its unknown members.
func (f FieldDetails) MarshalJSON() ([]byte, error) {
	type plain FieldDetails
	p := plain(f)
	p.IsRequired = false // omitempty then drops it
	return encodeWith(p, f.Extra)
}

// ScheduleType is the kind of aggregation a schedule runs.
type ScheduleType string

// Schedule types.
const (
	ScheduleAccountAggregation ScheduleType = "ACCOUNT_AGGREGATION"
	ScheduleGroupAggregation   ScheduleType = "GROUP_AGGREGATION"
)

// Schedule is an aggregation schedule of a source (Schedule1). The cron
// expression is Quartz's, with seconds; day-of-week runs 1-7 from Sunday.
// There is no enabled flag: deleting the schedule disables it.
type Schedule struct {
	Type           ScheduleType `json:"type"`
	CronExpression string       `json:"cronExpression"`
	Extra          Extra        `json:"-"`
}

// UnmarshalJSON decodes s and keeps unknown members in s.Extra.
func (s *Schedule) UnmarshalJSON(b []byte) error {
	type plain Schedule
	return decodeKeeping(b, (*plain)(s), &s.Extra)
}

// MarshalJSON encodes s with its unknown members.
func (s Schedule) MarshalJSON() ([]byte, error) {
	type plain Schedule
	return encodeWith(plain(s), s.Extra)
}
