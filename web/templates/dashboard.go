package templates

import (
	"net/url"
	"strconv"
	"time"
)

// DashboardVM is the signed-in home page: the frame of tiles that load themselves.
type DashboardVM struct {
	UserName string
	Zone     string // the tz the page was asked with ("" = let the browser say)
}

// Tile endpoints and element ids of the dashboard.
const (
	TileStatusURL    = "/dashboard/status"
	TileUnhealthyURL = "/dashboard/unhealthy"
	TileUpcomingURL  = "/dashboard/upcoming"
	TileTasksURL     = "/dashboard/tasks"
	DashZoneID       = "dash-tz"
)

// TileErrorVM is what a tile shows when its call failed: the words, and a retry.
type TileErrorVM struct {
	Message    string
	RetryAfter int // seconds; the retry happens by itself after this long
}

// StatusTileVM counts the user's sources by health and by connector type.
type StatusTileVM struct {
	Error                         *TileErrorVM
	Total                         int
	Healthy, Unhealthy, Unchecked int
	Types                         []TypeCountVM
}

// TypeCountVM is one connector type's line of the status tile.
type TypeCountVM struct {
	Type      string
	Total     int
	Unhealthy int
}

// SourcesURL is the sources list filtered by status and type ("" = no filter).
func SourcesURL(status, typ string) string {
	return SourceListQuery{Status: status, Type: typ}.URL("/sources")
}

// UnhealthyTileVM lists the unhealthy sources with the reason.
type UnhealthyTileVM struct {
	Error *TileErrorVM
	Rows  []UnhealthyRowVM
	More  int // unhealthy sources not listed
	// CanWrite shows the test-connection buttons.
	CanWrite bool
}

// UnhealthyRowVM is one unhealthy source.
type UnhealthyRowVM struct {
	ID, Name, Type string
	Status         SourceStateVM
	Since          string
}

// TestConnectionURL is the address of the source's test-connection tool.
func TestConnectionURL(id string) string {
	return "/sources/" + url.PathEscape(id) + "/tools/test-connection"
}

// SourceURL is the source's overview.
func SourceURL(id string) string { return "/sources/" + url.PathEscape(id) }

// UpcomingTileVM lists the aggregations of the next 24 hours.
type UpcomingTileVM struct {
	Error *TileErrorVM
	Zone  string
	Runs  []UpcomingRunVM
	// Checked of Sources have had their schedules read; the tile loads itself
	// again (ContinueIn seconds, when not 0) until Checked == Sources.
	Checked, Sources int
	ContinueIn       int
	// Unreadable counts schedules whose cron expression the console cannot read.
	Unreadable int
	// More counts the runs not listed; Overlaps the runs (listed or not) with a warning.
	More, Overlaps int
	// Capped counts the schedules that fire too often to count every start: the
	// tile lists their first starts, and More is then a lower bound.
	Capped int
	// Timeline is the picture of the same starts.
	Timeline TimelineVM
}

// TimelineVM is the upcoming tile's picture: one row per source, its starts as
// marks along the next 24 hours (X in [0,1), 0 being now), overlaps flagged.
type TimelineVM struct {
	Rows  []TimelineRowVM
	Ticks []TimelineTickVM
	// HiddenRows counts the sources left out (the timeline shows the first
	// few to start); Starts and Overlaps count every start, drawn or not.
	HiddenRows, Starts, Overlaps int
}

// TimelineRowVM is one source's row.
type TimelineRowVM struct {
	SourceID, SourceName string
	Marks                []TimelineMarkVM
}

// TimelineMarkVM is one start.
type TimelineMarkVM struct {
	X       float64
	Overlap bool
	Title   string // "Account aggregation at 05:00"
}

// TimelineTickVM is an hour mark on the axis.
type TimelineTickVM struct {
	X     float64
	Label string
}

// UpcomingRunVM is one aggregation start.
type UpcomingRunVM struct {
	SourceID, SourceName string
	Label                string // "Account aggregation"
	Cron                 string
	Fire                 CronFireVM
	// Warning says when another aggregation of the same source starts close by.
	Warning string
}

// Complete reports whether every source's schedules were read.
func (u UpcomingTileVM) Complete() bool { return u.Checked >= u.Sources }

// ReloadURL is the tile's own address with the zone, for retries and continuation.
func (u UpcomingTileVM) ReloadURL() string {
	if u.Zone == "" {
		return TileUpcomingURL
	}
	return TileUpcomingURL + "?tz=" + url.QueryEscape(u.Zone)
}

// TasksTileVM shows the tasks started from the console.
type TasksTileVM struct {
	Error    *TileErrorVM
	Running  []TaskRowVM
	Finished []TaskRowVM
	// PollIn is the seconds until the tile reloads itself (0 = no running task).
	PollIn int
}

// TaskRowVM is one task started from the console.
type TaskRowVM struct {
	TaskID     string
	URL        string
	Action     string
	SourceID   string
	SourceName string
	UserName   string
	Started    string
	StartedISO string
	Outcome    string // SUCCESS, WARNING, ERROR, TERMINATED, … ("" while running)
	OutcomeOK  bool
}

// ActivityVM is the activity log page.
type ActivityVM struct {
	Query   ActivityQuery
	Rows    []ActivityRowVM
	Total   int
	Actions []string // the action filter's choices
	// OnlyOwn says the list is limited to the user's own actions (subadmins).
	OnlyOwn bool
}

// ActivityQuery is the state of the activity page, as it is in the URL.
type ActivityQuery struct {
	User, Source, Action string
	From, To             string // YYYY-MM-DD, UTC days, inclusive
	Page                 int
}

// ActivityPageSize is the number of entries per page.
const ActivityPageSize = 50

// Values returns the query as URL parameters, without defaults.
func (q ActivityQuery) Values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"user": q.User, "source": q.Source, "action": q.Action, "from": q.From, "to": q.To} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	return v
}

// URL is the page's address for q under path.
func (q ActivityQuery) URL(path string) string {
	if enc := q.Values().Encode(); enc != "" {
		return path + "?" + enc
	}
	return path
}

// WithPage returns q on page p.
func (q ActivityQuery) WithPage(p int) ActivityQuery { q.Page = p; return q }

// Pages is the number of pages.
func (a ActivityVM) Pages() int {
	return max(1, (a.Total+ActivityPageSize-1)/ActivityPageSize)
}

// ActivityRowVM is one entry of the log.
type ActivityRowVM struct {
	When, WhenISO string
	User, UserID  string
	SourceID      string
	SourceName    string // "" when unknown (the id is shown then)
	Action        string
	Route         string
	Status        int
	OK            bool
	Error         string
	TaskID        string
	TaskURL       string
	TaskStatus    string
	RequestID     string
	Details       []KV
}

// ISOTime formats t for <time datetime>.
func ISOTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Timeline geometry: across, percentages of the picture's width (names on the
// left quarter, the 24 hours on the rest); down, pixels.
const (
	tlLabelX = "24%"
	tlPlotL  = 25.0
	tlPlotW  = 73.0
	tlRowH   = 22.0
	tlAxisH  = 26.0
)

func tlPlotX(x float64) string { return ftoa(tlPlotL+x*tlPlotW) + "%" }
func tlRowY(i int) string      { return ftoa(tlAxisH + float64(i)*tlRowH + tlRowH/2) }
func tlHeight(t TimelineVM) string {
	return ftoa(tlAxisH + float64(len(t.Rows))*tlRowH + 4)
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// tlName shortens a source name to fit the label column.
func tlName(s string) string {
	r := []rune(s)
	if len(r) > 24 {
		return string(r[:23]) + "…"
	}
	return s
}

// Summary is the timeline in words, for screen readers.
func (t TimelineVM) Summary() string {
	s := strconv.Itoa(t.Starts) + " aggregation starts of " + strconv.Itoa(len(t.Rows)+t.HiddenRows) + " sources in the next 24 hours"
	if t.Overlaps > 0 {
		s += ", " + strconv.Itoa(t.Overlaps) + " of them overlapping another start of the same source"
	}
	return s + ". The list below has each start."
}

// StatusBar is the sources-by-status tile's bar: each part's share of 100.
func (t StatusTileVM) StatusBar() (healthy, unhealthy, unchecked float64) {
	if t.Total == 0 {
		return 0, 0, 0
	}
	f := func(n int) float64 { return 100 * float64(n) / float64(t.Total) }
	return f(t.Healthy), f(t.Unhealthy), f(t.Unchecked)
}
