package csvcheck

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"
)

// Attribute is one attribute of a source schema, reduced to what the checks need.
type Attribute struct {
	// Name is the attribute name, which is also the expected column name.
	Name string
	// Type is the ISC AttributeDefinitionType: STRING, LONG, INT, BOOLEAN or
	// DATE (case-insensitive). Any other value is treated as STRING, because
	// ISC adds enum values over time.
	Type string
	// Multi reports whether the attribute is multi-valued (isMulti).
	Multi bool
}

// Schema is the account (or entitlement) schema a file is checked against.
// The BFF maps api.Schema to it; an empty Schema skips the header-versus-schema
// and value checks but keeps the format checks.
type Schema struct {
	// IdentityAttribute names the column that holds each object's unique id.
	IdentityAttribute string
	// DisplayAttribute names the column shown as the object's name.
	DisplayAttribute string
	// Attributes lists the schema attributes.
	Attributes []Attribute
}

// Options tunes a Check. The zero value matches an ISC Delimited File source
// with default settings.
type Options struct {
	// Delimiter is the source's configured delimiter. 0 detects it from the
	// header among , ; TAB and |. It must be a single-byte character.
	Delimiter rune
	// Comment is the comment character: lines starting with it are skipped,
	// as the connector does. 0 means '#', the connector's default.
	Comment rune
	// NoComment turns comment lines off (every line is data).
	NoComment bool
	// MultiValueSeparator separates the values inside a bracketed list such as
	// [a,b]. Empty means ",".
	MultiValueSeparator string
	// MergeRows tells that the source merges consecutive rows with the same
	// id into one object. Consecutive repeats are then expected; repeats
	// elsewhere are still reported.
	MergeRows bool
	// MaxExamples caps the line numbers and examples kept per finding
	// (default 5).
	MaxExamples int
	// MaxRecordBytes caps the size of one record (default 1 MiB). Longer
	// records are reported and skipped without being held in memory.
	MaxRecordBytes int
	// MaxIDs caps how many distinct ids are remembered for the duplicate
	// check (default 1,000,000, about 13 MiB). Ids after the cap are still
	// compared with the remembered ones, and the report says where the full
	// check stopped.
	MaxIDs int

	// bufSize overrides the read buffer size; tests use tiny buffers to
	// exercise lines that span reads.
	bufSize int
}

// Severity ranks a Finding.
type Severity int

const (
	// Info is a remark that needs no action.
	Info Severity = iota
	// Warning allows the upload after an explicit "send anyway".
	Warning
	// Error blocks the upload.
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText encodes the severity as its name, for JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one kind of problem, aggregated over the whole file.
type Finding struct {
	// Code is a stable identifier such as "missing-identity-column"; doc.go
	// lists them all.
	Code string
	// Severity ranks the finding.
	Severity Severity
	// Message explains the finding in plain English for the admin.
	Message string
	// Column is the column concerned, if the finding is about one column.
	Column string
	// Count is how many times the problem occurs (rows, lines or columns,
	// as the message says).
	Count int
	// Lines holds up to MaxExamples 1-based line numbers where the problem
	// occurs, in file order. The header is line 1 (or the first line that is
	// neither blank nor a comment); a record that spans lines is numbered by
	// its first line. Line numbers are what an editor shows.
	Lines []int
	// Examples holds up to MaxExamples offending values, truncated and made
	// printable.
	Examples []string
}

// Report is the outcome of a Check.
type Report struct {
	// Rows counts data records: records after the header, without blank and
	// comment lines.
	Rows int
	// Lines counts physical lines read.
	Lines int
	// Bytes counts bytes read, including any byte order mark.
	Bytes int64
	// Columns is the header as read, with invalid UTF-8 replaced by U+FFFD.
	Columns []string
	// Delimiter is the delimiter used to read the file.
	Delimiter rune
	// HasBOM reports a UTF-8 byte order mark at the start.
	HasBOM bool
	// Findings lists the problems, errors first, then in order of first
	// occurrence.
	Findings []Finding
}

// Blocking reports whether any finding is an Error, which blocks the upload.
func (r *Report) Blocking() bool {
	for _, f := range r.Findings {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// Finding returns the finding with the given code (the first, if the code
// is reported per column) and whether there is one.
func (r *Report) Finding(code string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Code == code {
			return f, true
		}
	}
	return Finding{}, false
}

const (
	defaultMaxExamples = 5
	defaultMaxRecord   = 1 << 20
	defaultMaxIDs      = 1_000_000
	defaultBufSize     = 64 << 10
	// sniffBytes is how much of the start is inspected for binary content.
	sniffBytes = 8 << 10
	// cancelEvery is how many records pass between context checks.
	cancelEvery = 1024
)

// Check reads a CSV file from r and checks it against s before upload. It
// streams: memory depends on the options and the header, not on the file
// size. Problems in the file are Findings in the Report; the error is only
// for reading failures, invalid options and cancellation of ctx (checked
// between records: to stop a blocked Read, close the reader).
func Check(ctx context.Context, r io.Reader, s Schema, opt Options) (*Report, error) {
	return checkAs(ctx, r, s, opt, modeRows)
}

// Header reads only the header row of a CSV file, exactly as Check reads it
// (byte order mark, blank and comment lines before it, the delimiter, quoting),
// and leaves the rest of r unread. It is how a schema file is read: ISC's
// schema CSV is the Delimited File connector's template, one header row naming
// the attributes, and an upload may be the whole account file, whose rows do
// not matter. The Report has the Columns and the findings about the start of
// the file and the header; in a schema file every column names an attribute,
// so empty-column-name is an error here, and a header that lists the columns
// of an attribute-definition table is reported (attribute-table).
func Header(ctx context.Context, r io.Reader, opt Options) (*Report, error) {
	return checkAs(ctx, r, Schema{}, opt, modeHeader)
}

// CorrelationHeader is the header of ISC's manual correlation file, the file
// load-uncorrelated-accounts takes: account is the account's native identity
// on the source, userName the username of the identity to correlate it to.
// SailPoint's community PowerShell module and its VS Code extension for ISC
// build this file.
var CorrelationHeader = []string{"account", "displayName", "userName", "type"}

// CheckCorrelation checks a manual correlation file (CorrelationHeader) as
// Check checks an account file: every column of the header must be there
// (missing-required-column), each row needs an account, once (empty-id,
// duplicate-id), and a userName (empty-username).
func CheckCorrelation(ctx context.Context, r io.Reader, opt Options) (*Report, error) {
	s := Schema{IdentityAttribute: CorrelationHeader[0]}
	for _, name := range CorrelationHeader {
		s.Attributes = append(s.Attributes, Attribute{Name: name, Type: "STRING"})
	}
	return checkAs(ctx, r, s, opt, modeCorrelation)
}

// mode is what a checker reads a file as.
type mode int

const (
	modeRows        mode = iota // an account or entitlement file (Check)
	modeHeader                  // a schema file: the header only (Header)
	modeCorrelation             // a manual correlation file (CheckCorrelation)
)

func checkAs(ctx context.Context, r io.Reader, s Schema, opt Options, m mode) (*Report, error) {
	c, err := newChecker(s, opt)
	if err != nil {
		return nil, err
	}
	c.mode = m
	if err := c.run(ctx, r); err != nil {
		return nil, err
	}
	return c.report(), nil
}

// checker holds the state of one Check.
type checker struct {
	opt    Options
	schema Schema
	mode   mode
	sep    []byte
	rep    Report
	find   findings
	sc     scanner

	header     bool // the header has been read
	headerLine int
	cols       []colPlan
	idCol      int // -1 when the identity column is absent
	userCol    int // correlation files: the userName column, -1 when absent
	hasMult    bool

	seed     maphash.Seed
	ids      idSet
	prevID   uint64
	havePrev bool
	idsFull  bool
}

func newChecker(s Schema, opt Options) (*checker, error) {
	if opt.MaxExamples <= 0 {
		opt.MaxExamples = defaultMaxExamples
	}
	if opt.MaxRecordBytes <= 0 {
		opt.MaxRecordBytes = defaultMaxRecord
	}
	if opt.MaxIDs <= 0 {
		opt.MaxIDs = defaultMaxIDs
	}
	if opt.bufSize <= 0 {
		opt.bufSize = defaultBufSize
	}
	if opt.MultiValueSeparator == "" {
		opt.MultiValueSeparator = ","
	}
	if opt.Comment == 0 {
		opt.Comment = '#'
	}
	if opt.NoComment {
		opt.Comment = 0
	}
	if d := opt.Delimiter; d != 0 && !validDelimiter(d) {
		return nil, fmt.Errorf("csvcheck: delimiter %q must be one ASCII character other than a quote or line break", d)
	}
	if c := opt.Comment; c != 0 && (c >= 0x80 || c == '"' || c == '\n' || c == '\r') {
		return nil, fmt.Errorf("csvcheck: comment character %q must be one ASCII character", c)
	}
	c := &checker{
		opt:     opt,
		schema:  s,
		sep:     []byte(opt.MultiValueSeparator),
		idCol:   -1,
		userCol: -1,
		seed:    maphash.MakeSeed(),
	}
	c.find.max = opt.MaxExamples
	return c, nil
}

func validDelimiter(d rune) bool {
	return d > 0 && d < 0x80 && d != '"' && d != '\n' && d != '\r'
}

// errBinary stops the scan of a file that is not text at all.
var errBinary = errors.New("binary")

func (c *checker) run(ctx context.Context, r io.Reader) error {
	// The start is read apart from the scan buffer so that what sniff sees
	// does not depend on the buffer size.
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("csvcheck: read: %w", err)
	}
	head = head[:n]
	rest, err := c.sniff(head)
	if errors.Is(err, errBinary) {
		return nil
	}
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(rest), r), c.opt.bufSize)
	c.sc.init(br, byte(c.rep.Delimiter), byte(c.opt.Comment), c.opt.MaxRecordBytes, &c.find, &c.rep)
	for n := 0; ; n++ {
		if n%cancelEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		err := c.sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("csvcheck: read: %w", err)
		}
		if !c.header {
			c.readHeader()
			if c.mode == modeHeader {
				return nil // the rows are not read
			}
			continue
		}
		c.checkRow()
	}
	c.finish()
	return nil
}

// sniff inspects the start of the file: binary content, UTF-16, the byte
// order mark, line endings and the delimiter.
// It returns head without the byte order mark, or errBinary.
func (c *checker) sniff(head []byte) ([]byte, error) {
	if len(head) == 0 {
		return head, nil
	}
	if k := sniffKind(head); k.kind != kindText && k.kind != kindInvalidUTF8 {
		c.find.add(findNotText, -1, 1, sniffReason(k))
		c.rep.Bytes = int64(len(head))
		c.rep.Lines = 1
		return nil, errBinary
	}
	if len(head) >= 3 && string(head[:3]) == bom {
		c.rep.HasBOM = true
		c.find.add(findBOM, -1, 1, "")
		c.rep.Bytes = 3
		head = head[3:]
		if len(head) == 0 {
			c.rep.Lines = 1 // the mark alone is still a line
		}
	}
	if i := bytes.IndexByte(head, '\r'); i >= 0 && i < len(head)-1 && bytes.IndexByte(head, '\n') < 0 {
		// A carriage return followed by more text and no line feed
		// anywhere in the first 8 KiB: classic Mac line endings.
		c.find.add(findCRLineEndings, -1, 1, "")
	}
	first := c.headerGuess(head)
	if c.opt.Delimiter != 0 {
		c.rep.Delimiter = c.opt.Delimiter
		if alt, n := detectDelimiter(first); alt != c.opt.Delimiter && n > 0 &&
			countOutsideQuotes(first, byte(c.opt.Delimiter)) == 0 {
			c.find.add(findWrongDelimiter, -1, 1, fmt.Sprintf("%q", alt))
		}
		return head, nil
	}
	c.rep.Delimiter, _ = detectDelimiter(first)
	return head, nil
}

// headerGuess returns the first line of head that is neither blank nor a
// comment: the header, unless it is longer than head.
func (c *checker) headerGuess(head []byte) []byte {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i+1], head[i+1:]
		} else {
			head = nil
		}
		t := trimEOL(line)
		if len(t) == 0 || c.opt.Comment != 0 && t[0] == byte(c.opt.Comment) {
			continue
		}
		return line
	}
	return nil
}

// candidates are the delimiters Check detects, in order of preference on ties.
const candidates = ",;\t|"

// detectDelimiter picks the candidate that occurs most often outside quotes
// in the header line, and its count. Comma wins when none occurs.
func detectDelimiter(line []byte) (rune, int) {
	best, bestN := rune(','), 0
	for _, d := range []byte(candidates) {
		if n := countOutsideQuotes(line, d); n > bestN {
			best, bestN = rune(d), n
		}
	}
	return best, bestN
}

func countOutsideQuotes(line []byte, d byte) int {
	n, quoted := 0, false
	for _, b := range line {
		switch {
		case b == '"':
			quoted = !quoted
		case b == d && !quoted:
			n++
		}
	}
	return n
}

// colPlan says how one column is checked.
type colPlan struct {
	name  string
	kind  valueKind
	multi bool
	known bool // the column is a schema attribute
}

func (c *checker) readHeader() {
	c.header = true
	sc := &c.sc
	n := sc.nfields()
	if sc.tooLong {
		n = 0
	}
	c.rep.Columns = make([]string, n)
	for i := range n {
		c.rep.Columns[i] = string(sc.field(i))
	}
	line := sc.recLine
	c.headerLine = line
	if sc.tooLong {
		c.rep.Columns = nil
		c.find.add(findRecordTooLong, -1, line, "")
		return
	}
	c.planColumns(line)
}

func (c *checker) planColumns(line int) {
	cols := c.rep.Columns
	s := c.schema
	attrs := make(map[string]Attribute, len(s.Attributes)+2)
	for _, a := range s.Attributes {
		attrs[a.Name] = a
	}
	for _, name := range []string{s.IdentityAttribute, s.DisplayAttribute} {
		if _, ok := attrs[name]; name != "" && !ok {
			attrs[name] = Attribute{Name: name, Type: "STRING"}
		}
	}
	haveSchema := len(attrs) > 0

	empty := 0
	for _, name := range cols {
		if name == "" {
			empty++
		}
	}
	if empty == len(cols) {
		c.find.add(findEmptyHeader, -1, line, "")
		return
	}
	seen := make(map[string]bool, len(cols))
	c.cols = make([]colPlan, len(cols))
	for i, name := range cols {
		if name == "" {
			c.find.add(findEmptyColumnName, -1, line, fmt.Sprintf("column %d", i+1))
			continue
		}
		if seen[name] {
			c.find.add(findDuplicateColumn, -1, line, example([]byte(name)))
			continue
		}
		seen[name] = true
		a, ok := attrs[name]
		if !ok {
			if haveSchema {
				c.find.add(findUnknownColumn, -1, line, withHint(name, attrs))
			}
			continue
		}
		c.cols[i] = colPlan{name: name, kind: kindOf(a.Type), multi: a.Multi, known: true}
		c.hasMult = c.hasMult || a.Multi
		if name == s.IdentityAttribute {
			c.idCol = i
		}
	}
	if c.mode == modeHeader {
		if looksLikeAttributeTable(cols) {
			c.find.add(findAttributeTable, -1, line, strings.Join(cols, string(c.rep.Delimiter)))
		}
		return
	}
	if c.mode == modeCorrelation {
		// The header is fixed: every column of it is required.
		for _, name := range CorrelationHeader {
			if !seen[name] {
				c.find.add(findMissingRequired, -1, line, withHint(name, seen))
			}
		}
		c.userCol = slices.Index(cols, CorrelationHeader[2])
		return
	}
	if s.IdentityAttribute != "" && c.idCol < 0 {
		c.find.add(findMissingIdentity, -1, line, withHint(s.IdentityAttribute, seen))
	}
	var missing []string
	for name := range attrs {
		if !seen[name] && name != s.IdentityAttribute {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	for _, name := range missing {
		c.find.add(findMissingColumn, -1, line, withHint(name, seen))
	}
}

// looksLikeAttributeTable reports whether a header lists the columns of a table
// of attribute definitions (name, type, isMulti...) rather than attribute names:
// uploaded as a schema file, it would create attributes named "type" and
// "isMulti" and remove the real ones.
func looksLikeAttributeTable(cols []string) bool {
	has := map[string]bool{}
	for _, c := range cols {
		has[strings.ToLower(strings.TrimSpace(c))] = true
	}
	return has["name"] && has["type"] && (has["ismulti"] || has["isentitlement"] || has["isgroup"])
}

// withHint adds "(did you mean …?)" when name matches a key of set after
// trimming spaces and folding case: the usual cause of a near miss.
func withHint[V any](name string, set map[string]V) string {
	norm := strings.TrimSpace(name)
	for other := range set {
		if other != name && strings.EqualFold(strings.TrimSpace(other), norm) {
			return fmt.Sprintf("%q (did you mean %q?)", name, other)
		}
	}
	return fmt.Sprintf("%q", name)
}

func (c *checker) checkRow() {
	c.rep.Rows++
	sc := &c.sc
	line := sc.recLine
	if sc.tooLong {
		c.find.add(findRecordTooLong, -1, line, "")
		c.havePrev = false
		return
	}
	n := sc.nfields()
	if len(c.cols) == 0 {
		return // no usable header
	}
	if n != len(c.cols) {
		c.find.add(findFieldCount, -1, line, fmt.Sprintf("%d fields", n))
	}
	if c.idCol >= 0 {
		if c.idCol < n {
			c.checkID(line, sc.field(c.idCol))
		} else {
			c.find.add(findEmptyID, -1, line, "")
			c.havePrev = false
		}
	}
	if c.userCol >= 0 && (c.userCol >= n || len(bytes.TrimSpace(sc.field(c.userCol))) == 0) {
		c.find.add(findEmptyUserName, c.userCol, line, "")
	}
	for i := range min(n, len(c.cols)) {
		p := &c.cols[i]
		if !p.known {
			continue
		}
		v := sc.field(i)
		if len(v) == 0 {
			continue
		}
		c.checkValue(i, p, line, v)
	}
}

func (c *checker) checkID(line int, v []byte) {
	if len(v) == 0 {
		c.find.add(findEmptyID, c.idCol, line, "")
		c.havePrev = false
		return
	}
	h := maphash.Bytes(c.seed, v)
	if c.havePrev && h == c.prevID {
		if !c.opt.MergeRows {
			c.find.add(findDuplicateID, c.idCol, line, example(v))
		}
		return
	}
	c.prevID, c.havePrev = h, true
	if c.ids.has(h) {
		c.find.add(findDuplicateID, c.idCol, line, example(v))
		return
	}
	if c.ids.len() >= c.opt.MaxIDs {
		if !c.idsFull {
			c.idsFull = true
			c.find.add(findIDCheckLimited, -1, line, "")
		}
		return
	}
	c.ids.add(h)
}

func (c *checker) finish() {
	if c.mode == modeHeader {
		if !c.header {
			c.find.add(findEmptyHeader, -1, 0, "")
		}
		return
	}
	if c.rep.Rows == 0 {
		c.find.add(findNoRows, -1, 0, "")
	}
}

func (c *checker) report() *Report {
	r := c.rep
	r.Findings = c.find.list(c)
	for i, name := range r.Columns {
		r.Columns[i] = strings.ToValidUTF8(name, "\uFFFD")
	}
	return &r
}
