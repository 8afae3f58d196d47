package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"sourcedesk/bench/scenario"
	"sourcedesk/internal/api"
	"sourcedesk/internal/csvcheck"
	"sourcedesk/internal/sandbox"
)

// figUpload sends one large CSV (1 GiB by default) through the console's account
// import to a sink that hashes it, and the same file with curl straight to the
// sink: the console's rate against curl's, its heap growth, and whether the sink
// got every byte.
func figUpload(ctx context.Context, h *harness, r *report, s settings) error {
	const fig = 4
	if _, err := exec.LookPath("curl"); err != nil {
		return errors.New("curl not on PATH (apt-get install curl)")
	}
	file := filepath.Join(h.dir, "accounts.csv")
	h.logf("figure 4: writing a %d-byte CSV", s.uploadBytes)
	want, err := writeCSV(file, s.uploadBytes)
	if err != nil {
		return err
	}
	defer os.Remove(file)

	ps, err := ports(1)
	if err != nil {
		return err
	}
	t, err := h.newTenant(ctx, ps...)
	if err != nil {
		return err
	}
	sk, err := newUploadSink(t.URL)
	if err != nil {
		return err
	}
	defer sk.close()
	c, err := h.startConsole(ctx, consoleOpts{name: "upload", port: ps[0], tenant: t, store: "memory", apiURL: sk.url,
		env: []string{"UPLOAD_MAX_BYTES=" + strconv.FormatInt(s.uploadBytes+1<<20, 10)}})
	if err != nil {
		return err
	}
	u, err := signIn(ctx, c)
	if err != nil {
		return err
	}
	id := sandbox.SeedDelimitedSourceID
	sc, err := accountSchema(ctx, t, id)
	if err != nil {
		return err
	}
	var bestDirect, bestCheck, bestConsole float64
	var worstHeap float64
	for round := range 2 {
		// Baseline: curl straight to the sink.
		status, rate, err := curlUpload(ctx, sk.url+"/v2025/sources/"+id+"/load-accounts", file, nil)
		if err != nil {
			return err
		}
		if status != http.StatusAccepted || sk.last() != want {
			return fmt.Errorf("curl to the sink: status %d, hash match %v", status, sk.last() == want)
		}
		bestDirect = max(bestDirect, rate)

		// Baseline: the CSV check alone over the same file.
		rate, err = checkAlone(ctx, sc, file)
		if err != nil {
			return err
		}
		bestCheck = max(bestCheck, rate)

		// Through the console, sampling its heap.
		m, err := scrape(ctx, c.hc, c.URL+"/metrics")
		if err != nil {
			return err
		}
		base := uint64(m["go_memstats_heap_inuse_bytes"])
		sampler := sampleHeap(ctx, c)
		status, rate, err = curlUpload(ctx, c.URL+"/sources/"+id+"/import/accounts", file, []string{
			"Cookie: " + scenario.CookieHeader(u.Cookies()), "X-CSRF-Token: " + u.CSRF, "HX-Request: true", "Sec-Fetch-Site: same-origin"})
		peak := sampler()
		if err != nil {
			return err
		}
		growth := mibOf(peak) - mibOf(base)
		worstHeap = max(worstHeap, growth)
		if status != http.StatusOK {
			return fmt.Errorf("console upload answered %d (want 200 sending the browser to the task); console log: %s", status, tail(c.log, 5))
		}
		if sk.last() != want {
			return fmt.Errorf("round %d: the sink got a different SHA-256 through the console", round+1)
		}
		bestConsole = max(bestConsole, rate)
	}
	// The console receives and checks the whole file before it sends a byte (a file
	// that fails the check is never sent), so its best is the check and the send one
	// after the other.
	serial := 1 / (1/bestCheck + 1/bestDirect)
	r.check(fig, "console upload rate", fmt.Sprintf("%.0f MB/s", bestConsole/1e6),
		fmt.Sprintf("curl → sink %.0f MB/s; the CSV check alone %.0f MB/s; both one after the other %.0f MB/s", bestDirect/1e6, bestCheck/1e6, serial/1e6),
		"≥ 60% of check-then-send", bestConsole >= 0.6*serial)
	r.add(fig, "console rate / curl rate", fmt.Sprintf("%.0f%%", 100*bestConsole/bestDirect), "", "", info)
	r.check(fig, "console heap growth during the upload", fmt.Sprintf("%.1f MiB", worstHeap), "", "< 64 MiB", worstHeap < 64)
	r.check(fig, "bytes at the sink", "same SHA-256 and size, both paths", "", "every byte", true)
	r.note(fig, "%d bytes, best of 2 alternating rounds; curl -F file=@accounts.csv both ways; the sink refuses a body without a Content-Length. The console keeps the file in a temporary file while it checks every row against the source's schema, then sends it with its Content-Length: its rate is the check's (figure 5) and the send's one after the other", s.uploadBytes)
	r.note(fig, "heap = the console's go_memstats_heap_inuse_bytes (garbage included) sampled every 50 ms from /metrics, peak minus the level before the upload")
	return nil
}

// accountSchema reads the source's account schema from the tenant, as the console
// reads it for the pre-flight check.
func accountSchema(ctx context.Context, t *scenario.Tenant, id string) (csvcheck.Schema, error) {
	hc := &http.Client{Timeout: 30 * time.Second}
	tok, err := t.Token(ctx, hc)
	if err != nil {
		return csvcheck.Schema{}, err
	}
	cl, err := api.New(api.Config{BaseURL: t.URL, HTTPClient: hc})
	if err != nil {
		return csvcheck.Schema{}, err
	}
	schemas, err := cl.With(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "bearer"})).
		GetSourceSchemas(ctx, id, api.SchemaFilter{IncludeNames: "account"})
	if err != nil || len(schemas) == 0 {
		return csvcheck.Schema{}, fmt.Errorf("the account schema of %s: %v", id, err)
	}
	sc := csvcheck.Schema{IdentityAttribute: schemas[0].IdentityAttribute, DisplayAttribute: schemas[0].DisplayAttribute}
	for _, a := range schemas[0].Attributes {
		sc.Attributes = append(sc.Attributes, csvcheck.Attribute{Name: a.Name, Type: string(a.Type), Multi: a.IsMulti})
	}
	return sc, nil
}

// checkAlone times the pre-flight check alone over file, in bytes per second: the
// part of an upload's time that the console spends before it may send anything.
func checkAlone(ctx context.Context, sc csvcheck.Schema, file string) (float64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	rep, err := csvcheck.Check(ctx, f, sc, csvcheck.Options{Delimiter: ','})
	if err != nil {
		return 0, err
	}
	return float64(rep.Bytes) / time.Since(start).Seconds(), nil
}

// writeCSV writes an account CSV of at least size bytes (whole rows) for the
// seeded Delimited File source and returns its SHA-256.
func writeCSV(path string, size int64) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	header := "id,displayName,email,department,startDate,active,level,groups\n"
	written, _ := w.WriteString(header)
	n := int64(written)
	for i := 0; n < size; i++ {
		m, err := fmt.Fprintf(w, "u%09d,User %d,u%d@example.com,IT,2024-01-02,true,%d,users\n", i, i, i, i%5)
		if err != nil {
			return "", err
		}
		n += int64(m)
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// curlUpload posts file as the multipart field "file" with curl and returns the
// status and curl's upload rate in bytes per second.
func curlUpload(ctx context.Context, target, file string, headers []string) (int, float64, error) {
	args := []string{"-sS", "-o", "/dev/null", "-w", "%{http_code} %{speed_upload}", "-F", "file=@" + file + ";type=text/csv;filename=accounts.csv"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	args = append(args, target)
	out, err := exec.CommandContext(ctx, "curl", args...).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("curl: %v: %s", err, out)
	}
	var status int
	var rate float64
	if _, err := fmt.Sscanf(string(out), "%d %g", &status, &rate); err != nil {
		return 0, 0, fmt.Errorf("curl output %q: %v", out, err)
	}
	return status, rate, nil
}

// sampleHeap polls the console's heap every 50 ms until the returned func is
// called, which returns the peak.
func sampleHeap(ctx context.Context, c *console) func() uint64 {
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if m, err := scrape(ctx, c.hc, c.URL+"/metrics"); err == nil {
				peak = max(peak, uint64(m["go_memstats_heap_inuse_bytes"]))
			}
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak }
}

func mibOf(b uint64) float64 { return float64(b) / (1 << 20) }

// uploadSink stands in for ISC's load-accounts: it parses the multipart stream,
// hashes the file part and answers 202 with a task; like a gateway that takes only
// sized bodies, it answers 411 to a body without a Content-Length. Every other
// request goes to the tenant, so the console sees a real source and schema.
type uploadSink struct {
	url string
	srv *http.Server

	mu  sync.Mutex
	sum string
}

func newUploadSink(tenantURL string) (*uploadSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tu, _ := url.Parse(tenantURL)
	proxy := httputil.NewSingleHostReverseProxy(tu)
	sk := &uploadSink{url: "http://" + ln.Addr().String()}
	sk.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/load-accounts") {
			proxy.ServeHTTP(w, r)
			return
		}
		if r.ContentLength < 0 {
			http.Error(w, "a request body needs a Content-Length", http.StatusLengthRequired)
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if p.FormName() != "file" {
				continue
			}
			h := sha256.New()
			if _, err := io.Copy(h, bufio.NewReaderSize(p, 256<<10)); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			sk.mu.Lock()
			sk.sum = hex.EncodeToString(h.Sum(nil))
			sk.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"success":true,"task":{"id":"2c9180835d2e5168015d32f890ca1581","type":"QUARTZ","name":"Cloud Account Aggregation"}}`)
	})}
	go func() { _ = sk.srv.Serve(ln) }()
	return sk, nil
}

func (sk *uploadSink) last() string { sk.mu.Lock(); defer sk.mu.Unlock(); return sk.sum }

func (sk *uploadSink) close() { _ = sk.srv.Close() }
