package csvcheck

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Finding codes. They are stable: the BFF and the UI may key on them.
const (
	findNotText         = "not-text"
	findBOM             = "bom"
	findInvalidUTF8     = "invalid-utf8"
	findNUL             = "nul-byte"
	findCRLineEndings   = "cr-line-endings"
	findWrongDelimiter  = "wrong-delimiter"
	findBareQuote       = "bare-quote"
	findTextAfterQuote  = "text-after-quote"
	findUnterminated    = "unterminated-quote"
	findMultiline       = "multiline-value"
	findRecordTooLong   = "record-too-long"
	findBlankLines      = "blank-lines"
	findCommentLines    = "comment-lines"
	findEmptyHeader     = "empty-header"
	findEmptyColumnName = "empty-column-name"
	findDuplicateColumn = "duplicate-column"
	findMissingIdentity = "missing-identity-column"
	findUnknownColumn   = "unknown-column"
	findMissingColumn   = "missing-column"
	findFieldCount      = "wrong-field-count"
	findEmptyID         = "empty-id"
	findDuplicateID     = "duplicate-id"
	findIDCheckLimited  = "duplicate-check-limited"
	findInvalidInt      = "invalid-integer"
	findInvalidBool     = "invalid-boolean"
	findInvalidDate     = "invalid-date"
	findBrackets        = "unbalanced-brackets"
	findEmptyListItem   = "empty-list-item"
	findListInSingle    = "list-in-single-valued"
	findNoRows          = "no-rows"
	findAttributeTable  = "attribute-table"
	findMissingRequired = "missing-required-column"
	findEmptyUserName   = "empty-username"
)

// severityOf gives each code its severity.
func severityOf(code string) Severity {
	switch code {
	case findNotText,
		findInvalidUTF8,
		findNUL,
		findCRLineEndings,
		findWrongDelimiter,
		findBareQuote,
		findTextAfterQuote,
		findUnterminated,
		findRecordTooLong,
		findEmptyHeader,
		findDuplicateColumn,
		findMissingIdentity,
		findFieldCount,
		findEmptyID,
		findDuplicateID,
		findMissingRequired,
		findEmptyUserName:
		return Error
	case findBlankLines,
		findCommentLines,
		findIDCheckLimited:
		return Info
	}
	return Warning
}

// findKey identifies one aggregated finding: a code, per column for the
// value checks.
type findKey struct {
	code string
	col  int
}

// findings aggregates problems as they are found, keeping at most max lines
// and examples each, so memory does not grow with the file.
type findings struct {
	max   int
	index map[findKey]int
	items []found
}

type found struct {
	key      findKey
	count    int
	lines    []int
	examples []string
	lastLine int // for addOnce
}

// add records one occurrence of code in column col (-1 for none) at line
// (0 for none), with an optional example.
func (f *findings) add(code string, col, line int, ex string) {
	if f.index == nil {
		f.index = make(map[findKey]int)
	}
	k := findKey{code, col}
	i, ok := f.index[k]
	if !ok {
		i = len(f.items)
		f.index[k] = i
		f.items = append(f.items, found{key: k})
	}
	e := &f.items[i]
	e.count++
	if line > 0 && len(e.lines) < f.max && (len(e.lines) == 0 || e.lines[len(e.lines)-1] != line) {
		e.lines = append(e.lines, line)
	}
	if ex != "" && len(e.examples) < f.max && !slices.Contains(e.examples, ex) {
		e.examples = append(e.examples, ex)
	}
}

// addOnce records code at line unless the last occurrence was on that line:
// used for byte-level problems that may be met several times per line.
func (f *findings) addOnce(code string, line int, ex string) {
	if i, ok := f.index[findKey{code, -1}]; ok {
		if l := f.items[i].lastLine; l == line {
			return
		}
	}
	f.add(code, -1, line, ex)
	f.items[f.index[findKey{code, -1}]].lastLine = line
}

func (f *findings) list(c *checker) []Finding {
	out := make([]Finding, 0, len(f.items))
	for _, e := range f.items {
		fd := Finding{
			Code:     e.key.code,
			Severity: severityOf(e.key.code),
			Count:    e.count,
			Lines:    e.lines,
			Examples: e.examples,
		}
		if e.key.col >= 0 && e.key.col < len(c.rep.Columns) {
			fd.Column = strings.ToValidUTF8(c.rep.Columns[e.key.col], "\uFFFD")
		}
		if c.mode == modeHeader && fd.Code == findEmptyColumnName {
			fd.Severity = Error // every column of a schema file names an attribute
		}
		fd.Message = message(&fd, c)
		if fd.Code == findCommentLines && len(fd.Lines) > 0 && c.headerLine > 0 && fd.Lines[0] < c.headerLine {
			fd.Severity = Warning
			fd.Message += " One comes before the header, so the line after it is read as the header."
		}
		out = append(out, fd)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Compare(b.Severity, a.Severity)
	})
	return out
}

// message explains a finding in plain English.
func message(f *Finding, c *checker) string {
	n := f.Count
	col := strconv.Quote(f.Column)
	id := strconv.Quote(c.schema.IdentityAttribute)
	list := strings.Join(f.Examples, ", ")
	switch f.Code {
	case findNotText:
		return "This is not a text CSV file: it " + list + ". Export the data as CSV (UTF-8) and upload that file."
	case findBOM:
		return "The file starts with a UTF-8 byte order mark (Excel's \"CSV UTF-8\" adds one). It was ignored here, but some readers take it as part of the first column name."
	case findInvalidUTF8:
		return fmt.Sprintf("%s not valid UTF-8 text. The file was probably saved in another encoding (such as Windows-1252); save it as \"CSV UTF-8\".", plural(n, "line is", "lines are"))
	case findNUL:
		return fmt.Sprintf("%s NUL bytes, which a text CSV file never has.", plural(n, "line contains", "lines contain"))
	case findCRLineEndings:
		return "Lines end with a carriage return only (old Mac format), so the whole file reads as one line. Save it with Windows or Unix line endings."
	case findWrongDelimiter:
		return fmt.Sprintf("The header has no %q but does contain %s: the file seems to use a different delimiter from the source's.", c.rep.Delimiter, list)
	case findBareQuote:
		return fmt.Sprintf("%s a double quote inside an unquoted value. Put the whole value in quotes and double the inner quote (\"\"), or remove it.", plural(n, "value has", "values have"))
	case findTextAfterQuote:
		return fmt.Sprintf("%s text after the closing quote. Inside a quoted value a quote must be doubled (\"\").", plural(n, "value has", "values have"))
	case findUnterminated:
		return fmt.Sprintf("%s a quote that is never closed, so the rest of the file is read as one value.", plural(n, "value opens", "values open"))
	case findMultiline:
		return fmt.Sprintf("%s a line break inside quotes, so the record spans several lines. If that is not intended, a closing quote is missing.", plural(n, "value contains", "values contain"))
	case findRecordTooLong:
		return fmt.Sprintf("%s longer than %d bytes and %s not checked; this usually means a missing quote.", plural(n, "record is", "records are"), c.opt.MaxRecordBytes, pick(n, "was", "were"))
	case findBlankLines:
		return fmt.Sprintf("%s blank and will be skipped.", plural(n, "line is", "lines are"))
	case findCommentLines:
		return fmt.Sprintf("%s with the comment character %q and will be skipped by the connector.", plural(n, "line starts", "lines start"), c.opt.Comment)
	case findEmptyHeader:
		return "The header line has no column names. The first line must name the columns."
	case findEmptyColumnName:
		if c.mode == modeHeader {
			return fmt.Sprintf("%s no name (%s). Every column of a schema file names an attribute; remove the empty ones (a trailing delimiter is the usual cause).", plural(n, "column has", "columns have"), list)
		}
		return fmt.Sprintf("%s no name (%s); a trailing delimiter on the header is the usual cause.", plural(n, "column has", "columns have"), list)
	case findAttributeTable:
		return "The header (" + list + ") looks like a table of attribute definitions, one row per attribute. ISC reads a schema file's header row as the attribute names: " +
			"this file would create attributes named \"type\" and \"isMulti\" and remove the others. Download the schema CSV: its only line names the attributes, e.g. id,displayName,email."
	case findMissingRequired:
		return fmt.Sprintf("The header has no %s %s. A correlation file's header is %s.", pick(n, "column", "columns"), list, strings.Join(CorrelationHeader, ","))
	case findEmptyUserName:
		return fmt.Sprintf("%s no userName: there is no identity to correlate the account to.", plural(n, "row has", "rows have"))
	case findDuplicateColumn:
		return fmt.Sprintf("The header repeats %s: %s.", plural(n, "column name", "column names"), list)
	case findMissingIdentity:
		return fmt.Sprintf("The header has no column %s, the schema's identity attribute. Every row needs it.", list)
	case findUnknownColumn:
		if c.mode == modeCorrelation {
			return fmt.Sprintf("%s not part of a correlation file and will be ignored: %s.", plural(n, "column is", "columns are"), list)
		}
		return fmt.Sprintf("%s not in the schema and will be ignored: %s.", plural(n, "column is", "columns are"), list)
	case findMissingColumn:
		return fmt.Sprintf("%s of the schema %s no column: %s.", plural(n, "attribute", "attributes"), pick(n, "has", "have"), list)
	case findFieldCount:
		return fmt.Sprintf("%s a different number of fields from the header's %d.", plural(n, "row has", "rows have"), len(c.rep.Columns))
	case findEmptyID:
		if c.mode == modeCorrelation {
			return fmt.Sprintf("%s no account: such rows cannot be correlated.", plural(n, "row has", "rows have"))
		}
		return fmt.Sprintf("%s an empty %s (the identity attribute); such rows cannot be imported.", plural(n, "row has", "rows have"), id)
	case findDuplicateID:
		if c.mode == modeCorrelation {
			return fmt.Sprintf("%s an account already listed on an earlier row; list each account once.", plural(n, "row repeats", "rows repeat"))
		}
		if c.opt.MergeRows {
			return fmt.Sprintf("%s an %s already used by an earlier, non-adjacent row. Rows merged into one account must be consecutive: sort the file by %s.", plural(n, "row repeats", "rows repeat"), id, id)
		}
		return fmt.Sprintf("%s an %s already used by an earlier row; ids must be unique.", plural(n, "row repeats", "rows repeat"), id)
	case findIDCheckLimited:
		return fmt.Sprintf("Only the first %d distinct ids were remembered for the duplicate check; later rows were compared with those only.", c.opt.MaxIDs)
	case findInvalidInt:
		a := attrType(c, f.Column)
		lo, hi := "-2147483648", "2147483647"
		if a == kindLong {
			lo, hi = "-9223372036854775808", "9223372036854775807"
		}
		return fmt.Sprintf("%s in column %s %s not a whole number from %s to %s.", plural(n, "value", "values"), col, pick(n, "is", "are"), lo, hi)
	case findInvalidBool:
		return fmt.Sprintf("%s in the BOOLEAN column %s %s neither true nor false; %s read as false.", plural(n, "value", "values"), col, pick(n, "is", "are"), pick(n, "it will be", "they will be"))
	case findInvalidDate:
		return fmt.Sprintf("%s in the DATE column %s %s not in an accepted format (YYYY-MM-DD, optionally with a time such as 2024-05-31T13:45:00Z).", plural(n, "value", "values"), col, pick(n, "is", "are"))
	case findBrackets:
		return fmt.Sprintf("%s in the multi-valued column %s %s a bracketed list that is not closed (or closed but not opened).", plural(n, "value", "values"), col, pick(n, "has", "have"))
	case findEmptyListItem:
		return fmt.Sprintf("%s in the multi-valued column %s %s an empty item, e.g. [a,,b].", plural(n, "list", "lists"), col, pick(n, "has", "have"))
	case findListInSingle:
		return fmt.Sprintf("%s in column %s %s like a list, but the attribute is single-valued: the whole text becomes one value.", plural(n, "value", "values"), col, pick(n, "looks", "look"))
	case findNoRows:
		if c.mode == modeCorrelation {
			return "The file has no rows: there is nothing to correlate."
		}
		if !c.header {
			return "The file is empty: there is no header and no row. Aggregating it may remove every account of the source (within its delete threshold)."
		}
		return "The file has a header but no rows: zero accounts. Aggregating it may remove every account of the source (within its delete threshold)."
	}
	return f.Code
}

func attrType(c *checker, name string) valueKind {
	for _, p := range c.cols {
		if p.name == name {
			return p.kind
		}
	}
	return kindString
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// maxExample is the longest example kept, in bytes.
const maxExample = 60

// example makes a value printable for the report: valid UTF-8, no control
// characters, at most maxExample bytes.
func example(v []byte) string {
	cut := false
	if len(v) > maxExample {
		v, cut = v[:maxExample], true
	}
	s := strings.ToValidUTF8(string(v), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s)
	if cut {
		s = strings.TrimRight(s, "\uFFFD") + "…"
	}
	return s
}

// quoted shows raw bytes with invalid UTF-8 as \x escapes, for the encoding
// findings.
func quoted(v []byte) string {
	if len(v) > maxExample {
		v = v[:maxExample]
	}
	return strconv.Quote(string(v))
}
