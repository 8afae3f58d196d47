package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The upload methods stream: the multipart body is written by a goroutine
// into an io.Pipe that the transport reads, so memory stays flat whatever the
// file size, and the file is read exactly once. Uploads are never retried
// (load-accounts starts a task; a lost answer does not mean nothing
// happened). Every method waits for its writer goroutine before it returns,
// also on error or cancellation; if file's Read can block forever, ctx alone
// cannot end the call, so hand in readers that end when the request does
// (an inbound request body does).

// ImportAccounts is importAccounts: POST /sources/{id}/load-accounts, an
// account aggregation. A Delimited File source needs the CSV file; other
// sources take none (file nil). disableOptimization reprocesses every
// account, changed or not. ISC answers 202 with a task to poll.
func (c *Client) ImportAccounts(ctx context.Context, id string, file io.Reader, filename string, disableOptimization bool) (*LoadAccountsTask, error) {
	var fields []formField
	if disableOptimization {
		fields = append(fields, formField{"disableOptimization", "true"})
	}
	var out LoadAccountsTask
	err := c.upload(ctx, post("importAccounts", pathf("sources/%s/load-accounts", id), nil), fields, csvPart(file, filename), false, &out)
	return result(&out, err)
}

// ImportUncorrelatedAccounts is importUncorrelatedAccounts:
// POST /sources/{id}/load-uncorrelated-accounts (202, a task to poll).
func (c *Client) ImportUncorrelatedAccounts(ctx context.Context, id string, file io.Reader, filename string) (*LoadUncorrelatedAccountsTask, error) {
	var out LoadUncorrelatedAccountsTask
	err := c.upload(ctx, post("importUncorrelatedAccounts", pathf("sources/%s/load-uncorrelated-accounts", id), nil), nil, csvPart(file, filename), false, &out)
	return result(&out, err)
}

// ImportEntitlements is importEntitlements: POST
// /sources/{sourceId}/load-entitlements, an entitlement aggregation; the CSV
// file is optional as for ImportAccounts (202, a task to poll).
func (c *Client) ImportEntitlements(ctx context.Context, sourceID string, file io.Reader, filename string) (*LoadEntitlementTask, error) {
	var out LoadEntitlementTask
	err := c.upload(ctx, post("importEntitlements", pathf("sources/%s/load-entitlements", sourceID), nil), nil, csvPart(file, filename), false, &out)
	return result(&out, err)
}

// ImportAccountsSchema is importAccountsSchema: POST
// /sources/{id}/schemas/accounts, the account schema from a CSV header
// (Delimited File sources only).
func (c *Client) ImportAccountsSchema(ctx context.Context, id string, file io.Reader, filename string) (*Schema, error) {
	var out Schema
	err := c.upload(ctx, post("importAccountsSchema", pathf("sources/%s/schemas/accounts", id), nil), nil, csvPart(file, filename), true, &out)
	return result(&out, err)
}

// ImportEntitlementsSchema is importEntitlementsSchema: POST
// /sources/{id}/schemas/entitlements; schemaName is optional.
func (c *Client) ImportEntitlementsSchema(ctx context.Context, id, schemaName string, file io.Reader, filename string) (*Schema, error) {
	r := post("importEntitlementsSchema", pathf("sources/%s/schemas/entitlements", id), nil)
	if schemaName != "" {
		r.query = url.Values{"schemaName": {schemaName}}
	}
	var out Schema
	err := c.upload(ctx, r, nil, csvPart(file, filename), true, &out)
	return result(&out, err)
}

// ImportConnectorFile is importConnectorFile: POST
// /sources/{sourceId}/upload-connector-file, e.g. a JDBC driver jar.
func (c *Client) ImportConnectorFile(ctx context.Context, sourceID string, file io.Reader, filename string) (*Source, error) {
	var part *filePart
	if file != nil {
		part = &filePart{r: file, name: SanitizeFilename(filename), contentType: "application/octet-stream"}
	}
	var out Source
	err := c.upload(ctx, post("importConnectorFile", pathf("sources/%s/upload-connector-file", sourceID), nil), nil, part, true, &out)
	return result(&out, err)
}

// formField is a plain multipart field.
type formField struct{ name, value string }

// filePart is the "file" part of an upload.
type filePart struct {
	r           io.Reader
	name        string // already sanitized
	contentType string
}

func csvPart(file io.Reader, filename string) *filePart {
	if file == nil {
		return nil
	}
	return &filePart{r: file, name: SanitizeFilename(filename), contentType: "text/csv"}
}

// errUploadDone unblocks the body writer once the exchange is over.
var errUploadDone = errors.New("api: upload request finished")

// upload sends r as multipart/form-data with fields, then file. Without
// fields and file it sends an empty POST, unless the file is required.
func (c *Client) upload(ctx context.Context, r request, fields []formField, file *filePart, fileRequired bool, out any) error {
	if file == nil {
		if fileRequired {
			return fmt.Errorf("api: %s: a file is required", r.op)
		}
		if len(fields) == 0 {
			_, err := c.call(ctx, r, out)
			return err
		}
	}

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	var writeErr error // set by the writer goroutine, read after done
	done := make(chan struct{})
	go func() {
		defer close(done)
		writeErr = writeMultipart(mw, fields, file)
		pw.CloseWithError(writeErr) // nil closes normally
	}()

	resp, err := c.sendBody(ctx, r, pr, mw.FormDataContentType())
	// The transport may stop reading early (an early error answer, a
	// cancelled context): unblock the writer, then wait for it.
	pr.CloseWithError(errUploadDone)
	<-done

	// A failed read of the file is the cause worth reporting, even when the
	// upstream answered anyway: it did not get the whole file.
	readFailed := writeErr != nil && !errors.Is(writeErr, errUploadDone) && ctx.Err() == nil
	if err == nil && readFailed {
		resp.Body.Close()
	}
	if readFailed {
		return fmt.Errorf("api: %s: read upload: %w", r.op, writeErr)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := decodeJSON(resp.Body, out); err != nil {
		return c.failure(ctx, r.op, err)
	}
	return nil
}

// writeMultipart writes the form: the plain fields first, so a streaming
// server sees the options before the file, then the file part.
func writeMultipart(mw *multipart.Writer, fields []formField, file *filePart) error {
	for _, f := range fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			return err
		}
	}
	if file != nil {
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+file.name+`"`)
		h.Set("Content-Type", file.contentType)
		w, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		// Large writes mean few hand-overs through the pipe.
		if _, err := io.CopyBuffer(w, file.r, make([]byte, chunkSize)); err != nil {
			return err
		}
	}
	return mw.Close()
}

// sendBody sends one streaming request: no retry, the body cannot be replayed.
func (c *Client) sendBody(ctx context.Context, r request, body io.Reader, contentType string) (*http.Response, error) {
	req, err := c.newRequest(ctx, r, nil)
	if err != nil {
		return nil, err
	}
	req.Body = &chunkedBody{r: body, buf: make([]byte, chunkSize)}
	req.ContentLength = -1 // chunked: the size is not known in advance
	req.Header.Set("Content-Type", contentType)
	return c.exchange(ctx, r.op, req)
}

// chunkSize is the size of the HTTP chunks an upload is sent in. The
// transport copies a plain body in 32 KiB pieces and flushes after every
// chunk; 256 KiB chunks cost a fraction of the system calls.
const chunkSize = 256 << 10

// chunkedBody is an upload body whose WriteTo, which the transport prefers to
// Read, fills buf before every write so each HTTP chunk is large.
type chunkedBody struct {
	r   io.Reader
	buf []byte
}

// Read reads the body as is; the transport uses WriteTo instead.
func (b *chunkedBody) Read(p []byte) (int, error) { return b.r.Read(p) }

// Close does nothing: upload closes the pipe itself, after the exchange.
func (b *chunkedBody) Close() error { return nil }

// WriteTo copies the body to w in chunks of len(b.buf) bytes (the last may be shorter).
func (b *chunkedBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		n, err := io.ReadFull(b.r, b.buf)
		if n > 0 {
			m, werr := w.Write(b.buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return total, nil
		default:
			return total, err
		}
	}
}

// SanitizeFilename makes a client-supplied file name safe to put in a
// Content-Disposition header: only its last path element, without quotes,
// backslashes, control or other non-printing characters (CR/LF cannot
// inject headers), at most 200 bytes; "upload.csv" when nothing is left.
func SanitizeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r == '"' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "upload.csv"
	}
	return name
}
