package csvcheck

import (
	"bufio"
	"io"
	"iter"
	"strings"
)

// BOM is the UTF-8 byte order mark. Write it first in a file meant for Excel,
// which otherwise reads UTF-8 CSV as the local ANSI code page.
const BOM = "\ufeff"

// EscapeFormula makes a cell safe to open in a spreadsheet (CWE-1236): a
// spreadsheet evaluates a cell starting with = + - @ TAB or CR as a formula,
// and some readers drop a leading NUL, leaving what follows first. Such a start
// gets an apostrophe, which spreadsheets show as text. The same goes for what
// follows each comma, semicolon, tab or line break inside the cell: a
// spreadsheet whose list separator is a semicolon (many European locales) or a
// tab, or one that ignores the file's quoting, splits the cell there, and the
// piece after the split starts a cell of its own ("a;=1+1" → "a;'=1+1").
// Other cells are returned unchanged. Use it only for spreadsheet exports: a
// raw export must stay byte-identical.
func EscapeFormula(cell string) string {
	var b strings.Builder
	start := true // at the start of the cell, or right after a separator
	for i := 0; i < len(cell); i++ {
		c := cell[i]
		if start && isFormulaStart(c) {
			if b.Len() == 0 && i == 0 {
				b.Grow(len(cell) + 2)
			}
			b.WriteByte('\'')
		}
		b.WriteByte(c)
		start = isSplit(c)
	}
	if b.Len() == len(cell) {
		return cell // nothing escaped: no copy
	}
	return b.String()
}

// isFormulaStart reports whether a cell starting with c may run as a formula.
func isFormulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r', 0:
		return true
	}
	return false
}

// isSplit reports whether a spreadsheet may start a new cell after c: the list
// separators in use (comma, semicolon, tab) and line breaks.
func isSplit(c byte) bool {
	switch c {
	case ',', ';', '\t', '\r', '\n':
		return true
	}
	return false
}

// SafeWriter writes spreadsheet-safe CSV (RFC 4180, comma-separated, "\n" line
// ends): every cell passes through EscapeFormula, and every cell that holds a
// comma, a semicolon, a tab, a quote or a line break is quoted, so that a
// spreadsheet that honours quotes keeps it one cell whatever its separator.
// It is the one writer of every spreadsheet export of the console.
type SafeWriter struct {
	w   *bufio.Writer
	err error
}

// NewSafeWriter returns a SafeWriter writing to w.
func NewSafeWriter(w io.Writer) *SafeWriter {
	return &SafeWriter{w: bufio.NewWriter(w)}
}

// Write escapes and writes one record. Records are buffered: call Flush.
func (s *SafeWriter) Write(record []string) error {
	if s.err != nil {
		return s.err
	}
	for i, cell := range record {
		if i > 0 {
			s.w.WriteByte(',')
		}
		cell = EscapeFormula(cell)
		if !needsQuotes(cell) {
			s.w.WriteString(cell)
			continue
		}
		s.w.WriteByte('"')
		s.w.WriteString(strings.ReplaceAll(cell, `"`, `""`))
		s.w.WriteByte('"')
	}
	_, s.err = s.w.WriteString("\n")
	return s.err
}

// needsQuotes reports whether a cell must be quoted to stay one cell under a
// comma, semicolon or tab separator (and, as encoding/csv does, when it starts
// with a space or is the \. end marker of some importers).
func needsQuotes(cell string) bool {
	return cell == `\.` || strings.ContainsAny(cell, ",;\t\"\r\n") || strings.HasPrefix(cell, " ")
}

// Flush writes buffered records and returns any write error.
func (s *SafeWriter) Flush() error {
	if err := s.w.Flush(); s.err == nil {
		s.err = err
	}
	return s.err
}

// WriteSafe streams records to w through a SafeWriter, stopping at the first
// error from records or from w. It flushes at the end.
func WriteSafe(w io.Writer, records iter.Seq2[[]string, error]) error {
	sw := NewSafeWriter(w)
	for rec, err := range records {
		if err != nil {
			return err
		}
		if err := sw.Write(rec); err != nil {
			return err
		}
	}
	return sw.Flush()
}
