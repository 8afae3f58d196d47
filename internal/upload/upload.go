// Package upload reads file uploads from multipart/form-data requests as streams:
// part by part, never buffering the file in memory, with the size limit applied
// while the bytes flow, so that a file past it stops the copy instead of completing
// truncated.
//
// Open checks the request and returns a Stream; Stream.NextFile returns the "file"
// part of a CSV upload, sniffed as text, and Stream.NextBinaryFile the "file" part of
// any other upload (a connector's jar). File.Failure says afterwards whether the
// inbound side stopped the copy (the limit, the client leaving, a broken body).
// Check tees a file through csvcheck and refuses to end the stream when the check
// blocks it. A Spool keeps the file in a temporary file while it is read and
// checked, so that it goes upstream only after its checks, with an exact
// Content-Length (as SailPoint's SDKs send uploads), and leaves nothing behind.
//
// Problems the user must fix come back as *Error, with the HTTP status they deserve
// and a message written for the user. The package knows nothing of the web framework.
//
// Files: upload.go (limits, Error, FormatSize), stream.go (Stream, File and the
// counting readers), check.go (Check, Head), spool.go (Spool).
package upload

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Limits of an upload request besides the file itself: a flood of parts or one huge
// part header must be refused after reading little. The standard library caps parts
// only in ReadForm and allows 10 MiB of part headers, so the stream counts both itself.
const (
	// MaxParts caps the parts of one upload: the form fields and the file.
	MaxParts = 8
	// MaxPartHeaderBytes caps one part's MIME header.
	MaxPartHeaderBytes = 8 << 10
	// MaxFieldBytes caps one plain form field.
	MaxFieldBytes = 1 << 10
	// Overhead is what a multipart body may carry besides the file: boundaries, part
	// headers and the few fields. A Content-Length above limit+Overhead is refused
	// before anything is read.
	Overhead = MaxParts * (MaxPartHeaderBytes + MaxFieldBytes + 256)
	// ReadTimeout bounds how long a client may take to send an upload, instead of the
	// server's short read timeout, which is sized for forms.
	ReadTimeout = 2 * time.Hour
	// sniffBytes is how much of a CSV file is read to tell text from binary.
	sniffBytes = 1 << 10
)

var (
	// ErrFileTooLarge is what a limited file's reader returns past the limit.
	ErrFileTooLarge = errors.New("uploaded file larger than the limit")
	// ErrCheckBlocked is what a checked file's reader returns instead of EOF when the
	// check found problems that block the upload.
	ErrCheckBlocked = errors.New("the file failed the pre-flight check")

	errPartHeaderTooLarge = errors.New("multipart part header too large")
)

// Error is a problem with an upload that the user can fix: its Status is the HTTP
// status the answer deserves and its Message is written for the user.
type Error struct {
	Status  int
	Message string
	Err     error // the cause, for the log only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// TooLarge is the 413 for a file above limit.
func TooLarge(limit int64) *Error {
	return errorf(http.StatusRequestEntityTooLarge,
		"The file is larger than the %s upload limit. Nothing was imported; split the file or ask your administrator to raise the limit.", FormatSize(limit))
}

// FormatSize writes a size in binary units for people, e.g. "512 MiB", "1.5 KiB".
func FormatSize(n int64) string {
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
