package sandbox

// This file seeds the second demo tenant, "production". An admin's sandbox and
// production tenants hold the same people, clusters, governance groups and
// password policies, but every object has an id of its own in each tenant
// (ISC makes ids per tenant), and the sources have drifted apart. The
// production seed is the standard seed, deterministically changed:
//
//   - every seeded id is mapped by ProductionID (users' identity ids and
//     governance groups included);
//   - three sources exist only in the sandbox (Azure AD Sandbox, Interns 2026
//     CSV, Board Portal CSV);
//   - HR Contractors CSV, Corporate AD (EMEA) and Subadmin Team Roster differ
//     (see productionDrift), the roster being managed by another governance
//     group, so the demo subadmin does not manage it in production;
//   - the Lab Cluster and the Security Reviewers governance group do not exist.

import (
	"regexp"
	"slices"
)

// Seed names the data a sandbox starts with.
type Seed string

// The seeds.
const (
	// SeedSandbox is the standard seed (also the zero value "").
	SeedSandbox Seed = "sandbox"
	// SeedProduction is the production tenant's seed.
	SeedProduction Seed = "production"
)

// Sources of the standard seed that the production tenant does not have.
var productionMissing = []int{16, 30, 39}

// Picker objects (by standard-seed id) the production tenant does not have:
// the Lab Cluster and the Security Reviewers governance group.
var productionMissingPickers = []string{"2c9180866166b5b0016167c32ef31a68", "2c9180867c8a4d3e017c8b0f1e2d0004"}

// seededID matches the ids of the standard seed (they all start 2c9180).
var seededID = regexp.MustCompile(`^2c9180[0-9a-f]{26}$`)

// ProductionID is the production tenant's id of the object that has id in the
// standard seed: the same object, another id. Other strings are returned as
// they are.
func ProductionID(id string) string {
	if !seededID.MatchString(id) {
		return id
	}
	return "2c91a0" + id[6:]
}

// productionUsers maps the users' identity ids and governance groups.
func productionUsers(users []User) []User {
	out := slices.Clone(users)
	for i := range out {
		out[i].IdentityID = ProductionID(out[i].IdentityID)
		out[i].GovernanceGroups = slices.Clone(out[i].GovernanceGroups)
		for k, g := range out[i].GovernanceGroups {
			out[i].GovernanceGroups[k] = ProductionID(g)
		}
	}
	return out
}

// seedProduction turns the standard seed in a into the production tenant's.
func seedProduction(a *apiState) {
	for _, i := range productionMissing {
		id := seedSourceID(i)
		delete(a.sources, id)
		a.order = slices.DeleteFunc(a.order, func(o string) bool { return o == id })
	}
	productionDrift(a)
	sources := make(map[string]*sourceRec, len(a.sources))
	for id, rec := range a.sources {
		rec.obj = remapIDs(rec.obj).(map[string]any)
		for k, sc := range rec.schemas {
			rec.schemas[k] = remapIDs(sc).(map[string]any)
		}
		rec.correlation = remapIDs(rec.correlation).(map[string]any)
		rec.attrSync = remapIDs(rec.attrSync).(map[string]any)
		rec.entReq = remapIDs(rec.entReq).(map[string]any)
		rec.pwdHolders = remapIDs(rec.pwdHolders).([]any)
		sources[ProductionID(id)] = rec
	}
	a.sources = sources
	for k, id := range a.order {
		a.order[k] = ProductionID(id)
	}
}

// productionDrift makes the differences between the two tenants' sources.
func productionDrift(a *apiState) {
	hr := a.sources[SeedDelimitedSourceID]
	hr.obj["description"] = "Contractor roster exported nightly by HR (production feed)."
	hr.obj["owner"] = ref("IDENTITY", seedOwners[3].id, seedOwners[3].name)
	hr.obj["connectorAttributes"].(map[string]any)["commentCharacter"] = "#"
	account := hr.schemaByName("account")
	account["attributes"] = slices.DeleteFunc(account["attributes"].([]any), func(x any) bool {
		return x.(map[string]any)["name"] == "level"
	})
	create := hr.policies["CREATE"]
	create["fields"] = create["fields"].([]any)[:1]
	hr.schedules["ACCOUNT_AGGREGATION"]["cronExpression"] = "0 0 3 * * ?"
	delete(hr.schedules, "GROUP_AGGREGATION")
	hr.correlation["attributeAssignments"].([]any)[0].(map[string]any)["ignoreCase"] = false
	hr.entReq["accessRequestConfig"].(map[string]any)["requestCommentRequired"] = true
	hr.attrSync["attributes"].([]any)[0].(map[string]any)["enabled"] = false

	emea := a.sources[SeedUnhealthySourceID]
	emea.obj["cluster"] = ref("CLUSTER", "2c9180866166b5b0016167c32ef31a67", "EMEA Cluster")
	emea.obj["connectorAttributes"].(map[string]any)["pageSize"] = 1000.0
	emea.ncd["enabled"] = false

	roster := a.sources[SeedSubadminSourceID]
	roster.obj["description"] = "Roster of the IAM team."
	roster.obj["managementWorkgroup"] = ref("GOVERNANCE_GROUP", "2c9180867c8a4d3e017c8b0f1e2d0003", "IAM Engineering")
}

// remapIDs returns v (decoded JSON) with every seeded id mapped by ProductionID.
func remapIDs(v any) any {
	switch x := v.(type) {
	case string:
		return ProductionID(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = remapIDs(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for k, e := range x {
			out[k] = remapIDs(e)
		}
		return out
	}
	return v
}

// tenantItems is a picker list as this tenant has it: the standard seed's
// items, in production without the objects it lacks and with its own ids.
func (s *Sandbox) tenantItems(items []pickerItem) []pickerItem {
	if s.cfg.Seed != SeedProduction {
		return items
	}
	out := make([]pickerItem, 0, len(items))
	for _, it := range items {
		if id, _ := it.dto["id"].(string); slices.Contains(productionMissingPickers, id) {
			continue
		}
		out = append(out, pickerItem{remapIDs(it.dto).(map[string]any), remapIDs(it.match).(map[string]any)})
	}
	return out
}
