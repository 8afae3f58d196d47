package templates

import (
	"context"
	"strconv"
	"time"
)

type copyAgeKey struct{}

// WithCopyAge returns ctx saying that the page shows a copy shared between users
// (read from ISC by another request) that is age old; render puts it there when
// the request used one.
func WithCopyAge(ctx context.Context, age time.Duration) context.Context {
	return context.WithValue(ctx, copyAgeKey{}, age)
}

// CopyAge is how old the shared copy the page shows is, and whether it shows one.
func CopyAge(ctx context.Context) (time.Duration, bool) {
	age, ok := ctx.Value(copyAgeKey{}).(time.Duration)
	return age, ok
}

// AgeText says an age in words: "12 seconds", "1 minute", "3 minutes".
func AgeText(d time.Duration) string {
	switch s := int(d / time.Second); {
	case s == 1:
		return "1 second"
	case s < 60:
		return strconv.Itoa(s) + " seconds"
	case s < 120:
		return "1 minute"
	default:
		return strconv.Itoa(s/60) + " minutes"
	}
}

// refreshHeaders asks the console for ISC's current answer, as a hard reload does.
const refreshHeaders = `{"Cache-Control":"no-cache"}`
