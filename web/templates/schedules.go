package templates

// SchedulesTabVM is a source's Schedules tab: one card per aggregation type.
type SchedulesTabVM struct {
	SourceID string
	Zone     string // the zone times are shown in
	ISCZone  string // the zone ISC evaluates the expressions in
	Zones    []string
	CanWrite bool
	Cards    []ScheduleCardVM
}

// ScheduleCardVM is one aggregation type's schedule, or the form to create it.
type ScheduleCardVM struct {
	SourceID string
	Type     string // ACCOUNT_AGGREGATION or GROUP_AGGREGATION
	Label    string // "Account aggregation"
	Exists   bool
	Cron     string // the saved expression ("" when none)
	Input    string // what the form shows (the saved expression, or what the user typed)
	Error    string // a validation or ISC error shown next to the field
	Notice   string // "Saved." after a change
	// Warning: saved, but it fires more often than every 15 minutes.
	Warning string
	// AskConfirmFrequent: the expression fires more often than once a minute and
	// the user is an ORG_ADMIN, who may save it after ticking a confirmation.
	AskConfirmFrequent bool
	Description        string
	Zone               string // the zone times are shown in
	ISCZone            string // the zone ISC evaluates the expression in
	Next               []CronFireVM
	CanWrite           bool
	// Freq is the frequency picker as shown or typed; FieldErrors holds a
	// message per picker field (freq, every_hours, minute, times, days, month_day).
	Freq        ScheduleFreqVM
	FieldErrors FieldErrors
	// Single: the card is shown on its own page (opened from the tab).
	Single bool
}

// ScheduleFreqVM is a schedule's frequency picker.
type ScheduleFreqVM struct {
	Kind       string // none, hours, daily, weekly, monthly, advanced
	EveryHours string
	Minute     string
	Times      string   // "05:00, 13:00"
	Days       []string // MON … SUN
	MonthDay   string   // 1-31 or L
	Cron       string   // the expression, for advanced
}

// HasDay reports whether day is ticked.
func (f ScheduleFreqVM) HasDay(day string) bool {
	for _, d := range f.Days {
		if d == day {
			return true
		}
	}
	return false
}

// ScheduleFreqKinds are the picker's choices, in order.
var ScheduleFreqKinds = []OptionVM{
	{"none", "Not scheduled"},
	{"hours", "Every few hours"},
	{"daily", "Daily, at set times"},
	{"weekly", "Weekly, on set days"},
	{"monthly", "Monthly, on one day"},
	{"advanced", "Advanced: a cron expression"},
}

// ScheduleWeekdays are the day boxes of the weekly choice.
var ScheduleWeekdays = []OptionVM{
	{"MON", "Mon"}, {"TUE", "Tue"}, {"WED", "Wed"}, {"THU", "Thu"}, {"FRI", "Fri"}, {"SAT", "Sat"}, {"SUN", "Sun"},
}

// SchedulePreviewVM is what the frequency picker would save, previewed.
type SchedulePreviewVM struct {
	Expr   string // the Quartz expression it writes ("" when not scheduled)
	Error  string // why it cannot be written
	Result CronResultVM
}

// NextRunsVM is the overview's list of upcoming aggregations of one source.
type NextRunsVM struct {
	SourceID string
	Zone     string
	Runs     []NextRunVM
	Error    string
}

// NextRunVM is one upcoming aggregation.
type NextRunVM struct {
	Label string // "Account aggregation"
	Fire  CronFireVM
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// ariaInvalid marks a field invalid for assistive technology when it has an error.
func ariaInvalid(err string) string {
	if err != "" {
		return "true"
	}
	return "false"
}
