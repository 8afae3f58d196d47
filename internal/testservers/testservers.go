// Package testservers starts real Redis and Postgres servers for tests, on
// random loopback ports and without persistence, so store code is tested
// against the real thing rather than a mock.
//
// A missing binary skips the test with a message naming what to install, except
// under `make test`, where it fails the test (see Tool.Missing); SKIP_REDIS=1 and
// SKIP_POSTGRES=1 opt out of those tests. Chromium, for the browser tests, is
// found the same way (Chromium).
//
// Redis and Postgres share one server per test binary, started on first use;
// a package that calls them stops the servers from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testservers.Run(m)) }
//
// NewRedis starts a server for one test alone, for tests that stop it.
package testservers

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisDatabases is how many logical databases the shared redis-server has.
// Each Redis call takes the next one and flushes it; with enough of them a
// parallel test does not get a database another running test still uses.
const redisDatabases = 256

// shared holds the servers this test binary started for Redis and Postgres.
var shared struct {
	mu       sync.Mutex
	redis    *RedisServer
	redisErr error
	pgURL    string
	pgErr    error
	pgStop   func()
	dbs      int
}

// Run runs the tests, stops the shared servers Redis and Postgres started, and
// returns the exit code for os.Exit. Call it from TestMain.
func Run(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.redis != nil {
		shared.redis.stop()
	}
	if shared.pgStop != nil {
		shared.pgStop()
	}
	return code
}

// Redis returns the URL of an empty logical database on the test binary's
// shared redis-server, e.g. "redis://127.0.0.1:40123/7".
func Redis(t testing.TB) string {
	t.Helper()
	RedisTool.Need(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.redis == nil && shared.redisErr == nil {
		shared.redis, shared.redisErr = StartRedis("--databases", fmt.Sprint(redisDatabases))
	}
	if shared.redisErr != nil {
		RedisTool.Missing(t, shared.redisErr)
	}
	shared.dbs++
	u := fmt.Sprintf("%s/%d", shared.redis.addr(), shared.dbs%redisDatabases)
	if err := flush(u); err != nil {
		t.Fatalf("flush redis: %v", err)
	}
	return u
}

func flush(u string) error {
	opts, err := redis.ParseURL(u)
	if err != nil {
		return err
	}
	c := redis.NewClient(opts)
	defer c.Close()
	return c.FlushDB(context.Background()).Err()
}

// RedisServer is a redis-server of one test's own.
type RedisServer struct {
	// URL is the server's database 0, e.g. "redis://127.0.0.1:40123/0".
	URL string

	bin  string
	args []string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// NewRedis starts a redis-server for t alone, stopped when t ends. Use it when
// the test stops the server (Stop, Start); Redis is cheaper otherwise.
func NewRedis(t testing.TB) *RedisServer {
	t.Helper()
	RedisTool.Need(t)
	r, err := StartRedis()
	if err != nil {
		RedisTool.Missing(t, err)
	}
	t.Cleanup(r.stop)
	return r
}

// Stop kills the server, as a crash or a network cut would look to a client.
func (r *RedisServer) Stop() { r.stop() }

// Start starts the stopped server again, empty, on the same port; it does
// nothing when the server runs.
func (r *RedisServer) Start(t testing.TB) {
	t.Helper()
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
}

// Restart starts a stopped server again on the same port (nothing when it runs).
func (r *RedisServer) Restart() error {
	if r.cmd != nil {
		return nil
	}
	return r.start()
}

// StartRedis starts a redis-server on a free loopback port, with no persistence and
// the extra arguments given. Tests use Redis or NewRedis; programs such as the bench
// runner call this and Stop the server themselves.
func StartRedis(args ...string) (*RedisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not on PATH (apt-get install redis-server)")
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	r := &RedisServer{bin: bin, args: args, port: port}
	r.URL = r.addr() + "/0"
	if err := r.start(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RedisServer) addr() string { return fmt.Sprintf("redis://127.0.0.1:%d", r.port) }

func (r *RedisServer) start() error {
	args := append([]string{"--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, r.args...)
	cmd := exec.Command(r.bin, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
	defer c.Close()
	for range 100 {
		if c.Ping(context.Background()).Err() == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.stop()
	return fmt.Errorf("redis-server did not answer on port %d", r.port)
}

// stop kills this server's own process, by pid, and waits for it; it does
// nothing when the server is already stopped.
func (r *RedisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// Postgres returns the URL of an empty database on the test binary's shared
// Postgres cluster, e.g. "postgres://postgres@127.0.0.1:40123/sd_test_3?sslmode=disable".
func Postgres(t testing.TB) string {
	t.Helper()
	PostgresTool.Need(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.pgURL == "" && shared.pgErr == nil {
		shared.pgURL, shared.pgStop, shared.pgErr = StartPostgres()
	}
	if shared.pgErr != nil {
		PostgresTool.Missing(t, shared.pgErr)
	}
	shared.dbs++
	name := fmt.Sprintf("sd_test_%d", shared.dbs)
	if out, err := exec.Command("psql", shared.pgURL+"/postgres", "-c", "CREATE DATABASE "+name).CombinedOutput(); err != nil {
		t.Fatalf("create database: %v: %s", err, out)
	}
	return shared.pgURL + "/" + name + "?sslmode=disable"
}

// StartPostgres creates a cluster in a temporary directory (initdb, trust
// authentication), starts it with pg_ctl, and returns its base URL
// ("postgres://postgres@127.0.0.1:PORT", no database) and the func that stops it and
// removes the directory. Tests use Postgres; programs call this themselves.
func StartPostgres() (string, func(), error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	if len(dirs) == 0 {
		return "", nil, fmt.Errorf("no PostgreSQL server in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
	}
	bin := dirs[len(dirs)-1]
	if _, err := exec.LookPath("psql"); err != nil {
		return "", nil, fmt.Errorf("psql is not on PATH (apt-get install postgresql-client)")
	}
	// initdb refuses to run as root: run the cluster as the postgres user if we are root.
	asUser := func(name string, args ...string) *exec.Cmd {
		if os.Geteuid() == 0 {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
		}
		return exec.Command(name, args...)
	}
	dir, err := os.MkdirTemp("", "sd-pg-")
	if err != nil {
		return "", nil, err
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			return "", nil, fmt.Errorf("chown: %v: %s", err, out)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := asUser(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := FreePort()
	if err != nil {
		return "", nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	if out, err := asUser(filepath.Join(bin, "pg_ctl"), "-D", data, "-o", opts, "-w", "-l", filepath.Join(dir, "log"), "start").CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("pg_ctl start: %v: %s", err, strings.TrimSpace(string(out)))
	}
	stop := func() {
		_ = asUser(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop").Run()
		_ = os.RemoveAll(dir)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d", port), stop, nil
}

// FreePort reserves a loopback port by listening on :0 and closing it.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
