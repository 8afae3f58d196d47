package session

import (
	"os"
	"testing"

	"sourcedesk/internal/testservers"
)

// TestMain stops the Redis and Postgres servers the store tests start.
func TestMain(m *testing.M) { os.Exit(testservers.Run(m)) }
