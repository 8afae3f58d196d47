package upload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"sourcedesk/internal/csvcheck"
	"sourcedesk/internal/upload"
)

// TestMain fails the run if a test leaves a check goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// form is a multipart body: plain fields first, then the file part when name is set.
func form(t *testing.T, fields [][2]string, name string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		require.NoError(t, mw.WriteField(f[0], f[1]))
	}
	if name != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
		w, err := mw.CreatePart(h)
		require.NoError(t, err)
		_, err = w.Write(content)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

// open opens body as an upload of at most limit bytes. chunked hides the length.
func open(t *testing.T, body io.Reader, contentType string, limit int64, chunked bool) (*upload.Stream, error) {
	t.Helper()
	if chunked {
		body = io.MultiReader(body)
	}
	req := httptest.NewRequest(http.MethodPost, "/up", body)
	req.Header.Set("Content-Type", contentType)
	return upload.Open(httptest.NewRecorder(), req, limit)
}

// statusOf is the HTTP status an upload error asks for (0 when it is no *upload.Error).
func statusOf(err error) int {
	var ue *upload.Error
	if errors.As(err, &ue) {
		return ue.Status
	}
	return 0
}

func TestOpenRefusesWhatIsNoUploadBeforeReading(t *testing.T) {
	t.Run("no body is no stream", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/up", http.NoBody)
		s, err := upload.Open(httptest.NewRecorder(), req, 1<<20)
		require.NoError(t, err)
		assert.Nil(t, s)
	})
	t.Run("not multipart is 415", func(t *testing.T) {
		_, err := open(t, strings.NewReader("id,name\n"), "text/csv", 1<<20, false)
		assert.Equal(t, http.StatusUnsupportedMediaType, statusOf(err))
	})
	t.Run("a declared length over the limit is 413", func(t *testing.T) {
		body, ct := form(t, nil, "a.csv", make([]byte, 2048+upload.Overhead))
		_, err := open(t, body, ct, 2048, false)
		assert.Equal(t, http.StatusRequestEntityTooLarge, statusOf(err))
		assert.Contains(t, err.Error(), "2 KiB upload limit")
	})
}

func TestNextFileStreamsTheCSVAndKeepsTheFieldsBeforeIt(t *testing.T) {
	content := []byte("id,name\n" + strings.Repeat("u1,Ann\n", 2000))
	body, ct := form(t, [][2]string{{"sendAnyway", "1"}}, "../../people.csv", content)
	s, err := open(t, body, ct, 1<<20, true)
	require.NoError(t, err)
	f, err := s.NextFile()
	require.NoError(t, err)
	require.NotNil(t, f)
	assert.Equal(t, "people.csv", f.Name, "the name is sanitized")
	assert.Equal(t, "1", s.Field("sendAnyway"))
	got, err := io.ReadAll(f.Reader())
	require.NoError(t, err)
	assert.Equal(t, content, got, "the sniffed prefix is replayed, then the rest")
	assert.Equal(t, int64(len(content)), f.Size())
	assert.NoError(t, f.Failure(context.Background()))
}

func TestNextFileRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		content    []byte
		want       int
	}{
		{"binary named .csv", "photo.csv", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...), http.StatusUnsupportedMediaType},
		{"NUL bytes", "nul.csv", []byte("id,name\nu1,a\x00b\n"), http.StatusUnsupportedMediaType},
		{"not a CSV name", "tool.exe", []byte("id,name\n"), http.StatusUnsupportedMediaType},
		{"empty file", "empty.csv", nil, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := form(t, nil, tc.file, tc.content)
			s, err := open(t, body, ct, 1<<20, false)
			require.NoError(t, err)
			_, err = s.NextFile()
			assert.Equal(t, tc.want, statusOf(err), "%v", err)
		})
	}
	t.Run("no file is nil, not an error", func(t *testing.T) {
		body, ct := form(t, [][2]string{{"note", "x"}}, "", nil)
		s, err := open(t, body, ct, 1<<20, false)
		require.NoError(t, err)
		f, err := s.NextFile()
		require.NoError(t, err)
		assert.Nil(t, f)
	})
	t.Run("a field over the field limit is 400", func(t *testing.T) {
		body, ct := form(t, [][2]string{{"note", strings.Repeat("x", upload.MaxFieldBytes+1)}}, "a.csv", []byte("id\n"))
		s, err := open(t, body, ct, 1<<20, false)
		require.NoError(t, err)
		_, err = s.NextFile()
		assert.Equal(t, http.StatusBadRequest, statusOf(err))
	})
}

// countingReader counts the bytes read from a body.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestPartFloodsAreRefusedAfterReadingLittle(t *testing.T) {
	const boundary = "sdboundary"
	var manyParts strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&manyParts, "--%s\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nx\r\n", boundary, i)
	}
	manyParts.WriteString("--" + boundary + "--\r\n")
	bigHeader := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nX-Pad: " +
		strings.Repeat("a", 1<<20) + "\r\n\r\nid\r\n--" + boundary + "--\r\n"
	for _, tc := range []struct{ name, body string }{{"10,000 parts", manyParts.String()}, {"1 MiB part header", bigHeader}} {
		for _, binary := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s binary=%v", tc.name, binary), func(t *testing.T) {
				body := &countingReader{r: strings.NewReader(tc.body)}
				s, err := open(t, body, "multipart/form-data; boundary="+boundary, 1<<20, true)
				require.NoError(t, err)
				if binary {
					_, err = s.NextBinaryFile()
				} else {
					_, err = s.NextFile()
				}
				assert.Equal(t, http.StatusBadRequest, statusOf(err))
				assert.Less(t, body.n, int64(64<<10), "reading stopped early")
			})
		}
	}
}

func TestTheLimitAppliesWhileStreaming(t *testing.T) {
	const limit = 4 << 10
	line := "id,displayName\n"
	fill := func(n int) []byte { return []byte(strings.Repeat(line, n/len(line)+1))[:n] }
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			body, ct := form(t, nil, "big.csv", fill(limit+1))
			s, err := open(t, body, ct, limit, chunked)
			require.NoError(t, err)
			f, err := s.NextFile()
			require.NoError(t, err)
			_, err = io.Copy(io.Discard, f.Reader())
			assert.ErrorIs(t, err, upload.ErrFileTooLarge, "the copy fails instead of ending short")
			ferr := f.Failure(context.Background())
			assert.Equal(t, http.StatusRequestEntityTooLarge, statusOf(ferr))
			assert.Contains(t, ferr.Error(), "4 KiB upload limit")
		})
	}
	t.Run("exactly the limit passes", func(t *testing.T) {
		body, ct := form(t, nil, "ok.csv", fill(limit))
		s, err := open(t, body, ct, limit, true)
		require.NoError(t, err)
		f, err := s.NextFile()
		require.NoError(t, err)
		n, err := io.Copy(io.Discard, f.Reader())
		require.NoError(t, err)
		assert.Equal(t, int64(limit), n)
		assert.NoError(t, f.Failure(context.Background()))
	})
}

func TestNextBinaryFileTakesAnyContent(t *testing.T) {
	jar := bytes.Repeat([]byte{0xCA, 0xFE, 0x00}, 3000)
	body, ct := form(t, [][2]string{{"note", "x"}}, `C:\drivers\ojdbc11.jar`, jar)
	s, err := open(t, body, ct, 1<<20, false)
	require.NoError(t, err)
	f, err := s.NextBinaryFile()
	require.NoError(t, err)
	require.NotNil(t, f)
	assert.Equal(t, "ojdbc11.jar", f.Name)
	got, err := io.ReadAll(f.Reader())
	require.NoError(t, err)
	assert.Equal(t, jar, got)
	assert.Equal(t, int64(len(jar)), f.Size())
}

func TestBrokenBodyIsTheUploadsFault(t *testing.T) {
	body, ct := form(t, nil, "a.csv", []byte("id\n"+strings.Repeat("u1\n", 4000)))
	cut := io.MultiReader(bytes.NewReader(body.Bytes()[:body.Len()/2]), errReader{})
	s, err := open(t, cut, ct, 1<<20, true)
	require.NoError(t, err)
	f, err := s.NextFile()
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, f.Reader())
	require.Error(t, err)
	assert.Equal(t, http.StatusBadRequest, statusOf(f.Failure(context.Background())))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, f.Failure(ctx), context.Canceled, "a client that left gets no answer")
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestCheckBlocksTheEndOfAFileThatFailsTheCheck(t *testing.T) {
	sc := csvcheck.Schema{IdentityAttribute: "id", Attributes: []csvcheck.Attribute{{Name: "id"}, {Name: "level", Type: "INT"}}}
	for _, tc := range []struct {
		name          string
		csv           string
		allowWarnings bool
		blocked       bool
	}{
		{"clean file passes", "id,level\nu1,1\nu2,2\n", false, false},
		{"an error blocks", "id,level\nu1,1\nu1,2\n", true, true},
		{"a warning blocks unless accepted", "id,level\nu1,1\nu2,two\n", false, true},
		{"an accepted warning passes", "id,level\nu1,1\nu2,two\n", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr := upload.Check(context.Background(), strings.NewReader(tc.csv), upload.Against(sc, csvcheck.Options{}), tc.allowWarnings)
			got, err := io.ReadAll(cr)
			cr.Finish(nil)
			assert.Equal(t, tc.csv, string(got), "every byte passes through")
			assert.Equal(t, tc.blocked, cr.Blocked())
			if tc.blocked {
				assert.ErrorIs(t, err, upload.ErrCheckBlocked, "the stream never ends cleanly")
			} else {
				assert.NoError(t, err)
			}
			require.NotNil(t, cr.Report())
		})
	}
	t.Run("finish before the end stops the check", func(t *testing.T) {
		cr := upload.Check(context.Background(), strings.NewReader("id,level\nu1,1\n"), upload.Against(sc, csvcheck.Options{}), false)
		cr.Finish(errors.New("upload ended"))
		assert.False(t, cr.Blocked())
	})
}

func TestHeadKeepsOnlyTheFirstBytes(t *testing.T) {
	h := upload.NewHead(5)
	n, err := io.Copy(io.Discard, io.TeeReader(strings.NewReader("0123456789"), h))
	require.NoError(t, err)
	assert.Equal(t, int64(10), n, "the stream is not cut")
	assert.Equal(t, "01234", string(h.Bytes()))
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		512: "512 bytes", 2 << 10: "2 KiB", 1536: "1.5 KiB", 32 << 10: "32 KiB",
		512 << 20: "512 MiB", 1 << 30: "1 GiB", 3 << 29: "1536 MiB",
	} {
		assert.Equal(t, want, upload.FormatSize(n), "%d bytes", n)
	}
}
