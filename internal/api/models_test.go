package api_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
)

// A source as a newer ISC might send it: unknown top-level and nested
// members, an unknown feature, owner null, free-form connector attributes.
const futureSource = `{
  "id": "2c91808568c529c60168cca6f90c1313",
  "name": "My Source",
  "description": "",
  "owner": null,
  "cluster": {"type": "CLUSTER", "id": "c1", "name": "Corp", "region": "eu-1"},
  "schemas": [{"type": "CONNECTOR_SCHEMA", "id": "sch1", "name": "account"}],
  "features": ["PROVISIONING", "QUANTUM_ENTANGLEMENT"],
  "connector": "active-directory",
  "connectorAttributes": {"healthCheckTimeout": 30, "authSearchAttributes": ["cn", "uid"], "connectionParameters": [{"operationType": "Get Object", "x": null}]},
  "deleteThreshold": 0,
  "authoritative": false,
  "healthy": true,
  "status": "SOURCE_STATE_SOMETHING_NEW",
  "created": "2022-02-08T14:50:03.827Z",
  "modified": "2024-01-23T18:08:50.897Z",
  "credentialProviderEnabled": false,
  "category": null,
  "aiAssisted": {"enabled": true, "level": 3},
  "tags": ["a", "b"]
}`

func TestSourceRoundTripKeepsUnknownMembers(t *testing.T) {
	var s api.Source
	require.NoError(t, json.Unmarshal([]byte(futureSource), &s))
	assert.Nil(t, s.Owner, "owner: null decodes")
	assert.Equal(t, []api.SourceFeature{api.FeatureProvisioning, "QUANTUM_ENTANGLEMENT"}, s.Features, "unknown enum values pass through")
	assert.Equal(t, api.SourceStatus("SOURCE_STATE_SOMETHING_NEW"), s.Status)
	assert.JSONEq(t, `30`, string(s.ConnectorAttributes["healthCheckTimeout"]))
	assert.JSONEq(t, `{"enabled": true, "level": 3}`, string(s.Extra["aiAssisted"]))
	assert.JSONEq(t, `"eu-1"`, string(s.Cluster.Extra["region"]), "nested unknown members are kept too")
	require.NotNil(t, s.DeleteThreshold)
	assert.Equal(t, 0, *s.DeleteThreshold)
	created, err := s.Created.Time()
	require.NoError(t, err)
	assert.Equal(t, 2022, created.Year())

	// The console edits one field and PUTs the rest back unchanged.
	s.Description = "edited"
	out, err := json.Marshal(&s)
	require.NoError(t, err)

	var want map[string]any
	require.NoError(t, json.Unmarshal([]byte(futureSource), &want))
	want["description"] = "edited"
	delete(want, "category") // null and absent mean the same to ISC
	wantJSON, _ := json.Marshal(want)
	assert.JSONEq(t, string(wantJSON), string(out))
}

func TestNewSourceEncodesRequiredMembers(t *testing.T) {
	out, err := json.Marshal(api.Source{Name: "HR", Connector: "delimited-file"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"HR","owner":null,"connector":"delimited-file","authoritative":false,"healthy":false,"credentialProviderEnabled":false}`, string(out))
}

func TestExtraNeverDuplicatesKnownMembers(t *testing.T) {
	// encoding/json matches names case-insensitively; "Name" fills Name and
	// must not come back a second time from Extra.
	var r api.Reference
	require.NoError(t, json.Unmarshal([]byte(`{"Name":"x","id":"1","other":2}`), &r))
	assert.Equal(t, "x", r.Name)
	assert.Equal(t, api.Extra{"other": json.RawMessage(`2`)}, r.Extra)
	out, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"x","id":"1","other":2}`, string(out))
}

func TestFieldDetailsDropsReadOnlyIsRequired(t *testing.T) {
	in := `{"name":"policy","usageType":"CREATE","fields":[{"name":"email","transform":{"type":"identityAttribute","attributes":{"name":"email"}},"attributes":{},"isRequired":true,"type":"string","isMultiValued":false,"newThing":1}]}`
	var p api.ProvisioningPolicy
	require.NoError(t, json.Unmarshal([]byte(in), &p))
	assert.True(t, p.Fields[0].IsRequired, "decoded for display")
	out, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"policy","usageType":"CREATE","fields":[{"name":"email","transform":{"type":"identityAttribute","attributes":{"name":"email"}},"type":"string","isMultiValued":false,"newThing":1}]}`, string(out))
}

func TestCompletionStatusIs(t *testing.T) {
	assert.True(t, api.CompletionStatus("Success").Is(api.CompletionSuccess))
	assert.True(t, api.CompletionStatus("TEMP_ERROR").Is(api.CompletionTempError))
	assert.False(t, api.CompletionStatus("").Is(api.CompletionSuccess))
	assert.False(t, (&api.TaskStatus{}).Done())
}

func TestPatchOperationsKeepFalsyValues(t *testing.T) {
	out, err := json.Marshal([]api.JSONPatchOperation{
		api.PatchReplace("/authoritative", false),
		api.PatchReplace("/description", ""),
		api.PatchRemove("/cluster"),
	})
	require.NoError(t, err)
	assert.JSONEq(t, `[{"op":"replace","path":"/authoritative","value":false},{"op":"replace","path":"/description","value":""},{"op":"remove","path":"/cluster"}]`, string(out))
}
