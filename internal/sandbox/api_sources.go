package sandbox

// Handlers for the Source collection and item: list, create, get, put,
// patch and delete.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// routes lists every operation: the 52 Sources operations and getTaskStatus.
func (s *Sandbox) routes() []route {
	return []route{
		{"GET /sources", "listSources", s.listSources},
		{"POST /sources", "createSource", s.createSource},
		{"GET /sources/{id}", "getSource", s.getSource},
		{"PUT /sources/{id}", "putSource", s.putSource},
		{"PATCH /sources/{id}", "updateSource", s.updateSource},
		{"DELETE /sources/{id}", "deleteSource", s.deleteSource},
		{"GET /sources/{sourceId}/provisioning-policies", "listProvisioningPolicies", s.listProvisioningPolicies},
		{"POST /sources/{sourceId}/provisioning-policies", "createProvisioningPolicy", s.createProvisioningPolicy},
		{"GET /sources/{sourceId}/provisioning-policies/{usageType}", "getProvisioningPolicy", s.getProvisioningPolicy},
		{"PUT /sources/{sourceId}/provisioning-policies/{usageType}", "putProvisioningPolicy", s.putProvisioningPolicy},
		{"PATCH /sources/{sourceId}/provisioning-policies/{usageType}", "updateProvisioningPolicy", s.updateProvisioningPolicy},
		{"DELETE /sources/{sourceId}/provisioning-policies/{usageType}", "deleteProvisioningPolicy", s.deleteProvisioningPolicy},
		{"POST /sources/{sourceId}/provisioning-policies/bulk-update", "updateProvisioningPoliciesInBulk", s.bulkUpdateProvisioningPolicies},
		{"GET /sources/{sourceId}/schemas", "getSourceSchemas", s.getSourceSchemas},
		{"POST /sources/{sourceId}/schemas", "createSourceSchema", s.createSourceSchema},
		{"GET /sources/{sourceId}/schemas/{schemaId}", "getSourceSchema", s.getSourceSchema},
		{"PUT /sources/{sourceId}/schemas/{schemaId}", "putSourceSchema", s.putSourceSchema},
		{"PATCH /sources/{sourceId}/schemas/{schemaId}", "updateSourceSchema", s.updateSourceSchema},
		{"DELETE /sources/{sourceId}/schemas/{schemaId}", "deleteSourceSchema", s.deleteSourceSchema},
		{"GET /sources/{sourceId}/schedules", "getSourceSchedules", s.getSourceSchedules},
		{"POST /sources/{sourceId}/schedules", "createSourceSchedule", s.createSourceSchedule},
		{"GET /sources/{sourceId}/schedules/{scheduleType}", "getSourceSchedule", s.getSourceSchedule},
		{"PATCH /sources/{sourceId}/schedules/{scheduleType}", "updateSourceSchedule", s.updateSourceSchedule},
		{"DELETE /sources/{sourceId}/schedules/{scheduleType}", "deleteSourceSchedule", s.deleteSourceSchedule},
		{"GET /sources/{sourceId}/source-health", "getSourceHealth", s.getSourceHealth},
		{"GET /sources/{id}/schemas/accounts", "getAccountsSchema", s.getAccountsSchema},
		{"POST /sources/{id}/schemas/accounts", "importAccountsSchema", s.importAccountsSchema},
		{"GET /sources/{id}/schemas/entitlements", "getEntitlementsSchema", s.getEntitlementsSchema},
		{"POST /sources/{id}/schemas/entitlements", "importEntitlementsSchema", s.importEntitlementsSchema},
		{"POST /sources/{sourceId}/upload-connector-file", "importConnectorFile", s.importConnectorFile},
		{"GET /sources/{sourceId}/connections", "getSourceConnections", s.getSourceConnections},
		{"GET /sources/{id}/correlation-config", "getCorrelationConfig", s.getCorrelationConfig},
		{"PUT /sources/{id}/correlation-config", "putCorrelationConfig", s.putCorrelationConfig},
		{"GET /sources/{sourceId}/password-policies", "listPasswordPolicyHoldersOnSource", s.listPasswordPolicyHolders},
		{"PATCH /sources/{sourceId}/password-policies", "updatePasswordPolicyHolders", s.updatePasswordPolicyHolders},
		{"POST /sources/{sourceId}/connector/check-connection", "testSourceConnection", s.connectorStatus("check-connection")},
		{"POST /sources/{sourceId}/connector/peek-resource-objects", "searchResourceObjects", s.peekResourceObjects},
		{"POST /sources/{sourceId}/connector/ping-cluster", "pingCluster", s.connectorStatus("ping-cluster")},
		{"POST /sources/{sourceId}/connector/test-configuration", "testSourceConfiguration", s.connectorStatus("test-configuration")},
		{"GET /sources/{id}/connectors/source-config", "getSourceConfig", s.getSourceConfig},
		{"GET /sources/{sourceId}/native-change-detection-config", "getNativeChangeDetectionConfig", s.getNativeChangeDetectionConfig},
		{"PUT /sources/{sourceId}/native-change-detection-config", "putNativeChangeDetectionConfig", s.putNativeChangeDetectionConfig},
		{"DELETE /sources/{sourceId}/native-change-detection-config", "deleteNativeChangeDetectionConfig", s.deleteNativeChangeDetectionConfig},
		{"POST /sources/{id}/remove-accounts", "deleteAccountsAsync", s.removeAccounts},
		{"POST /sources/{id}/load-accounts", "importAccounts", s.loadAccounts},
		{"POST /sources/{id}/load-uncorrelated-accounts", "importUncorrelatedAccounts", s.loadUncorrelatedAccounts},
		{"GET /sources/{id}/attribute-sync-config", "getSourceAttrSyncConfig", s.getAttrSyncConfig},
		{"PUT /sources/{id}/attribute-sync-config", "putSourceAttrSyncConfig", s.putAttrSyncConfig},
		{"POST /sources/{id}/synchronize-attributes", "syncAttributesForSource", s.syncAttributes},
		{"GET /sources/{id}/entitlement-request-config", "getSourceEntitlementRequestConfig", s.getEntitlementRequestConfig},
		{"PUT /sources/{id}/entitlement-request-config", "updateSourceEntitlementRequestConfig", s.putEntitlementRequestConfig},
		{"POST /sources/{sourceId}/load-entitlements", "importEntitlements", s.loadEntitlements},
		{"GET /task-status/{id}", "getTaskStatus", s.getTaskStatus},
	}
}

// sourceFilters are the listSources filter fields and their operators.
var sourceFilters = map[string][]string{
	"id":                     {"eq", "in", "ge", "gt", "le", "lt", "ne", "isnull", "sw"},
	"name":                   {"co", "eq", "in", "sw", "ge", "gt", "ne", "isnull"},
	"type":                   {"eq", "in", "ge", "gt", "ne", "isnull", "sw"},
	"owner.id":               {"eq", "in", "ge", "gt", "le", "lt", "ne", "isnull", "sw"},
	"features":               {"ca", "co"},
	"created":                {"eq", "ge", "gt", "in", "le", "lt", "ne", "isnull", "sw"},
	"modified":               {"eq", "ge", "gt", "in", "le", "lt", "ne", "isnull", "sw"},
	"managementWorkgroup.id": {"eq", "ge", "gt", "in", "le", "lt", "ne", "isnull", "sw"},
	"description":            {"eq", "sw"},
	"authoritative":          {"eq", "ne", "isnull"},
	"healthy":                {"isnull"},
	"status":                 {"eq", "in", "ge", "gt", "le", "lt", "ne", "isnull", "sw"},
	"connectionType":         {"eq", "ge", "gt", "in", "le", "lt", "ne", "isnull", "sw"},
	"connectorName":          {"eq", "ge", "gt", "in", "ne", "isnull", "sw"},
	"category":               {"co", "eq", "ge", "gt", "in", "le", "lt", "ne", "sw"},
}

// sourceSorters are the listSources sortable fields.
var sourceSorters = []string{"type", "created", "modified", "name", "owner.name", "healthy", "status", "id", "description",
	"owner.id", "accountCorrelationConfig.id", "accountCorrelationConfig.name", "managerCorrelationRule.type",
	"managerCorrelationRule.id", "managerCorrelationRule.name", "authoritative", "managementWorkgroup.id",
	"connectorName", "connectionType"}

// paging reads limit (default and maximum 250), offset and count.
func paging(r *http.Request) (limit, offset int, count bool, err error) {
	q := r.URL.Query()
	limit, offset = 250, 0
	if v := q.Get("limit"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 || n > 250 {
			return 0, 0, false, badRequest("limit must be an integer between 0 and 250, got %q", v)
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return 0, 0, false, badRequest("offset must be a non-negative integer, got %q", v)
		}
		offset = n
	}
	if v := q.Get("count"); v != "" {
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			return 0, 0, false, badRequest("count must be true or false, got %q", v)
		}
		count = b
	}
	return limit, offset, count, nil
}

// page applies offset and limit and sets X-Total-Count when asked.
func page[T any](w http.ResponseWriter, items []T, limit, offset int, count bool) []T {
	if count {
		w.Header().Set("X-Total-Count", strconv.Itoa(len(items)))
	}
	if offset >= len(items) {
		return []T{}
	}
	items = items[offset:]
	if len(items) > limit {
		items = items[:limit]
	}
	return items
}

// listSources handles "GET /sources".
func (s *Sandbox) listSources(c *call) (int, any, error) {
	q := c.r.URL.Query()
	limit, offset, count, err := paging(c.r)
	if err != nil {
		return 0, nil, err
	}
	var filter *FilterExpr
	if f := q.Get("filters"); f != "" {
		if filter, err = ParseFilter(f); err != nil {
			return 0, nil, badRequest("Invalid filters: %v", err)
		}
		if err := filter.Check(sourceFilters); err != nil {
			return 0, nil, badRequest("Invalid filters: %v", err)
		}
	}
	includeIDN := false
	if v := q.Get("includeIDNSource"); v != "" {
		if includeIDN, err = strconv.ParseBool(v); err != nil {
			return 0, nil, badRequest("includeIDNSource must be true or false, got %q", v)
		}
	}
	// for-subadmin narrows the list to the sources the named subadmin manages.
	var groups []string
	restrict := false
	if v := q.Get("for-subadmin"); v != "" {
		restrict = true
		switch {
		case v == "me" || v == c.p.IdentityID:
			groups = c.p.GovernanceGroups
		case c.p.isAdmin():
			for _, u := range s.cfg.Users {
				if u.IdentityID == v {
					groups = u.GovernanceGroups
				}
			}
		default:
			return 0, nil, forbidden("The server understood the request but refuses to authorize it: for-subadmin may only name yourself.")
		}
	}
	if c.p.UserLevel == LevelSourceSubadmin && !restrict {
		return 0, nil, forbidden("The server understood the request but refuses to authorize it: a SOURCE_SUBADMIN must pass for-subadmin.")
	}
	if !c.p.isAdmin() && c.p.UserLevel != LevelSourceSubadmin && c.p.UserLevel != LevelHelpdesk {
		return 0, nil, forbidden("The server understood the request but refuses to authorize it.")
	}

	s.mu.Lock()
	var out []map[string]any
	for _, id := range s.api.order {
		src := s.api.sources[id]
		if src.hidden && !includeIDN {
			continue
		}
		if restrict && !contains(groups, src.workgroup()) {
			continue
		}
		if filter != nil && !filter.Match(src.obj) {
			continue
		}
		out = append(out, src.obj)
	}
	// Sorted and paged under the lock, then only the page is copied: a tenant of
	// a thousand sources must not copy them all for every page of 50.
	if sorters := q.Get("sorters"); sorters != "" {
		if err := sortObjects(out, sorters, sourceSorters); err != nil {
			s.mu.Unlock()
			return 0, nil, badRequest("Invalid sorters: %v", err)
		}
	}
	out = clone(page(c.w, out, limit, offset, count))
	s.mu.Unlock()
	if out == nil {
		out = []map[string]any{}
	}
	return http.StatusOK, out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v && v != "" {
			return true
		}
	}
	return false
}

// getSource handles "GET /sources/{id}".
func (s *Sandbox) getSource(c *call) (int, any, error) {
	return s.getPart(c, func(src *sourceRec) any { return src.obj })
}

// createSource handles "POST /sources".
func (s *Sandbox) createSource(c *call) (int, any, error) {
	if c.p.UserLevel == LevelHelpdesk {
		return 0, nil, forbidden("The server understood the request but refuses to authorize it: HELPDESK users cannot change sources.")
	}
	asCSV := false
	if v := c.r.URL.Query().Get("provisionAsCsv"); v != "" {
		var err error
		if asCSV, err = strconv.ParseBool(v); err != nil {
			return 0, nil, badRequest("provisionAsCsv must be true or false, got %q", v)
		}
	}
	var obj map[string]any
	if err := decodeJSON(c.r, &obj); err != nil {
		return 0, nil, err
	}
	if err := validateSource(obj); err != nil {
		return 0, nil, err
	}
	if _, ok := obj["owner"]; !ok {
		return 0, nil, badRequest("owner is required")
	}
	conn, _ := obj["connector"].(string)
	if asCSV {
		conn = "delimited-file"
	}
	ci, known := connectors[conn]
	if !known {
		ci = connectorInfo{typ: conn, name: conn, connType: "direct"}
	}
	wg := ""
	if m, ok := obj["managementWorkgroup"].(map[string]any); ok {
		wg, _ = m["id"].(string)
	}
	if c.p.UserLevel == LevelSourceSubadmin && !c.p.inGroup(wg) {
		return 0, nil, forbidden("The server understood the request but refuses to authorize it: a SOURCE_SUBADMIN must set managementWorkgroup to one of their governance groups.")
	}
	if !c.p.isAdmin() && c.p.UserLevel != LevelSourceSubadmin {
		return 0, nil, forbidden("The server understood the request but refuses to authorize it.")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.nameTaken(obj["name"].(string), ""); err != nil {
		return 0, nil, err
	}
	now := s.now()
	id := s.api.newID()
	nameRefs(obj)
	obj["id"] = id
	obj["created"] = isoTime(now)
	obj["modified"] = isoTime(now)
	obj["connector"] = conn
	if asCSV {
		obj["type"] = ci.typ
		obj["connectorClass"] = ci.class
	}
	setDefault(obj, "type", ci.typ)
	setDefault(obj, "connectorClass", ci.class)
	setDefault(obj, "connectorName", ci.name)
	setDefault(obj, "connectorId", conn)
	setDefault(obj, "connectorImplementationId", conn)
	obj["connectionType"] = ci.connType
	setDefault(obj, "description", "")
	setDefault(obj, "features", strs(ci.features...))
	if obj["features"] == nil {
		obj["features"] = []any{}
	}
	setDefault(obj, "connectorAttributes", map[string]any{})
	setDefault(obj, "deleteThreshold", 10.0)
	setDefault(obj, "authoritative", false)
	setDefault(obj, "credentialProviderEnabled", false)
	setDefault(obj, "category", nil)
	setDefault(obj, "managementWorkgroup", nil)
	setDefault(obj, "cluster", nil)
	setDefault(obj, "passwordPolicies", nil)
	obj["healthy"] = false
	obj["status"] = stNoAccts
	obj["since"] = isoTime(now)
	rec := &sourceRec{
		obj: obj, policies: map[string]map[string]any{}, schedules: map[string]map[string]any{},
		pwdHolders: []any{}, connections: emptyConnections(), detail: connectorDetail(conn, ci),
		accounts: accountSet{keys: map[string]uint64{}},
	}
	name := obj["name"].(string)
	rec.correlation = map[string]any{"id": s.api.newID(), "name": name + " Account Correlation", "attributeAssignments": []any{}}
	obj["accountCorrelationConfig"] = ref("ACCOUNT_CORRELATION_CONFIG", rec.correlation["id"].(string), name+" Account Correlation")
	rec.attrSync = map[string]any{"source": map[string]any{"type": "SOURCE", "id": id, "name": name}, "attributes": []any{}}
	rec.entReq = map[string]any{"accessRequestConfig": map[string]any{"approvalSchemes": []any{}, "requestCommentRequired": false,
		"denialCommentRequired": false, "reauthorizationRequired": false, "requireEndDate": false, "maxPermittedAccessDuration": nil},
		"revocationRequestConfig": map[string]any{"approvalSchemes": []any{}}}
	if asCSV || conn == "delimited-file" {
		// A new Delimited File source starts with the standard account schema.
		rec.schemas = append(rec.schemas, accountSchema(s.api.newID(), ci, now))
		if attrs, ok := obj["connectorAttributes"].(map[string]any); ok {
			setDefault(attrs, "delimiter", ",")
		}
	} else if known {
		rec.schemas = append(rec.schemas, accountSchema(s.api.newID(), ci, now))
		if ci.groups {
			rec.schemas = append(rec.schemas, groupSchema(s.api.newID(), now))
		}
	}
	rec.syncSchemaRefs()
	s.api.sources[id] = rec
	s.api.order = append(s.api.order, id)
	return http.StatusCreated, clone(obj), nil
}

func setDefault(obj map[string]any, k string, v any) {
	if _, ok := obj[k]; !ok {
		obj[k] = v
	}
}

// validateSource checks the required fields of a Source body.
func validateSource(obj map[string]any) error {
	if n, ok := obj["name"].(string); !ok || strings.TrimSpace(n) == "" {
		return badRequest("name is required and must be a non-empty string")
	}
	if c, ok := obj["connector"].(string); !ok || c == "" {
		return badRequest("connector is required")
	}
	if o, ok := obj["owner"]; ok && o != nil {
		m, ok := o.(map[string]any)
		if !ok {
			return badRequest("owner must be an object or null")
		}
		if id, _ := m["id"].(string); id == "" {
			return badRequest("owner.id is required")
		}
	}
	if a, ok := obj["connectorAttributes"]; ok && a != nil {
		if _, isObj := a.(map[string]any); !isObj {
			return badRequest("connectorAttributes must be an object")
		}
	}
	if d, ok := obj["deleteThreshold"]; ok && d != nil {
		f, ok := d.(float64)
		if !ok || f < 0 || f > 100 {
			return badRequest("deleteThreshold must be a number from 0 to 100")
		}
	}
	return nil
}

// nameTaken reports a 400 when another source already has name; callers hold s.mu.
func (s *Sandbox) nameTaken(name, selfID string) error {
	for id, src := range s.api.sources {
		if id != selfID && strings.EqualFold(src.name(), name) {
			return badRequest("A source named %q already exists.", name)
		}
	}
	return nil
}

var putImmutable = []string{"id", "type", "authoritative", "connector", "connectorClass", "passwordPolicies"}
var patchImmutable = append([]string{"created", "modified"}, putImmutable...)

// computed fields are the sandbox's to set; a PUT cannot change them.
var computedSourceFields = []string{"created", "healthy", "status", "since", "connectorName", "connectionType", "connectorId", "connectorImplementationId", "schemas"}

// putSource handles "PUT /sources/{id}".
func (s *Sandbox) putSource(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	var obj map[string]any
	if err := decodeJSON(c.r, &obj); err != nil {
		return 0, nil, err
	}
	if err := validateSource(obj); err != nil {
		return 0, nil, err
	}
	if _, ok := obj["owner"]; !ok {
		return 0, nil, badRequest("owner is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := keepImmutable(obj, src.obj, putImmutable, true); err != nil {
		return 0, nil, err
	}
	if err := s.checkWorkgroupChange(c, obj); err != nil {
		return 0, nil, err
	}
	if err := s.nameTaken(obj["name"].(string), src.id()); err != nil {
		return 0, nil, err
	}
	for _, f := range append(putImmutable, computedSourceFields...) {
		if v, ok := src.obj[f]; ok {
			obj[f] = v
		}
	}
	obj["modified"] = isoTime(s.now())
	nameRefs(obj)
	src.obj = obj
	return http.StatusOK, clone(obj), nil
}

// checkWorkgroupChange stops a subadmin from moving a source out of their groups.
func (s *Sandbox) checkWorkgroupChange(c *call, obj map[string]any) error {
	if c.p.UserLevel != LevelSourceSubadmin {
		return nil
	}
	wg := ""
	if m, ok := obj["managementWorkgroup"].(map[string]any); ok {
		wg, _ = m["id"].(string)
	}
	if !c.p.inGroup(wg) {
		return forbidden("The server understood the request but refuses to authorize it: a SOURCE_SUBADMIN cannot move a source out of their governance groups.")
	}
	return nil
}

// keepImmutable checks that next leaves the immutable fields of stored as they
// are (compared with sameValue), then puts the stored values back, so a date-time
// sent in another form is kept as it was. With onlySent (a PUT), a field next
// leaves out is not a change.
func keepImmutable(next, stored map[string]any, fields []string, onlySent bool) error {
	for _, f := range fields {
		v, sent := next[f]
		if !sent && onlySent {
			continue
		}
		if !sameValue(v, stored[f]) {
			return badRequest("%s is immutable and cannot be changed", f)
		}
		if old, ok := stored[f]; ok {
			next[f] = old
		}
	}
	return nil
}

// sameValue is how every immutable-field check compares a value sent with the
// stored one: by JSON value (so 10 and 10.0, or keys in another order, are the
// same), with strings that are both RFC 3339 date-times compared as instants.
// Clients such as SailPoint's SDKs parse date-times and send them back in
// another form (2026-12-06T01:15:04.354000+00:00 for 2026-12-06T01:15:04.354Z).
func sameValue(a, b any) bool {
	return sameJSON(clone(a), clone(b))
}

// sameJSON compares decoded JSON values (see sameValue).
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		tx, errx := time.Parse(time.RFC3339Nano, x)
		ty, erry := time.Parse(time.RFC3339Nano, y)
		return errx == nil && erry == nil && tx.Equal(ty)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// applyPatch applies an RFC 6902 patch to a JSON object.
func applyPatch(obj map[string]any, patch []byte) (map[string]any, error) {
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return nil, badRequest("Invalid JSON patch: %v", err)
	}
	doc, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	out, err := p.Apply(doc)
	if err != nil {
		return nil, badRequest("The JSON patch cannot be applied: %v", err)
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, badRequest("The patched document is not an object: %v", err)
	}
	return res, nil
}

// updateSource handles "PATCH /sources/{id}".
func (s *Sandbox) updateSource(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	patch, err := readPatch(c.r)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, err := applyPatch(src.obj, patch)
	if err != nil {
		return 0, nil, err
	}
	if err := keepImmutable(obj, src.obj, patchImmutable, false); err != nil {
		return 0, nil, err
	}
	if err := validateSource(obj); err != nil {
		return 0, nil, err
	}
	if err := s.checkWorkgroupChange(c, obj); err != nil {
		return 0, nil, err
	}
	if err := s.nameTaken(obj["name"].(string), src.id()); err != nil {
		return 0, nil, err
	}
	nameRefs(obj)
	obj["modified"] = isoTime(s.now())
	src.obj = obj
	return http.StatusOK, clone(obj), nil
}

// deleteSource handles "DELETE /sources/{id}": a task removes the accounts,
// then the source.
func (s *Sandbox) deleteSource(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if src.deleting {
		return 0, nil, badRequest("Source %q is already being deleted.", src.name())
	}
	if src.busy != "" {
		return 0, nil, badRequest("Source %q cannot be deleted while task %s is running.", src.name(), src.busy)
	}
	if reasons := connectionReasons(src.connections); len(reasons) > 0 {
		return 0, nil, badRequest("Source %q cannot be deleted because it is in use: %s. Remove these connections first.", src.name(), strings.Join(reasons, "; "))
	}
	t := s.newTask("Source Deletion", "Removes the accounts of the source, then the source", c, src)
	t.progress = [taskSteps]string{"Queued", "Removing accounts", "Removing source"}
	t.counts["deleted"] = src.accounts.total
	src.deleting = true
	src.busy = t.id
	id := src.id()
	t.onComplete = func() {
		delete(s.api.sources, id)
		for i, o := range s.api.order {
			if o == id {
				s.api.order = append(s.api.order[:i:i], s.api.order[i+1:]...)
				break
			}
		}
	}
	return http.StatusAccepted, map[string]any{"type": "TASK_RESULT", "id": t.id, "name": nil}, nil
}

// connectionReasons names what still uses a source (SourceConnectionsDto).
func connectionReasons(conn map[string]any) []string {
	var out []string
	names := func(key, field string) []string {
		var ns []string
		list, _ := conn[key].([]any)
		for _, x := range list {
			switch v := x.(type) {
			case string:
				ns = append(ns, fmt.Sprintf("%q", v))
			case map[string]any:
				n, _ := v[field].(string)
				if n == "" {
					n, _ = v["cloudAppId"].(string)
				}
				ns = append(ns, fmt.Sprintf("%q", n))
			}
		}
		return ns
	}
	if ns := names("identityProfiles", "name"); len(ns) > 0 {
		out = append(out, "identity profiles "+strings.Join(ns, ", "))
	}
	if ns := names("dependentApps", "description"); len(ns) > 0 {
		out = append(out, "apps "+strings.Join(ns, ", "))
	}
	if ns := names("dependentCustomTransforms", "name"); len(ns) > 0 {
		out = append(out, "transforms "+strings.Join(ns, ", "))
	}
	return out
}
