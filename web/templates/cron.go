package templates

// CronPageVM is the cron previewer page.
type CronPageVM struct {
	Expr    string
	Zone    string
	Count   int
	Zones   []string
	Presets []CronPreset
	Result  CronResultVM
}

// CronPreset is a ready-made expression offered as a starting point.
type CronPreset struct {
	Label string
	Expr  string
}

// CronResultVM is what the previewer says about one expression.
type CronResultVM struct {
	Expr           string
	Zone           string // the zone fire times are shown in
	ISCZone        string // the zone ISC evaluates schedules in
	Empty          bool
	Valid          bool
	Error          string
	ErrorField     string // the field the error is in ("day-of-week", "zone", …)
	Fields         []CronFieldVM
	Description    string
	Next           []CronFireVM
	Warnings       []string
	UnixSuggestion string // the Quartz equivalent of a 5-field Unix crontab
	// SuggestURL, when set with UnixSuggestion, previews the suggestion.
	SuggestURL string
}

// CronFieldVM is one field of an expression, shown with its name.
type CronFieldVM struct {
	Name string
	Text string
	Bad  bool
}

// CronFireVM is one upcoming fire time.
type CronFireVM struct {
	Local string
	UTC   string
	ISO   string
}
