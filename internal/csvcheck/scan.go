package csvcheck

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"
)

// scanner splits the stream into records. It is a small CSV reader written
// for this package rather than encoding/csv because a pre-flight check needs
// what encoding/csv does not give: it keeps going after a quoting error and
// reports every one with its line, and it never holds more than
// MaxRecordBytes of a record (encoding/csv buffers a whole record, which for
// an unclosed quote is the rest of the file). Lines without quotes, the vast
// majority, are split in place in the read buffer without copying.
//
// Quoting follows RFC 4180 as encoding/csv reads it: a field that starts
// with " runs to the next " not followed by another ", a doubled "" is one
// quote, quoted fields may contain delimiters and line breaks, a trailing CR
// before LF is dropped. Errors are read leniently (like LazyQuotes) so the
// scan can continue.
type scanner struct {
	br        *bufio.Reader
	delim     byte
	comment   byte
	maxRecord int
	find      *findings
	rep       *Report

	line      int // physical lines completed
	chunkLine int // line of the chunk being parsed

	// The current record: fields are cur[starts[i]:ends[i]].
	cur    []byte
	starts []int
	ends   []int

	recLine  int  // line where the current record starts
	inRecord bool // a record continues on the next chunk
	tooLong  bool
	skipping bool // skipping the rest of a long comment line
	midLine  bool // the last chunk ended inside a line
	st       qstate
	rec      []byte // slow-path record buffer
	pendCR   bool   // a partial chunk ended with CR
	multi    bool   // the current record spans lines

	// UTF-8 validation across chunks of one long line.
	carry  [utf8.UTFMax]byte
	ncarry int
}

type qstate uint8

const (
	stFieldStart qstate = iota
	stUnquoted
	stQuoted
	stQuoteInQuoted
)

func (s *scanner) init(br *bufio.Reader, delim, comment byte, maxRecord int, f *findings, rep *Report) {
	s.br, s.delim, s.comment, s.maxRecord, s.find, s.rep = br, delim, comment, maxRecord, f, rep
}

func (s *scanner) nfields() int       { return len(s.ends) }
func (s *scanner) field(i int) []byte { return s.cur[s.starts[i]:s.ends[i]] }

// next reads the next record, skipping blank and comment lines. It returns
// io.EOF at the end.
func (s *scanner) next() error {
	for {
		chunk, err := s.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return err
		}
		if len(chunk) == 0 { // io.EOF
			if s.midLine {
				s.midLine = false
				s.line++
				s.rep.Lines = s.line
			}
			if s.ncarry > 0 {
				s.find.addOnce(findInvalidUTF8, s.line, quoted(s.carry[:s.ncarry]))
				s.ncarry = 0
			}
			if s.inRecord {
				s.endOfFile()
				return nil
			}
			return io.EOF
		}
		complete := err != bufio.ErrBufferFull
		eof := err == io.EOF
		lineNo := s.line + 1
		s.chunkLine = lineNo
		s.inspect(chunk, complete, lineNo)
		s.midLine = !complete
		if complete {
			s.line++
			s.rep.Lines = s.line
		}
		if s.skipping {
			s.skipping = !complete
			continue
		}
		if !s.inRecord {
			s.recLine = lineNo
			if complete && len(trimEOL(chunk)) == 0 {
				s.find.add(findBlankLines, -1, lineNo, "")
				continue
			}
			if s.comment != 0 && chunk[0] == s.comment {
				s.find.add(findCommentLines, -1, lineNo, "")
				s.skipping = !complete
				continue
			}
			if complete && s.splitInPlace(trimEOL(chunk)) {
				return nil
			}
			s.startRecord()
		}
		if s.feed(chunk, complete, eof) {
			s.inRecord = false
			return nil
		}
	}
}

// inspect counts bytes and checks them for NUL and invalid UTF-8.
func (s *scanner) inspect(chunk []byte, complete bool, line int) {
	s.rep.Bytes += int64(len(chunk))
	if bytes.IndexByte(chunk, 0) >= 0 {
		s.find.addOnce(findNUL, line, "")
	}
	data := chunk
	if s.ncarry > 0 {
		// Finish the character that the previous chunk cut.
		var buf [2 * utf8.UTFMax]byte
		n := copy(buf[:], s.carry[:s.ncarry])
		n += copy(buf[n:], data[:min(len(data), utf8.UTFMax)])
		r, size := utf8.DecodeRune(buf[:n])
		if r == utf8.RuneError && size <= 1 || size <= s.ncarry {
			s.find.addOnce(findInvalidUTF8, line, quoted(data))
			size = s.ncarry
		}
		data = data[size-s.ncarry:]
		s.ncarry = 0
	}
	if !complete {
		k := incompleteTail(data)
		s.ncarry = copy(s.carry[:], data[len(data)-k:])
		data = data[:len(data)-k]
	}
	if !utf8.Valid(data) {
		s.find.addOnce(findInvalidUTF8, line, quoted(firstInvalid(data)))
	}
}

// firstInvalid returns the text around the first invalid byte of p.
func firstInvalid(p []byte) []byte {
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size == 1 {
			lo := max(0, i-20)
			for lo < i && !utf8.RuneStart(p[lo]) {
				lo++
			}
			return p[lo:min(len(p), i+20)]
		}
		i += size
	}
	return p
}

// trimEOL drops a trailing LF and then a trailing CR.
func trimEOL(p []byte) []byte {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		p = p[:n-1]
	}
	if n := len(p); n > 0 && p[n-1] == '\r' {
		p = p[:n-1]
	}
	return p
}

// splitInPlace splits a complete line into fields that point into it. It
// handles quoted fields that close on the same line and contain no doubled
// quote; it returns false, having changed nothing the slow path relies on,
// for anything else (a doubled quote, a quote error, a line break inside
// quotes).
func (s *scanner) splitInPlace(line []byte) bool {
	s.cur, s.starts, s.ends = line, s.starts[:0], s.ends[:0]
	s.tooLong = len(line) > s.maxRecord
	q := bytes.IndexByte(line, '"') // next quote at or after pos, or -1
	pos := 0
	for {
		if q == pos { // a quoted field
			end := bytes.IndexByte(line[pos+1:], '"')
			if end < 0 {
				return false
			}
			end += pos + 1
			after := end + 1
			if after < len(line) && line[after] != s.delim {
				return false // "" or text after the closing quote
			}
			s.starts = append(s.starts, pos+1)
			s.ends = append(s.ends, end)
			if after == len(line) {
				return true
			}
			pos = after + 1
			if q = bytes.IndexByte(line[pos:], '"'); q >= 0 {
				q += pos
			}
			continue
		}
		i := bytes.IndexByte(line[pos:], s.delim)
		end := len(line)
		if i >= 0 {
			end = pos + i
		}
		if q >= 0 && q < end {
			return false // a quote inside an unquoted field
		}
		s.starts = append(s.starts, pos)
		s.ends = append(s.ends, end)
		if i < 0 {
			return true
		}
		pos = end + 1
	}
}

func (s *scanner) startRecord() {
	s.inRecord = true
	s.st = stFieldStart
	s.rec = s.rec[:0]
	s.starts, s.ends = s.starts[:0], s.ends[:0]
	s.starts = append(s.starts, 0)
	s.tooLong = false
	s.multi = false
	s.pendCR = false
}

// feed runs the quote-aware state machine over one chunk and reports
// whether the record ended with it.
func (s *scanner) feed(chunk []byte, complete, eof bool) bool {
	if s.pendCR {
		s.pendCR = false
		if chunk[0] != '\n' {
			s.feedBytes([]byte{'\r'})
		}
	}
	data := chunk
	if complete {
		data = trimEOL(data)
	} else if n := len(data); data[n-1] == '\r' {
		data, s.pendCR = data[:n-1], true
	}
	s.feedBytes(data)
	if !complete {
		return false
	}
	if eof {
		s.endOfFile()
		return true
	}
	if s.st == stQuoted {
		s.appendBytes([]byte{'\n'})
		if !s.multi {
			s.multi = true
			s.find.add(findMultiline, -1, s.recLine, "")
		}
		return false
	}
	s.endField()
	s.cur = s.rec
	return true
}

func (s *scanner) feedBytes(data []byte) {
	for i := 0; i < len(data); {
		switch s.st {
		case stFieldStart:
			if data[i] == '"' {
				s.st = stQuoted
				i++
				continue
			}
			s.st = stUnquoted
		case stUnquoted:
			j := i
			for j < len(data) && data[j] != s.delim && data[j] != '"' {
				j++
			}
			s.appendBytes(data[i:j])
			if j == len(data) {
				return
			}
			if data[j] == s.delim {
				s.endField()
				s.st = stFieldStart
			} else {
				s.find.add(findBareQuote, -1, s.chunkLine, "")
				s.appendBytes(data[j : j+1])
			}
			i = j + 1
		case stQuoted:
			j := bytes.IndexByte(data[i:], '"')
			if j < 0 {
				s.appendBytes(data[i:])
				return
			}
			s.appendBytes(data[i : i+j])
			i += j + 1
			s.st = stQuoteInQuoted
		case stQuoteInQuoted:
			switch data[i] {
			case '"':
				s.appendBytes(data[i : i+1])
				s.st = stQuoted
				i++
			case s.delim:
				s.endField()
				s.st = stFieldStart
				i++
			default:
				s.find.add(findTextAfterQuote, -1, s.chunkLine, "")
				s.st = stUnquoted
			}
		}
	}
}

// appendBytes adds p to the record unless the record is over the limit, in
// which case the rest of the record is only parsed, not kept.
func (s *scanner) appendBytes(p []byte) {
	if s.tooLong {
		return
	}
	if len(s.rec)+len(p) > s.maxRecord {
		s.tooLong = true
		return
	}
	s.rec = append(s.rec, p...)
}

func (s *scanner) endField() {
	if s.tooLong {
		return
	}
	s.ends = append(s.ends, len(s.rec))
	s.starts = append(s.starts, len(s.rec))
}

// endOfFile ends the record open at the end of the input. If a quoted
// field is still open, its closing quote is missing.
func (s *scanner) endOfFile() {
	s.pendCR = false // a CR at the very end ends the line, as encoding/csv reads it
	if s.st == stQuoted {
		s.find.add(findUnterminated, -1, s.recLine, "")
	}
	s.endField()
	s.cur = s.rec
	s.inRecord = false
}
