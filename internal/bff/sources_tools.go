package bff

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/upload"
	"sourcedesk/web/templates"
)

// Limits of the peek tool: ISC's default is 25 objects; more makes a slow page.
const (
	peekDefaultCount = 25
	peekMaxCount     = 250
	peekMaxColumns   = 12
)

// sourceTools handles "GET /sources/:id/tools".
func (s *Server) sourceTools(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, id, nil, "tools", templates.SourceTools(s.toolsVM(id)))
}

func (s *Server) toolsVM(id string) templates.SourceToolsVM {
	return templates.SourceToolsVM{
		Source:      templates.SourceSummaryVM{ID: id},
		Peek:        templates.PeekVM{ObjectType: "account", MaxCount: strconv.Itoa(peekDefaultCount)},
		UploadLimit: upload.FormatSize(s.cfg.UploadLimit),
	}
}

// sourceTool returns the handler of one connector check, e.g. "POST
// /sources/:id/tools/test-connection". Checks change nothing, so a 401 may repeat them.
func (s *Server) sourceTool(label string, call func(cl *api.Client, ctx context.Context, id string) (*api.StatusResponse, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		res, err := fetchAPI(s, c, label+" on "+id, func(ctx context.Context, cl *api.Client) (*api.StatusResponse, error) {
			return call(cl, ctx, id)
		})
		if err != nil {
			return err
		}
		return s.renderFragment(c, http.StatusOK, templates.ToolResult(toolResultVM(label, res)))
	}
}

func toolResultVM(label string, res *api.StatusResponse) templates.ToolResultVM {
	vm := templates.ToolResultVM{
		Tool:    label,
		OK:      res.Status == api.ConnectorSuccess,
		Message: toolMessage(res),
		Elapsed: strconv.FormatInt(res.ElapsedMillis, 10) + " ms",
	}
	keys := make([]string, 0, len(res.Details))
	for k := range res.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vm.Details = append(vm.Details, templates.KV{Label: k, Value: jsonText(res.Details[k])})
	}
	return vm
}

// objectTypeRE is what the peek tool accepts as an object type ("account", "group").
var objectTypeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// sourcePeek handles "POST /sources/:id/tools/peek": a sample of the objects the
// connector reads, in a table.
func (s *Server) sourcePeek(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	p := templates.PeekVM{
		ObjectType: strings.TrimSpace(form.Get("object_type")),
		MaxCount:   strings.TrimSpace(form.Get("max_count")),
		Errors:     templates.FieldErrors{},
	}
	req := api.ResourceObjectsRequest{ObjectType: p.ObjectType, MaxCount: peekDefaultCount}
	if p.ObjectType == "" {
		req.ObjectType = "account"
	} else if !objectTypeRE.MatchString(p.ObjectType) {
		p.Errors["object_type"] = "An object type is a word such as account or group."
	}
	if p.MaxCount != "" {
		n, err := strconv.Atoi(p.MaxCount)
		if err != nil || n < 1 || n > peekMaxCount {
			p.Errors["max_count"] = fmt.Sprintf("Enter a whole number from 1 to %d.", peekMaxCount)
		}
		req.MaxCount = n
	}
	if len(p.Errors) > 0 {
		return s.renderFragment(c, http.StatusUnprocessableEntity, templates.PeekForm(id, p))
	}
	res, err := fetchAPI(s, c, "peek objects on "+id, func(ctx context.Context, cl *api.Client) (*api.ResourceObjectsResponse, error) {
		return cl.SearchResourceObjects(ctx, id, req)
	})
	if err != nil {
		return err
	}
	p.Ran = true
	p.Count = res.ObjectCount
	if p.Count == 0 {
		p.Count = len(res.ResourceObjects)
	}
	p.Elapsed = strconv.FormatInt(res.ElapsedMillis, 10) + " ms"
	p.Columns, p.Rows = peekTable(res.ResourceObjects)
	return s.renderFragment(c, http.StatusOK, templates.PeekForm(id, p))
}

// peekTable lays resource objects out as rows: identity, name, then the attributes
// (the first peekMaxColumns by name, so a wide schema stays readable).
func peekTable(objs []api.ResourceObject) ([]string, [][]string) {
	seen := map[string]bool{}
	var attrs []string
	for _, o := range objs {
		for k := range o.Attributes {
			if !seen[k] {
				seen[k] = true
				attrs = append(attrs, k)
			}
		}
	}
	sort.Strings(attrs)
	if len(attrs) > peekMaxColumns {
		attrs = attrs[:peekMaxColumns]
	}
	cols := append([]string{"Identity", "Name"}, attrs...)
	rows := make([][]string, 0, len(objs))
	for _, o := range objs {
		row := []string{o.Identity, o.Name}
		for _, a := range attrs {
			v := ""
			if raw, ok := o.Attributes[a]; ok {
				v = jsonText(raw)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return cols, rows
}

// sourceConnectorFile handles "POST /sources/:id/tools/connector-file": a connector
// file (e.g. a JDBC driver jar) from the browser to ISC. The body is read part by part
// (upload.Stream, shared with the CSV uploads), never ParseMultipartForm, and the file
// is kept in a temporary file (upload.Spool) with the size cap applied while it
// arrives, then sent with its exact Content-Length. A connector file may be any kind
// of file (a jar, a zip), so it is not sniffed as the CSV uploads are. Uploads are
// never repeated (callAPIOnce).
func (s *Server) sourceConnectorFile(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	up, err := s.openUpload(c)
	if err != nil {
		return err
	}
	var f *upload.File
	if up != nil {
		if f, err = up.NextBinaryFile(); err != nil {
			return err
		}
	}
	if f == nil {
		return userErrorf(http.StatusUnprocessableEntity, "Choose a file to upload.")
	}
	sp, err := s.spool(c, f, f.Reader())
	if err != nil {
		return err
	}
	defer sp.Close()
	updated, err := fetchAPIOnce(s, c, "upload connector file to "+id, func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.ImportConnectorFile(ctx, id, sp.File(f.Name))
	})
	if err != nil {
		return err
	}
	return s.renderFragment(c, http.StatusOK, templates.UploadResult(
		fmt.Sprintf("Uploaded %s (%s) to %s.", f.Name, upload.FormatSize(sp.Size()), updated.Name)))
}
