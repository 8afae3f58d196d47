package bff

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// isSourceTabRequest reports whether htmx asks for a tab's content only: a tab link
// (or a form inside the tab) targeting the tab panel. Any other request gets the
// whole source detail shell around the tab.
func isSourceTabRequest(c echo.Context) bool {
	return isHTMX(c) && c.Request().Header.Get("HX-Target") == templates.SourceTabPanelID
}

// renderSourceTab renders one tab of the source detail page. An htmx request that
// targets the tab panel gets body alone (plus the tab list, swapped out of band so
// the current tab is marked); any other request gets the shell (header with the
// source's name, type and status, tab list, panel) around body, for which the source
// is fetched. Every tab handler uses it:
//
//	return s.renderSourceTab(c, id, "schemas", templates.SchemasTab(vm))
//
// Use renderSourceTabFor when the handler has fetched the source already.
func (s *Server) renderSourceTab(c echo.Context, sourceID, tab string, body templ.Component) error {
	return s.renderSourceTabStatus(c, http.StatusOK, sourceID, tab, body)
}

// renderSourceTabStatus is renderSourceTab with a status other than 200 (e.g. 422
// for a tab whose form came back with errors).
func (s *Server) renderSourceTabStatus(c echo.Context, status int, sourceID, tab string, body templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Target")
	if isSourceTabRequest(c) {
		return s.renderFragment(c, status, templates.SourceTabFragment(sourceID, tab, body))
	}
	src, err := fetchAPI(s, c, func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.GetSource(ctx, sourceID)
	})
	if err != nil {
		return fmt.Errorf("get source %s for the page: %w", sourceID, err)
	}
	return s.renderSourceShell(c, status, sourceSummary(src), tab, body)
}

// renderSourceTabFor is renderSourceTab for a handler that already holds the source.
func (s *Server) renderSourceTabFor(c echo.Context, status int, src *api.Source, tab string, body templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Target")
	if isSourceTabRequest(c) {
		return s.renderFragment(c, status, templates.SourceTabFragment(src.ID, tab, body))
	}
	return s.renderSourceShell(c, status, sourceSummary(src), tab, body)
}

func (s *Server) renderSourceShell(c echo.Context, status int, sum templates.SourceSummaryVM, tab string, body templ.Component) error {
	title := sum.Name
	if l := templates.SourceTabLabel(tab); l != "" && tab != "" {
		title = l + " · " + sum.Name
	}
	return s.render(c, status, Page{Title: title, Section: "sources", Body: templates.SourceShell(sum, tab, body)})
}

// sourceSummary maps a source to the shell's header.
func sourceSummary(src *api.Source) templates.SourceSummaryVM {
	return templates.SourceSummaryVM{
		ID:          src.ID,
		Name:        src.Name,
		Type:        src.Type,
		Connector:   src.ConnectorName,
		Description: src.Description,
		Status:      sourceState(src.Status),
	}
}

// getSource fetches one source for a handler.
func (s *Server) getSource(c echo.Context, id string) (*api.Source, error) {
	src, err := fetchAPI(s, c, func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.GetSource(ctx, id)
	})
	if err != nil {
		return nil, fmt.Errorf("get source %s: %w", id, err)
	}
	return src, nil
}

// sourceOverview handles "GET /sources/:id": the overview tab, with the source's
// health and connections read at the same time.
func (s *Server) sourceOverview(c echo.Context) error {
	id, err := sourceIDParam(c)
	if err != nil {
		return err
	}
	var (
		src    *api.Source
		health *api.SourceHealth
		conns  *api.SourceConnections
		hErr   error
		cErr   error
	)
	err = s.callAPI(c, func(ctx context.Context, cl *api.Client) error {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error {
			var err error
			src, err = cl.GetSource(gctx, id)
			return err
		})
		// Health and connections are extras: when they fail, the overview says so
		// in place, unless the sign-in itself is gone.
		g.Go(func() error {
			health, hErr = cl.GetSourceHealth(gctx, id)
			return signInLost(hErr)
		})
		g.Go(func() error {
			conns, cErr = cl.GetSourceConnections(gctx, id)
			return signInLost(cErr)
		})
		return g.Wait()
	})
	if err != nil {
		return fmt.Errorf("source overview %s: %w", id, err)
	}
	s.nameRefs(c, src)
	vm := sourceOverviewVM(src)
	vm.Health = healthVM(health, hErr)
	vm.Connections = connectionsVM(conns, cErr)
	return s.renderSourceTabFor(c, http.StatusOK, src, "", templates.SourceOverview(vm))
}

// sourceOverviewVM maps every field of a source into readable form.
func sourceOverviewVM(src *api.Source) templates.SourceOverviewVM {
	vm := templates.SourceOverviewVM{Source: sourceSummary(src), NextRuns: templates.NextRunsLazy(src.ID)}
	if src.Owner != nil {
		vm.Owner = refVM(src.Owner)
	}
	if src.Cluster != nil {
		r := refVM(src.Cluster)
		vm.Cluster = &r
	}
	if src.ManagementWorkgroup != nil {
		r := refVM(src.ManagementWorkgroup)
		vm.Workgroup = &r
	}
	for _, f := range src.Features {
		vm.Features = append(vm.Features, string(f))
	}
	created, _ := readableTime(src.Created)
	modified, _ := readableTime(src.Modified)
	threshold := "not set"
	if src.DeleteThreshold != nil {
		threshold = strconv.Itoa(*src.DeleteThreshold) + " %"
	}
	kv := func(label, value string) templates.KV { return templates.KV{Label: label, Value: value} }
	mono := func(label, value string) templates.KV { return templates.KV{Label: label, Value: value, Mono: true} }
	vm.Fields = []templates.KV{
		mono("ID", src.ID),
		kv("Name", src.Name),
		kv("Description", orNone(src.Description)),
		kv("Type", orNone(src.Type)),
		kv("Connector", orNone(src.Connector)),
		mono("Connector class", orNone(src.ConnectorClass)),
		kv("Connector name", orNone(src.ConnectorName)),
		mono("Connector id", orNone(src.ConnectorID)),
		mono("Connector implementation", orNone(src.ConnectorImplementationID)),
		kv("Connection type", orNone(src.ConnectionType)),
		kv("Category", orNone(src.Category)),
		kv("Authoritative", yesNo(src.Authoritative)),
		kv("Healthy", yesNo(src.Healthy)),
		kv("Status", orNone(string(src.Status))),
		kv("Status since", orNone(src.Since)),
		kv("Delete threshold", threshold),
		kv("Credential provider", yesNo(src.CredentialProviderEnabled)),
		kv("Account correlation config", refText(src.AccountCorrelationConfig)),
		kv("Account correlation rule", refText(src.AccountCorrelationRule)),
		kv("Manager correlation rule", refText(src.ManagerCorrelationRule)),
		kv("Before provisioning rule", refText(src.BeforeProvisioningRule)),
		kv("Schemas", refsText(src.Schemas)),
		kv("Password policies", refsText(src.PasswordPolicies)),
		kv("Created", orNone(created)),
		kv("Modified", orNone(modified)),
	}
	if m := src.ManagerCorrelationMapping; m != nil {
		vm.Fields = append(vm.Fields, kv("Manager correlation mapping",
			fmt.Sprintf("account attribute %s → identity attribute %s", orNone(m.AccountAttributeName), orNone(m.IdentityAttributeName))))
	}
	vm.Fields = append(vm.Fields, templates.KV{Label: "Connector attributes", Value: prettyJSON(src.ConnectorAttributes), Pre: true})
	// Fields ISC added that this console does not know yet are shown as they are.
	keys := make([]string, 0, len(src.Extra))
	for k := range src.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vm.Fields = append(vm.Fields, mono(k, string(src.Extra[k])))
	}
	return vm
}

func healthVM(h *api.SourceHealth, err error) templates.HealthVM {
	if err != nil {
		return templates.HealthVM{Error: "The health could not be read: " + upstreamMessage(err)}
	}
	if h == nil {
		return templates.HealthVM{Error: "ISC sent no health information."}
	}
	return templates.HealthVM{
		Checked: true,
		Status:  sourceState(h.Status),
		Fields: []templates.KV{
			{Label: "Authoritative", Value: yesNo(h.IsAuthoritative)},
			{Label: "On a cluster", Value: yesNo(h.IsCluster)},
			{Label: "Host name", Value: orNone(h.Hostname)},
			{Label: "Pod", Value: orNone(h.Pod)},
			{Label: "Org", Value: orNone(h.Org)},
			{Label: "IQService version", Value: orNone(h.IqServiceVersion)},
		},
	}
}

func connectionsVM(cn *api.SourceConnections, err error) templates.ConnectionsVM {
	if err != nil {
		return templates.ConnectionsVM{Error: "The connections could not be read: " + upstreamMessage(err)}
	}
	var vm templates.ConnectionsVM
	if cn == nil {
		return vm
	}
	for _, p := range cn.IdentityProfiles {
		vm.IdentityProfiles = append(vm.IdentityProfiles, fmt.Sprintf("%s (%d identities)", orNone(p.Name), p.IdentityCount))
	}
	for _, a := range cn.DependentApps {
		name := a.Description
		if name == "" {
			name = a.CloudAppID
		}
		vm.Apps = append(vm.Apps, orNone(name))
	}
	for _, t := range cn.DependentCustomTransforms {
		vm.Transforms = append(vm.Transforms, fmt.Sprintf("%s (%s)", orNone(t.Name), orNone(t.Type)))
	}
	vm.CredentialProfiles = cn.CredentialProfiles
	vm.SourceAttributes = cn.SourceAttributes
	vm.MappingProfiles = cn.MappingProfiles
	for _, m := range cn.MissingDependents {
		vm.Missing = append(vm.Missing, m.DependencyType+": "+m.Reason)
	}
	return vm
}

func refVM(r *api.Reference) templates.RefVM {
	return templates.RefVM{ID: r.ID, Name: r.Name, Type: string(r.Type)}
}

// refText names a reference: its name, or its id when ISC sent no name (and
// none could be looked up).
func refText(r *api.Reference) string {
	if r == nil {
		return "none"
	}
	return orNone(cmpOr(r.Name, r.ID))
}

func refsText(rs []api.Reference) string {
	if len(rs) == 0 {
		return "none"
	}
	var parts []string
	for i := range rs {
		parts = append(parts, refText(&rs[i]))
	}
	return strings.Join(parts, ", ")
}

func prettyJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// signInLost is what an optional part of a page (health, connections) returns to its
// errgroup: only a lost sign-in stops the page; any other failure is shown in place.
func signInLost(err error) error {
	if api.IsUnauthorized(err) {
		return err
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}
