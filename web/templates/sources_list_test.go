package templates

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEmptyListOffersCreatingOnlyToLevelsThatCreate: on a tenant with no sources,
// the list invites the user to create the first one only when their level can
// create sources; a SOURCE_SUBADMIN (who may change sources but not create them)
// and a HELPDESK user get no link that would end in a refusal.
func TestEmptyListOffersCreatingOnlyToLevelsThatCreate(t *testing.T) {
	for _, tc := range []struct {
		access Access
		offers bool
	}{
		{Access{Level: "ORG_ADMIN", Write: true, Create: true, ConnectorFile: true}, true},
		{Access{Level: "SOURCE_ADMIN", Write: true, Create: true}, true},
		{Access{Level: "SOURCE_SUBADMIN", Write: true}, false},
		{Access{Level: "HELPDESK"}, false},
	} {
		var b strings.Builder
		vm := SourceListVM{Query: SourceListQuery{Page: 1, Size: 25}, CanWrite: tc.access.Write}
		require.NoError(t, SourcesResults(vm).Render(WithAccess(context.Background(), tc.access), &b))
		html := b.String()
		assert.Contains(t, html, "Your tenant has no sources yet", tc.access.Level)
		assert.Equal(t, tc.offers, strings.Contains(html, `href="/sources/new"`), tc.access.Level)
	}
}
