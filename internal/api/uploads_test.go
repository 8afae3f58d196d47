package api_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"sourcedesk/internal/api"
)

// received is what a multipart sink saw of one upload.
type received struct {
	method, path, query string
	contentLength       int64 // as declared; -1 for a chunked body
	bodyLength          int64 // as read
	fields              map[string]string
	filename            string
	disposition         string
	fileType            string
	file                []byte
}

// multipartSink records uploads and answers 202 with body.
func multipartSink(t *testing.T, status int, body string, got *received) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*got = received{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, contentLength: r.ContentLength, fields: map[string]string{}}
		counted := &countingBody{r: r.Body}
		r.Body = counted
		defer func() { got.bodyLength = counted.n }()
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			mr, err := r.MultipartReader()
			require.NoError(t, err)
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				data, err := io.ReadAll(p)
				require.NoError(t, err)
				if p.FormName() == "file" {
					got.filename, got.file = p.FileName(), data
					got.disposition = p.Header.Get("Content-Disposition")
					got.fileType = p.Header.Get("Content-Type")
				} else {
					got.fields[p.FormName()] = string(data)
				}
			}
		}
		jsonHandler(status, body)(w, r)
	}))
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	r io.ReadCloser
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingBody) Close() error { return c.r.Close() }

const loadAccountsJSON = `{"success":true,"task":{"id":"ef38f94347e94562b5bb8424a56397d8","type":"QUARTZ","name":"Cloud Account Aggregation","created":"2020-09-07T14:42:00.364Z","completionStatus":null,"messages":[],"returns":[{"displayLabel":"TASK_OUT_ACCOUNT_AGGREGATION_APPLICATIONS","attributeName":"applications"}]}}`

func TestImportAccountsSendsMultipartWithContentLength(t *testing.T) {
	var got received
	srv := multipartSink(t, 202, loadAccountsJSON, &got)
	defer srv.Close()
	csv := "id,name\n1,Ada\n2,\"Bob, Jr\"\n"

	task, err := newTestClient(t, srv).ImportAccounts(context.Background(), "s1", api.StringFile("accounts.csv", csv), true)
	require.NoError(t, err)
	assert.Equal(t, "ef38f94347e94562b5bb8424a56397d8", task.Task.ID)
	assert.True(t, task.Success)
	assert.Equal(t, "POST", got.method)
	assert.Equal(t, "/v2025/sources/s1/load-accounts", got.path)
	assert.Positive(t, got.contentLength, "a Content-Length, as SailPoint's SDKs send, not a chunked body")
	assert.Equal(t, got.bodyLength, got.contentLength, "the exact length")
	assert.Equal(t, map[string]string{"disableOptimization": "true"}, got.fields)
	assert.Equal(t, "accounts.csv", got.filename)
	assert.Equal(t, "text/csv", got.fileType)
	assert.Equal(t, csv, string(got.file))
}

func TestImportWithoutFile(t *testing.T) {
	var got received
	srv := multipartSink(t, 202, loadAccountsJSON, &got)
	defer srv.Close()
	c := newTestClient(t, srv)

	_, err := c.ImportAccounts(context.Background(), "s1", nil, false)
	require.NoError(t, err)
	assert.Empty(t, got.fields)
	assert.Nil(t, got.file, "a non-file source takes no body")

	_, err = c.ImportAccounts(context.Background(), "s1", nil, true)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"disableOptimization": "true"}, got.fields)
	assert.Nil(t, got.file)
	assert.Equal(t, got.bodyLength, got.contentLength, "the fields alone are sized too")

	got = received{}
	_, err = c.ImportAccountsSchema(context.Background(), "s1", nil)
	assert.ErrorContains(t, err, "file is required")
	assert.Empty(t, got.method, "nothing sent")
}

// TestUploadFilenameSanitized: a hostile file name never reaches the upstream
// Content-Disposition as a path or as header syntax.
func TestUploadFilenameSanitized(t *testing.T) {
	cases := []struct{ in, want string }{
		{"../../x.csv", "x.csv"},
		{`..\..\windows\x.csv`, "x.csv"},
		{"a\"\r\nX: y.csv", "aX: y.csv"},
		{"/etc/passwd", "passwd"},
		{"..", "upload.csv"},
		{"", "upload.csv"},
		{"\r\n", "upload.csv"},
		{"naïve données.csv", "naïve données.csv"},
		{"tab\there\u2028.csv", "tabhere.csv"},
		{"bad\xffbyte.csv", "badbyte.csv"},
		{strings.Repeat("é", 300) + ".csv", strings.Repeat("é", 100)},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, api.SanitizeFilename(tc.in))

			var got received
			srv := multipartSink(t, 202, loadAccountsJSON, &got)
			defer srv.Close()
			_, err := newTestClient(t, srv).ImportAccounts(context.Background(), "s1", api.StringFile(tc.in, "a\n"), false)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.filename)
			assert.NotContains(t, got.disposition, "\r")
			assert.NotContains(t, got.disposition, "\n")
			assert.Empty(t, got.fields, "no injected parts or headers")
		})
	}
}

func TestEveryUploadOperation(t *testing.T) {
	var got received
	srv := multipartSink(t, 200, `{"id":"x","name":"account"}`, &got)
	defer srv.Close()
	c := newTestClient(t, srv)
	ctx := context.Background()
	file := func() *api.File { return api.StringFile("u.csv", "id,name\n") }

	cases := []struct {
		name, path, query, fileType string
		call                        func() error
	}{
		{"importUncorrelatedAccounts", "/v2025/sources/s1/load-uncorrelated-accounts", "", "text/csv", func() error {
			_, err := c.ImportUncorrelatedAccounts(ctx, "s1", file())
			return err
		}},
		{"importEntitlements", "/v2025/sources/s1/load-entitlements", "", "text/csv", func() error {
			_, err := c.ImportEntitlements(ctx, "s1", file())
			return err
		}},
		{"importAccountsSchema", "/v2025/sources/s1/schemas/accounts", "", "text/csv", func() error {
			_, err := c.ImportAccountsSchema(ctx, "s1", file())
			return err
		}},
		{"importEntitlementsSchema", "/v2025/sources/s1/schemas/entitlements", "schemaName=group", "text/csv", func() error {
			_, err := c.ImportEntitlementsSchema(ctx, "s1", "group", file())
			return err
		}},
		{"importConnectorFile", "/v2025/sources/s1/upload-connector-file", "", "application/octet-stream", func() error {
			_, err := c.ImportConnectorFile(ctx, "s1", file())
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.call())
			assert.Equal(t, tc.path, got.path)
			assert.Equal(t, tc.query, got.query)
			assert.Equal(t, tc.fileType, got.fileType)
			assert.Equal(t, "id,name\n", string(got.file))
			assert.Equal(t, got.bodyLength, got.contentLength, "sent with its exact Content-Length")
		})
	}
}

func TestUploadNeverRetried(t *testing.T) {
	for _, status := range []int{429, 502, 503} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Retry-After", "1")
			jsonHandler(status, `{}`)(w, r)
		}))
		_, err := newTestClient(t, srv).ImportAccounts(context.Background(), "s1", api.StringFile("a.csv", "a\n"), false)
		assert.Equal(t, status, api.StatusOf(err))
		assert.EqualValues(t, 1, calls.Load(), "status %d", status)
		srv.Close()
	}
}

func TestUploadReadErrorIsReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return // the client aborted the body, as it should
		}
		jsonHandler(202, loadAccountsJSON)(w, r)
	}))
	defer srv.Close()
	boom := errors.New("disk on fire")
	file := &api.File{Body: io.MultiReader(strings.NewReader("id,name\n"), iotestErrReader{boom}), Size: 1 << 20, Name: "a.csv"}

	_, err := newTestClient(t, srv).ImportAccounts(context.Background(), "s1", file, false)
	assert.ErrorIs(t, err, boom)

	short := &api.File{Body: strings.NewReader("id,name\n"), Size: 100, Name: "a.csv"}
	_, err = newTestClient(t, srv).ImportAccounts(context.Background(), "s1", short, false)
	assert.ErrorContains(t, err, "shorter than its size", "a file that ends early is never sent as complete")
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

// endless is a reader that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestCancelledUploadLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	var read atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Body.Read(buf)
			read.Add(int64(n))
			if err != nil {
				return
			}
			time.Sleep(time.Millisecond) // a slow upstream
		}
	}))
	transport := &http.Transport{}
	hc := &http.Client{Transport: transport}

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for read.Load() < 1<<20 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	c := newTestClient(t, srv, func(cfg *api.Config) { cfg.HTTPClient = hc })
	_, err := c.ImportAccounts(ctx, "s1", &api.File{Body: endless{}, Size: 1 << 40, Name: "big.csv"}, false)
	assert.ErrorIs(t, err, context.Canceled)

	srv.Close()
	transport.CloseIdleConnections()
}

func TestDownloadsStream(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "text/csv", r.Header.Get("Accept"))
		w.Header().Set("Content-Type", "text/csv")
		_, _ = io.WriteString(w, r.URL.Path+"?"+r.URL.RawQuery+"\nid,name\n")
	}))
	defer srv.Close()
	c := newTestClient(t, srv)

	rc, err := c.GetAccountsSchema(context.Background(), "s1")
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	assert.Equal(t, "/v2025/sources/s1/schemas/accounts?\nid,name\n", string(b))

	rc, err = c.GetEntitlementsSchema(context.Background(), "s1", "group")
	require.NoError(t, err)
	b, _ = io.ReadAll(rc)
	require.NoError(t, rc.Close())
	assert.Equal(t, "/v2025/sources/s1/schemas/entitlements?schemaName=group\nid,name\n", string(b))
}

// Uploading must not hold the file in memory: a sink that hashes what it
// reads sees exactly the bytes of a file larger than any buffer.
func TestLargeUploadArrivesIntact(t *testing.T) {
	size := int64(64 << 20)
	if testing.Short() {
		size = 4 << 20
	}
	want := sha256.New()
	_, _ = io.Copy(want, newCSVGen(size))

	sink := newHashSink(t)
	defer sink.Close()
	_, err := newTestClient(t, sink.srv).ImportAccounts(context.Background(), "s1", &api.File{Body: newCSVGen(size), Size: size, Name: "big.csv"}, false)
	require.NoError(t, err)
	assert.Equal(t, want.Sum(nil), sink.lastSum())
	assert.Equal(t, size, sink.lastSize())
}

// An upstream that refuses an upload before reading it (ISC checking the
// source first) ends the call at once, with its error and no goroutine left.
func TestEarlyRefusalEndsEndlessUpload(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jsonHandler(400, `{"detailCode":"400.1 Bad Request Content","messages":[{"text":"not a delimited file source"}]}`)(w, r)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := newTestClient(t, srv).ImportAccounts(ctx, "s1", &api.File{Body: endless{}, Size: 1 << 40, Name: "a.csv"}, false)
	var e *api.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 400, e.Status)
	assert.Equal(t, []string{"not a delimited file source"}, e.Messages)
}
