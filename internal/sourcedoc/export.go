package sourcedoc

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"sourcedesk/internal/api"
	"sourcedesk/internal/api/filter"
)

// Tenant is one ISC tenant as the engine reaches it: a client speaking for
// the signed-in user there, and the tenant's name for messages and origins.
type Tenant struct {
	Name   string
	Client *api.Client
}

// snapshot is a source as the engine read it: the document, and the
// tenant-local facts a plan needs (ids, and the values the document leaves
// out). It never leaves the package: Source holds the secrets' cipher text.
type snapshot struct {
	doc         *Document
	source      *api.Source
	schemaIDs   map[string]string // schema name → id
	correlation *api.CorrelationConfig
	attrSync    *api.AttrSyncSourceConfig
	holders     []api.PasswordPolicyHolder
}

// readers bounds the reads of one export that run at once.
const readers = 4

// Export reads source id on t and returns it as a document. A section the
// user may not read (ISC answers 403) is null and named in Unread with the
// reason; any other failure fails the export.
func Export(ctx context.Context, t Tenant, id string) (*Document, error) {
	snap, err := load(ctx, t, id)
	if err != nil {
		return nil, err
	}
	return snap.doc, nil
}

// load reads everything a document holds about source id.
func load(ctx context.Context, t Tenant, id string) (*snapshot, error) {
	c := t.Client
	src, err := c.GetSource(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading source %s on %s: %w", id, t.Name, err)
	}
	snap := &snapshot{source: src, schemaIDs: map[string]string{}}
	d := &Document{
		Format: Format, Version: Version,
		Origin: &Origin{Tenant: t.Name, SourceID: src.ID},
		Unread: map[string]string{},
	}
	snap.doc = d

	var mu sync.Mutex // guards d.Unread
	unread := func(section string, err error) error {
		reason := ""
		switch {
		case api.IsForbidden(err):
			reason = "not readable with your user level on " + t.Name + " (ISC answered 403)"
		case errors.Is(err, errUnknownGroup):
			reason = "an approver is a governance group " + t.Name + " does not list"
		}
		if reason != "" {
			mu.Lock()
			d.Unread[section] = reason
			mu.Unlock()
			return nil
		}
		return fmt.Errorf("reading the %s of %q on %s: %w", SectionTitle(section), src.Name, t.Name, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	var formSecrets []string
	g.Go(func() error {
		// The form only sharpens the secret rules; without it (a user level
		// below ORG_ADMIN) the name and value rules still apply.
		detail, err := c.GetSourceConfig(gctx, id, "")
		if err != nil {
			return nil
		}
		form, err := detail.Form("")
		if err != nil {
			return nil
		}
		for _, f := range form.Fields() {
			if f.Kind == api.FieldSecret && f.Attribute != "" {
				formSecrets = append(formSecrets, f.Attribute)
			}
		}
		return nil
	})
	var owner *Identity
	g.Go(func() error {
		owner = ownerOf(gctx, c, src.Owner)
		return nil
	})
	g.Go(func() error {
		schemas, err := c.GetSourceSchemas(gctx, id, api.SchemaFilter{})
		if err != nil {
			return unread(SectionSchemas, err)
		}
		d.Schemas = exportSchemas(schemas)
		for _, s := range schemas {
			snap.schemaIDs[s.Name] = s.ID
		}
		return nil
	})
	g.Go(func() error {
		policies, err := c.ListProvisioningPolicies(gctx, id)
		if err != nil {
			return unread(SectionProvisioningPolicies, err)
		}
		d.ProvisioningPolicies = exportPolicies(policies)
		return nil
	})
	g.Go(func() error {
		schedules, err := c.GetSourceSchedules(gctx, id)
		if err != nil {
			return unread(SectionSchedules, err)
		}
		d.Schedules = make([]Schedule, 0, len(schedules))
		for _, s := range schedules {
			d.Schedules = append(d.Schedules, Schedule{Type: string(s.Type), CronExpression: s.CronExpression})
		}
		slices.SortFunc(d.Schedules, func(a, b Schedule) int { return cmp.Compare(a.Type, b.Type) })
		return nil
	})
	g.Go(func() error {
		cc, err := c.GetCorrelationConfig(gctx, id)
		if err != nil {
			return unread(SectionCorrelation, err)
		}
		snap.correlation = cc
		d.Correlation = exportCorrelation(cc)
		return nil
	})
	g.Go(func() error {
		as, err := c.GetSourceAttrSyncConfig(gctx, id)
		if err != nil {
			return unread(SectionAttributeSync, err)
		}
		snap.attrSync = as
		d.AttributeSync = &AttributeSync{Attributes: make([]SyncAttribute, 0, len(as.Attributes))}
		for _, a := range as.Attributes {
			d.AttributeSync.Attributes = append(d.AttributeSync.Attributes, SyncAttribute{Name: a.Name, DisplayName: a.DisplayName, Target: a.Target, Enabled: a.Enabled})
		}
		return nil
	})
	g.Go(func() error {
		ncd, err := c.GetNativeChangeDetectionConfig(gctx, id)
		if err != nil {
			return unread(SectionNativeChangeDetection, err)
		}
		d.NativeChangeDetection = &NativeChangeDetection{
			Enabled: ncd.Enabled, Operations: sorted(ncd.Operations),
			AllEntitlements: ncd.AllEntitlements, AllNonEntitlementAttributes: ncd.AllNonEntitlementAttributes,
			SelectedEntitlements: sorted(ncd.SelectedEntitlements), SelectedNonEntitlementAttributes: sorted(ncd.SelectedNonEntitlementAttributes),
		}
		return nil
	})
	g.Go(func() error {
		er, err := c.GetSourceEntitlementRequestConfig(gctx, id)
		if err != nil {
			return unread(SectionEntitlementRequest, err)
		}
		doc, err := exportEntitlementRequest(gctx, c, er)
		if err != nil {
			return unread(SectionEntitlementRequest, err)
		}
		d.EntitlementRequest = doc
		return nil
	})
	g.Go(func() error {
		holders, err := allHolders(gctx, c, id)
		if err != nil {
			return unread(SectionPasswordPolicies, err)
		}
		snap.holders = holders
		d.PasswordPolicies = make([]PasswordPolicy, 0, len(holders))
		for _, h := range holders {
			p := PasswordPolicy{Name: h.PolicyName}
			if h.Selectors != nil {
				p.Selectors = jsonObject(h.Selectors)
			}
			d.PasswordPolicies = append(d.PasswordPolicies, p)
		}
		slices.SortFunc(d.PasswordPolicies, func(a, b PasswordPolicy) int { return cmp.Compare(a.Name, b.Name) })
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	d.Source = exportDefinition(src, owner, formSecrets)
	if len(d.Unread) == 0 {
		d.Unread = nil
	}
	return snap, nil
}

// exportDefinition maps a Source onto the document's definition.
func exportDefinition(src *api.Source, owner *Identity, formSecrets []string) Definition {
	attrs, secrets := redact(jsonObject(src.ConnectorAttributes), formSecrets)
	def := Definition{
		Name: src.Name, Description: src.Description,
		Connector: src.Connector, Type: src.Type, ConnectorClass: src.ConnectorClass,
		Owner:                     owner,
		Cluster:                   named(src.Cluster),
		ManagementWorkgroup:       named(src.ManagementWorkgroup),
		PasswordPolicies:          []string{},
		AccountCorrelationRule:    named(src.AccountCorrelationRule),
		ManagerCorrelationRule:    named(src.ManagerCorrelationRule),
		BeforeProvisioningRule:    named(src.BeforeProvisioningRule),
		Features:                  []string{},
		DeleteThreshold:           src.DeleteThreshold,
		CredentialProviderEnabled: src.CredentialProviderEnabled,
		Category:                  src.Category,
		ConnectorAttributes:       attrs,
		Secrets:                   secrets,
	}
	for _, p := range src.PasswordPolicies {
		def.PasswordPolicies = append(def.PasswordPolicies, p.Name)
	}
	slices.Sort(def.PasswordPolicies)
	for _, f := range src.Features {
		def.Features = append(def.Features, string(f))
	}
	slices.Sort(def.Features)
	if m := src.ManagerCorrelationMapping; m != nil {
		def.ManagerCorrelationMapping = &ManagerCorrelationMapping{AccountAttributeName: m.AccountAttributeName, IdentityAttributeName: m.IdentityAttributeName}
	}
	return def
}

// ownerOf names the owner; its alias, by which another tenant finds the same
// person, is looked up among the public identities (any user may). Without
// an alias the owner cannot be matched, which a plan reports.
func ownerOf(ctx context.Context, c *api.Client, ref *api.Reference) *Identity {
	if ref == nil || ref.ID == "" {
		return nil
	}
	id := &Identity{Name: ref.Name}
	page, err := c.GetPublicIdentities(ctx, api.PublicIdentitiesParams{ListParams: api.ListParams{Limit: 2, Filters: filter.Eq("id", ref.ID)}})
	if err == nil && len(page.Items) == 1 {
		id.Alias = page.Items[0].Alias
		if id.Name == "" {
			id.Name = page.Items[0].Name
		}
	}
	return id
}

func exportSchemas(schemas []api.Schema) []Schema {
	out := make([]Schema, 0, len(schemas))
	for _, s := range schemas {
		sc := Schema{
			Name: s.Name, NativeObjectType: s.NativeObjectType,
			IdentityAttribute: s.IdentityAttribute, DisplayAttribute: s.DisplayAttribute, HierarchyAttribute: s.HierarchyAttribute,
			IncludePermissions: s.IncludePermissions, Features: []string{},
			Configuration: jsonObject(s.Configuration), Attributes: make([]Attribute, 0, len(s.Attributes)),
		}
		for _, f := range s.Features {
			sc.Features = append(sc.Features, string(f))
		}
		slices.Sort(sc.Features)
		for _, a := range s.Attributes {
			attr := Attribute{Name: a.Name, NativeName: a.NativeName, Type: string(a.Type), Description: a.Description,
				IsMulti: a.IsMulti, IsEntitlement: a.IsEntitlement, IsGroup: a.IsGroup}
			if a.Schema != nil {
				attr.Schema = a.Schema.Name
			}
			sc.Attributes = append(sc.Attributes, attr)
		}
		out = append(out, sc)
	}
	slices.SortFunc(out, func(a, b Schema) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func exportPolicies(policies []api.ProvisioningPolicy) []Policy {
	out := make([]Policy, 0, len(policies))
	for _, p := range policies {
		pol := Policy{UsageType: string(p.UsageType), Name: p.Name, Description: p.Description, Fields: make([]Field, 0, len(p.Fields))}
		for _, f := range p.Fields {
			fd := Field{Name: f.Name, Type: f.Type, IsMultiValued: f.IsMultiValued, Transform: jsonObject(f.Transform), Attributes: jsonObject(f.Attributes)}
			redactField(&fd)
			pol.Fields = append(pol.Fields, fd)
		}
		out = append(out, pol)
	}
	slices.SortFunc(out, func(a, b Policy) int { return cmp.Compare(a.UsageType, b.UsageType) })
	return out
}

func exportCorrelation(cc *api.CorrelationConfig) *Correlation {
	out := &Correlation{AttributeAssignments: make([]Assignment, 0, len(cc.AttributeAssignments))}
	for _, a := range cc.AttributeAssignments {
		out.AttributeAssignments = append(out.AttributeAssignments, Assignment{
			Property: a.Property, Value: a.Value, Operation: a.Operation, Complex: a.Complex,
			IgnoreCase: a.IgnoreCase, MatchMode: a.MatchMode, FilterString: a.FilterString,
		})
	}
	return out
}

// errUnknownGroup marks an approver governance group the tenant does not list.
var errUnknownGroup = errors.New("unknown governance group")

// exportEntitlementRequest names the governance groups among the approvers.
func exportEntitlementRequest(ctx context.Context, c *api.Client, er *api.SourceEntitlementRequestConfig) (*EntitlementRequest, error) {
	var ids []any
	collect := func(schemes []api.ApprovalScheme) {
		for _, s := range schemes {
			if s.ApproverType == "GOVERNANCE_GROUP" && s.ApproverID != "" {
				ids = append(ids, s.ApproverID)
			}
		}
	}
	if a := er.AccessRequestConfig; a != nil {
		collect(a.ApprovalSchemes)
	}
	if r := er.RevocationRequestConfig; r != nil {
		collect(r.ApprovalSchemes)
	}
	names := map[string]string{}
	if len(ids) > 0 {
		page, err := c.ListWorkgroups(ctx, api.ListParams{Filters: filter.In("id", ids...)})
		if err != nil {
			return nil, err
		}
		for _, w := range page.Items {
			names[w.ID] = w.Name
		}
	}
	approvals := func(schemes []api.ApprovalScheme) ([]Approval, error) {
		out := make([]Approval, 0, len(schemes))
		for _, s := range schemes {
			a := Approval{ApproverType: s.ApproverType}
			switch s.ApproverType {
			case "GOVERNANCE_GROUP":
				if a.GovernanceGroup = names[s.ApproverID]; a.GovernanceGroup == "" {
					return nil, fmt.Errorf("%w %s", errUnknownGroup, s.ApproverID)
				}
			case "WORKFLOW":
				a.WorkflowID = s.ApproverID
			}
			out = append(out, a)
		}
		return out, nil
	}
	out := &EntitlementRequest{}
	if a := er.AccessRequestConfig; a != nil {
		schemes, err := approvals(a.ApprovalSchemes)
		if err != nil {
			return nil, err
		}
		out.AccessRequest = &AccessRequest{
			ApprovalSchemes: schemes, RequestCommentRequired: a.RequestCommentRequired, DenialCommentRequired: a.DenialCommentRequired,
			ReauthorizationRequired: a.ReauthorizationRequired, RequireEndDate: a.RequireEndDate,
		}
		if m := a.MaxPermittedAccessDuration; m != nil {
			out.AccessRequest.MaxPermittedAccessDuration = &Duration{Value: m.Value, TimeUnit: m.TimeUnit}
		}
	}
	if r := er.RevocationRequestConfig; r != nil {
		schemes, err := approvals(r.ApprovalSchemes)
		if err != nil {
			return nil, err
		}
		out.RevocationRequest = &RevocationRequest{ApprovalSchemes: schemes}
	}
	return out, nil
}

// allHolders reads every password policy holder of a source, page by page.
func allHolders(ctx context.Context, c *api.Client, id string) ([]api.PasswordPolicyHolder, error) {
	var out []api.PasswordPolicyHolder
	for offset := 0; ; {
		page, err := c.ListPasswordPolicyHoldersOnSource(ctx, id, api.PageParams{Limit: api.MaxLimit, Offset: offset})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if len(page.Items) < api.MaxLimit {
			return out, nil
		}
		offset += len(page.Items)
	}
}

// named keeps a reference's name; nil for none.
func named(r *api.Reference) *Named {
	if r == nil || (r.ID == "" && r.Name == "") {
		return nil
	}
	return &Named{Name: r.Name}
}

// sorted returns a sorted copy, never nil.
func sorted(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}

// jsonObject decodes a value (a map of raw members, or a model) into a plain
// JSON object, never nil.
func jsonObject(v any) map[string]any {
	out := map[string]any{}
	b, err := json.Marshal(v)
	if err != nil {
		return out
	}
	_ = json.Unmarshal(b, &out)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
