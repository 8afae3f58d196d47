package sourcedoc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"sourcedesk/internal/api"
)

// Placeholders stand for ids that only exist once an earlier step of the same
// plan has run: the new source's, and a schema's (by name). Apply replaces
// them with the ids ISC answered.
const newSourceID = "{new-source-id}"

func newSchemaID(name string) string { return "{new-schema-id:" + name + "}" }

// Step is one API call of a plan, exactly as Apply will send it.
type Step struct {
	Section   string // the document section it changes
	Operation string // the spec's operationId, e.g. putSourceSchema
	Method    string
	// Path is below the API version, e.g. /sources/2c91…/schemas; ids a
	// step earlier in the plan makes appear as {new-source-id} or
	// {new-schema-id:NAME}.
	Path string
	// Summary says what the call changes, in words.
	Summary string
	// Body is the request body as it will be sent (nil for none), and
	// ContentType its media type.
	Body        json.RawMessage
	ContentType string

	source string // the source id (or placeholder) the call is about
	key    string // schema id (or placeholder), usage type or schedule type
	csv    bool   // createSource with provisionAsCsv
	makes  string // the placeholder this call's answer fills
	orElse bool   // putSourceSchema that becomes createSourceSchema when ISC made no such schema
}

// Plan is what makes a target tenant's source match a document: its calls in
// order, what blocks it, what it leaves alone, and the secrets to fill in.
type Plan struct {
	// Tenant is the target tenant; Source the source's name there.
	Tenant string
	Source string
	// SourceID is the target source's id; "" when the plan creates it.
	SourceID string
	// Diff is from the target as it is now to the document.
	Diff *Diff
	// Steps are the calls, in the order they are made.
	Steps []Step
	// Blocking are problems that stop the plan from being applied at all,
	// e.g. a name that resolves to nothing on the target.
	Blocking []string
	// Notes are what the plan leaves as it is, and why.
	Notes []string
	// Secrets are the connector attributes the admin must fill in on the
	// target after applying: secrets are never copied.
	Secrets []string
}

// Ready reports whether the plan may be applied.
func (p *Plan) Ready() bool { return len(p.Blocking) == 0 }

// Creates reports whether the plan creates the source.
func (p *Plan) Creates() bool { return p.SourceID == "" }

// Fingerprint identifies the plan as reviewed: its calls, what they were said
// to change (so the target's values too), what blocks it, what it leaves alone
// and the secrets it lists. A plan reviewed in one request and applied in the
// next is computed again before it runs; the two must have the same
// fingerprint, or the target (or the source) has changed since the review.
func (p *Plan) Fingerprint() string {
	h := sha256.New()
	for _, s := range p.Steps {
		fmt.Fprintf(h, "%s %s %s %s %q %t %t %q\n", s.Operation, s.Method, s.Path, s.key, s.makes, s.csv, s.orElse, s.Summary)
		h.Write(s.Body)
		h.Write([]byte{0})
	}
	for _, list := range [][]string{p.Blocking, p.Notes, p.Secrets} {
		for _, v := range list {
			fmt.Fprintf(h, "%q\n", v)
		}
		h.Write([]byte{1})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MakePlan plans the calls that make the source named in desired on t match
// desired: the source is created when t has none of that name, then its
// schemas, provisioning policies, schedules and configurations follow. Names
// are resolved to t's ids; one that resolves to nothing blocks the plan.
// Secrets are never copied: the plan lists them instead. Nothing is sent
// but reads.
func MakePlan(ctx context.Context, t Tenant, desired *Document) (*Plan, error) {
	p := &Plan{Tenant: t.Name, Source: desired.Source.Name}
	id, managedOnly, err := findSource(ctx, t, desired.Source.Name)
	if err != nil {
		return nil, err
	}
	if id == "" && managedOnly {
		// A subadmin sees only its governance groups' sources: another
		// source of that name may exist, which it may not change.
		p.Diff = Compare(nil, desired)
		p.Blocking = append(p.Blocking, fmt.Sprintf("none of the sources you manage on %s is named %q: your user level (SOURCE_SUBADMIN) can promote only into a source its governance groups manage, and cannot see whether another source of that name exists", t.Name, desired.Source.Name))
		return p, nil
	}
	var target *snapshot
	var targetDoc *Document
	if id != "" {
		if target, err = load(ctx, t, id); err != nil {
			return nil, err
		}
		targetDoc = target.doc
		p.SourceID = id
	}
	p.Diff = Compare(targetDoc, desired)
	b := &planner{
		p: p, t: t, desired: desired, target: target,
		r:      &resolver{t: t, target: target, blocking: &p.Blocking},
		source: id,
	}
	if id == "" {
		b.source = newSourceID
	}
	for _, s := range []struct {
		key  string
		plan func(context.Context) error
	}{
		{SectionSource, b.definition},
		{SectionSchemas, b.schemas},
		{SectionProvisioningPolicies, b.policies},
		{SectionSchedules, b.schedules},
		{SectionCorrelation, b.correlation},
		{SectionAttributeSync, b.attributeSync},
		{SectionNativeChangeDetection, b.nativeChangeDetection},
		{SectionEntitlementRequest, b.entitlementRequest},
		{SectionPasswordPolicies, b.passwordPolicies},
	} {
		if why := desired.Unread[s.key]; why != "" && s.key != SectionSource {
			b.note("%s: not in the document (%s); left as it is on %s", SectionTitle(s.key), why, t.Name)
			continue
		}
		if target != nil {
			if why := target.doc.Unread[s.key]; why != "" {
				b.note("%s: %s; left as it is", SectionTitle(s.key), why)
				continue
			}
		}
		b.section = s.key
		if err := s.plan(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// planner builds one plan.
type planner struct {
	p       *Plan
	t       Tenant
	desired *Document
	target  *snapshot // nil when the source is created
	r       *resolver
	source  string // the target source's id, or newSourceID
	section string // the section being planned
}

func (b *planner) note(format string, args ...any) {
	b.p.Notes = append(b.p.Notes, fmt.Sprintf(format, args...))
}

// add appends a step whose body is v (nil for none).
func (b *planner) add(s Step, v any) {
	s.Section = b.section
	if v != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		s.Body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if s.ContentType == "" {
			s.ContentType = "application/json"
		}
	}
	b.p.Steps = append(b.p.Steps, s)
}

// sourcePath is a path under the target source.
func (b *planner) sourcePath(rest ...string) string {
	p := "/sources/" + b.source
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// changes summarizes the diff of a section under prefix (a keyed item's
// name, or "" for the whole section) in a line.
func (b *planner) changes(key, prefix string) string {
	var parts []string
	for _, c := range b.p.Diff.Section(key).Changes {
		path := c.Path
		if prefix != "" {
			rest, ok := strings.CutPrefix(path, prefix)
			if !ok || (rest != "" && !strings.HasPrefix(rest, " › ")) {
				continue
			}
			path = strings.TrimPrefix(rest, " › ")
		}
		parts = append(parts, describe(path, c))
	}
	const most = 4
	if len(parts) > most {
		parts = append(parts[:most], fmt.Sprintf("and %d more", len(parts)-most))
	}
	return strings.Join(parts, "; ")
}

// describe is one change in words.
func describe(path string, c Change) string {
	if path == "" || path == "(whole section)" {
		path = "it"
	}
	switch c.Kind {
	case Added:
		return path + " added: " + short(c.To)
	case Removed:
		return path + " removed: " + short(c.From)
	case Reordered:
		return path + " reordered"
	}
	return path + ": " + short(c.From) + " → " + short(c.To)
}

// short cuts a long value for a summary (the body shows it whole).
func short(s string) string {
	const most = 60
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "…"
	}
	return s
}

// sameJSON reports whether two document values encode the same.
func sameJSON(a, b any) bool {
	return compact(a) == compact(b)
}

// raw turns a plain JSON object into the raw members the api models carry.
func raw(m map[string]any) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = json.RawMessage(compact(v))
	}
	return out
}

// definition plans the source itself: createSource, or updateSource with
// JSON Patch operations for what differs (never touching a secret).
func (b *planner) definition(ctx context.Context) error {
	want := b.desired.Source
	if b.target == nil {
		return b.createSource(ctx, want)
	}
	have := b.target.doc.Source
	src := b.target.source
	if want.Connector != have.Connector || want.Type != have.Type {
		b.r.block("source %q on %s uses the connector %s (%s), the document %s (%s): ISC cannot change a source's connector", want.Name, b.t.Name, have.Connector, have.Type, want.Connector, want.Type)
		return nil
	}
	if want.ConnectorClass != have.ConnectorClass {
		b.note("Source definition: the connector class cannot be changed (%s on %s); left as it is", have.ConnectorClass, b.t.Name)
	}
	if !slices.Equal(want.PasswordPolicies, have.PasswordPolicies) {
		b.note("Source definition: ISC sets a source's password policies only when it is created (%s on %s); the Password policies section assigns them instead", strings.Join(have.PasswordPolicies, ", "), b.t.Name)
	}
	var ops []api.JSONPatchOperation
	set := func(path string, have, want any, value func() (any, bool, error)) error {
		if sameJSON(have, want) {
			return nil
		}
		v, ok, err := value()
		if err != nil || !ok {
			return err
		}
		if v == nil {
			ops = append(ops, api.PatchRemove(path))
		} else {
			ops = append(ops, api.PatchReplace(path, v))
		}
		return nil
	}
	plainValue := func(v any) func() (any, bool, error) {
		return func() (any, bool, error) { return v, true, nil }
	}
	if err := set("/description", have.Description, want.Description, plainValue(want.Description)); err != nil {
		return err
	}
	if err := set("/owner", have.Owner, want.Owner, func() (any, bool, error) {
		if want.Owner == nil {
			b.note("Source definition: the owner cannot be removed; left as it is on %s", b.t.Name)
			return nil, false, nil
		}
		ref, err := b.r.identity(ctx, want.Owner)
		return ref, ref != nil, err
	}); err != nil {
		return err
	}
	refs := []struct {
		path       string
		have, want *Named
		find       func(context.Context, string) (*api.Reference, error)
	}{
		{"/cluster", have.Cluster, want.Cluster, b.r.cluster},
		{"/managementWorkgroup", have.ManagementWorkgroup, want.ManagementWorkgroup, b.r.workgroup},
		{"/accountCorrelationRule", have.AccountCorrelationRule, want.AccountCorrelationRule, b.ruleFinder("account correlation rule", src.AccountCorrelationRule)},
		{"/managerCorrelationRule", have.ManagerCorrelationRule, want.ManagerCorrelationRule, b.ruleFinder("manager correlation rule", src.ManagerCorrelationRule)},
		{"/beforeProvisioningRule", have.BeforeProvisioningRule, want.BeforeProvisioningRule, b.ruleFinder("before provisioning rule", src.BeforeProvisioningRule)},
	}
	for _, ref := range refs {
		if err := set(ref.path, ref.have, ref.want, func() (any, bool, error) {
			if ref.want == nil {
				return nil, true, nil
			}
			r, err := ref.find(ctx, ref.want.Name)
			return r, r != nil, err
		}); err != nil {
			return err
		}
	}
	var mapping any
	if m := want.ManagerCorrelationMapping; m != nil {
		mapping = api.ManagerCorrelationMapping{AccountAttributeName: m.AccountAttributeName, IdentityAttributeName: m.IdentityAttributeName}
	}
	for _, f := range []struct {
		path       string
		have, want any
	}{
		{"/managerCorrelationMapping", have.ManagerCorrelationMapping, want.ManagerCorrelationMapping},
		{"/features", have.Features, want.Features},
		{"/deleteThreshold", have.DeleteThreshold, want.DeleteThreshold},
		{"/credentialProviderEnabled", have.CredentialProviderEnabled, want.CredentialProviderEnabled},
		{"/category", have.Category, want.Category},
	} {
		v := f.want
		switch f.path {
		case "/managerCorrelationMapping":
			v = mapping
		case "/deleteThreshold":
			if want.DeleteThreshold == nil {
				v = nil
			} else {
				v = *want.DeleteThreshold
			}
		case "/category":
			if want.Category == "" {
				v = nil
			}
		}
		if err := set(f.path, f.have, f.want, plainValue(v)); err != nil {
			return err
		}
	}
	// Connector attributes: one operation per value that differs, at the
	// deepest path where the two differ, never on a secret of either side.
	secret := map[string]bool{}
	for _, s := range append(slices.Clone(have.Secrets), want.Secrets...) {
		secret[s] = true
	}
	ops = append(ops, patchOps("/connectorAttributes", have.ConnectorAttributes, want.ConnectorAttributes, "", secret)...)
	b.secrets(want.Secrets, have.Secrets)
	if len(ops) > 0 {
		b.add(Step{Operation: "updateSource", Method: http.MethodPatch, Path: b.sourcePath(), source: b.source,
			Summary: "update the source: " + b.changes(SectionSource, ""), ContentType: "application/json-patch+json"}, ops)
	}
	return nil
}

// ruleFinder adapts resolver.rule to a finder.
func (b *planner) ruleFinder(what string, have *api.Reference) func(context.Context, string) (*api.Reference, error) {
	return func(_ context.Context, name string) (*api.Reference, error) { return b.r.rule(what, name, have), nil }
}

// secrets lists the desired secrets the target lacks a value for.
func (b *planner) secrets(want, have []string) {
	for _, s := range want {
		if !slices.Contains(have, s) && !slices.Contains(b.p.Secrets, s) {
			b.p.Secrets = append(b.p.Secrets, s)
		}
	}
}

// createSource plans createSource with every reference resolved.
func (b *planner) createSource(ctx context.Context, want Definition) error {
	src := api.Source{
		Name: want.Name, Description: want.Description, Connector: want.Connector, ConnectorClass: want.ConnectorClass,
		Type: want.Type, ConnectorAttributes: raw(want.ConnectorAttributes), DeleteThreshold: want.DeleteThreshold,
		CredentialProviderEnabled: want.CredentialProviderEnabled, Category: want.Category,
	}
	csv := want.Connector == "delimited-file"
	if csv {
		src.Type = "" // ISC sets it with provisionAsCsv (setting it directly is not allowed)
	}
	var err error
	if want.Owner != nil {
		if src.Owner, err = b.r.identity(ctx, want.Owner); err != nil {
			return err
		}
	}
	if want.Cluster != nil {
		if src.Cluster, err = b.r.cluster(ctx, want.Cluster.Name); err != nil {
			return err
		}
	}
	if want.ManagementWorkgroup != nil {
		if src.ManagementWorkgroup, err = b.r.workgroup(ctx, want.ManagementWorkgroup.Name); err != nil {
			return err
		}
	}
	for _, name := range want.PasswordPolicies {
		ref, err := b.r.passwordPolicy(ctx, name)
		if err != nil {
			return err
		}
		if ref != nil {
			src.PasswordPolicies = append(src.PasswordPolicies, *ref)
		}
	}
	for _, rule := range []struct {
		what string
		n    *Named
		into **api.Reference
	}{
		{"account correlation rule", want.AccountCorrelationRule, &src.AccountCorrelationRule},
		{"manager correlation rule", want.ManagerCorrelationRule, &src.ManagerCorrelationRule},
		{"before provisioning rule", want.BeforeProvisioningRule, &src.BeforeProvisioningRule},
	} {
		if rule.n != nil {
			*rule.into = b.r.rule(rule.what, rule.n.Name, nil)
		}
	}
	for _, f := range want.Features {
		src.Features = append(src.Features, api.SourceFeature(f))
	}
	if m := want.ManagerCorrelationMapping; m != nil {
		src.ManagerCorrelationMapping = &api.ManagerCorrelationMapping{AccountAttributeName: m.AccountAttributeName, IdentityAttributeName: m.IdentityAttributeName}
	}
	b.secrets(want.Secrets, nil)
	path := "/sources"
	if csv {
		path += "?provisionAsCsv=true"
	}
	summary := fmt.Sprintf("create the source %q (connector %s)", want.Name, want.Connector)
	if len(want.Secrets) > 0 {
		summary += fmt.Sprintf(", without its %d secret(s)", len(want.Secrets))
	}
	b.add(Step{Operation: "createSource", Method: http.MethodPost, Path: path, Summary: summary, csv: csv, makes: newSourceID}, src)
	return nil
}

// patchOps returns the JSON Patch operations that turn have into want under
// base: a member that only one side has is added or removed, a value that
// differs is replaced at the deepest level both sides share (lists of another
// length are replaced whole). Members at a path in skip are left alone.
func patchOps(base string, have, want any, path string, skip map[string]bool) []api.JSONPatchOperation {
	if skip[path] || sameJSON(have, want) {
		return nil
	}
	hm, hok := have.(map[string]any)
	wm, wok := want.(map[string]any)
	if hok && wok {
		var ops []api.JSONPatchOperation
		keys := sortedKeys(wm)
		for _, k := range sortedKeys(hm) {
			if _, ok := wm[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			ptr := base + "/" + pointerEscape(k)
			hv, hin := hm[k]
			wv, win := wm[k]
			switch {
			case skip[p]:
			case !hin:
				ops = append(ops, api.PatchAdd(ptr, wv))
			case !win:
				ops = append(ops, api.PatchRemove(ptr))
			default:
				ops = append(ops, patchOps(ptr, hv, wv, p, skip)...)
			}
		}
		return ops
	}
	hl, hok := have.([]any)
	wl, wok := want.([]any)
	if hok && wok && len(hl) == len(wl) {
		var ops []api.JSONPatchOperation
		for i := range wl {
			ops = append(ops, patchOps(fmt.Sprintf("%s/%d", base, i), hl[i], wl[i], fmt.Sprintf("%s[%d]", path, i), skip)...)
		}
		return ops
	}
	if want == nil {
		return []api.JSONPatchOperation{api.PatchRemove(base)}
	}
	return []api.JSONPatchOperation{api.PatchReplace(base, want)}
}

// pointerEscape escapes one JSON Pointer token (RFC 6901).
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// schemas plans the schemas: created ones first (a schema other attributes
// refer to before them), then replaced ones, then deleted ones. A new source
// comes with the schemas ISC makes for its connector; they are read, then
// replaced (or created when ISC made none of that name).
func (b *planner) schemas(ctx context.Context) error {
	want := slices.Clone(b.desired.Schemas)
	// Schemas that attributes refer to come first, so their ids exist.
	referred := map[string]bool{}
	for _, s := range want {
		for _, a := range s.Attributes {
			if a.Schema != "" {
				referred[a.Schema] = true
			}
		}
	}
	slices.SortStableFunc(want, func(x, y Schema) int {
		switch {
		case referred[x.Name] == referred[y.Name]:
			return 0
		case referred[x.Name]:
			return -1
		}
		return 1
	})
	known := map[string]string{} // schema name → id or placeholder
	if b.target == nil {
		if len(want) == 0 {
			return nil
		}
		b.add(Step{Operation: "getSourceSchemas", Method: http.MethodGet, Path: b.sourcePath("schemas"), source: b.source,
			Summary: "read the schemas ISC made with the new source, for their ids"}, nil)
		for _, s := range want {
			known[s.Name] = newSchemaID(s.Name)
		}
		for _, s := range want {
			body, ok := b.schemaBody(s, known)
			if !ok {
				continue
			}
			body.ID = known[s.Name]
			b.add(Step{Operation: "putSourceSchema", Method: http.MethodPut, Path: b.sourcePath("schemas", known[s.Name]),
				source: b.source, key: known[s.Name], orElse: true,
				Summary: fmt.Sprintf("set the %s schema ISC made with the source (created with createSourceSchema if ISC made none)", s.Name)}, body)
		}
		return nil
	}
	have := map[string]Schema{}
	for _, s := range b.target.doc.Schemas {
		have[s.Name] = s
	}
	for name, id := range b.target.schemaIDs {
		known[name] = id
	}
	for _, s := range want {
		if _, ok := have[s.Name]; !ok {
			known[s.Name] = newSchemaID(s.Name)
		}
	}
	var creates, puts []Step
	var createBodies, putBodies []any
	for _, s := range want {
		h, exists := have[s.Name]
		if exists && sameJSON(h, s) {
			continue
		}
		body, ok := b.schemaBody(s, known)
		if !ok {
			continue
		}
		if !exists {
			creates = append(creates, Step{Operation: "createSourceSchema", Method: http.MethodPost, Path: b.sourcePath("schemas"),
				source: b.source, makes: newSchemaID(s.Name), Summary: fmt.Sprintf("create the %s schema (%d attributes)", s.Name, len(s.Attributes))})
			createBodies = append(createBodies, body)
			continue
		}
		body.ID = known[s.Name]
		puts = append(puts, Step{Operation: "putSourceSchema", Method: http.MethodPut, Path: b.sourcePath("schemas", known[s.Name]),
			source: b.source, key: known[s.Name], Summary: fmt.Sprintf("replace the %s schema: %s", s.Name, b.changes(SectionSchemas, s.Name))})
		putBodies = append(putBodies, body)
	}
	for i, s := range creates {
		b.add(s, createBodies[i])
	}
	for i, s := range puts {
		b.add(s, putBodies[i])
	}
	for _, name := range sortedKeys(have) {
		if !slices.ContainsFunc(want, func(s Schema) bool { return s.Name == name }) {
			b.add(Step{Operation: "deleteSourceSchema", Method: http.MethodDelete, Path: b.sourcePath("schemas", known[name]),
				source: b.source, key: known[name], Summary: fmt.Sprintf("delete the %s schema, which the document does not have", name)}, nil)
		}
	}
	return nil
}

// schemaBody is the api Schema for s, its attributes' schema references
// resolved through known (name → id or placeholder).
func (b *planner) schemaBody(s Schema, known map[string]string) (*api.Schema, bool) {
	out := &api.Schema{
		Name: s.Name, NativeObjectType: s.NativeObjectType, IdentityAttribute: s.IdentityAttribute,
		DisplayAttribute: s.DisplayAttribute, HierarchyAttribute: s.HierarchyAttribute, IncludePermissions: s.IncludePermissions,
		Configuration: raw(s.Configuration), Features: []api.SourceFeature{}, Attributes: []api.AttributeDefinition{},
	}
	for _, f := range s.Features {
		out.Features = append(out.Features, api.SourceFeature(f))
	}
	ok := true
	for _, a := range s.Attributes {
		attr := api.AttributeDefinition{Name: a.Name, NativeName: a.NativeName, Type: api.AttributeType(a.Type), Description: a.Description,
			IsMulti: a.IsMulti, IsEntitlement: a.IsEntitlement, IsGroup: a.IsGroup}
		if a.Schema != "" {
			id, found := known[a.Schema]
			if !found {
				b.r.block("schema %s, attribute %s refers to the schema %q, which neither the document nor %s has", s.Name, a.Name, a.Schema, b.t.Name)
				ok = false
				continue
			}
			attr.Schema = &api.Reference{Type: api.DtoConnectorSchema, ID: id, Name: a.Schema}
		}
		out.Attributes = append(out.Attributes, attr)
	}
	return out, ok
}

// policies plans the provisioning policies by usage type.
func (b *planner) policies(context.Context) error {
	have := map[string]Policy{}
	if b.target != nil {
		for _, p := range b.target.doc.ProvisioningPolicies {
			have[p.UsageType] = p
		}
	}
	for _, want := range b.desired.ProvisioningPolicies {
		h, exists := have[want.UsageType]
		if exists && sameJSON(h, want) {
			continue
		}
		body := &api.ProvisioningPolicy{Name: want.Name, Description: want.Description, UsageType: api.UsageType(want.UsageType), Fields: []api.FieldDetails{}}
		for _, f := range want.Fields {
			if f.Type == "secret" && sameJSON(f.Transform, map[string]any{"type": "static"}) {
				b.p.Secrets = append(b.p.Secrets, fmt.Sprintf("provisioning policy %s, field %s (a static secret value)", want.UsageType, f.Name))
			}
			body.Fields = append(body.Fields, api.FieldDetails{Name: f.Name, Type: f.Type, IsMultiValued: f.IsMultiValued,
				Transform: raw(f.Transform), Attributes: raw(f.Attributes)})
		}
		if !exists {
			b.add(Step{Operation: "createProvisioningPolicy", Method: http.MethodPost, Path: b.sourcePath("provisioning-policies"), source: b.source,
				Summary: fmt.Sprintf("create the %s policy %q (%d fields)", want.UsageType, want.Name, len(want.Fields))}, body)
			continue
		}
		b.add(Step{Operation: "putProvisioningPolicy", Method: http.MethodPut, Path: b.sourcePath("provisioning-policies", want.UsageType),
			source: b.source, key: want.UsageType, Summary: fmt.Sprintf("replace the %s policy: %s", want.UsageType, b.changes(SectionProvisioningPolicies, want.UsageType))}, body)
	}
	for _, u := range sortedKeys(have) {
		if !slices.ContainsFunc(b.desired.ProvisioningPolicies, func(p Policy) bool { return p.UsageType == u }) {
			b.add(Step{Operation: "deleteProvisioningPolicy", Method: http.MethodDelete, Path: b.sourcePath("provisioning-policies", u),
				source: b.source, key: u, Summary: fmt.Sprintf("delete the %s policy, which the document does not have", u)}, nil)
		}
	}
	return nil
}

// schedules plans the aggregation schedules by type.
func (b *planner) schedules(context.Context) error {
	have := map[string]Schedule{}
	if b.target != nil {
		for _, s := range b.target.doc.Schedules {
			have[s.Type] = s
		}
	}
	for _, want := range b.desired.Schedules {
		h, exists := have[want.Type]
		switch {
		case !exists:
			b.add(Step{Operation: "createSourceSchedule", Method: http.MethodPost, Path: b.sourcePath("schedules"), source: b.source,
				Summary: fmt.Sprintf("create the %s schedule %q", want.Type, want.CronExpression)},
				api.Schedule{Type: api.ScheduleType(want.Type), CronExpression: want.CronExpression})
		case h.CronExpression != want.CronExpression:
			b.add(Step{Operation: "updateSourceSchedule", Method: http.MethodPatch, Path: b.sourcePath("schedules", want.Type), source: b.source,
				key: want.Type, ContentType: "application/json-patch+json",
				Summary: fmt.Sprintf("change the %s schedule: %q → %q", want.Type, h.CronExpression, want.CronExpression)},
				[]api.JSONPatchOperation{api.PatchReplace("/cronExpression", want.CronExpression)})
		}
	}
	for _, typ := range sortedKeys(have) {
		if !slices.ContainsFunc(b.desired.Schedules, func(s Schedule) bool { return s.Type == typ }) {
			b.add(Step{Operation: "deleteSourceSchedule", Method: http.MethodDelete, Path: b.sourcePath("schedules", typ), source: b.source,
				key: typ, Summary: fmt.Sprintf("delete the %s schedule, which the document does not have", typ)}, nil)
		}
	}
	return nil
}

// correlation plans the correlation configuration (the target keeps the id
// and name of its own).
func (b *planner) correlation(context.Context) error {
	want := b.desired.Correlation
	if want == nil || (b.target != nil && sameJSON(b.target.doc.Correlation, want)) {
		return nil
	}
	body := &api.CorrelationConfig{AttributeAssignments: []api.CorrelationAssignment{}}
	if b.target != nil && b.target.correlation != nil {
		body.ID, body.Name = b.target.correlation.ID, b.target.correlation.Name
	}
	for _, a := range want.AttributeAssignments {
		body.AttributeAssignments = append(body.AttributeAssignments, api.CorrelationAssignment{Property: a.Property, Value: a.Value,
			Operation: a.Operation, Complex: a.Complex, IgnoreCase: a.IgnoreCase, MatchMode: a.MatchMode, FilterString: a.FilterString})
	}
	summary := "set the correlation: " + b.changes(SectionCorrelation, "")
	if b.target == nil {
		summary = fmt.Sprintf("set the correlation (%d rules)", len(want.AttributeAssignments))
	}
	b.add(Step{Operation: "putCorrelationConfig", Method: http.MethodPut, Path: b.sourcePath("correlation-config"), source: b.source, Summary: summary}, body)
	return nil
}

// attributeSync plans which offered attributes are synchronized: ISC offers
// the attributes (only enabled may change), so the target's list is sent
// back with the document's choices.
func (b *planner) attributeSync(context.Context) error {
	want := b.desired.AttributeSync
	if want == nil {
		return nil
	}
	if b.target == nil {
		if len(want.Attributes) > 0 {
			b.note("Attribute sync: ISC offers the attributes its Create Account policy maps directly from an identity attribute once the source exists; plan again after applying to set which are synchronized")
		}
		return nil
	}
	if b.target.attrSync == nil || sameJSON(b.target.doc.AttributeSync, want) {
		return nil
	}
	if slices.ContainsFunc(b.p.Steps, func(s Step) bool { return s.Section == SectionProvisioningPolicies }) {
		b.note("Attribute sync: the plan changes provisioning policies, which may change the attributes ISC offers; compare again after applying")
	}
	body := &api.AttrSyncSourceConfig{Source: b.target.attrSync.Source, Attributes: slices.Clone(b.target.attrSync.Attributes)}
	wanted := map[string]SyncAttribute{}
	for _, a := range want.Attributes {
		wanted[a.Name] = a
	}
	var changed []string
	for i, a := range body.Attributes {
		w, ok := wanted[a.Name]
		if !ok {
			continue
		}
		if w.Target != a.Target {
			b.note("Attribute sync: %s syncs to %s on %s, to %s in the document; ISC does not let the target change", a.Name, a.Target, b.t.Name, w.Target)
		}
		if w.Enabled != a.Enabled {
			body.Attributes[i].Enabled = w.Enabled
			changed = append(changed, fmt.Sprintf("%s %s", a.Name, map[bool]string{true: "on", false: "off"}[w.Enabled]))
		}
	}
	for _, a := range want.Attributes {
		if !slices.ContainsFunc(body.Attributes, func(x api.AttrSyncAttribute) bool { return x.Name == a.Name }) {
			b.note("Attribute sync: %s is not offered for this source on %s (ISC offers the attributes its Create Account policy maps directly from an identity attribute); left out", a.Name, b.t.Name)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	b.add(Step{Operation: "putSourceAttrSyncConfig", Method: http.MethodPut, Path: b.sourcePath("attribute-sync-config"), source: b.source,
		Summary: "synchronize: " + strings.Join(changed, ", ")}, body)
	return nil
}

// nativeChangeDetection plans the native change detection configuration.
func (b *planner) nativeChangeDetection(context.Context) error {
	want := b.desired.NativeChangeDetection
	if want == nil || (b.target != nil && sameJSON(b.target.doc.NativeChangeDetection, want)) {
		return nil
	}
	body := &api.NativeChangeDetectionConfig{Enabled: want.Enabled, Operations: want.Operations, AllEntitlements: want.AllEntitlements,
		AllNonEntitlementAttributes: want.AllNonEntitlementAttributes, SelectedEntitlements: want.SelectedEntitlements,
		SelectedNonEntitlementAttributes: want.SelectedNonEntitlementAttributes}
	summary := "set native change detection: " + b.changes(SectionNativeChangeDetection, "")
	if b.target == nil {
		summary = fmt.Sprintf("set native change detection (enabled: %t)", want.Enabled)
	}
	b.add(Step{Operation: "putNativeChangeDetectionConfig", Method: http.MethodPut, Path: b.sourcePath("native-change-detection-config"), source: b.source, Summary: summary}, body)
	return nil
}

// entitlementRequest plans the entitlement request configuration, naming
// governance group approvers by the target's ids.
func (b *planner) entitlementRequest(ctx context.Context) error {
	want := b.desired.EntitlementRequest
	if want == nil || (b.target != nil && sameJSON(b.target.doc.EntitlementRequest, want)) {
		return nil
	}
	schemes := func(list []Approval) ([]api.ApprovalScheme, error) {
		out := []api.ApprovalScheme{}
		for _, a := range list {
			s := api.ApprovalScheme{ApproverType: a.ApproverType}
			switch a.ApproverType {
			case "GOVERNANCE_GROUP":
				ref, err := b.r.workgroup(ctx, a.GovernanceGroup)
				if err != nil {
					return nil, err
				}
				if ref != nil {
					s.ApproverID = ref.ID
				}
			case "WORKFLOW":
				b.r.block("entitlement requests: an approver is the workflow %s of the exporting tenant; workflows are not matched between tenants, set this approver on %s by hand", a.WorkflowID, b.t.Name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	body := &api.SourceEntitlementRequestConfig{}
	if a := want.AccessRequest; a != nil {
		list, err := schemes(a.ApprovalSchemes)
		if err != nil {
			return err
		}
		body.AccessRequestConfig = &api.EntitlementAccessRequestConfig{ApprovalSchemes: list, RequestCommentRequired: a.RequestCommentRequired,
			DenialCommentRequired: a.DenialCommentRequired, ReauthorizationRequired: a.ReauthorizationRequired, RequireEndDate: a.RequireEndDate}
		if m := a.MaxPermittedAccessDuration; m != nil {
			body.AccessRequestConfig.MaxPermittedAccessDuration = &api.AccessDuration{Value: m.Value, TimeUnit: m.TimeUnit}
		}
	}
	if r := want.RevocationRequest; r != nil {
		list, err := schemes(r.ApprovalSchemes)
		if err != nil {
			return err
		}
		body.RevocationRequestConfig = &api.EntitlementRevocationRequestConfig{ApprovalSchemes: list}
	}
	summary := "set the entitlement request configuration: " + b.changes(SectionEntitlementRequest, "")
	if b.target == nil {
		summary = "set the entitlement request configuration"
	}
	b.add(Step{Operation: "updateSourceEntitlementRequestConfig", Method: http.MethodPut, Path: b.sourcePath("entitlement-request-config"), source: b.source, Summary: summary}, body)
	return nil
}

// passwordPolicies plans the password policy holders, by the target's policy ids.
func (b *planner) passwordPolicies(ctx context.Context) error {
	want := b.desired.PasswordPolicies
	if want == nil || (b.target != nil && sameJSON(b.target.doc.PasswordPolicies, want)) {
		return nil
	}
	body := []api.PasswordPolicyHolder{}
	for _, p := range want {
		ref, err := b.r.passwordPolicy(ctx, p.Name)
		if err != nil {
			return err
		}
		if ref == nil {
			continue
		}
		h := api.PasswordPolicyHolder{PolicyID: ref.ID, PolicyName: p.Name}
		if p.Selectors != nil {
			var sel api.PasswordPolicySelectors
			if err := json.Unmarshal([]byte(compact(p.Selectors)), &sel); err == nil {
				h.Selectors = &sel
			}
		}
		body = append(body, h)
	}
	names := make([]string, len(want))
	for i, p := range want {
		names[i] = p.Name
	}
	b.add(Step{Operation: "updatePasswordPolicyHolders", Method: http.MethodPatch, Path: b.sourcePath("password-policies"), source: b.source,
		Summary: "set the password policies: " + strings.Join(names, ", ")}, body)
	return nil
}
