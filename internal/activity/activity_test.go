package activity

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"sourcedesk/internal/testservers"
)

// stores lists every implementation; each test runs against all of them.
var stores = []struct {
	name string
	open func(t *testing.T) Store
}{
	{"memory", func(t *testing.T) Store { return NewMemory() }},
	{"sqlite", func(t *testing.T) Store {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "log.db")+"?_pragma=busy_timeout(5000)")
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		s, err := NewSQL(context.Background(), db, SQLite)
		require.NoError(t, err)
		return s
	}},
	{"postgres", func(t *testing.T) Store {
		db, err := sql.Open("pgx", testservers.Postgres(t))
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		s, err := NewSQL(context.Background(), db, Postgres)
		require.NoError(t, err)
		return s
	}},
	{"redis", func(t *testing.T) Store {
		opts, err := redis.ParseURL(testservers.Redis(t))
		require.NoError(t, err)
		c := redis.NewClient(opts)
		t.Cleanup(func() { _ = c.Close() })
		return NewRedis(c, "sd:activity:")
	}},
}

func forEachStore(t *testing.T, f func(t *testing.T, s Store)) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			f(t, st.open(t))
		})
	}
}

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func seed(t *testing.T, s Store) []Entry {
	t.Helper()
	es := []Entry{
		{At: t0, UserID: "id-ada", UserName: "ada", SourceID: "src1", Action: "source.update", Status: 200,
			Details: map[string]string{"patch": `[{"op":"replace","path":"/description","value":"x"}]`}},
		{At: t0.Add(time.Minute), Tenant: "production", UserID: "id-bob", UserName: "bob", SourceID: "src2", Action: "source.delete", Status: 202, TaskID: "task-1"},
		{At: t0.Add(2 * time.Minute), UserID: "id-ada", UserName: "ada", SourceID: "src2", Action: "schedule.create", Status: 409, Error: "ISC says: exists"},
		{At: t0.Add(3 * time.Minute), Tenant: "sandbox", UserID: "id-ada", UserName: "ada", Action: "sign-in", Status: 200},
		// The same millisecond as the previous one: the id keeps them in order.
		{At: t0.Add(3*time.Minute + time.Microsecond), UserID: "id-bob", UserName: "bob", SourceID: "src1", Action: "upload.accounts", Status: 202, TaskID: "task-2",
			Details: map[string]string{"file": "a.csv", "size": "123", "sha256": "ab"}},
	}
	for i := range es {
		es[i].ID = NewID(es[i].At)
		require.NoError(t, s.Append(context.Background(), es[i]))
	}
	return es
}

func actions(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func TestStoreQuery(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		seed(t, s)
		ctx := context.Background()
		cases := []struct {
			name      string
			f         Filter
			want      []string
			wantTotal int
		}{
			{"all, newest first", Filter{}, []string{"upload.accounts", "sign-in", "schedule.create", "source.delete", "source.update"}, 5},
			{"by user id", Filter{User: "id-bob"}, []string{"upload.accounts", "source.delete"}, 2},
			{"by user name", Filter{User: "ada"}, []string{"sign-in", "schedule.create", "source.update"}, 3},
			{"by source", Filter{SourceID: "src2"}, []string{"schedule.create", "source.delete"}, 2},
			{"by action", Filter{Action: "source.delete"}, []string{"source.delete"}, 1},
			{"by action prefix", Filter{Action: "source."}, []string{"source.delete", "source.update"}, 2},
			{"from", Filter{From: t0.Add(2 * time.Minute)}, []string{"upload.accounts", "sign-in", "schedule.create"}, 3},
			{"to is exclusive", Filter{To: t0.Add(2 * time.Minute)}, []string{"source.delete", "source.update"}, 2},
			{"window", Filter{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, []string{"schedule.create", "source.delete"}, 2},
			{"with task", Filter{WithTask: true}, []string{"upload.accounts", "source.delete"}, 2},
			{"page 2 of 2", Filter{Offset: 2, Limit: 2}, []string{"schedule.create", "source.delete"}, 5},
			{"past the end", Filter{Offset: 10}, nil, 5},
			{"nothing matches", Filter{User: "nobody"}, nil, 0},
			{"one tenant's", Filter{Tenants: []string{"production"}}, []string{"source.delete"}, 1},
			{"a tenant's and those from before tenants", Filter{Tenants: []string{"sandbox", ""}}, []string{"upload.accounts", "sign-in", "schedule.create", "source.update"}, 4},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, total, err := s.Query(ctx, tc.f)
				require.NoError(t, err)
				assert.Equal(t, tc.want, actions(got))
				assert.Equal(t, tc.wantTotal, total)
			})
		}
	})
}

func TestStoreKeepsEntries(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		want := seed(t, s)
		got, _, err := s.Query(context.Background(), Filter{})
		require.NoError(t, err)
		require.Len(t, got, len(want))
		for i, e := range want {
			g := got[len(got)-1-i]
			assert.Equal(t, e.ID, g.ID)
			assert.True(t, e.At.Equal(g.At), "time %v, want %v", g.At, e.At)
			assert.Equal(t, e.Details, g.Details)
			assert.Equal(t, e.Error, g.Error)
			assert.Equal(t, e.Status, g.Status)
			assert.Equal(t, e.Tenant, g.Tenant)
		}
	})
}

func TestStoreTaskStatus(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		seed(t, s)
		ctx := context.Background()
		require.NoError(t, s.SetTaskStatus(ctx, "task-1", "SUCCESS"))
		got, _, err := s.Query(ctx, Filter{WithTask: true})
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, "", got[0].TaskStatus, "task-2 is still running")
		assert.Equal(t, "SUCCESS", got[1].TaskStatus)
	})
}

func TestStorePrune(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		seed(t, s)
		ctx := context.Background()
		require.NoError(t, s.Prune(ctx, t0.Add(2*time.Minute)))
		got, total, err := s.Query(ctx, Filter{})
		require.NoError(t, err)
		assert.Equal(t, []string{"upload.accounts", "sign-in", "schedule.create"}, actions(got))
		assert.Equal(t, 3, total)
	})
}

func TestAppendFillsIDAndTime(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		before := time.Now()
		for _, a := range []string{"first", "second", "third"} {
			require.NoError(t, s.Append(ctx, Entry{Action: a}))
		}
		got, _, err := s.Query(ctx, Filter{})
		require.NoError(t, err)
		assert.Equal(t, []string{"third", "second", "first"}, actions(got), "appends in one process keep their order")
		for _, e := range got {
			assert.NotEmpty(t, e.ID)
			assert.False(t, e.At.Before(before.Add(-time.Millisecond)))
		}
	})
}

func TestKeepForPrunesOldEntries(t *testing.T) {
	s := NewMemory()
	ctx, cancel := context.WithCancel(context.Background())
	now := t0.Add(100 * 24 * time.Hour)
	require.NoError(t, s.Append(ctx, Entry{At: t0, Action: "old"}))
	require.NoError(t, s.Append(ctx, Entry{At: now.Add(-time.Hour), Action: "recent"}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		KeepFor(ctx, s, 0, time.Hour, func() time.Time { return now }, func(err error) { t.Error(err) })
	}()
	require.Eventually(t, func() bool {
		_, total, _ := s.Query(ctx, Filter{})
		return total == 1
	}, 2*time.Second, 10*time.Millisecond, "the default 90-day retention drops the 100-day-old entry")
	cancel()
	<-done
	got, _, err := s.Query(context.Background(), Filter{})
	require.NoError(t, err)
	assert.Equal(t, []string{"recent"}, actions(got))
}

// A log written before the console knew several tenants gets the tenant column;
// its entries count as written before tenants ("").
func TestSQLLogFromBeforeTenantsIsKept(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "log.db")+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	_, err = db.ExecContext(ctx, `CREATE TABLE sd_activity (id TEXT PRIMARY KEY, at BIGINT NOT NULL, user_id TEXT NOT NULL,
		user_name TEXT NOT NULL, source_id TEXT NOT NULL, action TEXT NOT NULL, task_id TEXT NOT NULL, task_status TEXT NOT NULL, body TEXT NOT NULL)`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO sd_activity VALUES ('0001', 1, 'id-ada', 'ada', '', 'sign-in', '', '', '{"id":"0001","action":"sign-in"}')`)
	require.NoError(t, err)

	s, err := NewSQL(ctx, db, SQLite)
	require.NoError(t, err)
	require.NoError(t, s.Append(ctx, Entry{At: t0, Tenant: "production", Action: "source.update"}))
	_, err = NewSQL(ctx, db, SQLite)
	require.NoError(t, err, "opening it again changes nothing")
	old, n, err := s.Query(ctx, Filter{Tenants: []string{""}})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"sign-in"}, actions(old))
	prod, _, err := s.Query(ctx, Filter{Tenants: []string{"production"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"source.update"}, actions(prod))
}
