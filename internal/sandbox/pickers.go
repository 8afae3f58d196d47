package sandbox

// The five read-only lists beyond the Sources API that fill a console's
// pickers (isc-pickers-v2025.yaml): public identities, managed clusters,
// governance groups (workgroups), password policies and connectors. They are
// seeded so that every id a seeded source references (owner, cluster,
// managementWorkgroup, passwordPolicies, connector) names an object here.
// Who may call each follows the spec's x-sailpoint-userLevels.

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Ids of seeded picker objects that tests and demos refer to.
const (
	// SeedClusterID is the cluster the seeded direct-connect sources use.
	SeedClusterID = "2c9180866166b5b0016167c32ef31a66"
	// SeedPasswordPolicyID is the policy the seeded Active Directory sources use.
	SeedPasswordPolicyID = "2c9180855d191c59015d291ceb053980"
	// SeedDefaultPasswordPolicyID is the tenant's default policy.
	SeedDefaultPasswordPolicyID = "2c91808e7d976f3b017d9f5ceae440c8"
	// SeedInactiveIdentityID is an identity ISC reports as inactive.
	SeedInactiveIdentityID = "2c9180857a1b4c2d017a1b4c2d0e0099"
)

// pickerItem is one object of a picker list: the DTO the API returns, and
// the fields filters match on (the DTO's plus the filterable fields the DTO
// does not return, such as an identity's firstname).
type pickerItem struct {
	dto   map[string]any
	match map[string]any
}

// pickerList describes one list operation.
type pickerList struct {
	levels  []string            // user levels allowed (nil = any signed-in user)
	filters map[string][]string // nil = the operation takes no filters parameter
	sorters []string            // nil = the operation takes no sorters parameter
	locale  bool                // takes locale (getConnectorList)
	items   func(p *Principal) []pickerItem
}

func (s *Sandbox) pickerRoutes() []route {
	lists := []struct {
		pattern, op string
		l           pickerList
	}{
		{"GET /public-identities", "getPublicIdentities", pickerList{
			filters: map[string][]string{"id": {"eq", "in"}, "alias": {"eq", "sw"}, "email": {"eq", "sw"}, "firstname": {"eq", "sw"}, "lastname": {"eq", "sw"}},
			sorters: []string{"name"},
			items:   s.identityItems,
		}},
		{"GET /managed-clusters", "getManagedClusters", pickerList{
			levels:  []string{LevelOrgAdmin},
			filters: map[string][]string{"operational": {"eq"}, "name": {"eq"}, "type": {"eq"}, "status": {"eq"}},
			items:   func(*Principal) []pickerItem { return seedClusterItems },
		}},
		{"GET /workgroups", "listWorkgroups", pickerList{
			levels:  []string{LevelOrgAdmin},
			filters: map[string][]string{"id": {"eq", "in", "sw"}, "name": {"eq", "sw", "in"}, "memberships.identityId": {"eq", "in"}},
			sorters: []string{"name", "created", "modified", "id", "description"},
			items:   s.workgroupItems,
		}},
		{"GET /password-policies", "listPasswordPolicies", pickerList{
			levels: []string{LevelOrgAdmin},
			items:  s.passwordPolicyItems,
		}},
		{"GET /connectors", "getConnectorList", pickerList{
			levels:  []string{LevelOrgAdmin, LevelSourceAdmin, LevelSourceSubadmin},
			filters: map[string][]string{"name": {"sw", "co"}, "type": {"sw", "co", "eq"}, "directConnect": {"eq"}, "category": {"eq"}, "features": {"ca"}, "labels": {"ca"}},
			locale:  true,
			items:   func(*Principal) []pickerItem { return seedConnectorItems },
		}},
	}
	out := make([]route, 0, len(lists))
	for _, l := range lists {
		out = append(out, route{l.pattern, l.op, s.servePickerList(l.op, l.l)})
	}
	return out
}

// servePickerList answers one list operation: user level, experimental
// header, paging, filters, sorters and locale, in that order.
func (s *Sandbox) servePickerList(op string, l pickerList) handlerFunc {
	return func(c *call) (int, any, error) {
		if l.levels != nil && !slices.Contains(l.levels, c.p.UserLevel) {
			return 0, nil, forbidden(fmt.Sprintf("The server understood the request but refuses to authorize it: %s requires one of the user levels %v.", op, l.levels))
		}
		if op == "listPasswordPolicies" {
			if err := requireExperimental(c.r); err != nil {
				return 0, nil, err
			}
		}
		limit, offset, count, err := paging(c.r)
		if err != nil {
			return 0, nil, err
		}
		q := c.r.URL.Query()
		var filter *FilterExpr
		if f := q.Get("filters"); f != "" && l.filters != nil {
			if filter, err = ParseFilter(f); err != nil {
				return 0, nil, badRequest("Invalid filters: %v", err)
			}
			if err := filter.Check(l.filters); err != nil {
				return 0, nil, badRequest("Invalid filters: %v", err)
			}
		}
		if loc := q.Get("locale"); l.locale && loc != "" && !slices.Contains(sourceConfigLocales, loc) {
			return 0, nil, badRequest("locale %q is not supported", loc)
		}
		if v := q.Get("add-core-filters"); v != "" && op == "getPublicIdentities" {
			if _, err := strconv.ParseBool(v); err != nil {
				return 0, nil, badRequest("add-core-filters must be true or false, got %q", v)
			}
		}
		coreOnly := op == "getPublicIdentities" && q.Get("add-core-filters") == "true"
		var out []map[string]any
		for _, it := range s.tenantItems(l.items(c.p)) {
			if filter != nil && !filter.Match(it.match) {
				continue
			}
			if coreOnly && it.match["core"] != true {
				continue
			}
			out = append(out, it.dto)
		}
		out = clone(out)
		if out == nil {
			out = []map[string]any{}
		}
		if sorters := q.Get("sorters"); sorters != "" && l.sorters != nil {
			if err := sortObjects(out, sorters, l.sorters); err != nil {
				return 0, nil, badRequest("Invalid sorters: %v", err)
			}
		}
		return http.StatusOK, page(c.w, out, limit, offset, count), nil
	}
}

// nameRefs sets the name of each reference of a source body whose id names a
// seeded object, as ISC answers with the names of what a source references
// whatever the request said.
func nameRefs(obj map[string]any) {
	lookup := func(field string, name func(id string) string) {
		set := func(m map[string]any) {
			if id, _ := m["id"].(string); id != "" {
				if n := name(id); n != "" {
					m["name"] = n
				}
			}
		}
		switch v := obj[field].(type) {
		case map[string]any:
			set(v)
		case []any:
			for _, x := range v {
				if m, ok := x.(map[string]any); ok {
					set(m)
				}
			}
		}
	}
	lookup("owner", func(id string) string {
		for _, p := range seedIdentities {
			if p.id == id {
				return p.name()
			}
		}
		return ""
	})
	lookup("cluster", func(id string) string {
		for _, c := range seedClusterItems {
			if c.dto["id"] == id {
				return c.dto["name"].(string)
			}
		}
		return ""
	})
	lookup("managementWorkgroup", func(id string) string {
		for _, w := range seedWorkgroups {
			if w.id == id {
				return w.name
			}
		}
		return ""
	})
	lookup("passwordPolicies", func(id string) string {
		for _, p := range seedPasswordPolicies {
			if p.id == id {
				return p.name
			}
		}
		return ""
	})
}

// seedIdentity is one identity of the tenant.
type seedIdentity struct {
	id, first, last, alias string
	status, state          string // lifecycle state name, identityState
	manager                int    // index into seedIdentities, -1 for none
	core                   bool   // correlated, with a uid, last name and email
}

// seedIdentities: the demo users and source owners first (their ids are the
// ones sources reference), then the people whose accounts the sources hold.
var seedIdentities = func() []seedIdentity {
	ids := []seedIdentity{
		{"2c9180857a1b4c2d017a1b4c2d0e0001", "Ada", "Admin", "ada.admin", "Active", "ACTIVE", -1, true},
		{"2c9180857a1b4c2d017a1b4c2d0e0002", "Sam", "Source-Admin", "sam.source-admin", "Active", "ACTIVE", 0, true},
		{"2c9180857a1b4c2d017a1b4c2d0e0003", "Sub", "Admin", "sub.admin", "Active", "ACTIVE", 1, true},
		{"2c9180857a1b4c2d017a1b4c2d0e0004", "Hal", "Helpdesk", "hal.helpdesk", "Active", "ACTIVE", 1, true},
		{"2c9180857a1b4c2d017a1b4c2d0e0010", "Olivia", "Owner", "olivia.owner", "Active", "ACTIVE", 0, true},
		{"2c9180857a1b4c2d017a1b4c2d0e0011", "Björn", "Østergaard", "bjorn.ostergaard", "Active", "ACTIVE", 4, true},
		{SeedInactiveIdentityID, "Ivo", "Inactive", "ivo.inactive", "Terminated", "INACTIVE_LONG_TERM", 0, true},
		{"2c9180857a1b4c2d017a1b4c2d0e009a", "spadmin", "", "spadmin", "", "", -1, false},
	}
	for i, p := range seedPeople {
		var first, last string
		fmt.Sscan(p, &first, &last)
		ids = append(ids, seedIdentity{fmt.Sprintf("2c9180857a1b4c2d017a1b4c2d0e1%03x", i), first, last,
			identityAlias(first, last), "Active", "ACTIVE", 4 + i%2, true})
	}
	return ids
}()

func identityAlias(first, last string) string {
	return fmt.Sprintf("%s.%s", lowerASCII(first), lowerASCII(last))
}

// lowerASCII lower-cases s and drops what is not a letter a-z (aliases are plain).
func lowerASCII(s string) string {
	fold := map[rune]string{'é': "e", 'ř': "r", 'á': "a", 'ö': "o", 'ø': "o", 'Ø': "o", 'ë': "e", 'ñ': "n", 'ü': "u", 'å': "a"}
	var out []rune
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			out = append(out, r)
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		case fold[r] != "":
			out = append(out, []rune(fold[r])...)
		}
	}
	return string(out)
}

func (id seedIdentity) name() string {
	if id.last == "" {
		return id.first
	}
	return id.first + " " + id.last
}

func (s *Sandbox) identityItems(*Principal) []pickerItem {
	out := make([]pickerItem, 0, len(seedIdentities))
	for _, id := range seedIdentities {
		var email, status, state any
		if id.core {
			email = id.alias + "@example.com"
		}
		if id.status != "" {
			status, state = id.status, id.state
		}
		var manager any
		if id.manager >= 0 {
			m := seedIdentities[id.manager]
			manager = ref("IDENTITY", m.id, m.name())
		}
		dto := map[string]any{
			"id": id.id, "name": id.name(), "alias": id.alias, "email": email, "status": status,
			"identityState": state, "manager": manager,
			"attributes": []any{map[string]any{"key": "department", "name": "Department", "value": seedDepartments[len(id.alias)%len(seedDepartments)]}},
		}
		match := map[string]any{"id": id.id, "alias": id.alias, "email": email, "firstname": id.first, "lastname": id.last, "core": id.core}
		out = append(out, pickerItem{dto, match})
	}
	return out
}

// seedClusterItems: the cluster the seeded sources use, and three more.
var seedClusterItems = func() []pickerItem {
	type cl struct {
		id, name, desc, typ, status, client, health string
		operational                                 bool
	}
	cls := []cl{
		{SeedClusterID, "Corporate Cluster", "Virtual appliances in the Frankfurt data centre.", "idn", "NORMAL", "VA", "NORMAL", true},
		{"2c9180866166b5b0016167c32ef31a67", "EMEA Cluster", "Virtual appliances for the EMEA forests.", "idn", "WARNING", "VA", "WARNING", true},
		{"2c9180866166b5b0016167c32ef31a68", "Lab Cluster", "Test appliances; one is offline.", "idn", "FAILED", "VA", "ERROR", false},
		{"2c9180866166b5b0016167c32ef31a69", "SaaS Connectivity", "ISC's cluster for SaaS connectors.", "spConnectCluster", "NORMAL", "CCG", "NORMAL", true},
	}
	out := make([]pickerItem, 0, len(cls))
	for i, c := range cls {
		dto := map[string]any{
			"id": c.id, "name": c.name, "description": c.desc, "type": c.typ, "status": c.status,
			"pod": "stg01-useast1", "org": TenantName, "operational": c.operational, "clientType": c.client,
			"ccgVersion": "v01", "pinnedConfig": false, "clientIds": strs(fmt.Sprint(1244+2*i), fmt.Sprint(1245+2*i)),
			"serviceCount": float64(3 + i), "ccId": fmt.Sprint(1533 + i),
			"configuration": map[string]any{"clusterExternalId": c.id, "clusterType": c.typ, "gmtOffset": "1"},
			// Key material and the Redis address ISC sends; a console must not pass them on.
			"keyPair": map[string]any{"publicKey": "-----BEGIN PUBLIC KEY-----SANDBOX-CLUSTER-KEY-----END PUBLIC KEY-----",
				"publicKeyThumbprint": "sandbox-thumbprint", "publicKeyCertificate": nil},
			"redis":                              map[string]any{"redisHost": "redis.sandbox.internal", "redisPort": 6379.0},
			"publicKeyCertificate":               nil,
			"publicKeyThumbprint":                "sandbox-thumbprint",
			"publicKey":                          "-----BEGIN PUBLIC KEY-----SANDBOX-CLUSTER-KEY-----END PUBLIC KEY-----",
			"createdAt":                          isoTime(seedEpoch.Add(-months(i + 1))),
			"updatedAt":                          isoTime(seedEpoch),
			"consolidatedHealthIndicatorsStatus": c.health,
		}
		out = append(out, pickerItem{dto, dto})
	}
	return out
}()

// seedGovernanceGroup is a governance group and its members.
type seedGovernanceGroup struct {
	id, name, desc string
	owner          int   // index into seedIdentities
	members        []int // indexes into seedIdentities
}

var seedWorkgroups = []seedGovernanceGroup{
	{DemoWorkgroupID, "Demo Source Stewards", "Manage the team rosters and the new-hire feeds.", 4, []int{2, 4, 5}},
	{"2c9180867c8a4d3e017c8b0f1e2d0002", "Finance Source Owners", "Own the finance and payroll sources.", 5, []int{5, 8, 9}},
	{"2c9180867c8a4d3e017c8b0f1e2d0003", "IAM Engineering", "Run the directories and the cloud identity providers.", 1, []int{0, 1, 10, 11, 12}},
	{"2c9180867c8a4d3e017c8b0f1e2d0004", "Security Reviewers", "Review access to sensitive sources.", 0, []int{0, 13}},
}

func (s *Sandbox) workgroupItems(*Principal) []pickerItem {
	s.mu.Lock()
	conns := map[string]int{}
	for _, src := range s.api.sources {
		conns[src.workgroup()]++
	}
	s.mu.Unlock()
	out := make([]pickerItem, 0, len(seedWorkgroups))
	for i, w := range seedWorkgroups {
		o := seedIdentities[w.owner]
		created := seedEpoch.Add(-months(10 - i))
		dto := map[string]any{
			"id": w.id, "name": w.name, "description": w.desc,
			"owner":       map[string]any{"type": "IDENTITY", "id": o.id, "name": o.name(), "displayName": o.name(), "emailAddress": o.alias + "@example.com"},
			"memberCount": float64(len(w.members)), "connectionCount": float64(conns[s.localID(w.id)]),
			"created": isoTime(created), "modified": isoTime(created.Add(72 * time.Hour)),
		}
		members := make([]any, 0, len(w.members))
		for _, m := range w.members {
			members = append(members, seedIdentities[m].id)
		}
		match := clone(dto)
		match["memberships"] = map[string]any{"identityId": members}
		out = append(out, pickerItem{dto, match})
	}
	return out
}

// seedPasswordPolicies: the tenant's default, the one the AD sources use, and
// a third no source uses.
var seedPasswordPolicies = []struct {
	id, name, desc string
	def            bool
	minLen, expire float64
}{
	{SeedDefaultPasswordPolicyID, "Default", "The policy every source falls back to.", true, 8, 90},
	{SeedPasswordPolicyID, "Corporate Password Policy", "Directory passwords: long, and changed twice a year.", false, 12, 180},
	{"2c91808780b8b8430180ff7a093f3bf2", "Privileged Accounts", "Administrator accounts.", false, 16, 30},
}

func (s *Sandbox) passwordPolicyItems(*Principal) []pickerItem {
	s.mu.Lock()
	using := map[string][]string{}
	for _, id := range s.api.order {
		src := s.api.sources[id]
		list, _ := src.obj["passwordPolicies"].([]any)
		for _, r := range list {
			if m, ok := r.(map[string]any); ok {
				pid, _ := m["id"].(string)
				using[pid] = append(using[pid], id)
			}
		}
	}
	s.mu.Unlock()
	out := make([]pickerItem, 0, len(seedPasswordPolicies))
	for i, p := range seedPasswordPolicies {
		ids := using[s.localID(p.id)]
		sort.Strings(ids)
		var updated any
		if i > 0 {
			updated = float64(seedEpoch.Add(months(i)).UnixMilli())
		}
		var desc any = p.desc
		dto := map[string]any{
			"id": p.id, "name": p.name, "description": desc, "defaultPolicy": p.def,
			"dateCreated": float64(seedEpoch.Add(-months(20 - i)).UnixMilli()), "lastUpdated": updated,
			"firstExpirationReminder": nil, "accountIdMinWordLength": -1.0, "accountNameMinWordLength": -1.0,
			"minAlpha": 1.0, "minCharacterTypes": -1.0, "maxLength": 0.0, "minLength": p.minLen, "maxRepeatedChars": -1.0,
			"minLower": 0.0, "minNumeric": 1.0, "minSpecial": 0.0, "minUpper": 0.0, "passwordExpiration": p.expire,
			"enablePasswdExpiration": !p.def, "requireStrongAuthn": false, "requireStrongAuthOffNetwork": false,
			"requireStrongAuthUntrustedGeographies": false, "useAccountAttributes": false, "useDictionary": i == 2,
			"useIdentityAttributes": false, "validateAgainstAccountId": true, "validateAgainstAccountName": true,
			"sourceIds": strs(ids...),
		}
		out = append(out, pickerItem{dto, dto})
	}
	return out
}

// seedConnectorItems: every connector type the sandbox knows, except ISC's
// own IdentityNow connector (no admin creates a source with it).
var seedConnectorItems = func() []pickerItem {
	scripts := make([]string, 0, len(connectors))
	for k := range connectors {
		if k != "identitynow" {
			scripts = append(scripts, k)
		}
	}
	sort.Slice(scripts, func(i, j int) bool { return connectors[scripts[i]].name < connectors[scripts[j]].name })
	out := make([]pickerItem, 0, len(scripts))
	for _, sc := range scripts {
		dto := connectorDTO(sc, connectors[sc])
		match := clone(dto)
		match["category"] = connectorForms[sc].category
		match["labels"] = strs(connectorForms[sc].labels...)
		out = append(out, pickerItem{dto, match})
	}
	return out
}()

// months is n periods of 30 days.
func months(n int) time.Duration { return time.Duration(n) * 30 * 24 * time.Hour }
