package bff

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestActionsAUserLevelCannotRunAreRefusedBeforeISC: a HELPDESK user who sends
// changes (a bulk test of 50 sources, a tool, an edit) is refused by the console
// with a 403 that says why, and ISC is not called at all: those calls would all
// be refused by ISC anyway, and each would spend the budget every user shares.
// Levels that may not create sources or upload connector files are refused the
// same way; what their level allows still works.
func TestActionsAUserLevelCannotRunAreRefusedBeforeISC(t *testing.T) {
	t.Run("HELPDESK", func(t *testing.T) {
		env := newTestEnvAs(t, "helpdesk", nil)
		ids := url.Values{}
		_, _, _, _, by := sandboxCounts(t, env)
		for _, list := range by {
			for _, s := range list {
				if len(ids["id"]) < 50 {
					ids.Add("id", s.ID)
				}
			}
		}
		for i := 0; len(ids["id"]) < 50; i++ { // made-up ones, in ISC's id format
			ids.Add("id", fmt.Sprintf("2c9180887e5f4a1b017e5f4a1b%06x", 0xf00000+i))
		}
		env.sandbox.ResetCalls()
		for _, tc := range []struct {
			name, path string
			form       url.Values
		}{
			{"bulk test connection of 50 sources", "/sources/bulk/test-connection", ids},
			{"bulk aggregation", "/sources/bulk/aggregate", ids},
			{"one source's tool", "/sources/" + delimitedID + "/tools/test-connection", nil},
			{"a schedule", "/sources/" + delimitedID + "/schedules?type=ACCOUNT_AGGREGATION", url.Values{"cronExpression": {"0 0 5 * * ?"}}},
			{"a new source", "/sources", url.Values{"name": {"x"}, "owner_id": {adminIdentity}}},
		} {
			for _, h := range []map[string]string{nil, htmxHeaders} {
				rec := env.postForm(tc.path, tc.form, h)
				assert.Equal(t, http.StatusForbidden, rec.Code, tc.name)
				assert.Contains(t, rec.Body.String(), "HELPDESK", tc.name)
				assert.Contains(t, rec.Body.String(), "not sent to ISC", tc.name)
			}
		}
		assert.Zero(t, env.sandbox.Calls(""), "no call reached ISC")
		rec := env.do(http.MethodGet, "/sources", nil, htmxHeaders)
		assert.Equal(t, http.StatusOK, rec.Code, "reading still works")
	})

	t.Run("SOURCE_SUBADMIN creates no source", func(t *testing.T) {
		env := newTestEnvAs(t, "subadmin", nil)
		env.sandbox.ResetCalls()
		rec := env.postForm("/sources", url.Values{"name": {"x"}, "owner_id": {adminIdentity}, "provision_as_csv": {"true"}}, htmxHeaders)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.Contains(t, rec.Body.String(), "SOURCE_SUBADMIN")
		assert.Zero(t, env.sandbox.Calls("createSource"))
	})
}
