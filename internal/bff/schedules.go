package bff

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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
		ISCZone: s.cfg.ScheduleZone.String(), CanWrite: canWrite(c), Freq: frequencyOf(""), FieldErrors: templates.FieldErrors{}}
	if sched == nil {
		return card
	}
	card.Exists, card.Cron, card.Input = true, sched.CronExpression, sched.CronExpression
	card.Freq = frequencyOf(sched.CronExpression)
	e, err := cron.Parse(sched.CronExpression)
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
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.sharedSchedules(c, id, s.reads.TTL()) // the forms edit them: a copy of READ_CACHE_TTL at most
	if err != nil {
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
	return s.renderSourceTab(c, http.StatusOK, id, nil, "schedules", templates.SchedulesTab(vm))
}

// bindScheduleFreq reads the frequency picker as typed.
func bindScheduleFreq(form url.Values) templates.ScheduleFreqVM {
	f := templates.ScheduleFreqVM{
		Kind: form.Get("freq"), EveryHours: form.Get("every_hours"), Minute: form.Get("minute"),
		Times: form.Get("times"), Days: form["days"], MonthDay: form.Get("month_day"), Cron: form.Get("cronExpression"),
	}
	if !form.Has("freq") {
		// A script (or an old form) that sends only the expression: that is Advanced.
		f.Kind = freqAdvanced
	}
	return f
}

// checkSchedule turns the picker into an expression and checks it, so a typo
// is shown next to its field without a call to ISC. It returns the expression
// ("" for not scheduled) or the field and message at fault.
func checkSchedule(f templates.ScheduleFreqVM) (string, string, string) {
	expr, field, msg := buildCron(f)
	if msg != "" || expr == "" {
		return expr, field, msg
	}
	if _, err := cron.Parse(expr); err != nil {
		msg := err.Error()
		if q, ok := cron.FromUnix(expr); ok {
			msg += ". This looks like a Unix crontab; in Quartz syntax it is " + q
		}
		return "", "cronExpression", msg
	}
	return expr, "", ""
}

// saveSchedule handles "POST /sources/:id/schedules?type=T" (create) and
// "POST /sources/:id/schedules/:type" (change). The frequency picker is turned
// into the expression and checked here first; ISC's own refusal is shown the
// same way. "Not scheduled" deletes an existing schedule. Either way the card
// comes back with what the user chose.
func (s *Server) saveSchedule(c echo.Context) error {
	id, err := pathID(c, "id")
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
	form, err := readForm(c)
	if err != nil {
		return err
	}
	freq := bindScheduleFreq(form)
	zone, loc := scheduleZone(c)
	invalid := func(field, msg string) error {
		card := templates.ScheduleCardVM{SourceID: id, Type: typ, Label: scheduleLabel(typ), Zone: zone,
			ISCZone: s.cfg.ScheduleZone.String(), CanWrite: true, Exists: !creating, Input: freq.Cron, Freq: freq,
			FieldErrors: templates.FieldErrors{field: msg}, Error: "Nothing was saved: " + msg}
		return s.renderFragment(c, http.StatusUnprocessableEntity, templates.ScheduleCard(card))
	}
	expr, field, msg := checkSchedule(freq)
	if msg != "" {
		return invalid(field, msg)
	}
	gap := scheduleGap(expr, s.cfg.Now().In(s.cfg.ScheduleZone))
	if gap > 0 && gap < time.Minute {
		// Every second or every few seconds: ISC would start aggregation after
		// aggregation, and every page listing the source's next runs pays for it.
		msg := fmt.Sprintf("This schedule fires more often than once a minute (every %s at times), so it was not saved.", gap)
		switch {
		case !isOrgAdmin(c):
			return invalid("cronExpression", msg+" Only an ORG_ADMIN can save such a schedule; choose one that fires at most once a minute, ideally every 15 minutes or less often.")
		case form.Get("confirmFrequent") != "yes":
			card := templates.ScheduleCardVM{SourceID: id, Type: typ, Label: scheduleLabel(typ), Zone: zone,
				ISCZone: s.cfg.ScheduleZone.String(), CanWrite: true, Exists: !creating, Input: freq.Cron, Freq: freq,
				FieldErrors: templates.FieldErrors{"cronExpression": msg}, AskConfirmFrequent: true,
				Error: msg + " Tick the confirmation below to save it anyway."}
			return s.renderFragment(c, http.StatusUnprocessableEntity, templates.ScheduleCard(card))
		}
	}
	if expr == "" {
		if creating {
			card := s.scheduleCard(c, id, typ, nil, zone, loc)
			card.Notice = "Not scheduled: nothing was saved."
			return s.renderFragment(c, http.StatusOK, templates.ScheduleCard(card))
		}
		recordDetail(c, "cron", "(not scheduled)")
		return s.removeSchedule(c, id, typ)
	}
	saved, err := fetchAPIOnce(s, c, "save schedule "+typ+" of "+id, func(ctx context.Context, cl *api.Client) (*api.Schedule, error) {
		if creating {
			return cl.CreateSourceSchedule(ctx, id, &api.Schedule{Type: api.ScheduleType(typ), CronExpression: expr})
		}
		return cl.UpdateSourceSchedule(ctx, id, api.ScheduleType(typ),
			[]api.JSONPatchOperation{api.PatchReplace("/cronExpression", expr)})
	})
	recordDetail(c, "cron", expr)
	if st := api.StatusOf(err); st == http.StatusBadRequest {
		recordDetail(c, "error", upstreamMessage(err))
		return invalid("cronExpression", upstreamMessage(err))
	}
	if err != nil {
		return err
	}
	card := s.scheduleCard(c, id, typ, saved, zone, loc)
	card.Notice = "Saved."
	if gap > 0 && gap < cronTooOften {
		card.Warning = fmt.Sprintf("This schedule fires every %s at times. Aggregations that start more often than every 15 minutes overlap, and ISC refuses one while another runs.", gap)
	}
	return s.renderFragment(c, http.StatusOK, templates.ScheduleCard(card))
}

// scheduleGap is the shortest time between consecutive fires of expr from now
// (0 when it fires less than twice, or does not parse).
func scheduleGap(expr string, now time.Time) time.Duration {
	e, err := cron.ParseAt(expr, now)
	if err != nil {
		return 0
	}
	return minInterval(e, now, cronMaxCount)
}

// isOrgAdmin reports whether the signed-in user is an ORG_ADMIN.
func isOrgAdmin(c echo.Context) bool {
	u := currentUserVM(c)
	return u != nil && strings.EqualFold(u.UserLevel, "ORG_ADMIN")
}

// schedulePreview handles "GET /sources/:id/schedules/:type/preview": the
// expression the frequency picker writes and its next fire times.
func (s *Server) schedulePreview(c echo.Context) error {
	if _, err := pathID(c, "id"); err != nil {
		return err
	}
	freq := templates.ScheduleFreqVM{
		Kind: c.QueryParam("freq"), EveryHours: c.QueryParam("every_hours"), Minute: c.QueryParam("minute"),
		Times: c.QueryParam("times"), Days: c.QueryParams()["days"], MonthDay: c.QueryParam("month_day"), Cron: c.QueryParam("cronExpression"),
	}
	zone, _ := scheduleZone(c)
	vm := templates.SchedulePreviewVM{}
	expr, _, msg := buildCron(freq)
	switch {
	case msg != "":
		vm.Error = msg
	case expr != "":
		vm.Expr = expr
		vm.Result = previewCron(expr, zone, 5, s.cfg.Now(), s.cfg.ScheduleZone)
		if !vm.Result.Valid {
			vm.Error, vm.Expr = vm.Result.Error, ""
		}
	}
	return s.renderFragment(c, http.StatusOK, templates.SchedulePreview(vm))
}

// sourceSchedule handles "GET /sources/:id/schedules/:type": one schedule on its
// own page (getSourceSchedule), inside the source's Schedules tab.
func (s *Server) sourceSchedule(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	typ := c.Param("type")
	if scheduleLabel(typ) == "" {
		return userErrorf(http.StatusNotFound, "There is no schedule of type %q: use ACCOUNT_AGGREGATION or GROUP_AGGREGATION.", typ)
	}
	sched, err := fetchAPI(s, c, "get schedule "+typ+" of "+id, func(ctx context.Context, cl *api.Client) (*api.Schedule, error) {
		return cl.GetSourceSchedule(ctx, id, api.ScheduleType(typ))
	})
	if api.IsNotFound(err) {
		sched, err = nil, nil // not scheduled
	}
	if err != nil {
		return err
	}
	zone, loc := scheduleZone(c)
	card := s.scheduleCard(c, id, typ, sched, zone, loc)
	card.Single = true
	return s.renderSourceTab(c, http.StatusOK, id, nil, "schedules", templates.ScheduleSingle(templates.SchedulesTabVM{
		SourceID: id, Zone: zone, ISCZone: s.cfg.ScheduleZone.String(), Zones: commonZones, CanWrite: canWrite(c),
		Cards: []templates.ScheduleCardVM{card}}))
}

// deleteSchedule handles "DELETE /sources/:id/schedules/:type": the aggregation stops
// running by itself.
func (s *Server) deleteSchedule(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	typ := c.Param("type")
	if scheduleLabel(typ) == "" {
		return userErrorf(http.StatusBadRequest, "Unknown schedule type %q.", typ)
	}
	return s.removeSchedule(c, id, typ)
}

// removeSchedule deletes a schedule and answers with its card, now empty.
func (s *Server) removeSchedule(c echo.Context, id, typ string) error {
	if err := s.callAPIOnce(c, "delete schedule "+typ+" of "+id, func(ctx context.Context, cl *api.Client) error {
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
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	zone, loc := scheduleZone(c)
	vm := templates.NextRunsVM{SourceID: id, Zone: zone}
	list, err := s.sharedSchedules(c, id, 10*s.reads.TTL())
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

// sharedSchedules reads a source's schedules for a page about the source, from
// the shared copy when the user may see it and it is no older than maxAge (the
// home page's tile takes older ones: see schedulesTTLFactor).
func (s *Server) sharedSchedules(c echo.Context, id string, maxAge time.Duration) ([]api.Schedule, error) {
	r := sourceReadOf("schedules", id, schedulesTTLFactor)
	r.MaxAge = maxAge
	return sourceRead(s, c, "list schedules of "+id, id, r, func(ctx context.Context, cl *api.Client) ([]api.Schedule, error) {
		return cl.GetSourceSchedules(ctx, id)
	})
}
