//go:build race

package bff

// raceEnabled reports that the race detector is on: it slows byte-pushing tests about
// tenfold, so they use smaller inputs.
const raceEnabled = true
