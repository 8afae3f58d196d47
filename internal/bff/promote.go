package bff

// Sources as code in the console (internal/sourcedoc does the work): a source's
// "As code" tab downloads it as a document and compares it with the same source
// on another tenant, another source or an uploaded document; a promotion is
// planned on the target tenant's address (/promote, reads only), reviewed, and
// applied (/promote/apply): the page is sent as the calls are made, one line per
// call, and the promotion stops at the first that fails. Both tenants' activity
// logs record it.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	gbytes "github.com/labstack/gommon/bytes"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/api"
	"sourcedesk/internal/session"
	"sourcedesk/internal/sourcedoc"
	"sourcedesk/internal/upload"
	"sourcedesk/web/templates"
)

// maxDocumentBytes caps reading an uploaded source document (a source with
// hundreds of schema attributes is well under 1 MiB); what is accepted is
// smaller still, see documentFitsForm.
const maxDocumentBytes = 4 << 20

// formRoom is what a promotion's form carries beside the document (the form
// token, the plan's fingerprint, a tenant and a source id), with room to spare.
const formRoom = 4 << 10

// applyTimeout bounds a promotion's calls, which go on when the client goes away.
const applyTimeout = 2 * time.Minute

// sourceCode handles "GET /sources/:id/code": the As code tab.
func (s *Server) sourceCode(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	src, err := s.getSource(c, id)
	if err != nil {
		return err
	}
	return s.renderSourceTab(c, http.StatusOK, id, src, "code", templates.SourceCode(s.sourceCodeVM(c, src.ID, src.Name, "", "", nil)))
}

// sourceCodeVM is the As code tab of source id, comparing with source name on
// tenant key (defaults: the first other tenant the user is signed in to, this
// source's name).
func (s *Server) sourceCodeVM(c echo.Context, id, sourceName, key, name string, result *templates.CompareVM) templates.SourceCodeVM {
	here := s.tenantOf(c)
	var signedIn []string
	if s.cfg.Sessions != nil {
		signedIn = s.cfg.Sessions.SignedIn(c.Request().Context())
	}
	if key == "" {
		key = here.Key
		for _, k := range signedIn {
			if k != here.Key {
				key = k
				break
			}
		}
	}
	vm := templates.SourceCodeVM{SourceID: id, SourceName: sourceName, Tenant: tenantName(here), Name: cmp.Or(name, sourceName), Result: result,
		ExportURL: templates.SourceTabURL(id, "code/export"), CompareURL: templates.SourceTabURL(id, "code/compare")}
	for i := range s.cfg.Tenants {
		t := &s.cfg.Tenants[i]
		if t == here || slices.Contains(signedIn, t.Key) {
			vm.Tenants = append(vm.Tenants, templates.TenantOptionVM{Key: t.Key, Name: tenantName(t), Selected: t.Key == key})
		}
	}
	return vm
}

// sourceExport handles "GET /sources/:id/code/export": the source as a document, downloaded.
func (s *Server) sourceExport(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := s.exportSource(c, s.tenantOf(c), id)
	if err != nil {
		return err
	}
	b, err := sourcedoc.Marshal(doc)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": documentFileName(doc.Source.Name)}))
	return c.Blob(http.StatusOK, "application/json; charset=utf-8", b)
}

// documentFileName is a safe file name for a source's document.
func documentFileName(name string) string {
	return cmp.Or(safeFilePart(name), "source") + ".source.json"
}

// exportSource reads source id on tenant t as the user signed in there.
func (s *Server) exportSource(c echo.Context, t *Tenant, id string) (*sourcedoc.Document, error) {
	var doc *sourcedoc.Document
	err := s.callTenantAPI(c, t, "export source "+id, func(ctx context.Context, cl *api.Client) error {
		var err error
		doc, err = sourcedoc.Export(ctx, sourcedoc.Tenant{Name: tenantName(t), Client: cl}, id)
		return err
	})
	return doc, err
}

// sourceCompare handles "GET /sources/:id/code/compare?tenant=&name=": what the
// source named name on tenant would get from this one (a promotion to it).
func (s *Server) sourceCompare(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	other := s.tenantByKey(c.QueryParam("tenant"))
	if other == nil {
		return userErrorf(http.StatusBadRequest, "Choose a tenant to compare with.")
	}
	if err := s.needSignedIn(c, other); err != nil {
		return err
	}
	here := s.tenantOf(c)
	mine, err := s.exportSource(c, here, id)
	if err != nil {
		return err
	}
	name := cmp.Or(strings.TrimSpace(c.QueryParam("name")), mine.Source.Name)
	var otherID string
	err = s.callTenantAPI(c, other, "find source "+name, func(ctx context.Context, cl *api.Client) error {
		otherID, err = sourcedoc.FindSource(ctx, sourcedoc.Tenant{Name: tenantName(other), Client: cl}, name)
		return err
	})
	if err != nil {
		return err
	}
	var theirs *sourcedoc.Document
	if otherID != "" {
		if theirs, err = s.exportSource(c, other, otherID); err != nil {
			return err
		}
	}
	vm := compareVM(sourcedoc.Compare(theirs, mine), tenantName(other)+": "+name, tenantName(here)+": "+mine.Source.Name)
	vm.Missing = theirs == nil
	if other != here && name == mine.Source.Name {
		vm.PlanURL = s.tenantPath(other, "/promote?"+url.Values{"from": {here.Key}, "source": {id}}.Encode())
		vm.PlanLabel = "Plan the promotion to " + tenantName(other)
	}
	return s.compareResult(c, id, mine.Source.Name, other.Key, name, vm)
}

// sourceCompareDocument handles "POST /sources/:id/code/compare": what this
// source would get from an uploaded document (applying it here).
func (s *Server) sourceCompareDocument(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	raw, doc, err := s.readDocument(c)
	if err != nil {
		return err
	}
	here := s.tenantOf(c)
	mine, err := s.exportSource(c, here, id)
	if err != nil {
		return err
	}
	vm := compareVM(sourcedoc.Compare(mine, doc), tenantName(here)+": "+mine.Source.Name, "the document: "+doc.Source.Name)
	vm.PlanURL = s.tenantPath(here, "/promote")
	vm.PlanLabel = "Plan applying the document to " + tenantName(here)
	vm.Document = string(raw)
	vm.CSRFToken = s.csrfToken(c)
	return s.compareResult(c, id, mine.Source.Name, here.Key, doc.Source.Name, vm)
}

// compareResult answers a comparison: the result alone for the tab's form, the
// tab around it otherwise.
func (s *Server) compareResult(c echo.Context, id, sourceName, key, name string, vm templates.CompareVM) error {
	if isHTMX(c) && c.Request().Header.Get("HX-Target") == "compare-result" {
		return s.renderFragment(c, http.StatusOK, templates.CompareResult(vm))
	}
	return s.renderSourceTab(c, http.StatusOK, id, nil, "code", templates.SourceCode(s.sourceCodeVM(c, id, sourceName, key, name, &vm)))
}

// readDocument reads an uploaded source document (the "file" part), checked
// against the format's JSON Schema.
func (s *Server) readDocument(c echo.Context) ([]byte, *sourcedoc.Document, error) {
	up, err := upload.Open(c.Response(), c.Request(), maxDocumentBytes)
	if err != nil {
		return nil, nil, err
	}
	var f *upload.File
	if up != nil {
		if f, err = up.NextBinaryFile(); err != nil {
			return nil, nil, err
		}
	}
	if f == nil {
		return nil, nil, userErrorf(http.StatusUnprocessableEntity, "Choose a document to compare with.")
	}
	raw, err := io.ReadAll(f.Reader())
	if err != nil {
		if fail := f.Failure(c.Request().Context()); fail != nil {
			return nil, nil, fail
		}
		return nil, nil, err
	}
	doc, err := sourcedoc.Parse(raw)
	if err != nil {
		return nil, nil, userErrorf(http.StatusUnprocessableEntity, "%s is not a source document: %s", f.Name, strings.TrimPrefix(err.Error(), sourcedoc.ErrInvalid.Error()+": "))
	}
	if err := s.documentFitsForm(f.Name, raw); err != nil {
		return nil, nil, err
	}
	return raw, doc, nil
}

// documentFitsForm refuses, at upload, a document that could be compared but
// not planned or applied: after the comparison it travels in hidden fields of
// urlencoded forms (POST /promote, /promote/apply), which Config.BodyLimit caps, so
// its encoding must fit that limit less formRoom.
func (s *Server) documentFitsForm(name string, raw []byte) error {
	limit, err := gbytes.Parse(s.cfg.BodyLimit)
	if err != nil {
		return err
	}
	if n := int64(len(url.QueryEscape(string(raw)))); n > limit-formRoom {
		return userErrorf(http.StatusRequestEntityTooLarge,
			"%s is too large to promote: sent on in a form it takes %s, over the %s the console accepts for a document (its forms are capped at %s). Remove what the document need not carry and upload it again.",
			name, gbytes.Format(n), gbytes.Format(limit-formRoom), s.cfg.BodyLimit)
	}
	return nil
}

// compareVM maps a diff onto the view model.
func compareVM(d *sourcedoc.Diff, from, to string) templates.CompareVM {
	vm := templates.CompareVM{From: from, To: to, Identical: d.Identical(), Changes: d.Count()}
	for _, sec := range d.Sections {
		sv := templates.CompareSectionVM{Key: sec.Key, Title: sec.Title, Same: sec.Same(), Unread: sec.Unread}
		for _, ch := range sec.Changes {
			sv.Changes = append(sv.Changes, templates.ChangeVM{Path: ch.Path, Kind: string(ch.Kind), From: ch.From, To: ch.To})
		}
		vm.Sections = append(vm.Sections, sv)
	}
	return vm
}

// promotion is what a promotion promotes: a source of another tenant, or a document.
type promotion struct {
	from     *Tenant // nil for a document
	sourceID string
	raw      string // the document as uploaded, for a document
	doc      *sourcedoc.Document
	label    string
}

// promotionOf reads what the request promotes: from and source name a source of
// a tenant, document a document.
func (s *Server) promotionOf(c echo.Context, from, source, document string) (*promotion, error) {
	if document != "" {
		doc, err := sourcedoc.Parse([]byte(document))
		if err != nil {
			return nil, userErrorf(http.StatusUnprocessableEntity, "The document is not a source document: %s", strings.TrimPrefix(err.Error(), sourcedoc.ErrInvalid.Error()+": "))
		}
		return &promotion{raw: document, doc: doc, label: "the uploaded document"}, nil
	}
	t := s.tenantByKey(from)
	if t == nil || !validID(source) {
		return nil, userErrorf(http.StatusBadRequest, "Say which source to promote: a tenant and a source id.")
	}
	if err := s.needSignedIn(c, t); err != nil {
		return nil, err
	}
	doc, err := s.exportSource(c, t, source)
	if err != nil {
		return nil, err
	}
	return &promotion{from: t, sourceID: source, doc: doc, label: tenantName(t) + ": " + doc.Source.Name}, nil
}

// makePlan plans p on the request's tenant, as the user signed in there.
func (s *Server) makePlan(c echo.Context, p *promotion) (*sourcedoc.Plan, error) {
	target := s.tenantOf(c)
	var plan *sourcedoc.Plan
	err := s.callAPI(c, "plan the promotion of "+p.doc.Source.Name, func(ctx context.Context, cl *api.Client) error {
		var err error
		plan, err = sourcedoc.MakePlan(ctx, sourcedoc.Tenant{Name: tenantName(target), Client: cl}, p.doc)
		return err
	})
	if err != nil {
		return nil, err
	}
	if a := accessOf(c); !a.Write {
		plan.Blocking = append(plan.Blocking, fmt.Sprintf("Your user level on %s (%s) can change no source.", tenantName(target), a.Level))
	}
	return plan, nil
}

// promotePlan handles "GET /promote?from=&source=": the plan of promoting a
// source of another tenant to this one, to review.
func (s *Server) promotePlan(c echo.Context) error {
	return s.showPlan(c, c.QueryParam("from"), c.QueryParam("source"), "")
}

// promoteDocumentPlan handles "POST /promote": the plan of applying an uploaded
// document (carried from the comparison) to this tenant, to review.
func (s *Server) promoteDocumentPlan(c echo.Context) error {
	form, err := readForm(c)
	if err != nil {
		return err
	}
	if form.Get("document") == "" {
		return userErrorf(http.StatusBadRequest, "No document was sent.")
	}
	return s.showPlan(c, "", "", form.Get("document"))
}

// showPlan plans the promotion promotionOf reads and shows it to review.
func (s *Server) showPlan(c echo.Context, from, source, document string) error {
	p, err := s.promotionOf(c, from, source, document)
	if err != nil {
		return err
	}
	plan, err := s.makePlan(c, p)
	if err != nil {
		return err
	}
	return s.renderPlan(c, http.StatusOK, p, plan, false)
}

// renderPlan shows a plan to review; changed says it was made again because the
// target changed since the review.
func (s *Server) renderPlan(c echo.Context, status int, p *promotion, plan *sourcedoc.Plan, changed bool) error {
	target := s.tenantOf(c)
	tvm := templates.TenantVM{Key: target.Key, Name: tenantName(target), Color: target.Color}
	vm := templates.PlanVM{
		Source: p.doc.Source.Name, Tenant: tvm, From: p.label, Exists: !plan.Creates(),
		Blocking: plan.Blocking, Notes: plan.Notes, Secrets: plan.Secrets, Changed: changed,
		Diff:     compareVM(plan.Diff, tenantName(target)+": "+plan.Source, p.label),
		ApplyURL: "/promote/apply", CSRFToken: s.csrfToken(c), Document: p.raw, Fingerprint: plan.Fingerprint(),
	}
	vm.Diff.Missing = plan.Creates()
	if p.from != nil {
		vm.FromTenant, vm.FromSource = p.from.Key, p.sourceID
	}
	for i, st := range plan.Steps {
		vm.Steps = append(vm.Steps, planStepVM(i, st))
	}
	return s.render(c, status, Page{Title: "Promote " + p.doc.Source.Name, Section: "sources", Body: templates.PromotePlan(vm)})
}

// planStepVM maps one step (number i from 0) onto the view model, its body indented.
func planStepVM(i int, st sourcedoc.Step) templates.PlanStepVM {
	vm := templates.PlanStepVM{N: i + 1, Section: st.Section, Operation: st.Operation, Method: st.Method, Path: st.Path, Summary: st.Summary}
	if len(st.Body) > 0 {
		var buf bytes.Buffer
		if json.Indent(&buf, st.Body, "", "  ") == nil {
			vm.Body = buf.String()
		} else {
			vm.Body = string(st.Body)
		}
	}
	return vm
}

// promoteApply handles "POST /promote/apply": the reviewed plan, made again, is
// applied when it is the one reviewed (else shown again to review). The page is
// sent as the calls are made, one line each; the promotion stops at the first
// that fails and says what was done and what was not. Both tenants' activity
// logs record it.
func (s *Server) promoteApply(c echo.Context) error {
	form, err := readForm(c)
	if err != nil {
		return err
	}
	p, err := s.promotionOf(c, form.Get("from"), form.Get("source"), form.Get("document"))
	if err != nil {
		return err
	}
	plan, err := s.makePlan(c, p)
	if err != nil {
		return err
	}
	if plan.Fingerprint() != form.Get("fingerprint") {
		return s.renderPlan(c, http.StatusConflict, p, plan, true)
	}
	if !plan.Ready() || len(plan.Steps) == 0 {
		return s.renderPlan(c, http.StatusConflict, p, plan, false)
	}
	target := s.tenantOf(c)
	tvm := templates.TenantVM{Key: target.Key, Name: tenantName(target), Color: target.Color}

	// The page: the layout around the steps, sent as they are made.
	head, tail, err := s.pageAround(c, "Promote "+p.doc.Source.Name, "sources")
	if err != nil {
		return err
	}
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Add("Vary", "HX-Request")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a proxy passes the lines on as they come
	w.WriteHeader(http.StatusOK)
	ctx := templ.WithNonce(context.WithoutCancel(c.Request().Context()), cspNonce(c))
	ctx = templates.WithAccess(ctx, accessOf(c))
	send := func(comp templ.Component) {
		var buf bytes.Buffer
		if comp != nil && comp.Render(ctx, &buf) == nil {
			_, _ = w.Write(s.tenantLinks(c, buf.Bytes()))
		}
		w.Flush()
	}
	_, _ = w.Write(head)
	send(templates.ApplyHead(templates.ApplyHeadVM{Source: p.doc.Source.Name, Tenant: tvm, Calls: len(plan.Steps)}))

	// The calls go on when the client goes away (a closed tab, a dropped
	// connection): stopping half-way would leave the target half-promoted.
	applyCtx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), applyTimeout)
	defer cancel()
	res := &sourcedoc.Result{}
	runErr := s.runUpstream(c, applyCtx, target, false, func(ctx context.Context, cl *api.Client) error {
		res = sourcedoc.Apply(ctx, sourcedoc.Tenant{Name: tenantName(target), Client: cl}, plan, func(pr sourcedoc.Progress) {
			if !pr.Done {
				return
			}
			step := templates.ApplyStepVM{PlanStepVM: planStepVM(pr.Index, pr.Step), State: "done"}
			if pr.Err != nil {
				step.State, step.Error = "failed", s.inWords(pr.Err)
			}
			send(templates.ApplyStep(step))
		})
		return res.Err
	})
	if res.Failed == nil && runErr != nil && len(res.Done) == 0 {
		res.NotDone = plan.Steps // nothing was sent: the sign-in was gone
	}
	for i, st := range res.NotDone {
		send(templates.ApplyStep(templates.ApplyStepVM{PlanStepVM: planStepVM(len(plan.Steps)-len(res.NotDone)+i, st), State: "not-done"}))
	}
	result := templates.ApplyResultVM{OK: runErr == nil && res.OK(), Done: len(res.Done), Calls: len(plan.Steps), NotDone: len(res.NotDone), Secrets: plan.Secrets}
	if res.Failed != nil {
		result.Failed = res.Failed.Operation
	} else if runErr != nil {
		result.Failed, result.Error = "signing in", s.inWords(runErr)
	}
	if res.SourceID != "" {
		result.SourceURL = templates.SourceTabURL(res.SourceID, "")
	}
	if p.from != nil {
		result.CompareURL = s.tenantPath(p.from, templates.SourceTabURL(p.sourceID, "code/compare")+"?"+
			url.Values{"tenant": {target.Key}, "name": {p.doc.Source.Name}}.Encode())
	}
	// Marked before the result is shown, so the pages it links to read the new state.
	if res.SourceID != "" && len(res.Done) > 0 {
		if err := s.readsOf(c).Changed(applyCtx, sourceScope(res.SourceID), scopeLists, scopeStatus); err != nil {
			s.log.Warn("shared reads: a change could not be marked; copies may show the state before it until they expire",
				"route", c.Path(), "error", err)
		}
	}
	send(templates.ApplyResult(result))
	_, _ = w.Write(tail)
	w.Flush()

	s.recordPromotion(c, p, target, plan, res, runErr)
	return nil
}

// recordPromotion writes the promotion to the activity log of the target tenant
// and, for a source of another tenant, to that tenant's too, each under the user
// signed in there.
func (s *Server) recordPromotion(c echo.Context, p *promotion, target *Tenant, plan *sourcedoc.Plan, res *sourcedoc.Result, runErr error) {
	status, errText := http.StatusOK, ""
	if res.Failed != nil || runErr != nil {
		status, errText = http.StatusBadGateway, s.inWords(cmp.Or(res.Err, runErr))
	}
	details := map[string]string{"calls": fmt.Sprint(len(plan.Steps)), "done": fmt.Sprint(len(res.Done))}
	if res.Failed != nil {
		details["failed"] = res.Failed.Operation
	}
	from := "document"
	if p.from != nil {
		from = p.from.Key + ":" + p.sourceID
	}
	ctx := context.WithoutCancel(c.Request().Context()) // recorded when the client went away too
	entry := func(t *Tenant, sourceID string, extra map[string]string) {
		u, ok := s.cfg.Sessions.Current(session.WithTenant(ctx, t.Key))
		if !ok {
			return
		}
		d := map[string]string{}
		for k, v := range details {
			d[k] = v
		}
		for k, v := range extra {
			d[k] = v
		}
		s.recordActivity(ctx, activity.Entry{Tenant: t.Key, UserID: u.IdentityID, UserName: u.Name, SourceID: sourceID,
			Action: "source.promote", Method: c.Request().Method, Route: c.Path(), Status: status, Error: errText,
			RequestID: requestIDOf(c), Details: d})
	}
	entry(target, res.SourceID, map[string]string{"from": from})
	if p.from != nil && p.from != target {
		entry(p.from, p.sourceID, map[string]string{"to": target.Key + ":" + res.SourceID})
	}
}
