package upload

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"syscall"

	"sourcedesk/internal/api"
)

// Spool keeps an upload in a temporary file while it is read and checked, so that
// it is sent upstream only once it has passed its checks, and with an exact
// Content-Length, as every SailPoint SDK sends uploads (whether ISC's gateway takes
// a chunked body is not known). The file is on disk, never in memory: the copy goes
// through one small buffer.
//
// The temporary file is unlinked as soon as it is created: the open file keeps its
// data until Close, and nothing is left in the folder whatever happens, a crash
// included. (Where an open file cannot be unlinked, Close removes it.) Its size is
// bounded by the reader it is filled from: a File's reader stops at the upload limit.
type Spool struct {
	f    *os.File
	size int64
	path string // set when the file could not be unlinked at once
}

// NewSpool creates an empty spool in dir, or in the system's temporary folder when
// dir is "".
func NewSpool(dir string) (*Spool, error) {
	f, err := os.CreateTemp(dir, "sourcedesk-upload-*")
	if err != nil {
		return nil, spoolError(err)
	}
	s := &Spool{f: f}
	if err := os.Remove(f.Name()); err != nil {
		s.path = f.Name()
	}
	return s, nil
}

// Fill copies r into the spool until r ends. The error is r's when reading failed
// (ErrFileTooLarge, ErrCheckBlocked, a broken body) and an *Error when the disk
// refused the copy.
func (s *Spool) Fill(r io.Reader) error {
	n, err := io.CopyBuffer(writerOnly{s.f}, r, make([]byte, spoolBuffer))
	s.size += n
	var we *writeError
	if errors.As(err, &we) {
		return spoolError(we.err)
	}
	return err
}

// Size is how many bytes the spool holds.
func (s *Spool) Size() int64 { return s.size }

// Reader reads the spool from its start; each call gives a reader of its own.
func (s *Spool) Reader() io.Reader { return io.NewSectionReader(s.f, 0, s.size) }

// File is the spool as an upload for the API client, named name.
func (s *Spool) File(name string) *api.File {
	return &api.File{Body: s.Reader(), Size: s.size, Name: name}
}

// Close releases the temporary file. Safe to call more than once.
func (s *Spool) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	if s.path != "" {
		if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	s.f = nil
	return err
}

// spoolBuffer is the size of the copy into the spool: large reads mean few system
// calls and few hand-overs to the check.
const spoolBuffer = 256 << 10

// writerOnly hides the file's ReadFrom, so io.Copy reads into its own small buffer and
// the reader's errors stay apart from the disk's (marked as *writeError).
type writerOnly struct{ f *os.File }

func (w writerOnly) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// spoolError tells the user that the console could not keep the upload. A full disk
// is 507, anything else a 500; the cause goes to the log.
func spoolError(err error) *Error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &Error{Status: http.StatusInsufficientStorage, Err: err,
			Message: "The console has no room left to keep the upload while it checks it. Nothing was imported; try again later or ask your administrator to free space in the upload folder."}
	}
	return &Error{Status: http.StatusInternalServerError, Err: fmt.Errorf("upload spool: %w", err),
		Message: "The console could not keep the upload while it checks it. Nothing was imported; try again later."}
}
