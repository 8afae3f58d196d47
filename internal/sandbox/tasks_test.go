package sandbox

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const csvHeader = "id,displayName,email,department,startDate,active,level,groups\n"

// upload starts load-accounts on src with the CSV and returns the task id.
func (h *apiHarness) upload(src, csv string, wantStatus int) (string, []byte) {
	h.t.Helper()
	body, ct := multipartBody("accounts.csv", csv, nil)
	resp, b := h.do(req{user: "admin", method: "POST", path: "/sources/" + src + "/load-accounts", body: body, ctype: ct})
	require.Equal(h.t, wantStatus, resp.StatusCode, "body: %s", b)
	if wantStatus != 202 {
		return "", b
	}
	var out struct{ Task struct{ ID string } }
	require.NoError(h.t, json.Unmarshal(b, &out))
	return out.Task.ID, b
}

// taskStatus is the part of TaskStatus the tests look at.
type taskStatus struct {
	Launched         *string
	Completed        *string
	CompletionStatus *string
	Progress         *string
	PercentComplete  int
	Attributes       map[string]any
	Returns          []struct{ Name, AttributeName string }
	Messages         []struct {
		Type          string
		LocalizedText struct{ Message string }
	}
}

func (h *apiHarness) task(id string) taskStatus {
	h.t.Helper()
	var ts taskStatus
	h.doJSON(req{user: "admin", method: "GET", path: "/task-status/" + id}, 200, &ts)
	return ts
}

// finish advances the clock past the task's completion and returns its status.
func (h *apiHarness) finish(id string) taskStatus {
	h.clock.Advance(taskSteps * time.Second)
	return h.task(id)
}

func (ts taskStatus) messages() string {
	var b strings.Builder
	for _, m := range ts.Messages {
		b.WriteString(m.Type + ": " + m.LocalizedText.Message + "\n")
	}
	return b.String()
}

func TestAggregationTaskLifecycle(t *testing.T) {
	h := newHarness(t, Config{})
	src := SeedDelimitedSourceID
	id, _ := h.upload(src, csvHeader+
		"A1,Ann,ann@example.com,HR,2024-01-01,true,1,HR\n"+
		"B1,Bob,bob@example.com,Ops,2024-01-02,false,2,Ops\n"+
		"C1,Cat,cat@example.com,Ops,2024-01-03,true,3,Ops\n", 202)

	ts := h.task(id)
	assert.Nil(t, ts.Launched, "queued")
	assert.Nil(t, ts.CompletionStatus)
	assert.Equal(t, "Initializing...", *ts.Progress)
	assert.Equal(t, 0, ts.PercentComplete)

	h.clock.Advance(time.Second)
	ts = h.task(id)
	require.NotNil(t, ts.Launched, "launched after one step")
	assert.Nil(t, ts.CompletionStatus, "still running")
	assert.Equal(t, "Aggregating 3 rows", *ts.Progress)

	ts = h.finish(id)
	require.NotNil(t, ts.CompletionStatus)
	assert.Equal(t, "SUCCESS", *ts.CompletionStatus)
	require.NotNil(t, ts.Completed)
	assert.Equal(t, 100, ts.PercentComplete)
	assert.EqualValues(t, 3, ts.Attributes["total"])
	assert.EqualValues(t, 3, ts.Attributes["created"])
	assert.EqualValues(t, 24, ts.Attributes["removed"], "the 24 seeded accounts are not in the file")
	assert.NotEmpty(t, ts.Returns)

	// The second file keeps A1, changes B1, drops C1 and adds D1.
	id, _ = h.upload(src, csvHeader+
		"A1,Ann,ann@example.com,HR,2024-01-01,true,1,HR\n"+
		"B1,Bob,bob@example.com,Ops,2024-01-02,true,2,Ops\n"+
		"D1,Dan,dan@example.com,HR,2024-01-04,true,1,HR\n", 202)
	ts = h.finish(id)
	assert.Equal(t, "SUCCESS", *ts.CompletionStatus)
	for k, want := range map[string]int{"total": 3, "created": 1, "updated": 1, "unchanged": 1, "removed": 1, "errors": 0} {
		assert.EqualValues(t, want, ts.Attributes[k], k)
	}

	// Peek now shows the uploaded accounts.
	var peek map[string]any
	h.doJSON(req{user: "admin", method: "POST", path: "/sources/" + src + "/connector/peek-resource-objects", body: []byte(`{}`)}, 200, &peek)
	assert.EqualValues(t, 3, peek["objectCount"])
}

func TestAggregationRowErrors(t *testing.T) {
	h := newHarness(t, Config{})
	src := SeedDelimitedSourceID
	id, _ := h.upload(src, "\ufeff"+csvHeader+
		"A1,Ann,ann@example.com,HR,2024-01-01,true,1,HR\n"+
		"A2,Too,few\n"+
		"A3,Bad Level,x@example.com,HR,2024-01-01,true,high,HR\n"+
		"A4,Bad Date,x@example.com,HR,31.12.2024,true,1,HR\n"+
		"A5,Bad Bool,x@example.com,HR,2024-01-01,maybe,1,HR\n"+
		",No Id,x@example.com,HR,2024-01-01,true,1,HR\n"+
		"A1,Dup,x@example.com,HR,2024-01-01,true,1,HR\n"+
		"A8,Fine,x@example.com,HR,,TRUE,2,HR\n", 202)
	ts := h.finish(id)
	assert.Equal(t, "WARNING", *ts.CompletionStatus)
	assert.EqualValues(t, 2, ts.Attributes["total"])
	assert.EqualValues(t, 6, ts.Attributes["errors"])
	msgs := ts.messages()
	for _, want := range []string{
		"Line 3: expected 8 fields, got 3",
		`Line 4: level must be an integer, got "high"`,
		"Line 5: startDate must be a date",
		`Line 6: active must be true or false, got "maybe"`,
		`Line 7: the identity attribute "id" is empty`,
		`Line 8: duplicate identity "A1"`,
	} {
		assert.Contains(t, msgs, want)
	}
}

func TestAggregationFailures(t *testing.T) {
	h := newHarness(t, Config{})
	src := SeedDelimitedSourceID
	t.Run("missing identity column fails the task and keeps the accounts", func(t *testing.T) {
		id, _ := h.upload(src, "displayName,email,extra\nAnn,ann@example.com,x\n", 202)
		ts := h.finish(id)
		assert.Equal(t, "ERROR", *ts.CompletionStatus)
		assert.Contains(t, ts.messages(), `no column for the identity attribute "id"`)
		assert.Contains(t, ts.messages(), `Column "extra" is not in the account schema`)
		var srcObj map[string]any
		h.doJSON(req{user: "admin", method: "GET", path: "/sources/" + src}, 200, &srcObj)
		assert.Equal(t, "SOURCE_STATE_ERROR_ACCOUNT_FILE_IMPORT", srcObj["status"])
		var peek map[string]any
		h.doJSON(req{user: "admin", method: "POST", path: "/sources/" + src + "/connector/peek-resource-objects", body: []byte(`{"maxCount":100}`)}, 200, &peek)
		assert.EqualValues(t, 24, peek["objectCount"])
	})
	t.Run("empty file", func(t *testing.T) {
		id, _ := h.upload(src, "", 202)
		ts := h.finish(id)
		assert.Equal(t, "ERROR", *ts.CompletionStatus)
		assert.Contains(t, ts.messages(), "The file is empty")
	})
	t.Run("broken quoting stops the aggregation", func(t *testing.T) {
		id, _ := h.upload(src, csvHeader+"A1,\"Ann,ann@example.com\n", 202)
		ts := h.finish(id)
		assert.Equal(t, "ERROR", *ts.CompletionStatus)
		assert.Contains(t, ts.messages(), "not valid CSV")
	})
	t.Run("a second aggregation while one runs is refused", func(t *testing.T) {
		id, _ := h.upload(src, csvHeader+"A1,Ann,a@x,HR,,true,1,HR\n", 202)
		_, b := h.upload(src, csvHeader, 400)
		assert.Equal(t, aggregationConflict, errText(t, b))
		resp, b := h.do(req{user: "admin", method: "POST", path: "/sources/" + src + "/remove-accounts"})
		require.Equal(t, 400, resp.StatusCode)
		assert.Equal(t, aggregationConflict, errText(t, b))
		resp, b = h.do(req{user: "admin", method: "DELETE", path: "/sources/" + src})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), "while task "+id+" is running")
		h.finish(id)
		h.upload(src, csvHeader+"A1,Ann,a@x,HR,,true,1,HR\n", 202)
	})
	t.Run("unhealthy connector source fails its aggregation", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "POST", path: "/sources/" + SeedUnhealthySourceID + "/load-accounts"})
		require.Equal(t, 202, resp.StatusCode)
		var out struct{ Task struct{ ID string } }
		require.NoError(t, json.Unmarshal(b, &out))
		ts := h.finish(out.Task.ID)
		assert.Equal(t, "ERROR", *ts.CompletionStatus)
		assert.Contains(t, ts.messages(), "dc01.emea.corp.example")
	})
	t.Run("a file for a connector source is refused", func(t *testing.T) {
		_, b := h.upload(seedSourceID(13), csvHeader, 400)
		assert.Contains(t, errText(t, b), "Only Delimited File sources take a file")
	})
	t.Run("a delimited source needs the file", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "POST", path: "/sources/" + SeedEmptyDelimitedSourceID + "/load-accounts"})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), `multipart field "file"`)
	})
}

func TestAggregationOverflowKeepsCountsOnly(t *testing.T) {
	h := newHarness(t, Config{})
	h.sb.mu.Lock()
	h.sb.api.keepLimit = 5
	h.sb.mu.Unlock()
	rows := func(n, changed int) string {
		var b strings.Builder
		b.WriteString(csvHeader)
		for i := 0; i < n; i++ {
			level := 1
			if i < changed {
				level = 2
			}
			fmt.Fprintf(&b, "U%04d,User %d,u%d@example.com,HR,2024-01-01,true,%d,HR\n", i, i, i, level)
		}
		return b.String()
	}
	src := SeedEmptyDelimitedSourceID
	ts := h.finish(must(h.upload(src, rows(12, 0), 202)))
	assert.EqualValues(t, 12, ts.Attributes["total"])
	assert.EqualValues(t, 12, ts.Attributes["created"])
	ts = h.finish(must(h.upload(src, rows(12, 0), 202)))
	assert.EqualValues(t, 12, ts.Attributes["unchanged"], "same file: the digest matches")
	ts = h.finish(must(h.upload(src, rows(10, 3), 202)))
	assert.EqualValues(t, 10, ts.Attributes["total"])
	assert.EqualValues(t, 2, ts.Attributes["removed"])
}

func must(id string, _ []byte) string { return id }

func TestDeleteSource(t *testing.T) {
	h := newHarness(t, Config{})
	t.Run("refused while connections exist, naming them", func(t *testing.T) {
		resp, b := h.do(req{user: "admin", method: "DELETE", path: "/sources/" + SeedBlockedDeleteSourceID})
		require.Equal(t, 400, resp.StatusCode)
		msg := errText(t, b)
		assert.Contains(t, msg, `identity profiles "IT Staff"`)
		assert.Contains(t, msg, `apps "Self-service portal"`)
		assert.Contains(t, msg, `transforms "ServiceNow User Name"`)
		resp, _ = h.do(req{user: "admin", method: "DELETE", path: "/sources/" + SeedAuthoritativeSourceID})
		assert.Equal(t, 400, resp.StatusCode)
	})
	t.Run("a task removes the source when it completes", func(t *testing.T) {
		id := SeedXSSSourceID
		var res map[string]any
		h.doJSON(req{user: "admin", method: "DELETE", path: "/sources/" + id}, 202, &res)
		assert.Equal(t, "TASK_RESULT", res["type"])
		assert.Nil(t, res["name"])
		taskID := res["id"].(string)

		h.doJSON(req{user: "admin", method: "GET", path: "/sources/" + id}, 200, nil)
		resp, b := h.do(req{user: "admin", method: "DELETE", path: "/sources/" + id})
		require.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, errText(t, b), "already being deleted")

		ts := h.finish(taskID)
		assert.Equal(t, "SUCCESS", *ts.CompletionStatus)
		h.doJSON(req{user: "admin", method: "GET", path: "/sources/" + id}, 404, nil)
		assert.NotContains(t, h.names("/sources"), SeedXSSSourceName)
	})
	t.Run("remove-accounts empties the source", func(t *testing.T) {
		var res map[string]any
		h.doJSON(req{user: "admin", method: "POST", path: "/sources/" + SeedSubadminSourceID + "/remove-accounts"}, 202, &res)
		ts := h.finish(res["id"].(string))
		assert.EqualValues(t, 8, ts.Attributes["removed"])
		var peek map[string]any
		h.doJSON(req{user: "admin", method: "POST", path: "/sources/" + SeedSubadminSourceID + "/connector/peek-resource-objects", body: []byte(`{}`)}, 200, &peek)
		assert.EqualValues(t, 0, peek["objectCount"])
	})
}

// csvStream writes a multipart body with a CSV of about size bytes into w,
// generating rows on the fly so no test or benchmark holds the file. Rows
// are appended into one reused buffer and written in large chunks, so the
// generator costs little next to what is measured.
func csvStream(w io.Writer, size int64) (string, func() error) {
	mw := multipart.NewWriter(w)
	return mw.FormDataContentType(), func() error {
		fw, err := mw.CreateFormFile("file", "big.csv")
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(fw, 256<<10)
		n, _ := bw.WriteString(csvHeader)
		written := int64(n)
		row := make([]byte, 0, 256)
		for i := 0; written < size; i++ {
			row = append(row[:0], 'U')
			row = strconv.AppendInt(row, int64(1_000_000_000+i), 10)
			row = append(row, ",User Number "...)
			row = strconv.AppendInt(row, int64(i), 10)
			row = append(row, ",user"...)
			row = strconv.AppendInt(row, int64(i), 10)
			row = append(row, "@example.com,Engineering,2024-01-01,true,"...)
			row = strconv.AppendInt(row, int64(i%9), 10)
			row = append(row, ",Eng\n"...)
			if _, err := bw.Write(row); err != nil {
				return err
			}
			written += int64(len(row))
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return mw.Close()
	}
}

// streamUpload posts a generated CSV of size bytes to path through a pipe.
func streamUpload(t testing.TB, h *apiHarness, path string, size int64) *http.Response {
	pr, pw := io.Pipe()
	ct, write := csvStream(pw, size)
	go func() { pw.CloseWithError(write()) }()
	r := req{user: "admin", method: "POST", path: path}.build(h.srv.URL)
	r.Body = pr
	r.Header.Set("Content-Type", ct)
	resp, err := h.srv.Client().Do(r)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestLargeUploadIsStreamed(t *testing.T) {
	// Small enough for -race, large enough that holding it would show; BenchmarkLoadAccounts pushes 1 GiB.
	size := int64(16 << 20)
	h := newHarness(t, Config{})
	h.sb.mu.Lock()
	h.sb.api.keepLimit = 1000
	h.sb.mu.Unlock()
	var resp *http.Response
	peak := peakHeap(func() {
		resp = streamUpload(t, h, "/sources/"+SeedEmptyDelimitedSourceID+"/load-accounts", size)
	})
	require.Equal(t, 202, resp.StatusCode)
	h.clock.Advance(taskSteps * time.Second)
	h.names("/sources?limit=1") // any call completes due tasks
	h.sb.mu.Lock()
	acc := h.sb.api.sources[SeedEmptyDelimitedSourceID].accounts
	h.sb.mu.Unlock()
	assert.True(t, acc.overflow)
	assert.Greater(t, acc.total, 1000)
	t.Logf("streamed %d MiB (%d rows); heap in use rose by %d MiB at most", size>>20, acc.total, peak>>20)
	assert.Less(t, peak, uint64(size/2), "the upload must not be buffered")
}

// peakHeap runs fn and returns how far HeapInuse, sampled meanwhile, rose above
// what it was before fn (after a collection, so earlier tests' garbage and the
// package's other state do not count).
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak.Load() - min(peak.Load(), before.HeapInuse)
}

// BenchmarkLoadAccounts measures a streamed CSV aggregation against a
// baseline that pushes the same multipart stream through the same HTTP path
// into a handler that only discards it (importConnectorFile).
// Run: go test -run XXX -bench LoadAccounts -benchtime 1x ./internal/sandbox/
func BenchmarkLoadAccounts(b *testing.B) {
	for _, size := range []int64{64 << 20, 1 << 30} {
		for _, tc := range []struct{ name, path string }{
			{"baseline-discard", "/sources/" + seedSourceID(24) + "/upload-connector-file"},
			{"aggregate", "/sources/" + SeedEmptyDelimitedSourceID + "/load-accounts"},
		} {
			b.Run(fmt.Sprintf("%s-%dMiB", tc.name, size>>20), func(b *testing.B) {
				h := newHarness(b, Config{})
				b.SetBytes(size)
				b.ReportAllocs()
				var peak uint64
				for i := 0; i < b.N; i++ {
					peak = max(peak, peakHeap(func() {
						resp := streamUpload(b, h, tc.path, size)
						if resp.StatusCode >= 300 {
							b.Fatalf("status %d", resp.StatusCode)
						}
					}))
					h.clock.Advance(taskSteps * time.Second)
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			})
		}
	}
}

// TestConcurrentCalls runs reads, writes, uploads and task polling in
// parallel so the race detector sees the shared state from every side.
func TestConcurrentCalls(t *testing.T) {
	h := newHarness(t, Config{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := []string{SeedDelimitedSourceID, SeedSubadminSourceID, seedSourceID(30), seedSourceID(39)}[i%4]
			body, ct := multipartBody("a.csv", csvHeader+fmt.Sprintf("C%d,C,c@x,HR,,true,1,HR\n", i), nil)
			resp, b := h.do(req{user: "admin", method: "POST", path: "/sources/" + src + "/load-accounts", body: body, ctype: ct})
			if resp.StatusCode == 202 {
				var out struct{ Task struct{ ID string } }
				_ = json.Unmarshal(b, &out)
				h.do(req{user: "admin", method: "GET", path: "/task-status/" + out.Task.ID})
			}
			h.do(req{user: "admin", method: "PATCH", path: "/sources/" + src, ctype: "application/json-patch+json",
				body: jsonBody([]map[string]any{{"op": "replace", "path": "/description", "value": fmt.Sprint(i)}})})
			h.do(req{user: "admin", method: "GET", path: "/sources?sorters=-modified&filters=" + q(`type eq "DelimitedFile"`)})
			h.do(req{user: "admin", method: "POST", path: "/sources/" + src + "/connector/peek-resource-objects", body: []byte(`{}`)})
			h.clock.Advance(time.Second)
		}()
	}
	wg.Wait()
	h.clock.Advance(taskSteps * time.Second)
	assert.Len(t, h.names("/sources"), len(visibleSeeds()))
}
