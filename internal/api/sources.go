package api

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"sourcedesk/internal/api/filter"
)

// MaxLimit is the largest page ISC serves on list endpoints.
const MaxLimit = 250

// ListSourcesParams are the query parameters of ListSources. Zero values are
// not sent, so ISC's defaults apply (limit 250, offset 0, no count).
type ListSourcesParams struct {
	// Limit is the page size, at most MaxLimit; 0 means ISC's default (250).
	Limit  int
	Offset int
	// Count asks for X-Total-Count (Page.Total); it costs ISC time.
	Count bool
	// Filters is built with package filter, e.g. filter.Eq("name", v).
	Filters filter.Expr
	// Sorters are field names, "-" prefixed for descending, e.g. "-modified".
	Sorters []string
	// ForSubadmin is an identity id or "me"; a SOURCE_SUBADMIN must send it.
	ForSubadmin string
	// IncludeIDNSource includes ISC's own IdentityNow source.
	IncludeIDNSource bool
}

// sorterRE is one sorter: an optional "-" and a field path.
var sorterRE = regexp.MustCompile(`^-?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

func (p ListSourcesParams) query() (url.Values, error) {
	q, err := listQuery(p.Limit, p.Offset, p.Count, p.Filters, p.Sorters)
	if err != nil {
		return nil, err
	}
	if p.ForSubadmin != "" {
		q.Set("for-subadmin", p.ForSubadmin)
	}
	if p.IncludeIDNSource {
		q.Set("includeIDNSource", "true")
	}
	return q, nil
}

// listQuery builds the standard collection parameters of a list operation:
// filters (checked by package filter), sorters (checked here) and paging.
func listQuery(limit, offset int, count bool, filters filter.Expr, sorters []string) (url.Values, error) {
	q := url.Values{}
	if err := filters.Err(); err != nil {
		return nil, err
	}
	if f := filters.String(); f != "" {
		q.Set("filters", f)
	}
	for _, s := range sorters {
		if !sorterRE.MatchString(s) {
			return nil, fmt.Errorf("invalid sorter %q", s)
		}
	}
	if len(sorters) > 0 {
		q.Set("sorters", strings.Join(sorters, ","))
	}
	setPaging(q, limit, offset, count)
	return q, nil
}

// setPaging sets the standard collection parameters that are not zero.
func setPaging(q url.Values, limit, offset int, count bool) {
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if count {
		q.Set("count", "true")
	}
}

// totalOf reads X-Total-Count into p.
func totalOf[T any](h http.Header, p *Page[T]) {
	if n, err := strconv.Atoi(h.Get("X-Total-Count")); err == nil {
		p.Total, p.HasTotal = n, true
	}
}

// ListSources is listSources: GET /sources, one page.
func (c *Client) ListSources(ctx context.Context, p ListSourcesParams) (Page[Source], error) {
	var page Page[Source]
	q, err := p.query()
	if err != nil {
		return page, fmt.Errorf("api: listSources: %w", err)
	}
	h, err := c.call(ctx, request{op: "listSources", method: http.MethodGet, path: "sources", query: q}, &page.Items)
	if err != nil {
		return page, err
	}
	totalOf(h, &page)
	return page, nil
}

// AllSources iterates over every source that p selects, from p.Offset on,
// fetching pages of p.Limit (at most MaxLimit; 0 means MaxLimit). It stops
// at the first error, which it yields with a zero Source.
func (c *Client) AllSources(ctx context.Context, p ListSourcesParams) iter.Seq2[Source, error] {
	return allPages(p.Limit, p.Offset, func(limit, offset int) ([]Source, error) {
		p.Limit, p.Offset, p.Count = limit, offset, false
		page, err := c.ListSources(ctx, p)
		return page.Items, err
	})
}

// allPages iterates over a paged list from offset on, fetching pages of limit
// items (at most MaxLimit; 0 means MaxLimit) until a short page. It stops at
// the first error, which it yields with a zero T.
func allPages[T any](limit, offset int, fetch func(limit, offset int) ([]T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if limit <= 0 || limit > MaxLimit {
			limit = MaxLimit
		}
		for {
			items, err := fetch(limit, offset)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if len(items) < limit {
				return
			}
			offset += len(items)
		}
	}
}

// CreateSource is createSource: POST /sources. With provisionAsCSV ISC
// makes a Delimited File source (leave src.Type empty then).
func (c *Client) CreateSource(ctx context.Context, src *Source, provisionAsCSV bool) (*Source, error) {
	var q url.Values
	if provisionAsCSV {
		q = url.Values{"provisionAsCsv": {"true"}}
	}
	var out Source
	_, err := c.call(ctx, request{op: "createSource", method: http.MethodPost, path: "sources", query: q, body: withoutID(src)}, &out)
	return result(&out, err)
}

// GetSource is getSource: GET /sources/{id}.
func (c *Client) GetSource(ctx context.Context, id string) (*Source, error) {
	var out Source
	_, err := c.call(ctx, request{op: "getSource", method: http.MethodGet, path: pathf("sources/%s", id)}, &out)
	return result(&out, err)
}

// PutSource is putSource: PUT /sources/{id}, a full replacement. id, type,
// authoritative, connector, connectorClass and passwordPolicies must not
// change (400). Send back what GetSource returned, edited: unknown members
// travel in Extra. src.ID is not sent: the spec marks it read-only, and the
// path names the source.
func (c *Client) PutSource(ctx context.Context, id string, src *Source) (*Source, error) {
	var out Source
	_, err := c.call(ctx, request{op: "putSource", method: http.MethodPut, path: pathf("sources/%s", id), body: withoutID(src)}, &out)
	return result(&out, err)
}

// UpdateSource is updateSource: PATCH /sources/{id} with JSON Patch
// operations; created and modified are immutable too.
func (c *Client) UpdateSource(ctx context.Context, id string, ops []JSONPatchOperation) (*Source, error) {
	var out Source
	_, err := c.call(ctx, patch("updateSource", pathf("sources/%s", id), ops), &out)
	return result(&out, err)
}

// DeleteSource is deleteSource: DELETE /sources/{id}. ISC answers 202 and
// deletes the accounts, then the source, in a task; poll GetTaskStatus.
func (c *Client) DeleteSource(ctx context.Context, id string) (*TaskResult, error) {
	var out TaskResult
	_, err := c.call(ctx, request{op: "deleteSource", method: http.MethodDelete, path: pathf("sources/%s", id)}, &out)
	return result(&out, err)
}

// GetSourceHealth is getSourceHealth: GET /sources/{sourceId}/source-health.
func (c *Client) GetSourceHealth(ctx context.Context, sourceID string) (*SourceHealth, error) {
	var out SourceHealth
	_, err := c.call(ctx, get("getSourceHealth", pathf("sources/%s/source-health", sourceID)), &out)
	return result(&out, err)
}

// GetSourceConnections is getSourceConnections: GET
// /sources/{sourceId}/connections, what depends on the source.
func (c *Client) GetSourceConnections(ctx context.Context, sourceID string) (*SourceConnections, error) {
	var out SourceConnections
	_, err := c.call(ctx, get("getSourceConnections", pathf("sources/%s/connections", sourceID)), &out)
	return result(&out, err)
}

// withoutID returns a copy of src without its read-only id.
func withoutID(src *Source) *Source {
	if src == nil {
		return nil
	}
	body := *src
	body.ID = ""
	return &body
}

// get describes a plain GET.
func get(op, path string) request { return request{op: op, method: http.MethodGet, path: path} }

// patch describes a JSON Patch request.
func patch(op, path string, ops []JSONPatchOperation) request {
	if ops == nil {
		ops = []JSONPatchOperation{}
	}
	return request{op: op, method: http.MethodPatch, path: path, body: ops, contentType: "application/json-patch+json"}
}

// result returns (v, nil) or (nil, err).
func result[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}
