package csvcheck

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIDSet(t *testing.T) {
	var s idSet
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200_000
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = rng.Uint64()
		if s.has(keys[i]) {
			t.Fatalf("%x found before it was added", keys[i])
		}
		s.add(keys[i])
	}
	assert.Equal(t, n, s.len())
	for _, k := range keys {
		if !s.has(k) {
			t.Fatalf("lost %x", k)
		}
	}
	misses := 0
	for range n {
		if s.has(rng.Uint64()) {
			misses++
		}
	}
	assert.Zero(t, misses)
	assert.False(t, s.has(0))
	s.add(0)
	assert.True(t, s.has(0))
}

// TestIDSetMemory measures the bytes per id that doc.go quotes.
func TestIDSetMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 1M ids")
	}
	for _, n := range []int{500_000, 750_000, 1_000_000} {
		perID := idSetBytesPerID(n)
		t.Logf("idSet: %d ids: %.1f bytes per id, %.1f MiB", n, perID, perID*float64(n)/(1<<20))
		assert.Less(t, perID, 19.0)
	}
}

func idSetBytesPerID(n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var s idSet
	rng := rand.New(rand.NewPCG(3, 4))
	for range n {
		s.add(rng.Uint64())
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(&s)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}
