package csvcheck

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrNotText is matched (errors.Is) by every error SniffText returns, so a
// handler can map it to 415 Unsupported Media Type.
var ErrNotText = errors.New("csvcheck: not a text file")

// NotTextError explains why SniffText refused a file.
type NotTextError struct {
	// Reason completes "the file …", e.g. "is a PNG image".
	Reason string
	// Offset is the byte offset of the problem in the prefix.
	Offset int
}

// Error returns a message naming the reason.
func (e *NotTextError) Error() string {
	return "csvcheck: not a text CSV file: it " + e.Reason
}

// Is makes errors.Is(err, ErrNotText) true.
func (e *NotTextError) Is(target error) bool { return target == ErrNotText }

// SniffText checks the first bytes of an upload before it is forwarded. It
// returns a *NotTextError (matching ErrNotText) when prefix starts with the
// magic number of a known binary format (images, PDF, archives including
// .xlsx, old Office files, executables), is UTF-16 or UTF-32, contains a
// NUL byte or is not valid UTF-8. A multi-byte character cut by the end of
// prefix is accepted, since prefix is usually the first read of a longer
// stream. An empty prefix is text.
func SniffText(prefix []byte) error {
	k := sniffKind(prefix)
	if k.kind == kindText {
		return nil
	}
	return &NotTextError{Reason: sniffReason(k), Offset: k.offset}
}

type textKind uint8

const (
	kindText textKind = iota
	kindInvalidUTF8
	kindNULByte
	kindWide
	kindMagic
)

type sniffed struct {
	kind   textKind
	what   string // the format, for kindMagic and kindWide
	offset int
}

// magics are the leading bytes of binary formats people upload by mistake.
var magics = [...]struct{ prefix, what string }{
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"\xff\xd8\xff", "a JPEG image"},
	{"GIF87a", "a GIF image"},
	{"GIF89a", "a GIF image"},
	{"%PDF-", "a PDF document"},
	{"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"},
	{"PK\x05\x06", "a ZIP archive"},
	{"PK\x07\x08", "a ZIP archive"},
	{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (such as an Excel .xls workbook)"},
	{"\x1f\x8b", "a gzip archive"},
	{"\xfd7zXZ\x00", "an xz archive"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
	{"\x28\xb5\x2f\xfd", "a Zstandard archive"},
	{"\x7fELF", "an executable"},
	// UTF-32 before UTF-16: FF FE 00 00 starts with the UTF-16 LE mark.
	{"\xff\xfe\x00\x00", "UTF-32 text"},
	{"\x00\x00\xfe\xff", "UTF-32 text"},
	{"\xff\xfe", "UTF-16 text"},
	{"\xfe\xff", "UTF-16 text"},
}

func sniffKind(p []byte) sniffed {
	for _, m := range magics {
		if bytes.HasPrefix(p, []byte(m.prefix)) {
			k := kindMagic
			if bytes.HasSuffix([]byte(m.what), []byte(" text")) {
				k = kindWide
			}
			return sniffed{kind: k, what: m.what}
		}
	}
	if bytes.HasPrefix(p, []byte("BZh")) && len(p) >= 10 && string(p[4:10]) == "1AY&SY" {
		return sniffed{kind: kindMagic, what: "a bzip2 archive"}
	}
	if i := bytes.IndexByte(p, 0); i >= 0 {
		return sniffed{kind: kindNULByte, offset: i}
	}
	if i := invalidUTF8(p); i >= 0 {
		return sniffed{kind: kindInvalidUTF8, offset: i}
	}
	return sniffed{kind: kindText}
}

func sniffReason(k sniffed) string {
	switch k.kind {
	case kindMagic:
		return "is " + k.what
	case kindWide:
		return "is " + k.what + "; save it as CSV UTF-8"
	case kindNULByte:
		return fmt.Sprintf("contains a NUL byte (at byte %d)", k.offset)
	case kindInvalidUTF8:
		return fmt.Sprintf("is not valid UTF-8 (at byte %d)", k.offset)
	}
	return "is text"
}

// invalidUTF8 returns the offset of the first invalid UTF-8 sequence in p,
// or -1. A sequence cut short by the end of p is not invalid if some
// continuation would complete it.
func invalidUTF8(p []byte) int {
	if utf8.Valid(p) {
		return -1
	}
	k := incompleteTail(p)
	for i := 0; i < len(p)-k; {
		r, size := utf8.DecodeRune(p[i : len(p)-k])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// incompleteTail returns the length (0 to 3) of a truncated but so far
// valid multi-byte sequence at the end of p.
func incompleteTail(p []byte) int {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(p); k++ {
		b := p[len(p)-k]
		if b < 0x80 {
			return 0 // ASCII: nothing is cut
		}
		if b < 0xC0 {
			continue // a continuation byte: look further back
		}
		tail := p[len(p)-k:]
		if utf8.FullRune(tail) {
			return 0
		}
		// Complete it with continuation bytes; the second byte's valid range
		// depends on the lead byte (E0, ED, F0, F4), so try the three lows.
		for _, second := range []byte{0x80, 0x90, 0xA0} {
			var buf [utf8.UTFMax]byte
			n := copy(buf[:], tail)
			if n == 1 {
				buf[n] = second
				n++
			}
			for n < utf8.UTFMax {
				buf[n] = 0x80
				n++
			}
			if r, size := utf8.DecodeRune(buf[:]); r != utf8.RuneError && size > len(tail) {
				return len(tail)
			}
		}
		return 0
	}
	return 0
}

// bom is the UTF-8 byte order mark.
const bom = "\xef\xbb\xbf"
