package api_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
)

// csvGen generates a deterministic CSV of exactly size bytes: a 1 MiB block
// of account rows, repeated. It only implements Read, so every consumer
// copies through its own buffers, as with a real upload.
type csvGen struct {
	block     []byte
	off       int
	remaining int64
}

func newCSVGen(size int64) *csvGen {
	block := make([]byte, 0, 1<<20+128)
	block = append(block, "id,name,email,department\n"...)
	for i := 0; len(block) < 1<<20; i++ {
		block = fmt.Appendf(block, "%08d,User %08d,user%08d@example.com,Dept %03d\n", i, i, i, i%997)
	}
	return &csvGen{block: block, remaining: size}
}

func (g *csvGen) Read(p []byte) (int, error) {
	if g.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.remaining {
		p = p[:g.remaining]
	}
	n := copy(p, g.block[g.off:])
	g.off = (g.off + n) % len(g.block)
	g.remaining -= int64(n)
	return n, nil
}

// hashSink is a loopback upstream that parses the multipart stream and
// SHA-256 hashes the file part, as ISC would read it, without keeping it.
type hashSink struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sum  []byte
	size int64
}

func newHashSink(tb testing.TB) *hashSink {
	s := &hashSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "multipart/form-data" || params["boundary"] == "" {
			http.Error(w, "want multipart", 400)
			return
		}
		// multipart.Reader fills its own 4 KiB buffer; reading the body
		// through a large buffer first turns those fills into few large
		// socket reads, as a production server would do. The sink should
		// cost as little as the baseline's receiver, so the benchmark
		// measures the client.
		mr := multipart.NewReader(bufio.NewReaderSize(r.Body, 256<<10), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			if p.FormName() != "file" {
				continue
			}
			h := sha256.New()
			n, err := io.Copy(h, p)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			s.mu.Lock()
			s.sum, s.size = h.Sum(nil), n
			s.mu.Unlock()
		}
		jsonHandler(202, loadAccountsJSON)(w, r)
	}))
	return s
}

func (s *hashSink) Close()          { s.srv.Close() }
func (s *hashSink) lastSum() []byte { s.mu.Lock(); defer s.mu.Unlock(); return s.sum }
func (s *hashSink) lastSize() int64 { s.mu.Lock(); defer s.mu.Unlock(); return s.size }

// benchBytes is the upload size: API_BENCH_BYTES, default 64 MiB.
func benchBytes(b *testing.B) int64 {
	if v := os.Getenv("API_BENCH_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		require.NoError(b, err, "API_BENCH_BYTES")
		return n
	}
	return 64 << 20
}

// expectedSum hashes the generator's output once, outside the timer.
func expectedSum(size int64) []byte {
	h := sha256.New()
	_, _ = io.Copy(h, newCSVGen(size))
	return h.Sum(nil)
}

// heapPeak samples the live heap while an upload runs and reports the
// largest growth over the starting point. runtime/metrics reads without
// stopping the world, so sampling does not slow the upload down.
type heapPeak struct {
	base, peak uint64
	stop, done chan struct{}
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func readHeap() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{base: readHeap(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			h.peak = max(h.peak, readHeap())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// growthMiB stops sampling and returns the peak growth in MiB.
func (h *heapPeak) growthMiB() float64 {
	close(h.stop)
	<-h.done
	if h.peak < h.base {
		return 0
	}
	return float64(h.peak-h.base) / (1 << 20)
}

// BenchmarkImportAccounts uploads a generated CSV through ImportAccounts to a
// loopback sink that parses the multipart stream and hashes the file part.
// Compare its MB/s with BenchmarkRawTCPCopy from the same run.
//
//	API_BENCH_BYTES=1073741824 go test -run='^$' -bench='ImportAccounts|RawTCPCopy' -benchtime=1x ./internal/api/
func BenchmarkImportAccounts(b *testing.B) {
	size := benchBytes(b)
	want := expectedSum(size)
	sink := newHashSink(b)
	defer sink.Close()
	c := newTestClient(b, sink.srv)
	b.SetBytes(size)

	var worst float64
	b.ResetTimer()
	for b.Loop() {
		peak := startHeapPeak()
		_, err := c.ImportAccounts(context.Background(), "s1", &api.File{Body: newCSVGen(size), Size: size, Name: "accounts.csv"}, false)
		growth := peak.growthMiB()
		require.NoError(b, err)
		require.Equal(b, want, sink.lastSum(), "the sink's SHA-256 matches the generator's")
		require.Equal(b, size, sink.lastSize())
		worst = max(worst, growth)
	}
	b.ReportMetric(worst, "heap-MiB")
	if worst >= 32 {
		b.Fatalf("heap grew by %.1f MiB during the upload, want < 32 MiB", worst)
	}
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rawSink is the baseline's receiver: a loopback TCP listener that hashes
// every connection's bytes with SHA-256.
type rawSink struct {
	ln   net.Listener
	sums chan []byte
}

func newRawSink(b *testing.B) *rawSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	r := &rawSink{ln: ln, sums: make(chan []byte)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			var h hash.Hash = sha256.New()
			_, _ = io.Copy(h, conn)
			_ = conn.Close()
			r.sums <- h.Sum(nil)
		}
	}()
	return r
}

// send copies size generated bytes to the sink and returns their hash as the sink saw it.
func (r *rawSink) send(b *testing.B, size int64) []byte {
	conn, err := net.Dial("tcp", r.ln.Addr().String())
	require.NoError(b, err)
	defer conn.Close()
	_, err = io.Copy(conn, newCSVGen(size))
	require.NoError(b, err)
	require.NoError(b, conn.(*net.TCPConn).CloseWrite())
	return <-r.sums
}

// BenchmarkRawTCPCopy is the baseline: the same generated bytes copied with
// io.Copy over a loopback TCP connection into SHA-256, with no HTTP and no
// multipart on either side.
func BenchmarkRawTCPCopy(b *testing.B) {
	size := benchBytes(b)
	want := expectedSum(size)
	sink := newRawSink(b)
	defer sink.ln.Close()
	b.SetBytes(size)

	b.ResetTimer()
	for b.Loop() {
		require.Equal(b, want, sink.send(b, size))
	}
}

// BenchmarkImportVsRaw alternates one ImportAccounts upload and one raw copy
// per iteration and reports both rates, their ratio and the ratio of the CPU
// time they cost. On a shared machine the load changes between two
// benchmarks; alternating exposes both to the same load.
func BenchmarkImportVsRaw(b *testing.B) {
	size := benchBytes(b)
	want := expectedSum(size)
	raw := newRawSink(b)
	defer raw.ln.Close()
	sink := newHashSink(b)
	defer sink.Close()
	c := newTestClient(b, sink.srv)

	var rawTime, importTime, rawCPU, importCPU time.Duration
	b.ResetTimer()
	for b.Loop() {
		start, cpu := time.Now(), processCPU()
		require.Equal(b, want, raw.send(b, size))
		rawTime += time.Since(start)
		rawCPU += processCPU() - cpu

		start, cpu = time.Now(), processCPU()
		_, err := c.ImportAccounts(context.Background(), "s1", &api.File{Body: newCSVGen(size), Size: size, Name: "accounts.csv"}, false)
		importTime += time.Since(start)
		importCPU += processCPU() - cpu
		require.NoError(b, err)
		require.Equal(b, want, sink.lastSum())
	}
	mbps := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(rawTime), "raw-MB/s")
	b.ReportMetric(mbps(importTime), "import-MB/s")
	// CPU time (both ends, this process) per byte is steadier than wall
	// time on a loaded machine.
	b.ReportMetric(100*rawCPU.Seconds()/importCPU.Seconds(), "import-cpu-eff-%")
	b.ReportMetric(100*rawTime.Seconds()/importTime.Seconds(), "import-%-of-raw")
}
