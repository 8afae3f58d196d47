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

// schemaCSVHeader is the column layout of a schema CSV (download and upload).
var schemaCSVHeader = []string{"name", "type", "description", "isMulti", "isEntitlement", "isGroup"}

func writeSchemaCSV(w http.ResponseWriter, sc map[string]any) {
	w.Header().Set("Content-Type", "text/csv")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", valueString(sc["name"])+"-schema.csv"))
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(schemaCSVHeader)
	attrs, _ := sc["attributes"].([]any)
	for _, a := range attrs {
		m, _ := a.(map[string]any)
		_ = cw.Write([]string{valueString(m["name"]), valueString(m["type"]), valueString(m["description"]),
			strconv.FormatBool(m["isMulti"] == true), strconv.FormatBool(m["isEntitlement"] == true), strconv.FormatBool(m["isGroup"] == true)})
	}
	cw.Flush()
}

// parseSchemaCSV reads attribute definitions in the schemaCSVHeader layout;
// only the name column is required.
func parseSchemaCSV(r io.Reader) ([]any, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, badRequest("The schema file is empty or not CSV: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	if _, ok := col["name"]; !ok {
		return nil, badRequest("The schema file must have a %q column (columns: %s)", "name", strings.Join(schemaCSVHeader, ","))
	}
	get := func(rec []string, k string) string {
		if i, ok := col[k]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	attrs := []any{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, badRequest("The schema file is not valid CSV: %v", err)
		}
		name := get(rec, "name")
		if name == "" {
			continue
		}
		typ := strings.ToUpper(get(rec, "type"))
		if typ == "" {
			typ = "STRING"
		}
		flags := ""
		for k, f := range map[string]string{"isMulti": "m", "isEntitlement": "e", "isGroup": "g"} {
			if b, _ := strconv.ParseBool(get(rec, k)); b {
				flags += f
			}
		}
		a := attributeDef(name, typ, flags)
		a["description"] = get(rec, "description")
		attrs = append(attrs, a)
	}
	if err := validateSchema(map[string]any{"attributes": attrs}); err != nil {
		return nil, err
	}
	return attrs, nil
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
	s.mu.Unlock()
	writeSchemaCSV(c.w, sc)
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
	s.mu.Unlock()
	if err != nil {
		return 0, nil, err
	}
	var attrs []any
	_, saw, err := eachPart(c.r, func(_ string, part io.Reader) error {
		attrs, err = parseSchemaCSV(part)
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
	if sc == nil {
		if name == "account" {
			sc = accountSchema(s.api.newID(), connectors["delimited-file"], now)
		} else {
			sc = groupSchema(s.api.newID(), now)
			sc["name"] = name
		}
		src.schemas = append(src.schemas, sc)
		src.syncSchemaRefs()
	}
	sc["attributes"] = attrs
	names := []string{}
	for _, a := range attrs {
		names = append(names, a.(map[string]any)["name"].(string))
	}
	for _, k := range []string{"identityAttribute", "displayAttribute"} {
		if v, _ := sc[k].(string); !slices.Contains(names, v) && len(names) > 0 {
			sc[k] = names[0]
		}
	}
	sc["modified"] = isoTime(now)
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
func (s *Sandbox) loadTaskBody(t *task) map[string]any {
	returns := []any{}
	for _, k := range []string{"total", "created", "updated", "removed"} {
		returns = append(returns, map[string]any{"displayLabel": countLabels[k], "attributeName": k})
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

// loadUncorrelatedAccounts handles "POST /sources/{id}/load-uncorrelated-accounts".
func (s *Sandbox) loadUncorrelatedAccounts(c *call) (int, any, error) {
	src, err := s.source(c, true)
	if err != nil {
		return 0, nil, err
	}
	rows := 0
	var readErr error
	_, _, err = eachPart(c.r, func(_ string, part io.Reader) error {
		cr := csv.NewReader(bufio.NewReader(part))
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		for {
			if _, err := cr.Read(); err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = err
				}
				return nil
			}
			rows++
		}
	})
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newTask("Cloud Process Uncorrelated Accounts", "Processes uncorrelated accounts for the specified application.", c, src)
	t.counts["total"] = max(rows-1, 0)
	if readErr != nil {
		t.status = "ERROR"
		t.messages = append(t.messages, taskMessage{"ERROR", "badFile", fmt.Sprintf("The file is not valid CSV: %v", readErr)})
	}
	return http.StatusAccepted, s.loadTaskBody(t), nil
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
