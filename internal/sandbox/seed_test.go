package sandbox

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
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

// TestExtraSourcesMakeAProductionSizedTenant: ExtraSources adds that many sources,
// deterministically, over every connector, with a mix of health states, some
// managed by the demo governance group and aggregation schedules on most.
func TestExtraSourcesMakeAProductionSizedTenant(t *testing.T) {
	sb := New(Config{ExtraSources: 960})
	require.Equal(t, 1000, len(sb.api.order), "the 40 seeded and 960 more")
	again := New(Config{ExtraSources: 960})
	assert.True(t, slices.Equal(sb.api.order, again.api.order), "deterministic")
	states, conns := map[string]int{}, map[string]bool{}
	scheduled, managed := 0, 0
	names := map[string]bool{}
	for _, id := range sb.api.order[40:] {
		src := sb.api.sources[id]
		require.False(t, names[src.name()], "names are unique: %s", src.name())
		names[src.name()] = true
		states[src.obj["status"].(string)]++
		conns[src.obj["connector"].(string)] = true
		if len(src.schedules) > 0 {
			scheduled++
		}
		if src.workgroup() == DemoWorkgroupID {
			managed++
		}
		created, err := time.Parse(time.RFC3339, src.obj["created"].(string))
		require.NoError(t, err)
		assert.True(t, created.Before(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), "dates in the seed's years")
	}
	assert.Greater(t, states[stHealthy], 500)
	assert.GreaterOrEqual(t, len(states), 6, "healthy, failing in several ways, unchecked")
	assert.GreaterOrEqual(t, len(conns), 10)
	assert.Greater(t, scheduled, 700)
	assert.Equal(t, 96, managed, "every tenth")
}

// TestLatencySpreadsAroundItsMedian: a fault with LatencyMin and LatencyMax
// delays calls by a median of Latency, never outside the bounds, spread between
// them as a real tenant's answer times are.
func TestLatencySpreadsAroundItsMedian(t *testing.T) {
	f := Fault{Latency: 120 * time.Millisecond, LatencyMin: 80 * time.Millisecond, LatencyMax: 250 * time.Millisecond}
	rng := rand.New(rand.NewPCG(1, 2))
	d := make([]time.Duration, 10000)
	for i := range d {
		d[i] = f.delay(rng)
	}
	slices.Sort(d)
	assert.Equal(t, 80*time.Millisecond, d[0], "never below LatencyMin")
	assert.Equal(t, 250*time.Millisecond, d[len(d)-1], "never above LatencyMax")
	assert.InDelta(t, 120, d[len(d)/2].Milliseconds(), 5, "median")
	assert.InDelta(t, 230, d[len(d)*9/10].Milliseconds(), 30, "90th percentile")
	assert.Equal(t, 50*time.Millisecond, Fault{Latency: 50 * time.Millisecond}.delay(rng), "a fixed delay without bounds")
}
