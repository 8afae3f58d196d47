package bff

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// The connection settings of the Configuration tab are laid out by the
// connector's own form (getSourceConfig's sourceConfig): a fieldset per
// section, a control per field. Their values are the source's
// connectorAttributes; the attributes the form does not cover stay editable as
// JSON ("Advanced"). Secrets are never sent to the browser: a secret field says
// whether one is set, and a value typed into it replaces it.

// connFieldPrefix prefixes the form fields of the connection settings.
const connFieldPrefix = "ca."

// secretName matches attribute names that hold secrets, for attributes outside
// the connector's form: those are kept as they are and never shown.
var secretName = regexp.MustCompile(`(?i)password|secret|token|private_?key|credential|passphrase|apikey`)

// formAttrs maps the form's fields by attribute.
func formAttrs(form *api.SourceForm) map[string]api.FormField {
	out := map[string]api.FormField{}
	if form == nil {
		return out
	}
	for _, f := range form.Fields() {
		if f.Attribute != "" {
			out[f.Attribute] = f
		}
	}
	return out
}

// isSecretAttr reports whether attr must never be shown: a secret field of the
// form, or (outside the form) a name that looks secret.
func isSecretAttr(attr string, fields map[string]api.FormField) bool {
	if f, ok := fields[attr]; ok {
		return f.Kind == api.FieldSecret
	}
	return secretName.MatchString(attr)
}

// otherAttrs are the connector attributes the form does not cover and that are
// not secret, for the "Advanced" JSON.
func otherAttrs(attrs map[string]json.RawMessage, fields map[string]api.FormField) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range attrs {
		if _, inForm := fields[k]; !inForm && !isSecretAttr(k, fields) {
			out[k] = v
		}
	}
	return out
}

// keptSecrets are the secret-looking attributes outside the form.
func keptSecrets(attrs map[string]json.RawMessage, fields map[string]api.FormField) []string {
	var out []string
	for k := range attrs {
		if _, inForm := fields[k]; !inForm && isSecretAttr(k, fields) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// attrText is a stored attribute as a field shows it.
func attrText(raw json.RawMessage, kind api.FieldKind) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if kind == api.FieldList {
		var list []any
		if json.Unmarshal(raw, &list) == nil {
			parts := make([]string, 0, len(list))
			for _, x := range list {
				parts = append(parts, fmt.Sprint(x))
			}
			return strings.Join(parts, "\n")
		}
	}
	return string(raw)
}

// attrChecked reads a stored checkbox attribute (true or "true").
func attrChecked(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && strings.EqualFold(s, "true")
}

// secretSet reports whether a secret attribute holds something.
func secretSet(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null" && string(raw) != `""`
}

// connectionValues are the stored connection settings as the form shows them.
func connectionValues(attrs map[string]json.RawMessage, form *api.SourceForm) map[string]string {
	out := map[string]string{}
	for attr, f := range formAttrs(form) {
		raw, ok := attrs[attr]
		switch {
		case f.Kind == api.FieldSecret:
		case f.Kind == api.FieldCheckbox:
			if (ok && attrChecked(raw)) || (!ok && f.Default == "true") {
				out[attr] = "true"
			}
		case ok:
			out[attr] = attrText(raw, f.Kind)
		}
	}
	return out
}

// connectionVM lays the form out with the values as typed (or stored).
func connectionVM(form *api.SourceForm, note string, attrs map[string]json.RawMessage, values map[string]string, errs templates.FieldErrors, canUpload bool, uploadSize string) templates.ConnectionVM {
	fields := formAttrs(form)
	vm := templates.ConnectionVM{Note: note, KeptSecrets: keptSecrets(attrs, fields)}
	if form == nil {
		return vm
	}
	vm.Available = true
	for _, m := range form.Menus {
		mv := templates.ConnMenuVM{Label: m.Label}
		for _, sec := range m.Sections {
			sv := templates.ConnSectionVM{Label: sec.Label, Info: sec.Info, DocLink: sec.DocLink, DocLinkLabel: sec.DocLinkLabel}
			for _, f := range sec.Fields {
				if f.Attribute == "" {
					continue
				}
				fv := templates.ConnFieldVM{
					Attr: f.Attribute, Kind: string(f.Kind), Label: f.Label, Help: f.Help, Placeholder: f.Placeholder,
					Required: f.Required, Value: values[f.Attribute], MaxLength: f.MaxLength,
					Error: errs[connFieldPrefix+f.Attribute],
				}
				if f.Min != nil {
					fv.Min = strconv.FormatInt(*f.Min, 10)
				}
				if f.Max != nil {
					fv.Max = strconv.FormatInt(*f.Max, 10)
				}
				switch f.Kind {
				case api.FieldCheckbox:
					fv.Checked = values[f.Attribute] == "true"
				case api.FieldSecret:
					fv.Value = "" // never echoed, not even what was typed
					fv.SecretSet = secretSet(attrs[f.Attribute])
				case api.FieldSelect:
					for _, o := range f.Options {
						fv.Options = append(fv.Options, templates.OptionVM{Value: o.Value, Label: o.Label})
					}
				case api.FieldFile:
					continue // uploaded on its own (see File)
				}
				sv.Fields = append(sv.Fields, fv)
			}
			mv.Sections = append(mv.Sections, sv)
		}
		vm.Menus = append(vm.Menus, mv)
	}
	for _, b := range form.Base {
		if b.Kind == api.FieldFile && canUpload {
			accept := ""
			for _, e := range b.Extensions {
				accept += "." + e + ","
			}
			vm.File = &templates.ConnFileVM{Label: cmp.Or(b.Label, "Connector file"), Accept: strings.TrimSuffix(accept, ","),
				MaxSizeMB: b.MaxSizeMB, UploadSize: uploadSize}
		}
	}
	return vm
}

// mergeConnection applies the connection settings as typed and the Advanced
// JSON of the other attributes to the stored attributes, checking each field
// first. It returns the attributes to send, the secrets that were replaced
// (to mask in the review) and the problems by form field.
func mergeConnection(stored map[string]json.RawMessage, form *api.SourceForm, values map[string]string, others map[string]json.RawMessage) (map[string]json.RawMessage, map[string]bool, templates.FieldErrors) {
	errs := templates.FieldErrors{}
	fields := formAttrs(form)
	out := maps.Clone(stored)
	if out == nil {
		out = map[string]json.RawMessage{}
	}
	replaced := map[string]bool{}
	for attr, f := range fields {
		key := connFieldPrefix + attr
		v := strings.TrimSpace(values[attr])
		if f.Kind == api.FieldTextarea {
			v = strings.TrimRight(values[attr], " \t\r\n")
		}
		set := func(x any) {
			b, _ := json.Marshal(x)
			out[attr] = b
		}
		missing := func() { errs[key] = f.Label + " is required." }
		switch f.Kind {
		case api.FieldFile:
			continue
		case api.FieldSecret:
			if v != "" {
				set(v)
				replaced[attr] = true
			} else if f.Required && !secretSet(stored[attr]) {
				errs[key] = f.Label + " is required: no secret is set yet, so type one."
			}
			continue
		case api.FieldCheckbox:
			_, stored := stored[attr]
			if stored || (v == "true") != (f.Default == "true") {
				set(v == "true") // an unset box left at its default stays unset
			}
			continue
		}
		if v == "" {
			if f.Required {
				missing()
			} else {
				delete(out, attr)
			}
			continue
		}
		if f.MaxLength > 0 && len([]rune(v)) > f.MaxLength {
			errs[key] = fmt.Sprintf("%s is limited to %d characters.", f.Label, f.MaxLength)
			continue
		}
		switch f.Kind {
		case api.FieldNumber:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs[key] = f.Label + " must be a whole number."
				continue
			}
			if (f.Min != nil && n < *f.Min) || (f.Max != nil && n > *f.Max) {
				errs[key] = fmt.Sprintf("%s must be from %s to %s.", f.Label, boundText(f.Min, "any"), boundText(f.Max, "any"))
				continue
			}
			set(n)
		case api.FieldSelect:
			ok := false
			for _, o := range f.Options {
				ok = ok || o.Value == values[attr] // options may hold spaces or a tab
			}
			if !ok {
				errs[key] = fmt.Sprintf("Choose one of the offered values for %s.", f.Label)
				continue
			}
			set(values[attr])
		case api.FieldURL:
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs[key] = f.Label + " must be an http(s) address, e.g. https://host.example.com."
				continue
			}
			set(v)
		case api.FieldList:
			set(lines(v))
		default:
			set(v)
		}
	}
	// The Advanced JSON replaces every attribute outside the form that is not secret.
	for k := range otherAttrs(stored, fields) {
		delete(out, k)
	}
	for k, v := range others {
		if _, inForm := fields[k]; inForm {
			errs["connector_attributes"] = fmt.Sprintf("%q has its own field under Connection settings; change it there, not in the JSON.", k)
			continue
		}
		if isSecretAttr(k, fields) {
			if _, kept := stored[k]; kept {
				errs["connector_attributes"] = fmt.Sprintf("%q is a stored secret; it is kept as it is and cannot be set here.", k)
				continue
			}
			replaced[k] = true
		}
		out[k] = v
	}
	return out, replaced, errs
}

func boundText(b *int64, none string) string {
	if b == nil {
		return none
	}
	return strconv.FormatInt(*b, 10)
}

// maskSecrets is ops as the review shows them: new secret values hidden.
func maskSecrets(ops []api.JSONPatchOperation, replaced map[string]bool) []api.JSONPatchOperation {
	out := slices.Clone(ops)
	for i, op := range out {
		attr, ok := strings.CutPrefix(op.Path, "/connectorAttributes/")
		if ok && replaced[strings.ReplaceAll(strings.ReplaceAll(attr, "~1", "/"), "~0", "~")] && op.Value != nil {
			out[i].Value = "(the new secret you typed; not shown)"
		}
	}
	return out
}
