package bff

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/upload"
	"sourcedesk/web/templates"
)

// knownFeatures are offered as checkboxes on every source, besides the source's own.
var knownFeatures = []string{
	string(api.FeatureAuthenticate), string(api.FeatureDiscoverSchema), string(api.FeatureEnable),
	string(api.FeatureNoAggregation), string(api.FeaturePassword), string(api.FeatureProvisioning),
	string(api.FeatureGroupProvisioning), string(api.FeatureUnlock), string(api.FeatureDelete),
}

// configForm maps a source onto the edit form; form is the connector's own
// (nil when ISC did not send one).
func configForm(src *api.Source, form *api.SourceForm) templates.SourceConfigForm {
	f := templates.SourceConfigForm{
		Name:         src.Name,
		Description:  src.Description,
		BaseModified: string(src.Modified),
	}
	if r := src.Owner; r != nil {
		f.Owner, f.OwnerID, f.OwnerWas = cmp.Or(r.Name, r.ID), r.ID, cmp.Or(r.Name, r.ID)
	}
	if r := src.Cluster; r != nil {
		f.Cluster, f.ClusterID, f.ClusterWas = cmp.Or(r.Name, r.ID), r.ID, cmp.Or(r.Name, r.ID)
	}
	if r := src.ManagementWorkgroup; r != nil {
		f.Workgroup, f.WorkgroupID, f.WorkgroupWas = cmp.Or(r.Name, r.ID), r.ID, cmp.Or(r.Name, r.ID)
	}
	if src.DeleteThreshold != nil {
		f.DeleteThreshold = strconv.Itoa(*src.DeleteThreshold)
	}
	for _, ft := range src.Features {
		f.Features = append(f.Features, string(ft))
	}
	f.ConnectorAttributes = prettyJSON(otherAttrs(src.ConnectorAttributes, formAttrs(form)))
	f.Connection = connectionValues(src.ConnectorAttributes, form)
	f.WithConnection = form != nil
	return f
}

// bindConfigForm reads the edit form as typed.
func bindConfigForm(c echo.Context) (templates.SourceConfigForm, error) {
	form, err := readForm(c)
	if err != nil {
		return templates.SourceConfigForm{}, err
	}
	f := templates.SourceConfigForm{
		Name:                form.Get("name"),
		Description:         form.Get("description"),
		Owner:               form.Get("owner"),
		OwnerID:             strings.TrimSpace(form.Get("owner_id")),
		OwnerWas:            form.Get("owner_was"),
		Cluster:             form.Get("cluster"),
		ClusterID:           strings.TrimSpace(form.Get("cluster_id")),
		ClusterWas:          form.Get("cluster_was"),
		Workgroup:           form.Get("workgroup"),
		WorkgroupID:         strings.TrimSpace(form.Get("workgroup_id")),
		WorkgroupWas:        form.Get("workgroup_was"),
		DeleteThreshold:     strings.TrimSpace(form.Get("delete_threshold")),
		Features:            form["features"],
		ConnectorAttributes: form.Get("connector_attributes"),
		BaseModified:        form.Get("base_modified"),
		WithConnection:      form.Get("ca_form") == "1",
		Connection:          map[string]string{},
	}
	for k, v := range form {
		if attr, ok := strings.CutPrefix(k, connFieldPrefix); ok && len(v) > 0 {
			f.Connection[attr] = v[0]
		}
	}
	return f, nil
}

// configEdit is the edit form, checked and parsed.
type configEdit struct {
	name, description        string
	ownerID, clusterID, wgID string
	threshold                *int
	features                 []string
	attrs                    map[string]json.RawMessage
	// replaced are the secrets the edit sets (masked in the review).
	replaced map[string]bool
}

// checkConfigForm validates the form's own fields before anything is sent to
// ISC; the messages are for the fields they are keyed by. The pickers and the
// connection settings are checked by sourceConfigSubmit.
func checkConfigForm(f templates.SourceConfigForm) (configEdit, templates.FieldErrors) {
	e := configEdit{
		name:        strings.TrimSpace(f.Name),
		description: f.Description,
	}
	errs := checkSourceBasics(e.name, e.description, f.Owner)
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
	return e, errs
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

// configData is what the configuration tab is built from: the source and its
// connector's form (nil with a note when ISC did not send a usable one).
type configData struct {
	src      *api.Source
	form     *api.SourceForm
	formNote string
}

// loadConfig reads the source and its connector's form at the same time. The
// form is an extra: when ISC refuses it or sends something else, the tab says
// so and edits the connector attributes as JSON.
func (s *Server) loadConfig(c echo.Context, id string) (*configData, error) {
	d := &configData{}
	var detail *api.ConnectorDetail
	var dErr error
	src, err := s.getSource(c, id, func(ctx context.Context, cl *api.Client) error {
		detail, dErr = cl.GetSourceConfig(ctx, id, "")
		return signInLost(dErr)
	})
	if err != nil {
		return nil, err
	}
	d.src = src
	s.nameRefs(c, d.src)
	switch {
	case api.IsForbidden(dErr):
		d.formNote = "Your user level cannot read this connector's form, so its settings are edited as JSON below."
	case dErr != nil:
		d.formNote = "The connector's form could not be read (" + upstreamMessage(dErr) + "), so its settings are edited as JSON below."
	default:
		form, err := detail.Form("en")
		if err != nil {
			d.formNote = "ISC sent no form this console can read for this connector, so its settings are edited as JSON below."
		} else {
			d.form = form
		}
	}
	return d, nil
}

// configVM builds the configuration tab, with form as typed and errs next to
// its fields.
func (s *Server) configVM(c echo.Context, d *configData, form templates.SourceConfigForm, errs templates.FieldErrors) templates.SourceConfigVM {
	src := d.src
	feats := slices.Clone(knownFeatures)
	for _, f := range src.Features {
		feats = append(feats, string(f))
	}
	feats = append(feats, form.Features...)
	feats = slices.Compact(slices.Sorted(slices.Values(feats)))
	feats = slices.DeleteFunc(feats, func(s string) bool { return s == "" })
	created, _ := readableTime(src.Created)
	modified, _ := readableTime(src.Modified)
	if errs == nil {
		errs = templates.FieldErrors{}
	}
	values := form.Connection
	if !form.WithConnection {
		values = connectionValues(src.ConnectorAttributes, d.form)
	}
	wg := pickerVM(pickWorkgroup, "config-form", "workgroup", form.Workgroup, form.WorkgroupID, form.WorkgroupWas, isSubadmin(c), errs)
	if isSubadmin(c) {
		wg.Help = "A source admin of your level keeps each source in one of its own governance groups."
	}
	return templates.SourceConfigVM{
		Source:      sourceSummary(src),
		Form:        form,
		Errors:      errs,
		AllFeatures: feats,
		ReadOnly: []templates.KV{
			{Label: "ID", Value: src.ID, Mono: true},
			{Label: "Type", Value: orNone(src.Type)},
			{Label: "Connector", Value: orNone(cmp.Or(src.ConnectorName, src.Connector))},
			{Label: "Connector class", Value: orNone(src.ConnectorClass), Mono: true},
			{Label: "Connection type", Value: orNone(src.ConnectionType)},
			{Label: "Authoritative", Value: yesNo(src.Authoritative)},
			{Label: "Password policies", Value: refsText(src.PasswordPolicies)},
			{Label: "Created", Value: orNone(created)},
			{Label: "Modified", Value: orNone(modified)},
		},
		Replace:         prettyJSON(withoutSecrets(src, d.form)),
		Connection:      connectionVM(d.form, d.formNote, src.ConnectorAttributes, values, errs, accessOf(c).ConnectorFile, upload.FormatSize(s.cfg.UploadLimit)),
		OwnerPicker:     pickerVM(pickOwner, "config-form", "owner", form.Owner, form.OwnerID, form.OwnerWas, true, errs),
		ClusterPicker:   pickerVM(pickCluster, "config-form", "cluster", form.Cluster, form.ClusterID, form.ClusterWas, false, errs),
		WorkgroupPicker: wg,
	}
}

// withoutSecrets is src for the Advanced full replace: secret connector
// attributes are left out (the replace keeps the stored ones).
func withoutSecrets(src *api.Source, form *api.SourceForm) *api.Source {
	out := *src
	fields := formAttrs(form)
	out.ConnectorAttributes = map[string]json.RawMessage{}
	for k, v := range src.ConnectorAttributes {
		if !isSecretAttr(k, fields) {
			out.ConnectorAttributes[k] = v
		}
	}
	return &out
}

// sourceConfig handles "GET /sources/:id/configuration".
func (s *Server) sourceConfig(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.loadConfig(c, id)
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, d.src.ID, d.src, "configuration", templates.SourceConfig(s.configVM(c, d, configForm(d.src, d.form), nil)))
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

// configReviewTarget is the region a review lands in when the form is fine: the
// form stays as it is in the browser (with any secret typed into it, which the
// page never echoes), so "Apply" sends exactly what was reviewed.
const configReviewTarget = "config-review"

func (s *Server) sourceConfigSubmit(c echo.Context, apply bool) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := bindConfigForm(c)
	if err != nil {
		return err
	}
	d, err := s.loadConfig(c, id)
	if err != nil {
		return err
	}
	src := d.src
	edit, errs := checkConfigForm(form)
	// The pickers: what was typed must name exactly one object.
	pick := func(kind, field, typed, keepID, keepText string) string {
		return s.pickField(c, errs, kind, field, typed, keepID, keepText).ID
	}
	if _, bad := errs["owner"]; !bad {
		edit.ownerID = pick(pickOwner, "owner", form.Owner, form.OwnerID, form.OwnerWas)
	}
	edit.clusterID = pick(pickCluster, "cluster", form.Cluster, form.ClusterID, form.ClusterWas)
	edit.wgID = pick(pickWorkgroup, "workgroup", form.Workgroup, form.WorkgroupID, form.WorkgroupWas)
	if isSubadmin(c) && edit.wgID == "" && errs["workgroup"] == "" {
		errs["workgroup"] = "Choose one of your governance groups: a source of your level must stay in one."
	}
	// The connection settings and the other attributes.
	others, msg := parseJSONObject(form.ConnectorAttributes)
	if msg != "" {
		errs["connector_attributes"] = msg
	}
	formForMerge := d.form
	if !form.WithConnection {
		formForMerge = nil // a form without the fields: the JSON is all there is
	}
	attrs, replaced, connErrs := mergeConnection(src.ConnectorAttributes, formForMerge, form.Connection, others)
	maps.Copy(errs, connErrs)
	edit.attrs, edit.replaced = attrs, replaced

	reviewOnly := isHTMX(c) && c.Request().Header.Get("HX-Target") == configReviewTarget
	tab := func(status int, vm templates.SourceConfigVM) error {
		if reviewOnly {
			// Errors belong next to the fields: the whole tab comes back instead.
			c.Response().Header().Set("HX-Retarget", "#"+templates.SourceTabPanelID)
			c.Response().Header().Set("HX-Reswap", "innerHTML")
			c.Request().Header.Set("HX-Target", templates.SourceTabPanelID)
		}
		return s.renderSourceTab(c, status, src.ID, src, "configuration", templates.SourceConfig(vm))
	}
	vm := s.configVM(c, d, form, errs)
	if len(errs) > 0 {
		vm.FormError = "Some fields need attention; nothing was sent to ISC."
		if len(replaced) > 0 {
			vm.FormError += " Secrets you typed are not shown again: type them once more."
		}
		return tab(http.StatusUnprocessableEntity, vm)
	}
	ops := sourcePatch(src, edit)
	review := func() {
		vm.Review = prettyJSON(maskSecrets(ops, replaced))
		vm.ReviewCount = len(ops)
	}
	if len(ops) == 0 {
		vm.NoChanges = true
		vm.Form.BaseModified = string(src.Modified)
		if reviewOnly {
			return s.renderFragment(c, http.StatusOK, templates.ConfigReview(vm))
		}
		return tab(http.StatusOK, vm)
	}
	if !apply {
		review()
		if reviewOnly {
			return s.renderFragment(c, http.StatusOK, templates.ConfigReview(vm))
		}
		return tab(http.StatusOK, vm)
	}
	if form.BaseModified != string(src.Modified) {
		review()
		vm.Form.BaseModified = string(src.Modified)
		vm.FormError = "Someone changed this source after you opened the form, so nothing was applied. " +
			"Review the changes against the current source below, then apply again."
		return tab(http.StatusConflict, vm)
	}
	if len(replaced) > 0 {
		recordDetail(c, "secrets", strings.Join(slices.Sorted(maps.Keys(replaced)), ","))
	}
	updated, err := fetchAPI(s, c, "update source "+id, func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.UpdateSource(ctx, id, ops)
	})
	if msgs, ok := iscRejection(err); ok {
		review()
		vm.Errors, vm.FormError = fieldsFromISC(msgs, configFieldWords)
		return tab(http.StatusUnprocessableEntity, vm)
	}
	if err != nil {
		return err
	}
	d.src = updated
	vm = s.configVM(c, d, configForm(updated, d.form), nil)
	vm.Saved = fmt.Sprintf("Saved: %d change(s) applied.", len(ops))
	return s.renderSourceTab(c, http.StatusOK, updated.ID, updated, "configuration", templates.SourceConfig(vm))
}

// sourceReplace handles "POST /sources/:id/replace": a full replace (PUT) from the
// JSON textarea. Immutable fields are taken from the current source, whatever the
// text says.
func (s *Server) sourceReplace(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	text := form.Get("source_json")
	d, err := s.loadConfig(c, id)
	if err != nil {
		return err
	}
	src := d.src
	vm := s.configVM(c, d, configForm(src, d.form), nil)
	vm.Replace = text
	fail := func(msg string) error {
		vm.ReplaceError = msg
		return s.renderSourceTab(c, http.StatusUnprocessableEntity, src.ID, src, "configuration", templates.SourceConfig(vm))
	}
	if _, msg := parseJSONObject(text); msg != "" {
		return fail(msg)
	}
	var next api.Source
	if err := json.Unmarshal([]byte(text), &next); err != nil {
		return fail("The JSON does not have the shape of a source: " + jsonProblem(text, err))
	}
	if strings.TrimSpace(next.Name) == "" {
		return fail("The source needs a non-empty \"name\".")
	}
	next.ID, next.Type, next.Connector, next.ConnectorClass = src.ID, src.Type, src.Connector, src.ConnectorClass
	next.Authoritative, next.PasswordPolicies = src.Authoritative, src.PasswordPolicies
	// Secrets were left out of the JSON shown; the stored ones are kept.
	for k, v := range src.ConnectorAttributes {
		if _, typed := next.ConnectorAttributes[k]; !typed && isSecretAttr(k, formAttrs(d.form)) {
			if next.ConnectorAttributes == nil {
				next.ConnectorAttributes = map[string]json.RawMessage{}
			}
			next.ConnectorAttributes[k] = v
		}
	}
	updated, err := fetchAPI(s, c, "replace source "+id, func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.PutSource(ctx, id, &next)
	})
	if msgs, ok := iscRejection(err); ok {
		return fail("ISC refused the source: " + strings.Join(msgs, " "))
	}
	if err != nil {
		return err
	}
	d.src = updated
	vm = s.configVM(c, d, configForm(updated, d.form), nil)
	vm.Saved = "Saved: the source was replaced."
	return s.renderSourceTab(c, http.StatusOK, updated.ID, updated, "configuration", templates.SourceConfig(vm))
}

// configFieldWords are checked in order: the more specific words first, since "name"
// is part of many messages.
var configFieldWords = []fieldWord{
	{"deletethreshold", "delete_threshold"},
	{"connectorattributes", "connector_attributes"},
	{"managementworkgroup", "workgroup"},
	{"workgroup", "workgroup"},
	{"cluster", "cluster"},
	{"owner", "owner"},
	{"features", "features"},
	{"description", "description"},
	{"name", "name"},
}
