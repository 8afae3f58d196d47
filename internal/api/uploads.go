package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The upload methods send their file as multipart/form-data with an exact
// Content-Length, as every SailPoint SDK does (none sends a chunked body, and
// whether ISC's gateway takes one is not known). The body is built around the
// file, not in memory: the part headers, then the file read as it is sent, then
// the closing boundary. Uploads are never retried (load-accounts starts a task;
// a lost answer does not mean nothing happened).

// File is the content of an upload: exactly Size bytes read from Body (a
// spooled upload, or any reader whose length is known). Name is the file name
// given to ISC; it is sanitized (SanitizeFilename) before it is sent.
type File struct {
	Body io.Reader
	Size int64
	Name string
}

// StringFile is a File with the given name and content.
func StringFile(name, content string) *File {
	return &File{Body: strings.NewReader(content), Size: int64(len(content)), Name: name}
}

// ImportAccounts is importAccounts: POST /sources/{id}/load-accounts, an
// account aggregation. A Delimited File source needs the CSV file; other
// sources take none (file nil). disableOptimization reprocesses every
// account, changed or not. ISC answers 202 with a task to poll.
func (c *Client) ImportAccounts(ctx context.Context, id string, file *File, disableOptimization bool) (*LoadAccountsTask, error) {
	var fields []formField
	if disableOptimization {
		fields = append(fields, formField{"disableOptimization", "true"})
	}
	var out LoadAccountsTask
	err := c.upload(ctx, post("importAccounts", pathf("sources/%s/load-accounts", id), nil), fields, file, "text/csv", false, &out)
	return result(&out, err)
}

// ImportUncorrelatedAccounts is importUncorrelatedAccounts:
// POST /sources/{id}/load-uncorrelated-accounts, a manual correlation file
// (header account,displayName,userName,type; 202, a task to poll).
func (c *Client) ImportUncorrelatedAccounts(ctx context.Context, id string, file *File) (*LoadUncorrelatedAccountsTask, error) {
	var out LoadUncorrelatedAccountsTask
	err := c.upload(ctx, post("importUncorrelatedAccounts", pathf("sources/%s/load-uncorrelated-accounts", id), nil), nil, file, "text/csv", false, &out)
	return result(&out, err)
}

// ImportEntitlements is importEntitlements: POST
// /sources/{sourceId}/load-entitlements, an entitlement aggregation; the CSV
// file is optional as for ImportAccounts (202, a task to poll).
func (c *Client) ImportEntitlements(ctx context.Context, sourceID string, file *File) (*LoadEntitlementTask, error) {
	var out LoadEntitlementTask
	err := c.upload(ctx, post("importEntitlements", pathf("sources/%s/load-entitlements", sourceID), nil), nil, file, "text/csv", false, &out)
	return result(&out, err)
}

// ImportAccountsSchema is importAccountsSchema: POST
// /sources/{id}/schemas/accounts, the account schema from a CSV whose header
// row names the attributes (Delimited File sources only).
func (c *Client) ImportAccountsSchema(ctx context.Context, id string, file *File) (*Schema, error) {
	var out Schema
	err := c.upload(ctx, post("importAccountsSchema", pathf("sources/%s/schemas/accounts", id), nil), nil, file, "text/csv", true, &out)
	return result(&out, err)
}

// ImportEntitlementsSchema is importEntitlementsSchema: POST
// /sources/{id}/schemas/entitlements; schemaName is optional.
func (c *Client) ImportEntitlementsSchema(ctx context.Context, id, schemaName string, file *File) (*Schema, error) {
	r := post("importEntitlementsSchema", pathf("sources/%s/schemas/entitlements", id), nil)
	if schemaName != "" {
		r.query = url.Values{"schemaName": {schemaName}}
	}
	var out Schema
	err := c.upload(ctx, r, nil, file, "text/csv", true, &out)
	return result(&out, err)
}

// ImportConnectorFile is importConnectorFile: POST
// /sources/{sourceId}/upload-connector-file, e.g. a JDBC driver jar.
func (c *Client) ImportConnectorFile(ctx context.Context, sourceID string, file *File) (*Source, error) {
	var out Source
	err := c.upload(ctx, post("importConnectorFile", pathf("sources/%s/upload-connector-file", sourceID), nil), nil, file, "application/octet-stream", true, &out)
	return result(&out, err)
}

// formField is a plain multipart field.
type formField struct{ name, value string }

// upload sends r as multipart/form-data with fields, then file as the part
// "file" of type fileType, with an exact Content-Length. Without fields and
// file it sends an empty POST, unless the file is required.
func (c *Client) upload(ctx context.Context, r request, fields []formField, file *File, fileType string, fileRequired bool, out any) error {
	if file == nil {
		if fileRequired {
			return fmt.Errorf("api: %s: a file is required", r.op)
		}
		if len(fields) == 0 {
			_, err := c.call(ctx, r, out)
			return err
		}
	}
	if file != nil && file.Size < 0 {
		return fmt.Errorf("api: %s: the file's size is not known", r.op)
	}
	head, tail, contentType, err := multipartFrame(fields, file, fileType)
	if err != nil {
		return fmt.Errorf("api: %s: %w", r.op, err)
	}
	size := int64(len(head) + len(tail))
	parts := []io.Reader{bytes.NewReader(head)}
	var content *exactReader
	if file != nil {
		content = &exactReader{r: file.Body, left: file.Size}
		parts = append(parts, content)
		size += file.Size
	}
	parts = append(parts, bytes.NewReader(tail))

	req, err := c.newRequest(ctx, r, nil)
	if err != nil {
		return err
	}
	req.Body = io.NopCloser(io.MultiReader(parts...))
	req.ContentLength = size
	req.Header.Set("Content-Type", contentType)
	resp, err := c.exchange(ctx, r.op, req)
	// A failed read of the file is the cause worth reporting, even when the
	// upstream answered anyway: it did not get the whole file.
	if content != nil && content.err != nil && ctx.Err() == nil {
		if err == nil {
			resp.Body.Close()
		}
		return fmt.Errorf("api: %s: read upload: %w", r.op, content.err)
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

// multipartFrame returns what a multipart body has around its file: the
// plain fields and the file part's header (head), and the closing boundary
// (tail). Without a file, head holds the fields and tail the end.
func multipartFrame(fields []formField, file *File, fileType string) (head, tail []byte, contentType string, err error) {
	var hb, tb bytes.Buffer
	sw := &switchWriter{w: &hb}
	mw := multipart.NewWriter(sw)
	// The plain fields first, so a streaming server sees the options before the file.
	for _, f := range fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			return nil, nil, "", err
		}
	}
	if file != nil {
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+SanitizeFilename(file.Name)+`"`)
		h.Set("Content-Type", fileType)
		if _, err := mw.CreatePart(h); err != nil {
			return nil, nil, "", err
		}
	}
	sw.w = &tb // the file's bytes go between head and tail
	if err := mw.Close(); err != nil {
		return nil, nil, "", err
	}
	return hb.Bytes(), tb.Bytes(), mw.FormDataContentType(), nil
}

// switchWriter writes to w, which can be changed between writes.
type switchWriter struct{ w io.Writer }

func (s *switchWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

// errShortFile is a file that ended before its declared size.
var errShortFile = errors.New("the file is shorter than its size")

// exactReader reads exactly left bytes from r: a shorter file is an error, and
// bytes past the size are not read. err keeps the first read error.
type exactReader struct {
	r    io.Reader
	left int64
	err  error
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case err == io.EOF && e.left > 0:
		err = errShortFile
	case err == io.EOF:
		err = nil
	}
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
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
