package templates

// ImportVM is the "Import data" tab of a source.
type ImportVM struct {
	Source      SourceSummaryVM
	UploadLimit string // e.g. "512 MiB"
	Forms       []UploadFormVM
	// AggregateURL starts an account aggregation without a file (non-file sources).
	AggregateURL string
}

// UploadFormVM is one upload flow: check the file, then send it.
type UploadFormVM struct {
	Kind          string // "accounts", "uncorrelated", "entitlements"
	Title         string
	Help          string
	PreflightURL  string
	UploadURL     string
	Optimization  bool // offer "disable optimization"
	FileOptional  bool // the aggregation may run without a file
	AnySource     bool // offered for every source, not only Delimited File ones (a correlation file)
	ExpectColumns []string
	TemplateURL   string // an empty file with the expected header, when there is one to offer
}

// ReportID is the id of the element the pre-flight report of a form goes into.
func (f UploadFormVM) ReportID() string { return "report-" + f.Kind }

// PreflightVM is the outcome of checking a file before it is sent.
type PreflightVM struct {
	Kind      string
	FileName  string
	Rows      int
	Lines     int
	Size      string
	Columns   []string
	Delimiter string
	NoSchema  bool // the source has no schema to check against
	Findings  []FindingVM
	Errors    int
	Warnings  int
	Preview   PreviewVM
	UploadURL string // with sendAnyway when there are warnings; "" when errors block
	// Blocked is set when the upload itself was refused by the check.
	Blocked bool
}

// FindingVM is one kind of problem found in a file.
type FindingVM struct {
	Severity string // "error", "warning", "info"
	Code     string
	Message  string
	Column   string
	Count    int
	Lines    string // "2, 7, 9"
	Examples []string
}

// PreviewVM is the first rows of a file, shown as literal text.
type PreviewVM struct {
	Header []string
	Rows   [][]string
}
