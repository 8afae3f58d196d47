package bff

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// propertyRE is an attribute or property name as the settings forms accept it.
var propertyRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// --- correlation ---

func correlationVM(id string, cfg *api.CorrelationConfig) templates.CorrelationVM {
	vm := templates.CorrelationVM{Source: templates.SourceSummaryVM{ID: id}, Errors: templates.FieldErrors{}}
	if cfg != nil {
		vm.ConfigID, vm.Name = cfg.ID, cfg.Name
		for _, a := range cfg.AttributeAssignments {
			vm.Rows = append(vm.Rows, templates.CorrelationRowVM{Property: a.Property, Value: a.Value, MatchMode: a.MatchMode, IgnoreCase: a.IgnoreCase})
		}
	}
	vm.Rows = append(vm.Rows, templates.CorrelationRowVM{}) // the empty row adds one
	return vm
}

func (s *Server) getCorrelation(c echo.Context, id string) (*api.CorrelationConfig, error) {
	cfg, err := fetchAPI(s, c, "get correlation config of "+id, func(ctx context.Context, cl *api.Client) (*api.CorrelationConfig, error) {
		return cl.GetCorrelationConfig(ctx, id)
	})
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// sourceCorrelation handles "GET /sources/:id/correlation".
func (s *Server) sourceCorrelation(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cfg, err := s.getCorrelation(c, id)
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, id, nil, "correlation", templates.SourceCorrelation(correlationVM(id, cfg)))
}

// sourceCorrelationSave handles "POST /sources/:id/correlation": the assignments as
// edited replace the old ones (PUT); members the form does not show are kept.
func (s *Server) sourceCorrelationSave(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	cfg, err := s.getCorrelation(c, id)
	if err != nil {
		return err
	}
	vm := correlationVM(id, cfg)
	vm.Rows = nil
	next := *cfg
	next.AttributeAssignments = nil
	for i := range formRows(form, "rows") {
		k := strconv.Itoa(i)
		row := templates.CorrelationRowVM{
			Property:   strings.TrimSpace(form.Get("property_" + k)),
			Value:      strings.TrimSpace(form.Get("value_" + k)),
			MatchMode:  form.Get("match_" + k),
			IgnoreCase: form.Get("ignore_"+k) == "true",
		}
		remove := form.Get("remove_"+k) == "true"
		vm.Rows = append(vm.Rows, row)
		if remove || (row.Property == "" && row.Value == "") {
			continue
		}
		switch {
		case row.Property == "":
			vm.Errors["property_"+k] = "Enter the identity property this value is matched against."
		case !propertyRE.MatchString(row.Property):
			vm.Errors["property_"+k] = "A property is a name such as attribute.email."
		}
		if row.Value == "" {
			vm.Errors["value_"+k] = "Enter the account attribute to match."
		}
		if !slices.Contains([]string{"", "ANYWHERE", "START", "END"}, row.MatchMode) {
			vm.Errors["property_"+k] = "Choose a match mode from the list."
		}
		a := api.CorrelationAssignment{Operation: "EQ"}
		if i < len(cfg.AttributeAssignments) {
			a = cfg.AttributeAssignments[i] // keep what the form does not show
		}
		a.Property, a.Value, a.MatchMode, a.IgnoreCase = row.Property, row.Value, row.MatchMode, row.IgnoreCase
		next.AttributeAssignments = append(next.AttributeAssignments, a)
	}
	if len(vm.Errors) > 0 {
		vm.FormError = "Some rows need attention; nothing was saved."
		return s.renderSourceTab(c, http.StatusUnprocessableEntity, id, nil, "correlation", templates.SourceCorrelation(vm))
	}
	saved, err := fetchAPI(s, c, "save correlation config of "+id, func(ctx context.Context, cl *api.Client) (*api.CorrelationConfig, error) {
		return cl.PutCorrelationConfig(ctx, id, &next)
	})
	if msgs, ok := iscRejection(err); ok {
		vm.FormError = "ISC refused the correlation: " + strings.Join(msgs, " ")
		return s.renderSourceTab(c, http.StatusUnprocessableEntity, id, nil, "correlation", templates.SourceCorrelation(vm))
	}
	if err != nil {
		return err
	}
	vm = correlationVM(id, saved)
	vm.Saved = fmt.Sprintf("Saved: %d assignment(s).", len(saved.AttributeAssignments))
	return s.renderSourceTab(c, http.StatusOK, id, nil, "correlation", templates.SourceCorrelation(vm))
}

// --- attribute sync ---

func attrSyncVM(id string, cfg *api.AttrSyncSourceConfig) templates.AttrSyncVM {
	vm := templates.AttrSyncVM{Source: templates.SourceSummaryVM{ID: id}}
	for _, a := range cfg.Attributes {
		name := a.DisplayName
		if name == "" {
			name = a.Name
		}
		vm.Rows = append(vm.Rows, templates.AttrSyncRowVM{Name: a.Name, DisplayName: name, Target: a.Target, Enabled: a.Enabled})
	}
	return vm
}

func (s *Server) getAttrSync(c echo.Context, id string) (*api.AttrSyncSourceConfig, error) {
	cfg, err := fetchAPI(s, c, "get attribute sync config of "+id, func(ctx context.Context, cl *api.Client) (*api.AttrSyncSourceConfig, error) {
		return cl.GetSourceAttrSyncConfig(ctx, id)
	})
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// sourceAttrSync handles "GET /sources/:id/attribute-sync".
func (s *Server) sourceAttrSync(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cfg, err := s.getAttrSync(c, id)
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, id, nil, "attribute-sync", templates.SourceAttrSync(attrSyncVM(id, cfg)))
}

// sourceAttrSyncSave handles "POST /sources/:id/attribute-sync": it turns sync on for
// the ticked attributes and off for the others; ISC lets nothing else change.
func (s *Server) sourceAttrSyncSave(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	cfg, err := s.getAttrSync(c, id)
	if err != nil {
		return err
	}
	enabled := form["enabled"]
	changed := 0
	for i := range cfg.Attributes {
		on := slices.Contains(enabled, cfg.Attributes[i].Name)
		if on != cfg.Attributes[i].Enabled {
			changed++
		}
		cfg.Attributes[i].Enabled = on
	}
	saved, err := fetchAPI(s, c, "save attribute sync config of "+id, func(ctx context.Context, cl *api.Client) (*api.AttrSyncSourceConfig, error) {
		return cl.PutSourceAttrSyncConfig(ctx, id, cfg)
	})
	if err != nil {
		return err
	}
	vm := attrSyncVM(id, saved)
	vm.Saved = fmt.Sprintf("Saved: %d attribute(s) changed.", changed)
	return s.renderSourceTab(c, http.StatusOK, id, nil, "attribute-sync", templates.SourceAttrSync(vm))
}

// sourceAttrSyncRun handles "POST /sources/:id/attribute-sync/run": it starts the
// synchronization and sends the user to follow it.
func (s *Server) sourceAttrSyncRun(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	job, err := fetchAPIOnce(s, c, "synchronize attributes of "+id, func(ctx context.Context, cl *api.Client) (*api.SourceSyncJob, error) {
		return cl.SyncAttributesForSource(ctx, id)
	})
	if err != nil {
		return err
	}
	return s.goTo(c, taskURL(job.ID, id), "Attribute synchronization started: ISC runs it as a task, followed here.")
}

// --- native change detection ---

func changeDetectionVM(id string, cfg *api.NativeChangeDetectionConfig) templates.ChangeDetectionVM {
	return templates.ChangeDetectionVM{
		Source:                           templates.SourceSummaryVM{ID: id},
		Enabled:                          cfg.Enabled,
		Operations:                       cfg.Operations,
		AllEntitlements:                  cfg.AllEntitlements,
		AllNonEntitlementAttributes:      cfg.AllNonEntitlementAttributes,
		SelectedEntitlements:             strings.Join(cfg.SelectedEntitlements, "\n"),
		SelectedNonEntitlementAttributes: strings.Join(cfg.SelectedNonEntitlementAttributes, "\n"),
	}
}

// sourceChangeDetection handles "GET /sources/:id/change-detection". A source that
// was never configured shows the empty (disabled) form.
func (s *Server) sourceChangeDetection(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var cfg *api.NativeChangeDetectionConfig
	err = s.callAPI(c, "get change detection config of "+id, func(ctx context.Context, cl *api.Client) error {
		var err error
		cfg, err = cl.GetNativeChangeDetectionConfig(ctx, id)
		if api.IsNotFound(err) {
			if _, serr := cl.GetSource(ctx, id); serr != nil {
				return serr // the source itself is missing
			}
			cfg, err = &api.NativeChangeDetectionConfig{}, nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, id, nil, "change-detection", templates.SourceChangeDetection(changeDetectionVM(id, cfg)))
}

// sourceChangeDetectionSave handles "POST /sources/:id/change-detection".
func (s *Server) sourceChangeDetectionSave(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	cfg := &api.NativeChangeDetectionConfig{
		Enabled:                          form.Get("enabled") == "true",
		AllEntitlements:                  form.Get("all_entitlements") == "true",
		AllNonEntitlementAttributes:      form.Get("all_non_entitlement") == "true",
		SelectedEntitlements:             lines(form.Get("selected_entitlements")),
		SelectedNonEntitlementAttributes: lines(form.Get("selected_attributes")),
	}
	for _, op := range form["operations"] {
		if !slices.Contains(templates.ChangeDetectionOperations, op) {
			return userErrorf(http.StatusBadRequest, "Unknown operation %q.", op)
		}
		cfg.Operations = append(cfg.Operations, op)
	}
	saved, err := fetchAPI(s, c, "save change detection config of "+id, func(ctx context.Context, cl *api.Client) (*api.NativeChangeDetectionConfig, error) {
		return cl.PutNativeChangeDetectionConfig(ctx, id, cfg)
	})
	if err != nil {
		return err
	}
	vm := changeDetectionVM(id, saved)
	vm.Saved = "Saved."
	return s.renderSourceTab(c, http.StatusOK, id, nil, "change-detection", templates.SourceChangeDetection(vm))
}

// sourceChangeDetectionDelete handles "POST /sources/:id/change-detection/delete".
func (s *Server) sourceChangeDetectionDelete(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	err = s.callAPI(c, "delete change detection config of "+id, func(ctx context.Context, cl *api.Client) error {
		return cl.DeleteNativeChangeDetectionConfig(ctx, id)
	})
	if err != nil {
		return err
	}
	vm := changeDetectionVM(id, &api.NativeChangeDetectionConfig{})
	vm.Saved = "Deleted: native change detection is off for this source."
	return s.renderSourceTab(c, http.StatusOK, id, nil, "change-detection", templates.SourceChangeDetection(vm))
}

// --- entitlement request config ---

func entReqVM(id string, cfg *api.SourceEntitlementRequestConfig) templates.EntitlementRequestVM {
	vm := templates.EntitlementRequestVM{Source: templates.SourceSummaryVM{ID: id}, Errors: templates.FieldErrors{}}
	if a := cfg.AccessRequestConfig; a != nil {
		for _, s := range a.ApprovalSchemes {
			vm.AccessApprovals = append(vm.AccessApprovals, templates.ApprovalSchemeVM{ApproverType: s.ApproverType, ApproverID: s.ApproverID})
		}
		vm.RequestCommentRequired = a.RequestCommentRequired
		vm.DenialCommentRequired = a.DenialCommentRequired
		vm.ReauthorizationRequired = a.ReauthorizationRequired
		vm.RequireEndDate = a.RequireEndDate
		if d := a.MaxPermittedAccessDuration; d != nil {
			vm.MaxDurationValue, vm.MaxDurationUnit = strconv.Itoa(d.Value), d.TimeUnit
		}
	}
	if r := cfg.RevocationRequestConfig; r != nil {
		for _, s := range r.ApprovalSchemes {
			vm.RevocationApprovals = append(vm.RevocationApprovals, templates.ApprovalSchemeVM{ApproverType: s.ApproverType, ApproverID: s.ApproverID})
		}
	}
	// One empty row each, to add a step.
	vm.AccessApprovals = append(vm.AccessApprovals, templates.ApprovalSchemeVM{})
	vm.RevocationApprovals = append(vm.RevocationApprovals, templates.ApprovalSchemeVM{})
	return vm
}

func (s *Server) getEntReq(c echo.Context, id string) (*api.SourceEntitlementRequestConfig, error) {
	cfg, err := fetchAPI(s, c, "get entitlement request config of "+id, func(ctx context.Context, cl *api.Client) (*api.SourceEntitlementRequestConfig, error) {
		return cl.GetSourceEntitlementRequestConfig(ctx, id)
	})
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// sourceEntitlementRequests handles "GET /sources/:id/entitlement-requests".
func (s *Server) sourceEntitlementRequests(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cfg, err := s.getEntReq(c, id)
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, id, nil, "entitlement-requests", templates.SourceEntitlementRequests(entReqVM(id, cfg)))
}

// approvalSchemes reads one list of approval steps from the form; rows without an
// approver type are dropped.
func approvalSchemes(form url.Values, prefix string, errs templates.FieldErrors) ([]templates.ApprovalSchemeVM, []api.ApprovalScheme) {
	var rows []templates.ApprovalSchemeVM
	var out []api.ApprovalScheme
	for i := range formRows(form, prefix+"_rows") {
		k := strconv.Itoa(i)
		r := templates.ApprovalSchemeVM{ApproverType: form.Get(prefix + "_type_" + k), ApproverID: strings.TrimSpace(form.Get(prefix + "_id_" + k))}
		rows = append(rows, r)
		if r.ApproverType == "" {
			continue
		}
		if !slices.Contains(templates.ApproverTypes, r.ApproverType) {
			errs[prefix+"_id_"+k] = "Choose an approver from the list."
			continue
		}
		needsID := r.ApproverType == "GOVERNANCE_GROUP" || r.ApproverType == "WORKFLOW"
		switch {
		case needsID && r.ApproverID == "":
			errs[prefix+"_id_"+k] = "A governance group or workflow approver needs its id."
		case r.ApproverID != "" && !validID(r.ApproverID):
			errs[prefix+"_id_"+k] = "An id has only letters, digits, - and _."
		}
		out = append(out, api.ApprovalScheme{ApproverType: r.ApproverType, ApproverID: r.ApproverID})
	}
	return rows, out
}

// sourceEntitlementRequestsSave handles "POST /sources/:id/entitlement-requests".
func (s *Server) sourceEntitlementRequestsSave(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	cfg, err := s.getEntReq(c, id)
	if err != nil {
		return err
	}
	vm := templates.EntitlementRequestVM{
		Source:                  templates.SourceSummaryVM{ID: id},
		Errors:                  templates.FieldErrors{},
		RequestCommentRequired:  form.Get("request_comment") == "true",
		DenialCommentRequired:   form.Get("denial_comment") == "true",
		ReauthorizationRequired: form.Get("reauthorization") == "true",
		RequireEndDate:          form.Get("require_end_date") == "true",
		MaxDurationValue:        strings.TrimSpace(form.Get("max_value")),
		MaxDurationUnit:         form.Get("max_unit"),
	}
	var access, revoke []api.ApprovalScheme
	vm.AccessApprovals, access = approvalSchemes(form, "access", vm.Errors)
	vm.RevocationApprovals, revoke = approvalSchemes(form, "revoke", vm.Errors)
	var maxDur *api.AccessDuration
	if vm.MaxDurationUnit != "" || vm.MaxDurationValue != "" {
		n, err := strconv.Atoi(vm.MaxDurationValue)
		switch {
		case err != nil || n < 1:
			vm.Errors["max_value"] = "Enter a whole number of at least 1, or choose \"No limit\"."
		case !slices.Contains(templates.DurationUnits, vm.MaxDurationUnit):
			vm.Errors["max_value"] = "Choose a unit for the duration."
		default:
			maxDur = &api.AccessDuration{Value: n, TimeUnit: vm.MaxDurationUnit}
		}
	}
	if len(vm.Errors) > 0 {
		vm.FormError = "Some fields need attention; nothing was saved."
		return s.renderSourceTab(c, http.StatusUnprocessableEntity, id, nil, "entitlement-requests", templates.SourceEntitlementRequests(vm))
	}
	// Start from what ISC has, so members this form does not show are kept.
	next := *cfg
	ar := api.EntitlementAccessRequestConfig{}
	if cfg.AccessRequestConfig != nil {
		ar = *cfg.AccessRequestConfig
	}
	ar.ApprovalSchemes, ar.MaxPermittedAccessDuration = access, maxDur
	ar.RequestCommentRequired, ar.DenialCommentRequired = vm.RequestCommentRequired, vm.DenialCommentRequired
	ar.ReauthorizationRequired, ar.RequireEndDate = vm.ReauthorizationRequired, vm.RequireEndDate
	next.AccessRequestConfig = &ar
	rr := api.EntitlementRevocationRequestConfig{}
	if cfg.RevocationRequestConfig != nil {
		rr = *cfg.RevocationRequestConfig
	}
	rr.ApprovalSchemes = revoke
	next.RevocationRequestConfig = &rr
	saved, err := fetchAPI(s, c, "save entitlement request config of "+id, func(ctx context.Context, cl *api.Client) (*api.SourceEntitlementRequestConfig, error) {
		return cl.UpdateSourceEntitlementRequestConfig(ctx, id, &next)
	})
	if msgs, ok := iscRejection(err); ok {
		vm.FormError = "ISC refused the configuration: " + strings.Join(msgs, " ")
		return s.renderSourceTab(c, http.StatusUnprocessableEntity, id, nil, "entitlement-requests", templates.SourceEntitlementRequests(vm))
	}
	if err != nil {
		return err
	}
	out := entReqVM(id, saved)
	out.Saved = "Saved."
	return s.renderSourceTab(c, http.StatusOK, id, nil, "entitlement-requests", templates.SourceEntitlementRequests(out))
}

// --- password policies ---

func passwordPoliciesVM(id string, holders []api.PasswordPolicyHolder) templates.PasswordPoliciesVM {
	vm := templates.PasswordPoliciesVM{Source: templates.SourceSummaryVM{ID: id}, Errors: templates.FieldErrors{}}
	for i, h := range holders {
		name := cmp.Or(h.PolicyName, h.PolicyID)
		p := templates.PasswordPolicyVM{PolicyID: h.PolicyID, PolicyName: h.PolicyName,
			Picker: pickerVM(pickPolicy, "pwd", "policy_"+strconv.Itoa(i), name, h.PolicyID, name, false, vm.Errors)}
		if h.Selectors != nil {
			var sel []string
			for _, nv := range h.Selectors.IdentityAttr {
				sel = append(sel, nv.Name+"="+nv.Value)
			}
			p.Selectors = strings.Join(sel, "\n")
		}
		vm.Policies = append(vm.Policies, p)
	}
	n := strconv.Itoa(len(holders))
	vm.Policies = append(vm.Policies, templates.PasswordPolicyVM{ // to add one
		Picker: pickerVM(pickPolicy, "pwd", "policy_"+n, "", "", "", false, vm.Errors)})
	return vm
}

func (s *Server) getPasswordPolicies(c echo.Context, id string) ([]api.PasswordPolicyHolder, error) {
	var holders []api.PasswordPolicyHolder
	err := s.callAPI(c, "list password policies of "+id, func(ctx context.Context, cl *api.Client) error {
		holders = nil
		// A source holds a handful of policies; page anyway, as the API does.
		for offset := 0; ; offset += api.MaxLimit {
			page, err := cl.ListPasswordPolicyHoldersOnSource(ctx, id, api.PageParams{Limit: api.MaxLimit, Offset: offset})
			if err != nil {
				return err
			}
			holders = append(holders, page.Items...)
			if len(page.Items) < api.MaxLimit {
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return holders, nil
}

// sourcePasswordPolicies handles "GET /sources/:id/password-policies".
func (s *Server) sourcePasswordPolicies(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	holders, err := s.getPasswordPolicies(c, id)
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, id, nil, "password-policies", templates.SourcePasswordPolicies(passwordPoliciesVM(id, holders)))
}

// sourcePasswordPoliciesSave handles "POST /sources/:id/password-policies": the
// holders as edited replace the old list.
func (s *Server) sourcePasswordPoliciesSave(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	vm := templates.PasswordPoliciesVM{Source: templates.SourceSummaryVM{ID: id}, Errors: templates.FieldErrors{}}
	var holders []api.PasswordPolicyHolder
	for i := range formRows(form, "rows") {
		k := strconv.Itoa(i)
		typed, keepID, keepText := strings.TrimSpace(form.Get("policy_"+k)), form.Get("policy_"+k+"_id"), form.Get("policy_"+k+"_was")
		p := templates.PasswordPolicyVM{PolicyID: keepID, PolicyName: keepText, Selectors: form.Get("selectors_" + k)}
		pickerAt := len(vm.Policies)
		vm.Policies = append(vm.Policies, p)
		setPicker := func() {
			vm.Policies[pickerAt].Picker = pickerVM(pickPolicy, "pwd", "policy_"+k, typed, keepID, keepText, false, vm.Errors)
		}
		if typed == "" || form.Get("remove_"+k) == "true" {
			setPicker()
			continue
		}
		// The policy is picked by name; a name that matches no policy is refused here.
		it := s.pickField(c, vm.Errors, pickPolicy, "policy_"+k, typed, keepID, keepText)
		setPicker()
		if vm.Errors.Has("policy_" + k) {
			continue
		}
		p.PolicyID, p.PolicyName = it.ID, it.Name
		h := api.PasswordPolicyHolder{PolicyID: it.ID, PolicyName: it.Name}
		for _, l := range lines(p.Selectors) {
			name, value, ok := strings.Cut(l, "=")
			if !ok || strings.TrimSpace(name) == "" {
				vm.Errors["selectors_"+k] = fmt.Sprintf("Write each selector as attribute=value; %q is not.", l)
				break
			}
			if h.Selectors == nil {
				h.Selectors = &api.PasswordPolicySelectors{}
			}
			h.Selectors.IdentityAttr = append(h.Selectors.IdentityAttr, api.NameValue{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
		}
		holders = append(holders, h)
	}
	if len(vm.Errors) > 0 {
		vm.FormError = "Some fields need attention; nothing was saved."
		return s.renderSourceTab(c, http.StatusUnprocessableEntity, id, nil, "password-policies", templates.SourcePasswordPolicies(vm))
	}
	if holders == nil {
		holders = []api.PasswordPolicyHolder{}
	}
	saved, err := fetchAPI(s, c, "save password policies of "+id, func(ctx context.Context, cl *api.Client) ([]api.PasswordPolicyHolder, error) {
		return cl.UpdatePasswordPolicyHolders(ctx, id, holders)
	})
	if msgs, ok := iscRejection(err); ok {
		vm.FormError = "ISC refused the password policies: " + strings.Join(msgs, " ")
		return s.renderSourceTab(c, http.StatusUnprocessableEntity, id, nil, "password-policies", templates.SourcePasswordPolicies(vm))
	}
	if err != nil {
		return err
	}
	out := passwordPoliciesVM(id, saved)
	out.Saved = fmt.Sprintf("Saved: %d password polic%s.", len(saved), plural(len(saved), "y", "ies"))
	return s.renderSourceTab(c, http.StatusOK, id, nil, "password-policies", templates.SourcePasswordPolicies(out))
}
