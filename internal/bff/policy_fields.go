package bff

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// The Provisioning tab edits a policy's fields as a table (name, type, transform
// and its attributes, field attributes, multi-valued), with add, remove and
// reorder done by the server, so the keyboard and no-JavaScript paths work the
// same. Saving writes the same policy JSON the JSON editor would: each row keeps
// the field's JSON as ISC sent it, so members the table does not show survive.

// policyFieldTypes are FieldDetailsDto.type's values.
var policyFieldTypes = []string{"string", "int", "long", "date", "boolean", "secret"}

// transformTypes are ISC's transform operations, offered for a field's transform.
var transformTypes = []string{"accountAttribute", "base64Decode", "base64Encode", "concat", "conditional", "dateCompare",
	"dateFormat", "dateMath", "decomposeDiacriticalMarks", "displayName", "e164phone", "firstValid", "generateRandomString",
	"getEndOfString", "getReferenceIdentityAttribute", "identityAttribute", "indexOf", "iso3166", "lastIndexOf", "leftPad",
	"lookup", "lower", "nameNormalizer", "randomAlphaNumeric", "randomNumeric", "reference", "replace", "replaceAll",
	"rfc5646", "rightPad", "rule", "split", "static", "substring", "trim", "upper", "usernameGenerator", "uuid"}

// policyEditor maps a policy's fields onto the table.
func policyEditor(sourceID, usage string, fields []api.FieldDetails) templates.PolicyEditorVM {
	e := templates.PolicyEditorVM{EditURL: policyURL(sourceID, usage) + "/fields/edit", SaveURL: policyURL(sourceID, usage) + "/fields",
		Errors: templates.FieldErrors{}, FieldTypes: policyFieldTypes}
	for _, f := range fields {
		orig, _ := json.Marshal(f)
		r := templates.PolicyEditRowVM{Name: f.Name, Type: f.Type, Required: f.IsRequired, Multi: f.IsMultiValued, Orig: string(orig)}
		var t string
		if raw, ok := f.Transform["type"]; ok {
			_ = json.Unmarshal(raw, &t)
		}
		r.TransformType = t
		if raw, ok := f.Transform["attributes"]; ok && len(raw) > 0 && string(raw) != "null" {
			r.TransformAttrs = compactJSON(raw)
		}
		if len(f.Attributes) > 0 {
			b, _ := json.Marshal(f.Attributes)
			r.Attrs = string(b)
		}
		e.Rows = append(e.Rows, r)
	}
	return withTransformTypes(e)
}

// withTransformTypes offers ISC's transform types plus any other the rows use,
// so an unusual one is never lost by saving.
func withTransformTypes(e templates.PolicyEditorVM) templates.PolicyEditorVM {
	types := slices.Clone(transformTypes)
	for _, r := range e.Rows {
		if r.TransformType != "" && !slices.Contains(types, r.TransformType) {
			types = append(types, r.TransformType)
		}
	}
	e.TransformTypes = types
	types = slices.Clone(policyFieldTypes)
	for _, r := range e.Rows {
		if r.Type != "" && !slices.Contains(types, r.Type) {
			types = append(types, r.Type)
		}
	}
	e.FieldTypes = types
	return e
}

func compactJSON(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// bindPolicyRows reads the table as typed.
func bindPolicyRows(form url.Values) []templates.PolicyEditRowVM {
	var rows []templates.PolicyEditRowVM
	for i := range formRows(form, "rows") {
		k := strconv.Itoa(i)
		r := templates.PolicyEditRowVM{
			Name: strings.TrimSpace(form.Get("name_" + k)), Type: form.Get("type_" + k),
			TransformType: form.Get("transform_" + k), TransformAttrs: form.Get("tattrs_" + k),
			Attrs: form.Get("attrs_" + k), Multi: form.Get("multi_"+k) == "true", Orig: form.Get("orig_" + k),
		}
		var orig api.FieldDetails
		if json.Unmarshal([]byte(r.Orig), &orig) == nil {
			r.Required = orig.IsRequired
		}
		rows = append(rows, r)
	}
	return rows
}

// applyPolicyOp adds, removes or moves a row ("add", "remove:3", "up:3", "down:3").
func applyPolicyOp(rows []templates.PolicyEditRowVM, op string) []templates.PolicyEditRowVM {
	verb, arg, _ := strings.Cut(op, ":")
	i, err := strconv.Atoi(arg)
	ok := err == nil && i >= 0 && i < len(rows)
	switch {
	case verb == "add" && len(rows) < maxFormRows:
		rows = append(rows, templates.PolicyEditRowVM{Type: "string"})
	case verb == "remove" && ok:
		rows = slices.Delete(rows, i, i+1)
	case verb == "up" && ok && i > 0:
		rows[i-1], rows[i] = rows[i], rows[i-1]
	case verb == "down" && ok && i < len(rows)-1:
		rows[i], rows[i+1] = rows[i+1], rows[i]
	}
	return rows
}

// policyFields turns the table into the policy's fields, with a message per
// cell at fault.
func policyFields(rows []templates.PolicyEditRowVM) ([]api.FieldDetails, templates.FieldErrors) {
	errs := templates.FieldErrors{}
	seen := map[string]int{}
	var out []api.FieldDetails
	for i, r := range rows {
		k := strconv.Itoa(i)
		var f api.FieldDetails
		if r.Orig != "" {
			_ = json.Unmarshal([]byte(r.Orig), &f) // keeps what the table does not show
		}
		switch {
		case r.Name == "":
			errs["name_"+k] = "Name the field (an account attribute)."
		case seen[strings.ToLower(r.Name)] > 0:
			errs["name_"+k] = fmt.Sprintf("Field %d has this name already.", seen[strings.ToLower(r.Name)])
		}
		seen[strings.ToLower(r.Name)] = i + 1
		f.Name, f.Type, f.IsMultiValued = r.Name, r.Type, r.Multi
		tattrs, msg := jsonObjectOrEmpty(r.TransformAttrs)
		if msg != "" {
			errs["tattrs_"+k] = msg
		}
		attrs, msg := jsonObjectOrEmpty(r.Attrs)
		if msg != "" {
			errs["attrs_"+k] = msg
		}
		t := maps.Clone(f.Transform)
		if t == nil {
			t = map[string]json.RawMessage{}
		}
		if r.TransformType == "" {
			t = map[string]json.RawMessage{} // no transform: ISC leaves the field empty
		} else {
			t["type"], _ = json.Marshal(r.TransformType)
			if tattrs != nil {
				t["attributes"], _ = json.Marshal(tattrs)
			} else {
				delete(t, "attributes")
			}
		}
		f.Transform = t
		f.Attributes = attrs
		if f.Attributes == nil {
			f.Attributes = map[string]json.RawMessage{}
		}
		out = append(out, f)
	}
	return out, errs
}

// jsonObjectOrEmpty parses a JSON object cell; empty means none.
func jsonObjectOrEmpty(text string) (map[string]json.RawMessage, string) {
	if strings.TrimSpace(text) == "" {
		return nil, ""
	}
	obj, msg := parseJSONObject(text)
	return obj, msg
}

// policyFieldsEdit handles "POST /sources/:id/provisioning/:usage/fields/edit": add,
// remove or move a row, or review the JSON Save would send. Nothing is saved.
func (s *Server) policyFieldsEdit(c echo.Context) error {
	id, usage, err := policyPathParams(c)
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	rows := applyPolicyOp(bindPolicyRows(form), form.Get("op"))
	e := withTransformTypes(policyEditor(id, usage, nil))
	e.Rows = rows
	e = withTransformTypes(e)
	if form.Get("op") == "review" {
		fields, errs := policyFields(rows)
		e.Errors = errs
		if len(errs) == 0 {
			cur, err := fetchAPI(s, c, "get policy "+usage+" of "+id, func(ctx context.Context, cl *api.Client) (*api.ProvisioningPolicy, error) {
				return cl.GetProvisioningPolicy(ctx, id, api.UsageType(usage))
			})
			if err != nil {
				return err
			}
			cur.Fields = fields
			b, _ := json.MarshalIndent(cur, "", "  ")
			e.Review = string(b)
		} else {
			e.FormError = "Some fields need attention."
		}
	}
	return s.renderFragment(c, http.StatusOK, templates.PolicyEditor(e))
}

// policyFieldsSave handles "POST /sources/:id/provisioning/:usage/fields": the table
// becomes the policy's fields, and the policy is replaced (putProvisioningPolicy)
// with its name, description and anything else as ISC has them.
func (s *Server) policyFieldsSave(c echo.Context) error {
	id, usage, err := policyPathParams(c)
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	rows := bindPolicyRows(form)
	fields, errs := policyFields(rows)
	fail := func(errs templates.FieldErrors, formError string) error {
		e := policyEditor(id, usage, nil)
		e.Rows, e.Errors, e.FormError = rows, errs, formError
		e = withTransformTypes(e)
		return s.formProblems(c, "policy-editor", templates.PolicyEditor(e), "provisioning", func() (*api.Source, templ.Component, error) {
			src, p, err := s.loadPolicy(c, id, usage)
			if err != nil {
				return nil, nil, err
			}
			vm := policyVM(src, p, usage)
			vm.Editor = e
			return src, templates.PolicyView(vm), nil
		})
	}
	if len(errs) > 0 {
		return fail(errs, "Some fields need attention; nothing was saved.")
	}
	var src *api.Source
	var saved *api.ProvisioningPolicy
	err = s.callAPIOnce(c, "save policy "+usage+" of "+id, func(ctx context.Context, cl *api.Client) error {
		var err error
		if src, err = cl.GetSource(ctx, id); err != nil {
			return err
		}
		cur, err := cl.GetProvisioningPolicy(ctx, id, api.UsageType(usage))
		if err != nil {
			return err
		}
		cur.Fields = fields
		if problems := validatePolicy(cur); len(problems) > 0 {
			return userErrorf(http.StatusUnprocessableEntity, "%s", strings.Join(problems, " "))
		}
		saved, err = cl.PutProvisioningPolicy(ctx, id, api.UsageType(usage), cur)
		return err
	})
	if msgs, ok := iscRejection(err); ok {
		return fail(templates.FieldErrors{}, "ISC refused the policy: "+strings.Join(msgs, " "))
	}
	if err != nil {
		return err
	}
	vm := policyVM(src, saved, usage)
	vm.Notice = "Policy saved."
	return s.renderSourceTab(c, http.StatusOK, src.ID, src, "provisioning", templates.PolicyView(vm))
}
