package upload_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/csvcheck"
	"sourcedesk/internal/upload"
)

// entries lists what is in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func TestSpoolKeepsTheFileOnDiskAndLeavesNothingBehind(t *testing.T) {
	dir := t.TempDir()
	content := "id,name\n" + strings.Repeat("u1,Ann\n", 50_000) // 350 KB, more than any copy buffer
	body, ct := form(t, [][2]string{{"a", "1"}}, "people.csv", []byte(content))
	s, err := open(t, body, ct, 1<<20, true)
	require.NoError(t, err)
	f, err := s.NextFile()
	require.NoError(t, err)

	sp, err := upload.NewSpool(dir)
	require.NoError(t, err)
	defer sp.Close()
	assert.Empty(t, entries(t, dir), "the temporary file has no name in the folder, even while it is used")
	require.NoError(t, sp.Fill(f.Reader()))
	assert.Equal(t, int64(len(content)), sp.Size())

	af := sp.File(f.Name)
	assert.Equal(t, int64(len(content)), af.Size)
	assert.Equal(t, "people.csv", af.Name)
	got, err := io.ReadAll(af.Body)
	require.NoError(t, err)
	assert.Equal(t, content, string(got))
	again, err := io.ReadAll(sp.Reader())
	require.NoError(t, err)
	assert.Equal(t, content, string(again), "each reader starts at the beginning")

	require.NoError(t, sp.Close())
	require.NoError(t, sp.Close(), "closing twice is fine")
	assert.Empty(t, entries(t, dir))
}

func TestSpoolStopsWhereTheFileStops(t *testing.T) {
	t.Run("past the limit", func(t *testing.T) {
		const limit = 64 << 10
		body, ct := form(t, nil, "big.csv", []byte(strings.Repeat("id,displayName\n", limit/15+100)))
		s, err := open(t, body, ct, limit, true)
		require.NoError(t, err)
		f, err := s.NextFile()
		require.NoError(t, err)
		sp, err := upload.NewSpool(t.TempDir())
		require.NoError(t, err)
		defer sp.Close()
		assert.ErrorIs(t, sp.Fill(f.Reader()), upload.ErrFileTooLarge)
		assert.LessOrEqual(t, sp.Size(), int64(limit), "never more than the limit on disk")
		assert.Equal(t, http.StatusRequestEntityTooLarge, statusOf(f.Failure(context.Background())))
	})
	t.Run("a check that blocks", func(t *testing.T) {
		sc := csvcheck.Schema{IdentityAttribute: "id", Attributes: []csvcheck.Attribute{{Name: "id"}}}
		cr := upload.Check(context.Background(), strings.NewReader("id\nu1\nu1\n"), upload.Against(sc, csvcheck.Options{}), true)
		sp, err := upload.NewSpool(t.TempDir())
		require.NoError(t, err)
		defer sp.Close()
		assert.ErrorIs(t, sp.Fill(cr), upload.ErrCheckBlocked)
		cr.Finish(nil)
		assert.True(t, cr.Blocked())
		f, ok := cr.Report().Finding("duplicate-id")
		require.True(t, ok)
		assert.Equal(t, []int{3}, f.Lines)
	})
}

func TestSpoolFolderProblemsAreClear(t *testing.T) {
	_, err := upload.NewSpool(t.TempDir() + "/missing")
	assert.Equal(t, http.StatusInternalServerError, statusOf(err))
	assert.Contains(t, err.Error(), "could not keep the upload")
}

// part is one part of a form built by parts: a file when filename is set.
type part struct{ name, filename, content string }

// parts builds a multipart body of the parts, in order.
func parts(t *testing.T, ps ...part) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range ps {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		require.NoError(t, err)
		_, err = io.WriteString(w, p.content)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

func TestReadRestReadsTheFieldsAfterTheFile(t *testing.T) {
	body, ct := parts(t, part{"before", "", "1"}, part{"file", "schema.csv", "id,name\n"}, part{"confirmRemove", "", "a\nb"})
	s, err := open(t, body, ct, 1<<20, false)
	require.NoError(t, err)
	f, err := s.NextFile()
	require.NoError(t, err)
	sp, err := upload.NewSpool(t.TempDir())
	require.NoError(t, err)
	defer sp.Close()
	require.NoError(t, sp.Fill(f.Reader()))
	assert.Empty(t, s.Field("confirmRemove"), "not read yet")
	require.NoError(t, s.ReadRest())
	assert.Equal(t, "1", s.Field("before"))
	assert.Equal(t, "a\nb", s.Field("confirmRemove"))

	t.Run("a second file is refused", func(t *testing.T) {
		body, ct := parts(t, part{"file", "a.csv", "id\n"}, part{"file", "b.csv", "id\n"})
		s, err := open(t, body, ct, 1<<20, false)
		require.NoError(t, err)
		f, err := s.NextFile()
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, f.Reader())
		assert.Equal(t, http.StatusBadRequest, statusOf(s.ReadRest()))
	})
	t.Run("the part limit still applies", func(t *testing.T) {
		ps := []part{{"file", "a.csv", "id\n"}}
		for range upload.MaxParts {
			ps = append(ps, part{"x", "", "1"})
		}
		body, ct := parts(t, ps...)
		s, err := open(t, body, ct, 1<<20, false)
		require.NoError(t, err)
		f, err := s.NextFile()
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, f.Reader())
		assert.Equal(t, http.StatusBadRequest, statusOf(s.ReadRest()))
	})
}
