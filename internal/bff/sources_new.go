package bff

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// connectorSuggestions are offered in the create form's connector field.
var connectorSuggestions = []string{"active-directory", "azure-active-directory", "delimited-file", "google-apps",
	"jdbc", "ldap", "okta", "salesforce", "servicenow", "web-services", "workday"}

// createFieldWords map ISC's messages about a new source onto the create form.
var createFieldWords = []fieldWord{
	{"connectiontype", "connection_type"},
	{"connector", "connector"},
	{"cluster", "cluster_id"},
	{"owner", "owner_id"},
	{"description", "description"},
	{"name", "name"},
}

func createVM(f templates.SourceCreateForm) templates.SourceCreateVM {
	return templates.SourceCreateVM{Form: f, Errors: templates.FieldErrors{}, Connectors: connectorSuggestions}
}

// sourceNew handles "GET /sources/new".
func (s *Server) sourceNew(c echo.Context) error {
	return s.render(c, http.StatusOK, Page{Title: "New source", Section: "sources",
		Body: templates.SourceCreate(createVM(templates.SourceCreateForm{}))})
}

// checkCreateForm validates the create form before anything is sent to ISC.
func checkCreateForm(f templates.SourceCreateForm) templates.FieldErrors {
	errs := templates.FieldErrors{}
	switch {
	case f.Name == "":
		errs["name"] = "Enter a name."
	case len(f.Name) > 128:
		errs["name"] = "The name is limited to 128 characters."
	}
	if len(f.Description) > 2000 {
		errs["description"] = "The description is limited to 2000 characters."
	}
	if f.OwnerID == "" {
		errs["owner_id"] = "Enter the owner's identity id."
	} else if !validSourceID(f.OwnerID) {
		errs["owner_id"] = "An identity id has only letters, digits, - and _."
	}
	if f.Connector == "" && !f.ProvisionAsCSV {
		errs["connector"] = "Enter a connector, or tick \"Delimited file (CSV) source\"."
	} else if f.Connector != "" && !validSourceID(f.Connector) {
		errs["connector"] = "A connector id has only letters, digits, - and _, e.g. active-directory."
	}
	if f.ConnectionType != "" && f.ConnectionType != "direct" && f.ConnectionType != "file" {
		errs["connection_type"] = "Choose direct or file."
	}
	if f.ClusterID != "" && !validSourceID(f.ClusterID) {
		errs["cluster_id"] = "A cluster id has only letters, digits, - and _."
	}
	return errs
}

// sourceCreate handles "POST /sources": it checks the form, creates the source and
// opens it. Errors (ours and ISC's) come back next to the fields, with the form as typed.
func (s *Server) sourceCreate(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return userErrorf(http.StatusBadRequest, "The form could not be read.")
	}
	f := templates.SourceCreateForm{
		Name:           strings.TrimSpace(form.Get("name")),
		Description:    form.Get("description"),
		OwnerID:        strings.TrimSpace(form.Get("owner_id")),
		Connector:      strings.TrimSpace(form.Get("connector")),
		ConnectionType: form.Get("connection_type"),
		ClusterID:      strings.TrimSpace(form.Get("cluster_id")),
		Authoritative:  form.Get("authoritative") == "true",
		ProvisionAsCSV: form.Get("provision_as_csv") == "true",
	}
	vm := createVM(f)
	page := func(status int) error {
		return s.render(c, status, Page{Title: "New source", Section: "sources", Body: templates.SourceCreate(vm)})
	}
	if vm.Errors = checkCreateForm(f); len(vm.Errors) > 0 {
		vm.FormError = "Some fields need attention; nothing was sent to ISC."
		return page(http.StatusUnprocessableEntity)
	}
	src := &api.Source{
		Name:           f.Name,
		Description:    f.Description,
		Owner:          &api.Reference{Type: api.DtoIdentity, ID: f.OwnerID},
		Connector:      f.Connector,
		ConnectionType: f.ConnectionType,
		Authoritative:  f.Authoritative,
	}
	if f.ProvisionAsCSV && src.Connector == "" {
		// ISC requires a connector; with provisionAsCsv it makes the source a
		// Delimited File source whatever this says.
		src.Connector = "delimited-file"
	}
	if f.ClusterID != "" {
		src.Cluster = &api.Reference{Type: api.DtoCluster, ID: f.ClusterID}
	}
	var created *api.Source
	err = s.callAPIOnce(c, func(ctx context.Context, cl *api.Client) error {
		var err error
		created, err = cl.CreateSource(ctx, src, f.ProvisionAsCSV)
		return err
	})
	if msgs, ok := iscRejection(err); ok {
		vm.Errors, vm.FormError = fieldsFromISC(msgs, createFieldWords)
		return page(http.StatusUnprocessableEntity)
	}
	if err != nil {
		return fmt.Errorf("create source: %w", err)
	}
	return s.goTo(c, templates.SourceTabURL(created.ID, ""))
}
