package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"

	"sourcedesk/internal/csvcheck"
)

// Checked passes a file through while csvcheck reads a copy in a goroutine. At the
// end of the file, if the check found errors (or warnings the user did not accept),
// it returns ErrCheckBlocked instead of EOF, so a multipart body built from it never
// completes and ISC starts nothing: the console enforces the pre-flight check even
// when the browser skipped it.
type Checked struct {
	r             io.Reader
	pw            *io.PipeWriter
	teeing        bool
	allowWarnings bool
	done          chan struct{}
	once          sync.Once

	report   *csvcheck.Report // set when done is closed
	checkErr error
	blocked  bool
}

// CheckFunc is a csvcheck pre-flight of one kind of file, e.g. csvcheck.Check
// against a schema, or csvcheck.CheckCorrelation.
type CheckFunc func(ctx context.Context, r io.Reader) (*csvcheck.Report, error)

// Against is the CheckFunc of an account or entitlement file checked against sc.
func Against(sc csvcheck.Schema, opt csvcheck.Options) CheckFunc {
	return func(ctx context.Context, r io.Reader) (*csvcheck.Report, error) {
		return csvcheck.Check(ctx, r, sc, opt)
	}
}

// Check starts checking r with check. Read the returned Checked instead of r, and
// call Finish before returning, whatever happened.
func Check(ctx context.Context, r io.Reader, check CheckFunc, allowWarnings bool) *Checked {
	pr, pw := io.Pipe()
	cr := &Checked{r: r, pw: pw, teeing: true, allowWarnings: allowWarnings, done: make(chan struct{})}
	go func() {
		defer close(cr.done)
		cr.report, cr.checkErr = check(ctx, pr)
		// Whatever Check left unread must not block the writer.
		pr.CloseWithError(io.ErrClosedPipe)
	}()
	return cr
}

func (cr *Checked) Read(p []byte) (int, error) {
	// A multipart part gives a few KiB per Read; filling p first hands the check
	// large pieces, one pipe hand-over each.
	var n int
	var err error
	for n < len(p) && err == nil {
		var k int
		k, err = cr.r.Read(p[n:])
		n += k
	}
	if n > 0 && cr.teeing {
		if _, werr := cr.pw.Write(p[:n]); werr != nil {
			cr.teeing = false // Check has stopped reading; its report decides
		}
	}
	if errors.Is(err, io.EOF) {
		cr.Finish(nil)
		if cr.checkErr != nil || cr.report == nil || cr.report.Blocking() || (!cr.allowWarnings && hasWarnings(cr.report)) {
			cr.blocked = true
			return n, ErrCheckBlocked
		}
	}
	return n, err
}

// Finish ends the check and waits for its goroutine; cause, if not nil, tells the
// check the file was not read to the end. Safe to call more than once.
func (cr *Checked) Finish(cause error) {
	cr.once.Do(func() {
		if cause != nil {
			cr.pw.CloseWithError(cause)
		} else {
			cr.pw.Close()
		}
		<-cr.done
	})
}

// Blocked reports whether the check stopped the file at its end. Call after Finish.
func (cr *Checked) Blocked() bool { return cr.blocked }

// Report is the check's report, nil if the check failed (see Err). Call after Finish.
func (cr *Checked) Report() *csvcheck.Report { return cr.report }

// Err is why the check itself failed, if it did. Call after Finish.
func (cr *Checked) Err() error { return cr.checkErr }

// hasWarnings reports whether the report has a Warning finding.
func hasWarnings(r *csvcheck.Report) bool {
	for _, f := range r.Findings {
		if f.Severity == csvcheck.Warning {
			return true
		}
	}
	return false
}

// Head keeps the first bytes written to it, for a preview: use it as the writer of
// an io.TeeReader. It never fails and never grows past its size.
type Head struct {
	buf bytes.Buffer
	max int
}

// NewHead keeps up to max bytes.
func NewHead(max int) *Head { return &Head{max: max} }

func (h *Head) Write(p []byte) (int, error) {
	if room := h.max - h.buf.Len(); room > 0 {
		h.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Bytes are the bytes kept.
func (h *Head) Bytes() []byte { return h.buf.Bytes() }
