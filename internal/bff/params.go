package bff

import (
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"
)

// idPattern is what an ISC object id (a source, schema, task, identity, policy) may
// look like in the console's URLs and forms. Ids end up in hx-get attributes and
// upstream paths, so anything else is refused before it goes anywhere.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// validID reports whether id looks like an ISC object id.
func validID(id string) bool { return idPattern.MatchString(id) }

// pathID returns the named path parameter when it is a plausible ISC id, or a 404.
func pathID(c echo.Context, name string) (string, error) {
	id := c.Param(name)
	if !validID(id) {
		return "", userErrorf(http.StatusNotFound, "There is nothing at this address.")
	}
	return id, nil
}
