package sandbox

// This file seeds the sandbox deterministically: about 40 sources across
// connector types and health states, with fixed ids and dates so tests and
// demos can name them.

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Ids of seeded sources that tests and demos refer to.
const (
	// SeedDelimitedSourceID is a healthy Delimited File source with account
	// and entitlement schemas and seeded accounts.
	SeedDelimitedSourceID = "2c9180887e5f4a1b017e5f4a1b000001"
	// SeedAuthoritativeSourceID is the authoritative Workday source; an
	// identity profile uses it, so it cannot be deleted either.
	SeedAuthoritativeSourceID = "2c9180887e5f4a1b017e5f4a1b000002"
	// SeedUnhealthySourceID is an Active Directory source whose connection fails.
	SeedUnhealthySourceID = "2c9180887e5f4a1b017e5f4a1b000003"
	// SeedBlockedDeleteSourceID is used by an identity profile, an app and a
	// transform (see getSourceConnections), so deleting it is refused.
	SeedBlockedDeleteSourceID = "2c9180887e5f4a1b017e5f4a1b000004"
	// SeedXSSSourceID is named exactly `<img src=x onerror=alert(1)>`.
	SeedXSSSourceID = "2c9180887e5f4a1b017e5f4a1b000005"
	// SeedHTMXSourceID is named exactly `<div hx-get="/logout" hx-trigger="load">`.
	SeedHTMXSourceID = "2c9180887e5f4a1b017e5f4a1b000006"
	// SeedQuotesSourceID is named `O'Brien "HR" feed`.
	SeedQuotesSourceID = "2c9180887e5f4a1b017e5f4a1b000007"
	// SeedUnicodeSourceID is named `Zürich Ämter – 東京`.
	SeedUnicodeSourceID = "2c9180887e5f4a1b017e5f4a1b000008"
	// SeedSubadminSourceID is a Delimited File source managed by DemoWorkgroupID.
	SeedSubadminSourceID = "2c9180887e5f4a1b017e5f4a1b000009"
	// SeedUncheckedSourceID is a source whose health was never checked.
	SeedUncheckedSourceID = "2c9180887e5f4a1b017e5f4a1b00000a"
	// SeedIdentityNowSourceID is the IdentityNow source (owner null), listed
	// only with includeIDNSource=true.
	SeedIdentityNowSourceID = "2c9180887e5f4a1b017e5f4a1b00000b"
	// SeedEmptyDelimitedSourceID is a Delimited File source with an account
	// schema and no accounts yet.
	SeedEmptyDelimitedSourceID = "2c9180887e5f4a1b017e5f4a1b00000c"
)

// SeedXSSSourceName and SeedHTMXSourceName are the hostile names the security tests look for.
const (
	SeedXSSSourceName  = `<img src=x onerror=alert(1)>`
	SeedHTMXSourceName = `<div hx-get="/logout" hx-trigger="load">`
)

// seedEpoch is the fixed creation time base of seeded objects.
var seedEpoch = time.Date(2024, 1, 15, 9, 30, 0, 0, time.UTC)

func seedSourceID(i int) string { return fmt.Sprintf("2c9180887e5f4a1b017e5f4a1b%06x", i) }
func seedSubID(i, k int) string { return fmt.Sprintf("2c9180887e5f4a1b017e5f4a1c%04x%02x", i, k) }

// connectorInfo describes a connector type as ISC reports it.
type connectorInfo struct {
	typ, name, class, connType string
	cluster                    bool
	features                   []string
	accountAttrs               [][3]string // name, type, flags (m=multi, e=entitlement, g=group)
	identityAttr, displayAttr  string
	groups                     bool
}

var connectors = map[string]connectorInfo{
	"active-directory": {"Active Directory - Direct", "Active Directory", "sailpoint.connector.ADLDAPConnector", "direct", true,
		[]string{"AUTHENTICATE", "DIRECT_PERMISSIONS", "ENABLE", "MANAGER_LOOKUP", "SEARCH", "UNLOCK", "PROVISIONING", "GROUP_PROVISIONING", "SYNC_PROVISIONING", "PASSWORD", "CURRENT_PASSWORD"},
		[][3]string{{"sAMAccountName", "STRING", ""}, {"distinguishedName", "STRING", ""}, {"mail", "STRING", ""}, {"givenName", "STRING", ""}, {"sn", "STRING", ""}, {"memberOf", "STRING", "meg"}},
		"distinguishedName", "sAMAccountName", true},
	"workday": {"Workday", "Workday", "sailpoint.connector.WorkdayConnector", "direct", true,
		[]string{"SEARCH", "NO_RANDOM_ACCESS"},
		[][3]string{{"EMPLOYEE_ID", "STRING", ""}, {"FULL_NAME", "STRING", ""}, {"EMAIL_ADDRESS_WORK", "STRING", ""}, {"DEPARTMENT", "STRING", ""}, {"HIREDATE", "DATE", ""}},
		"EMPLOYEE_ID", "FULL_NAME", false},
	"servicenow": {"ServiceNow", "ServiceNow", "sailpoint.connector.ServiceNowConnector", "direct", false,
		[]string{"PROVISIONING", "ENABLE", "SEARCH"},
		[][3]string{{"sys_id", "STRING", ""}, {"user_name", "STRING", ""}, {"email", "STRING", ""}, {"roles", "STRING", "meg"}},
		"sys_id", "user_name", true},
	"azure-active-directory": {"Azure Active Directory", "Azure Active Directory", "sailpoint.connector.AzureADConnector", "direct", false,
		[]string{"PROVISIONING", "ENABLE", "SEARCH", "GROUP_PROVISIONING", "PASSWORD"},
		[][3]string{{"objectId", "STRING", ""}, {"userPrincipalName", "STRING", ""}, {"mail", "STRING", ""}, {"groups", "STRING", "meg"}},
		"objectId", "userPrincipalName", true},
	"jdbc": {"JDBC", "JDBC", "sailpoint.connector.JDBCConnector", "direct", true,
		[]string{"PROVISIONING", "SEARCH"},
		[][3]string{{"USER_ID", "STRING", ""}, {"LOGIN", "STRING", ""}, {"EMAIL", "STRING", ""}, {"ROLES", "STRING", "meg"}},
		"USER_ID", "LOGIN", true},
	"ldap": {"OpenLDAP - Direct", "LDAP", "sailpoint.connector.LDAPConnector", "direct", true,
		[]string{"AUTHENTICATE", "PROVISIONING", "SEARCH", "PASSWORD"},
		[][3]string{{"dn", "STRING", ""}, {"uid", "STRING", ""}, {"mail", "STRING", ""}, {"groups", "STRING", "meg"}},
		"dn", "uid", true},
	"google-apps": {"Google Workspace", "Google Workspace", "sailpoint.connector.GoogleAppsConnector", "direct", false,
		[]string{"PROVISIONING", "ENABLE", "PASSWORD"},
		[][3]string{{"id", "STRING", ""}, {"primaryEmail", "STRING", ""}, {"orgUnitPath", "STRING", ""}, {"groups", "STRING", "meg"}},
		"id", "primaryEmail", true},
	"okta": {"Okta", "Okta", "sailpoint.connector.OktaConnector", "direct", false,
		[]string{"PROVISIONING", "ENABLE", "UNLOCK", "PASSWORD"},
		[][3]string{{"id", "STRING", ""}, {"login", "STRING", ""}, {"email", "STRING", ""}, {"groups", "STRING", "meg"}},
		"id", "login", true},
	"salesforce": {"Salesforce", "Salesforce", "sailpoint.connector.SalesforceConnector", "direct", false,
		[]string{"PROVISIONING", "ENABLE"},
		[][3]string{{"Id", "STRING", ""}, {"Username", "STRING", ""}, {"Email", "STRING", ""}, {"ProfileId", "STRING", "eg"}},
		"Id", "Username", true},
	"web-services": {"Web Services", "Web Services", "sailpoint.connector.webservices.WebServicesConnector", "direct", true,
		[]string{"PROVISIONING"},
		[][3]string{{"id", "STRING", ""}, {"username", "STRING", ""}, {"email", "STRING", ""}},
		"id", "username", false},
	"delimited-file": {"DelimitedFile", "Delimited File", "sailpoint.connector.DelimitedFileConnector", "file", false,
		[]string{"DIRECT_PERMISSIONS", "NO_RANDOM_ACCESS"},
		[][3]string{{"id", "STRING", ""}, {"displayName", "STRING", ""}, {"email", "STRING", ""}, {"department", "STRING", ""}, {"startDate", "DATE", ""}, {"active", "BOOLEAN", ""}, {"level", "INT", ""}, {"groups", "STRING", "meg"}},
		"id", "displayName", true},
	"identitynow": {"IdentityNowConnector", "IdentityNow", "sailpoint.connector.IdentityNowConnector", "direct", false,
		nil, [][3]string{{"id", "STRING", ""}, {"name", "STRING", ""}}, "id", "name", false},
}

// seedOwner is an identity that owns seeded sources.
type seedOwner struct{ id, name string }

var seedOwners = []seedOwner{
	{"2c9180857a1b4c2d017a1b4c2d0e0001", "Ada Admin"},
	{"2c9180857a1b4c2d017a1b4c2d0e0002", "Sam Source-Admin"},
	{"2c9180857a1b4c2d017a1b4c2d0e0003", "Sub Admin"},
	{"2c9180857a1b4c2d017a1b4c2d0e0010", "Olivia Owner"},
	{"2c9180857a1b4c2d017a1b4c2d0e0011", "Björn Østergaard"},
}

// seedSource is one row of the seed table.
type seedSource struct {
	name, connector, status, desc string
	owner                         int // index into seedOwners
	workgroup, authoritative      bool
	accounts                      int
}

const (
	stHealthy   = "SOURCE_STATE_HEALTHY"
	stUnchecked = "SOURCE_STATE_UNCHECKED_SOURCE"
	stNoAccts   = "SOURCE_STATE_UNCHECKED_SOURCE_NO_ACCOUNTS"
	stErrSource = "SOURCE_STATE_ERROR_SOURCE"
	stErrVA     = "SOURCE_STATE_ERROR_VA"
	stFailClus  = "SOURCE_STATE_FAILURE_CLUSTER"
	stErrFile   = "SOURCE_STATE_ERROR_ACCOUNT_FILE_IMPORT"
)

// seedTable: index 1..12 are the exported ids above, in that order.
var seedTable = []seedSource{
	1:  {"HR Contractors CSV", "delimited-file", stHealthy, "Contractor roster exported nightly by HR.", 1, false, false, 24},
	2:  {"Workday HR", "workday", stHealthy, "Authoritative HR source for employees.", 0, false, true, 40},
	3:  {"Corporate AD (EMEA)", "active-directory", stErrSource, "EMEA forest; the domain controller is unreachable.", 1, false, false, 120},
	4:  {"ServiceNow ITSM", "servicenow", stHealthy, "IT service management; used by apps and transforms.", 3, false, false, 60},
	5:  {SeedXSSSourceName, "delimited-file", stHealthy, "Hostile name for escaping tests.", 3, false, false, 3},
	6:  {SeedHTMXSourceName, "delimited-file", stHealthy, "Hostile name for htmx attribute-injection tests.", 3, false, false, 3},
	7:  {`O'Brien "HR" feed`, "delimited-file", stHealthy, `Feed from O'Brien & Sons ("HR").`, 4, true, false, 5},
	8:  {"Zürich Ämter – 東京", "jdbc", stHealthy, "Municipal offices, Zürich and 東京.", 4, false, false, 12},
	9:  {"Subadmin Team Roster", "delimited-file", stHealthy, "Roster managed by the demo governance group.", 2, true, false, 8},
	10: {"Legacy Payroll DB", "jdbc", stUnchecked, "Payroll database, never checked.", 3, false, false, 0},
	11: {"IdentityNow", "identitynow", stHealthy, "The tenant's own IdentityNow source.", -1, false, false, 4},
	12: {"New Hires CSV", "delimited-file", stNoAccts, "Waiting for the first upload.", 1, true, false, 0},
	13: {"Corporate AD (Americas)", "active-directory", stHealthy, "Americas forest.", 1, false, false, 150},
	14: {"Corporate AD (APAC)", "active-directory", stHealthy, "APAC forest.", 1, true, false, 80},
	15: {"Azure AD Production", "azure-active-directory", stHealthy, "Entra ID tenant for production.", 0, false, false, 200},
	16: {"Azure AD Sandbox", "azure-active-directory", stUnchecked, "Entra ID test tenant.", 3, false, false, 0},
	17: {"Okta Workforce", "okta", stHealthy, "Workforce SSO.", 0, false, false, 180},
	18: {"Okta Customer Identity", "okta", stErrVA, "Virtual appliance offline since the weekend.", 3, false, false, 30},
	19: {"Salesforce Sales Cloud", "salesforce", stHealthy, "CRM for the sales team.", 4, true, false, 75},
	20: {"Salesforce Service Cloud", "salesforce", stFailClus, "Cluster failed health check.", 4, false, false, 40},
	21: {"Google Workspace", "google-apps", stHealthy, "Mail, calendar and drive.", 0, false, false, 190},
	22: {"OpenLDAP Engineering", "ldap", stHealthy, "Engineering directory.", 3, false, false, 55},
	23: {"OpenLDAP Labs", "ldap", stErrSource, "Labs directory, certificate expired.", 3, false, false, 10},
	24: {"Finance ERP (Oracle)", "jdbc", stHealthy, "Oracle EBS user tables.", 4, false, false, 65},
	25: {"Data Warehouse (Postgres)", "jdbc", stHealthy, "Analytics warehouse roles.", 3, true, false, 22},
	26: {"ServiceNow Dev", "servicenow", stUnchecked, "Developer instance.", 3, false, false, 0},
	27: {"Badge System", "web-services", stHealthy, "Physical access badges.", 4, false, false, 95},
	28: {"Ticketing REST API", "web-services", stErrSource, "Returns HTTP 503 since the upgrade.", 3, false, false, 15},
	29: {"Vendor Access CSV", "delimited-file", stErrFile, "Last upload had malformed rows.", 1, false, false, 6},
	30: {"Interns 2026 CSV", "delimited-file", stHealthy, "Summer interns.", 2, true, false, 4},
	31: {"Marketing Google Workspace", "google-apps", stHealthy, "Marketing's separate domain.", 4, false, false, 28},
	32: {"Okta Partners", "okta", stHealthy, "Partner portal users.", 4, false, false, 33},
	33: {"Azure AD B2B Guests", "azure-active-directory", stHealthy, "Guest accounts.", 0, false, false, 17},
	34: {"Research LDAP", "ldap", stUnchecked, "Research cluster directory.", 3, true, false, 0},
	35: {"Warehouse Scanners DB", "jdbc", stHealthy, "Handheld scanner logins.", 4, false, false, 14},
	36: {"Workday Contingent", "workday", stHealthy, "Contingent workers tenant.", 0, false, false, 21},
	37: {"Salesforce Partner Community", "salesforce", stHealthy, "Partner community logins.", 4, false, false, 19},
	38: {"Facilities <Maintenance> & Ops", "web-services", stHealthy, "Name with <angle brackets> & ampersand.", 3, false, false, 7},
	39: {"Board Portal CSV", "delimited-file", stHealthy, "Board members.", 1, false, false, 3},
	40: {"Retail POS Users", "jdbc", stErrSource, "Login failed for user 'sp_svc'.", 3, false, false, 25},
}

var seedPeople = []string{"Alice Archer", "Bruno Bauer", "Chloé Carpentier", "Dmitri Dvořák", "Emeka Eze", "Fatima Farouk", "Giulia Greco",
	"Hiro Hayashi", "Ines Ibáñez", "Jonas Jansen", "Kwame Kuffour", "Lena Lindqvist", "Mateo Morales", "Nadia Novak", "Oskar Olsen",
	"Priya Patel", "Quentin Quirke", "Rosa Romano", "Sven Svensson", "Tariq Tahir", "Uma Usman", "Viktor Vasquez", "Wen Wei", "Xenia Xu",
	"Yusuf Yilmaz", "Zoë Zimmermann"}

var seedDepartments = []string{"Engineering", "Finance", "HR", "Sales", "Support"}

func seed(a *apiState, _ time.Time) {
	for i := 1; i < len(seedTable); i++ {
		row := seedTable[i]
		rec := seedRecord(i, row)
		a.sources[rec.id()] = rec
		a.order = append(a.order, rec.id())
	}
}

// extraStates is the health mix of generated sources: mostly healthy, some
// failing in each way ISC reports, some never checked.
var extraStates = []string{stHealthy, stHealthy, stHealthy, stHealthy, stHealthy, stHealthy, stHealthy,
	stErrSource, stUnchecked, stHealthy, stErrVA, stHealthy, stFailClus, stHealthy, stNoAccts, stErrFile}

// extraBase is the first index of generated sources, far above the seed table's.
const extraBase = 0x1000

// seedExtra adds n generated sources (Config.ExtraSources), deterministically:
// "Okta Finance 0042"-like names over every connector but ISC's own, owners and
// health states in turn, every tenth managed by the demo governance group, and
// the seed's aggregation schedules on those that have run.
func seedExtra(a *apiState, n int) {
	kinds := make([]string, 0, len(connectors))
	for k := range connectors {
		if k != "identitynow" {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	for k := range n {
		conn := kinds[k%len(kinds)]
		status := extraStates[k%len(extraStates)]
		if status == stErrFile && conn != "delimited-file" {
			status = stErrSource
		}
		row := seedSource{
			name:      fmt.Sprintf("%s %s %04d", connectors[conn].name, seedDepartments[(k/len(kinds))%len(seedDepartments)], k+1),
			connector: conn, status: status,
			desc:  "Generated for a production-sized tenant.",
			owner: k % len(seedOwners), workgroup: k%10 == 0, authoritative: conn == "workday" && k%4 == 0,
		}
		rec := seedRecord(extraBase+k, row)
		created := seedEpoch.Add(time.Duration(k%500) * 17 * time.Hour) // dates of the seed's years, not its index's
		modified := created.Add(time.Duration(k%7+1) * 24 * time.Hour)
		rec.obj["created"], rec.obj["modified"], rec.obj["since"] = isoTime(created), isoTime(modified), isoTime(modified.Add(3*time.Hour))
		a.sources[rec.id()] = rec
		a.order = append(a.order, rec.id())
	}
}

func ref(typ, id, name string) map[string]any {
	return map[string]any{"type": typ, "id": id, "name": name}
}

func strs(ss ...string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func seedRecord(i int, row seedSource) *sourceRec {
	ci := connectors[row.connector]
	id := seedSourceID(i)
	created := seedEpoch.Add(time.Duration(i) * 26 * time.Hour)
	modified := created.Add(time.Duration(i%7+1) * 24 * time.Hour)
	obj := map[string]any{
		"id": id, "name": row.name, "description": row.desc,
		"owner":                     nil,
		"type":                      ci.typ,
		"connector":                 row.connector,
		"connectorClass":            ci.class,
		"connectorName":             ci.name,
		"connectorId":               row.connector,
		"connectorImplementationId": row.connector,
		"connectionType":            ci.connType,
		"connectorAttributes":       seedConnectorAttributes(row.connector),
		"deleteThreshold":           10.0,
		"authoritative":             row.authoritative,
		"healthy":                   row.status == stHealthy,
		"status":                    row.status,
		"since":                     isoTime(modified.Add(3 * time.Hour)),
		"features":                  strs(ci.features...),
		"created":                   isoTime(created),
		"modified":                  isoTime(modified),
		"credentialProviderEnabled": false,
		"category":                  nil,
		"managementWorkgroup":       nil,
		"cluster":                   nil,
		"passwordPolicies":          nil,
		"managerCorrelationRule":    nil,
		"beforeProvisioningRule":    nil,
		"accountCorrelationRule":    nil,
		"accountCorrelationConfig":  ref("ACCOUNT_CORRELATION_CONFIG", seedSubID(i, 0x30), row.name+" Account Correlation"),
	}
	if ci.features == nil {
		obj["features"] = []any{}
	}
	if row.owner >= 0 {
		o := seedOwners[row.owner]
		obj["owner"] = ref("IDENTITY", o.id, o.name)
	}
	if row.workgroup {
		obj["managementWorkgroup"] = ref("GOVERNANCE_GROUP", DemoWorkgroupID, "Demo Source Stewards")
	}
	if ci.cluster {
		obj["cluster"] = ref("CLUSTER", SeedClusterID, "Corporate Cluster")
	}
	if row.connector == "active-directory" {
		obj["passwordPolicies"] = []any{ref("PASSWORD_POLICY", SeedPasswordPolicyID, "Corporate Password Policy")}
		obj["managerCorrelationMapping"] = map[string]any{"accountAttributeName": "manager", "identityAttributeName": "manager"}
	}
	// ISC keeps attributes no form field edits; one is seeded to show them.
	obj["connectorAttributes"].(map[string]any)["deleteThresholdPercentage"] = 10.0
	rec := &sourceRec{
		obj:       obj,
		policies:  map[string]map[string]any{},
		schedules: map[string]map[string]any{},
		hidden:    row.connector == "identitynow",
	}
	rec.schemas = append(rec.schemas, accountSchema(seedSubID(i, 1), ci, created))
	if ci.groups {
		rec.schemas = append(rec.schemas, groupSchema(seedSubID(i, 2), created))
	}
	rec.syncSchemaRefs()
	if row.status != stUnchecked && row.status != stNoAccts && row.connector != "identitynow" {
		rec.schedules["ACCOUNT_AGGREGATION"] = map[string]any{"type": "ACCOUNT_AGGREGATION", "cronExpression": []string{"0 0 5,13,21 * * ?", "0 0 2 * * ?", "0 30 6 ? * 2-6"}[i%3]}
		if ci.groups && i%2 == 1 {
			rec.schedules["GROUP_AGGREGATION"] = map[string]any{"type": "GROUP_AGGREGATION", "cronExpression": "0 0 1 ? * 1"}
		}
	}
	if ci.class != "" && row.connector != "identitynow" {
		rec.policies["CREATE"] = map[string]any{
			"name": "Account", "description": "Account creation profile", "usageType": "CREATE",
			"fields": []any{
				map[string]any{"name": ci.displayAttr, "transform": map[string]any{"type": "identityAttribute", "attributes": map[string]any{"name": "uid"}}, "attributes": map[string]any{}, "isRequired": true, "type": "string", "isMultiValued": false},
				map[string]any{"name": "email", "transform": map[string]any{"type": "identityAttribute", "attributes": map[string]any{"name": "email"}}, "attributes": map[string]any{}, "isRequired": false, "type": "string", "isMultiValued": false},
			},
		}
	}
	rec.correlation = map[string]any{
		"id": seedSubID(i, 0x30), "name": row.name + " Account Correlation",
		"attributeAssignments": []any{map[string]any{"property": "email", "value": "mail", "operation": "EQ", "complex": false, "ignoreCase": true, "matchMode": "ANYWHERE", "filterString": ""}},
	}
	rec.attrSync = map[string]any{
		"source": map[string]any{"type": "SOURCE", "id": id, "name": row.name},
		"attributes": []any{
			map[string]any{"name": "email", "displayName": "Email", "enabled": true, "target": "mail"},
			map[string]any{"name": "firstname", "displayName": "First Name", "enabled": false, "target": "givenName"},
			map[string]any{"name": "lastname", "displayName": "Last Name", "enabled": false, "target": "sn"},
		},
	}
	rec.entReq = map[string]any{
		"accessRequestConfig": map[string]any{
			"approvalSchemes":        []any{map[string]any{"approverType": "SOURCE_OWNER", "approverId": nil}},
			"requestCommentRequired": i%2 == 0, "denialCommentRequired": false, "reauthorizationRequired": false, "requireEndDate": false,
			"maxPermittedAccessDuration": nil,
		},
		"revocationRequestConfig": map[string]any{"approvalSchemes": []any{}},
	}
	rec.pwdHolders = []any{map[string]any{"policyId": SeedDefaultPasswordPolicyID, "policyName": "Default", "selectors": nil}}
	if row.connector == "active-directory" {
		rec.ncd = map[string]any{"enabled": true, "operations": strs("ACCOUNT_UPDATED", "ACCOUNT_DELETED"), "allEntitlements": false,
			"allNonEntitlementAttributes": false, "selectedEntitlements": strs("memberOf"), "selectedNonEntitlementAttributes": strs("mail")}
	}
	rec.connections = emptyConnections()
	switch i {
	case 2:
		rec.connections["identityProfiles"] = []any{map[string]any{"id": "76cfddb62818416f816bc494410f46c4", "name": "Employees", "identityCount": 40.0}}
		rec.connections["sourceAttributes"] = strs("EMPLOYEE_ID", "EMAIL_ADDRESS_WORK", "DEPARTMENT")
	case 4:
		rec.connections["identityProfiles"] = []any{map[string]any{"id": "76cfddb62818416f816bc494410f46c5", "name": "IT Staff", "identityCount": 12.0}}
		rec.connections["dependentApps"] = []any{map[string]any{"cloudAppId": "9e3cdd80edf84f119327df8bbd5bb5ac", "description": "Self-service portal", "enabled": true,
			"provisionRequestEnabled": true, "launcherCount": 3.0, "matchAllAccount": false, "appCenterEnabled": false,
			"accountSource": map[string]any{"useForPasswordManagement": false, "passwordPolicies": []any{}}, "owner": []any{}}}
		rec.connections["dependentCustomTransforms"] = []any{map[string]any{"id": "61190eae-290b-4335-aeb8-7335f1fd99cb", "name": "ServiceNow User Name",
			"type": "accountAttribute", "attributes": map[string]any{"sourceName": "ServiceNow ITSM", "attributeName": "user_name"}, "internal": false}}
		rec.connections["mappingProfiles"] = strs("ITSM-Profile")
	}
	rec.detail = connectorDetail(row.connector, ci)
	rec.accounts = seedAccounts(rec, ci, row.accounts)
	if ci.groups && row.accounts > 0 {
		rec.groups = accountSet{keys: map[string]uint64{}}
		for _, d := range seedDepartments {
			rec.groups.keys[d] = rowHash([]string{d})
			rec.groups.total++
		}
	}
	return rec
}

func accountSchema(id string, ci connectorInfo, created time.Time) map[string]any {
	attrs := make([]any, 0, len(ci.accountAttrs))
	for _, a := range ci.accountAttrs {
		attrs = append(attrs, attributeDef(a[0], a[1], a[2]))
	}
	return map[string]any{
		"id": id, "name": "account", "nativeObjectType": "User",
		"identityAttribute": ci.identityAttr, "displayAttribute": ci.displayAttr,
		"hierarchyAttribute": nil, "includePermissions": false,
		"features": []any{}, "configuration": map[string]any{},
		"attributes": attrs, "created": isoTime(created), "modified": nil,
	}
}

func groupSchema(id string, created time.Time) map[string]any {
	return map[string]any{
		"id": id, "name": "group", "nativeObjectType": "Group",
		"identityAttribute": "id", "displayAttribute": "name",
		"hierarchyAttribute": nil, "includePermissions": false,
		"features": []any{}, "configuration": map[string]any{"groupMemberAttribute": "member"},
		"attributes": []any{attributeDef("id", "STRING", ""), attributeDef("name", "STRING", ""), attributeDef("description", "STRING", "")},
		"created":    isoTime(created), "modified": nil,
	}
}

func attributeDef(name, typ, flags string) map[string]any {
	return map[string]any{
		"name": name, "nativeName": name, "type": typ, "schema": nil, "description": "",
		"isMulti": strings.Contains(flags, "m"), "isEntitlement": strings.Contains(flags, "e"), "isGroup": strings.Contains(flags, "g"),
	}
}

func emptyConnections() map[string]any {
	return map[string]any{
		"identityProfiles": []any{}, "credentialProfiles": []any{}, "sourceAttributes": []any{},
		"mappingProfiles": []any{}, "dependentCustomTransforms": []any{}, "dependentApps": []any{}, "missingDependents": []any{},
	}
}

// seedLogin is a seeded person's username: "Zoë Zimmermann" → "zoë.zimmermann".
func seedLogin(person string) string { return strings.ToLower(strings.ReplaceAll(person, " ", ".")) }

// seedIdentityID is the identity id of seedPeople[i].
func seedIdentityID(i int) string { return fmt.Sprintf("2c9180857a1b4c2d017a1b4c2d0f%04x", i+1) }

// seedAccountID is the identity attribute of the k-th seeded account of the
// source (a distinguished name for directory sources excepted).
func seedAccountID(sourceID string, k int) string {
	return fmt.Sprintf("%s%05d", strings.ToUpper(sourceID[26:28]), 1000+k)
}

// seedAccounts makes n deterministic accounts shaped by the account schema.
func seedAccounts(rec *sourceRec, ci connectorInfo, n int) accountSet {
	set := accountSet{keys: map[string]uint64{}}
	for k := 0; k < n; k++ {
		person := seedPeople[k%len(seedPeople)]
		if k >= len(seedPeople) {
			person = fmt.Sprintf("%s %d", person, k/len(seedPeople)+1)
		}
		login := seedLogin(person)
		row := map[string]any{}
		fields := []string{}
		for _, a := range ci.accountAttrs {
			var v string
			switch {
			case a[0] == ci.identityAttr:
				v = seedAccountID(rec.id(), k)
				if a[0] == "distinguishedName" || a[0] == "dn" {
					v = fmt.Sprintf("CN=%s,OU=Users,DC=corp,DC=example", person)
				}
			case a[0] == ci.displayAttr:
				v = person
			case strings.Contains(strings.ToLower(a[0]), "mail"):
				v = login + "@example.com"
			case a[1] == "DATE":
				v = seedEpoch.AddDate(0, -k, 0).Format("2006-01-02")
			case a[1] == "BOOLEAN":
				v = fmt.Sprint(k%5 != 4)
			case a[1] == "INT":
				v = fmt.Sprint(1 + k%4)
			case a[2] != "":
				v = seedDepartments[k%len(seedDepartments)]
			case strings.EqualFold(a[0], "department"):
				v = seedDepartments[k%len(seedDepartments)]
			default:
				v = login
			}
			row[a[0]] = v
			fields = append(fields, v)
		}
		key := valueString(row[ci.identityAttr])
		h := rowHash(fields)
		set.keys[key] = h
		set.digest ^= h
		set.total++
		if len(set.sample) < maxSampleAccounts {
			set.sample = append(set.sample, row)
		}
	}
	return set
}

// connectorDetail builds the ConnectorDetail (source-config) of a connector;
// getSourceConfig adds the translations of the requested locale.
func connectorDetail(script string, ci connectorInfo) map[string]any {
	form := formXML(script, ci, connectorForms[script])
	return map[string]any{
		"name": ci.name, "type": ci.typ, "className": ci.class, "scriptName": script,
		"applicationXml":        fmt.Sprintf("<?xml version='1.0' encoding='UTF-8'?>\n<Application connector=%q name=%q type=%q/>\n", ci.class, ci.name, ci.typ),
		"correlationConfigXml":  "<?xml version='1.0' encoding='UTF-8'?>\n<CorrelationConfig name=\"" + ci.name + " Account Correlation Config\"/>\n",
		"sourceConfigXml":       form,
		"sourceConfig":          form,
		"sourceConfigFrom":      "sp-connect",
		"s3Location":            "connectors/" + script,
		"uploadedFiles":         []any{},
		"fileUpload":            connectorForms[script].file,
		"directConnect":         ci.connType == "direct",
		"translationProperties": map[string]any{},
		"connectorMetadata":     map[string]any{"supportedUI": "ANGULAR", "platform": "ccg", "shortDesc": ci.name + " connector"},
		"status":                "RELEASED",
	}
}
