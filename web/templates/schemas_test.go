package templates

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGroupBoxSaysWhatAGroupAttributeNeeds: the attribute form's Group box says in
// one plain sentence that a group attribute needs Entitlement and a group schema,
// naming the source's group schema when there is one.
func TestGroupBoxSaysWhatAGroupAttributeNeeds(t *testing.T) {
	for schemas, want := range map[string]string{
		"":      "Group (needs Entitlement and a group schema)",
		"group": "Group (needs Entitlement and the group schema “group”)",
	} {
		var groups []string
		if schemas != "" {
			groups = []string{schemas}
		}
		var b strings.Builder
		require.NoError(t, AttributeForm("/sources/x/schemas/y/attributes", AttributeFormVM{}, groups).Render(context.Background(), &b))
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
		require.NoError(t, err)
		label := doc.Find(`input[name="group"]`).Parent()
		assert.Equal(t, want, strings.Join(strings.Fields(label.Text()), " "))
	}
}
