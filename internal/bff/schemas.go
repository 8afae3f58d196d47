package bff

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

func schemasURL(sourceID string) string { return "/sources/" + url.PathEscape(sourceID) + "/schemas" }

func schemaURL(sourceID, schemaID string) string {
	return schemasURL(sourceID) + "/" + url.PathEscape(schemaID)
}

func schemaFileURL(sourceID, kind string) string {
	return "/sources/" + url.PathEscape(sourceID) + "/schema-files/" + kind
}

// schemaNamePattern is what the console accepts as a new schema's name.
var schemaNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// schemasTab handles "GET /sources/:id/schemas": the source's schemas, filtered by
// include-types and include-names as ISC does.
func (s *Server) schemasTab(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	src, vm, err := s.loadSchemasTab(c, id, c.QueryParam("include-types"), strings.TrimSpace(c.QueryParam("include-names")))
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, src.ID, src, "schemas", templates.SchemasTab(vm))
}

// loadSchemasTab reads the source and its schemas, filtered by include-types and
// include-names as ISC does, into the schemas tab.
func (s *Server) loadSchemasTab(c echo.Context, id, includeTypes, includeNames string) (*api.Source, templates.SchemasVM, error) {
	vm := templates.SchemasVM{IncludeTypes: includeTypes, IncludeNames: includeNames, CreateURL: schemasURL(id)}
	if vm.IncludeTypes != "" && vm.IncludeTypes != "user" && vm.IncludeTypes != "group" {
		vm.IncludeTypes = ""
	}
	src, err := s.sharedSource(c, id)
	if err != nil {
		return nil, vm, err
	}
	f := api.SchemaFilter{IncludeTypes: vm.IncludeTypes, IncludeNames: vm.IncludeNames}
	schemas, err := sourceRead(s, c, "list schemas of "+id, id, sourceReadOf("schemas|"+f.IncludeTypes+"|"+f.IncludeNames, id, 1), func(ctx context.Context, cl *api.Client) ([]api.Schema, error) {
		return cl.GetSourceSchemas(ctx, id, f)
	})
	if err != nil {
		return nil, vm, err
	}
	vm.Source = sourceSummary(src)
	for _, sc := range schemas {
		vm.Schemas = append(vm.Schemas, templates.SchemaRowVM{
			ID: sc.ID, Name: sc.Name, NativeObjectType: sc.NativeObjectType,
			IdentityAttribute: sc.IdentityAttribute, DisplayAttribute: sc.DisplayAttribute,
			Attributes: len(sc.Attributes), URL: schemaURL(id, sc.ID),
		})
	}
	if vm.Source.Delimited {
		vm.Files = schemaFiles(id, schemas)
	}
	return src, vm, nil
}

// schemaFiles lists the schema CSVs of a Delimited File source: the account schema and
// one per other schema (entitlements).
func schemaFiles(sourceID string, schemas []api.Schema) []templates.SchemaFileVM {
	files := []templates.SchemaFileVM{fileVM(sourceID, "accounts", "", "Account schema CSV")}
	for _, sc := range schemas {
		if sc.Name != "account" && sc.Name != "" {
			files = append(files, fileVM(sourceID, "entitlements", sc.Name, "Entitlement schema CSV ("+sc.Name+")"))
		}
	}
	return files
}

func fileVM(sourceID, kind, schemaName, title string) templates.SchemaFileVM {
	base := schemaFileURL(sourceID, kind)
	q := ""
	if schemaName != "" {
		q = "schemaName=" + url.QueryEscape(schemaName) + "&"
	}
	return templates.SchemaFileVM{
		Kind: kind, Title: title, SchemaName: schemaName,
		RawURL:         base + "?" + q + "format=raw",
		SpreadsheetURL: base + "?" + q + "format=spreadsheet",
		DiffURL:        base + "/diff?" + strings.TrimSuffix(q, "&"),
		UploadURL:      base + "?" + strings.TrimSuffix(q, "&"),
	}
}

// schemaCreate handles "POST /sources/:id/schemas": a new schema (e.g. a group schema),
// with its identity and display attributes as its first attributes.
func (s *Server) schemaCreate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	f := templates.SchemaCreateVM{
		Name:              strings.TrimSpace(form.Get("name")),
		NativeObjectType:  strings.TrimSpace(form.Get("nativeObjectType")),
		IdentityAttribute: strings.TrimSpace(form.Get("identityAttribute")),
		DisplayAttribute:  strings.TrimSpace(form.Get("displayAttribute")),
		Errors:            templates.FieldErrors{},
	}
	if !schemaNamePattern.MatchString(f.Name) {
		f.Errors["name"] = "Start with a letter; letters, digits, - and _ only (at most 64)."
	}
	for _, k := range []struct{ key, val string }{{"identityAttribute", f.IdentityAttribute}, {"displayAttribute", f.DisplayAttribute}} {
		if msg := attributeNameProblem(k.val); msg != "" {
			f.Errors[k.key] = msg
		}
	}
	if len(f.NativeObjectType) > 128 {
		f.Errors["nativeObjectType"] = "At most 128 characters."
	}
	if len(f.Errors) > 0 {
		return s.formProblems(c, "schema-create", templates.SchemaCreateForm(schemasURL(id), f), "schemas", func() (*api.Source, templ.Component, error) {
			src, vm, err := s.loadSchemasTab(c, id, "", "")
			vm.Create = f
			return src, templates.SchemasTab(vm), err
		})
	}
	sc := &api.Schema{
		Name: f.Name, NativeObjectType: cmp.Or(f.NativeObjectType, f.Name),
		IdentityAttribute: f.IdentityAttribute, DisplayAttribute: f.DisplayAttribute,
		Attributes: []api.AttributeDefinition{{Name: f.IdentityAttribute, Type: api.AttributeString}},
	}
	if f.DisplayAttribute != f.IdentityAttribute {
		sc.Attributes = append(sc.Attributes, api.AttributeDefinition{Name: f.DisplayAttribute, Type: api.AttributeString})
	}
	created, err := fetchAPIOnce(s, c, "create schema on "+id, func(ctx context.Context, cl *api.Client) (*api.Schema, error) {
		return cl.CreateSourceSchema(ctx, id, sc)
	})
	if err != nil {
		return err
	}
	return s.goTo(c, schemaURL(id, created.ID), "Schema "+created.Name+" created.")
}

// schemaPathIDs reads the :id and :schemaId of a schema's routes (404 unless both are
// plausible ISC ids).
func schemaPathIDs(c echo.Context) (sourceID, schemaID string, err error) {
	if sourceID, err = pathID(c, "id"); err != nil {
		return "", "", err
	}
	if schemaID, err = pathID(c, "schemaId"); err != nil {
		return "", "", err
	}
	return sourceID, schemaID, nil
}

// schemaWithContext is a schema and what its view needs around it.
type schemaWithContext struct {
	src    *api.Source
	schema *api.Schema
	groups []api.Schema // the source's group schemas
}

func (s *Server) loadSchema(c echo.Context, sourceID, schemaID string) (*schemaWithContext, error) {
	var out schemaWithContext
	err := s.callAPI(c, "get schema "+schemaID+" of "+sourceID, func(ctx context.Context, cl *api.Client) error {
		var err error
		if out.src, err = cl.GetSource(ctx, sourceID); err != nil {
			return err
		}
		if out.schema, err = cl.GetSourceSchema(ctx, sourceID, schemaID); err != nil {
			return err
		}
		out.groups, err = cl.GetSourceSchemas(ctx, sourceID, api.SchemaFilter{IncludeTypes: "group"})
		return err
	})
	return &out, err
}

// schemaVM maps a schema into its view.
func schemaVM(sc *schemaWithContext) templates.SchemaVM {
	srcID := sc.src.ID
	vm := templates.SchemaVM{
		Source: sourceSummary(sc.src), ID: sc.schema.ID, Name: sc.schema.Name,
		NativeObjectType: sc.schema.NativeObjectType, IdentityAttribute: sc.schema.IdentityAttribute,
		DisplayAttribute: sc.schema.DisplayAttribute, HierarchyAttribute: sc.schema.HierarchyAttribute,
		ListURL:    schemasURL(srcID),
		URL:        schemaURL(srcID, sc.schema.ID),
		PreviewURL: schemaURL(srcID, sc.schema.ID) + "/preview",
		DeleteURL:  schemaURL(srcID, sc.schema.ID),
		Add:        templates.AttributeFormVM{Action: "add", Type: "STRING"},
	}
	text, _ := json.MarshalIndent(sc.schema, "", "  ")
	vm.JSON = templates.JSONEditorVM{ID: "schema-json", Title: "The whole schema (JSON)", URL: schemaURL(srcID, sc.schema.ID),
		Method: "put", Field: "schema", Text: string(text), Submit: "Replace the schema", Target: "#source-tab",
		Help: "Replaces the schema as a whole (PUT). ISC does not let the id, name, created and modified change: the current ones are kept, whatever the JSON says."}
	for i, a := range sc.schema.Attributes {
		vm.Attributes = append(vm.Attributes, templates.AttributeVM{
			Index: i, Name: a.Name, Type: string(a.Type), Multi: a.IsMulti, Entitlement: a.IsEntitlement,
			Group: a.IsGroup, Description: a.Description,
		})
	}
	for _, g := range sc.groups {
		if g.ID != sc.schema.ID {
			vm.GroupSchemas = append(vm.GroupSchemas, g.Name)
		}
	}
	return vm
}

// schemaView handles "GET /sources/:id/schemas/:schemaId": one schema's attributes.
func (s *Server) schemaView(c echo.Context) error {
	id, schemaID, err := schemaPathIDs(c)
	if err != nil {
		return err
	}
	sc, err := s.loadSchema(c, id, schemaID)
	if err != nil {
		return err
	}
	vm := schemaVM(sc)
	// ?edit=name opens that attribute's row for editing (a name the schema no longer
	// has, e.g. from an old link, opens none).
	if name := c.QueryParam("edit"); name != "" {
		for _, a := range vm.Attributes {
			if a.Name == name {
				vm.Edit = templates.AttributeFormVM{Action: "edit", Index: a.Index, Original: a.Name, Name: a.Name, Type: a.Type,
					Multi: a.Multi, Entitlement: a.Entitlement, Group: a.Group, Description: a.Description}
			}
		}
	}
	return s.renderSourceTab(c, http.StatusOK, sc.src.ID, sc.src, "schemas", templates.SchemaView(vm))
}

// schemaReplace handles "PUT /sources/:id/schemas/:schemaId": the whole schema from
// the JSON editor (putSourceSchema). The fields ISC keeps fixed are taken from the
// current schema; bad JSON and ISC's refusals come back in the editor as typed.
func (s *Server) schemaReplace(c echo.Context) error {
	id, schemaID, err := schemaPathIDs(c)
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	text := form.Get("schema")
	sc, err := s.loadSchema(c, id, schemaID)
	if err != nil {
		return err
	}
	fail := func(problems ...string) error {
		vm := schemaVM(sc)
		vm.JSON.Text, vm.JSON.Errors = text, problems
		return s.formProblems(c, vm.JSON.ID, templates.JSONEditor(vm.JSON), "schemas", func() (*api.Source, templ.Component, error) {
			return sc.src, templates.SchemaView(vm), nil
		})
	}
	var next api.Schema
	if err := decodeStrict(text, &next); err != nil {
		return fail(jsonProblem(text, err))
	}
	next.ID, next.Name, next.Created, next.Modified = sc.schema.ID, sc.schema.Name, sc.schema.Created, sc.schema.Modified
	saved, err := fetchAPIOnce(s, c, "replace schema "+schemaID+" of "+id, func(ctx context.Context, cl *api.Client) (*api.Schema, error) {
		return cl.PutSourceSchema(ctx, id, schemaID, &next)
	})
	if msgs, ok := iscRejection(err); ok {
		return fail(append([]string{"ISC refused the schema:"}, msgs...)...)
	}
	if err != nil {
		return err
	}
	sc.schema = saved
	vm := schemaVM(sc)
	vm.Notice = "Schema replaced."
	return s.renderSourceTab(c, http.StatusOK, sc.src.ID, sc.src, "schemas", templates.SchemaView(vm))
}

// attributeNameProblem says what is wrong with an attribute name, or "".
func attributeNameProblem(name string) string {
	switch {
	case name == "":
		return "Required."
	case len(name) > 128:
		return "At most 128 characters."
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return "Only printable characters."
	}
	return ""
}

// schemaPatchPreview handles "POST /sources/:id/schemas/:schemaId/preview": it turns an
// edit (add, edit or remove an attribute, change the identity/display attribute) into a
// JSON Patch and shows it; nothing changes until the patch is applied. Invalid input
// gets 422 with the form re-rendered in place.
func (s *Server) schemaPatchPreview(c echo.Context) error {
	id, schemaID, err := schemaPathIDs(c)
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	sc, err := s.loadSchema(c, id, schemaID)
	if err != nil {
		return err
	}
	ops, summary, formVM, err := buildSchemaPatch(sc, form)
	if err != nil {
		return err
	}
	if formVM != nil {
		vm := schemaVM(sc)
		return s.formProblems(c, formVM.ID(), templates.AttributeForm(vm.PreviewURL, *formVM, vm.GroupSchemas), "schemas", func() (*api.Source, templ.Component, error) {
			if formVM.Action == "edit" {
				vm.Edit = *formVM
			} else {
				vm.Add = *formVM
			}
			return sc.src, templates.SchemaView(vm), nil
		})
	}
	b, err := json.MarshalIndent(ops, "", "  ")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, Page{Title: "Schema change", Section: "sources", Body: templates.PatchPreview(templates.PatchPreviewVM{
		Summary: summary, Patch: string(b),
		ApplyURL:  schemaURL(id, schemaID) + "/patch",
		CancelURL: schemaURL(id, schemaID),
	})})
}

// buildSchemaPatch maps an edit form to JSON Patch operations. A non-nil form view
// model means the input is invalid and carries the problems. Removals and edits test
// the attribute's name at its index first, so a patch built from a stale page fails
// instead of changing another attribute.
func buildSchemaPatch(sc *schemaWithContext, form url.Values) ([]api.JSONPatchOperation, string, *templates.AttributeFormVM, error) {
	attrs := sc.schema.Attributes
	indexOf := func() (int, error) {
		i, err := strconv.Atoi(form.Get("index"))
		if err != nil || i < 0 || i >= len(attrs) || attrs[i].Name != form.Get("original") {
			return 0, userErrorf(http.StatusConflict, "The schema changed since this page was loaded. Reload it and try again.")
		}
		return i, nil
	}
	switch action := form.Get("action"); action {
	case "add", "edit":
		f := templates.AttributeFormVM{
			Action: action, Original: form.Get("original"),
			Name: strings.TrimSpace(form.Get("name")), Type: form.Get("type"),
			Multi: form.Get("multi") == "true", Entitlement: form.Get("entitlement") == "true", Group: form.Get("group") == "true",
			Description: strings.TrimSpace(form.Get("description")), Errors: templates.FieldErrors{},
		}
		var base api.AttributeDefinition
		idx := -1
		if action == "edit" {
			i, err := indexOf()
			if err != nil {
				return nil, "", nil, err
			}
			idx, f.Index, base = i, i, attrs[i]
		}
		groupRef := validateAttribute(sc, &f, idx)
		if len(f.Errors) > 0 {
			return nil, "", &f, nil
		}
		a := base
		if a.NativeName == "" || a.NativeName == base.Name {
			a.NativeName = f.Name
		}
		a.Name, a.Type, a.Description = f.Name, api.AttributeType(f.Type), f.Description
		a.IsMulti, a.IsEntitlement, a.IsGroup = f.Multi, f.Entitlement, f.Group
		a.Schema = groupRef
		if action == "add" {
			return []api.JSONPatchOperation{api.PatchAdd("/attributes/-", a)}, fmt.Sprintf("Add the attribute %q", a.Name), nil, nil
		}
		return []api.JSONPatchOperation{
			{Op: "test", Path: fmt.Sprintf("/attributes/%d/name", idx), Value: base.Name},
			api.PatchReplace(fmt.Sprintf("/attributes/%d", idx), a),
		}, fmt.Sprintf("Change the attribute %q", base.Name), nil, nil
	case "remove":
		i, err := indexOf()
		if err != nil {
			return nil, "", nil, err
		}
		name := attrs[i].Name
		if name == sc.schema.IdentityAttribute || name == sc.schema.DisplayAttribute {
			return nil, "", nil, userErrorf(http.StatusUnprocessableEntity,
				"%q is the schema's identity or display attribute; choose another one first.", name)
		}
		return []api.JSONPatchOperation{
			{Op: "test", Path: fmt.Sprintf("/attributes/%d/name", i), Value: name},
			api.PatchRemove(fmt.Sprintf("/attributes/%d", i)),
		}, fmt.Sprintf("Remove the attribute %q", name), nil, nil
	case "keys":
		var ops []api.JSONPatchOperation
		for _, k := range []struct{ field, path, cur string }{
			{"identityAttribute", "/identityAttribute", sc.schema.IdentityAttribute},
			{"displayAttribute", "/displayAttribute", sc.schema.DisplayAttribute},
		} {
			v := form.Get(k.field)
			if v == k.cur || v == "" {
				continue
			}
			if !slices.ContainsFunc(attrs, func(a api.AttributeDefinition) bool { return a.Name == v }) {
				return nil, "", nil, userErrorf(http.StatusUnprocessableEntity, "%q is not an attribute of this schema.", v)
			}
			ops = append(ops, api.PatchReplace(k.path, v))
		}
		if len(ops) == 0 {
			return nil, "", nil, userErrorf(http.StatusUnprocessableEntity, "Nothing to change: choose another identity or display attribute.")
		}
		return ops, "Change the identity and display attributes", nil, nil
	default:
		return nil, "", nil, userErrorf(http.StatusBadRequest, "Unknown schema change.")
	}
}

// validateAttribute checks an attribute form against ISC's rules and returns the group
// schema reference a group attribute needs. idx is the edited attribute (-1 for add).
func validateAttribute(sc *schemaWithContext, f *templates.AttributeFormVM, idx int) *api.Reference {
	if msg := attributeNameProblem(f.Name); msg != "" {
		f.Errors["name"] = msg
	}
	for i, a := range sc.schema.Attributes {
		if i != idx && strings.EqualFold(a.Name, f.Name) {
			f.Errors["name"] = "The schema already has an attribute with this name."
		}
	}
	if !slices.Contains(templates.AttributeTypes, f.Type) {
		f.Errors["type"] = "Choose one of the listed types."
		f.Type = "STRING"
	}
	if len(f.Description) > 1000 {
		f.Errors["description"] = "At most 1000 characters."
	}
	if !f.Group {
		return nil
	}
	// ISC's rule: a group attribute is an entitlement and points at a group schema.
	var group *api.Schema
	for i := range sc.groups {
		if sc.groups[i].ID != sc.schema.ID {
			group = &sc.groups[i]
			break
		}
	}
	switch {
	case !f.Entitlement:
		f.Errors["group"] = "A group attribute must also be an entitlement."
	case group == nil:
		f.Errors["group"] = "The source has no group schema; create one first."
	default:
		return &api.Reference{Type: api.DtoConnectorSchema, ID: group.ID, Name: group.Name}
	}
	return nil
}

// allowedSchemaPatchPaths are the members an applied patch may touch.
var allowedSchemaPatchPaths = []string{"/attributes", "/identityAttribute", "/displayAttribute", "/hierarchyAttribute"}

// schemaPatchApply handles "POST /sources/:id/schemas/:schemaId/patch": it applies the
// JSON Patch shown by the preview. The patch comes back from the browser, so it is
// checked again: allowed operations and members only, it must apply to the current
// schema, and the result must still follow ISC's rules.
func (s *Server) schemaPatchApply(c echo.Context) error {
	id, schemaID, err := schemaPathIDs(c)
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	var ops []api.JSONPatchOperation
	if err := json.Unmarshal([]byte(form.Get("patch")), &ops); err != nil || len(ops) == 0 || len(ops) > 50 {
		return userErrorf(http.StatusUnprocessableEntity, "The change is not a valid JSON Patch.")
	}
	for _, op := range ops {
		okPath := slices.ContainsFunc(allowedSchemaPatchPaths, func(p string) bool { return op.Path == p || strings.HasPrefix(op.Path, p+"/") })
		if !okPath || !slices.Contains([]string{"add", "remove", "replace", "test"}, op.Op) {
			return userErrorf(http.StatusUnprocessableEntity, "The change touches %q with %q, which the console does not allow.", op.Path, op.Op)
		}
	}
	sc, err := s.loadSchema(c, id, schemaID)
	if err != nil {
		return err
	}
	if err := checkSchemaPatch(sc, ops); err != nil {
		return err
	}
	updated, err := fetchAPIOnce(s, c, "patch schema "+schemaID+" of "+id, func(ctx context.Context, cl *api.Client) (*api.Schema, error) {
		return cl.UpdateSourceSchema(ctx, id, schemaID, ops)
	})
	if err != nil {
		return err
	}
	sc.schema = updated
	vm := schemaVM(sc)
	vm.Notice = "Schema updated."
	return s.renderSourceTab(c, http.StatusOK, sc.src.ID, sc.src, "schemas", templates.SchemaView(vm))
}

// checkSchemaPatch applies ops to the current schema locally and checks the result.
func checkSchemaPatch(sc *schemaWithContext, ops []api.JSONPatchOperation) error {
	var result api.Schema
	switch err := patchJSON(sc.schema, ops, &result); {
	case errors.Is(err, errPatchInvalid):
		return userErrorf(http.StatusUnprocessableEntity, "The change is not a valid JSON Patch.")
	case errors.Is(err, errPatchResult):
		return userErrorf(http.StatusUnprocessableEntity, "The change leaves the schema malformed.")
	case err != nil:
		return &UserError{Status: http.StatusConflict, Message: "The change no longer fits the schema (it changed since the preview). Reload and try again.", Err: err}
	}
	// Attributes the patch leaves as they were are not judged: ISC may hold data that
	// predates a rule.
	before := map[string]string{}
	for _, a := range sc.schema.Attributes {
		b, _ := json.Marshal(a)
		before[a.Name] = string(b)
	}
	names := map[string]bool{}
	for _, a := range result.Attributes {
		if attributeNameProblem(a.Name) != "" || names[strings.ToLower(a.Name)] {
			return userErrorf(http.StatusUnprocessableEntity, "Every attribute needs a unique name (%q).", a.Name)
		}
		names[strings.ToLower(a.Name)] = true
		if b, _ := json.Marshal(a); before[a.Name] == string(b) {
			continue
		}
		if a.IsGroup && (!a.IsEntitlement || !slices.ContainsFunc(sc.groups, func(g api.Schema) bool { return g.ID != sc.schema.ID })) {
			return userErrorf(http.StatusUnprocessableEntity, "%q: a group attribute must be an entitlement, and the source needs a group schema.", a.Name)
		}
	}
	for _, k := range []string{result.IdentityAttribute, result.DisplayAttribute} {
		if k != "" && !names[strings.ToLower(k)] {
			return userErrorf(http.StatusUnprocessableEntity, "%q must stay an attribute of the schema: it is the identity or display attribute.", k)
		}
	}
	return nil
}

// schemaDelete handles "DELETE /sources/:id/schemas/:schemaId".
func (s *Server) schemaDelete(c echo.Context) error {
	id, schemaID, err := schemaPathIDs(c)
	if err != nil {
		return err
	}
	err = s.callAPIOnce(c, "delete schema "+schemaID+" of "+id, func(ctx context.Context, cl *api.Client) error {
		return cl.DeleteSourceSchema(ctx, id, schemaID)
	})
	if err != nil {
		return err
	}
	return s.goTo(c, schemasURL(id), "Schema deleted.")
}
