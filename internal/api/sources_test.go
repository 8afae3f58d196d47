package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/internal/api/filter"
)

func TestListSourcesQuery(t *testing.T) {
	var query url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.Query()
		w.Header().Set("X-Total-Count", "42")
		jsonHandler(200, `[`+sourceJSON+`]`)(w, r)
	}))
	defer srv.Close()
	c := newTestClient(t, srv)

	page, err := c.ListSources(context.Background(), api.ListSourcesParams{
		Limit: 10, Offset: 20, Count: true,
		Filters:          filter.And(filter.Sw("name", `a" or id eq "b`), filter.Eq("authoritative", true)),
		Sorters:          []string{"name", "-modified", "owner.name"},
		ForSubadmin:      "me",
		IncludeIDNSource: true,
	})
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"limit": {"10"}, "offset": {"20"}, "count": {"true"},
		"filters":          {`name sw "a\" or id eq \"b" and authoritative eq true`},
		"sorters":          {"name,-modified,owner.name"},
		"for-subadmin":     {"me"},
		"includeIDNSource": {"true"},
	}, query)
	assert.True(t, page.HasTotal)
	assert.Equal(t, 42, page.Total)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "HR", page.Items[0].Name)

	_, err = c.ListSources(context.Background(), api.ListSourcesParams{})
	require.NoError(t, err)
	assert.Empty(t, query, "zero values are not sent")
}

func TestListSourcesRejectsBadInputBeforeSending(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		jsonHandler(200, `[]`)(w, r)
	}))
	defer srv.Close()
	c := newTestClient(t, srv)

	_, err := c.ListSources(context.Background(), api.ListSourcesParams{Sorters: []string{"name,id"}})
	assert.ErrorContains(t, err, "invalid sorter")
	_, err = c.ListSources(context.Background(), api.ListSourcesParams{Filters: filter.Eq("name) or (id", "x")})
	assert.ErrorContains(t, err, "invalid field name")
	assert.Zero(t, calls.Load())
}

// pagedSources serves total sources, honouring limit and offset.
func pagedSources(total int, calls *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		if limit == 0 || limit > 250 {
			jsonHandler(400, `{"detailCode":"400.1 Bad Request Content","messages":[{"text":"limit"}]}`)(w, r)
			return
		}
		body := "["
		for i := offset; i < min(offset+limit, total); i++ {
			if i > offset {
				body += ","
			}
			body += fmt.Sprintf(`{"id":"s%d","name":"n%d","owner":null,"connector":"c"}`, i, i)
		}
		jsonHandler(200, body+"]")(w, r)
	}
}

func TestAllSourcesPages(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(pagedSources(601, &calls))
	defer srv.Close()
	c := newTestClient(t, srv)

	var ids []string
	for s, err := range c.AllSources(context.Background(), api.ListSourcesParams{Limit: 1000}) {
		require.NoError(t, err)
		ids = append(ids, s.ID)
	}
	require.Len(t, ids, 601)
	assert.Equal(t, "s0", ids[0])
	assert.Equal(t, "s600", ids[600])
	assert.EqualValues(t, 3, calls.Load(), "pages of 250, 250, 101")

	calls.Store(0)
	n := 0
	for range c.AllSources(context.Background(), api.ListSourcesParams{Limit: 10}) {
		if n++; n == 15 {
			break
		}
	}
	assert.EqualValues(t, 2, calls.Load(), "stopping early fetches no further page")
}

func TestAllSourcesYieldsTheError(t *testing.T) {
	srv := httptest.NewServer(jsonHandler(403, `{"detailCode":"403 Forbidden","messages":[{"text":"no"}]}`))
	defer srv.Close()
	var errs []error
	for _, err := range newTestClient(t, srv).AllSources(context.Background(), api.ListSourcesParams{}) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.True(t, api.IsForbidden(errs[0]))
}
