package bff

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/csvcheck"
	"sourcedesk/internal/upload"
	"sourcedesk/web/templates"
)

// schemaFileKind validates the :kind of the schema file routes.
func schemaFileKind(c echo.Context) (string, error) {
	switch k := c.Param("kind"); k {
	case "accounts", "entitlements":
		return k, nil
	}
	return "", echo.ErrNotFound
}

// schemaNameParam is the optional ?schemaName= of entitlement schema files.
func schemaNameParam(c echo.Context) (string, error) {
	n := c.QueryParam("schemaName")
	if n != "" && !schemaNamePattern.MatchString(n) {
		return "", userErrorf(http.StatusBadRequest, "That is not a schema name.")
	}
	return n, nil
}

// schemaFileParams reads what every schema file route needs: the source id, the
// :kind and the optional ?schemaName=.
func schemaFileParams(c echo.Context) (id, kind, schemaName string, err error) {
	if id, err = pathID(c, "id"); err != nil {
		return "", "", "", err
	}
	if kind, err = schemaFileKind(c); err != nil {
		return "", "", "", err
	}
	if schemaName, err = schemaNameParam(c); err != nil {
		return "", "", "", err
	}
	return id, kind, schemaName, nil
}

// safeFilePart keeps letters, digits, dot, dash and underscore, for a download name.
func safeFilePart(s string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	if len(out) > 80 {
		out = out[:80]
	}
	return strings.Trim(out, "._")
}

// schemaFileDownload handles "GET /sources/:id/schema-files/:kind": the account or
// entitlement schema CSV of a Delimited File source. format=raw streams ISC's bytes
// through unchanged (for re-import); format=spreadsheet rewrites each cell with a
// leading apostrophe where a spreadsheet would run it as a formula (CSV injection).
// Both are attachments with nosniff, so a browser never renders them.
func (s *Server) schemaFileDownload(c echo.Context) error {
	id, kind, schemaName, err := schemaFileParams(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "spreadsheet" {
		format = "raw"
	}
	rc, err := fetchAPI(s, c, "download "+kind+" schema file of "+id, func(ctx context.Context, cl *api.Client) (io.ReadCloser, error) {
		if kind == "accounts" {
			return cl.GetAccountsSchema(ctx, id)
		}
		return cl.GetEntitlementsSchema(ctx, id, schemaName)
	})
	if err != nil {
		return err
	}
	defer rc.Close()

	name := "source-" + safeFilePart(id) + "-" + cmp.Or(safeFilePart(schemaName), map[string]string{"accounts": "account", "entitlements": "group"}[kind]) + "-schema"
	if format == "spreadsheet" {
		name += "-spreadsheet"
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name + ".csv"}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if format == "raw" {
		_, err = io.Copy(c.Response(), rc)
	} else {
		_, _ = io.WriteString(c.Response(), csvcheck.BOM) // Excel reads UTF-8 only with it
		err = csvcheck.WriteSafe(c.Response(), csvRecords(rc))
	}
	if err != nil {
		// The status is sent; all that is left is to log and cut the download short.
		s.log.WarnContext(c.Request().Context(), "schema file download interrupted", "request_id", requestIDOf(c), "error", err.Error())
	}
	return nil
}

// csvRecords iterates over the records of a CSV stream.
func csvRecords(r io.Reader) iter.Seq2[[]string, error] {
	return func(yield func([]string, error) bool) {
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// A schema CSV is ISC's flat-file template: the download is one header row naming the
// schema's attributes, and an upload is a CSV whose header row names them (rows after
// it may be there, the file admins aggregate from; they are not read). Uploading
// keeps the attributes the header names, adds the new names as single-valued strings
// and removes the attributes it leaves out, so the console shows that first and asks
// for a confirmation naming every attribute to be removed. The header is read with
// csvcheck.Header, exactly as the accounts pre-flight reads it.

// schemaFileTarget is what the schema file routes compare a file with.
type schemaFileTarget struct {
	id, kind, schemaName string
	delim                rune
	schema               *api.Schema // nil when the source has no such schema yet (the upload creates it)
}

// loadSchemaFileTarget reads the source (for its delimiter) and the schema the file is for.
func (s *Server) loadSchemaFileTarget(c echo.Context) (*schemaFileTarget, error) {
	id, kind, schemaName, err := schemaFileParams(c)
	if err != nil {
		return nil, err
	}
	t := &schemaFileTarget{id: id, kind: kind, schemaName: schemaName}
	err = s.callAPI(c, "get "+kind+" schema of "+id, func(ctx context.Context, cl *api.Client) error {
		src, err := cl.GetSource(ctx, id)
		if err != nil {
			return err
		}
		t.delim = sourceDelimiter(src)
		schemas, err := cl.GetSourceSchemas(ctx, id, api.SchemaFilter{IncludeNames: t.name()})
		if err != nil {
			return err
		}
		for i := range schemas {
			if schemas[i].Name == t.name() {
				t.schema = &schemas[i]
			}
		}
		return nil
	})
	return t, err
}

// name is the name of the schema the file is for.
func (t *schemaFileTarget) name() string {
	if t.kind == "accounts" {
		return "account"
	}
	return cmp.Or(t.schemaName, "group")
}

// uploadURL is where the file is uploaded, with acceptWarnings when the user has seen them.
func (t *schemaFileTarget) uploadURL(acceptWarnings bool) string {
	q := url.Values{}
	if t.schemaName != "" {
		q.Set("schemaName", t.schemaName)
	}
	if acceptWarnings {
		q.Set("sendAnyway", "1")
	}
	u := schemaFileURL(t.id, t.kind)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// diff compares the header read from a schema file (rep) with the target schema.
func (t *schemaFileTarget) diff(fileName string, rep *csvcheck.Report) templates.SchemaDiffVM {
	d := templates.SchemaDiffVM{Kind: t.kind, SchemaName: t.name(), FileName: fileName}
	warned := false
	for _, f := range findingVMs(rep.Findings) {
		switch f.Severity {
		case "error", "warning":
			d.Findings = append(d.Findings, f)
			warned = warned || f.Severity == "warning"
		}
		d.LooksLikeTable = d.LooksLikeTable || f.Code == "attribute-table"
	}
	inFile := map[string]bool{}
	for _, c := range rep.Columns {
		inFile[c] = true
	}
	existing := map[string]bool{}
	if t.schema != nil {
		for _, a := range t.schema.Attributes {
			existing[a.Name] = true
			if !inFile[a.Name] {
				d.Removed = append(d.Removed, attrVM(a))
			}
		}
		for _, k := range []struct{ what, name string }{{"identity attribute", t.schema.IdentityAttribute}, {"display attribute", t.schema.DisplayAttribute}} {
			if k.name != "" && !inFile[k.name] && !slices.Contains(d.Lost, k.what+" "+strconv.Quote(k.name)) {
				d.Lost = append(d.Lost, k.what+" "+strconv.Quote(k.name))
			}
		}
	}
	seen := map[string]bool{}
	for _, c := range rep.Columns {
		if c == "" || seen[c] {
			continue // reported as findings
		}
		seen[c] = true
		if existing[c] {
			d.Kept = append(d.Kept, c)
		} else {
			d.Added = append(d.Added, c)
		}
	}
	if len(d.Removed) > 0 {
		h := sha256.New()
		for _, a := range d.Removed {
			h.Write([]byte(a.Name + "\n"))
		}
		d.RemoveToken = hex.EncodeToString(h.Sum(nil))[:32]
	}
	if !rep.Blocking() && len(d.Lost) == 0 && len(rep.Columns) > 0 {
		d.UploadURL = t.uploadURL(warned)
	}
	return d
}

func attrVM(a api.AttributeDefinition) templates.AttributeVM {
	return templates.AttributeVM{Name: a.Name, Type: string(a.Type), Multi: a.IsMulti, Entitlement: a.IsEntitlement, Group: a.IsGroup, Description: a.Description}
}

// schemaFileDiff handles "POST /sources/:id/schema-files/:kind/diff": it reads the
// header row of a schema CSV and shows what uploading it would do to the schema, with
// the button that uploads it. Nothing is sent to ISC.
func (s *Server) schemaFileDiff(c echo.Context) error {
	t, err := s.loadSchemaFileTarget(c)
	if err != nil {
		return err
	}
	_, f, err := s.schemaUploadFile(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rep, err := csvcheck.Header(ctx, f.Reader(), csvcheck.Options{Delimiter: t.delim})
	if err == nil {
		// The rest of the file is not needed, but the browser is sending it: read it to
		// its end, so that the answer is not cut off by a half-read request.
		_, err = io.Copy(io.Discard, f.Reader())
	}
	if ferr := f.Failure(ctx); ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("read schema file: %w", err)
	}
	return s.render(c, http.StatusOK, Page{Title: "Schema file changes", Section: "sources", Body: templates.SchemaDiff(t.diff(f.Name, rep))})
}

// schemaUploadFile opens the upload and returns it with its file part.
func (s *Server) schemaUploadFile(c echo.Context) (*upload.Stream, *upload.File, error) {
	us, err := s.openUpload(c)
	if err != nil {
		return nil, nil, err
	}
	if us == nil {
		return nil, nil, userErrorf(http.StatusUnprocessableEntity, "Choose a schema CSV file.")
	}
	f, err := us.NextFile()
	if err != nil {
		return nil, nil, err
	}
	if f == nil {
		return nil, nil, userErrorf(http.StatusUnprocessableEntity, "Choose a schema CSV file.")
	}
	return us, f, nil
}

// schemaFileUpload handles "POST /sources/:id/schema-files/:kind": it keeps the schema
// CSV in a temporary file, compares its header with the schema again, and sends it to
// ISC (import-accounts-schema or import-entitlements-schema) with its exact
// Content-Length, once. Nothing is sent when the header has errors or leaves out the
// identity or display attribute, when warnings were not accepted, or when attributes
// would be removed without the confirmation that names them: the comparison comes
// back instead, with what is missing.
func (s *Server) schemaFileUpload(c echo.Context) error {
	t, err := s.loadSchemaFileTarget(c)
	if err != nil {
		return err
	}
	us, f, err := s.schemaUploadFile(c)
	if err != nil {
		return err
	}
	sp, err := s.spool(c, f, f.Reader())
	if err != nil {
		return err
	}
	defer sp.Close()
	if err := us.ReadRest(); err != nil { // the confirmation sits below the file input
		return err
	}
	rep, err := csvcheck.Header(c.Request().Context(), sp.Reader(), csvcheck.Options{Delimiter: t.delim})
	if err != nil {
		return fmt.Errorf("read schema file: %w", err)
	}
	d := t.diff(f.Name, rep)
	switch {
	case d.Blocked():
		d.Refused = "The file cannot be uploaded as it is: see the problems below."
	case d.Warned() && c.QueryParam("sendAnyway") != "1" && us.Field("sendAnyway") != "1":
		d.Refused = "The file has warnings: compare it with the schema and upload it from there if it is what you meant."
	case len(d.Removed) > 0 && us.Field("confirmRemove") != d.RemoveToken:
		d.Refused = fmt.Sprintf("This upload removes %d %s (%s): tick the box that confirms it, then upload again.",
			len(d.Removed), plural(len(d.Removed), "attribute", "attributes"), d.RemovedNames())
		if us.Field("confirmRemove") != "" {
			d.Refused = "The schema changed since the comparison: the attributes this upload removes are now the ones below. Confirm them, then upload again."
		}
	}
	if d.Refused != "" {
		return s.render(c, http.StatusUnprocessableEntity, Page{Title: "Schema file not sent", Section: "sources", Body: templates.SchemaDiff(d)})
	}
	sc, err := fetchAPIOnce(s, c, "upload "+t.kind+" schema file to "+t.id, func(ctx context.Context, cl *api.Client) (*api.Schema, error) {
		if t.kind == "accounts" {
			return cl.ImportAccountsSchema(ctx, t.id, sp.File(f.Name))
		}
		return cl.ImportEntitlementsSchema(ctx, t.id, t.schemaName, sp.File(f.Name))
	})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, Page{Title: "Schema uploaded", Section: "sources", Body: templates.Alert(templates.AlertVM{
		Kind: "success", Title: "Schema uploaded",
		Message: fmt.Sprintf("The %s schema now has %d attributes: %d added, %d removed, %d kept.",
			cmp.Or(sc.Name, t.name()), len(sc.Attributes), len(d.Added), len(d.Removed), len(d.Kept)),
	})})
}
