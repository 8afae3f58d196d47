package bff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"sourcedesk/internal/api"
	"sourcedesk/internal/api/filter"
	"sourcedesk/internal/csvcheck"
	"sourcedesk/web/templates"
)

// bulkConcurrency bounds the upstream calls one bulk action makes at a time: ISC's
// budget (100 requests per 10 s) is shared by every user of the console.
const bulkConcurrency = 4

// maxBulkSources caps one bulk action, so that a single click cannot spend the
// whole shared budget.
const maxBulkSources = 50

// sourceStatusGroups maps the list's status filter onto ISC's states.
var sourceStatusGroups = map[string][]api.SourceStatus{
	"healthy": {api.SourceStateHealthy},
	"unhealthy": {api.SourceStateErrorAccountFileImport, api.SourceStateErrorCluster, api.SourceStateErrorSource,
		api.SourceStateErrorVA, api.SourceStateFailureCluster, api.SourceStateFailureSource},
	"unchecked": {api.SourceStateUncheckedCluster, api.SourceStateUncheckedClusterNoSources,
		api.SourceStateUncheckedSource, api.SourceStateUncheckedSourceNoAccounts},
}

// parseSourceListQuery reads and checks the list's URL parameters. A bad value is a
// 400 that says which parameter and what is allowed, never a crash or a silent default.
func parseSourceListQuery(v url.Values) (templates.SourceListQuery, error) {
	q := templates.SourceListQuery{
		Q:              strings.TrimSpace(v.Get("q")),
		Type:           strings.TrimSpace(v.Get("type")),
		Status:         v.Get("status"),
		ConnectionType: v.Get("conn"),
		Authoritative:  v.Get("auth"),
		Owner:          strings.TrimSpace(v.Get("owner")),
		Sort:           v.Get("sort"),
		Page:           1,
		Size:           templates.DefaultSourcePageSize,
	}
	if len(q.Q) > 200 || len(q.Type) > 200 || len(q.Owner) > 200 {
		return q, userErrorf(http.StatusBadRequest, "Search and filter texts are limited to 200 characters.")
	}
	if q.Status != "" {
		if _, ok := sourceStatusGroups[q.Status]; !ok {
			return q, userErrorf(http.StatusBadRequest, "Unknown status filter %q: use healthy, unhealthy or unchecked.", q.Status)
		}
	}
	if q.ConnectionType != "" && q.ConnectionType != "direct" && q.ConnectionType != "file" {
		return q, userErrorf(http.StatusBadRequest, "Unknown connection type %q: use direct or file.", q.ConnectionType)
	}
	if q.Authoritative != "" && q.Authoritative != "true" && q.Authoritative != "false" {
		return q, userErrorf(http.StatusBadRequest, "The authoritative filter must be true or false, not %q.", q.Authoritative)
	}
	if q.Sort != "" {
		field := strings.TrimPrefix(q.Sort, "-")
		if !slices.ContainsFunc(templates.SourceSortColumns, func(col templates.SourceColumn) bool { return col.Sorter == field }) {
			return q, userErrorf(http.StatusBadRequest, "Sources cannot be sorted by %q. Sort by one of: %s.", q.Sort, sortableFields())
		}
	}
	if s := v.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return q, userErrorf(http.StatusBadRequest, "The page must be a whole number from 1, not %q.", s)
		}
		q.Page = n
	}
	if s := v.Get("size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || !slices.Contains(templates.SourcePageSizes, n) {
			return q, userErrorf(http.StatusBadRequest, "The page size must be one of %s, not %q.", pageSizesText(), s)
		}
		q.Size = n
	}
	return q, nil
}

func sortableFields() string {
	var fs []string
	for _, col := range templates.SourceSortColumns {
		fs = append(fs, col.Sorter)
	}
	return strings.Join(fs, ", ")
}

func pageSizesText() string {
	var ss []string
	for _, n := range templates.SourcePageSizes {
		ss = append(ss, strconv.Itoa(n))
	}
	return strings.Join(ss, ", ")
}

// sourceFilter builds ISC's filters from the list query with the filter builder, so
// what users type stays a quoted literal and cannot change the filter's structure.
func sourceFilter(q templates.SourceListQuery) filter.Expr {
	var parts []filter.Expr
	if q.Q != "" {
		parts = append(parts, filter.Co("name", q.Q))
	}
	if q.Type != "" {
		parts = append(parts, filter.Sw("type", q.Type))
	}
	if states := sourceStatusGroups[q.Status]; len(states) > 0 {
		vals := make([]any, len(states))
		for i, st := range states {
			vals[i] = string(st)
		}
		parts = append(parts, filter.In("status", vals...))
	}
	if q.ConnectionType != "" {
		parts = append(parts, filter.Eq("connectionType", q.ConnectionType))
	}
	if q.Authoritative != "" {
		parts = append(parts, filter.Eq("authoritative", q.Authoritative == "true"))
	}
	if q.Owner != "" {
		parts = append(parts, filter.Eq("owner.id", q.Owner))
	}
	return filter.And(parts...)
}

// sourceSorters is the ISC sorters for q: the chosen column, then id so that pages
// are stable when many rows tie.
func sourceSorters(q templates.SourceListQuery) []string {
	sort := q.Sort
	if sort == "" {
		sort = templates.DefaultSourceSort
	}
	return []string{sort, "id"}
}

// subadminScope is the for-subadmin value of a source list: "me" for a
// SOURCE_SUBADMIN, whom ISC refuses a list without it (403), "" for everyone else.
func subadminScope(c echo.Context) string {
	if isSubadmin(c) {
		return "me"
	}
	return ""
}

// sourcesList handles "GET /sources": the list page, or only its results when htmx
// asks for the results region (filtering, sorting, paging).
func (s *Server) sourcesList(c echo.Context) error {
	q, err := parseSourceListQuery(c.QueryParams())
	if err != nil {
		return err
	}
	// The owner filter is a picker: a name typed there becomes the owner's id
	// (owner= in the address); a name that names nobody is a clear 400.
	ownerName := ""
	if v := c.QueryParams(); v.Has("owner_name") {
		typed := strings.TrimSpace(v.Get("owner_name"))
		q.Owner = ""
		if typed != "" {
			it, msg, err := s.resolvePick(c, pickOwner, typed, v.Get("owner_name_id"), v.Get("owner_name_was"))
			if err != nil {
				return err
			}
			if msg != "" {
				return userErrorf(http.StatusBadRequest, "Owner filter: %s", msg)
			}
			q.Owner, ownerName = it.ID, it.Name
		}
	}
	params := api.ListSourcesParams{
		Limit:       q.Size,
		Offset:      (q.Page - 1) * q.Size,
		Count:       true,
		Filters:     sourceFilter(q),
		Sorters:     sourceSorters(q),
		ForSubadmin: subadminScope(c),
	}
	page, err := listRead(s, c, params, q.Status != "" || strings.TrimPrefix(q.Sort, "-") == "status")
	if err != nil {
		return err
	}
	vm := templates.SourceListVM{
		Query:    q,
		Total:    page.Total,
		Filtered: q.Q != "" || q.HasFilters(),
		CanWrite: canWrite(c),
	}
	if !page.HasTotal {
		vm.Total = params.Offset + len(page.Items)
	}
	for i := range page.Items {
		vm.Rows = append(vm.Rows, sourceRow(&page.Items[i]))
		if o := page.Items[i].Owner; ownerName == "" && o != nil && o.ID == q.Owner {
			ownerName = o.Name
		}
	}
	if ownerName == "" && q.Owner != "" {
		ownerName = q.Owner
		if found, err := s.identitiesWhere(c, filter.Eq("id", q.Owner)); err == nil && len(found) == 1 {
			ownerName = found[0].Name
		}
	}
	vm.OwnerPicker = pickerVM(pickOwner, "sources-filter", "owner_name", ownerName, q.Owner, ownerName, false, nil)
	vm.OwnerPicker.Label = "Owner"
	vm.OwnerPicker.Placeholder = "Type a name, or pick one from the Owner column"
	c.Response().Header().Add("Vary", "HX-Target")
	if isHTMX(c) && c.Request().Header.Get("HX-Target") == templates.SourcesResultsID {
		// The browser's address becomes the short, canonical URL of this state (the
		// form alone would push every empty field), so it can be shared and reloaded.
		c.Response().Header().Set("HX-Push-Url", q.URL("/sources"))
		return s.renderFragment(c, http.StatusOK, templates.Announce(vm.Announcement(), templates.SourcesResults(vm)))
	}
	return s.render(c, http.StatusOK, Page{Title: "Sources", Section: "sources", Body: templates.SourcesList(vm)})
}

// sourcesExport handles "GET /sources/export.csv": every source the list's filters
// select, in the list's order, as CSV. Cells that a spreadsheet would run as a
// formula are made inert (csvcheck.EscapeFormula).
func (s *Server) sourcesExport(c echo.Context) error {
	q, err := parseSourceListQuery(c.QueryParams())
	if err != nil {
		return err
	}
	params := api.ListSourcesParams{Limit: api.MaxLimit, Filters: sourceFilter(q), Sorters: sourceSorters(q), ForSubadmin: subadminScope(c)}
	var buf bytes.Buffer
	// Written into a buffer first: a failure half-way must become an error page,
	// not a truncated file that looks complete.
	err = s.callAPI(c, "export sources", func(ctx context.Context, cl *api.Client) error {
		buf.Reset()
		buf.WriteString(csvcheck.BOM)
		w := csvcheck.NewSafeWriter(&buf)
		if err := w.Write([]string{"id", "name", "type", "connector", "connection type", "owner", "owner id",
			"status", "healthy", "authoritative", "description", "created", "modified"}); err != nil {
			return err
		}
		for src, err := range cl.AllSources(ctx, params) {
			if err != nil {
				return err
			}
			owner, ownerID := "", ""
			if src.Owner != nil {
				owner, ownerID = src.Owner.Name, src.Owner.ID
			}
			if err := w.Write([]string{src.ID, src.Name, src.Type, src.ConnectorName, src.ConnectionType, owner, ownerID,
				string(src.Status), strconv.FormatBool(src.Healthy), strconv.FormatBool(src.Authoritative),
				src.Description, string(src.Created), string(src.Modified)}); err != nil {
				return err
			}
		}
		return w.Flush()
	})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="sources.csv"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// sourcesBulkTest handles "POST /sources/bulk/test-connection".
func (s *Server) sourcesBulkTest(c echo.Context) error {
	return s.sourcesBulk(c, "Test connection", false, func(ctx context.Context, cl *api.Client, id string) (templates.BulkResultVM, error) {
		res, err := cl.TestSourceConnection(ctx, id)
		if err != nil {
			return templates.BulkResultVM{}, err
		}
		r := templates.BulkResultVM{OK: res.Status == api.ConnectorSuccess, Message: toolMessage(res)}
		return r, nil
	})
}

// sourcesBulkAggregate handles "POST /sources/bulk/aggregate": an account
// aggregation on each selected source. Aggregations are never repeated (callAPIOnce).
func (s *Server) sourcesBulkAggregate(c echo.Context) error {
	return s.sourcesBulk(c, "Aggregate accounts", true, func(ctx context.Context, cl *api.Client, id string) (templates.BulkResultVM, error) {
		task, err := cl.ImportAccounts(ctx, id, nil, false)
		if err != nil {
			return templates.BulkResultVM{}, err
		}
		r := templates.BulkResultVM{OK: true, Message: "Aggregation started."}
		if task.Task.ID != "" {
			r.TaskURL = taskURL(task.Task.ID, id)
		}
		return r, nil
	})
}

// sourcesBulk runs one action on every selected source, at most bulkConcurrency at a
// time, and shows one result per source. A failure on one source does not stop the
// others; an expired sign-in stops the whole action.
func (s *Server) sourcesBulk(c echo.Context, action string, once bool,
	run func(ctx context.Context, cl *api.Client, id string) (templates.BulkResultVM, error)) error {
	form, err := readForm(c)
	if err != nil {
		return err
	}
	ids := slices.Compact(slices.Sorted(slices.Values(form["id"])))
	if len(ids) == 0 {
		return userErrorf(http.StatusUnprocessableEntity, "Select at least one source first (the boxes in the first column).")
	}
	if len(ids) > maxBulkSources {
		return userErrorf(http.StatusUnprocessableEntity, "Select at most %d sources for one bulk action.", maxBulkSources)
	}
	for _, id := range ids {
		if !validID(id) {
			return userErrorf(http.StatusBadRequest, "The selection holds an invalid source id.")
		}
	}
	results := make([]templates.BulkResultVM, len(ids))
	call := s.callAPI
	if once {
		call = s.callAPIOnce
	}
	err = call(c, strings.ToLower(action)+" on the selected sources", func(ctx context.Context, cl *api.Client) error {
		// One list call names the selected sources for the results.
		names := map[string]string{}
		vals := make([]any, len(ids))
		for i, id := range ids {
			vals[i] = id
		}
		page, err := cl.ListSources(ctx, api.ListSourcesParams{Limit: len(ids), Filters: filter.In("id", vals...), ForSubadmin: subadminScope(c)})
		if err != nil {
			return err
		}
		for _, src := range page.Items {
			names[src.ID] = src.Name
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(bulkConcurrency)
		for i, id := range ids {
			g.Go(func() error {
				r, err := run(gctx, cl, id)
				if api.IsUnauthorized(err) {
					return err // the sign-in is gone: stop, and let callAPI renew or ask to sign in
				}
				if err != nil {
					r = templates.BulkResultVM{Message: upstreamMessage(err)}
				}
				r.SourceID, r.Name = id, names[id]
				if r.Name == "" {
					r.Name = id
				}
				results[i] = r
				return nil
			})
		}
		return g.Wait()
	})
	if err != nil {
		return err
	}
	vm := templates.BulkResultsVM{Action: action, Results: results}
	notice(c, fmt.Sprintf("%s: %d of %d succeeded.", action, vm.Succeeded(), len(results)))
	return s.renderFragment(c, http.StatusOK, templates.SourcesBulkResults(vm))
}

// canWrite reports whether the signed-in user's level may change sources. It only
// hides controls; ISC decides, and its 403 reaches the user in plain words.
func canWrite(c echo.Context) bool { return accessOf(c).Write }

// accessOf maps the signed-in user's level to what the pages offer them: HELPDESK
// reads; SOURCE_SUBADMIN manages the sources of its governance groups but creates
// none; SOURCE_ADMIN manages every source; only ORG_ADMIN uploads connector files
// (ISC refuses the others). With no user (public pages) nothing is hidden.
func accessOf(c echo.Context) templates.Access {
	u := currentUserVM(c)
	if u == nil {
		return templates.AccessOf(context.Background())
	}
	lvl := strings.ToUpper(u.UserLevel)
	return templates.Access{
		Level:         lvl,
		Write:         lvl != "HELPDESK",
		Create:        lvl == "ORG_ADMIN" || lvl == "SOURCE_ADMIN",
		ConnectorFile: lvl == "ORG_ADMIN",
	}
}

// levelAllows reports whether a user with access a may run the route's action:
// creating sources and uploading connector files need their own rights, every
// other change needs Write. ISC would refuse the rest, after a call that spends
// the budget every user of the console shares.
func levelAllows(a templates.Access, action string) bool {
	switch action {
	case "source.create":
		return a.Create
	case "tool.connector-file":
		return a.ConnectorFile
	}
	return a.Write
}

// requireLevel refuses, before any call to ISC, a change the signed-in user's
// level cannot make (levelAllows); the router puts it on every route that changes
// something.
func (s *Server) requireLevel(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a := accessOf(c)
		if a.Level != "" && !levelAllows(a, actionName(c, s.route(c).action)) {
			return userErrorf(http.StatusForbidden,
				"Your user level (%s) cannot do this in ISC, so it was not sent to ISC.", a.Level)
		}
		return next(c)
	}
}

// sourceRow maps a source to a row of the list.
func sourceRow(src *api.Source) templates.SourceRowVM {
	r := templates.SourceRowVM{
		ID:             src.ID,
		Name:           src.Name,
		Type:           src.Type,
		Connector:      src.ConnectorName,
		ConnectionType: src.ConnectionType,
		Status:         sourceState(src.Status),
		Authoritative:  src.Authoritative,
	}
	if src.Owner != nil {
		r.OwnerID, r.OwnerName = src.Owner.ID, src.Owner.Name
		if r.OwnerName == "" {
			r.OwnerName = src.Owner.ID
		}
	}
	r.Modified, r.ModifiedISO = readableTime(src.Modified)
	return r
}

// sourceState maps ISC's source status onto the badge: a state, a label and the
// reason in words.
func sourceState(st api.SourceStatus) templates.SourceStateVM {
	vm := templates.SourceStateVM{Raw: string(st)}
	switch st {
	case api.SourceStateHealthy:
		vm.State, vm.Label = "healthy", "Healthy"
		vm.Reason = "The last health check passed."
	case api.SourceStateErrorAccountFileImport:
		vm.State, vm.Label, vm.Reason = "unhealthy", "Unhealthy", "The last account file import failed."
	case api.SourceStateErrorCluster:
		vm.State, vm.Label, vm.Reason = "unhealthy", "Unhealthy", "The source's cluster reports an error."
	case api.SourceStateErrorSource:
		vm.State, vm.Label, vm.Reason = "unhealthy", "Unhealthy", "The connector cannot reach or read the source."
	case api.SourceStateErrorVA:
		vm.State, vm.Label, vm.Reason = "unhealthy", "Unhealthy", "The virtual appliance is not answering."
	case api.SourceStateFailureCluster:
		vm.State, vm.Label, vm.Reason = "unhealthy", "Unhealthy", "The cluster failed its health check."
	case api.SourceStateFailureSource:
		vm.State, vm.Label, vm.Reason = "unhealthy", "Unhealthy", "The source failed its health check."
	case api.SourceStateUncheckedCluster:
		vm.State, vm.Label, vm.Reason = "unchecked", "Not checked", "The cluster has not been checked yet."
	case api.SourceStateUncheckedClusterNoSources:
		vm.State, vm.Label, vm.Reason = "unchecked", "Not checked", "The cluster has no sources to check."
	case api.SourceStateUncheckedSource:
		vm.State, vm.Label, vm.Reason = "unchecked", "Not checked", "The source has not been checked yet."
	case api.SourceStateUncheckedSourceNoAccounts:
		vm.State, vm.Label, vm.Reason = "unchecked", "Not checked", "The source has no accounts yet."
	case "":
		vm.State, vm.Label, vm.Reason = "unchecked", "Unknown", "ISC reported no status."
	default:
		// ISC adds states without notice: show them as they are rather than guess.
		vm.State, vm.Label, vm.Reason = "unchecked", "Unknown", "ISC reports "+string(st)+"."
		if strings.Contains(string(st), "ERROR") || strings.Contains(string(st), "FAIL") {
			vm.State, vm.Label = "unhealthy", "Unhealthy"
		}
	}
	return vm
}

// toolMessage is a connector tool's answer in words.
func toolMessage(res *api.StatusResponse) string {
	ms := strconv.FormatInt(res.ElapsedMillis, 10)
	if res.Status == api.ConnectorSuccess {
		return "Succeeded in " + ms + " ms."
	}
	msg := "Failed after " + ms + " ms."
	for _, k := range []string{"message", "error", "reason"} {
		if raw, ok := res.Details[k]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" {
				msg += " " + s
				break
			}
		}
	}
	return msg
}
