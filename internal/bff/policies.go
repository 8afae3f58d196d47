package bff

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

func policiesURL(sourceID string) string {
	return "/sources/" + url.PathEscape(sourceID) + "/provisioning"
}

func policyURL(sourceID, usage string) string { return policiesURL(sourceID) + "/" + usage }

// fieldTypes are the types a provisioning policy field may have.
var fieldTypes = []string{"string", "int", "long", "date", "boolean", "secret"}

// policyPathParams reads the :id and :usage of a policy's routes: a plausible ISC id
// and a usage type of the enum (upper-cased), or a 404.
func policyPathParams(c echo.Context) (id, usage string, err error) {
	if id, err = pathID(c, "id"); err != nil {
		return "", "", err
	}
	usage = strings.ToUpper(c.Param("usage"))
	if !slices.Contains(templates.UsageTypes, usage) {
		return "", "", userErrorf(http.StatusNotFound, "There is no usage type %q.", c.Param("usage"))
	}
	return id, usage, nil
}

// policiesTab handles "GET /sources/:id/provisioning": the source's provisioning
// policies, in the order of the usage type enum.
func (s *Server) policiesTab(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	src, policies, err := s.loadPolicies(c, id)
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, src.ID, src, "provisioning", templates.PoliciesTab(policiesVM(src, policies, nil, nil)))
}

func (s *Server) loadPolicies(c echo.Context, id string) (*api.Source, []api.ProvisioningPolicy, error) {
	var src *api.Source
	var policies []api.ProvisioningPolicy
	err := s.callAPI(c, "list policies of "+id, func(ctx context.Context, cl *api.Client) error {
		var err error
		if src, err = cl.GetSource(ctx, id); err != nil {
			return err
		}
		policies, err = cl.ListProvisioningPolicies(ctx, id)
		return err
	})
	return src, policies, err
}

// policiesVM maps the policies into the tab. create and bulk, when set, are forms to
// show as the user left them (with their problems).
func policiesVM(src *api.Source, policies []api.ProvisioningPolicy, create *templates.PolicyCreateVM, bulk *templates.JSONEditorVM) templates.PoliciesVM {
	slices.SortStableFunc(policies, func(a, b api.ProvisioningPolicy) int {
		return usageRank(string(a.UsageType)) - usageRank(string(b.UsageType))
	})
	vm := templates.PoliciesVM{Source: sourceSummary(src)}
	used := map[string]bool{}
	for _, p := range policies {
		used[string(p.UsageType)] = true
		vm.Policies = append(vm.Policies, templates.PolicyRowVM{
			UsageType: string(p.UsageType), Name: p.Name, Description: p.Description, Fields: len(p.Fields),
			URL: policyURL(src.ID, string(p.UsageType)),
		})
	}
	if create != nil {
		vm.Create = *create
	} else {
		vm.Create = templates.PolicyCreateVM{Fields: "[\n  {\n    \"name\": \"displayName\",\n    \"type\": \"string\",\n    \"isMultiValued\": false,\n    \"transform\": {\"type\": \"identityAttribute\", \"attributes\": {\"name\": \"displayName\"}},\n    \"attributes\": {}\n  }\n]"}
	}
	vm.Create.URL = policiesURL(src.ID)
	vm.Create.UsageTypes = nil
	for _, u := range templates.UsageTypes {
		if !used[u] {
			vm.Create.UsageTypes = append(vm.Create.UsageTypes, u)
		}
	}
	if bulk != nil {
		vm.Bulk = *bulk
	} else {
		b, _ := json.MarshalIndent(policies, "", "  ")
		vm.Bulk = templates.JSONEditorVM{Text: string(b)}
	}
	vm.Bulk.ID, vm.Bulk.Title, vm.Bulk.URL, vm.Bulk.Method, vm.Bulk.Field = "policy-bulk", "All policies (JSON array)", policiesURL(src.ID)+"/bulk", "post", "policies"
	vm.Bulk.Help, vm.Bulk.Submit, vm.Bulk.Target = "Every policy in the array is replaced at once.", "Update all", "#source-tab"
	return vm
}

func usageRank(u string) int {
	if i := slices.Index(templates.UsageTypes, u); i >= 0 {
		return i
	}
	return len(templates.UsageTypes)
}

// policyView handles "GET /sources/:id/provisioning/:usage": one policy's fields.
func (s *Server) policyView(c echo.Context) error {
	id, usage, err := policyPathParams(c)
	if err != nil {
		return err
	}
	src, p, err := s.loadPolicy(c, id, usage)
	if err != nil {
		return err
	}
	vm := policyVM(src, p, usage)
	return s.renderSourceTab(c, http.StatusOK, src.ID, src, "provisioning", templates.PolicyView(vm))
}

// loadPolicy reads the source and its policy for usage.
func (s *Server) loadPolicy(c echo.Context, id, usage string) (*api.Source, *api.ProvisioningPolicy, error) {
	var p *api.ProvisioningPolicy
	src, err := s.getSource(c, id, func(ctx context.Context, cl *api.Client) error {
		var err error
		p, err = cl.GetProvisioningPolicy(ctx, id, api.UsageType(usage))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return src, p, nil
}

func policyVM(src *api.Source, p *api.ProvisioningPolicy, usage string) templates.PolicyVM {
	vm := templates.PolicyVM{
		Source: sourceSummary(src), UsageType: usage, Name: p.Name, Description: p.Description,
		ListURL: policiesURL(src.ID), DeleteURL: policyURL(src.ID, usage),
	}
	for _, f := range p.Fields {
		t, _ := json.Marshal(f.Transform)
		a, _ := json.Marshal(f.Attributes)
		vm.Fields = append(vm.Fields, templates.PolicyFieldVM{
			Name: f.Name, Type: f.Type, Required: f.IsRequired, Multi: f.IsMultiValued, Transform: string(t), Attributes: string(a),
		})
	}
	vm.Editor = policyEditor(src.ID, usage, p.Fields)
	text, _ := json.MarshalIndent(p, "", "  ")
	vm.Replace = templates.JSONEditorVM{ID: "policy-replace", Title: "The whole policy (JSON)", URL: policyURL(src.ID, usage),
		Method: "put", Field: "policy", Text: string(text), Submit: "Replace policy", Target: "#source-tab",
		Help: "Edit fields and their transforms; the console checks the JSON before it goes to ISC. isRequired is computed by ISC and ignored."}
	vm.Patch = templates.JSONEditorVM{ID: "policy-patch", Title: "JSON Patch operations", URL: policyURL(src.ID, usage),
		Method: "patch", Field: "patch", Text: `[{"op": "replace", "path": "/description", "value": "…"}]`, Submit: "Apply patch", Target: "#source-tab"}
	return vm
}

// validatePolicy checks a policy as ISC would and more strictly where the console
// can help: a name, a known usage type, uniquely named fields of known types, and
// transforms that are objects with a type.
func validatePolicy(p *api.ProvisioningPolicy) []string {
	var problems []string
	if strings.TrimSpace(p.Name) == "" {
		problems = append(problems, "The policy needs a name.")
	}
	if !slices.Contains(templates.UsageTypes, string(p.UsageType)) {
		problems = append(problems, fmt.Sprintf("The usage type %q is not one of %s.", p.UsageType, strings.Join(templates.UsageTypes, ", ")))
	}
	problems = append(problems, validateFields(p.Fields)...)
	return problems
}

func validateFields(fields []api.FieldDetails) []string {
	var problems []string
	seen := map[string]bool{}
	for i, f := range fields {
		where := fmt.Sprintf("Field %d", i+1)
		if f.Name != "" {
			where = fmt.Sprintf("Field %q", f.Name)
		}
		switch {
		case strings.TrimSpace(f.Name) == "":
			problems = append(problems, where+" needs a name.")
		case seen[f.Name]:
			problems = append(problems, where+" appears twice.")
		}
		seen[f.Name] = true
		if f.Type != "" && !slices.Contains(fieldTypes, f.Type) {
			problems = append(problems, fmt.Sprintf("%s: the type %q is not one of %s.", where, f.Type, strings.Join(fieldTypes, ", ")))
		}
		if len(f.Transform) > 0 {
			var typ string
			if raw, ok := f.Transform["type"]; !ok || json.Unmarshal(raw, &typ) != nil || typ == "" {
				problems = append(problems, where+": a transform needs a \"type\" (e.g. \"identityAttribute\", \"static\").")
			}
		}
	}
	return problems
}

// policyCreate handles "POST /sources/:id/provisioning": a new policy from the form.
func (s *Server) policyCreate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	f := templates.PolicyCreateVM{
		UsageType: form.Get("usageType"), Name: strings.TrimSpace(form.Get("name")),
		Description: strings.TrimSpace(form.Get("description")), Fields: form.Get("fields"),
	}
	p := &api.ProvisioningPolicy{Name: f.Name, Description: f.Description, UsageType: api.UsageType(f.UsageType)}
	if strings.TrimSpace(f.Fields) != "" {
		if err := decodeStrict(f.Fields, &p.Fields); err != nil {
			f.Errors = append(f.Errors, "Fields: "+jsonProblem(f.Fields, err))
		}
	}
	if len(f.Errors) == 0 {
		f.Errors = validatePolicy(p)
	}
	if len(f.Errors) > 0 {
		src, policies, err := s.loadPolicies(c, id)
		if err != nil {
			return err
		}
		vm := policiesVM(src, policies, &f, nil)
		return s.formProblems(c, "policy-create", templates.PolicyCreateForm(vm.Create), "provisioning", func() (*api.Source, templ.Component, error) {
			return src, templates.PoliciesTab(vm), nil
		})
	}
	err = s.callAPIOnce(c, "create policy on "+id, func(ctx context.Context, cl *api.Client) error {
		_, err := cl.CreateProvisioningPolicy(ctx, id, p)
		return err
	})
	if err != nil {
		return err
	}
	return s.goTo(c, policyURL(id, f.UsageType), "Provisioning policy "+f.UsageType+" created.")
}

// policyReplace handles "PUT /sources/:id/provisioning/:usage": the whole policy from
// the JSON editor.
func (s *Server) policyReplace(c echo.Context) error {
	return s.policyWrite(c, "policy", func(ctx context.Context, cl *api.Client, id, usage, text string) ([]string, *api.ProvisioningPolicy, error) {
		var p api.ProvisioningPolicy
		if err := decodeStrict(text, &p); err != nil {
			return []string{jsonProblem(text, err)}, nil, nil
		}
		if p.UsageType == "" {
			p.UsageType = api.UsageType(usage)
		}
		if string(p.UsageType) != usage {
			return []string{fmt.Sprintf("The usage type is %s on this page; create a new policy for %s instead.", usage, p.UsageType)}, nil, nil
		}
		if problems := validatePolicy(&p); len(problems) > 0 {
			return problems, nil, nil
		}
		out, err := cl.PutProvisioningPolicy(ctx, id, api.UsageType(usage), &p)
		return nil, out, err
	})
}

// policyPatch handles "PATCH /sources/:id/provisioning/:usage": JSON Patch operations
// from the editor, checked against the current policy before they are sent.
func (s *Server) policyPatch(c echo.Context) error {
	return s.policyWrite(c, "patch", func(ctx context.Context, cl *api.Client, id, usage, text string) ([]string, *api.ProvisioningPolicy, error) {
		var ops []api.JSONPatchOperation
		if err := decodeStrict(text, &ops); err != nil {
			return []string{jsonProblem(text, err)}, nil, nil
		}
		if len(ops) == 0 {
			return []string{"The patch has no operations."}, nil, nil
		}
		for i, op := range ops {
			if !slices.Contains([]string{"add", "remove", "replace", "move", "copy", "test"}, op.Op) || !strings.HasPrefix(op.Path, "/") {
				return []string{fmt.Sprintf("Operation %d needs an op (add, remove, replace, move, copy, test) and a path starting with /.", i+1)}, nil, nil
			}
			if op.Path == "/usageType" {
				return []string{"The usage type cannot be patched."}, nil, nil
			}
		}
		cur, err := cl.GetProvisioningPolicy(ctx, id, api.UsageType(usage))
		if err != nil {
			return nil, nil, err
		}
		next, problem := applyJSONPatch(cur, ops)
		if problem != "" {
			return []string{problem}, nil, nil
		}
		if problems := validatePolicy(next); len(problems) > 0 {
			return problems, nil, nil
		}
		out, err := cl.UpdateProvisioningPolicy(ctx, id, api.UsageType(usage), ops)
		return nil, out, err
	})
}

// applyJSONPatch applies ops to a copy of p, to validate the outcome before ISC does.
func applyJSONPatch(p *api.ProvisioningPolicy, ops []api.JSONPatchOperation) (*api.ProvisioningPolicy, string) {
	var out api.ProvisioningPolicy
	if err := patchJSON(p, ops, &out); err != nil {
		return nil, "The patch does not apply to the current policy: " + err.Error()
	}
	return &out, ""
}

// policyWrite is the shared flow of replace and patch: read the editor's text (field),
// let write validate and send it, and answer with the updated view, or 422 with the
// editor and its problems.
func (s *Server) policyWrite(c echo.Context, field string,
	write func(ctx context.Context, cl *api.Client, id, usage, text string) ([]string, *api.ProvisioningPolicy, error)) error {
	id, usage, err := policyPathParams(c)
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	text := form.Get(field)
	var problems []string
	var updated *api.ProvisioningPolicy
	src, err := fetchAPI(s, c, "get source "+id, func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.GetSource(ctx, id)
	})
	if err != nil {
		return err
	}
	err = s.callAPIOnce(c, "write policy "+usage+" of "+id, func(ctx context.Context, cl *api.Client) error {
		var err error
		problems, updated, err = write(ctx, cl, id, usage, text)
		return err
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		// The editor comes back as typed, with its problems; a full page shows it in
		// the policy as ISC has it now.
		withProblems := func(vm *templates.PolicyVM) templates.JSONEditorVM {
			ed := &vm.Replace
			if field == "patch" {
				ed = &vm.Patch
			}
			ed.Text, ed.Errors = text, problems
			return *ed
		}
		blank := policyVM(src, &api.ProvisioningPolicy{}, usage)
		ed := withProblems(&blank)
		return s.formProblems(c, ed.ID, templates.JSONEditor(ed), "provisioning", func() (*api.Source, templ.Component, error) {
			p, err := fetchAPI(s, c, "get policy "+usage+" of "+id, func(ctx context.Context, cl *api.Client) (*api.ProvisioningPolicy, error) {
				return cl.GetProvisioningPolicy(ctx, id, api.UsageType(usage))
			})
			if err != nil {
				return nil, nil, err
			}
			vm := policyVM(src, p, usage)
			withProblems(&vm)
			return src, templates.PolicyView(vm), nil
		})
	}
	vm := policyVM(src, updated, usage)
	vm.Notice = "Policy saved."
	return s.renderSourceTab(c, http.StatusOK, src.ID, src, "provisioning", templates.PolicyView(vm))
}

// policyDelete handles "DELETE /sources/:id/provisioning/:usage".
func (s *Server) policyDelete(c echo.Context) error {
	id, usage, err := policyPathParams(c)
	if err != nil {
		return err
	}
	err = s.callAPIOnce(c, "delete policy "+usage+" of "+id, func(ctx context.Context, cl *api.Client) error {
		return cl.DeleteProvisioningPolicy(ctx, id, api.UsageType(usage))
	})
	if err != nil {
		return err
	}
	return s.goTo(c, policiesURL(id), "Provisioning policy "+usage+" deleted.")
}

// policiesBulk handles "POST /sources/:id/provisioning/bulk": every policy at once from
// a JSON array.
func (s *Server) policiesBulk(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	text := form.Get("policies")
	var policies []api.ProvisioningPolicy
	var problems []string
	if err := decodeStrict(text, &policies); err != nil {
		problems = []string{jsonProblem(text, err)}
	} else if len(policies) == 0 {
		problems = []string{"The array has no policy."}
	}
	seen := map[api.UsageType]bool{}
	for i := range policies {
		for _, p := range validatePolicy(&policies[i]) {
			problems = append(problems, fmt.Sprintf("Policy %d: %s", i+1, p))
		}
		if seen[policies[i].UsageType] {
			problems = append(problems, fmt.Sprintf("Policy %d: the usage type %s appears twice.", i+1, policies[i].UsageType))
		}
		seen[policies[i].UsageType] = true
	}
	if len(problems) > 0 {
		src, current, err := s.loadPolicies(c, id)
		if err != nil {
			return err
		}
		vm := policiesVM(src, current, nil, &templates.JSONEditorVM{Text: text, Errors: problems})
		return s.formProblems(c, vm.Bulk.ID, templates.JSONEditor(vm.Bulk), "provisioning", func() (*api.Source, templ.Component, error) {
			return src, templates.PoliciesTab(vm), nil
		})
	}
	err = s.callAPIOnce(c, "update all policies of "+id, func(ctx context.Context, cl *api.Client) error {
		_, err := cl.UpdateProvisioningPoliciesInBulk(ctx, id, policies)
		return err
	})
	if err != nil {
		return err
	}
	src, current, err := s.loadPolicies(c, id)
	if err != nil {
		return err
	}
	notice(c, fmt.Sprintf("Every provisioning policy replaced: %d sent.", len(policies)))
	return s.renderSourceTab(c, http.StatusOK, src.ID, src, "provisioning", templates.PoliciesTab(policiesVM(src, current, nil, nil)))
}
