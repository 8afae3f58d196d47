package bff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// sourceOverview handles "GET /sources/:id": the overview tab. Its first paint
// needs the source alone; the health and the connections load as parts of their
// own (sourceHealth, sourceConnectionsPart), each with its own error.
func (s *Server) sourceOverview(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	src, err := s.sharedSource(c, id)
	if err != nil {
		return err
	}
	s.nameRefs(c, src)
	return s.renderSourceTab(c, http.StatusOK, src.ID, src, "", templates.SourceOverview(sourceOverviewVM(src)))
}

// sourceHealth handles "GET /sources/:id/health": the overview's health part. A
// failure is shown in the part, with a retry; an ended sign-in is the error
// handler's.
func (s *Server) sourceHealth(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	h, err := sourceRead(s, c, "get health of "+id, id, sourceReadOf("health", id, 1), func(ctx context.Context, cl *api.Client) (*api.SourceHealth, error) {
		return cl.GetSourceHealth(ctx, id)
	})
	if signInLost(err) != nil || errors.Is(err, errNeedLogin) {
		return err
	}
	return s.renderFragment(c, http.StatusOK, templates.SourceHealth(id, healthVM(h, err)))
}

// sourceConnectionsPart handles "GET /sources/:id/connections": the overview's
// connections part, like sourceHealth.
func (s *Server) sourceConnectionsPart(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// What uses a source (identity profiles, apps, transforms) is configured
	// elsewhere and changes rarely: a copy is kept ten times READ_CACHE_TTL.
	cn, err := sourceRead(s, c, "get connections of "+id, id, sourceReadOf("connections", id, 10), func(ctx context.Context, cl *api.Client) (*api.SourceConnections, error) {
		return cl.GetSourceConnections(ctx, id)
	})
	if signInLost(err) != nil || errors.Is(err, errNeedLogin) {
		return err
	}
	return s.renderFragment(c, http.StatusOK, templates.SourceConnectionsPart(id, connectionsVM(cn, err)))
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
