package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxErrorBody caps how much of an error answer is kept in memory; ISC's
// error bodies are a few hundred bytes, so nothing real is cut off.
const maxErrorBody = 1 << 20

// Error is a non-2xx answer from ISC. Callers find it with errors.As, or
// with StatusOf and the Is* helpers.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// DetailCode is ISC's code, e.g. "404 Not found" or "400.1 Bad Request Content".
	DetailCode string
	// Messages are the human-readable texts of the answer, whatever its shape:
	// ErrorResponseDto messages[].text, the 401 "error", the 429 "message",
	// or a non-JSON body as text.
	Messages []string
	// Causes are ErrorResponseDto causes[].text.
	Causes []string
	// TrackingID is ISC's trackingId, to quote to SailPoint support.
	TrackingID string
	// RetryAfter is the wait the Retry-After header asked for (seconds or an
	// HTTP date); 0 when absent or unreadable.
	RetryAfter time.Duration
	// Operation is the operationId that failed, e.g. "getSource".
	Operation string
	// Body is the raw answer (up to 1 MiB).
	Body []byte

	retryAfterSent bool // a usable Retry-After header was present
}

// Error describes e in one line for logs. It may contain upstream text, so
// never show it to users as is.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "api: %s: HTTP %d", e.Operation, e.Status)
	if e.DetailCode != "" {
		fmt.Fprintf(&b, " (%s)", e.DetailCode)
	}
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	}
	if e.TrackingID != "" {
		fmt.Fprintf(&b, " [tracking %s]", e.TrackingID)
	}
	return b.String()
}

// errorBody is the union of the error shapes ISC sends.
type errorBody struct {
	// ErrorResponseDto (400, 403, 404, 500, ...).
	DetailCode string         `json:"detailCode"`
	TrackingID string         `json:"trackingId"`
	Messages   []ErrorMessage `json:"messages"`
	Causes     []ErrorMessage `json:"causes"`
	// 401 from the gateway: {"error": "JWT validation failed: ..."}, or an
	// OAuth error with an error_description.
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	// 429: {"message": " Rate Limit Exceeded "}.
	Message string `json:"message"`
}

// readError turns a non-2xx response into *Error. A body that ends early
// (reset, deadline) still gives an *Error with what was read.
func readError(op string, resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{Status: resp.StatusCode, Operation: op, Body: body}
	e.RetryAfter, e.retryAfterSent = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())

	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		// Not JSON (a proxy's HTML page, plain text): keep the text itself.
		if text := strings.TrimSpace(string(body)); text != "" {
			e.Messages = []string{text}
		}
		return e
	}
	e.DetailCode = eb.DetailCode
	e.TrackingID = eb.TrackingID
	for _, m := range eb.Messages {
		e.Messages = appendText(e.Messages, m.Text)
	}
	for _, m := range eb.Causes {
		e.Causes = appendText(e.Causes, m.Text)
	}
	e.Messages = appendText(e.Messages, eb.Error)
	e.Messages = appendText(e.Messages, eb.ErrorDescription)
	e.Messages = appendText(e.Messages, eb.Message)
	return e
}

func appendText(list []string, s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		list = append(list, s)
	}
	return list
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). ok is false when the value is absent or unreadable.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// StatusOf returns the HTTP status of the *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports whether err is a 404 from ISC.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsUnauthorized reports whether err is a 401 from ISC: the token is missing,
// invalid or expired, and the session layer should refresh it.
func IsUnauthorized(err error) bool { return StatusOf(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is a 403 from ISC: the user may not do this.
func IsForbidden(err error) bool { return StatusOf(err) == http.StatusForbidden }

// IsRateLimited reports whether err is a 429 from ISC; see Error.RetryAfter.
func IsRateLimited(err error) bool { return StatusOf(err) == http.StatusTooManyRequests }
