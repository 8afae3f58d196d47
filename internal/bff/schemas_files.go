package bff

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/csvcheck"
	"sourcedesk/internal/upload"
	"sourcedesk/web/templates"
)

// maxSchemaFile caps an uploaded schema CSV: one line per attribute, so even a very
// wide schema is far below it. The diff reads the file whole within this cap.
const maxSchemaFile = 4 << 20

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
	var rc io.ReadCloser
	err = s.callAPI(c, func(ctx context.Context, cl *api.Client) error {
		var err error
		if kind == "accounts" {
			rc, err = cl.GetAccountsSchema(ctx, id)
		} else {
			rc, err = cl.GetEntitlementsSchema(ctx, id, schemaName)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("download schema file: %w", err)
	}
	defer rc.Close()

	name := "source-" + safeFilePart(id) + "-" + firstNonEmpty(safeFilePart(schemaName), map[string]string{"accounts": "account", "entitlements": "group"}[kind]) + "-schema"
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

// schemaFileDiff handles "POST /sources/:id/schema-files/:kind/diff": it reads an edited
// schema CSV (small, capped) and shows how it differs from the current schema, with the
// button that uploads it. Nothing is sent to ISC.
func (s *Server) schemaFileDiff(c echo.Context) error {
	id, kind, schemaName, err := schemaFileParams(c)
	if err != nil {
		return err
	}
	var current []api.Schema
	err = s.callAPI(c, func(ctx context.Context, cl *api.Client) error {
		var err error
		f := api.SchemaFilter{IncludeNames: "account"}
		if kind == "entitlements" {
			f = api.SchemaFilter{IncludeNames: firstNonEmpty(schemaName, "group")}
		}
		current, err = cl.GetSourceSchemas(ctx, id, f)
		return err
	})
	if err != nil {
		return err
	}
	f, err := s.schemaUploadFile(c)
	if err != nil {
		return err
	}
	attrs, err := parseSchemaCSV(f.Reader())
	if ferr := f.Failure(c.Request().Context()); ferr != nil {
		return ferr
	}
	if err != nil {
		return err
	}
	var cur []api.AttributeDefinition
	if len(current) > 0 {
		cur = current[0].Attributes
	}
	d := diffSchema(cur, attrs)
	d.Kind, d.FileName = kind, f.Name
	d.UploadURL = schemaFileURL(id, kind)
	if schemaName != "" {
		d.UploadURL += "?schemaName=" + schemaName
	}
	return s.render(c, http.StatusOK, Page{Title: "Schema file changes", Section: "sources", Body: templates.SchemaDiff(d)})
}

// schemaUploadFile opens the upload and returns its file part, capped at maxSchemaFile.
func (s *Server) schemaUploadFile(c echo.Context) (*upload.File, error) {
	us, err := s.openUpload(c)
	if err != nil {
		return nil, err
	}
	if us == nil {
		return nil, userErrorf(http.StatusUnprocessableEntity, "Choose a schema CSV file.")
	}
	us.LimitFile(maxSchemaFile)
	f, err := us.NextFile()
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, userErrorf(http.StatusUnprocessableEntity, "Choose a schema CSV file.")
	}
	return f, nil
}

// parseSchemaCSV reads attribute definitions from a schema CSV: a header naming the
// columns (name is required; type, description, multi, entitlement and group are
// recognised under their usual spellings), then one attribute per row.
func parseSchemaCSV(r io.Reader) ([]api.AttributeDefinition, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, userErrorf(http.StatusUnprocessableEntity, "The file has no header row.")
	}
	col := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, csvcheck.BOM)))
		switch key {
		case "multi", "ismulti", "multivalued", "ismultivalued":
			key = "multi"
		case "entitlement", "isentitlement":
			key = "entitlement"
		case "group", "isgroup":
			key = "group"
		}
		if _, dup := col[key]; !dup {
			col[key] = i
		}
	}
	if _, ok := col["name"]; !ok {
		return nil, userErrorf(http.StatusUnprocessableEntity, "The file needs a %q column.", "name")
	}
	get := func(rec []string, k string) string {
		if i, ok := col[k]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	flag := func(rec []string, k string) bool { b, _ := strconv.ParseBool(get(rec, k)); return b }
	var attrs []api.AttributeDefinition
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return attrs, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, userErrorf(http.StatusUnprocessableEntity, "Line %d is not valid CSV.", pe.Line)
			}
			return nil, err
		}
		name := get(rec, "name")
		if name == "" {
			continue
		}
		attrs = append(attrs, api.AttributeDefinition{
			Name: name, Type: api.AttributeType(strings.ToUpper(firstNonEmpty(get(rec, "type"), "STRING"))),
			Description: get(rec, "description"),
			IsMulti:     flag(rec, "multi"), IsEntitlement: flag(rec, "entitlement"), IsGroup: flag(rec, "group"),
		})
	}
}

// diffSchema compares the current attributes with the ones of a file, by name.
func diffSchema(cur, next []api.AttributeDefinition) templates.SchemaDiffVM {
	var d templates.SchemaDiffVM
	old := map[string]api.AttributeDefinition{}
	for _, a := range cur {
		old[a.Name] = a
	}
	seen := map[string]bool{}
	for _, a := range next {
		seen[a.Name] = true
		o, ok := old[a.Name]
		if !ok {
			d.Added = append(d.Added, attrVM(a))
			continue
		}
		var ch []string
		if !strings.EqualFold(string(o.Type), string(a.Type)) {
			ch = append(ch, fmt.Sprintf("type: %s → %s", o.Type, a.Type))
		}
		for _, f := range []struct {
			label    string
			was, now bool
		}{{"multi", o.IsMulti, a.IsMulti}, {"entitlement", o.IsEntitlement, a.IsEntitlement}, {"group", o.IsGroup, a.IsGroup}} {
			if f.was != f.now {
				ch = append(ch, fmt.Sprintf("%s: %v → %v", f.label, f.was, f.now))
			}
		}
		if o.Description != a.Description {
			ch = append(ch, "description changed")
		}
		if len(ch) == 0 {
			d.Unchanged++
			continue
		}
		d.Changed = append(d.Changed, templates.AttributeChangeVM{Name: a.Name, Changes: ch})
	}
	for _, a := range cur {
		if !seen[a.Name] {
			d.Removed = append(d.Removed, attrVM(a))
		}
	}
	return d
}

func attrVM(a api.AttributeDefinition) templates.AttributeVM {
	return templates.AttributeVM{Name: a.Name, Type: string(a.Type), Multi: a.IsMulti, Entitlement: a.IsEntitlement, Group: a.IsGroup, Description: a.Description}
}

// schemaFileUpload handles "POST /sources/:id/schema-files/:kind": it streams an edited
// schema CSV to ISC (import-accounts-schema or import-entitlements-schema), once.
func (s *Server) schemaFileUpload(c echo.Context) error {
	id, kind, schemaName, err := schemaFileParams(c)
	if err != nil {
		return err
	}
	f, err := s.schemaUploadFile(c)
	if err != nil {
		return err
	}
	var sc *api.Schema
	err = s.callAPIOnce(c, func(ctx context.Context, cl *api.Client) error {
		var err error
		if kind == "accounts" {
			sc, err = cl.ImportAccountsSchema(ctx, id, f.Reader(), f.Name)
		} else {
			sc, err = cl.ImportEntitlementsSchema(ctx, id, schemaName, f.Reader(), f.Name)
		}
		return err
	})
	if ferr := f.Failure(c.Request().Context()); ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("upload schema file: %w", err)
	}
	return s.render(c, http.StatusOK, Page{Title: "Schema uploaded", Section: "sources", Body: templates.Alert(templates.AlertVM{
		Kind: "success", Title: "Schema uploaded",
		Message: fmt.Sprintf("The %s schema now has %d attributes.", firstNonEmpty(sc.Name, kind), len(sc.Attributes)),
	})})
}
