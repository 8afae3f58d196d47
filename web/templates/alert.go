package templates

// errorHeading is the heading of a full-page error, in plain words.
func errorHeading(status int) string {
	switch {
	case status == 401:
		return "Please sign in"
	case status == 403:
		return "Not permitted"
	case status == 404:
		return "Not found"
	case status == 413:
		return "Too large"
	case status == 429:
		return "Too many requests"
	case status == 503:
		return "Temporarily unavailable"
	case status >= 500:
		return "Something went wrong"
	default:
		return "That did not work"
	}
}

// ErrorTitle is the page title of a full-page error.
func ErrorTitle(status int) string { return errorHeading(status) }
