package bff

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// createFieldWords map ISC's messages about a new source onto the create form.
var createFieldWords = []fieldWord{
	{"connector", "connector"},
	{"managementworkgroup", "workgroup"},
	{"workgroup", "workgroup"},
	{"cluster", "cluster"},
	{"owner", "owner"},
	{"description", "description"},
	{"name", "name"},
}

// delimitedConnector is the connector of Delimited File sources, which ISC makes
// with provisionAsCsv=true.
const delimitedConnector = "delimited-file"

// createVM builds the create page: the connectors ISC lists (by name, keeping
// the script name) and the pickers.
func (s *Server) createVM(c echo.Context, f templates.SourceCreateForm, errs templates.FieldErrors) templates.SourceCreateVM {
	if errs == nil {
		errs = templates.FieldErrors{}
	}
	vm := templates.SourceCreateVM{Form: f, Errors: errs,
		OwnerPicker:     pickerVM(pickOwner, "create-form", "owner", f.Owner, f.OwnerID, f.OwnerWas, true, errs),
		ClusterPicker:   pickerVM(pickCluster, "create-form", "cluster", f.Cluster, f.ClusterID, f.ClusterWas, false, errs),
		WorkgroupPicker: pickerVM(pickWorkgroup, "create-form", "workgroup", f.Workgroup, f.WorkgroupID, f.WorkgroupWas, isSubadmin(c), errs),
	}
	items, limited, err := s.pickLists(c, pickConnector)
	switch {
	case err != nil:
		vm.ConnectorNote = "The connector list could not be read (" + upstreamMessage(err) + "); type the connector's script name."
	case limited:
		vm.ConnectorNote = "Your user level cannot list ISC's connectors; these are the ones your sources use."
	}
	for _, it := range items {
		vm.Connectors = append(vm.Connectors, templates.OptionVM{Value: it.ID, Label: it.Name})
	}
	return vm
}

// sourceNew handles "GET /sources/new". A user level that cannot create sources
// is told so, with no form.
func (s *Server) sourceNew(c echo.Context) error {
	if !accessOf(c).Create {
		return s.render(c, http.StatusOK, Page{Title: "New source", Section: "sources",
			Body: templates.SourceCreate(templates.SourceCreateVM{})})
	}
	return s.render(c, http.StatusOK, Page{Title: "New source", Section: "sources",
		Body: templates.SourceCreate(s.createVM(c, templates.SourceCreateForm{}, nil))})
}

// checkSourceBasics checks what the create and edit forms of a source share: the
// name, the description and the owner (name is trimmed already).
func checkSourceBasics(name, description, owner string) templates.FieldErrors {
	errs := templates.FieldErrors{}
	switch {
	case name == "":
		errs["name"] = "Enter a name."
	case len(name) > 128:
		errs["name"] = "The name is limited to 128 characters."
	}
	if len(description) > 2000 {
		errs["description"] = "The description is limited to 2000 characters."
	}
	if strings.TrimSpace(owner) == "" {
		errs["owner"] = "Choose the owner: type a name and pick one of the suggestions."
	}
	return errs
}

// checkCreateForm validates the create form's own fields before anything is
// sent to ISC; the pickers are resolved by sourceCreate.
func checkCreateForm(f templates.SourceCreateForm) templates.FieldErrors {
	errs := checkSourceBasics(f.Name, f.Description, f.Owner)
	if f.Connector == "" {
		errs["connector"] = "Choose a connector."
	} else if !validID(f.Connector) {
		errs["connector"] = "A connector's script name has only letters, digits, - and _, e.g. active-directory."
	}
	return errs
}

// sourceCreate handles "POST /sources": it checks the form, creates the source and
// opens it. Errors (ours and ISC's) come back next to the fields, with the form as
// typed. A script may send owner_id (an identity id) instead of the owner's name,
// and provision_as_csv=true instead of the delimited-file connector.
func (s *Server) sourceCreate(c echo.Context) error {
	form, err := readForm(c)
	if err != nil {
		return err
	}
	f := templates.SourceCreateForm{
		Name:          strings.TrimSpace(form.Get("name")),
		Description:   form.Get("description"),
		Owner:         strings.TrimSpace(form.Get("owner")),
		OwnerID:       strings.TrimSpace(form.Get("owner_id")),
		OwnerWas:      form.Get("owner_was"),
		Connector:     strings.TrimSpace(form.Get("connector")),
		Cluster:       strings.TrimSpace(form.Get("cluster")),
		ClusterID:     strings.TrimSpace(form.Get("cluster_id")),
		ClusterWas:    form.Get("cluster_was"),
		Workgroup:     strings.TrimSpace(form.Get("workgroup")),
		WorkgroupID:   strings.TrimSpace(form.Get("workgroup_id")),
		WorkgroupWas:  form.Get("workgroup_was"),
		Authoritative: form.Get("authoritative") == "true",
	}
	// A script's owner_id or cluster_id is resolved (checked) like a typed id.
	if f.Owner == "" && f.OwnerWas == "" {
		f.Owner, f.OwnerID = f.OwnerID, ""
	}
	if f.Cluster == "" && f.ClusterWas == "" {
		f.Cluster, f.ClusterID = f.ClusterID, ""
	}
	if form.Get("provision_as_csv") == "true" && f.Connector == "" {
		f.Connector = delimitedConnector
	}
	errs := checkCreateForm(f)
	pick := func(kind, field, typed, keepID, keepText string) (string, string) {
		it := s.pickField(c, errs, kind, field, typed, keepID, keepText)
		return it.ID, it.Name
	}
	var ownerID, ownerName, clusterID, wgID string
	if _, bad := errs["owner"]; !bad {
		ownerID, ownerName = pick(pickOwner, "owner", f.Owner, f.OwnerID, f.OwnerWas)
	}
	clusterID, _ = pick(pickCluster, "cluster", f.Cluster, f.ClusterID, f.ClusterWas)
	wgID, _ = pick(pickWorkgroup, "workgroup", f.Workgroup, f.WorkgroupID, f.WorkgroupWas)
	page := func(status int, vm templates.SourceCreateVM) error {
		return s.render(c, status, Page{Title: "New source", Section: "sources", Body: templates.SourceCreate(vm)})
	}
	if len(errs) > 0 {
		vm := s.createVM(c, f, errs)
		vm.FormError = "Some fields need attention; nothing was sent to ISC."
		return page(http.StatusUnprocessableEntity, vm)
	}
	src := &api.Source{
		Name:          f.Name,
		Description:   f.Description,
		Owner:         &api.Reference{Type: api.DtoIdentity, ID: ownerID, Name: ownerName},
		Connector:     f.Connector,
		Authoritative: f.Authoritative,
	}
	if clusterID != "" {
		src.Cluster = &api.Reference{Type: api.DtoCluster, ID: clusterID}
	}
	if wgID != "" {
		src.ManagementWorkgroup = &api.Reference{Type: api.DtoGovernanceGroup, ID: wgID}
	}
	// ISC makes Delimited File sources with provisionAsCsv (and sets the type itself).
	asCSV := f.Connector == delimitedConnector
	created, err := fetchAPIOnce(s, c, "create source", func(ctx context.Context, cl *api.Client) (*api.Source, error) {
		return cl.CreateSource(ctx, src, asCSV)
	})
	if msgs, ok := iscRejection(err); ok {
		vm := s.createVM(c, f, nil)
		vm.Errors, vm.FormError = fieldsFromISC(msgs, createFieldWords)
		return page(http.StatusUnprocessableEntity, vm)
	}
	if err != nil {
		return err
	}
	return s.goTo(c, templates.SourceTabURL(created.ID, ""), "Source "+created.Name+" created.")
}
