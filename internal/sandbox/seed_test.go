package sandbox

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeedIsDeterministicAndNamed(t *testing.T) {
	snapshot := func() []byte {
		sb := New(Config{Now: func() time.Time { return time.Unix(0, 0) }})
		sb.mu.Lock()
		defer sb.mu.Unlock()
		var objs []map[string]any
		for _, id := range sb.api.order {
			objs = append(objs, sb.api.sources[id].obj)
		}
		b, err := json.Marshal(objs)
		require.NoError(t, err)
		return b
	}
	assert.Equal(t, snapshot(), snapshot())

	sb := New(Config{})
	named := map[string]string{
		SeedXSSSourceID:           `<img src=x onerror=alert(1)>`,
		SeedHTMXSourceID:          `<div hx-get="/logout" hx-trigger="load">`,
		SeedQuotesSourceID:        `O'Brien "HR" feed`,
		SeedUnicodeSourceID:       `Zürich Ämter – 東京`,
		SeedAuthoritativeSourceID: "Workday HR",
	}
	for id, name := range named {
		assert.Equal(t, name, sb.api.sources[id].name())
	}
	assert.True(t, sb.api.sources[SeedDelimitedSourceID].isDelimited())
	assert.NotNil(t, sb.api.sources[SeedDelimitedSourceID].schemaByName("group"))
	assert.Positive(t, sb.api.sources[SeedDelimitedSourceID].accounts.total)
	assert.False(t, sb.api.sources[SeedUnhealthySourceID].healthy())
	assert.Equal(t, true, sb.api.sources[SeedAuthoritativeSourceID].obj["authoritative"])
	assert.NotEmpty(t, connectionReasons(sb.api.sources[SeedBlockedDeleteSourceID].connections))
	assert.Equal(t, DemoWorkgroupID, sb.api.sources[SeedSubadminSourceID].workgroup())
	assert.Nil(t, sb.api.sources[SeedIdentityNowSourceID].obj["owner"])

	connectorsSeen := map[string]bool{}
	for _, src := range sb.api.sources {
		connectorsSeen[src.obj["connector"].(string)] = true
		for _, sc := range src.schedules {
			assert.NoError(t, validateCron(sc["cronExpression"].(string)), "seeded schedule of %s", src.name())
		}
	}
	assert.GreaterOrEqual(t, len(sb.api.sources), 40)
	assert.GreaterOrEqual(t, len(connectorsSeen), 10)
}
