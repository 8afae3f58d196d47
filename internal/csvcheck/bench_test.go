package csvcheck

import (
	"context"
	"encoding/csv"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Run the benchmarks (both in one run, so the numbers compare):
//
//	go test -run '^$' -bench BenchmarkCheck -benchtime 1x ./internal/csvcheck/
//	CSVCHECK_BENCH_BYTES=1073741824 go test -run '^$' -bench BenchmarkCheck -benchtime 1x -timeout 30m ./internal/csvcheck/
//
// The file is generated while it is read, never held in memory.

const benchHeader = "id,name,displayName,email,department,title,manager,employeeNumber,active,hired,groups\n"

var benchSchema = Schema{
	IdentityAttribute: "id",
	DisplayAttribute:  "displayName",
	Attributes: []Attribute{
		{Name: "id"}, {Name: "name"}, {Name: "displayName"}, {Name: "email"},
		{Name: "department"}, {Name: "title"}, {Name: "manager"},
		{Name: "employeeNumber", Type: "LONG"}, {Name: "active", Type: "BOOLEAN"},
		{Name: "hired", Type: "DATE"}, {Name: "groups", Multi: true},
	},
}

// accountFile generates a realistic account CSV of about size bytes (whole
// rows only, unique ids) as an io.Reader.
type accountFile struct {
	size, read int64
	row        []byte
	off        int
	n          int
	done       bool
}

func newAccountFile(size int64) *accountFile {
	return &accountFile{size: size, row: []byte(benchHeader)}
}

func (g *accountFile) Read(p []byte) (int, error) {
	if g.done {
		return 0, io.EOF
	}
	total := 0
	for len(p) > 0 {
		if g.off == len(g.row) {
			g.next()
			if int64(len(g.row))+g.read > g.size {
				g.done = true
				if total == 0 {
					return 0, io.EOF
				}
				return total, nil
			}
		}
		n := copy(p, g.row[g.off:])
		g.off += n
		g.read += int64(n)
		total += n
		p = p[n:]
	}
	return total, nil
}

func (g *accountFile) next() {
	g.n++
	i := int64(g.n)
	b := g.row[:0]
	b = append(b, 'u')
	b = strconv.AppendInt(b, 10_000_000+i, 10)
	b = append(b, ",user"...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, ",First"...)
	b = strconv.AppendInt(b, i%977, 10)
	b = append(b, " Last"...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, ",user"...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, "@example.com,Department "...)
	b = strconv.AppendInt(b, i%37, 10)
	b = append(b, ",Senior Engineer,u"...)
	b = strconv.AppendInt(b, 10_000_000+i/10, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, 100_000+i, 10)
	b = append(b, ",true,2024-05-31,\"[grp"...)
	b = strconv.AppendInt(b, i%101, 10)
	b = append(b, ",grp"...)
	b = strconv.AppendInt(b, i%53, 10)
	b = append(b, ",grp"...)
	b = strconv.AppendInt(b, i%7, 10)
	b = append(b, "]\"\n"...)
	g.row, g.off = b, 0
}

func benchBytes(b *testing.B) int64 {
	if s := os.Getenv("CSVCHECK_BENCH_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("CSVCHECK_BENCH_BYTES=%q: want a positive byte count", s)
		}
		return n
	}
	return 64 << 20
}

// heapPeak samples the heap while a benchmark runs and reports the growth
// over the heap measured before it, as custom metrics.
type heapPeak struct {
	base  uint64
	stop  chan struct{}
	done  sync.WaitGroup
	peak  uint64 // heap objects, including garbage not yet collected
	peakL uint64 // live heap as of the last GC
}

const (
	metricHeap = "/memory/classes/heap/objects:bytes"
	metricLive = "/gc/heap/live:bytes"
)

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: metricHeap}, {Name: metricLive}}
	metrics.Read(s)
	h.base = s[0].Value.Uint64()
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.peak = max(h.peak, s[0].Value.Uint64())
			h.peakL = max(h.peakL, s[1].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) report(b *testing.B) {
	close(h.stop)
	h.done.Wait()
	growth := func(v uint64) float64 {
		if v < h.base {
			return 0
		}
		return float64(v-h.base) / (1 << 20)
	}
	b.ReportMetric(growth(h.peak), "peak-heap-MiB")
	b.ReportMetric(growth(h.peakL), "peak-live-MiB")
}

func BenchmarkCheck(b *testing.B) {
	size := benchBytes(b)

	b.Run("generator", func(b *testing.B) {
		// The cost of producing the stream, included in both runs below.
		for b.Loop() {
			n, err := io.Copy(io.Discard, newAccountFile(size))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(n)
		}
	})

	b.Run("encoding-csv", func(b *testing.B) {
		h := startHeapPeak()
		for b.Loop() {
			g := newAccountFile(size)
			r := csv.NewReader(g)
			r.ReuseRecord = true
			r.FieldsPerRecord = -1
			rows := 0
			for {
				_, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				rows++
			}
			b.SetBytes(g.read)
			b.ReportMetric(float64(rows), "rows")
		}
		h.report(b)
	})

	b.Run("csvcheck", func(b *testing.B) {
		h := startHeapPeak()
		for b.Loop() {
			g := newAccountFile(size)
			r, err := Check(context.Background(), g, benchSchema, Options{})
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range r.Findings {
				if f.Code != findIDCheckLimited {
					b.Fatalf("unexpected finding on generated data: %+v", f)
				}
			}
			b.SetBytes(r.Bytes)
			b.ReportMetric(float64(r.Rows), "rows")
		}
		h.report(b)
	})
}
