package upload

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
	"time"

	"sourcedesk/internal/api"
	"sourcedesk/internal/csvcheck"
)

// csvExt lists the file name extensions a CSV upload may have.
var csvExt = map[string]bool{".csv": true, ".txt": true, ".tsv": true}

// Stream reads a multipart/form-data request part by part, without buffering the
// file: FormFile and ParseMultipartForm would spool it to memory and disk first.
type Stream struct {
	mr     *multipart.Reader
	hdr    *headerBudget
	parts  int
	limit  int64
	fields map[string]string // plain fields seen so far
}

// Open checks that r is a multipart upload of plausible size for a file of at most
// limit bytes, and extends the connection's read deadline (through w) for the long
// transfer. It reads nothing. A request without a body gives a nil Stream: the file
// is optional on some routes.
func Open(w http.ResponseWriter, r *http.Request, limit int64) (*Stream, error) {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errorf(http.StatusUnsupportedMediaType, "Send the file as a form upload (multipart/form-data).")
	}
	if r.ContentLength > limit+Overhead {
		return nil, TooLarge(limit)
	}
	// The server's read timeout is sized for forms; a large file over a slow link needs
	// longer. Not every ResponseWriter supports it (test recorders), which is harmless.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(ReadTimeout))
	hdr := &headerBudget{r: r.Body, limit: MaxPartHeaderBytes + 4096} // + multipart's read-ahead
	return &Stream{
		mr:     multipart.NewReader(hdr, params["boundary"]),
		hdr:    hdr,
		limit:  limit,
		fields: map[string]string{},
	}, nil
}

// Field is a plain form field read so far: before the file, or after it once ReadRest
// has run ("" when it was not sent).
func (s *Stream) Field(name string) string { return s.fields[name] }

// NextFile reads plain fields until the part named "file" and returns it as a CSV
// file: its name must end in .csv, .tsv or .txt and its first bytes must be text. It
// returns nil when the form has no file (or an empty file input). Fields after the
// file are never read: put options before it in the form.
func (s *Stream) NextFile() (*File, error) {
	p, err := s.nextFilePart()
	if p == nil || err != nil {
		return nil, err
	}
	return newCSVFile(p, s.limit)
}

// NextBinaryFile is NextFile for any kind of file (a connector's jar or zip): it is
// neither sniffed nor checked by name, only limited in size.
func (s *Stream) NextBinaryFile() (*File, error) {
	p, err := s.nextFilePart()
	if p == nil || err != nil {
		return nil, err
	}
	name := api.SanitizeFilename(p.FileName())
	return &File{Name: name, lim: &limitedReader{r: p, limit: s.limit}}, nil
}

// ReadRest reads the plain fields after the file, once the file has been read (into
// a Spool): a confirmation that sits below the file input in the form. The limits on
// parts and fields apply; a second file is refused. Field then returns them too.
func (s *Stream) ReadRest() error {
	p, err := s.nextFilePart()
	if err != nil {
		return err
	}
	if p != nil {
		return errorf(http.StatusBadRequest, "Send one file at a time.")
	}
	return nil
}

// nextFilePart reads plain fields until the part named "file"; nil when there is none.
func (s *Stream) nextFilePart() (*multipart.Part, error) {
	for {
		if s.parts >= MaxParts {
			return nil, errorf(http.StatusBadRequest, "The upload has too many form parts.")
		}
		s.hdr.startHeader()
		p, err := s.mr.NextPart()
		s.hdr.endHeader()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			if s.hdr.exceeded {
				return nil, errorf(http.StatusBadRequest, "A part header of the upload is too large.")
			}
			return nil, &Error{Status: http.StatusBadRequest, Message: "The upload is not a valid form.", Err: err}
		}
		s.parts++
		if p.FormName() != "file" {
			b, err := io.ReadAll(io.LimitReader(p, MaxFieldBytes+1))
			if err != nil {
				return nil, &Error{Status: http.StatusBadRequest, Message: "The upload is not a valid form.", Err: err}
			}
			if len(b) > MaxFieldBytes {
				return nil, errorf(http.StatusBadRequest, "A form field of the upload is too long.")
			}
			s.fields[p.FormName()] = string(b)
			continue
		}
		if p.FileName() == "" {
			return nil, nil // an empty file input
		}
		return p, nil
	}
}

// File is the file part of an upload: its sanitized name and a reader that streams
// the content, counting it against the limit.
type File struct {
	Name string // safe for headers and display; never used as a path
	lim  *limitedReader
}

func newCSVFile(p *multipart.Part, limit int64) (*File, error) {
	name := api.SanitizeFilename(p.FileName())
	if !csvExt[strings.ToLower(path.Ext(name))] {
		return nil, errorf(http.StatusUnsupportedMediaType, "Choose a CSV file (.csv, .tsv or .txt); %q is not one.", name)
	}
	prefix := make([]byte, sniffBytes)
	n, err := io.ReadFull(p, prefix)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, &Error{Status: http.StatusBadRequest, Message: "The upload was interrupted.", Err: err}
	}
	prefix = prefix[:n]
	if n == 0 {
		return nil, errorf(http.StatusBadRequest, "The file %q is empty.", name)
	}
	if err := csvcheck.SniffText(prefix); err != nil {
		var nt *csvcheck.NotTextError
		msg := "The file is not a text CSV file."
		if errors.As(err, &nt) {
			msg = fmt.Sprintf("%q is not a CSV text file: the file %s.", name, nt.Reason)
		}
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Message: msg, Err: err}
	}
	// The reader replays the sniffed prefix, then streams the rest.
	return &File{Name: name, lim: &limitedReader{r: io.MultiReader(bytes.NewReader(prefix), p), limit: limit}}, nil
}

// Reader is the file's content. Past the limit it fails with ErrFileTooLarge.
func (f *File) Reader() io.Reader { return f.lim }

// Size is how many bytes of the file have been read so far.
func (f *File) Size() int64 { return f.lim.n }

// Failure explains why streaming the file stopped, if the inbound side was the cause:
// the limit (413), the client going away (context.Canceled) or a broken body (400).
// nil means the inbound side is fine, and any failure was the destination's.
func (f *File) Failure(ctx context.Context) error {
	switch {
	case f.lim.exceeded:
		return TooLarge(f.lim.limit)
	case f.lim.err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w: upload read: %w", context.Canceled, f.lim.err)
	default:
		return &Error{Status: http.StatusBadRequest, Message: "The upload was interrupted or is not a valid form. Nothing was imported.", Err: f.lim.err}
	}
}

// limitedReader counts bytes and fails with ErrFileTooLarge past limit, so the
// destination (the upstream request) is aborted mid-stream instead of completing
// with a truncated file.
type limitedReader struct {
	r        io.Reader
	n, limit int64
	exceeded bool
	err      error // the first read error other than EOF
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, ErrFileTooLarge
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.limit {
		l.exceeded = true
		return 0, ErrFileTooLarge
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
