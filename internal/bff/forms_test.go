package bff

import (
	"net/http"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// A form that htmx submits must still be a POST if it is submitted before htmx has
// loaded (or with JavaScript off): otherwise the browser sends a GET with every
// field in the URL, where connector attributes and other settings would land in
// history, logs and Referer headers.
func TestFormsSentByHTMXAreNeverGETs(t *testing.T) {
	env := newTestEnv(t, nil)
	src := "/sources/" + sandbox.SeedDelimitedSourceID
	pages := []string{"/sources", "/sources/new", src, src + "/configuration", src + "/schemas", src + "/import",
		src + "/provisioning", src + "/schedules", src + "/correlation", src + "/attribute-sync", src + "/change-detection",
		src + "/entitlement-requests", src + "/password-policies", src + "/tools", src + "/danger"}
	checked := 0
	for _, page := range pages {
		rec := env.do(http.MethodGet, page, nil, nil)
		require.Equal(t, http.StatusOK, rec.Code, page)
		parse(t, rec.Body).Find("form").Each(func(_ int, f *goquery.Selection) {
			for _, verb := range []string{"hx-post", "hx-put", "hx-patch", "hx-delete"} {
				if _, ok := f.Attr(verb); ok {
					checked++
					assert.Equal(t, "post", f.AttrOr("method", "get"), "%s: form %q (%s) would submit as GET without htmx", page, f.AttrOr("id", f.AttrOr("data-testid", "?")), verb)
				}
			}
		})
	}
	assert.Greater(t, checked, 10, "the pages have htmx forms to check")
}
