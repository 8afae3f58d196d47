package sandbox

// This file holds the connector catalogue the sandbox serves: the list
// (GET /connectors) and each connector's configuration form, which
// getSourceConfig returns in SailPoint's form XML (ConnectorDetail.sourceConfig,
// <Form><BaseConfig><Field …/></BaseConfig> as in the spec's example, plus menus
// and sections of fields) with its labels in translationProperties. The forms
// are made up in that format: several fields per section, each kind of field
// (text, url, secret, select, checkbox, number, list, textarea, file upload).

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
)

// formField is one <Field> of a connector form. opts are "value=label key"
// pairs of a select; seed is the value seeded sources carry (secrets carry
// an opaque stand-in for ISC's encrypted value).
type formField struct {
	name, typ, label string
	required         bool
	opts             []string
	def, seed        string
	min, max         string
	help             string
	placeholder      string
}

type formSection struct {
	key    string // sectionLabel_<key>, sectionInfo_<key>
	fields []formField
}

type connectorForm struct {
	menus []formMenu
	file  bool // a <BaseConfig> file upload (a driver or connector jar)
	// category and labels are filterable on GET /connectors but are not
	// fields of the connector DTO.
	category string
	labels   []string
}

// formMenu is one <MenuItem> of a connector form.
type formMenu struct {
	key      string
	sections []formSection
}

func menu(key string, sections ...formSection) formMenu { return formMenu{key, sections} }

func section(key string, fields ...formField) formSection { return formSection{key, fields} }

// Field helpers: the label is a translation key; the English text is in formLabels.
func text(name, label, seed string, req bool) formField {
	return formField{name: name, typ: "text", label: label, seed: seed, required: req}
}
func urlField(name, label, seed string) formField {
	return formField{name: name, typ: "url", label: label, seed: seed, required: true, placeholder: "placeHolder_" + name}
}
func secret(name, label string, req bool) formField {
	return formField{name: name, typ: "secret", label: label, seed: "2:ENC:" + strings.Repeat("x", 24), required: req}
}
func checkbox(name, label string, seed bool) formField {
	return formField{name: name, typ: "checkbox", label: label, seed: fmt.Sprint(seed), def: "false"}
}
func number(name, label, seed, lo, hi string) formField {
	return formField{name: name, typ: "number", label: label, seed: seed, def: seed, min: lo, max: hi}
}
func choice(name, label, seed string, opts ...string) formField {
	return formField{name: name, typ: "select", label: label, seed: seed, def: seed, required: true, opts: opts}
}
func textarea(name, label, seed string) formField {
	return formField{name: name, typ: "textarea", label: label, seed: seed}
}
func list(name, label, seed string) formField {
	return formField{name: name, typ: "list", label: label, seed: seed}
}

// healthSection is the section every connector's form ends with.
var healthSection = section("HealthSettings",
	number("healthCheckTimeout", "HealthCheckTimeout", "30", "5", "600"),
	checkbox("partitionAggregation", "PartitionAggregation", false))

var connectorForms = map[string]connectorForm{
	"active-directory": {category: "directory", labels: []string{"microsoft", "on-premise"}, menus: menusOf(
		menu("ConnectionSettings",
			section("DomainSettings",
				text("forestName", "ForestName", "corp.example", true),
				text("host", "DomainController", "dc01.corp.example", true),
				number("port", "Port", "636", "1", "65535"),
				checkbox("useSSL", "UseSSL", true),
				text("user", "ServiceAccount", "CORP\\svc-sailpoint", true),
				secret("password", "Password", true),
				choice("authorizationType", "AuthorizationType", "simple", "simple=AuthSimple", "strong=AuthStrong")),
			section("AggregationSettings",
				number("pageSize", "PageSize", "500", "1", "10000"),
				text("filterString", "AccountFilter", "", false),
				list("searchDNs", "SearchDNs", "OU=Users,DC=corp,DC=example"),
				checkbox("manageRecycleBin", "ManageRecycleBin", false)),
			healthSection))},
	"workday": {category: "hr", labels: []string{"hris", "saas"}, menus: menusOf(
		menu("ConnectionSettings",
			section("AuthenticationSettings",
				urlField("url", "WorkdayURL", "https://wd5-services1.myworkday.com/ccx/service/acme"),
				text("user", "IntegrationUser", "ISU_SailPoint@acme", true),
				secret("password", "Password", true),
				choice("apiVersion", "APIVersion", "v42.0", "v40.0=v40.0", "v41.0=v41.0", "v42.0=v42.0")),
			section("AggregationSettings",
				number("pageSize", "PageSize", "100", "1", "999"),
				number("futureHireDays", "FutureHireDays", "30", "0", "365"),
				checkbox("includeContingent", "IncludeContingent", true)),
			healthSection))},
	"servicenow": {category: "itsm", labels: []string{"saas"}, menus: menusOf(
		menu("ConnectionSettings",
			section("AuthenticationSettings",
				urlField("url", "InstanceURL", "https://acme.service-now.com"),
				choice("authType", "AuthenticationType", "basic", "basic=AuthBasic", "oauth=AuthOAuth"),
				text("user", "Username", "svc_sailpoint", true),
				secret("password", "Password", true),
				text("clientId", "ClientID", "", false),
				secret("clientSecret", "ClientSecret", false)),
			section("AggregationSettings",
				number("pageSize", "PageSize", "1000", "1", "10000"),
				text("accountFilter", "AccountFilter", "active=true", false),
				checkbox("aggregateInactive", "AggregateInactive", false)),
			healthSection))},
	"azure-active-directory": {category: "directory", labels: []string{"microsoft", "saas"}, menus: menusOf(
		menu("ConnectionSettings",
			section("AuthenticationSettings",
				text("domainName", "DomainName", "acme.onmicrosoft.com", true),
				text("clientId", "ClientID", "6f1c2a9e-4b1d-4c55-9d2f-0a1b2c3d4e5f", true),
				secret("clientSecret", "ClientSecret", true),
				choice("cloudType", "CloudType", "global", "global=CloudGlobal", "usgov=CloudUSGov", "china=CloudChina")),
			section("AggregationSettings",
				number("pageSize", "PageSize", "100", "1", "999"),
				checkbox("manageExchange", "ManageExchange", false),
				text("userFilter", "AccountFilter", "", false)),
			healthSection))},
	"jdbc": {category: "database", labels: []string{"on-premise"}, file: true, menus: menusOf(
		menu("ConnectionSettings",
			section("DatabaseSettings",
				text("url", "JDBCURL", "jdbc:postgresql://db.corp.example:5432/app", true),
				choice("driverClass", "DriverClass", "org.postgresql.Driver",
					"oracle.jdbc.driver.OracleDriver=DriverOracle", "com.microsoft.sqlserver.jdbc.SQLServerDriver=DriverSQLServer",
					"org.postgresql.Driver=DriverPostgres", "com.mysql.cj.jdbc.Driver=DriverMySQL"),
				text("user", "Username", "sailpoint", true),
				secret("password", "Password", true)),
			section("AggregationSettings",
				textarea("accountSQL", "AccountSQL", "SELECT * FROM users"),
				textarea("groupSQL", "GroupSQL", ""),
				number("fetchSize", "FetchSize", "500", "1", "100000"),
				checkbox("useStoredProcedure", "UseStoredProcedure", false)),
			healthSection))},
	"ldap": {category: "directory", labels: []string{"on-premise"}, menus: menusOf(
		menu("ConnectionSettings",
			section("ConnectionSettings",
				text("host", "Host", "ldap.corp.example", true),
				number("port", "Port", "636", "1", "65535"),
				checkbox("useSSL", "UseSSL", true),
				text("user", "BindDN", "cn=sailpoint,ou=services,dc=corp,dc=example", true),
				secret("password", "Password", true)),
			section("AggregationSettings",
				text("searchDN", "SearchDN", "ou=people,dc=corp,dc=example", true),
				choice("searchScope", "SearchScope", "SUBTREE", "SUBTREE=ScopeSubtree", "ONELEVEL=ScopeOneLevel", "OBJECT=ScopeObject"),
				number("pageSize", "PageSize", "500", "1", "10000")),
			healthSection))},
	"google-apps": {category: "productivity", labels: []string{"saas"}, menus: menusOf(
		menu("ConnectionSettings",
			section("AuthenticationSettings",
				text("domain", "Domain", "acme.example", true),
				text("serviceAccountEmail", "ServiceAccountEmail", "sailpoint@acme-iam.iam.gserviceaccount.com", true),
				text("adminEmail", "AdminEmail", "admin@acme.example", true),
				secret("privateKey", "PrivateKey", true)),
			section("AggregationSettings",
				choice("orgUnitScope", "OrgUnitScope", "all", "all=ScopeAllUnits", "selected=ScopeSelectedUnits"),
				list("orgUnits", "OrgUnits", ""),
				number("pageSize", "PageSize", "200", "1", "500"),
				checkbox("excludeSuspended", "ExcludeSuspended", true)),
			healthSection))},
	"okta": {category: "identity", labels: []string{"saas", "sso"}, menus: menusOf(
		menu("ConnectionSettings",
			section("AuthenticationSettings",
				urlField("url", "OktaURL", "https://acme.okta.com"),
				choice("authType", "AuthenticationType", "token", "token=AuthAPIToken", "oauth=AuthOAuth"),
				secret("apiToken", "APIToken", true)),
			section("AggregationSettings",
				number("pageSize", "PageSize", "200", "1", "200"),
				text("accountFilter", "AccountFilter", `status eq "ACTIVE"`, false),
				checkbox("aggregateDeprovisioned", "AggregateDeprovisioned", false)),
			healthSection))},
	"salesforce": {category: "crm", labels: []string{"saas"}, menus: menusOf(
		menu("ConnectionSettings",
			section("AuthenticationSettings",
				urlField("instanceUrl", "InstanceURL", "https://acme.my.salesforce.com"),
				choice("authType", "AuthenticationType", "jwt", "jwt=AuthOAuthJWT", "password=AuthPassword"),
				text("username", "Username", "integration@acme.example", true),
				secret("password", "Password", false),
				secret("securityToken", "SecurityToken", false),
				checkbox("sandbox", "SandboxOrg", false)),
			section("AggregationSettings",
				choice("apiVersion", "APIVersion", "61.0", "59.0=59.0", "60.0=60.0", "61.0=61.0"),
				number("pageSize", "PageSize", "2000", "200", "2000")),
			healthSection))},
	"web-services": {category: "custom", labels: []string{"rest"}, menus: menusOf(
		menu("ConnectionSettings",
			section("ConnectionSettings",
				urlField("baseUrl", "BaseURL", "https://api.corp.example"),
				choice("authenticationMethod", "AuthenticationMethod", "basic", "none=AuthNone", "basic=AuthBasic", "oauth2=AuthOAuth", "token=AuthAPIToken"),
				text("username", "Username", "svc_sailpoint", false),
				secret("password", "Password", false),
				number("timeout", "TimeoutSeconds", "60", "1", "600")),
			section("AggregationSettings",
				checkbox("enablePaging", "EnablePaging", true),
				number("pageSize", "PageSize", "100", "1", "1000"),
				textarea("headers", "CustomHeaders", "")),
			healthSection))},
	"delimited-file": {category: "file", labels: []string{"csv"}, menus: menusOf(
		menu("FileSettings",
			section("FileSettings",
				choice("delimiter", "Delimiter", ",", ",=DelimComma", ";=DelimSemicolon", "|=DelimPipe", "\t=DelimTab"),
				checkbox("hasHeader", "HasHeader", true),
				text("commentCharacter", "CommentCharacter", "", false),
				choice("fileEncoding", "FileEncoding", "UTF-8", "UTF-8=UTF-8", "ISO-8859-1=ISO-8859-1", "UTF-16=UTF-16"),
				checkbox("filterEmptyRecords", "FilterEmptyRecords", true)),
			section("MergeSettings",
				checkbox("mergeRows", "MergeRows", false),
				text("indexColumn", "IndexColumn", "", false),
				list("mergeColumns", "MergeColumns", ""))))},
	"identitynow": {category: "internal", menus: menusOf(
		menu("ConnectionSettings",
			section("IdentityNowSettings",
				checkbox("includeDisabled", "IncludeDisabled", false))))},
}

func menusOf(ms ...formMenu) []formMenu { return ms }

// formLabels are the English texts of the forms' label keys.
var formLabels = map[string]string{
	"menuLabel_ConnectionSettings": "Connection Settings", "menuLabel_FileSettings": "File Settings",
	"sectionLabel_DomainSettings": "Domain Settings", "sectionLabel_AuthenticationSettings": "Authentication Settings",
	"sectionLabel_AggregationSettings": "Aggregation Settings", "sectionLabel_DatabaseSettings": "Database Settings",
	"sectionLabel_ConnectionSettings": "Connection Settings", "sectionLabel_HealthSettings": "Health and Performance",
	"sectionLabel_FileSettings": "File Format", "sectionLabel_MergeSettings": "Merging Rows",
	"sectionLabel_IdentityNowSettings":   "Identity Security Cloud",
	"sectionInfo_DomainSettings":         "Connect to the domain through one of its domain controllers.<br><br>Enter the <strong>service account</strong> and its password; the account needs read access to the users and groups you aggregate.",
	"sectionInfo_AuthenticationSettings": "Configure how Identity Security Cloud signs in to the system.<br><br>Secrets are stored encrypted and are never shown again.",
	"sectionInfo_AggregationSettings":    "Specify the settings for your aggregation: how many records one page holds, and which accounts to read.",
	"sectionInfo_HealthSettings":         "How long a health check may take, and whether large aggregations are split into partitions.",
	"sectionInfo_FileSettings":           "Describe the CSV files you upload: their delimiter, header row and encoding.",
	"ForestName":                         "Forest name", "DomainController": "Domain controller", "Port": "Port", "UseSSL": "Use TLS (LDAPS)",
	"ServiceAccount": "Service account", "Password": "Password", "AuthorizationType": "Authorization type",
	"AuthSimple": "Simple", "AuthStrong": "Strong (Kerberos)", "PageSize": "Page size", "AccountFilter": "Account filter",
	"SearchDNs": "Search DNs (one per line)", "ManageRecycleBin": "Manage the recycle bin",
	"HealthCheckTimeout": "Health check timeout (seconds)", "PartitionAggregation": "Partition aggregations",
	"WorkdayURL": "Workday web services URL", "IntegrationUser": "Integration system user", "APIVersion": "API version",
	"FutureHireDays": "Future hires (days ahead)", "IncludeContingent": "Include contingent workers",
	"InstanceURL": "Instance URL", "AuthenticationType": "Authentication type", "AuthBasic": "Basic",
	"AuthOAuth": "OAuth 2.0", "Username": "Username", "ClientID": "Client ID", "ClientSecret": "Client secret",
	"AggregateInactive": "Aggregate inactive users", "DomainName": "Domain name", "CloudType": "Cloud",
	"CloudGlobal": "Global", "CloudUSGov": "US Government", "CloudChina": "China (21Vianet)",
	"ManageExchange": "Manage Exchange Online", "JDBCURL": "JDBC URL", "DriverClass": "JDBC driver",
	"DriverOracle": "Oracle", "DriverSQLServer": "Microsoft SQL Server", "DriverPostgres": "PostgreSQL",
	"DriverMySQL": "MySQL", "AccountSQL": "Account query (SQL)", "GroupSQL": "Group query (SQL)",
	"FetchSize": "Fetch size", "UseStoredProcedure": "Use a stored procedure", "Host": "Host", "BindDN": "Bind DN",
	"SearchDN": "Search DN", "SearchScope": "Search scope", "ScopeSubtree": "Subtree", "ScopeOneLevel": "One level",
	"ScopeObject": "Base object", "Domain": "Domain", "ServiceAccountEmail": "Service account email",
	"AdminEmail": "Administrator email", "PrivateKey": "Private key", "OrgUnitScope": "Organizational units",
	"ScopeAllUnits": "All units", "ScopeSelectedUnits": "Selected units", "OrgUnits": "Units (one per line)",
	"ExcludeSuspended": "Exclude suspended users", "OktaURL": "Okta URL", "AuthAPIToken": "API token",
	"APIToken": "API token", "AggregateDeprovisioned": "Aggregate deprovisioned users", "AuthOAuthJWT": "OAuth 2.0 JWT bearer",
	"AuthPassword": "Username and password", "SecurityToken": "Security token", "SandboxOrg": "This is a sandbox org",
	"BaseURL": "Base URL", "AuthenticationMethod": "Authentication method", "AuthNone": "No authentication",
	"TimeoutSeconds": "Timeout (seconds)", "EnablePaging": "Enable paging", "CustomHeaders": "Custom headers (one per line)",
	"Delimiter": "Delimiter", "DelimComma": "Comma (,)", "DelimSemicolon": "Semicolon (;)", "DelimPipe": "Pipe (|)",
	"DelimTab": "Tab", "HasHeader": "The file has a header row", "CommentCharacter": "Comment character",
	"FileEncoding": "File encoding", "FilterEmptyRecords": "Skip empty records", "MergeRows": "Merge rows of one account",
	"IndexColumn": "Index column", "MergeColumns": "Columns to merge (one per line)", "IncludeDisabled": "Include disabled identities",
	"placeHolder_url": "https://…", "placeHolder_instanceUrl": "https://<instance>.my.salesforce.com", "placeHolder_baseUrl": "https://api.example.com",
	"ConnectorFile": "Connector file (JAR)",
}

// formLabelsDE translates a few keys, enough to show the locale at work.
var formLabelsDE = map[string]string{
	"menuLabel_ConnectionSettings": "Verbindungseinstellungen", "sectionLabel_AuthenticationSettings": "Verbindungseinstellungen",
	"sectionLabel_AggregationSettings": "Aggregationseinstellungen", "Password": "Kennwort", "PageSize": "Seitengr\\u00f6\\u00dfe",
	"Port": "Port", "Username": "Benutzername",
}

// properties writes labels as a Java properties text, as ISC sends translationProperties.
func properties(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Copyright (C) 2024 SailPoint Technologies, Inc.  All rights reserved.\n")
	for _, k := range keys {
		b.WriteString(k + "=" + labels[k] + "\n")
	}
	return b.String()
}

// formXML writes a connector's form in SailPoint's form XML.
func formXML(script string, ci connectorInfo, f connectorForm) string {
	var b strings.Builder
	esc := func(s string) string {
		var e strings.Builder
		_ = xml.EscapeText(&e, []byte(s))
		return strings.ReplaceAll(e.String(), `"`, "&quot;")
	}
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8" standalone="no"?><!-- Copyright (C) 2023 SailPoint Technologies, Inc.  All rights reserved. --><Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd" connectorName="%s" directConnect="%t" fileUpload="%t" name="%s" status="released" type="SourceConfig">`,
		esc(ci.name), ci.connType == "direct", f.file, esc(ci.name))
	b.WriteString("\n    <BaseConfig>\n")
	if f.file {
		b.WriteString(`        <Field maxFiles="10" maxSize="300" name="fileUpload" label="ConnectorFile" supportedExtensions="jar" type="fileupload" validateJSON="false"/>` + "\n")
	}
	b.WriteString("    </BaseConfig>\n")
	for _, m := range f.menus {
		fmt.Fprintf(&b, `    <MenuItem iconClass="fa fa-cog" label="menuLabel_%s">`+"\n", m.key)
		for _, s := range m.sections {
			fmt.Fprintf(&b, `        <Section label="sectionLabel_%s" sectionInfo="sectionInfo_%s" docLinkLabel="docLinkLabel_%s" docLink="https://documentation.sailpoint.com/connectors/%s/help/">`+"\n",
				s.key, s.key, s.key, script)
			for _, fd := range s.fields {
				fmt.Fprintf(&b, `            <Field name="connectorAttributes.%s" type="%s" label="%s"`, esc(fd.name), fd.typ, fd.label)
				if fd.required {
					b.WriteString(` required="true"`)
				}
				if fd.def != "" {
					fmt.Fprintf(&b, ` defaultValue="%s"`, esc(fd.def))
				}
				if fd.min != "" {
					fmt.Fprintf(&b, ` min="%s" max="%s"`, fd.min, fd.max)
				}
				if fd.placeholder != "" {
					fmt.Fprintf(&b, ` placeHolder="%s"`, fd.placeholder)
				}
				if len(fd.opts) == 0 {
					b.WriteString("/>\n")
					continue
				}
				b.WriteString(">\n                <AllowedValues>\n")
				for _, o := range fd.opts {
					v, l, _ := strings.Cut(o, "=")
					fmt.Fprintf(&b, `                    <Value label="%s" value="%s"/>`+"\n", esc(l), esc(v))
				}
				b.WriteString("                </AllowedValues>\n            </Field>\n")
			}
			b.WriteString("        </Section>\n")
		}
		b.WriteString("    </MenuItem>\n")
	}
	b.WriteString("</Form>")
	return b.String()
}

// seedConnectorAttributes are the connector attributes a seeded source of
// the connector starts with: every field that has a seed value.
func seedConnectorAttributes(script string) map[string]any {
	attrs := map[string]any{}
	for _, m := range connectorForms[script].menus {
		for _, s := range m.sections {
			for _, f := range s.fields {
				if f.seed == "" {
					continue
				}
				switch f.typ {
				case "checkbox":
					attrs[f.name] = f.seed == "true"
				case "number":
					var n float64
					fmt.Sscan(f.seed, &n)
					attrs[f.name] = n
				case "list":
					attrs[f.name] = strs(strings.Split(f.seed, "\n")...)
				default:
					attrs[f.name] = f.seed
				}
			}
		}
	}
	return attrs
}

// connectorDTO is a connector as GET /connectors lists it (V3ConnectorDto).
func connectorDTO(script string, ci connectorInfo) map[string]any {
	feats := strs(ci.features...)
	return map[string]any{
		"name": ci.name, "type": ci.typ, "scriptName": script, "className": ci.class,
		"features": feats, "directConnect": ci.connType == "direct", "status": "RELEASED",
		"connectorMetadata": map[string]any{"supportedUI": "ANGULAR", "platform": "ccg", "shortDesc": ci.name + " connector"},
	}
}
