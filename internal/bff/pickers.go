package bff

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/api/filter"
	"sourcedesk/web/templates"
)

// Pickers let a user choose an identity, a cluster, a governance group, a
// password policy or a connector by name while the forms keep its id. Each is
// a labelled text input with a datalist of suggestions that htmx refreshes as
// the user types (GET /pickers/:kind?q=…); what was typed is resolved to an id
// on the server before anything is reviewed or sent, and a name that matches
// nothing (or several things) is refused next to the field.
//
// The lists come from ISC's read-only list operations. Who may call them
// differs (clusters, governance groups and password policies are ORG_ADMIN
// only); when ISC refuses, a picker offers the objects the user's own sources
// reference, which ISC names in those references. A SOURCE_SUBADMIN is always
// offered only the governance groups of the sources it manages.

// Picker kinds: the :kind of /pickers/:kind and the key of pickerSpecs.
const (
	pickOwner     = "owner"
	pickCluster   = "cluster"
	pickWorkgroup = "workgroup"
	pickPolicy    = "policy"
	pickConnector = "connector"
)

// pickItem is one object a picker offers.
type pickItem struct {
	ID   string // the id (a connector's script name)
	Name string
	// Detail tells objects of the same name apart (an identity's alias).
	Detail string
}

// Text is how the item is written in the picker's input: the name, with the
// detail in brackets when there is one.
func (p pickItem) Text() string {
	if p.Detail == "" {
		return p.Name
	}
	return p.Name + " (" + p.Detail + ")"
}

// pickerSpec describes a picker kind for messages.
type pickerSpec struct {
	noun  string // "identity"
	label string // what the input is labelled
}

var pickerSpecs = map[string]pickerSpec{
	pickOwner:     {"identity", "Owner"},
	pickCluster:   {"cluster", "Cluster"},
	pickWorkgroup: {"governance group", "Management workgroup (governance group)"},
	pickPolicy:    {"password policy", "Password policy"},
	pickConnector: {"connector", "Connector"},
}

// pickerSuggestions is how many suggestions a picker shows at once.
const pickerSuggestions = 20

// pickerTTL is how long the whole lists (clusters, groups, policies,
// connectors) are kept per user: they change rarely, and every form would
// otherwise read them again.
const pickerTTL = time.Minute

// pickerCache keeps the whole lists per user and kind.
type pickerCache struct {
	mu      sync.Mutex
	entries map[string]pickerEntry
}

type pickerEntry struct {
	at      time.Time
	items   []pickItem
	limited bool // ISC refused the list; the items come from the user's sources
}

// pickLists lists every item of a kind the user may pick (not identities: those
// are searched), from the cache when fresh. limited says the list is what the
// user's own sources reference, because ISC did not let the user list them.
func (s *Server) pickLists(c echo.Context, kind string) ([]pickItem, bool, error) {
	key := s.userCacheKey(c) + "\x00" + kind
	s.pickers.mu.Lock()
	if e, ok := s.pickers.entries[key]; ok && s.cfg.Now().Sub(e.at) < pickerTTL {
		s.pickers.mu.Unlock()
		return e.items, e.limited, nil
	}
	s.pickers.mu.Unlock()
	items, limited, err := s.fetchPickList(c, kind)
	if err != nil {
		return nil, false, err
	}
	s.pickers.mu.Lock()
	if s.pickers.entries == nil {
		s.pickers.entries = map[string]pickerEntry{}
	}
	s.pickers.entries[key] = pickerEntry{at: s.cfg.Now(), items: items, limited: limited}
	s.pickers.mu.Unlock()
	return items, limited, nil
}

func (s *Server) fetchPickList(c echo.Context, kind string) ([]pickItem, bool, error) {
	if kind == pickWorkgroup && isSubadmin(c) {
		// A subadmin manages the sources of its own groups only, and ISC lists
		// it exactly those sources: their groups are the ones it may pick.
		items, err := s.referencedItems(c, kind)
		return items, true, err
	}
	var items []pickItem
	err := s.callAPI(c, "list "+kind, func(ctx context.Context, cl *api.Client) error {
		items = items[:0]
		switch kind {
		case pickCluster:
			for mc, err := range cl.AllManagedClusters(ctx, api.ListParams{}) {
				if err != nil {
					return err
				}
				items = append(items, pickItem{ID: mc.ID, Name: mc.Name})
			}
		case pickWorkgroup:
			return listAll(ctx, func(ctx context.Context, offset int) (int, error) {
				page, err := cl.ListWorkgroups(ctx, api.ListParams{Limit: api.MaxLimit, Offset: offset, Sorters: []string{"name"}})
				for _, w := range page.Items {
					items = append(items, pickItem{ID: w.ID, Name: w.Name})
				}
				return len(page.Items), err
			})
		case pickPolicy:
			for p, err := range cl.AllPasswordPolicies(ctx) {
				if err != nil {
					return err
				}
				items = append(items, pickItem{ID: p.ID, Name: p.Name})
			}
		case pickConnector:
			for cn, err := range cl.AllConnectors(ctx, api.ConnectorListParams{}) {
				if err != nil {
					return err
				}
				items = append(items, pickItem{ID: cn.ScriptName, Name: cn.Name})
			}
		}
		return nil
	})
	if api.IsForbidden(err) {
		items, err := s.referencedItems(c, kind)
		return items, true, err
	}
	if err != nil {
		return nil, false, err
	}
	slices.SortStableFunc(items, func(a, b pickItem) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return items, false, nil
}

// listAll pages through a list until a short page.
func listAll(ctx context.Context, page func(ctx context.Context, offset int) (int, error)) error {
	for offset := 0; ; {
		n, err := page(ctx, offset)
		if err != nil || n < api.MaxLimit {
			return err
		}
		offset += n
	}
}

// referencedItems are the objects of a kind that the user's own sources
// reference, with the names ISC put in the references.
func (s *Server) referencedItems(c echo.Context, kind string) ([]pickItem, error) {
	list, err := s.visibleSources(c)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var items []pickItem
	add := func(id, name string) {
		if id != "" && !seen[id] {
			seen[id] = true
			items = append(items, pickItem{ID: id, Name: cmp.Or(name, id)})
		}
	}
	for i := range list {
		src := &list[i]
		switch kind {
		case pickCluster:
			if src.Cluster != nil {
				add(src.Cluster.ID, src.Cluster.Name)
			}
		case pickWorkgroup:
			if src.ManagementWorkgroup != nil {
				add(src.ManagementWorkgroup.ID, src.ManagementWorkgroup.Name)
			}
		case pickPolicy:
			for _, p := range src.PasswordPolicies {
				add(p.ID, p.Name)
			}
		case pickConnector:
			add(src.Connector, src.ConnectorName)
		case pickOwner:
			if src.Owner != nil {
				add(src.Owner.ID, src.Owner.Name)
			}
		}
	}
	slices.SortStableFunc(items, func(a, b pickItem) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return items, nil
}

// searchIdentities asks ISC for the active identities matching what was typed.
// ISC cannot filter identities by name, so each word is matched against the
// first name, last name, alias and email (starts with).
func (s *Server) searchIdentities(c echo.Context, q string, limit int) ([]pickItem, error) {
	p := api.PublicIdentitiesParams{ListParams: api.ListParams{Limit: limit, Sorters: []string{"name"}}}
	words := strings.Fields(q)
	if len(words) > 4 {
		words = words[:4]
	}
	var all []filter.Expr
	for _, w := range words {
		all = append(all, filter.Or(filter.Sw("firstname", w), filter.Sw("lastname", w), filter.Sw("alias", w), filter.Sw("email", w)))
	}
	if len(words) == 1 && validID(words[0]) && len(words[0]) >= 16 {
		all[0] = filter.Or(all[0], filter.Eq("id", words[0]))
	}
	p.Filters = filter.And(all...)
	page, err := fetchAPI(s, c, "find identities", func(ctx context.Context, cl *api.Client) (api.Page[api.PublicIdentity], error) {
		return cl.GetPublicIdentities(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	var items []pickItem
	for _, id := range page.Items {
		if id.Inactive() {
			continue // ISC cannot filter on the state
		}
		items = append(items, pickItem{ID: id.ID, Name: cmp.Or(id.Name, id.ID), Detail: cmp.Or(id.Alias, id.Email)})
	}
	return items, nil
}

// identityByID reads one identity (for resolving a typed id or a kept one).
func (s *Server) identitiesWhere(c echo.Context, f filter.Expr) ([]api.PublicIdentity, error) {
	page, err := fetchAPI(s, c, "find identities", func(ctx context.Context, cl *api.Client) (api.Page[api.PublicIdentity], error) {
		return cl.GetPublicIdentities(ctx, api.PublicIdentitiesParams{ListParams: api.ListParams{Limit: 10, Filters: f}})
	})
	return page.Items, err
}

// pickSuggestions are the items a picker suggests for what was typed.
func (s *Server) pickSuggestions(c echo.Context, kind, q string) ([]pickItem, bool, error) {
	q = strings.TrimSpace(q)
	if kind == pickOwner {
		if q == "" {
			items, err := s.searchIdentities(c, "", pickerSuggestions)
			return items, false, err
		}
		items, err := s.searchIdentities(c, q, pickerSuggestions)
		return items, false, err
	}
	items, limited, err := s.pickLists(c, kind)
	if err != nil {
		return nil, false, err
	}
	var out []pickItem
	lq := strings.ToLower(q)
	for _, it := range items {
		if lq == "" || strings.Contains(strings.ToLower(it.Name), lq) || strings.EqualFold(it.ID, q) {
			out = append(out, it)
		}
		if len(out) == pickerSuggestions {
			break
		}
	}
	return out, limited, nil
}

// pickerOptions handles "GET /pickers/:kind?field=F&F=typed" (or ?q=typed): the
// suggestions for a picker's datalist, as <option>s.
func (s *Server) pickerOptions(c echo.Context) error {
	kind := c.Param("kind")
	if _, ok := pickerSpecs[kind]; !ok {
		return userErrorf(http.StatusNotFound, "There is no such picker.")
	}
	// The picker's input sends its value under its own field name.
	q := c.QueryParam("q")
	if f := c.QueryParam("field"); f != "" && f != "field" {
		q = c.QueryParam(f)
	}
	if len(q) > 200 {
		return userErrorf(http.StatusBadRequest, "Type at most 200 characters.")
	}
	items, _, err := s.pickSuggestions(c, kind, q)
	if err != nil {
		return err
	}
	return s.renderFragment(c, http.StatusOK, templates.PickerOptions(pickOptionsVM(items)))
}

func pickOptionsVM(items []pickItem) []templates.PickerOptionVM {
	out := make([]templates.PickerOptionVM, 0, len(items))
	for _, it := range items {
		out = append(out, templates.PickerOptionVM{Value: it.Text(), ID: it.ID})
	}
	return out
}

// pickField resolves what the user typed into the picker field of a form: the object
// it names, or a message next to field in errs when it names none, several, or ISC
// could not be asked (then the item is empty).
func (s *Server) pickField(c echo.Context, errs templates.FieldErrors, kind, field, typed, keepID, keepText string) pickItem {
	it, msg, err := s.resolvePick(c, kind, typed, keepID, keepText)
	switch {
	case err != nil:
		errs[field] = "The " + pickerSpecs[kind].noun + " could not be checked: " + upstreamMessage(err)
	case msg != "":
		errs[field] = msg
	}
	return it
}

// resolvePick turns what was typed into a picker into an id. keepID and
// keepText are what the form last showed (the current value): unchanged text
// keeps that id without a call. It returns the item and "" or a message for
// the field: nothing matched, or several did.
func (s *Server) resolvePick(c echo.Context, kind, typed, keepID, keepText string) (pickItem, string, error) {
	typed = strings.TrimSpace(typed)
	spec := pickerSpecs[kind]
	if typed == "" {
		return pickItem{}, "", nil
	}
	if keepID != "" && keepText != "" && typed == keepText {
		return pickItem{ID: keepID, Name: keepText}, "", nil
	}
	var cands []pickItem
	if kind == pickOwner {
		var err error
		if cands, err = s.identityCandidates(c, typed); err != nil {
			return pickItem{}, "", err
		}
	} else {
		items, limited, err := s.pickLists(c, kind)
		if err != nil {
			return pickItem{}, "", err
		}
		for _, it := range items {
			if strings.EqualFold(it.Text(), typed) || strings.EqualFold(it.Name, typed) || it.ID == typed {
				cands = append(cands, it)
			}
		}
		if len(cands) == 0 && limited {
			return pickItem{}, fmt.Sprintf("No %s you can pick is named %q. Your user level cannot list every %s, so the choices are the ones your sources use.",
				spec.noun, typed, spec.noun), nil
		}
	}
	switch len(cands) {
	case 0:
		return pickItem{}, fmt.Sprintf("No %s is named %q. Pick one from the suggestions, or type its exact name or id.", spec.noun, typed), nil
	case 1:
		return cands[0], "", nil
	}
	return pickItem{}, fmt.Sprintf("Several %ss match %q. Pick one from the suggestions (they show which is which).", spec.noun, typed), nil
}

// identityCandidates finds the identities what was typed names: "Name
// (alias)" as the suggestions write it, an id, an alias, an email, or a full
// name (first and last).
func (s *Server) identityCandidates(c echo.Context, typed string) ([]pickItem, error) {
	name, detail := typed, ""
	if i := strings.LastIndex(typed, " ("); i > 0 && strings.HasSuffix(typed, ")") {
		name, detail = typed[:i], typed[i+2:len(typed)-1]
	}
	var f filter.Expr
	switch {
	case detail != "":
		f = filter.Or(filter.Eq("alias", detail), filter.Eq("email", detail))
	case strings.Contains(typed, "@"):
		f = filter.Eq("email", typed)
	case !strings.Contains(typed, " ") && validID(typed):
		f = filter.Or(filter.Eq("id", typed), filter.Eq("alias", typed))
	default:
		words := strings.Fields(typed)
		f = filter.And(filter.Eq("firstname", words[0]), filter.Eq("lastname", strings.Join(words[1:], " ")))
		if len(words) == 1 {
			f = filter.Eq("alias", typed)
		}
	}
	found, err := s.identitiesWhere(c, f)
	if err != nil {
		return nil, err
	}
	var out []pickItem
	for _, id := range found {
		it := pickItem{ID: id.ID, Name: cmp.Or(id.Name, id.ID), Detail: cmp.Or(id.Alias, id.Email)}
		if detail != "" && !strings.EqualFold(it.Name, name) {
			continue // "Name (alias)" must name the same identity twice
		}
		out = append(out, it)
	}
	return out, nil
}

// nameRefs fills in the names ISC left out of a source's references (owner,
// cluster, management workgroup, password policies), from the pickers' lists,
// so pages show names rather than ids. A reference that cannot be looked up
// keeps its id.
func (s *Server) nameRefs(c echo.Context, src *api.Source) {
	fill := func(kind string, refs ...*api.Reference) {
		var missing []*api.Reference
		for _, r := range refs {
			if r != nil && r.Name == "" && r.ID != "" {
				missing = append(missing, r)
			}
		}
		if len(missing) == 0 {
			return
		}
		names := map[string]string{}
		if kind == pickOwner {
			ids := make([]any, 0, len(missing))
			for _, r := range missing {
				ids = append(ids, r.ID)
			}
			found, err := s.identitiesWhere(c, filter.In("id", ids...))
			if err != nil {
				return
			}
			for _, id := range found {
				names[id.ID] = id.Name
			}
		} else {
			items, _, err := s.pickLists(c, kind)
			if err != nil {
				return
			}
			for _, it := range items {
				names[it.ID] = it.Name
			}
		}
		for _, r := range missing {
			r.Name = names[r.ID]
		}
	}
	fill(pickOwner, src.Owner)
	fill(pickCluster, src.Cluster)
	fill(pickWorkgroup, src.ManagementWorkgroup)
	policies := make([]*api.Reference, len(src.PasswordPolicies))
	for i := range src.PasswordPolicies {
		policies[i] = &src.PasswordPolicies[i]
	}
	fill(pickPolicy, policies...)
}

// pickerVM builds a picker for a form: its field names are field (the typed
// text), field+"_id" and field+"_was" (the last choice the page showed and the
// text it was shown as).
func pickerVM(kind, formID, field, text, id, was string, required bool, errs templates.FieldErrors) templates.PickerVM {
	spec := pickerSpecs[kind]
	return templates.PickerVM{
		Kind: kind, FormID: formID, Field: field, Label: spec.label, Text: text, ID: id, Was: was,
		Required: required, Error: errs[field],
	}
}
