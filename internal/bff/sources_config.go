package bff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// knownFeatures are offered as checkboxes on every source, besides the source's own.
var knownFeatures = []string{
	string(api.FeatureAuthenticate), string(api.FeatureDiscoverSchema), string(api.FeatureEnable),
	string(api.FeatureNoAggregation), string(api.FeaturePassword), string(api.FeatureProvisioning),
	string(api.FeatureGroupProvisioning), string(api.FeatureUnlock), string(api.FeatureDelete),
}

// configForm maps a source onto the edit form.
func configForm(src *api.Source) templates.SourceConfigForm {
	f := templates.SourceConfigForm{
		Name:         src.Name,
		Description:  src.Description,
		BaseModified: string(src.Modified),
	}
	if src.Owner != nil {
		f.OwnerID = src.Owner.ID
	}
	if src.Cluster != nil {
		f.ClusterID = src.Cluster.ID
	}
	if src.ManagementWorkgroup != nil {
		f.WorkgroupID = src.ManagementWorkgroup.ID
	}
	if src.DeleteThreshold != nil {
		f.DeleteThreshold = strconv.Itoa(*src.DeleteThreshold)
	}
	for _, ft := range src.Features {
		f.Features = append(f.Features, string(ft))
	}
	attrs := src.ConnectorAttributes
	if attrs == nil {
		attrs = map[string]json.RawMessage{}
	}
	f.ConnectorAttributes = prettyJSON(attrs)
	return f
}

// bindConfigForm reads the edit form as typed.
func bindConfigForm(c echo.Context) (templates.SourceConfigForm, error) {
	form, err := c.FormParams()
	if err != nil {
		return templates.SourceConfigForm{}, userErrorf(http.StatusBadRequest, "The form could not be read.")
	}
	return templates.SourceConfigForm{
		Name:                form.Get("name"),
		Description:         form.Get("description"),
		OwnerID:             strings.TrimSpace(form.Get("owner_id")),
		ClusterID:           strings.TrimSpace(form.Get("cluster_id")),
		WorkgroupID:         strings.TrimSpace(form.Get("workgroup_id")),
		DeleteThreshold:     strings.TrimSpace(form.Get("delete_threshold")),
		Features:            form["features"],
		ConnectorAttributes: form.Get("connector_attributes"),
		BaseModified:        form.Get("base_modified"),
	}, nil
}

// configEdit is the edit form, checked and parsed.
type configEdit struct {
	name, description        string
	ownerID, clusterID, wgID string
	threshold                *int
	features                 []string
	attrs                    map[string]json.RawMessage
}

// checkConfigForm validates the form before anything is sent to ISC; the messages
// are for the fields they are keyed by.
func checkConfigForm(f templates.SourceConfigForm) (configEdit, templates.FieldErrors) {
	errs := templates.FieldErrors{}
	e := configEdit{
		name:        strings.TrimSpace(f.Name),
		description: f.Description,
		ownerID:     f.OwnerID,
		clusterID:   f.ClusterID,
		wgID:        f.WorkgroupID,
	}
	switch {
	case e.name == "":
		errs["name"] = "Enter a name."
	case len(e.name) > 128:
		errs["name"] = "The name is limited to 128 characters."
	}
	if len(e.description) > 2000 {
		errs["description"] = "The description is limited to 2000 characters."
	}
	if e.ownerID == "" {
		errs["owner_id"] = "Enter the owner's identity id."
	} else if !validSourceID(e.ownerID) {
		errs["owner_id"] = "An identity id has only letters, digits, - and _."
	}
	if e.clusterID != "" && !validSourceID(e.clusterID) {
		errs["cluster_id"] = "A cluster id has only letters, digits, - and _."
	}
	if e.wgID != "" && !validSourceID(e.wgID) {
		errs["workgroup_id"] = "A workgroup id has only letters, digits, - and _."
	}
	if f.DeleteThreshold != "" {
		n, err := strconv.Atoi(f.DeleteThreshold)
		if err != nil || n < 0 || n > 100 {
			errs["delete_threshold"] = "Enter a whole number from 0 to 100, or leave it empty."
		} else {
			e.threshold = &n
		}
	}
	for _, ft := range f.Features {
		if ft == "" || strings.ToUpper(ft) != ft || strings.ContainsAny(ft, " \t\r\n\"") {
			errs["features"] = "Features are upper-case names such as PROVISIONING."
			break
		}
	}
	e.features = slices.Compact(slices.Sorted(slices.Values(f.Features)))
	attrs, msg := parseJSONObject(f.ConnectorAttributes)
	if msg != "" {
		errs["connector_attributes"] = msg
	}
	e.attrs = attrs
	return e, errs
}

// parseJSONObject parses a JSON object typed into a textarea, with a message that says
// where it is wrong.
func parseJSONObject(text string) (map[string]json.RawMessage, string) {
	if strings.TrimSpace(text) == "" {
		return map[string]json.RawMessage{}, ""
	}
	dec := json.NewDecoder(strings.NewReader(text))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := lineCol(text, se.Offset)
			return nil, fmt.Sprintf("This is not valid JSON (line %d, column %d): %s.", line, col, se.Error())
		case errors.As(err, &te):
			return nil, "Enter a JSON object: { \"name\": value, … }."
		default:
			return nil, "This is not valid JSON: it ends too early."
		}
	}
	if obj == nil {
		return nil, "Enter a JSON object: { \"name\": value, … }, not null."
	}
	if dec.More() {
		return nil, "Enter one JSON object only; there is more text after it."
	}
	return obj, ""
}

func lineCol(text string, offset int64) (int, int) {
	if offset > int64(len(text)) {
		offset = int64(len(text))
	}
	before := text[:offset]
	line := strings.Count(before, "\n") + 1
	col := int(offset) - strings.LastIndex(before, "\n")
	return line, col
}

// sourcePatch computes the JSON Patch that turns src into the edited form: one
// operation per changed field (and per changed connector attribute), so that ISC
// receives the smallest change and a concurrent edit of another field survives.
// Fields that do not exist yet are added, emptied ones removed.
func sourcePatch(src *api.Source, e configEdit) []api.JSONPatchOperation {
	var ops []api.JSONPatchOperation
	set := func(path string, exists bool, v any) {
		if exists {
			ops = append(ops, api.PatchReplace(path, v))
		} else {
			ops = append(ops, api.PatchAdd(path, v))
		}
	}
	if e.name != src.Name {
		set("/name", true, e.name)
	}
	if e.description != src.Description {
		// Description is omitted from the wire when empty, so it may not exist.
		set("/description", src.Description != "", e.description)
	}
	if src.Owner == nil || e.ownerID != src.Owner.ID {
		set("/owner", src.Owner != nil, map[string]string{"type": string(api.DtoIdentity), "id": e.ownerID})
	}
	refOp := func(path string, old *api.Reference, newID string, typ api.DtoType) {
		switch {
		case old == nil && newID == "":
		case old != nil && newID == "":
			ops = append(ops, api.PatchRemove(path))
		case old == nil || old.ID != newID:
			set(path, old != nil, map[string]string{"type": string(typ), "id": newID})
		}
	}
	refOp("/cluster", src.Cluster, e.clusterID, api.DtoCluster)
	refOp("/managementWorkgroup", src.ManagementWorkgroup, e.wgID, api.DtoGovernanceGroup)
	switch {
	case src.DeleteThreshold == nil && e.threshold == nil:
	case src.DeleteThreshold != nil && e.threshold == nil:
		ops = append(ops, api.PatchRemove("/deleteThreshold"))
	case src.DeleteThreshold == nil || *src.DeleteThreshold != *e.threshold:
		set("/deleteThreshold", src.DeleteThreshold != nil, *e.threshold)
	}
	var oldFeatures []string
	for _, f := range src.Features {
		oldFeatures = append(oldFeatures, string(f))
	}
	if !slices.Equal(slices.Compact(slices.Sorted(slices.Values(oldFeatures))), e.features) {
		feats := e.features
		if feats == nil {
			feats = []string{}
		}
		set("/features", len(src.Features) > 0, feats)
	}
	if src.ConnectorAttributes == nil {
		if len(e.attrs) > 0 {
			ops = append(ops, api.PatchAdd("/connectorAttributes", e.attrs))
		}
		return ops
	}
	keys := make([]string, 0, len(src.ConnectorAttributes)+len(e.attrs))
	for k := range src.ConnectorAttributes {
		keys = append(keys, k)
	}
	for k := range e.attrs {
		if _, ok := src.ConnectorAttributes[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := "/connectorAttributes/" + pointerEscape(k)
		oldV, inOld := src.ConnectorAttributes[k]
		newV, inNew := e.attrs[k]
		switch {
		case inOld && !inNew:
			ops = append(ops, api.PatchRemove(path))
		case !inOld && inNew:
			ops = append(ops, api.PatchAdd(path, newV))
		case !sameJSON(oldV, newV):
			ops = append(ops, api.PatchReplace(path, newV))
		}
	}
	return ops
}

// pointerEscape escapes a member name for a JSON Pointer (RFC 6901).
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// sameJSON reports whether two JSON texts hold the same value, whatever their spacing.
func sameJSON(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

// configVM builds the configuration tab for src, with form as typed.
func configVM(src *api.Source, form templates.SourceConfigForm) templates.SourceConfigVM {
	feats := slices.Clone(knownFeatures)
	for _, f := range src.Features {
		feats = append(feats, string(f))
	}
	feats = append(feats, form.Features...)
	feats = slices.Compact(slices.Sorted(slices.Values(feats)))
	feats = slices.DeleteFunc(feats, func(s string) bool { return s == "" })
	created, _ := readableTime(src.Created)
	modified, _ := readableTime(src.Modified)
	return templates.SourceConfigVM{
		Source:      sourceSummary(src),
		Form:        form,
		Errors:      templates.FieldErrors{},
		AllFeatures: feats,
		ReadOnly: []templates.KV{
			{Label: "ID", Value: src.ID, Mono: true},
			{Label: "Type", Value: orNone(src.Type)},
			{Label: "Connector", Value: orNone(src.Connector)},
			{Label: "Connector class", Value: orNone(src.ConnectorClass), Mono: true},
			{Label: "Connection type", Value: orNone(src.ConnectionType)},
			{Label: "Authoritative", Value: yesNo(src.Authoritative)},
			{Label: "Password policies", Value: refsText(src.PasswordPolicies)},
			{Label: "Created", Value: orNone(created)},
			{Label: "Modified", Value: orNone(modified)},
		},
		Replace: prettyJSON(src),
	}
}

// sourceConfig handles "GET /sources/:id/configuration".
func (s *Server) sourceConfig(c echo.Context) error {
	id, err := sourceIDParam(c)
	if err != nil {
		return err
	}
	src, err := s.getSource(c, id)
	if err != nil {
		return err
	}
	return s.renderSourceTabFor(c, http.StatusOK, src, "configuration", templates.SourceConfig(configVM(src, configForm(src))))
}

// sourceConfigReview handles "POST /sources/:id/configuration/review": it checks the
// form and shows the JSON Patch that applying it would send.
func (s *Server) sourceConfigReview(c echo.Context) error {
	return s.sourceConfigSubmit(c, false)
}

// sourceConfigApply handles "POST /sources/:id/configuration": it recomputes the
// patch against the source as it is now and applies it (PATCH). If the source
// changed since the form was loaded, nothing is applied and the new patch is shown.
func (s *Server) sourceConfigApply(c echo.Context) error {
	return s.sourceConfigSubmit(c, true)
}

func (s *Server) sourceConfigSubmit(c echo.Context, apply bool) error {
	id, err := sourceIDParam(c)
	if err != nil {
		return err
	}
	form, err := bindConfigForm(c)
	if err != nil {
		return err
	}
	src, err := s.getSource(c, id)
	if err != nil {
		return err
	}
	vm := configVM(src, form)
	edit, errs := checkConfigForm(form)
	if len(errs) > 0 {
		vm.Errors = errs
		vm.FormError = "Some fields need attention; nothing was sent to ISC."
		return s.renderSourceTabFor(c, http.StatusUnprocessableEntity, src, "configuration", templates.SourceConfig(vm))
	}
	ops := sourcePatch(src, edit)
	if len(ops) == 0 {
		vm.NoChanges = true
		vm.Form.BaseModified = string(src.Modified)
		return s.renderSourceTabFor(c, http.StatusOK, src, "configuration", templates.SourceConfig(vm))
	}
	review := func() {
		vm.Review = prettyJSON(ops)
		vm.ReviewCount = len(ops)
	}
	if !apply {
		review()
		return s.renderSourceTabFor(c, http.StatusOK, src, "configuration", templates.SourceConfig(vm))
	}
	if form.BaseModified != string(src.Modified) {
		review()
		vm.Form.BaseModified = string(src.Modified)
		vm.FormError = "Someone changed this source after you opened the form, so nothing was applied. " +
			"Review the changes against the current source below, then apply again."
		return s.renderSourceTabFor(c, http.StatusConflict, src, "configuration", templates.SourceConfig(vm))
	}
	updated, err := fetchAPI(s, c, func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.UpdateSource(ctx, id, ops)
	})
	if msgs, ok := iscRejection(err); ok {
		review()
		vm.Errors, vm.FormError = fieldsFromISC(msgs, configFieldWords)
		return s.renderSourceTabFor(c, http.StatusUnprocessableEntity, src, "configuration", templates.SourceConfig(vm))
	}
	if err != nil {
		return fmt.Errorf("update source %s: %w", id, err)
	}
	vm = configVM(updated, configForm(updated))
	vm.Saved = fmt.Sprintf("Saved: %d change(s) applied.", len(ops))
	return s.renderSourceTabFor(c, http.StatusOK, updated, "configuration", templates.SourceConfig(vm))
}

// sourceReplace handles "POST /sources/:id/replace": a full replace (PUT) from the
// JSON textarea. Immutable fields are taken from the current source, whatever the
// text says.
func (s *Server) sourceReplace(c echo.Context) error {
	id, err := sourceIDParam(c)
	if err != nil {
		return err
	}
	text := c.FormValue("source_json")
	src, err := s.getSource(c, id)
	if err != nil {
		return err
	}
	vm := configVM(src, configForm(src))
	vm.Replace = text
	fail := func(msg string) error {
		vm.ReplaceError = msg
		return s.renderSourceTabFor(c, http.StatusUnprocessableEntity, src, "configuration", templates.SourceConfig(vm))
	}
	if _, msg := parseJSONObject(text); msg != "" {
		return fail(msg)
	}
	var next api.Source
	if err := json.Unmarshal([]byte(text), &next); err != nil {
		return fail("The JSON does not have the shape of a source: " + jsonTypeProblem(err))
	}
	if strings.TrimSpace(next.Name) == "" {
		return fail("The source needs a non-empty \"name\".")
	}
	next.ID, next.Type, next.Connector, next.ConnectorClass = src.ID, src.Type, src.Connector, src.ConnectorClass
	next.Authoritative, next.PasswordPolicies = src.Authoritative, src.PasswordPolicies
	updated, err := fetchAPI(s, c, func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.PutSource(ctx, id, &next)
	})
	if msgs, ok := iscRejection(err); ok {
		return fail("ISC refused the source: " + strings.Join(msgs, " "))
	}
	if err != nil {
		return fmt.Errorf("replace source %s: %w", id, err)
	}
	vm = configVM(updated, configForm(updated))
	vm.Saved = "Saved: the source was replaced."
	return s.renderSourceTabFor(c, http.StatusOK, updated, "configuration", templates.SourceConfig(vm))
}

func jsonTypeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%q must be a %s, not a %s.", te.Field, te.Type.Kind(), te.Value)
	}
	return "a field has the wrong type."
}

// iscRejection reports whether err is ISC refusing the input (400), with its messages.
func iscRejection(err error) ([]string, bool) {
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		return nil, false
	}
	msgs := ae.Messages
	if len(msgs) == 0 {
		msgs = []string{"ISC refused the request without saying why."}
	}
	return msgs, true
}

// fieldWord maps a word in ISC's messages to the form field it is about.
type fieldWord struct{ word, field string }

// configFieldWords are checked in order: the more specific words first, since "name"
// is part of many messages.
var configFieldWords = []fieldWord{
	{"deletethreshold", "delete_threshold"},
	{"connectorattributes", "connector_attributes"},
	{"managementworkgroup", "workgroup_id"},
	{"workgroup", "workgroup_id"},
	{"cluster", "cluster_id"},
	{"owner", "owner_id"},
	{"features", "features"},
	{"description", "description"},
	{"name", "name"},
}

// fieldsFromISC puts ISC's messages next to the fields they name; the rest go on top
// of the form.
func fieldsFromISC(msgs []string, words []fieldWord) (templates.FieldErrors, string) {
	errs := templates.FieldErrors{}
	var rest []string
	for _, m := range msgs {
		lower := strings.ToLower(m)
		placed := false
		for _, w := range words {
			if strings.Contains(lower, w.word) {
				if prev, ok := errs[w.field]; ok {
					m = prev + " " + m
				}
				errs[w.field] = "ISC says: " + strings.TrimPrefix(m, "ISC says: ")
				placed = true
				break
			}
		}
		if !placed {
			rest = append(rest, m)
		}
	}
	top := "ISC refused the change; see the messages next to the fields."
	if len(rest) > 0 {
		top = "ISC refused the change: " + strings.Join(rest, " ")
	}
	return errs, top
}
