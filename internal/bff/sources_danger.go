package bff

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
)

// sourceDangerData reads what the danger zone shows: the source and what uses it.
func (s *Server) sourceDangerData(c echo.Context, id string) (*api.Source, templates.ConnectionsVM, error) {
	var (
		conns *api.SourceConnections
		cErr  error
	)
	src, err := s.getSource(c, id, func(ctx context.Context, cl *api.Client) error {
		conns, cErr = cl.GetSourceConnections(ctx, id)
		return signInLost(cErr)
	})
	if err != nil {
		return nil, templates.ConnectionsVM{}, err
	}
	return src, connectionsVM(conns, cErr), nil
}

// sourceDanger handles "GET /sources/:id/danger".
func (s *Server) sourceDanger(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	src, conns, err := s.sourceDangerData(c, id)
	if err != nil {
		return err
	}
	vm := templates.SourceDangerVM{Source: sourceSummary(src), Connections: conns, Errors: templates.FieldErrors{}}
	return s.renderSourceTab(c, http.StatusOK, src.ID, src, "danger", templates.SourceDanger(vm))
}

// sourceRemoveAccounts handles "POST /sources/:id/remove-accounts": it starts the
// task and sends the user to follow it.
func (s *Server) sourceRemoveAccounts(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	task, err := fetchAPIOnce(s, c, "remove accounts of "+id, func(ctx context.Context, cl *api.Client) (*api.TaskResult, error) {
		return cl.DeleteAccountsAsync(ctx, id)
	})
	if err != nil {
		return err
	}
	return s.goTo(c, taskURL(task.ID, id), "Removing the accounts: ISC runs it as a task, followed here.")
}

// sourceDelete handles "POST /sources/:id/delete". The user must type the source's
// name; the server checks it (a mismatch is a 422 with the form as typed). ISC
// refusing (the source is still used) comes back the same way, with its reasons.
// On success the user follows the delete task.
func (s *Server) sourceDelete(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	typed := form.Get("confirm_name")
	src, conns, err := s.sourceDangerData(c, id)
	if err != nil {
		return err
	}
	vm := templates.SourceDangerVM{Source: sourceSummary(src), Connections: conns, ConfirmName: typed, Errors: templates.FieldErrors{}}
	if strings.TrimSpace(typed) != strings.TrimSpace(src.Name) || typed == "" {
		vm.Errors["confirm_name"] = "The name does not match. Type the source's name exactly as shown to delete it."
		return s.renderSourceTab(c, http.StatusUnprocessableEntity, src.ID, src, "danger", templates.SourceDanger(vm))
	}
	// The log keeps the name: once the source is gone, ISC no longer tells it.
	recordDetail(c, "sourceName", src.Name)
	task, err := fetchAPIOnce(s, c, "delete source "+id, func(ctx context.Context, cl *api.Client) (*api.TaskResult, error) {
		return cl.DeleteSource(ctx, id)
	})
	if msgs, ok := iscRejection(err); ok {
		vm.FormError = "ISC did not delete the source: " + strings.Join(msgs, " ")
		return s.renderSourceTab(c, http.StatusUnprocessableEntity, src.ID, src, "danger", templates.SourceDanger(vm))
	}
	if err != nil {
		return err
	}
	return s.goTo(c, taskURL(task.ID, id), "Deleting "+src.Name+": ISC runs it as a task, followed here.")
}
