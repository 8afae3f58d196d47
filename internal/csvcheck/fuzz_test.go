package csvcheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fuzzSeeds = []string{
	"",
	header,
	header + row("a") + row("b"),
	"\ufeff" + header + row("a") + "\r\n",
	header + row("a", "name", `An"n`) + row("b", "name", `"Ann"x`),
	header + "b,\"Bo\nc,Cy\n",
	header + `c,"Bo`,
	header + row("a", "name", "\"Ann\r\nMarie\"") + "# note\n\n" + row("a"),
	header + row("a", "name", "Caf\xe9") + row("\x00"),
	"id;name\na;\"b;c\"\n",
	"id\tname\r\na\tb\r",
	"\x89PNG\r\n\x1a\n",
	"\"\"\"\n\"",
	",,\n,\n",
	"a,b\n\"x\"\"y\",\"\"\n",
	"id,groups\n1,\"[a,,b]\"\n2,[\n",
	"id,name\rA,B\r",
}

// scanAll reads every record with the package's scanner.
func scanAll(in []byte, delim byte, bufSize int) ([][]string, *findings) {
	var rep Report
	f := &findings{max: 5}
	var s scanner
	s.init(bufio.NewReaderSize(bytes.NewReader(in), bufSize), delim, '#', 1<<20, f, &rep)
	var out [][]string
	for {
		if err := s.next(); err != nil {
			return out, f
		}
		rec := make([]string, s.nfields())
		for i := range rec {
			rec[i] = string(s.field(i))
		}
		out = append(out, rec)
	}
}

// FuzzScanMatchesEncodingCSV checks the hand-written scanner against
// encoding/csv: on every input that encoding/csv reads without error, both
// see the same records and fields, whatever the read buffer size.
func FuzzScanMatchesEncodingCSV(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false, uint8(0))
		f.Add([]byte(s), true, uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, semicolon bool, buf uint8) {
		delim := byte(',')
		if semicolon {
			delim = ';'
		}
		bufSize := 16 + int(buf)
		got, fd := scanAll(in, delim, bufSize)

		r := csv.NewReader(bytes.NewReader(in))
		r.Comma = rune(delim)
		r.Comment = '#'
		r.FieldsPerRecord = -1
		want, err := r.ReadAll()
		if err != nil {
			return
		}
		assert.Equal(t, want, got)
		for _, e := range fd.items {
			switch e.key.code {
			case findBareQuote, findTextAfterQuote, findUnterminated:
				t.Errorf("%s reported for input encoding/csv accepts", e.key.code)
			}
		}
	})
}

// FuzzCheck checks that Check never panics and always returns a consistent
// report.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false, false)
		f.Add([]byte(s), true, true)
	}
	f.Fuzz(func(t *testing.T, in []byte, merge, small bool) {
		opt := Options{MergeRows: merge, MaxIDs: 3, MaxRecordBytes: 64}
		if small {
			opt.bufSize = 16
		}
		r, err := Check(context.Background(), bytes.NewReader(in), accounts, opt)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, r.Rows, 0)
		assert.LessOrEqual(t, r.Rows, r.Lines)
		if _, binary := r.Finding("not-text"); !binary {
			assert.Equal(t, int64(len(in)), r.Bytes)
			assert.Equal(t, bytes.Count(in, []byte("\n"))+boolInt(len(in) > 0 && in[len(in)-1] != '\n'), r.Lines)
		}
		blocking := false
		for _, fd := range r.Findings {
			assert.NotEmpty(t, fd.Code)
			assert.NotEmpty(t, fd.Message)
			assert.Contains(t, []Severity{Info, Warning, Error}, fd.Severity)
			assert.GreaterOrEqual(t, fd.Count, max(1, len(fd.Lines)), fd.Code)
			assert.LessOrEqual(t, len(fd.Lines), defaultMaxExamples)
			assert.LessOrEqual(t, len(fd.Examples), defaultMaxExamples)
			for i, l := range fd.Lines {
				assert.True(t, l >= 1 && l <= r.Lines, "%s: line %d of %d", fd.Code, l, r.Lines)
				if i > 0 {
					assert.Less(t, fd.Lines[i-1], l, fd.Code)
				}
			}
			for _, ex := range fd.Examples {
				assert.True(t, utf8.ValidString(ex), "%s example %q", fd.Code, ex)
			}
			blocking = blocking || fd.Severity == Error
		}
		assert.Equal(t, blocking, r.Blocking())
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestScanAllSeeds(t *testing.T) {
	// A readable example of what the scanner yields.
	got, _ := scanAll([]byte("a,\"b,\"\"c\"\"\"\r\n# skip\n\nd,\"e\nf\"\n"), ',', 16)
	assert.Equal(t, [][]string{{"a", `b,"c"`}, {"d", "e\nf"}}, got)
}
