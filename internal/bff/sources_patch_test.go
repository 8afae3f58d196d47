package bff

import (
	"encoding/json"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// TestSourcePatchRoundTrip applies the computed patch with an RFC 6902 library and
// checks that it turns the old source into exactly the edited one, for each kind of
// change: add (a field that did not exist), replace, remove, and member names that
// need JSON Pointer escaping.
func TestSourcePatchRoundTrip(t *testing.T) {
	threshold := 10
	base := api.Source{
		ID: "s1", Name: "Old", Connector: "jdbc",
		Owner:               &api.Reference{Type: api.DtoIdentity, ID: "o1", Name: "Olga"},
		Cluster:             &api.Reference{Type: api.DtoCluster, ID: "c1", Name: "Cluster 1"},
		DeleteThreshold:     &threshold,
		Features:            []api.SourceFeature{"PROVISIONING", "SEARCH"},
		ConnectorAttributes: map[string]json.RawMessage{"url": json.RawMessage(`"jdbc:x"`), "a/b~c": json.RawMessage(`1`), "keep": json.RawMessage(`{"x": [1, 2]}`)},
	}
	form := func(mut func(*templates.SourceConfigForm)) templates.SourceConfigForm {
		f := configForm(&base, nil)
		mut(&f)
		return f
	}
	for _, tc := range []struct {
		name    string
		form    templates.SourceConfigForm
		wantOps int
		check   func(t *testing.T, got map[string]any)
	}{
		{"unchanged form", form(func(*templates.SourceConfigForm) {}), 0, nil},
		{"reformatted JSON is no change", form(func(f *templates.SourceConfigForm) {
			f.ConnectorAttributes = `{"keep":{"x":[1,2]},"url":"jdbc:x","a/b~c":1}`
		}), 0, nil},
		{"add description and workgroup", form(func(f *templates.SourceConfigForm) {
			f.Description = "new"
			f.WorkgroupID = "wg1"
		}), 2, func(t *testing.T, got map[string]any) {
			assert.Equal(t, "new", got["description"])
			assert.Equal(t, map[string]any{"type": "GOVERNANCE_GROUP", "id": "wg1"}, got["managementWorkgroup"])
		}},
		{"replace and remove", form(func(f *templates.SourceConfigForm) {
			f.Name = "New"
			f.OwnerID = "o2"
			f.ClusterID = ""
			f.DeleteThreshold = ""
			f.Features = []string{"SEARCH", "PASSWORD"}
		}), 5, func(t *testing.T, got map[string]any) {
			assert.Equal(t, "New", got["name"])
			assert.Equal(t, map[string]any{"type": "IDENTITY", "id": "o2"}, got["owner"])
			assert.NotContains(t, got, "cluster")
			assert.NotContains(t, got, "deleteThreshold")
			assert.Equal(t, []any{"PASSWORD", "SEARCH"}, got["features"])
		}},
		{"connector attributes member by member", form(func(f *templates.SourceConfigForm) {
			f.ConnectorAttributes = `{"url": "jdbc:y", "a/b~c": 1, "new": [true]}`
		}), 3, func(t *testing.T, got map[string]any) {
			assert.Equal(t, map[string]any{"url": "jdbc:y", "a/b~c": 1.0, "new": []any{true}}, got["connectorAttributes"])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edit, errs := checkConfigForm(tc.form)
			require.Empty(t, errs)
			// The pickers resolve to the ids; without a connector form the JSON is every attribute.
			edit.ownerID, edit.clusterID, edit.wgID = tc.form.OwnerID, tc.form.ClusterID, tc.form.WorkgroupID
			others, msg := parseJSONObject(tc.form.ConnectorAttributes)
			require.Empty(t, msg)
			var connErrs templates.FieldErrors
			edit.attrs, _, connErrs = mergeConnection(base.ConnectorAttributes, nil, nil, others)
			require.Empty(t, connErrs)
			ops := sourcePatch(&base, edit)
			assert.Len(t, ops, tc.wantOps)
			if tc.check == nil {
				return
			}
			doc, err := json.Marshal(base)
			require.NoError(t, err)
			raw, err := json.Marshal(ops)
			require.NoError(t, err)
			patch, err := jsonpatch.DecodePatch(raw)
			require.NoError(t, err)
			out, err := patch.Apply(doc)
			require.NoError(t, err, "the patch applies to the source: %s", raw)
			var got map[string]any
			require.NoError(t, json.Unmarshal(out, &got))
			tc.check(t, got)
		})
	}
}

func TestParseJSONObjectMessages(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a": 1}`, ""},
		{"", ""},
		{"{\n\"a\": ,}", "line 2"},
		{`[1, 2]`, "JSON object"},
		{`null`, "not null"},
		{`{"a": 1} {"b": 2}`, "one JSON object"},
		{`{"a": `, "ends too early"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, msg := parseJSONObject(tc.in)
			if tc.want == "" {
				assert.Empty(t, msg)
			} else {
				assert.Contains(t, msg, tc.want)
			}
		})
	}
}
