package bff

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"sourcedesk/web/static"
)

// staticFile handles "GET /static/:hash/*": an embedded asset. The URL carries the
// file's content hash (static.Path), so a matching hash may be cached for a year; a
// stale hash still gets the current file, but only briefly cached.
func (s *Server) staticFile(c echo.Context) error {
	name := c.Param("*")
	if name == "" || strings.Contains(name, "..") {
		return echo.ErrNotFound
	}
	want, ok := static.Hash(name)
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if c.Param("hash") == want {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=60")
	}
	http.ServeFileFS(c.Response(), c.Request(), static.FS(), name)
	return nil
}

// favicon handles "GET /favicon.ico": browsers ask for it whatever the page says.
func (s *Server) favicon(c echo.Context) error {
	b, err := fs.ReadFile(static.FS(), "img/favicon.svg")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/svg+xml", b)
}
