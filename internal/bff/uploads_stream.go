package bff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/csvcheck"
)

// Limits of an upload request besides the file itself (SECURITY.md §6, case 37). The
// standard library caps parts only in ReadForm and allows 10 MiB of part headers, so the
// console counts both itself.
const (
	maxUploadParts     = 8       // form fields and the file
	maxPartHeaderBytes = 8 << 10 // one part's MIME header
	maxFieldBytes      = 1 << 10 // one plain form field
	// uploadOverhead is what a multipart body may carry besides the file: boundaries,
	// part headers and the few fields; a Content-Length above limit+overhead is refused
	// before anything is read.
	uploadOverhead = maxUploadParts * (maxPartHeaderBytes + maxFieldBytes + 256)
	// uploadReadTimeout bounds how long a client may take to send an upload, instead of
	// the server's short read timeout.
	uploadReadTimeout = 2 * time.Hour
	sniffBytes        = 1 << 10
)

var (
	errPartHeaderTooLarge = errors.New("multipart part header too large")
	errFileTooLarge       = errors.New("uploaded file larger than the limit")
	errPreflightBlocked   = errors.New("the file failed the pre-flight check")
)

// allowedUploadExt lists the file name extensions a CSV upload may have.
var allowedUploadExt = map[string]bool{".csv": true, ".txt": true, ".tsv": true}

// uploadStream reads a multipart/form-data request part by part, without buffering the
// file: FormFile and ParseMultipartForm would spool it to memory and disk first.
type uploadStream struct {
	mr     *multipart.Reader
	hdr    *headerBudget
	parts  int
	limit  int64
	fields map[string]string // plain fields seen before the file
}

// openUpload checks that the request is a multipart upload of plausible size and
// extends the connection's read deadline for the long transfer. It reads nothing.
// A request without a body gives a nil stream (the file is optional on some routes).
func (s *Server) openUpload(c echo.Context) (*uploadStream, error) {
	req := c.Request()
	if req.ContentLength == 0 || req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEMultipartForm || params["boundary"] == "" {
		return nil, userErrorf(http.StatusUnsupportedMediaType, "Send the file as a form upload (multipart/form-data).")
	}
	if req.ContentLength > s.cfg.UploadLimit+uploadOverhead {
		return nil, tooLarge(s.cfg.UploadLimit)
	}
	// The server's read timeout is sized for forms; a large file over a slow link needs
	// longer. Not every ResponseWriter supports it (test recorders), which is harmless.
	_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now().Add(uploadReadTimeout))
	hdr := &headerBudget{r: req.Body, limit: maxPartHeaderBytes + 4096} // + multipart's read-ahead
	return &uploadStream{
		mr:     multipart.NewReader(hdr, params["boundary"]),
		hdr:    hdr,
		limit:  s.cfg.UploadLimit,
		fields: map[string]string{},
	}, nil
}

// tooLarge is the 413 for a file above the upload limit.
func tooLarge(limit int64) *UserError {
	return userErrorf(http.StatusRequestEntityTooLarge,
		"The file is larger than the %s upload limit. Nothing was imported; split the file or ask your administrator to raise the limit.", humanBytes(limit))
}

// nextFile reads plain fields until the part named "file" and returns it, sniffed
// and wrapped in the size limit. It returns nil when the form has no file (or an empty
// file input). Fields after the file are never read: put options before it in the form.
func (u *uploadStream) nextFile() (*uploadFile, error) {
	for {
		if u.parts >= maxUploadParts {
			return nil, userErrorf(http.StatusBadRequest, "The upload has too many form parts.")
		}
		u.hdr.startHeader()
		p, err := u.mr.NextPart()
		u.hdr.endHeader()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			if u.hdr.exceeded {
				return nil, userErrorf(http.StatusBadRequest, "A part header of the upload is too large.")
			}
			return nil, &UserError{Status: http.StatusBadRequest, Message: "The upload is not a valid form.", Err: err}
		}
		u.parts++
		if p.FormName() != "file" {
			b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return nil, &UserError{Status: http.StatusBadRequest, Message: "The upload is not a valid form.", Err: err}
			}
			if len(b) > maxFieldBytes {
				return nil, userErrorf(http.StatusBadRequest, "A form field of the upload is too long.")
			}
			u.fields[p.FormName()] = string(b)
			continue
		}
		if p.FileName() == "" {
			return nil, nil // an empty file input
		}
		return newUploadFile(p, u.limit)
	}
}

// uploadFile is the file part of an upload: its sanitized name and a reader that
// replays the sniffed prefix, then streams the rest, counting against the limit.
type uploadFile struct {
	Name string // safe for headers and display; never used as a path
	lim  *limitedReader
}

func newUploadFile(p *multipart.Part, limit int64) (*uploadFile, error) {
	name := api.SanitizeFilename(p.FileName())
	if !allowedUploadExt[strings.ToLower(path.Ext(name))] {
		return nil, userErrorf(http.StatusUnsupportedMediaType, "Choose a CSV file (.csv, .tsv or .txt); %q is not one.", name)
	}
	prefix := make([]byte, sniffBytes)
	n, err := io.ReadFull(p, prefix)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, &UserError{Status: http.StatusBadRequest, Message: "The upload was interrupted.", Err: err}
	}
	prefix = prefix[:n]
	if n == 0 {
		return nil, userErrorf(http.StatusBadRequest, "The file %q is empty.", name)
	}
	if err := csvcheck.SniffText(prefix); err != nil {
		var nt *csvcheck.NotTextError
		msg := "The file is not a text CSV file."
		if errors.As(err, &nt) {
			msg = fmt.Sprintf("%q is not a CSV text file: the file %s.", name, nt.Reason)
		}
		return nil, &UserError{Status: http.StatusUnsupportedMediaType, Message: msg, Err: err}
	}
	return &uploadFile{Name: name, lim: &limitedReader{r: io.MultiReader(bytes.NewReader(prefix), p), limit: limit}}, nil
}

// Reader is the file's content.
func (f *uploadFile) Reader() io.Reader { return f.lim }

// failure explains why streaming the file stopped, if the inbound side was the cause:
// the limit (413), the client going away (context.Canceled, which the error handler
// does not answer) or a broken body (400). nil means the inbound side is fine.
func (f *uploadFile) failure(ctx context.Context) error {
	switch {
	case f.lim.exceeded:
		return tooLarge(f.lim.limit)
	case f.lim.err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w: upload read: %w", context.Canceled, f.lim.err)
	default:
		return &UserError{Status: http.StatusBadRequest, Message: "The upload was interrupted or is not a valid form. Nothing was imported.", Err: f.lim.err}
	}
}

// limitedReader counts bytes and fails with errFileTooLarge past limit, so the upstream
// request is aborted mid-stream instead of completing with a truncated file.
type limitedReader struct {
	r        io.Reader
	n, limit int64
	exceeded bool
	err      error // the first read error other than EOF
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, errFileTooLarge
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.limit {
		l.exceeded = true
		return 0, errFileTooLarge
	}
	if err != nil && !errors.Is(err, io.EOF) && l.err == nil {
		l.err = err
	}
	return n, err
}

// headerBudget caps the bytes read while a part header is parsed.
type headerBudget struct {
	r        io.Reader
	limit    int
	inHeader bool
	n        int
	exceeded bool
}

func (h *headerBudget) startHeader() { h.inHeader, h.n = true, 0 }
func (h *headerBudget) endHeader()   { h.inHeader = false }

func (h *headerBudget) Read(p []byte) (int, error) {
	if h.inHeader {
		if h.n >= h.limit {
			h.exceeded = true
			return 0, errPartHeaderTooLarge
		}
		p = p[:min(len(p), h.limit-h.n)]
	}
	n, err := h.r.Read(p)
	if h.inHeader {
		h.n += n
	}
	return n, err
}

// checkedReader passes a file through while csvcheck reads a copy in a goroutine. At
// the end of the file, if the check found errors (or warnings the user did not accept),
// it returns errPreflightBlocked instead of EOF, so the upstream multipart body never
// completes and ISC starts nothing: the console enforces the pre-flight even when the
// browser skipped it.
type checkedReader struct {
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

func startCheck(ctx context.Context, r io.Reader, sc csvcheck.Schema, opt csvcheck.Options, allowWarnings bool) *checkedReader {
	pr, pw := io.Pipe()
	cr := &checkedReader{r: r, pw: pw, teeing: true, allowWarnings: allowWarnings, done: make(chan struct{})}
	go func() {
		defer close(cr.done)
		cr.report, cr.checkErr = csvcheck.Check(ctx, pr, sc, opt)
		// Whatever Check left unread must not block the writer.
		pr.CloseWithError(io.ErrClosedPipe)
	}()
	return cr
}

func (cr *checkedReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	if n > 0 && cr.teeing {
		if _, werr := cr.pw.Write(p[:n]); werr != nil {
			cr.teeing = false // Check has stopped reading; its report decides
		}
	}
	if errors.Is(err, io.EOF) {
		cr.finish(nil)
		if cr.checkErr != nil || cr.report == nil || cr.report.Blocking() || (!cr.allowWarnings && hasWarnings(cr.report)) {
			cr.blocked = true
			return n, errPreflightBlocked
		}
	}
	return n, err
}

// finish ends the check and waits for its goroutine; cause, if not nil, tells Check the
// file was not read to the end. Safe to call more than once.
func (cr *checkedReader) finish(cause error) {
	cr.once.Do(func() {
		if cause != nil {
			cr.pw.CloseWithError(cause)
		} else {
			cr.pw.Close()
		}
		<-cr.done
	})
}

// hasWarnings reports whether the report has a Warning finding.
func hasWarnings(r *csvcheck.Report) bool {
	for _, f := range r.Findings {
		if f.Severity == csvcheck.Warning {
			return true
		}
	}
	return false
}

// previewCapture keeps the first bytes of a stream for the HTML preview.
type previewCapture struct {
	buf bytes.Buffer
	max int
}

func (pc *previewCapture) Write(p []byte) (int, error) {
	if room := pc.max - pc.buf.Len(); room > 0 {
		pc.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// humanBytes prints a size in binary units, e.g. "512 MiB".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%.4g MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.4g KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
