package testservers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/testservers"
)

func TestMain(m *testing.M) { os.Exit(testservers.Run(m)) }

func redisClient(t *testing.T, u string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(u)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRedisGivesEachCallAnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	a := redisClient(t, testservers.Redis(t))
	require.NoError(t, a.Set(ctx, "k", "a", 0).Err())
	b := redisClient(t, testservers.Redis(t))
	n, err := b.Exists(ctx, "k").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "the second database does not see the first one's key")
	got, err := a.Get(ctx, "k").Result()
	require.NoError(t, err)
	assert.Equal(t, "a", got, "the first database keeps its key")
}

func TestNewRedisStopsAndStartsOnTheSamePort(t *testing.T) {
	ctx := context.Background()
	r := testservers.NewRedis(t)
	c := redisClient(t, r.URL)
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	r.Stop()
	assert.Error(t, c.Ping(ctx).Err(), "stopped")
	r.Start(t)
	require.NoError(t, c.Ping(ctx).Err(), "started again at the same URL")
	n, err := c.Exists(ctx, "k").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "without persistence the restarted server is empty")
}

func TestPostgresGivesEachCallItsOwnDatabase(t *testing.T) {
	ctx := context.Background()
	open := func(u string) *pgx.Conn {
		c, err := pgx.Connect(ctx, u)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close(ctx) })
		return c
	}
	a := open(testservers.Postgres(t))
	_, err := a.Exec(ctx, "CREATE TABLE t (x int)")
	require.NoError(t, err)
	b := open(testservers.Postgres(t))
	var n int
	require.NoError(t, b.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = 't'").Scan(&n))
	assert.Zero(t, n, "the second database does not have the first one's table")
}

// The spec checks find ../shared/isc beside the repository however the tests
// are built: `make test` builds with -trimpath, which hides the source paths a
// lookup from the compiled-in file name would rely on, and a spec check that
// cannot find its spec passes every request unchecked.
func TestSpecFilesAreFoundBesideTheRepository(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "isc", "isc-sources-v2025.yaml")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("../shared is not checked out beside the repository: %v", err)
	}
	for _, f := range testservers.SpecFiles() {
		_, err := os.Stat(f)
		assert.NoError(t, err, "the spec check loads %s", f)
	}
	assert.NotNil(t, testservers.NewSpecCheck(t), "requests to the sandbox are checked against the spec")
}
