package api

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"

	"sourcedesk/internal/api/filter"
)

// The five read-only list operations beyond the Sources API that fill the
// console's pickers: identities (Source.owner), managed clusters
// (Source.cluster), governance groups (Source.managementWorkgroup), password
// policies (Source.passwordPolicies) and connectors (Source.connector, by
// script name). Each returns a bare JSON array and takes the standard
// collection parameters; which filters and sorters ISC accepts differs per
// operation and is listed on each params type.

// ListParams are the standard collection parameters of a list operation.
// Zero values are not sent, so ISC's defaults apply (limit 250, offset 0, no
// count). Filters and Sorters are sent only by the operations that take them.
type ListParams struct {
	// Limit is the page size, at most MaxLimit; 0 means ISC's default (250).
	Limit  int
	Offset int
	// Count asks for X-Total-Count (Page.Total).
	Count bool
	// Filters is built with package filter.
	Filters filter.Expr
	// Sorters are field names, "-" prefixed for descending.
	Sorters []string
}

// PublicIdentity is one identity as any signed-in user may see it
// (PublicIdentity): the owner picker's item.
type PublicIdentity struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"` // the display name
	Alias string `json:"alias,omitempty"`
	Email string `json:"email,omitempty"`
	// Status is the lifecycle state's name as free text, e.g. "Active".
	Status string `json:"status,omitempty"`
	// IdentityState is ACTIVE, INACTIVE_SHORT_TERM or INACTIVE_LONG_TERM
	// (or a value this package does not know yet).
	IdentityState string                    `json:"identityState,omitempty"`
	Manager       *Reference                `json:"manager,omitempty"`
	Attributes    []PublicIdentityAttribute `json:"attributes,omitempty"`
}

// Inactive reports whether ISC marks the identity inactive. ISC cannot
// filter on the state, so pickers drop inactive identities themselves.
func (p PublicIdentity) Inactive() bool {
	return p.IdentityState == "INACTIVE_SHORT_TERM" || p.IdentityState == "INACTIVE_LONG_TERM"
}

// PublicIdentityAttribute is one public attribute of an identity.
type PublicIdentityAttribute struct {
	Key   string `json:"key,omitempty"`
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// PublicIdentitiesParams are the query of GetPublicIdentities. ISC filters
// on id (eq, in), alias, email, firstname and lastname (eq, sw): there is no
// name filter. It sorts by name only.
type PublicIdentitiesParams struct {
	ListParams
	// AddCoreFilters keeps only correlated or protected identities with a
	// uid, a last name and an email, and drops spadmin and cloudadmin.
	AddCoreFilters bool
}

// GetPublicIdentities is getPublicIdentities: GET /public-identities, one page.
func (c *Client) GetPublicIdentities(ctx context.Context, p PublicIdentitiesParams) (Page[PublicIdentity], error) {
	return listPage[PublicIdentity](ctx, c, "getPublicIdentities", "public-identities", p.ListParams, func(q url.Values) {
		if p.AddCoreFilters {
			q["add-core-filters"] = []string{"true"}
		}
	}, false)
}

// ManagedCluster is a cluster of virtual appliances (ManagedCluster), as far
// as the cluster picker needs it. The key material, Redis address and
// configuration map ISC also sends are deliberately not decoded, so they can
// never reach a page.
type ManagedCluster struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Type is idn, iai, spConnectCluster, sqsCluster, das-rc, das-pc,
	// das-dc, pag, das-am or standard.
	Type string `json:"type,omitempty"`
	// Status is CONFIGURING, FAILED, NO_CLIENTS, NORMAL or WARNING.
	Status      string `json:"status,omitempty"`
	Operational bool   `json:"operational"`
	// ClientType is CCG, VA, INTERNAL, IIQ_HARVESTER or empty.
	ClientType   string   `json:"clientType,omitempty"`
	CCGVersion   string   `json:"ccgVersion,omitempty"`
	ClientIDs    []string `json:"clientIds,omitempty"`
	ServiceCount int      `json:"serviceCount"`
	// ConsolidatedHealthIndicatorsStatus is NORMAL, WARNING, ERROR or empty.
	ConsolidatedHealthIndicatorsStatus string `json:"consolidatedHealthIndicatorsStatus,omitempty"`
}

// GetManagedClusters is getManagedClusters: GET /managed-clusters, one page.
// ISC filters on operational, name, type and status (eq only) and takes no
// sorters (p.Sorters must be empty).
func (c *Client) GetManagedClusters(ctx context.Context, p ListParams) (Page[ManagedCluster], error) {
	return listPage[ManagedCluster](ctx, c, "getManagedClusters", "managed-clusters", p, nil, false)
}

// AllManagedClusters iterates over every cluster p selects. A tenant has few,
// and ISC cannot filter them by id, so name lookups read them all.
func (c *Client) AllManagedClusters(ctx context.Context, p ListParams) iter.Seq2[ManagedCluster, error] {
	return allPages(p.Limit, p.Offset, func(limit, offset int) ([]ManagedCluster, error) {
		p.Limit, p.Offset, p.Count = limit, offset, false
		page, err := c.GetManagedClusters(ctx, p)
		return page.Items, err
	})
}

// Workgroup is a governance group (WorkgroupDto): the management workgroup
// picker's item.
type Workgroup struct {
	ID              string          `json:"id,omitempty"`
	Name            string          `json:"name,omitempty"`
	Description     string          `json:"description,omitempty"`
	Owner           *WorkgroupOwner `json:"owner,omitempty"`
	MemberCount     int64           `json:"memberCount"`
	ConnectionCount int64           `json:"connectionCount"`
	Created         DateTime        `json:"created,omitempty"`
	Modified        DateTime        `json:"modified,omitempty"`
}

// WorkgroupOwner is the identity that owns a governance group.
type WorkgroupOwner struct {
	Type         string `json:"type,omitempty"`
	ID           string `json:"id,omitempty"`
	Name         string `json:"name,omitempty"`
	DisplayName  string `json:"displayName,omitempty"`
	EmailAddress string `json:"emailAddress,omitempty"`
}

// ListWorkgroups is listWorkgroups: GET /workgroups, one page. ISC filters on
// id (eq, in, sw), name (eq, sw, in) and memberships.identityId (eq, in: the
// groups an identity belongs to), and sorts by name, created, modified, id
// and description.
func (c *Client) ListWorkgroups(ctx context.Context, p ListParams) (Page[Workgroup], error) {
	return listPage[Workgroup](ctx, c, "listWorkgroups", "workgroups", p, nil, false)
}

// PasswordPolicy is a password policy (PasswordPolicyV3Dto), with the rules a
// picker shows; ISC sends 22 rule fields, most defaulting to -1 or 0.
type PasswordPolicy struct {
	ID            string   `json:"id,omitempty"`
	Name          string   `json:"name,omitempty"`
	Description   string   `json:"description,omitempty"`
	DefaultPolicy bool     `json:"defaultPolicy"`
	SourceIDs     []string `json:"sourceIds,omitempty"`
	// DateCreated and LastUpdated are epoch milliseconds; LastUpdated may be null.
	DateCreated            int64  `json:"dateCreated,omitempty"`
	LastUpdated            *int64 `json:"lastUpdated,omitempty"`
	MinLength              int64  `json:"minLength"`
	MaxLength              int64  `json:"maxLength"`
	MinCharacterTypes      int64  `json:"minCharacterTypes"`
	PasswordExpiration     int64  `json:"passwordExpiration"`
	EnablePasswdExpiration bool   `json:"enablePasswdExpiration"`
}

// ListPasswordPolicies is listPasswordPolicies: GET /password-policies, one
// page. It is experimental (the header is sent) and takes no filters and no
// sorters (p.Filters and p.Sorters must be empty).
func (c *Client) ListPasswordPolicies(ctx context.Context, p ListParams) (Page[PasswordPolicy], error) {
	return listPage[PasswordPolicy](ctx, c, "listPasswordPolicies", "password-policies", p, nil, true)
}

// AllPasswordPolicies iterates over every password policy (a tenant has a handful).
func (c *Client) AllPasswordPolicies(ctx context.Context) iter.Seq2[PasswordPolicy, error] {
	return allPages(0, 0, func(limit, offset int) ([]PasswordPolicy, error) {
		page, err := c.ListPasswordPolicies(ctx, ListParams{Limit: limit, Offset: offset})
		return page.Items, err
	})
}

// Connector is one connector a source can be made with (V3ConnectorDto). It
// has no id: ScriptName is its key, and what Source.connector holds.
type Connector struct {
	Name       string   `json:"name,omitempty"`
	Type       string   `json:"type,omitempty"`
	ScriptName string   `json:"scriptName,omitempty"`
	ClassName  string   `json:"className,omitempty"`
	Features   []string `json:"features,omitempty"`
	// DirectConnect is true for connectors that reach their system directly.
	DirectConnect     bool           `json:"directConnect"`
	ConnectorMetadata map[string]any `json:"connectorMetadata,omitempty"`
	// Status is DEPRECATED, DEVELOPMENT, DEMO or RELEASED.
	Status string `json:"status,omitempty"`
}

// ConnectorListParams are the query of GetConnectorList. ISC filters on name
// (sw, co), type (sw, co, eq), directConnect (eq), category (eq), features
// and labels (ca), and takes no sorters.
type ConnectorListParams struct {
	ListParams
	// Locale (e.g. "de") translates names; ISC falls back to "en".
	Locale string
}

// GetConnectorList is getConnectorList: GET /connectors, one page of the
// RELEASED connectors.
func (c *Client) GetConnectorList(ctx context.Context, p ConnectorListParams) (Page[Connector], error) {
	return listPage[Connector](ctx, c, "getConnectorList", "connectors", p.ListParams, func(q url.Values) {
		if p.Locale != "" {
			q["locale"] = []string{p.Locale}
		}
	}, false)
}

// AllConnectors iterates over every connector p selects.
func (c *Client) AllConnectors(ctx context.Context, p ConnectorListParams) iter.Seq2[Connector, error] {
	return allPages(p.Limit, p.Offset, func(limit, offset int) ([]Connector, error) {
		p.Limit, p.Offset, p.Count = limit, offset, false
		page, err := c.GetConnectorList(ctx, p)
		return page.Items, err
	})
}

// listPage performs one list operation: the standard parameters, then extra
// (if any) for the operation's own, a JSON array back and X-Total-Count.
func listPage[T any](ctx context.Context, c *Client, op, path string, p ListParams, extra func(url.Values), experimental bool) (Page[T], error) {
	var page Page[T]
	q, err := listQuery(p.Limit, p.Offset, p.Count, p.Filters, p.Sorters)
	if err != nil {
		return page, fmt.Errorf("api: %s: %w", op, err)
	}
	if extra != nil {
		extra(q)
	}
	r := request{op: op, method: http.MethodGet, path: path, query: q, experimental: experimental}
	h, err := c.call(ctx, r, &page.Items)
	if err != nil {
		return page, err
	}
	totalOf(h, &page)
	return page, nil
}
