package cron

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const corpusPath = "../../../shared/cron/corpus-public.jsonl"

// corpusClock is when Quartz answered the corpus (its questions are all
// about 2026), which sets its horizon to 2126.
var corpusClock = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// corpusLine is one question put to Quartz 2.5.2 and its answer.
type corpusLine struct {
	ID        string   `json:"id"`
	Category  string   `json:"category"`
	Expr      string   `json:"expr"`
	TZ        string   `json:"tz"`
	From      string   `json:"from"`
	N         int      `json:"n"`
	Next      []string `json:"next"`
	Error     *string  `json:"error"`
	EvalError *string  `json:"eval_error"`
	Cronstrue string   `json:"describe_cronstrue"`
}

func loadCorpus(t testing.TB) []corpusLine {
	t.Helper()
	f, err := os.Open(corpusPath)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("cron corpus: ../shared/cron/corpus-public.jsonl absent")
	}
	require.NoError(t, err)
	defer f.Close()
	var lines []corpusLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l corpusLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	return lines
}

// checkLine returns "" when our answer agrees with Quartz's, else why not.
//
// eval_error lines (Quartz accepts the expression but throws while
// evaluating it, e.g. on a field that holds no value at all) must parse and
// must yield no fire time: that is what a previewer can honestly show.
func checkLine(l corpusLine) string {
	e, err := ParseAt(l.Expr, corpusClock)
	if l.Error != nil {
		if err == nil {
			return fmt.Sprintf("accepted; Quartz rejects: %s", *l.Error)
		}
		return ""
	}
	if err != nil {
		return fmt.Sprintf("rejected (%v); Quartz accepts", err)
	}
	loc, err := time.LoadLocation(l.TZ)
	if err != nil {
		return fmt.Sprintf("zone %s: %v", l.TZ, err)
	}
	from, err := time.Parse(time.RFC3339, l.From)
	if err != nil {
		return fmt.Sprintf("from: %v", err)
	}
	want := l.Next
	if l.EvalError != nil {
		want = nil
	}
	got := e.Upcoming(from.In(loc), l.N)
	if len(got) != len(want) {
		return fmt.Sprintf("%d fire times, Quartz %d: %v", len(got), len(want), got)
	}
	for i, t := range got {
		w, err := time.Parse(time.RFC3339, want[i])
		if err != nil {
			return fmt.Sprintf("want: %v", err)
		}
		if !t.Equal(w) {
			return fmt.Sprintf("next[%d] = %s, Quartz %s", i, t.Format(time.RFC3339), want[i])
		}
		if t.Location() != loc {
			return fmt.Sprintf("next[%d] in %v, want %v", i, t.Location(), loc)
		}
	}
	return ""
}

func TestCorpus(t *testing.T) {
	lines := loadCorpus(t)
	agree := 0
	for _, l := range lines {
		if why := checkLine(l); why != "" {
			t.Errorf("%s %q tz=%s from=%s: %s", l.ID, l.Expr, l.TZ, l.From, why)
			continue
		}
		agree++
	}
	t.Logf("cron corpus: %d/%d lines agree", agree, len(lines))
}
