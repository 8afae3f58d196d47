package bff

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/csvcheck"
	"sourcedesk/internal/upload"
	"sourcedesk/web/templates"
)

// uploadKind is one of the aggregation uploads of the "Import data" tab.
type uploadKind struct {
	slug         string // the URL segment: accounts, uncorrelated, entitlements
	title, help  string
	schemaGroup  bool // checked against the group schema instead of the account schema
	correlation  bool // a manual correlation file (csvcheck.CorrelationHeader), not checked against a schema
	optimization bool
	fileOptional bool // non-file sources may run it without a file
}

var uploadKinds = []uploadKind{
	{slug: "accounts", title: "Account aggregation", optimization: true,
		help: "Upload the accounts file. ISC compares it with the accounts it has and creates, updates and removes accounts."},
	{slug: "uncorrelated", title: "Correlate accounts", correlation: true,
		help: "Upload a correlation file: each row names an account of this source (account) and the username of the identity it belongs to (userName). ISC links the accounts it can and reports the rows it cannot."},
	{slug: "entitlements", title: "Entitlement aggregation", schemaGroup: true, fileOptional: true,
		help: "Upload the entitlements (groups) file, checked against the group schema."},
}

func findUploadKind(slug string) (uploadKind, bool) {
	for _, k := range uploadKinds {
		if k.slug == slug {
			return k, true
		}
	}
	return uploadKind{}, false
}

// sourceForUpload is what the upload handlers need to know before reading a file.
type sourceForUpload struct {
	src    *api.Source
	head   templates.SourceSummaryVM
	delim  rune
	schema *api.Schema // nil when the source has none for this upload
}

// loadSourceForUpload reads the source and the schema the file is checked against.
func (s *Server) loadSourceForUpload(c echo.Context, id string, groupSchema bool) (*sourceForUpload, error) {
	var out sourceForUpload
	err := s.callAPI(c, "get source and schema of "+id, func(ctx context.Context, cl *api.Client) error {
		src, err := cl.GetSource(ctx, id)
		if err != nil {
			return err
		}
		out.src, out.head = src, sourceSummary(src)
		out.delim = sourceDelimiter(src)
		f := api.SchemaFilter{IncludeNames: "account"}
		if groupSchema {
			f = api.SchemaFilter{IncludeTypes: "group"}
		}
		schemas, err := cl.GetSourceSchemas(ctx, id, f)
		if err != nil {
			return err
		}
		for i := range schemas {
			if !groupSchema && schemas[i].Name != "account" {
				continue
			}
			out.schema = &schemas[i]
			break
		}
		return nil
	})
	return &out, err
}

// sourceDelimiter is the source's configured delimiter, or 0 to detect it.
func sourceDelimiter(src *api.Source) rune {
	var d string
	if raw, ok := src.ConnectorAttributes["delimiter"]; ok && json.Unmarshal(raw, &d) == nil {
		if r, size := utf8.DecodeRuneInString(d); size == len(d) && size == 1 {
			return r
		}
	}
	return 0
}

// checkSchema maps an ISC schema into what csvcheck needs.
func checkSchema(sc *api.Schema) csvcheck.Schema {
	if sc == nil {
		return csvcheck.Schema{}
	}
	out := csvcheck.Schema{IdentityAttribute: sc.IdentityAttribute, DisplayAttribute: sc.DisplayAttribute}
	for _, a := range sc.Attributes {
		out.Attributes = append(out.Attributes, csvcheck.Attribute{Name: a.Name, Type: string(a.Type), Multi: a.IsMulti})
	}
	return out
}

func importURL(sourceID, rest string) string {
	return "/sources/" + url.PathEscape(sourceID) + "/import" + rest
}

// importTab handles "GET /sources/:id/import": the "Import data" tab.
func (s *Server) importTab(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	info, err := s.loadSourceForUpload(c, id, false)
	if err != nil {
		return err
	}
	vm := templates.ImportVM{
		Source:       info.head,
		UploadLimit:  upload.FormatSize(s.cfg.UploadLimit),
		AggregateURL: importURL(id, "/aggregate"),
	}
	for _, k := range uploadKinds {
		f := templates.UploadFormVM{
			Kind: k.slug, Title: k.title, Help: k.help,
			PreflightURL: importURL(id, "/"+k.slug+"/preflight"),
			UploadURL:    importURL(id, "/"+k.slug),
			Optimization: k.optimization, FileOptional: k.fileOptional && !info.head.Delimited, AnySource: k.correlation,
		}
		switch {
		case k.correlation:
			f.ExpectColumns = csvcheck.CorrelationHeader
			f.TemplateURL = importURL(id, "/"+k.slug+"/template")
		case !k.schemaGroup && info.schema != nil:
			for _, a := range info.schema.Attributes {
				f.ExpectColumns = append(f.ExpectColumns, a.Name)
			}
		}
		vm.Forms = append(vm.Forms, f)
	}
	return s.renderSourceTab(c, http.StatusOK, info.src.ID, info.src, "import", templates.ImportTab(vm))
}

// importRequest is what both import routes read before they differ.
type importRequest struct {
	id   string
	kind uploadKind
	info *sourceForUpload
	us   *upload.Stream // nil when the request has no multipart body
	f    *upload.File   // the first file; nil when none was sent
}

// readImport reads an import request up to its first file: the source (404 when the
// id or kind is not one), its schema, and the upload stream.
func (s *Server) readImport(c echo.Context) (*importRequest, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	kind, ok := findUploadKind(c.Param("kind"))
	if !ok {
		return nil, echo.ErrNotFound
	}
	info, err := s.loadSourceForUpload(c, id, kind.schemaGroup)
	if err != nil {
		return nil, err
	}
	r := &importRequest{id: id, kind: kind, info: info}
	if r.us, err = s.openUpload(c); err != nil {
		return nil, err
	}
	if r.us != nil {
		if r.f, err = r.us.NextFile(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// importPreflight handles "POST /sources/:id/import/:kind/preflight": it streams the
// uploaded file through csvcheck against the schema and answers with the report.
// Nothing is stored and nothing is sent to ISC.
func (s *Server) importPreflight(c echo.Context) error {
	r, err := s.readImport(c)
	if err != nil {
		return err
	}
	id, kind, info, f := r.id, r.kind, r.info, r.f
	if f == nil {
		return userErrorf(http.StatusUnprocessableEntity, "Choose a file to check.")
	}
	head := upload.NewHead(32 << 10)
	rep, err := checkFor(kind, info)(c.Request().Context(), io.TeeReader(f.Reader(), head))
	if ferr := f.Failure(c.Request().Context()); ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("pre-flight check: %w", err)
	}
	vm := preflightVM(kind.slug, f.Name, rep, info.schema == nil && !kind.correlation, head.Bytes())
	if !rep.Blocking() {
		vm.UploadURL = importURL(id, "/"+kind.slug)
		if vm.Warnings > 0 {
			vm.UploadURL += "?sendAnyway=1"
		}
	}
	return s.render(c, http.StatusOK, Page{Title: "File check", Section: "sources", Body: templates.PreflightReport(vm)})
}

// checkFor is the pre-flight of an upload kind: a correlation file has its own fixed
// layout; the other files are checked against the source's schema.
func checkFor(kind uploadKind, info *sourceForUpload) upload.CheckFunc {
	opt := csvcheck.Options{Delimiter: info.delim}
	if kind.correlation {
		// A correlation file is a plain CSV, whatever the source's own delimiter.
		opt.Delimiter = ','
		return func(ctx context.Context, r io.Reader) (*csvcheck.Report, error) {
			return csvcheck.CheckCorrelation(ctx, r, opt)
		}
	}
	return upload.Against(checkSchema(info.schema), opt)
}

// preflightVM maps a csvcheck report into the report fragment's view model.
func preflightVM(kind, name string, rep *csvcheck.Report, noSchema bool, head []byte) templates.PreflightVM {
	vm := templates.PreflightVM{
		Kind: kind, FileName: name, Rows: rep.Rows, Lines: rep.Lines, Size: upload.FormatSize(rep.Bytes),
		Columns: rep.Columns, NoSchema: noSchema,
	}
	switch rep.Delimiter {
	case 0:
	case '\t':
		vm.Delimiter = "TAB"
	default:
		vm.Delimiter = string(rep.Delimiter)
	}
	vm.Findings = findingVMs(rep.Findings)
	for _, f := range rep.Findings {
		switch f.Severity {
		case csvcheck.Error:
			vm.Errors++
		case csvcheck.Warning:
			vm.Warnings++
		}
	}
	vm.Preview = csvPreview(head, rep.Delimiter, 10)
	return vm
}

// findingVMs maps csvcheck findings into the findings table's view models.
func findingVMs(findings []csvcheck.Finding) []templates.FindingVM {
	var out []templates.FindingVM
	for _, f := range findings {
		lines := make([]string, len(f.Lines))
		for i, l := range f.Lines {
			lines[i] = strconv.Itoa(l)
		}
		out = append(out, templates.FindingVM{
			Severity: f.Severity.String(), Code: f.Code, Message: f.Message, Column: f.Column,
			Count: f.Count, Lines: strings.Join(lines, ", "), Examples: f.Examples,
		})
	}
	return out
}

// csvPreview parses the first rows of a file for display. head may end mid-record;
// a record that does not parse ends the preview.
func csvPreview(head []byte, delim rune, rows int) templates.PreviewVM {
	var pv templates.PreviewVM
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(head, []byte(csvcheck.BOM))))
	if delim != 0 {
		r.Comma = delim
	}
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.Comment = '#'
	for len(pv.Rows) < rows {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if pv.Header == nil {
			pv.Header = rec
			continue
		}
		pv.Rows = append(pv.Rows, rec)
	}
	return pv
}

// importUpload handles "POST /sources/:id/import/:kind": it checks the uploaded file
// again while keeping it in a temporary file (upload.Spool), then sends it to ISC
// (load-accounts, load-uncorrelated-accounts or load-entitlements) with its exact
// Content-Length, and sends the user to the task panel. A file that fails the check is
// never sent: the console enforces the pre-flight even when the browser skipped it.
// The file is never held in memory; the upload is never retried; if the browser goes
// away mid-file, nothing is sent.
func (s *Server) importUpload(c echo.Context) error {
	r, err := s.readImport(c)
	if err != nil {
		return err
	}
	id, kind, info, us, f := r.id, r.kind, r.info, r.us, r.f
	if f == nil && (info.head.Delimited || !kind.fileOptional) {
		return userErrorf(http.StatusUnprocessableEntity, "Choose a CSV file to upload.")
	}
	disableOpt := c.QueryParam("disableOptimization") == "true"
	if us != nil {
		disableOpt = disableOpt || us.Field("disableOptimization") == "true"
	}

	var file *api.File
	if f != nil {
		allowWarnings := c.QueryParam("sendAnyway") == "1" || us.Field("sendAnyway") == "1"
		checked := upload.Check(c.Request().Context(), f.Reader(), checkFor(kind, info), allowWarnings)
		// The check goroutine must end before the handler does, whatever happens.
		defer checked.Finish(errors.New("upload ended"))
		sp, err := s.spool(c, f, checked)
		if err != nil {
			return err
		}
		defer sp.Close()
		checked.Finish(nil)
		if checked.Blocked() {
			if checked.Report() == nil {
				return fmt.Errorf("upload check failed: %w", checked.Err())
			}
			vm := preflightVM(kind.slug, f.Name, checked.Report(), info.schema == nil && !kind.correlation, nil)
			vm.Blocked = true
			if !checked.Report().Blocking() {
				vm.UploadURL = importURL(id, "/"+kind.slug) + "?sendAnyway=1"
			}
			return s.render(c, http.StatusUnprocessableEntity, Page{Title: "File check", Section: "sources", Body: templates.PreflightReport(vm)})
		}
		file = sp.File(f.Name)
	}

	var taskID string
	err = s.callAPIOnce(c, "upload "+kind.slug+" to "+id, func(ctx context.Context, cl *api.Client) error {
		switch kind.slug {
		case "accounts":
			t, err := cl.ImportAccounts(ctx, id, file, disableOpt)
			if err == nil {
				taskID = t.Task.ID
			}
			return err
		case "uncorrelated":
			t, err := cl.ImportUncorrelatedAccounts(ctx, id, file)
			if err == nil {
				taskID = t.Task.ID
			}
			return err
		default:
			t, err := cl.ImportEntitlements(ctx, id, file)
			if err == nil {
				taskID = t.ID
			}
			return err
		}
	})
	if err != nil {
		return outcomeUnknown(err)
	}
	return s.toTask(c, taskID, id, "File uploaded: ISC runs the aggregation as a task, followed here.")
}

// spool keeps a file, read through r (its reader, or a check of it), in a temporary
// file in the upload folder until it is sent (upload.Spool), and returns it for the
// caller to close. What stopped the inbound side comes first (the size limit, the
// browser leaving, a broken body); a check that blocks the file is the caller's to
// read from the check, the spool holding the whole file all the same.
func (s *Server) spool(c echo.Context, f *upload.File, r io.Reader) (*upload.Spool, error) {
	sp, err := upload.NewSpool(s.cfg.UploadTempDir)
	if err != nil {
		return nil, err
	}
	err = sp.Fill(r)
	if ferr := f.Failure(c.Request().Context()); ferr != nil {
		err = ferr
	}
	if err != nil && !errors.Is(err, upload.ErrCheckBlocked) {
		sp.Close()
		return nil, err
	}
	return sp, nil
}

// correlationTemplate handles "GET /sources/:id/import/uncorrelated/template": an
// empty correlation file, the header ISC expects (csvcheck.CorrelationHeader).
func (s *Server) correlationTemplate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": "source-" + safeFilePart(id) + "-correlation.csv"}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, strings.Join(csvcheck.CorrelationHeader, ",")+"\n")
}

// importAggregate handles "POST /sources/:id/import/aggregate": an account aggregation
// without a file, for sources that read from their connector. Never retried.
func (s *Server) importAggregate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// Only a small urlencoded form is read here; any other body is left unread.
	disableOpt := false
	if isURLEncoded(c.Request()) {
		form, err := readForm(c)
		if err != nil {
			return err
		}
		disableOpt = form.Get("disableOptimization") == "true"
	}
	t, err := fetchAPIOnce(s, c, "aggregate accounts of "+id, func(ctx context.Context, cl *api.Client) (*api.LoadAccountsTask, error) {
		return cl.ImportAccounts(ctx, id, nil, disableOpt)
	})
	if err != nil {
		return outcomeUnknown(err)
	}
	return s.toTask(c, t.Task.ID, id, "Account aggregation started: ISC runs it as a task, followed here.")
}

// outcomeUnknown rewords a failed aggregation start when ISC may have started it all
// the same (a 5xx or a timeout after the request went out): the console never repeats
// it (a second aggregation of the same file could undo the first one's work), so the
// user is told to look at the task status before trying again. Other errors pass through unchanged.
func outcomeUnknown(err error) error {
	o, ok := classifyUpstream(err)
	if !ok && errors.Is(err, context.DeadlineExceeded) {
		o, ok = outcome{status: http.StatusGatewayTimeout}, true
	}
	if !ok || o.status < 500 {
		return err
	}
	return &UserError{Status: o.status, Err: err, Message: "ISC did not confirm the aggregation, but it may have started anyway. " +
		"Check the source's task status (its recent aggregations) before you try again; the console does not repeat it on its own."}
}

// openUpload opens the request's multipart body as a stream, with the configured
// upload limit (upload.Open).
func (s *Server) openUpload(c echo.Context) (*upload.Stream, error) {
	return upload.Open(c.Response(), c.Request(), s.cfg.UploadLimit)
}

// toTask sends the browser to the task panel (goTo), once ISC's answer has given a
// task id that can go into the URL.
func (s *Server) toTask(c echo.Context, taskID, sourceID, done string) error {
	if !validID(taskID) {
		return fmt.Errorf("ISC answered without a usable task id (%q)", taskID)
	}
	return s.goTo(c, taskURL(taskID, sourceID), done)
}
