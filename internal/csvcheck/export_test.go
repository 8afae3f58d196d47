package csvcheck

import (
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEscapeFormula(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"},
		{"+1", "'+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"", ""},
		{"alice", "alice"},
		{"a=b", "a=b"},
		{" =1", " =1"},
		{"'quoted", "'quoted"},
		{"Zoë", "Zoë"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, EscapeFormula(tt.in))
		})
	}
}

func records(rows ...[]string) iter.Seq2[[]string, error] {
	return func(yield func([]string, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestWriteSafe(t *testing.T) {
	var b strings.Builder
	err := WriteSafe(&b, records(
		[]string{"name", "note"},
		[]string{"=1+1", `say "hi", then -1`},
		[]string{"@cmd", "multi\nline"},
	))
	assert.NoError(t, err)
	assert.Equal(t, "name,note\n'=1+1,\"say \"\"hi\"\", then -1\"\n'@cmd,\"multi\nline\"\n", b.String())
}

func TestWriteSafeStopsOnError(t *testing.T) {
	boom := errors.New("db gone")
	seq := func(yield func([]string, error) bool) {
		if !yield([]string{"a"}, nil) {
			return
		}
		yield(nil, boom)
	}
	var b strings.Builder
	assert.ErrorIs(t, WriteSafe(&b, seq), boom)
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("client went away") }

func TestWriteSafeReportsWriteError(t *testing.T) {
	assert.EqualError(t, WriteSafe(failWriter{}, records([]string{"a"})), "client went away")
}
