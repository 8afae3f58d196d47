package cron

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	robfig "github.com/robfig/cron/v3"
	"github.com/stretchr/testify/require"
)

// TestNextAgreesWithRobfig compares Next with robfig/cron on random
// schedules in the syntax both share (steps, ranges, lists; one day field
// unrestricted), in UTC where daylight saving plays no part. It exercises
// the carrying between fields far beyond the corpus.
func TestNextAgreesWithRobfig(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	parser := robfig.NewParser(robfig.Second | robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow)
	for i := range 2000 {
		sec := fmt.Sprintf("%d/%d", r.Intn(60), 1+r.Intn(40))
		min := fmt.Sprintf("%d-%d", r.Intn(30), 30+r.Intn(30))
		hour := fmt.Sprintf("%d,%d", r.Intn(24), r.Intn(24))
		mon := fmt.Sprintf("%d/%d", 1+r.Intn(12), 1+r.Intn(5))
		var ours, theirs string
		if i%2 == 0 {
			dom := fmt.Sprintf("%d-%d/%d", 1+r.Intn(14), 15+r.Intn(17), 1+r.Intn(6))
			ours = fmt.Sprintf("%s %s %s %s %s ?", sec, min, hour, dom, mon)
			theirs = fmt.Sprintf("%s %s %s %s %s *", sec, min, hour, dom, mon)
		} else {
			lo := 1 + r.Intn(7)
			hi := lo + r.Intn(8-lo)
			ours = fmt.Sprintf("%s %s %s ? %s %d-%d", sec, min, hour, mon, lo, hi)
			theirs = fmt.Sprintf("%s %s %s * %s %d-%d", sec, min, hour, mon, lo-1, hi-1) // robfig: 0 = SUN
		}
		e, err := Parse(ours)
		require.NoError(t, err)
		s, err := parser.Parse(theirs)
		require.NoError(t, err)
		a := time.Unix(1767225600+r.Int63n(3e8), 0).UTC()
		b := a
		for range 5 {
			a, b = e.Next(a), s.Next(b)
			require.True(t, a.Equal(b), "%q vs robfig %q: %v, robfig %v", ours, theirs, a, b)
		}
	}
}
