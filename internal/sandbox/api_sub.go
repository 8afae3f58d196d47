package sandbox

// Handlers for a source's JSON sub-resources: provisioning policies,
// schemas, schedules, health, connections, correlation, password policy
// holders, connector tools, source config, native change detection,
// attribute sync and entitlement request configuration.

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"sourcedesk/internal/cron"
)

var usageTypes = []string{"CREATE", "UPDATE", "ENABLE", "DISABLE", "DELETE", "ASSIGN", "UNASSIGN", "CREATE_GROUP", "UPDATE_GROUP",
	"DELETE_GROUP", "REGISTER", "CREATE_IDENTITY", "UPDATE_IDENTITY", "EDIT_GROUP", "UNLOCK", "CHANGE_PASSWORD"}

func usageTypeParam(c *call) (string, error) {
	u := c.r.PathValue("usageType")
	if !slices.Contains(usageTypes, u) {
		return "", badRequest("usageType %q is not one of %s", u, strings.Join(usageTypes, ", "))
	}
	return u, nil
}

// validatePolicy checks a ProvisioningPolicyDto body and drops read-only fields.
func validatePolicy(p map[string]any) error {
	if _, ok := p["name"]; !ok {
		return badRequest("name is required")
	}
	if u, ok := p["usageType"]; ok {
		us, _ := u.(string)
		if !slices.Contains(usageTypes, us) {
			return badRequest("usageType %v is not valid", u)
		}
	}
	if f, ok := p["fields"]; ok && f != nil {
		list, ok := f.([]any)
		if !ok {
			return badRequest("fields must be an array")
		}
		for i, x := range list {
			m, ok := x.(map[string]any)
			if !ok {
				return badRequest("fields[%d] must be an object", i)
			}
			if _, ok := m["isRequired"]; !ok {
				m["isRequired"] = false
			}
		}
	}
	return nil
}

// policyKind describes provisioning policies for the keyed-collection handlers.
var policyKind = keyedKind{
	items:    func(src *sourceRec) map[string]map[string]any { return src.policies },
	order:    usageTypes,
	keyField: "usageType",
	validate: validatePolicy,
	notFound: func(u string) error { return notFound("No provisioning policy with usageType %s on this source.", u) },
}

// listProvisioningPolicies handles "GET /sources/{sourceId}/provisioning-policies".
func (s *Sandbox) listProvisioningPolicies(c *call) (int, any, error) {
	return s.listKeyed(c, policyKind)
}

// createProvisioningPolicy handles "POST /sources/{sourceId}/provisioning-policies".
func (s *Sandbox) createProvisioningPolicy(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	var p map[string]any
	if err := decodeJSON(c.r, &p); err != nil {
		return 0, nil, err
	}
	if err := validatePolicy(p); err != nil {
		return 0, nil, err
	}
	u, _ := p["usageType"].(string)
	if u == "" {
		return 0, nil, badRequest("usageType is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := src.policies[u]; ok {
		return 0, nil, badRequest("A provisioning policy with usageType %s already exists on this source.", u)
	}
	setDefault(p, "fields", []any{})
	src.policies[u] = p
	return http.StatusCreated, clone(p), nil
}

// getProvisioningPolicy handles "GET /sources/{sourceId}/provisioning-policies/{usageType}".
func (s *Sandbox) getProvisioningPolicy(c *call) (int, any, error) {
	return s.getKeyed(c, s.policyTarget, policyKind)
}

func (s *Sandbox) policyTarget(c *call, write bool) (*sourceRec, string, error) {
	src, err := s.source(c, write)
	if err != nil {
		return nil, "", err
	}
	u, err := usageTypeParam(c)
	return src, u, err
}

// putProvisioningPolicy handles "PUT /sources/{sourceId}/provisioning-policies/{usageType}".
func (s *Sandbox) putProvisioningPolicy(c *call) (int, any, error) {
	src, u, err := s.policyTarget(c, true)
	if err != nil {
		return 0, nil, err
	}
	var p map[string]any
	if err := decodeJSON(c.r, &p); err != nil {
		return 0, nil, err
	}
	if err := validatePolicy(p); err != nil {
		return 0, nil, err
	}
	if v, ok := p["usageType"]; ok && !sameValue(v, u) {
		return 0, nil, badRequest("usageType in the body (%v) does not match the path (%s)", v, u)
	}
	p["usageType"] = u
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := src.policies[u]; !ok {
		return 0, nil, policyKind.notFound(u)
	}
	src.policies[u] = p
	return http.StatusOK, clone(p), nil
}

// updateProvisioningPolicy handles "PATCH /sources/{sourceId}/provisioning-policies/{usageType}".
func (s *Sandbox) updateProvisioningPolicy(c *call) (int, any, error) {
	return s.patchKeyed(c, s.policyTarget, policyKind)
}

// deleteProvisioningPolicy handles "DELETE /sources/{sourceId}/provisioning-policies/{usageType}".
func (s *Sandbox) deleteProvisioningPolicy(c *call) (int, any, error) {
	return s.deleteKeyed(c, s.policyTarget, policyKind)
}

// bulkUpdateProvisioningPolicies handles "POST /sources/{sourceId}/provisioning-policies/bulk-update".
func (s *Sandbox) bulkUpdateProvisioningPolicies(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	var list []map[string]any
	if err := decodeJSON(c.r, &list); err != nil {
		return 0, nil, err
	}
	for i, p := range list {
		if err := validatePolicy(p); err != nil {
			return 0, nil, badRequest("policy %d: %v", i, err)
		}
		if u, _ := p["usageType"].(string); u == "" {
			return 0, nil, badRequest("policy %d: usageType is required", i)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, p := range list {
		setDefault(p, "fields", []any{})
		src.policies[p["usageType"].(string)] = p
		out = append(out, p)
	}
	return http.StatusOK, clone(out), nil
}

// Schemas.

var attributeTypes = []string{"STRING", "LONG", "INT", "BOOLEAN", "DATE"}

// validateSchema checks a Schema body.
func validateSchema(sc map[string]any) error {
	if a, ok := sc["attributes"]; ok && a != nil {
		list, ok := a.([]any)
		if !ok {
			return badRequest("attributes must be an array")
		}
		seen := map[string]bool{}
		for i, x := range list {
			m, ok := x.(map[string]any)
			if !ok {
				return badRequest("attributes[%d] must be an object", i)
			}
			n, _ := m["name"].(string)
			if n == "" {
				return badRequest("attributes[%d].name is required", i)
			}
			if seen[n] {
				return badRequest("attribute %q is defined twice", n)
			}
			seen[n] = true
			if t, ok := m["type"]; ok {
				ts, _ := t.(string)
				if !slices.Contains(attributeTypes, ts) {
					return badRequest("attribute %q has invalid type %v (one of %s)", n, t, strings.Join(attributeTypes, ", "))
				}
			}
			if g, _ := m["isGroup"].(bool); g {
				if e, _ := m["isEntitlement"].(bool); !e {
					return badRequest("attribute %q: isGroup can only be true when isEntitlement is true", n)
				}
			}
		}
	}
	return nil
}

// getSourceSchemas handles "GET /sources/{sourceId}/schemas".
func (s *Sandbox) getSourceSchemas(c *call) (int, any, error) {
	src, err := s.source(c, false)
	if err != nil {
		return 0, nil, err
	}
	q := c.r.URL.Query()
	types := q.Get("include-types")
	if types != "" && types != "group" && types != "user" {
		return 0, nil, badRequest("include-types must be group or user, got %q", types)
	}
	var names []string
	if n := q.Get("include-names"); n != "" {
		for _, x := range strings.Split(n, ",") {
			names = append(names, strings.TrimSpace(x))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, sc := range src.schemas {
		isUser := sc["name"] == "account"
		if (types == "user" && !isUser) || (types == "group" && isUser) {
			continue
		}
		if names != nil && !slices.Contains(names, valueString(sc["name"])) {
			continue
		}
		out = append(out, sc)
	}
	return http.StatusOK, clone(out), nil
}

// createSourceSchema handles "POST /sources/{sourceId}/schemas".
func (s *Sandbox) createSourceSchema(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	var sc map[string]any
	if err := decodeJSON(c.r, &sc); err != nil {
		return 0, nil, err
	}
	name, _ := sc["name"].(string)
	if name == "" {
		return 0, nil, badRequest("name is required")
	}
	if err := validateSchema(sc); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if src.schemaByName(name) != nil {
		return 0, nil, badRequest("A schema named %q already exists on this source.", name)
	}
	sc["id"] = s.api.newID()
	sc["created"] = isoTime(s.now())
	sc["modified"] = nil
	setDefault(sc, "attributes", []any{})
	setDefault(sc, "features", []any{})
	setDefault(sc, "configuration", map[string]any{})
	setDefault(sc, "includePermissions", false)
	src.schemas = append(src.schemas, sc)
	src.syncSchemaRefs()
	return http.StatusCreated, clone(sc), nil
}

func (s *Sandbox) schemaTarget(c *call, write bool) (*sourceRec, string, error) {
	src, err := s.source(c, write)
	return src, c.r.PathValue("schemaId"), err
}

// getSourceSchema handles "GET /sources/{sourceId}/schemas/{schemaId}".
func (s *Sandbox) getSourceSchema(c *call) (int, any, error) {
	src, id, err := s.schemaTarget(c, false)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, sc := src.schemaByID(id)
	if sc == nil {
		return 0, nil, notFound("Schema %q was not found on this source.", id)
	}
	return http.StatusOK, clone(sc), nil
}

// schemaImmutable are the Schema fields a PUT or PATCH cannot change.
var schemaImmutable = []string{"id", "name", "created", "modified"}

// putSourceSchema handles "PUT /sources/{sourceId}/schemas/{schemaId}".
func (s *Sandbox) putSourceSchema(c *call) (int, any, error) {
	src, id, err := s.schemaTarget(c, true)
	if err != nil {
		return 0, nil, err
	}
	var sc map[string]any
	if err := decodeJSON(c.r, &sc); err != nil {
		return 0, nil, err
	}
	if _, ok := sc["id"]; !ok {
		return 0, nil, badRequest("id is required in the body of a schema PUT")
	}
	if err := validateSchema(sc); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, old := src.schemaByID(id)
	if old == nil {
		return 0, nil, notFound("Schema %q was not found on this source.", id)
	}
	if err := keepImmutable(sc, old, schemaImmutable, true); err != nil {
		return 0, nil, err
	}
	for _, f := range schemaImmutable {
		sc[f] = old[f]
	}
	sc["modified"] = isoTime(s.now())
	src.schemas[i] = sc
	src.syncSchemaRefs()
	return http.StatusOK, clone(sc), nil
}

// updateSourceSchema handles "PATCH /sources/{sourceId}/schemas/{schemaId}".
func (s *Sandbox) updateSourceSchema(c *call) (int, any, error) {
	src, id, err := s.schemaTarget(c, true)
	if err != nil {
		return 0, nil, err
	}
	patch, err := readPatch(c.r)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, old := src.schemaByID(id)
	if old == nil {
		return 0, nil, notFound("Schema %q was not found on this source.", id)
	}
	sc, err := applyPatch(old, patch)
	if err != nil {
		return 0, nil, err
	}
	if err := keepImmutable(sc, old, schemaImmutable, false); err != nil {
		return 0, nil, err
	}
	if err := validateSchema(sc); err != nil {
		return 0, nil, err
	}
	sc["modified"] = isoTime(s.now())
	src.schemas[i] = sc
	return http.StatusOK, clone(sc), nil
}

// deleteSourceSchema handles "DELETE /sources/{sourceId}/schemas/{schemaId}".
func (s *Sandbox) deleteSourceSchema(c *call) (int, any, error) {
	src, id, err := s.schemaTarget(c, true)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, old := src.schemaByID(id)
	if old == nil {
		return 0, nil, notFound("Schema %q was not found on this source.", id)
	}
	src.schemas = slices.Delete(src.schemas, i, i+1)
	src.syncSchemaRefs()
	return http.StatusNoContent, nil, nil
}

// Schedules.

var scheduleTypes = []string{"ACCOUNT_AGGREGATION", "GROUP_AGGREGATION"}

func validateSchedule(sc map[string]any) error {
	t, _ := sc["type"].(string)
	if !slices.Contains(scheduleTypes, t) {
		return badRequest("type must be ACCOUNT_AGGREGATION or GROUP_AGGREGATION, got %v", sc["type"])
	}
	expr, ok := sc["cronExpression"].(string)
	if !ok {
		return badRequest("cronExpression is required")
	}
	if err := validateCron(expr); err != nil {
		return badRequest("Invalid cronExpression %q: %v", expr, err)
	}
	return nil
}

// scheduleKind describes schedules for the keyed-collection handlers.
var scheduleKind = keyedKind{
	items:    func(src *sourceRec) map[string]map[string]any { return src.schedules },
	order:    scheduleTypes,
	keyField: "type",
	validate: validateSchedule,
	notFound: func(t string) error { return notFound("No %s schedule on this source.", t) },
}

func (s *Sandbox) scheduleTarget(c *call, write bool) (*sourceRec, string, error) {
	src, err := s.source(c, write)
	if err != nil {
		return nil, "", err
	}
	t := c.r.PathValue("scheduleType")
	if !slices.Contains(scheduleTypes, t) {
		return nil, "", badRequest("scheduleType must be ACCOUNT_AGGREGATION or GROUP_AGGREGATION, got %q", t)
	}
	return src, t, nil
}

// getSourceSchedules handles "GET /sources/{sourceId}/schedules".
func (s *Sandbox) getSourceSchedules(c *call) (int, any, error) {
	return s.listKeyed(c, scheduleKind)
}

// createSourceSchedule handles "POST /sources/{sourceId}/schedules".
func (s *Sandbox) createSourceSchedule(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	var sc map[string]any
	if err := decodeJSON(c.r, &sc); err != nil {
		return 0, nil, err
	}
	if err := validateSchedule(sc); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := sc["type"].(string)
	if _, ok := src.schedules[t]; ok {
		return 0, nil, badRequest("A %s schedule already exists on this source; PATCH or DELETE it.", t)
	}
	src.schedules[t] = sc
	return http.StatusCreated, clone(sc), nil
}

// getSourceSchedule handles "GET /sources/{sourceId}/schedules/{scheduleType}".
func (s *Sandbox) getSourceSchedule(c *call) (int, any, error) {
	return s.getKeyed(c, s.scheduleTarget, scheduleKind)
}

// updateSourceSchedule handles "PATCH /sources/{sourceId}/schedules/{scheduleType}".
func (s *Sandbox) updateSourceSchedule(c *call) (int, any, error) {
	return s.patchKeyed(c, s.scheduleTarget, scheduleKind)
}

// deleteSourceSchedule handles "DELETE /sources/{sourceId}/schedules/{scheduleType}".
func (s *Sandbox) deleteSourceSchedule(c *call) (int, any, error) {
	return s.deleteKeyed(c, s.scheduleTarget, scheduleKind)
}

// getSourceHealth handles "GET /sources/{sourceId}/source-health".
func (s *Sandbox) getSourceHealth(c *call) (int, any, error) {
	src, err := s.source(c, false)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return http.StatusOK, map[string]any{
		"id": src.id(), "type": src.obj["type"], "name": src.name(), "org": s.cfg.TenantName,
		"isAuthoritative": src.obj["authoritative"] == true, "isCluster": src.obj["cluster"] != nil,
		"hostname": "va-" + src.id()[24:] + ".sandbox.internal", "pod": "sandbox-pod", "iqServiceVersion": nil,
		"status": src.status(),
	}, nil
}

// getSourceConnections handles "GET /sources/{sourceId}/connections".
func (s *Sandbox) getSourceConnections(c *call) (int, any, error) {
	return s.getPart(c, func(src *sourceRec) any { return src.connections })
}

// getCorrelationConfig handles "GET /sources/{id}/correlation-config".
func (s *Sandbox) getCorrelationConfig(c *call) (int, any, error) {
	return s.getPart(c, func(src *sourceRec) any { return src.correlation })
}

// putCorrelationConfig handles "PUT /sources/{id}/correlation-config".
func (s *Sandbox) putCorrelationConfig(c *call) (int, any, error) {
	return s.putPart(c, func(src *sourceRec, v map[string]any) error {
		if a, ok := v["attributeAssignments"]; ok && a != nil {
			list, ok := a.([]any)
			if !ok {
				return badRequest("attributeAssignments must be an array")
			}
			for i, x := range list {
				m, _ := x.(map[string]any)
				if m == nil {
					return badRequest("attributeAssignments[%d] must be an object", i)
				}
				if op, ok := m["operation"]; ok && op != "EQ" {
					return badRequest("attributeAssignments[%d].operation must be EQ", i)
				}
			}
		}
		src.correlation = v
		return nil
	})
}

// keyedKind describes a source's sub-resources that ISC keys by a type name, at most
// one per type (provisioning policies by usageType, schedules by type): their list,
// GET, PATCH and DELETE handlers differ only in these parts.
type keyedKind struct {
	items    func(*sourceRec) map[string]map[string]any
	order    []string // every key, in the order lists show them
	keyField string   // the body field that holds the key; a PATCH may not change it
	validate func(map[string]any) error
	notFound func(key string) error
}

// keyedTarget reads a keyed sub-resource's path: the source and the checked key.
type keyedTarget func(c *call, write bool) (*sourceRec, string, error)

// listKeyed serves every item of the collection, in k.order.
func (s *Sandbox) listKeyed(c *call, k keyedKind) (int, any, error) {
	src, err := s.source(c, false)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := k.items(src)
	out := []any{}
	for _, key := range k.order {
		if v, ok := items[key]; ok {
			out = append(out, v)
		}
	}
	return http.StatusOK, clone(out), nil
}

// getKeyed serves one item of the collection.
func (s *Sandbox) getKeyed(c *call, at keyedTarget, k keyedKind) (int, any, error) {
	src, key, err := at(c, false)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := k.items(src)[key]
	if !ok {
		return 0, nil, k.notFound(key)
	}
	return http.StatusOK, clone(v), nil
}

// patchKeyed applies a JSON Patch to one item; the result keeps its key and passes
// k.validate, or nothing changes.
func (s *Sandbox) patchKeyed(c *call, at keyedTarget, k keyedKind) (int, any, error) {
	src, key, err := at(c, true)
	if err != nil {
		return 0, nil, err
	}
	patch, err := readPatch(c.r)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := k.items(src)
	old, ok := items[key]
	if !ok {
		return 0, nil, k.notFound(key)
	}
	v, err := applyPatch(old, patch)
	if err != nil {
		return 0, nil, err
	}
	if !sameValue(v[k.keyField], key) {
		return 0, nil, badRequest("%s is immutable and cannot be changed", k.keyField)
	}
	if err := k.validate(v); err != nil {
		return 0, nil, err
	}
	items[key] = v
	return http.StatusOK, clone(v), nil
}

// deleteKeyed removes one item.
func (s *Sandbox) deleteKeyed(c *call, at keyedTarget, k keyedKind) (int, any, error) {
	src, key, err := at(c, true)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := k.items(src)
	if _, ok := items[key]; !ok {
		return 0, nil, k.notFound(key)
	}
	delete(items, key)
	return http.StatusNoContent, nil, nil
}

// getPart serves a JSON sub-object of a source.
func (s *Sandbox) getPart(c *call, get func(*sourceRec) any) (int, any, error) {
	src, err := s.source(c, false)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return http.StatusOK, clone(get(src)), nil
}

// putPart replaces a JSON sub-object of a source after set validates it.
func (s *Sandbox) putPart(c *call, set func(*sourceRec, map[string]any) error) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	var v map[string]any
	if err := decodeJSON(c.r, &v); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := set(src, v); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, clone(v), nil
}

// listPasswordPolicyHolders handles "GET /sources/{sourceId}/password-policies".
func (s *Sandbox) listPasswordPolicyHolders(c *call) (int, any, error) {
	limit, offset, count, err := paging(c.r)
	if err != nil {
		return 0, nil, err
	}
	src, err := s.source(c, false)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	list := clone(src.pwdHolders)
	s.mu.Unlock()
	return http.StatusOK, page(c.w, list, limit, offset, count), nil
}

// updatePasswordPolicyHolders handles "PATCH /sources/{sourceId}/password-policies".
func (s *Sandbox) updatePasswordPolicyHolders(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	var list []any
	if err := decodeJSON(c.r, &list); err != nil {
		return 0, nil, err
	}
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return 0, nil, badRequest("item %d must be an object", i)
		}
		if id, _ := m["policyId"].(string); id == "" {
			return 0, nil, badRequest("item %d: policyId is required", i)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src.pwdHolders = list
	return http.StatusOK, clone(list), nil
}

// failureDetail is a realistic connector error for an unhealthy source.
func failureDetail(src *sourceRec) string {
	conn, _ := src.obj["connector"].(string)
	switch src.status() {
	case stErrVA:
		return "No virtual appliance in cluster 'Corporate Cluster' responded within 60 seconds. Verify the VA is online and can reach the tenant."
	case stFailClus:
		return "Cluster 'Corporate Cluster' failed its health check: 0 of 2 virtual appliances are healthy."
	case stErrFile:
		return "The last account file import failed: the file had malformed rows. Upload a corrected CSV file."
	}
	switch conn {
	case "active-directory":
		return "Error connecting to [dc01.emea.corp.example:636]: javax.naming.CommunicationException: dc01.emea.corp.example:636 [Root exception is java.net.ConnectException: Connection timed out]"
	case "ldap":
		return "javax.naming.CommunicationException: simple bind failed: ldap.labs.example:636 [Root exception is javax.net.ssl.SSLHandshakeException: PKIX path validation failed: certificate expired]"
	case "jdbc":
		return "java.sql.SQLException: Login failed for user 'sp_svc'. ClientConnectionId:7f3e4b5c-0000-4000-8000-000000000001"
	case "web-services":
		return "Exception occurred while performing 'Test Connection' operation: Url: https://tickets.example/api/users, Message: 503 : Service Unavailable"
	case "okta":
		return "Invalid token provided (Okta error E0000011)"
	}
	return "Connection to the source failed: sailpoint.connector.ConnectorException: the source did not respond."
}

// connectorStatus serves check-connection, test-configuration and ping-cluster.
func (s *Sandbox) connectorStatus(kind string) handlerFunc {
	return func(c *call) (int, any, error) {
		src, err := s.source(c, true)
		if err != nil {
			return 0, nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		st := src.status()
		ok := st != stErrSource && st != stErrVA && st != stFailClus && st != stErrFile
		if kind == "ping-cluster" {
			ok = st != stErrVA && st != stFailClus
		}
		details := map[string]any{"requestProcessedOn": isoTime(s.now())}
		status := "SUCCESS"
		if !ok {
			status = "FAILURE"
			details["error"] = failureDetail(src)
		} else if kind == "ping-cluster" {
			details["cluster"] = "Corporate Cluster"
			details["vaCount"] = 2
		} else {
			details["message"] = "Test connection successful."
		}
		if ok && kind == "check-connection" && (st == stUnchecked || st == stNoAccts) {
			// A successful check marks an unchecked source healthy, as in ISC.
			src.obj["status"] = stHealthy
			src.obj["healthy"] = true
			src.obj["since"] = isoTime(s.now())
		}
		return http.StatusOK, map[string]any{
			"id": src.id(), "name": src.name(), "status": status,
			"elapsedMillis": 200 + len(src.name())*7, "details": details,
		}, nil
	}
}

// peekResourceObjects handles "POST /sources/{sourceId}/connector/peek-resource-objects".
func (s *Sandbox) peekResourceObjects(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	var req map[string]any
	if err := decodeJSON(c.r, &req); err != nil {
		return 0, nil, err
	}
	objectType := "account"
	if v, ok := req["objectType"]; ok {
		if objectType, ok = v.(string); !ok || objectType == "" {
			return 0, nil, badRequest("objectType must be a non-empty string")
		}
	}
	maxCount := 25
	if v, ok := req["maxCount"]; ok {
		f, ok := v.(float64)
		if !ok || f < 1 || f != float64(int(f)) {
			return 0, nil, badRequest("maxCount must be a positive integer")
		}
		maxCount = int(f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := src.status(); st == stErrSource || st == stErrVA || st == stFailClus {
		return 0, nil, badRequest("Peek failed: %s", failureDetail(src))
	}
	schemaName := objectType
	if objectType == "account" || objectType == "user" {
		schemaName = "account"
	}
	sc := src.schemaByName(schemaName)
	if sc == nil {
		return 0, nil, badRequest("The source has no %q schema.", objectType)
	}
	idAttr, _ := sc["identityAttribute"].(string)
	dispAttr, _ := sc["displayAttribute"].(string)
	objs := []any{}
	var rows []map[string]any
	if schemaName == "account" {
		rows = src.accounts.sortedSample(idAttr)
	} else {
		keys := make([]string, 0, len(src.groups.keys))
		for k := range src.groups.keys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			rows = append(rows, map[string]any{idAttr: k, dispAttr: k})
		}
	}
	for _, row := range rows {
		if len(objs) >= maxCount {
			break
		}
		id := valueString(row[idAttr])
		objs = append(objs, map[string]any{
			"instance": "sandbox", "identity": id, "uuid": "{" + id + "}",
			"name": valueString(row[dispAttr]), "objectType": objectType, "incomplete": false, "incremental": false,
			"delete": false, "remove": false, "missing": []any{}, "attributes": row, "finalUpdate": false,
		})
	}
	return http.StatusOK, clone(map[string]any{
		"id": src.id(), "name": src.name(), "objectCount": len(objs), "elapsedMillis": 300 + 11*len(objs), "resourceObjects": objs,
	}), nil
}

var sourceConfigLocales = []string{"de", "no", "fi", "sv", "ru", "pt", "ko", "zh-TW", "en", "it", "fr", "zh-CN", "hu", "es", "cs", "ja", "pl", "da", "nl"}

// getSourceConfig handles "GET /sources/{id}/connectors/source-config".
func (s *Sandbox) getSourceConfig(c *call) (int, any, error) {
	if l := c.r.URL.Query().Get("locale"); l != "" && !slices.Contains(sourceConfigLocales, l) {
		return 0, nil, badRequest("locale %q is not supported", l)
	}
	locale := c.r.URL.Query().Get("locale")
	if locale == "" {
		locale = "en"
	}
	return s.getPart(c, func(src *sourceRec) any {
		d := clone(src.detail)
		// Labels not translated into the locale fall back to English.
		labels := map[string]string{}
		for k, v := range formLabels {
			labels[k] = v
		}
		if locale == "de" {
			for k, v := range formLabelsDE {
				labels[k] = v
			}
		}
		d["translationProperties"] = map[string]any{locale: properties(labels)}
		return d
	})
}

func defaultNCD() map[string]any {
	return map[string]any{"enabled": false, "operations": []any{}, "allEntitlements": false, "allNonEntitlementAttributes": false,
		"selectedEntitlements": []any{}, "selectedNonEntitlementAttributes": []any{}}
}

// getNativeChangeDetectionConfig handles "GET /sources/{sourceId}/native-change-detection-config".
func (s *Sandbox) getNativeChangeDetectionConfig(c *call) (int, any, error) {
	return s.getPart(c, func(src *sourceRec) any {
		if src.ncd == nil {
			return defaultNCD()
		}
		return src.ncd
	})
}

// putNativeChangeDetectionConfig handles "PUT /sources/{sourceId}/native-change-detection-config".
func (s *Sandbox) putNativeChangeDetectionConfig(c *call) (int, any, error) {
	return s.putPart(c, func(src *sourceRec, v map[string]any) error {
		if ops, ok := v["operations"]; ok && ops != nil {
			list, ok := ops.([]any)
			if !ok {
				return badRequest("operations must be an array")
			}
			for _, o := range list {
				if !slices.Contains([]any{"ACCOUNT_UPDATED", "ACCOUNT_CREATED", "ACCOUNT_DELETED"}, o) {
					return badRequest("operation %v is not one of ACCOUNT_UPDATED, ACCOUNT_CREATED, ACCOUNT_DELETED", o)
				}
			}
		}
		if e, ok := v["enabled"]; ok {
			if _, isBool := e.(bool); !isBool {
				return badRequest("enabled must be a boolean")
			}
		}
		src.ncd = v
		return nil
	})
}

// deleteNativeChangeDetectionConfig handles "DELETE /sources/{sourceId}/native-change-detection-config".
func (s *Sandbox) deleteNativeChangeDetectionConfig(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src.ncd = nil
	return http.StatusNoContent, nil, nil
}

// getAttrSyncConfig handles "GET /sources/{id}/attribute-sync-config" (experimental).
func (s *Sandbox) getAttrSyncConfig(c *call) (int, any, error) {
	if err := requireExperimental(c.r); err != nil {
		return 0, nil, err
	}
	return s.getPart(c, func(src *sourceRec) any { return src.attrSync })
}

// putAttrSyncConfig handles "PUT /sources/{id}/attribute-sync-config"
// (experimental): only attributes[].enabled may change.
func (s *Sandbox) putAttrSyncConfig(c *call) (int, any, error) {
	if err := requireExperimental(c.r); err != nil {
		return 0, nil, err
	}
	return s.putPart(c, func(src *sourceRec, v map[string]any) error {
		if !sameValue(v["source"], src.attrSync["source"]) {
			return badRequest("source cannot be changed")
		}
		newAttrs, ok := v["attributes"].([]any)
		oldAttrs, _ := src.attrSync["attributes"].([]any)
		if !ok || len(newAttrs) != len(oldAttrs) {
			return badRequest("attributes must list the same %d attributes; only enabled may change", len(oldAttrs))
		}
		for i := range newAttrs {
			n, _ := newAttrs[i].(map[string]any)
			o, _ := oldAttrs[i].(map[string]any)
			if n == nil {
				return badRequest("attributes[%d] must be an object", i)
			}
			if _, isBool := n["enabled"].(bool); !isBool {
				return badRequest("attributes[%d].enabled must be a boolean", i)
			}
			for _, f := range []string{"name", "displayName", "target"} {
				if !sameValue(n[f], o[f]) {
					return badRequest("attributes[%d].%s cannot be changed; only enabled may change", i, f)
				}
			}
		}
		src.attrSync = v
		return nil
	})
}

// syncAttributes handles "POST /sources/{id}/synchronize-attributes" (experimental).
func (s *Sandbox) syncAttributes(c *call) (int, any, error) {
	if err := requireExperimental(c.r); err != nil {
		return 0, nil, err
	}
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newTask("Attribute Synchronization", "Synchronizes identity attributes to the source accounts", c, src)
	t.counts["total"] = src.accounts.total
	t.counts["updated"] = src.accounts.total
	return http.StatusAccepted, map[string]any{
		"id": t.id, "status": "QUEUED",
		"payload": map[string]any{"type": "SYNCHRONIZE_SOURCE_ATTRIBUTES", "dataJson": fmt.Sprintf(`{"sourceId":%q}`, src.id())},
	}, nil
}

// getEntitlementRequestConfig handles "GET /sources/{id}/entitlement-request-config".
func (s *Sandbox) getEntitlementRequestConfig(c *call) (int, any, error) {
	return s.getPart(c, func(src *sourceRec) any { return src.entReq })
}

// putEntitlementRequestConfig handles "PUT /sources/{id}/entitlement-request-config".
func (s *Sandbox) putEntitlementRequestConfig(c *call) (int, any, error) {
	return s.putPart(c, func(src *sourceRec, v map[string]any) error {
		for _, key := range []string{"accessRequestConfig", "revocationRequestConfig"} {
			sub, _ := v[key].(map[string]any)
			schemes, _ := sub["approvalSchemes"].([]any)
			for i, x := range schemes {
				m, _ := x.(map[string]any)
				t, _ := m["approverType"].(string)
				if !slices.Contains([]string{"ENTITLEMENT_OWNER", "SOURCE_OWNER", "MANAGER", "GOVERNANCE_GROUP", "WORKFLOW"}, t) {
					return badRequest("%s.approvalSchemes[%d].approverType %v is not valid", key, i, m["approverType"])
				}
				if (t == "GOVERNANCE_GROUP" || t == "WORKFLOW") && m["approverId"] == nil {
					return badRequest("%s.approvalSchemes[%d]: approverId is required for %s", key, i, t)
				}
			}
		}
		src.entReq = v
		return nil
	})
}

// validateCron checks a Quartz cron expression (seconds minutes hours
// day-of-month month day-of-week [year]) with the project's cron parser, the
// same one the console's previewer uses.
func validateCron(expr string) error {
	_, err := cron.Parse(expr)
	return err
}
