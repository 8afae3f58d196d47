// Package sourcedoc is sources as code: it exports an ISC source as one
// versioned JSON document, compares two documents, plans the API calls that
// make a tenant's source match a document, and applies such a plan.
//
// # The document
//
// A Document (format "sourcedesk.source", version 1; its JSON Schema is
// docs/source-document.schema.json, described in docs/source-document.md)
// holds a source's definition without secrets, its schemas, provisioning
// policies, schedules, correlation, attribute sync, native change detection,
// entitlement request and password policy configuration. Ids another tenant
// does not share are replaced by names: the owner (by alias), the cluster,
// the management governance group, password policies, rules, governance group
// approvers and the schemas attributes refer to. Marshal writes members in a
// fixed order, lists sorted where ISC treats them as sets, so two exports of
// one source are the same file and a change is a small text diff. Which
// connector attributes are secrets is decided in secrets.go.
//
// # Compare, plan, apply
//
// Compare(a, b) gives the changes per section, items of lists named by their
// key (attributes by name, policies by usage type). MakePlan reads the source
// of the same name on the target tenant, compares it with the document and
// lists the calls, in order (create the source if missing, then schemas,
// policies, schedules and configurations), with every name resolved to the
// target's id; a name that resolves to nothing blocks the plan, secrets are
// never sent but listed for the admin. Apply sends the steps through
// internal/api, reports progress, and stops at the first failure, saying
// what was done and what was not.
//
// The engine knows nothing of HTTP routing or sessions: a Tenant is a name and
// an *api.Client speaking for the signed-in user there.
//
// # Files
//
// document.go (the format, Marshal, Parse), secrets.go, export.go, compare.go,
// resolve.go (names back to ids, FindSource), plan.go, apply.go.
package sourcedoc
