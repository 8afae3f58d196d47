package csvcheck

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSniffText(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		reason string // "" means text
	}{
		{"empty", "", ""},
		{"ascii csv", "id,name\na,b\n", ""},
		{"utf-8 with bom", "\ufeffid,nom\n1,Zoë\n", ""},
		{"cut 2-byte character", "id,name\n1,Zo\xc3", ""},
		{"cut 3-byte character", "id,name\n1,\xe6\x97", ""},
		{"cut 3-byte character after E0", "a\xe0", ""},
		{"cut 4-byte character", "a,\xf0\x9f\x98", ""},
		{"cut 4-byte character after F4", "a\xf4\x8f", ""},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a PNG image"},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", "is a JPEG image"},
		{"gif", "GIF89a\x01\x00", "is a GIF image"},
		{"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3", "is a PDF document"},
		{"xlsx", "PK\x03\x04\x14\x00\x06\x00\x08\x00", "is a ZIP archive (an Excel .xlsx workbook is one)"},
		{"xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "is an old Office document (such as an Excel .xls workbook)"},
		{"gzip", "\x1f\x8b\x08\x00", "is a gzip archive"},
		{"bzip2", "BZh91AY&SY", "is a bzip2 archive"},
		{"text starting like bzip2", "BZh,name\n", ""},
		{"xz", "\xfd7zXZ\x00\x00", "is an xz archive"},
		{"7z", "7z\xbc\xaf\x27\x1c", "is a 7-Zip archive"},
		{"zstd", "\x28\xb5\x2f\xfd", "is a Zstandard archive"},
		{"elf", "\x7fELF\x02\x01", "is an executable"},
		{"utf-16le", "\xff\xfei\x00d\x00", "is UTF-16 text; save it as CSV UTF-8"},
		{"utf-16be", "\xfe\xff\x00i\x00d", "is UTF-16 text; save it as CSV UTF-8"},
		{"utf-32le", "\xff\xfe\x00\x00i\x00\x00\x00", "is UTF-32 text; save it as CSV UTF-8"},
		{"nul byte", "id,name\na\x00,b\n", "contains a NUL byte (at byte 9)"},
		{"latin-1", "id,name\n1,Caf\xe9\n", "is not valid UTF-8 (at byte 13)"},
		{"invalid byte before the end", "a\xff", "is not valid UTF-8 (at byte 1)"},
		{"lone continuation byte at the end", "a\x80", "is not valid UTF-8 (at byte 1)"},
		{"overlong lead at the end", "a\xc0", "is not valid UTF-8 (at byte 1)"},
		{"surrogate prefix at the end", "a\xed\xa0", "is not valid UTF-8 (at byte 1)"},
		{"beyond U+10FFFF at the end", "a\xf4\x90", "is not valid UTF-8 (at byte 1)"},
		{"cut character not at the end", "a\xc3,b", "is not valid UTF-8 (at byte 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := SniffText([]byte(tt.in))
			if tt.reason == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrNotText)
			var nt *NotTextError
			require.True(t, errors.As(err, &nt))
			assert.Equal(t, tt.reason, nt.Reason)
			assert.True(t, strings.HasPrefix(err.Error(), "csvcheck: not a text CSV file: it "))
		})
	}
}

func TestSniffTextAgreesWithCheck(t *testing.T) {
	// A file SniffText refuses for its format is "not-text" for Check too.
	for _, in := range []string{"\x89PNG\r\n\x1a\n", "PK\x03\x04", "\xff\xfei\x00", "a,b\x00\n"} {
		require.Error(t, SniffText([]byte(in)))
		r := check(t, in, accounts, Options{})
		assert.Equal(t, []string{"not-text"}, codes(r), "%q", in)
		assert.True(t, r.Blocking())
	}
}
