package bff

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/cron"
	"sourcedesk/web/templates"
)

// scheduleTypes are the aggregation schedules a source can have, in display order.
var scheduleTypes = []struct {
	typ   api.ScheduleType
	label string
}{
	{api.ScheduleAccountAggregation, "Account aggregation"},
	{api.ScheduleGroupAggregation, "Group aggregation"},
}

// scheduleLabel is the readable name of a schedule type ("" for an unknown one).
func scheduleLabel(t string) string {
	for _, st := range scheduleTypes {
		if string(st.typ) == t {
			return st.label
		}
	}
	return ""
}

// scheduleZone is the zone a page shows fire times in: the tz parameter when it
// names a real zone, UTC otherwise. It only converts instants: fire times are
// computed in the zone ISC evaluates schedules in (Config.ScheduleZone).
func scheduleZone(c echo.Context) (string, *time.Location) {
	name := strings.TrimSpace(c.QueryParam("tz"))
	if name == "" {
		name = strings.TrimSpace(c.FormValue("tz"))
	}
	if loc, err := time.LoadLocation(name); err == nil && name != "" && !strings.EqualFold(name, "local") {
		return name, loc
	}
	return "UTC", time.UTC
}

// scheduleCard maps one schedule (nil when none) to its card.
func (s *Server) scheduleCard(c echo.Context, sourceID, typ string, sched *api.Schedule, zone string, loc *time.Location) templates.ScheduleCardVM {
	card := templates.ScheduleCardVM{SourceID: sourceID, Type: typ, Label: scheduleLabel(typ), Zone: zone,
		ISCZone: s.cfg.ScheduleZone.String(), CanWrite: canWrite(c)}
	if sched == nil {
		return card
	}
	card.Exists, card.Cron, card.Input = true, sched.CronExpression, sched.CronExpression
	e, err := cron.ParseAt(sched.CronExpression, s.cfg.Now())
	if err != nil {
		card.Description = "ISC holds an expression this console cannot read: " + err.Error()
		return card
	}
	card.Description = e.Describe()
	for _, at := range e.Upcoming(s.cfg.Now().In(s.cfg.ScheduleZone), 3) {
		card.Next = append(card.Next, fireVM(at, loc))
	}
	return card
}

// fireVM formats one fire time for the templates, shown in the zone show.
func fireVM(at time.Time, show *time.Location) templates.CronFireVM {
	at = at.In(show)
	return templates.CronFireVM{
		Local: at.Format("Mon 2006-01-02 15:04 MST"),
		UTC:   at.UTC().Format("2006-01-02 15:04Z"),
		ISO:   at.Format(time.RFC3339),
	}
}

// sourceSchedules handles "GET /sources/:id/schedules": the Schedules tab.
func (s *Server) sourceSchedules(c echo.Context) error {
	id, err := sourceIDParam(c)
	if err != nil {
		return err
	}
	var list []api.Schedule
	if err := s.callAPI(c, func(ctx context.Context, cl *api.Client) error {
		list, err = cl.GetSourceSchedules(ctx, id)
		return err
	}); err != nil {
		return err
	}
	zone, loc := scheduleZone(c)
	vm := templates.SchedulesTabVM{SourceID: id, Zone: zone, ISCZone: s.cfg.ScheduleZone.String(), Zones: commonZones, CanWrite: canWrite(c)}
	for _, st := range scheduleTypes {
		var found *api.Schedule
		for i := range list {
			if list[i].Type == st.typ {
				found = &list[i]
			}
		}
		vm.Cards = append(vm.Cards, s.scheduleCard(c, id, string(st.typ), found, zone, loc))
	}
	return s.renderSourceTab(c, id, "schedules", templates.SchedulesTab(vm))
}

// scheduleForm is the schedule form's input.
type scheduleForm struct {
	Cron string `form:"cronExpression"`
}

// saveSchedule handles "POST /sources/:id/schedules?type=T" (create) and
// "POST /sources/:id/schedules/:type" (change the expression). The expression is
// checked here first, so a typo is shown next to the field without a call to ISC;
// ISC's own refusal is shown the same way. Either way the card comes back with
// what the user typed.
func (s *Server) saveSchedule(c echo.Context) error {
	id, err := sourceIDParam(c)
	if err != nil {
		return err
	}
	typ := c.Param("type")
	creating := typ == ""
	if creating {
		typ = c.QueryParam("type")
	}
	if scheduleLabel(typ) == "" {
		return userErrorf(http.StatusBadRequest, "Unknown schedule type %q: use ACCOUNT_AGGREGATION or GROUP_AGGREGATION.", typ)
	}
	var f scheduleForm
	if err := c.Bind(&f); err != nil {
		return userErrorf(http.StatusBadRequest, "The form could not be read.")
	}
	f.Cron = strings.Join(strings.Fields(f.Cron), " ")
	zone, loc := scheduleZone(c)
	invalid := func(msg string, exists bool) error {
		card := templates.ScheduleCardVM{SourceID: id, Type: typ, Label: scheduleLabel(typ), Zone: zone,
			ISCZone: s.cfg.ScheduleZone.String(), CanWrite: true, Exists: exists, Input: f.Cron, Error: msg}
		return s.renderFragment(c, http.StatusUnprocessableEntity, templates.ScheduleCard(card))
	}
	if f.Cron == "" {
		return invalid("Enter a cron expression, e.g. 0 0 5,13,21 * * ?", !creating)
	}
	if _, err := cron.ParseAt(f.Cron, s.cfg.Now()); err != nil {
		msg := err.Error()
		if q, ok := cron.FromUnix(f.Cron); ok {
			msg += ". This looks like a Unix crontab; in Quartz syntax it is " + q
		}
		return invalid(msg, !creating)
	}
	var saved *api.Schedule
	err = s.callAPIOnce(c, func(ctx context.Context, cl *api.Client) error {
		if creating {
			saved, err = cl.CreateSourceSchedule(ctx, id, &api.Schedule{Type: api.ScheduleType(typ), CronExpression: f.Cron})
		} else {
			saved, err = cl.UpdateSourceSchedule(ctx, id, api.ScheduleType(typ),
				[]api.JSONPatchOperation{api.PatchReplace("/cronExpression", f.Cron)})
		}
		return err
	})
	recordDetail(c, "cron", f.Cron)
	if st := api.StatusOf(err); st == http.StatusBadRequest {
		recordDetail(c, "error", upstreamMessage(err))
		return invalid(upstreamMessage(err), !creating)
	}
	if err != nil {
		return err
	}
	card := s.scheduleCard(c, id, typ, saved, zone, loc)
	card.Notice = "Saved."
	return s.renderFragment(c, http.StatusOK, templates.ScheduleCard(card))
}

// deleteSchedule handles "DELETE /sources/:id/schedules/:type": the aggregation stops
// running by itself.
func (s *Server) deleteSchedule(c echo.Context) error {
	id, err := sourceIDParam(c)
	if err != nil {
		return err
	}
	typ := c.Param("type")
	if scheduleLabel(typ) == "" {
		return userErrorf(http.StatusBadRequest, "Unknown schedule type %q.", typ)
	}
	if err := s.callAPIOnce(c, func(ctx context.Context, cl *api.Client) error {
		return cl.DeleteSourceSchedule(ctx, id, api.ScheduleType(typ))
	}); err != nil {
		return err
	}
	zone, loc := scheduleZone(c)
	card := s.scheduleCard(c, id, typ, nil, zone, loc)
	card.Notice = "Deleted: this aggregation no longer runs by itself."
	return s.renderFragment(c, http.StatusOK, templates.ScheduleCard(card))
}

// sourceNextRuns handles "GET /sources/:id/schedules/next": the overview's upcoming
// aggregations (loaded lazily). Errors are shown inside the panel: the overview
// around it is fine.
func (s *Server) sourceNextRuns(c echo.Context) error {
	id, err := sourceIDParam(c)
	if err != nil {
		return err
	}
	zone, loc := scheduleZone(c)
	vm := templates.NextRunsVM{SourceID: id, Zone: zone}
	var list []api.Schedule
	err = s.callAPI(c, func(ctx context.Context, cl *api.Client) error {
		list, err = cl.GetSourceSchedules(ctx, id)
		return err
	})
	switch {
	case err != nil && api.StatusOf(err) != 0 && api.StatusOf(err) != http.StatusUnauthorized:
		vm.Error = "The schedules could not be loaded: " + upstreamMessage(err)
	case err != nil:
		return err
	}
	now := s.cfg.Now().In(s.cfg.ScheduleZone)
	for _, sc := range list {
		if e, perr := cron.ParseAt(sc.CronExpression, now); perr == nil {
			if at := e.Next(now); !at.IsZero() {
				vm.Runs = append(vm.Runs, templates.NextRunVM{Label: scheduleLabel(string(sc.Type)), Fire: fireVM(at, loc)})
			}
		}
	}
	return s.renderFragment(c, http.StatusOK, templates.NextRuns(vm))
}
