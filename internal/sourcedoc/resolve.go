package sourcedoc

import (
	"context"
	"fmt"
	"strings"

	"sourcedesk/internal/api"
	"sourcedesk/internal/api/filter"
)

// FindSource returns the id of the source named name on t ("" when there is
// none the user can see). ISC matches names without regard to case; an exact
// match wins.
func FindSource(ctx context.Context, t Tenant, name string) (string, error) {
	id, _, err := findSource(ctx, t, name)
	return id, err
}

// findSource is FindSource, also saying whether the user could only search
// the sources it manages: ISC answers a SOURCE_SUBADMIN's list with 403
// unless it asks for-subadmin, and then lists only its governance groups'
// sources, so "not found" does not mean the tenant has none of that name.
func findSource(ctx context.Context, t Tenant, name string) (id string, managedOnly bool, err error) {
	p := api.ListSourcesParams{Limit: 10, Filters: filter.Eq("name", name)}
	page, err := t.Client.ListSources(ctx, p)
	if api.IsForbidden(err) {
		p.ForSubadmin, managedOnly = "me", true
		page, err = t.Client.ListSources(ctx, p)
	}
	if err != nil {
		return "", managedOnly, fmt.Errorf("looking for source %q on %s: %w", name, t.Name, err)
	}
	for _, s := range page.Items {
		if s.Name == name {
			return s.ID, managedOnly, nil
		}
		if strings.EqualFold(s.Name, name) {
			id = s.ID
		}
	}
	return id, managedOnly, nil
}

// resolver turns the names of a document back into the target tenant's ids.
// A name that resolves to nothing is a blocking problem of the plan (with a
// message saying what and where), not an error: errors are failures to ask.
type resolver struct {
	t        Tenant
	target   *snapshot // nil when the source does not exist there
	blocking *[]string
	policies map[string]string // password policy name → id, read once
}

func (r *resolver) block(format string, args ...any) {
	*r.blocking = append(*r.blocking, fmt.Sprintf(format, args...))
}

// current returns the target source's reference when it already names name.
func current(ref *api.Reference, name string) *api.Reference {
	if ref != nil && ref.ID != "" && ref.Name == name {
		return &api.Reference{Type: ref.Type, ID: ref.ID, Name: ref.Name}
	}
	return nil
}

// identity finds the owner by alias among the public identities.
func (r *resolver) identity(ctx context.Context, id *Identity) (*api.Reference, error) {
	if id.Alias == "" {
		r.block("owner %q: the document has no alias for this identity, so it cannot be found on %s; set the owner on %s first, or export the source again", id.Name, r.t.Name, r.t.Name)
		return nil, nil
	}
	if r.target != nil && r.target.doc.Source.Owner != nil && r.target.doc.Source.Owner.Alias == id.Alias && r.target.source.Owner != nil {
		o := r.target.source.Owner
		return &api.Reference{Type: api.DtoIdentity, ID: o.ID, Name: o.Name}, nil
	}
	page, err := r.t.Client.GetPublicIdentities(ctx, api.PublicIdentitiesParams{ListParams: api.ListParams{Limit: 2, Filters: filter.Eq("alias", id.Alias)}})
	if err != nil {
		return nil, fmt.Errorf("looking up identity %q on %s: %w", id.Alias, r.t.Name, err)
	}
	if len(page.Items) != 1 {
		r.block("owner %q: no identity with the alias %q on %s", id.Name, id.Alias, r.t.Name)
		return nil, nil
	}
	return &api.Reference{Type: api.DtoIdentity, ID: page.Items[0].ID, Name: page.Items[0].Name}, nil
}

// cluster finds a cluster by name.
func (r *resolver) cluster(ctx context.Context, name string) (*api.Reference, error) {
	return r.byName(ctx, "cluster", "clusters", name, api.DtoCluster, r.current(func(s *api.Source) *api.Reference { return s.Cluster }),
		func(ctx context.Context, p api.ListParams) ([][2]string, error) {
			page, err := r.t.Client.GetManagedClusters(ctx, p)
			out := make([][2]string, len(page.Items))
			for i, c := range page.Items {
				out[i] = [2]string{c.ID, c.Name}
			}
			return out, err
		})
}

// workgroup finds a governance group by name.
func (r *resolver) workgroup(ctx context.Context, name string) (*api.Reference, error) {
	return r.byName(ctx, "governance group", "governance groups", name, api.DtoGovernanceGroup, r.current(func(s *api.Source) *api.Reference { return s.ManagementWorkgroup }),
		func(ctx context.Context, p api.ListParams) ([][2]string, error) {
			page, err := r.t.Client.ListWorkgroups(ctx, p)
			out := make([][2]string, len(page.Items))
			for i, w := range page.Items {
				out[i] = [2]string{w.ID, w.Name}
			}
			return out, err
		})
}

// current is the target source's reference that get picks (nil without a target).
func (r *resolver) current(get func(*api.Source) *api.Reference) *api.Reference {
	if r.target == nil {
		return nil
	}
	return get(r.target.source)
}

// byName finds an object of a picker list by name: the target source's own
// reference when it names it, else the list filtered by name (each item an
// id and a name). ISC lets only an ORG_ADMIN list clusters and governance
// groups, so a refused list blocks the plan with that reason.
func (r *resolver) byName(ctx context.Context, what, whats, name string, typ api.DtoType, have *api.Reference,
	list func(context.Context, api.ListParams) ([][2]string, error)) (*api.Reference, error) {
	if ref := current(have, name); ref != nil {
		return ref, nil
	}
	items, err := list(ctx, api.ListParams{Filters: filter.Eq("name", name)})
	if api.IsForbidden(err) {
		r.block("%s %q: your user level on %s may not look %s up (ISC allows it to ORG_ADMIN only)", what, name, r.t.Name, whats)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up %s %q on %s: %w", what, name, r.t.Name, err)
	}
	for _, it := range items {
		if it[1] == name {
			return &api.Reference{Type: typ, ID: it[0], Name: it[1]}, nil
		}
	}
	r.block("%s %q does not exist on %s", what, name, r.t.Name)
	return nil, nil
}

// passwordPolicy finds a password policy by name (ISC cannot filter them, and
// a tenant has a handful, so all are read once).
func (r *resolver) passwordPolicy(ctx context.Context, name string) (*api.Reference, error) {
	if r.target != nil {
		for _, p := range r.target.source.PasswordPolicies {
			if ref := current(&p, name); ref != nil {
				return ref, nil
			}
		}
		for _, h := range r.target.holders {
			if h.PolicyName == name && h.PolicyID != "" {
				return &api.Reference{Type: api.DtoPasswordPolicy, ID: h.PolicyID, Name: name}, nil
			}
		}
	}
	if r.policies == nil {
		r.policies = map[string]string{}
		for p, err := range r.t.Client.AllPasswordPolicies(ctx) {
			if api.IsForbidden(err) {
				r.block("password policy %q: your user level on %s may not list password policies (ISC allows it to ORG_ADMIN only)", name, r.t.Name)
				return nil, nil
			}
			if err != nil {
				r.policies = nil
				return nil, fmt.Errorf("listing the password policies of %s: %w", r.t.Name, err)
			}
			r.policies[p.Name] = p.ID
		}
	}
	id, ok := r.policies[name]
	if !ok {
		r.block("password policy %q does not exist on %s", name, r.t.Name)
		return nil, nil
	}
	return &api.Reference{Type: api.DtoPasswordPolicy, ID: id, Name: name}, nil
}

// rule finds a rule by name. The console has no list of a tenant's rules,
// so only a rule the target source already uses under that name is found.
func (r *resolver) rule(what, name string, have *api.Reference) *api.Reference {
	if ref := current(have, name); ref != nil {
		return ref
	}
	r.block("%s %q: rules are not matched between tenants by this console; attach the rule to the source on %s first", what, name, r.t.Name)
	return nil
}
