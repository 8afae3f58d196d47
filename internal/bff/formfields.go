package bff

import (
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// checkFormText refuses a request whose query parameters or urlencoded form
// fields (names or values) hold a NUL byte or bytes that are not UTF-8 text:
// 400, naming the field, before any handler runs (so before any call to ISC).
// No field of the console takes binary data, and such bytes would otherwise
// reach ISC (a source name holding NUL) or the log. Multipart bodies are uploads,
// checked part by part by internal/upload; they are not read here.
func checkFormText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if err := checkValues("parameter", r.URL.Query()); err != nil {
			return err
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && isURLEncoded(r) {
			if err := r.ParseForm(); err != nil {
				return &UserError{Status: http.StatusBadRequest, Message: "The form could not be read. Reload the page and try again.", Err: err}
			}
			if err := checkValues("field", r.PostForm); err != nil {
				return err
			}
		}
		return next(c)
	}
}

func isURLEncoded(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	return err == nil && mt == echo.MIMEApplicationForm
}

// checkValues returns a 400 naming the first field (kind "field" or "parameter")
// whose name or value is not clean text.
func checkValues(kind string, vs url.Values) error {
	for name, values := range vs {
		if problem := textProblem(name); problem != "" {
			return fieldError(kind, name, "Its name "+problem)
		}
		for _, v := range values {
			if problem := textProblem(v); problem != "" {
				return fieldError(kind, name, "It "+problem)
			}
		}
	}
	return nil
}

// textProblem says what is wrong with s, or "" when it is clean text.
func textProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character, which no field accepts."
	case !utf8.ValidString(s):
		return "contains bytes that are not valid UTF-8 text."
	}
	return ""
}

func fieldError(kind, name, problem string) error {
	return userErrorf(http.StatusBadRequest, "The %s %s was refused. %s Correct it and send it again.", kind, strconv.Quote(name), problem)
}
