package bff

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"sourcedesk/internal/api"
	"sourcedesk/internal/upload"
)

// sink stands in for ISC's load-accounts: it parses the multipart body as a stream and
// hashes the file part. Like a gateway that takes only sized bodies, it answers 411 to
// a body without a Content-Length. Every other request is passed to the sandbox, so
// the console sees a real tenant for the source and its schema.
type sink struct {
	srv *httptest.Server
	sb  *url.URL

	mu        sync.Mutex
	chunked   int // bodies refused for having no Content-Length
	started   int
	completed int      // bodies read to the closing boundary: an aggregation would start
	aborted   int      // bodies that ended early
	hashes    []string // SHA-256 of each completed file part
	sizes     []int64
	filenames []string
	dispos    []string
	ctxDone   chan struct{} // closed when an upstream request's context ends before completion
	doneOnce  sync.Once
}

func newSinkEnv(t *testing.T, mutate func(*Config)) (*testEnv, *sink) {
	t.Helper()
	sk := &sink{ctxDone: make(chan struct{})}
	sk.srv = httptest.NewServer(http.HandlerFunc(sk.serve))
	t.Cleanup(sk.srv.Close)
	env := newTestEnv(t, func(c *Config) {
		cl, err := api.New(api.Config{BaseURL: sk.srv.URL, HTTPClient: sk.srv.Client()})
		require.NoError(t, err)
		c.Tenants = []Tenant{{Key: "sandbox", API: cl}}
		if mutate != nil {
			mutate(c)
		}
	})
	sk.sb, _ = url.Parse(env.sbURL)
	return env, sk
}

func (sk *sink) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/load-accounts") {
		httputil.NewSingleHostReverseProxy(sk.sb).ServeHTTP(w, r)
		return
	}
	sk.mu.Lock()
	if r.ContentLength < 0 {
		sk.chunked++
		sk.mu.Unlock()
		http.Error(w, "a request body needs a Content-Length", http.StatusLengthRequired)
		return
	}
	sk.started++
	sk.mu.Unlock()
	fail := func(err error) {
		sk.mu.Lock()
		sk.aborted++
		sk.mu.Unlock()
		go func() {
			select {
			case <-r.Context().Done():
				sk.doneOnce.Do(func() { close(sk.ctxDone) })
			case <-time.After(5 * time.Second):
			}
		}()
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		fail(err)
		return
	}
	var hash, name, dispo string
	var size int64
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(err)
			return
		}
		if p.FormName() != "file" {
			_, _ = io.Copy(io.Discard, p)
			continue
		}
		h := sha256.New()
		if size, err = io.Copy(h, p); err != nil {
			fail(err)
			return
		}
		hash, name, dispo = hex.EncodeToString(h.Sum(nil)), p.FileName(), p.Header.Get("Content-Disposition")
	}
	sk.mu.Lock()
	sk.completed++
	sk.hashes, sk.sizes = append(sk.hashes, hash), append(sk.sizes, size)
	sk.filenames, sk.dispos = append(sk.filenames, name), append(sk.dispos, dispo)
	sk.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"success":true,"task":{"id":"sinktask0000000000000000000000001","type":"QUARTZ","name":"Cloud Account Aggregation"}}`)
}

func (sk *sink) chunkedCount() int {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	return sk.chunked
}

func (sk *sink) counts() (started, completed, aborted int) {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	return sk.started, sk.completed, sk.aborted
}

// csvGenerator writes a valid account CSV of at least size bytes for the seeded
// Delimited File source, without holding it in memory.
func csvGenerator(w io.Writer, size int64) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	n, err := io.WriteString(bw, "id,displayName,email,department,startDate,active,level,groups\n")
	if err != nil {
		return err
	}
	written := int64(n)
	for i := 0; written < size; i++ {
		n, err := fmt.Fprintf(bw, "u%09d,User %d,u%d@example.com,IT,2024-01-02,true,%d,users\n", i, i, i, i%5)
		if err != nil {
			return err
		}
		written += int64(n)
	}
	return bw.Flush()
}

// streamUpload posts a generated CSV of size bytes to the console as a chunked
// multipart stream and returns the response and the SHA-256 of the file sent.
func streamUpload(t *testing.T, client *http.Client, target string, headers http.Header, size int64) (*http.Response, string) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	h := sha256.New()
	go func() {
		fw, err := mw.CreateFormFile("file", "big.csv")
		if err == nil {
			err = csvGenerator(io.MultiWriter(fw, h), size)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, target, pr)
	require.NoError(t, err)
	req.Header = headers.Clone()
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	resp, err := client.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, hex.EncodeToString(h.Sum(nil))
}

// heapSampler records the peak of live heap objects while it runs.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	hs := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(hs.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := heapObjects(); v > hs.peak.Load() {
				hs.peak.Store(v)
			}
			select {
			case <-hs.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return hs
}

func (hs *heapSampler) finish() uint64 { close(hs.stop); <-hs.done; return hs.peak.Load() }

// TestLargeUploadGoesThroughDiskNotMemory: a large CSV upload goes browser → console
// → ISC without being held in memory: the console keeps it in a temporary file while it
// checks it, then sends it with its exact Content-Length. Heap growth stays under 64 MiB,
// ISC gets every byte, and nothing is left in the upload folder.
// 64 MiB by default (16 MiB under the race detector, which slows it tenfold);
// SD_BIG_UPLOAD=1 sends 1 GiB.
func TestLargeUploadGoesThroughDiskNotMemory(t *testing.T) {
	size := int64(64 << 20)
	if raceEnabled {
		size = 16 << 20
	}
	if os.Getenv("SD_BIG_UPLOAD") == "1" {
		size = 1 << 30
	}
	env, sk := newSinkEnv(t, func(c *Config) { c.UploadLimit = 2 << 30 })
	console := httptest.NewServer(env.srv)
	defer console.Close()

	runtime.GC()
	base := heapObjects()
	hs := startHeapSampler()
	start := time.Now()
	resp, sent := streamUpload(t, env.client(console), console.URL+"/sources/"+delimitedID+"/import/accounts?sendAnyway=1", env.sessionHeaders(), size)
	elapsed := time.Since(start)
	peak := hs.finish()

	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, goneTo(t, resp.Header), "/tasks/sinktask")
	_, completed, _ := sk.counts()
	require.Equal(t, 1, completed)
	assert.Equal(t, sent, sk.hashes[0], "ISC got the same bytes")
	assert.Zero(t, sk.chunkedCount(), "sent with a Content-Length")
	assert.Empty(t, uploadFolder(t, env.srv), "the temporary file is gone")
	growth := int64(peak) - int64(base)
	t.Logf("uploaded %d MiB in %v (%.0f MiB/s: received, checked and kept on disk, then sent), heap objects base %d MiB, peak %d MiB, growth %.1f MiB",
		sk.sizes[0]>>20, elapsed.Round(time.Millisecond), float64(sk.sizes[0])/(1<<20)/elapsed.Seconds(),
		base>>20, peak>>20, float64(growth)/(1<<20))
	assert.Less(t, growth, int64(64<<20), "heap growth while uploading")
}

// TestUploadLimitStopsTheFileBeforeISC: a file of limit+1 bytes, with Content-Length and
// chunked, is refused with 413 while it arrives: ISC gets no request at all, nothing is
// left in the upload folder and no goroutine is left behind.
func TestUploadLimitStopsTheFileBeforeISC(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs after the servers are closed
	const limit = 256 << 10
	env, sk := newSinkEnv(t, func(c *Config) { c.UploadLimit = limit })
	content := []byte(strings.Repeat("id,displayName\n", limit/15+1))[:limit+1]
	copy(content, "id,displayName\n")

	for _, tc := range []struct {
		name    string
		chunked bool
	}{{"content-length", false}, {"chunked", true}} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := formFile(t, nil, "big.csv", content)
			var r io.Reader = body
			if tc.chunked {
				r = io.MultiReader(body) // hides the length: the request has none
			}
			rec := env.do(http.MethodPost, "/sources/"+delimitedID+"/import/accounts?sendAnyway=1", r,
				map[string]string{"Content-Type": ct, "HX-Request": "true"})
			assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
			assert.Equal(t, "#alerts", rec.Header().Get("HX-Retarget"))
			assert.Contains(t, rec.Body.String(), "256 KiB upload limit")
			started, completed, _ := sk.counts()
			assert.Zero(t, started, "no upstream request at all")
			assert.Zero(t, completed, "ISC never got a file")
			assert.Empty(t, uploadFolder(t, env.srv))
		})
	}
	t.Run("declared length over the limit is refused before reading", func(t *testing.T) {
		body, ct := formFile(t, nil, "big.csv", append(content, make([]byte, upload.Overhead)...))
		rec := env.do(http.MethodPost, "/sources/"+delimitedID+"/import/accounts", body,
			map[string]string{"Content-Type": ct})
		assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		started, _, _ := sk.counts()
		assert.Zero(t, started, "no upstream request at all")
	})
	t.Run("exactly the limit is accepted", func(t *testing.T) {
		ok := []byte(strings.Repeat("id,displayName\n", limit/15+1))[:limit]
		body, ct := formFile(t, nil, "ok.csv", ok)
		rec := env.do(http.MethodPost, "/sources/"+delimitedID+"/import/accounts/preflight", io.MultiReader(body),
			map[string]string{"Content-Type": ct, "HX-Request": "true"})
		assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	})
}

// TestBinaryUploadRefusedBeforeUpstream: binary content named .csv is refused with 415 before any
// upstream call, on the pre-flight and the upload.
func TestBinaryUploadRefusedBeforeUpstream(t *testing.T) {
	env := newTestEnv(t, nil)
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	for _, tc := range []struct {
		name     string
		filename string
		content  []byte
	}{
		{"PNG magic bytes", "photo.csv", png},
		{"NUL bytes", "nul.csv", []byte("id,name\nu1,a\x00b\n")},
		{"invalid UTF-8", "latin1.csv", []byte("id,name\nu1,Z\xfcrich\n")},
		{"UTF-16", "utf16.csv", []byte("\xff\xfei\x00d\x00")},
		{"not a CSV name", "tool.exe", []byte("id,name\n")},
	} {
		for _, route := range []string{"/import/accounts/preflight", "/import/accounts", "/import/uncorrelated"} {
			t.Run(tc.name+" "+route, func(t *testing.T) {
				env.sandbox.ResetCalls()
				rec := env.upload("/sources/"+delimitedID+route, true, nil, tc.filename, tc.content)
				assert.Equal(t, http.StatusUnsupportedMediaType, rec.Code, rec.Body.String())
				for _, op := range []string{"importAccounts", "importUncorrelatedAccounts"} {
					assert.Zero(t, env.sandbox.Calls(op), "no upload reached ISC")
				}
			})
		}
	}
	t.Run("not multipart", func(t *testing.T) {
		rec := env.do(http.MethodPost, "/sources/"+delimitedID+"/import/accounts", strings.NewReader("id,name\n"),
			map[string]string{"Content-Type": "text/csv"})
		assert.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
	})
}

// TestUploadFilenameSanitizedUpstream: hostile file names are sanitized in the upstream
// Content-Disposition and never used as paths.
func TestUploadFilenameSanitizedUpstream(t *testing.T) {
	env, sk := newSinkEnv(t, nil)
	for i, tc := range []struct {
		name, disposition, want string
	}{
		{"path traversal", `form-data; name="file"; filename="../../x.csv"`, "x.csv"},
		{"windows path", `form-data; name="file"; filename="C:\\temp\\..\\y.csv"`, "y.csv"},
		{"quote and CRLF (RFC 2231)", `form-data; name="file"; filename*=UTF-8''a%22%0D%0AX%3A%20y.csv`, "aX: y.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				w, err := mw.CreatePart(map[string][]string{"Content-Disposition": {tc.disposition}, "Content-Type": {"text/csv"}})
				if err == nil {
					_, err = io.WriteString(w, goodCSV)
				}
				if err == nil {
					err = mw.Close()
				}
				pw.CloseWithError(err)
			}()
			rec := env.do(http.MethodPost, "/sources/"+delimitedID+"/import/accounts", pr,
				map[string]string{"Content-Type": mw.FormDataContentType(), "HX-Request": "true"})
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			sk.mu.Lock()
			got, dispo := sk.filenames[i], sk.dispos[i]
			sk.mu.Unlock()
			assert.Equal(t, tc.want, got)
			assert.NotContains(t, dispo, "\r")
			assert.NotContains(t, dispo, "\n")
			assert.NotContains(t, got, "/")
			assert.NotContains(t, got, `\`)
		})
	}
}

// countingReader counts the bytes the console read from a request body.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestUploadPartFloodsRefusedEarly: 10,000 parts or a 1 MiB part header → 400 within bounded time
// and memory: the console stops reading early.
func TestUploadPartFloodsRefusedEarly(t *testing.T) {
	env := newTestEnv(t, nil)
	const boundary = "sdboundary"
	var manyParts strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&manyParts, "--%s\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nx\r\n", boundary, i)
	}
	manyParts.WriteString("--" + boundary + "--\r\n")
	bigHeader := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nX-Pad: " +
		strings.Repeat("a", 1<<20) + "\r\n\r\nid\r\n--" + boundary + "--\r\n"
	for _, tc := range []struct {
		name, body string
	}{{"10,000 parts", manyParts.String()}, {"1 MiB part header", bigHeader}} {
		for _, route := range []string{"/import/accounts/preflight", "/import/accounts"} {
			t.Run(tc.name+" "+route, func(t *testing.T) {
				env.sandbox.ResetCalls()
				body := &countingReader{r: strings.NewReader(tc.body)}
				start := time.Now()
				rec := env.do(http.MethodPost, "/sources/"+delimitedID+route, body,
					map[string]string{"Content-Type": "multipart/form-data; boundary=" + boundary})
				assert.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
				assert.Less(t, time.Since(start), 2*time.Second)
				assert.Less(t, body.n.Load(), int64(64<<10), "the console stopped reading early")
				assert.Zero(t, env.sandbox.Calls("importAccounts"))
			})
		}
	}
}

// TestClientDisconnectSendsNothing: the browser disconnects halfway through the file →
// nothing is sent to ISC (no request at all, so no aggregation starts), the temporary
// file is gone and no goroutine is left behind.
func TestClientDisconnectSendsNothing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	env, sk := newSinkEnv(t, nil)
	// The console behind a probe that counts the bytes it has read of the request body
	// and says when the handler is done.
	var read atomic.Int64
	done := make(chan struct{})
	console := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &readCounter{ReadCloser: r.Body, n: &read}
		env.srv.ServeHTTP(w, r)
		close(done)
	}))
	defer console.Close()

	var file strings.Builder
	require.NoError(t, csvGenerator(&file, 4<<20))
	body, ct := formFile(t, nil, "half.csv", []byte(file.String()))
	full := body.Bytes()

	conn, err := net.Dial("tcp", strings.TrimPrefix(console.URL, "http://"))
	require.NoError(t, err)
	fmt.Fprintf(conn, "POST /sources/%s/import/accounts?sendAnyway=1 HTTP/1.1\r\nHost: x\r\n%sContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		delimitedID, env.rawSessionHeaders(), ct, len(full))
	_, err = conn.Write(full[:len(full)/2])
	require.NoError(t, err)
	// Wait until the console is reading the file, then go away.
	require.Eventually(t, func() bool { return read.Load() >= 1<<20 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, conn.Close())

	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the console's handler did not end after the browser left")
	}
	started, completed, _ := sk.counts()
	assert.Zero(t, started, "no upstream request")
	assert.Zero(t, completed, "no aggregation was triggered")
	assert.Zero(t, env.sandbox.Calls("importAccounts"))
	assert.Empty(t, uploadFolder(t, env.srv))
}

// readCounter counts the bytes read from a request body into n.
type readCounter struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r *readCounter) Read(p []byte) (int, error) {
	k, err := r.ReadCloser.Read(p)
	r.n.Add(int64(k))
	return k, err
}

// TestPreflightPreviewIsLiteral: cells that spreadsheets would run as formulas,
// and markup, are shown as literal text in the pre-flight preview.
func TestPreflightPreviewIsLiteral(t *testing.T) {
	env := newTestEnv(t, nil)
	cells := []string{"<img src=x onerror=alert(1)>", `=HYPERLINK("http://evil.example","x")`, "+1", "-2+3", "@SUM(A1)", "\tx"}
	var b strings.Builder
	b.WriteString("id,displayName\n")
	for i, c := range cells {
		fmt.Fprintf(&b, "u%d,\"%s\"\n", i, strings.ReplaceAll(c, `"`, `""`))
	}
	rec := env.upload("/sources/"+delimitedID+"/import/accounts/preflight", true, nil, "f.csv", []byte(b.String()))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.NotContains(t, rec.Body.String(), "<img src=x")
	doc := parse(t, rec.Body)
	var got []string
	doc.Find(`[data-testid="preview"] tbody tr`).Each(func(_ int, tr *goquery.Selection) {
		got = append(got, tr.Find("td").Eq(1).Text())
	})
	assert.Equal(t, cells, got, "literal text, no apostrophe added in HTML")
	assert.Equal(t, 0, doc.Find(`[data-testid="preview"] img`).Length())
}
