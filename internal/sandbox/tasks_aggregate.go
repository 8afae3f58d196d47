package sandbox

// File uploads and aggregation tasks: schema CSV download/upload, connector
// file upload, load-accounts, load-uncorrelated-accounts, load-entitlements
// and remove-accounts. Uploads are read as multipart streams part by part
// (never ParseMultipartForm) and CSV files row by row, so memory stays flat
// however large the file.

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// aggregationConflict is ISC's message when an aggregation is already running.
const aggregationConflict = "This aggregation failed because the currently running aggregation must complete before the next one can start."

// eachPart streams the parts of a multipart/form-data body: fn gets the
// "file" part as a reader; other fields are collected (small values only).
// It reports whether a file part was seen. A body that is not multipart is
// treated as empty when empty and rejected otherwise.
func eachPart(r *http.Request, fn func(filename string, part io.Reader) error) (fields map[string]string, sawFile bool, err error) {
	fields = map[string]string{}
	ct := r.Header.Get("Content-Type")
	if ct == "" && (r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody) {
		return fields, false, nil
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt != "multipart/form-data" {
		return nil, false, badRequest("Content-Type must be multipart/form-data, got %q", ct)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, false, badRequest("Invalid multipart body: %v", err)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fields, sawFile, nil
		}
		if err != nil {
			return nil, sawFile, badRequest("Invalid multipart body: %v", err)
		}
		name := p.FormName()
		if name == "file" && !sawFile {
			sawFile = true
			if err := fn(p.FileName(), p); err != nil {
				return nil, true, err
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, 4096))
		if err != nil {
			return nil, sawFile, badRequest("Invalid multipart body: %v", err)
		}
		fields[name] = string(b)
	}
}

// A schema CSV file is the Delimited File connector's template: one header row
// naming the schema's attributes in schema order (the spec's example for
// getAccountsSchema is id,name,givenName,familyName,e-mail,...). An upload is a
// CSV whose header row names the attributes; rows after it are allowed (it may
// be the very file the source aggregates) and ignored.

// writeSchemaTemplate writes sc's attribute names as one CSV header row.
func writeSchemaTemplate(w http.ResponseWriter, sc map[string]any, delim rune) {
	w.Header().Set("Content-Type", "text/csv")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", valueString(sc["name"])+"-schema.csv"))
	w.WriteHeader(http.StatusOK)
	names := []string{}
	attrs, _ := sc["attributes"].([]any)
	for _, a := range attrs {
		m, _ := a.(map[string]any)
		names = append(names, valueString(m["name"]))
	}
	cw := csv.NewWriter(w)
	cw.Comma = delim
	_ = cw.Write(names)
	cw.Flush()
}

// readSchemaHeader reads the attribute names from the header row of a schema
// upload: the first line that is neither blank nor a comment, a UTF-8 byte
// order mark skipped. The rest of the file is left unread. Empty and duplicate
// names are a 400.
func readSchemaHeader(r io.Reader, delim rune) ([]string, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.Comma = delim
	if delim != '#' {
		cr.Comment = '#'
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, badRequest("The schema file is empty: its header row must name the schema's attributes.")
	}
	if err != nil {
		return nil, badRequest("The header row of the schema file is not valid CSV: %v", err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	seen := map[string]bool{}
	for i, name := range header {
		if strings.TrimSpace(name) == "" {
			return nil, badRequest("Column %d of the schema file's header row has no name; every column names an attribute.", i+1)
		}
		if seen[name] {
			return nil, badRequest("The schema file's header row names the attribute %q twice.", name)
		}
		seen[name] = true
	}
	return header, nil
}

// schemaFromHeader is sc's attributes after an upload whose header row is names:
// an attribute the header names keeps its definition, a new name becomes a
// single-valued STRING attribute, and attributes the header leaves out are
// removed, in the header's order. The identity and display attributes must stay.
func schemaFromHeader(sc map[string]any, names []string) ([]any, error) {
	old := map[string]any{}
	attrs, _ := sc["attributes"].([]any)
	for _, a := range attrs {
		m, _ := a.(map[string]any)
		old[valueString(m["name"])] = a
	}
	var lost []string
	for _, k := range []string{"identityAttribute", "displayAttribute"} {
		if v, _ := sc[k].(string); v != "" && !slices.Contains(names, v) && !slices.Contains(lost, v) {
			lost = append(lost, fmt.Sprintf("%s %q", strings.TrimSuffix(k, "Attribute")+" attribute", v))
		}
	}
	if len(lost) > 0 {
		return nil, badRequest("The schema file's header row leaves out the schema's %s, which must stay.", strings.Join(lost, " and "))
	}
	out := make([]any, 0, len(names))
	for _, n := range names {
		if a, ok := old[n]; ok {
			out = append(out, a)
		} else {
			out = append(out, attributeDef(n, "STRING", ""))
		}
	}
	return out, nil
}

// delimitedOnly rejects schema CSV operations on other connectors.
func delimitedOnly(src *sourceRec) error {
	if !src.isDelimited() {
		return badRequest("Schema CSV files are only supported for Delimited File sources; source %q uses the %v connector.", src.name(), src.obj["connector"])
	}
	return nil
}

// getAccountsSchema handles "GET /sources/{id}/schemas/accounts".
func (s *Sandbox) getAccountsSchema(c *call) (int, any, error) {
	return s.downloadSchema(c, "account")
}

// getEntitlementsSchema handles "GET /sources/{id}/schemas/entitlements".
func (s *Sandbox) getEntitlementsSchema(c *call) (int, any, error) {
	name := c.r.URL.Query().Get("schemaName")
	if name == "" {
		name = "group"
	}
	return s.downloadSchema(c, name)
}

func (s *Sandbox) downloadSchema(c *call, name string) (int, any, error) {
	src, err := s.source(c, false)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	if err := delimitedOnly(src); err != nil {
		s.mu.Unlock()
		return 0, nil, err
	}
	sc := src.schemaByName(name)
	if sc == nil {
		s.mu.Unlock()
		return 0, nil, notFound("Source %q has no %q schema.", src.name(), name)
	}
	sc = clone(sc)
	delim := src.delimiter()
	s.mu.Unlock()
	writeSchemaTemplate(c.w, sc, delim)
	return 0, nil, nil
}

// importAccountsSchema handles "POST /sources/{id}/schemas/accounts".
func (s *Sandbox) importAccountsSchema(c *call) (int, any, error) {
	return s.uploadSchema(c, "account")
}

// importEntitlementsSchema handles "POST /sources/{id}/schemas/entitlements".
func (s *Sandbox) importEntitlementsSchema(c *call) (int, any, error) {
	name := c.r.URL.Query().Get("schemaName")
	if name == "" {
		name = "group"
	}
	return s.uploadSchema(c, name)
}

func (s *Sandbox) uploadSchema(c *call, name string) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	err = delimitedOnly(src)
	delim := src.delimiter()
	s.mu.Unlock()
	if err != nil {
		return 0, nil, err
	}
	var names []string
	_, saw, err := eachPart(c.r, func(_ string, part io.Reader) error {
		names, err = readSchemaHeader(part, delim)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	if !saw {
		return 0, nil, badRequest("The multipart field %q with the schema CSV is required.", "file")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := src.schemaByName(name)
	now := s.now()
	created := sc == nil
	if created {
		if name == "account" {
			sc = accountSchema(s.api.newID(), connectors["delimited-file"], now)
		} else {
			sc = groupSchema(s.api.newID(), now)
			sc["name"] = name
		}
		// A new schema's identity and display attributes are its defaults
		// when the header names them, else the header's first column.
		for _, k := range []string{"identityAttribute", "displayAttribute"} {
			if !slices.Contains(names, valueString(sc[k])) {
				sc[k] = names[0]
			}
		}
	}
	attrs, err := schemaFromHeader(sc, names)
	if err != nil {
		return 0, nil, err
	}
	sc["attributes"] = attrs
	sc["modified"] = isoTime(now)
	if created {
		src.schemas = append(src.schemas, sc)
		src.syncSchemaRefs()
	}
	return http.StatusOK, clone(sc), nil
}

// importConnectorFile handles "POST /sources/{sourceId}/upload-connector-file" (ORG_ADMIN).
func (s *Sandbox) importConnectorFile(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	if c.p.UserLevel != LevelOrgAdmin {
		return 0, nil, forbidden("The server understood the request but refuses to authorize it: uploading connector files requires ORG_ADMIN.")
	}
	var name string
	var size int64
	_, saw, err := eachPart(c.r, func(fn string, part io.Reader) error {
		name = fn
		size, err = io.Copy(io.Discard, part)
		if err != nil {
			return badRequest("reading the upload: %v", err)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	if !saw || size == 0 {
		return 0, nil, badRequest("The multipart field %q with a non-empty connector file is required.", "file")
	}
	if name == "" {
		name = "connector.jar"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	files, _ := src.detail["uploadedFiles"].([]any)
	src.detail["uploadedFiles"] = append(files, fmt.Sprintf("sandbox/%s/connectorFiles/%s", src.id(), name))
	src.uploads++
	src.obj["modified"] = isoTime(s.now())
	return http.StatusOK, clone(src.obj), nil
}

// aggResult is the outcome of reading one CSV file against a schema.
type aggResult struct {
	set                                                 accountSet
	total, created, updated, unchanged, removed, errors int
	messages                                            []taskMessage
	fatal                                               string
}

const maxRowMessages = 10

// aggregateCSV reads a CSV against schema and compares it with old. It keeps
// at most keep identities; past that it only counts and digests.
func aggregateCSV(r io.Reader, schema map[string]any, old *accountSet, keep int) aggResult {
	var res aggResult
	res.set = accountSet{keys: map[string]uint64{}}
	cr := csv.NewReader(bufio.NewReaderSize(r, 256<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		res.fatal = "The file is empty: a header row naming the account schema attributes is required."
		return res
	}
	if err != nil {
		res.fatal = fmt.Sprintf("The header row is not valid CSV: %v", err)
		return res
	}
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	idAttr, _ := schema["identityAttribute"].(string)
	types := map[string]string{}
	attrs, _ := schema["attributes"].([]any)
	for _, a := range attrs {
		m, _ := a.(map[string]any)
		types[valueString(m["name"])] = valueString(m["type"])
	}
	idCol := -1
	colTypes := make([]string, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if h == idAttr {
			idCol = i
		}
		t, ok := types[h]
		if !ok {
			res.messages = append(res.messages, taskMessage{"WARN", "unknownColumn", fmt.Sprintf("Column %q is not in the %s schema and was ignored.", h, valueString(schema["name"]))})
		}
		colTypes[i] = t
	}
	if idCol < 0 {
		res.fatal = fmt.Sprintf("The header row has no column for the identity attribute %q (columns: %s).", idAttr, strings.Join(header, ", "))
		return res
	}
	seenOld := map[string]bool{}
	rowErr := func(line int, format string, args ...any) {
		res.errors++
		if res.errors <= maxRowMessages {
			res.messages = append(res.messages, taskMessage{"ERROR", "badRow", fmt.Sprintf("Line %d: ", line) + fmt.Sprintf(format, args...)})
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				res.fatal = fmt.Sprintf("Line %d is not valid CSV (%v); aggregation stopped.", pe.Line, pe.Err)
			} else {
				res.fatal = fmt.Sprintf("Reading the upload failed: %v", err)
			}
			return res
		}
		if len(rec) != len(header) {
			rowErr(line, "expected %d fields, got %d; row skipped.", len(header), len(rec))
			continue
		}
		id := rec[idCol]
		if id == "" {
			rowErr(line, "the identity attribute %q is empty; row skipped.", idAttr)
			continue
		}
		if msg := checkTypes(rec, header, colTypes); msg != "" {
			rowErr(line, "%s; row skipped.", msg)
			continue
		}
		h := rowHash(rec)
		if res.set.keys != nil {
			if _, dup := res.set.keys[id]; dup {
				rowErr(line, "duplicate identity %q; row skipped.", id)
				continue
			}
			if len(res.set.keys) >= keep {
				res.set.keys, res.set.overflow = nil, true
			} else {
				res.set.keys[id] = h
			}
		}
		res.total++
		res.set.total++
		res.set.digest ^= h
		if len(res.set.sample) < maxSampleAccounts {
			row := map[string]any{}
			for i, v := range rec {
				row[header[i]] = v
			}
			res.set.sample = append(res.set.sample, row)
		}
		if old.keys != nil {
			if oh, ok := old.keys[id]; ok {
				seenOld[id] = true
				if oh == h {
					res.unchanged++
				} else {
					res.updated++
				}
			} else {
				res.created++
			}
		}
	}
	if old.keys != nil {
		res.removed = len(old.keys) - len(seenOld)
	} else {
		// The previous upload was too large to remember row by row: only
		// the totals and the digest can be compared.
		if res.set.digest == old.digest && res.total == old.total {
			res.unchanged = res.total
		} else {
			res.created = max(0, res.total-old.total)
			res.removed = max(0, old.total-res.total)
			res.updated = res.total - res.created
		}
	}
	if res.errors > maxRowMessages {
		res.messages = append(res.messages, taskMessage{"ERROR", "badRow", fmt.Sprintf("… and %d more rows with errors.", res.errors-maxRowMessages)})
	}
	return res
}

// checkTypes validates a row's values against the schema attribute types.
func checkTypes(rec, header, types []string) string {
	for i, v := range rec {
		if v == "" {
			continue
		}
		switch types[i] {
		case "INT", "LONG":
			if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
				return fmt.Sprintf("%s must be an integer, got %q", header[i], v)
			}
		case "BOOLEAN":
			if _, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v))); err != nil {
				return fmt.Sprintf("%s must be true or false, got %q", header[i], v)
			}
		case "DATE":
			if !isDate(strings.TrimSpace(v)) {
				return fmt.Sprintf("%s must be a date (YYYY-MM-DD or RFC 3339), got %q", header[i], v)
			}
		}
	}
	return ""
}

func isDate(v string) bool {
	for _, layout := range []string{"2006-01-02", time.RFC3339, "01/02/2006"} {
		if _, err := time.Parse(layout, v); err == nil {
			return true
		}
	}
	return false
}

// claim marks src busy for a new task, failing like ISC when one runs; callers hold s.mu.
func claim(src *sourceRec) error {
	if src.deleting {
		return badRequest("Source %q is being deleted.", src.name())
	}
	if src.busy != "" {
		return badRequest(aggregationConflict)
	}
	src.busy = "pending"
	return nil
}

// loadAccounts handles "POST /sources/{id}/load-accounts".
func (s *Sandbox) loadAccounts(c *call) (int, any, error) {
	return s.aggregate(c, "account")
}

// loadEntitlements handles "POST /sources/{sourceId}/load-entitlements".
func (s *Sandbox) loadEntitlements(c *call) (int, any, error) {
	return s.aggregate(c, "group")
}

// aggregate runs an account or entitlement aggregation: the upload is read
// now, during the request, and a task reports the outcome over a few steps.
func (s *Sandbox) aggregate(c *call, kind string) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	if err := claim(src); err != nil {
		s.mu.Unlock()
		return 0, nil, err
	}
	delimited := src.isDelimited()
	schema := clone(src.schemaByName(kind))
	old := src.accounts
	if kind == "group" {
		old = src.groups
	}
	healthyNow := src.healthy() || src.status() == stUnchecked || src.status() == stNoAccts
	fail := failureDetail(src)
	keep := s.api.keepLimit
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		src.busy = ""
		s.mu.Unlock()
	}

	var res aggResult
	fields, saw, err := eachPart(c.r, func(_ string, part io.Reader) error {
		if !delimited {
			return badRequest("Only Delimited File sources take a file; source %q aggregates from its connector.", src.name())
		}
		if schema == nil {
			return badRequest("Source %q has no %s schema; import one first.", src.name(), kind)
		}
		res = aggregateCSV(part, schema, &old, keep)
		return nil
	})
	if err == nil && c.r.Context().Err() != nil {
		// The client went away mid-upload: no one can learn of a task.
		err = c.r.Context().Err()
	}
	if err != nil {
		release()
		return 0, nil, err
	}
	switch {
	case delimited && !saw:
		release()
		return 0, nil, badRequest("A Delimited File source needs the CSV in the multipart field %q.", "file")
	case !delimited && !healthyNow:
		res = aggResult{set: old, fatal: fail}
	case !delimited:
		// A connector aggregation re-reads the same accounts.
		res = aggResult{set: old, total: old.total, unchanged: old.total}
	}
	if fields["disableOptimization"] == "true" {
		res.updated += res.unchanged
		res.unchanged = 0
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	name, desc := "Cloud Account Aggregation", "Aggregate from the specified application"
	if kind == "group" {
		name, desc = "Cloud Group Aggregation", "Aggregate groups from the specified application"
	}
	t := s.newTask(name, desc, c, src)
	src.busy = t.id
	t.messages = res.messages
	switch {
	case res.fatal != "":
		t.status = "ERROR"
		t.messages = append(t.messages, taskMessage{"ERROR", "aggregationFailed", res.fatal})
	case res.errors > 0:
		t.status = "WARNING"
	}
	if kind == "group" {
		t.counts["total"], t.counts["groupsCreated"], t.counts["groupsUpdated"], t.counts["groupsDeleted"] = res.total, res.created, res.updated, res.removed
		t.counts["errors"] = res.errors
	} else {
		t.counts["total"], t.counts["created"], t.counts["updated"], t.counts["unchanged"] = res.total, res.created, res.updated, res.unchanged
		t.counts["removed"], t.counts["errors"] = res.removed, res.errors
	}
	t.progress = [taskSteps]string{"Initializing...", fmt.Sprintf("Aggregating %d rows", res.total), "Correlating accounts"}
	status := t.status
	t.onComplete = func() {
		src.busy = ""
		if status == "ERROR" {
			if delimited {
				src.obj["status"], src.obj["healthy"] = stErrFile, false
			}
			return
		}
		if kind == "group" {
			src.groups = res.set
		} else {
			src.accounts = res.set
		}
		src.obj["status"], src.obj["healthy"] = stHealthy, true
		src.obj["since"] = isoTime(s.now())
	}
	if kind == "group" {
		return http.StatusAccepted, map[string]any{
			"id": t.id, "type": "QUARTZ", "uniqueName": t.uniqueName, "description": t.description,
			"launcher": t.launcher, "created": isoTime(t.created),
			"returns": []any{
				map[string]any{"displayLabel": "TASK_OUT_ACCOUNT_GROUP_AGGREGATION_TOTAL", "attributeName": "total"},
				map[string]any{"displayLabel": "TASK_OUT_ACCOUNT_GROUP_AGGREGATION_CREATED", "attributeName": "groupsCreated"},
				map[string]any{"displayLabel": "TASK_OUT_ACCOUNT_GROUP_AGGREGATION_UPDATED", "attributeName": "groupsUpdated"},
				map[string]any{"displayLabel": "TASK_OUT_ACCOUNT_GROUP_AGGREGATION_DELETED", "attributeName": "groupsDeleted"},
			},
		}, nil
	}
	return http.StatusAccepted, s.loadTaskBody(t), nil
}

// loadTaskBody is the LoadAccountsTask / LoadUncorrelatedAccountsTask shape.
// The upstream schema declares LoadUncorrelatedAccountsTask's task.returns an
// object, its example (and LoadAccountsTask's schema) an array; the sandbox
// answers the array, as the bundled spec does.
func (s *Sandbox) loadTaskBody(t *task) map[string]any {
	returns := []any{}
	keys := []string{"total", "created", "updated", "removed"}
	if t.labels != nil {
		keys = []string{"total", "updated", "correlationFailures"}
	}
	for _, k := range keys {
		returns = append(returns, map[string]any{"displayLabel": t.label(k), "attributeName": k})
	}
	return map[string]any{
		"success": true,
		"task": map[string]any{
			"id": t.id, "type": "QUARTZ", "name": t.uniqueName, "description": t.description, "launcher": t.launcher,
			"created": isoTime(t.created), "launched": nil, "completed": nil, "completionStatus": nil, "parentName": nil,
			"messages": []any{}, "progress": t.progress[0],
			"attributes": map[string]any{"appId": t.sourceID, "optimizedAggregation": "enabled"},
			"returns":    returns,
		},
	}
}

// correlationHeader is the header of ISC's manual correlation file, the file
// load-uncorrelated-accounts takes: account is an account's native identity on
// the source, userName the username of the identity to correlate it to.
var correlationHeader = []string{"account", "displayName", "userName", "type"}

// correlation is the outcome of reading a correlation file.
type correlation struct {
	total, failed int
	links         map[string]string // account → identity id
	messages      []taskMessage
	fatal         string
}

// correlateCSV reads a correlation file and matches each row's account with
// accounts (every account counts as known when accounts overflowed and has no
// keys) and its userName with identities (lower-cased username → identity id).
func correlateCSV(r io.Reader, delim rune, accounts *accountSet, identities map[string]string) correlation {
	res := correlation{links: map[string]string{}}
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil && !errors.Is(err, io.EOF) {
		res.fatal = fmt.Sprintf("The header row is not valid CSV: %v", err)
		return res
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	accCol, okAcc := col["account"]
	userCol, okUser := col["userName"]
	if !okAcc || !okUser {
		res.fatal = fmt.Sprintf("A correlation file starts with the header row %s; this one has %q.",
			strings.Join(correlationHeader, string(delim)), strings.Join(header, string(delim)))
		return res
	}
	seen := map[string]bool{}
	fail := func(line int, format string, args ...any) {
		res.failed++
		if res.failed <= maxRowMessages {
			res.messages = append(res.messages, taskMessage{"WARN", "notCorrelated", fmt.Sprintf("Line %d: ", line) + fmt.Sprintf(format, args...)})
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.fatal = fmt.Sprintf("The file is not valid CSV: %v", err)
			return res
		}
		line, _ := cr.FieldPos(0)
		res.total++
		field := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		account, user := field(accCol), field(userCol)
		switch {
		case account == "":
			fail(line, "the account is empty; row skipped.")
		case seen[account]:
			fail(line, "account %q is listed again; row skipped.", account)
		case user == "":
			fail(line, "account %q has no userName to correlate it to.", account)
		case accounts.keys != nil && !hasKey(accounts.keys, account):
			fail(line, "account %q is not an account of this source.", account)
		case identities[strings.ToLower(user)] == "":
			fail(line, "no identity has the userName %q; account %q stays uncorrelated.", user, account)
		default:
			res.links[account] = identities[strings.ToLower(user)]
		}
		if account != "" {
			seen[account] = true
		}
	}
	if res.failed > maxRowMessages {
		res.messages = append(res.messages, taskMessage{"WARN", "notCorrelated", fmt.Sprintf("… and %d more rows were not correlated.", res.failed-maxRowMessages)})
	}
	return res
}

func hasKey(m map[string]uint64, k string) bool { _, ok := m[k]; return ok }

// identityUsernames maps the lower-cased username of every identity the sandbox
// knows (the sign-in users and the seeded people) to its identity id.
func (s *Sandbox) identityUsernames() map[string]string {
	out := map[string]string{}
	for i, p := range seedPeople {
		out[seedLogin(p)] = seedIdentityID(i)
	}
	for _, u := range s.cfg.Users {
		out[strings.ToLower(u.Username)] = u.IdentityID
	}
	return out
}

// CorrelatedIdentity returns the identity id a correlation file linked the
// account to on the source, or "" when none did.
func (s *Sandbox) CorrelatedIdentity(sourceID, account string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceTasks()
	if src := s.api.sources[sourceID]; src != nil {
		return src.correlated[account]
	}
	return ""
}

// loadUncorrelatedAccounts handles "POST /sources/{id}/load-uncorrelated-accounts":
// a manual correlation file. Accounts of the source are linked to the identities
// the file names when the task completes; the rows that cannot be are task
// messages with their line numbers.
func (s *Sandbox) loadUncorrelatedAccounts(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	accounts := src.accounts
	s.mu.Unlock()
	identities := s.identityUsernames()
	var res correlation
	_, saw, err := eachPart(c.r, func(_ string, part io.Reader) error {
		res = correlateCSV(part, ',', &accounts, identities)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	if !saw {
		return 0, nil, badRequest("The correlation file is required in the multipart field %q.", "file")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newTask("Cloud Process Uncorrelated Accounts", "Processes uncorrelated accounts for the specified application.", c, src)
	t.labels = correlationLabels
	t.messages = res.messages
	t.counts["total"], t.counts["updated"], t.counts["correlationFailures"] = res.total, len(res.links), res.failed
	switch {
	case res.fatal != "":
		t.status = "ERROR"
		t.messages = append(t.messages, taskMessage{"ERROR", "badFile", res.fatal})
		t.counts["updated"] = 0
	case res.failed > 0:
		t.status = "WARNING"
	}
	t.progress = [taskSteps]string{"Initializing...", fmt.Sprintf("Correlating %d accounts", res.total), "Finalizing"}
	if res.fatal == "" {
		t.onComplete = func() {
			if src.correlated == nil {
				src.correlated = map[string]string{}
			}
			for a, id := range res.links {
				src.correlated[a] = id
			}
		}
	}
	return http.StatusAccepted, s.loadTaskBody(t), nil
}

// correlationLabels are the display labels of a correlation task's counts, as
// the spec's LoadUncorrelatedAccountsTask example names them.
var correlationLabels = map[string]string{
	"total":               "TASK_OUT_ACCOUNT_CORRELATION_TOTAL",
	"updated":             "TASK_OUT_ACCOUNT_CORRELATION_UPDATED",
	"correlationFailures": "TASK_OUT_ACCOUNT_CORRELATION_FAILURES",
}

// removeAccounts handles "POST /sources/{id}/remove-accounts".
func (s *Sandbox) removeAccounts(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := claim(src); err != nil {
		return 0, nil, err
	}
	t := s.newTask("Remove Accounts", "Removes all accounts of the source", c, src)
	t.progress = [taskSteps]string{"Queued", "Removing accounts", "Finalizing"}
	t.counts["removed"] = src.accounts.total
	src.busy = t.id
	t.onComplete = func() {
		src.busy = ""
		src.accounts = accountSet{keys: map[string]uint64{}}
		src.obj["status"] = stNoAccts
	}
	return http.StatusAccepted, map[string]any{"type": "TASK_RESULT", "id": t.id, "name": nil}, nil
}
