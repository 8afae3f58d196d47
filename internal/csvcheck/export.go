package csvcheck

import (
	"encoding/csv"
	"io"
	"iter"
)

// BOM is the UTF-8 byte order mark. Write it first in a file meant for Excel,
// which otherwise reads UTF-8 CSV as the local ANSI code page.
const BOM = "\ufeff"

// EscapeFormula makes a cell safe to open in a spreadsheet (CWE-1236): a
// cell starting with = + - @ TAB or CR, which Excel, LibreOffice and Google
// Sheets may evaluate as a formula, gets a leading apostrophe, which they
// show as text. Other cells are returned unchanged. Use it only for
// spreadsheet exports: a raw export must stay byte-identical.
func EscapeFormula(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}

// SafeWriter writes CSV records with every cell passed through
// EscapeFormula. It wraps encoding/csv, which quotes cells as needed.
type SafeWriter struct {
	w   *csv.Writer
	buf []string
}

// NewSafeWriter returns a SafeWriter writing to w.
func NewSafeWriter(w io.Writer) *SafeWriter {
	return &SafeWriter{w: csv.NewWriter(w)}
}

// Write escapes and writes one record. Records are buffered: call Flush.
func (s *SafeWriter) Write(record []string) error {
	s.buf = s.buf[:0]
	for _, cell := range record {
		s.buf = append(s.buf, EscapeFormula(cell))
	}
	return s.w.Write(s.buf)
}

// Flush writes buffered records and returns any write error.
func (s *SafeWriter) Flush() error {
	s.w.Flush()
	return s.w.Error()
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
