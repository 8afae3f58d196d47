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
	SourceID    string
	Type        string // ACCOUNT_AGGREGATION or GROUP_AGGREGATION
	Label       string // "Account aggregation"
	Exists      bool
	Cron        string // the saved expression ("" when none)
	Input       string // what the form shows (the saved expression, or what the user typed)
	Error       string // a validation or ISC error shown next to the field
	Notice      string // "Saved." after a change
	Description string
	Zone        string // the zone times are shown in
	ISCZone     string // the zone ISC evaluates the expression in
	Next        []CronFireVM
	CanWrite    bool
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
