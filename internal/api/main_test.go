package api_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: an upload
// writer, a retry timer or a response body reader.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
