package bff

import (
	"errors"
	"net/http"
	"net/url"
	"sourcedesk/internal/api"
	"sourcedesk/web/templates"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// Reading forms in handlers: one reader, the bounds of repeating forms, and ISC's
// refusals put next to the fields they name. (formfields.go refuses fields that are
// not text before any handler runs.)

// readForm returns the fields of a small urlencoded form. A multipart body is refused
// with 415: parsing it would buffer it whole, and only the upload routes take one, as
// a stream (internal/upload).
func readForm(c echo.Context) (url.Values, error) {
	r := c.Request()
	if r.Header.Get(echo.HeaderContentType) != "" && !isURLEncoded(r) {
		return nil, userErrorf(http.StatusUnsupportedMediaType, "This form must be sent as application/x-www-form-urlencoded.")
	}
	form, err := c.FormParams()
	if err != nil {
		return nil, &UserError{Status: http.StatusBadRequest, Message: "The form could not be read.", Err: err}
	}
	return form, nil
}

// maxFormRows caps the rows of the repeating forms (correlation, approvals, policies).
const maxFormRows = 50

// formRows reads the row count a repeating form sends, bounded.
func formRows(form url.Values, key string) int {
	n, err := strconv.Atoi(form.Get(key))
	if err != nil || n < 0 {
		return 0
	}
	return min(n, maxFormRows)
}

// lines splits a textarea into its non-empty, trimmed lines.
func lines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// iscRejection reports whether err is ISC refusing the input (400), with its messages.
func iscRejection(err error) ([]string, bool) {
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		return nil, false
	}
	msgs := ae.Messages
	if len(msgs) == 0 {
		msgs = []string{"ISC refused the request without saying why."}
	}
	return msgs, true
}

// fieldWord maps a word in ISC's messages to the form field it is about.
type fieldWord struct{ word, field string }

// fieldsFromISC puts ISC's messages next to the fields they name; the rest go on top
// of the form.
func fieldsFromISC(msgs []string, words []fieldWord) (templates.FieldErrors, string) {
	errs := templates.FieldErrors{}
	var rest []string
	for _, m := range msgs {
		lower := strings.ToLower(m)
		placed := false
		for _, w := range words {
			if strings.Contains(lower, w.word) {
				if prev, ok := errs[w.field]; ok {
					m = prev + " " + m
				}
				errs[w.field] = "ISC says: " + strings.TrimPrefix(m, "ISC says: ")
				placed = true
				break
			}
		}
		if !placed {
			rest = append(rest, m)
		}
	}
	top := "ISC refused the change; see the messages next to the fields."
	if len(rest) > 0 {
		top = "ISC refused the change: " + strings.Join(rest, " ")
	}
	return errs, top
}
