package activity

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

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Real servers for the store tests, started once per test binary on random
// loopback ports. A missing binary skips the tests, unless CI is set: there the
// servers are part of the image and their absence is a failure.
var servers struct {
	mu       sync.Mutex
	redisURL string
	redisErr error
	redis    *exec.Cmd
	pgURL    string
	pgErr    error
	pgStop   func()
	dbs      int
}

func TestMain(m *testing.M) {
	code := m.Run()
	if servers.redis != nil {
		_ = servers.redis.Process.Kill()
		_ = servers.redis.Wait()
	}
	if servers.pgStop != nil {
		servers.pgStop()
	}
	os.Exit(code)
}

func skipOrFail(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: %v (CI is set, so the server must be available)", what, err)
	}
	t.Skipf("%s: %v", what, err)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// redisClient returns a client on a fresh logical database of a throwaway redis-server.
func redisClient(t testing.TB) *redis.Client {
	t.Helper()
	servers.mu.Lock()
	defer servers.mu.Unlock()
	if servers.redisURL == "" && servers.redisErr == nil {
		servers.redisURL, servers.redisErr = startRedis()
	}
	if servers.redisErr != nil {
		skipOrFail(t, "redis", servers.redisErr)
	}
	servers.dbs++
	opts, err := redis.ParseURL(fmt.Sprintf("%s/%d", servers.redisURL, servers.dbs%16))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flush redis: %v", err)
	}
	return c
}

func startRedis() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server is not on PATH; install it to run the Redis tests")
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return "", err
	}
	servers.redis = cmd
	u := fmt.Sprintf("redis://127.0.0.1:%d", port)
	opts, _ := redis.ParseURL(u)
	c := redis.NewClient(opts)
	defer c.Close()
	for range 100 {
		if c.Ping(context.Background()).Err() == nil {
			return u, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("redis-server did not answer on port %d", port)
}

// postgresURL returns the URL of a fresh database on a throwaway Postgres cluster.
func postgresURL(t testing.TB) string {
	t.Helper()
	servers.mu.Lock()
	defer servers.mu.Unlock()
	if servers.pgURL == "" && servers.pgErr == nil {
		servers.pgURL, servers.pgErr = startPostgres()
	}
	if servers.pgErr != nil {
		skipOrFail(t, "postgres", servers.pgErr)
	}
	servers.dbs++
	name := fmt.Sprintf("sd_activity_%d", servers.dbs)
	if out, err := exec.Command("psql", servers.pgURL+"/postgres", "-c", "CREATE DATABASE "+name).CombinedOutput(); err != nil {
		t.Fatalf("create database: %v: %s", err, out)
	}
	return servers.pgURL + "/" + name + "?sslmode=disable"
}

func startPostgres() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	if len(dirs) == 0 {
		return "", fmt.Errorf("no /usr/lib/postgresql/*/bin; install postgresql to run the Postgres tests")
	}
	bin := dirs[len(dirs)-1]
	if _, err := exec.LookPath("psql"); err != nil {
		return "", fmt.Errorf("psql is not on PATH")
	}
	// initdb refuses to run as root.
	asUser := func(name string, args ...string) *exec.Cmd {
		if os.Geteuid() == 0 {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
		}
		return exec.Command(name, args...)
	}
	dir, err := os.MkdirTemp("", "sd-activity-pg-")
	if err != nil {
		return "", err
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			return "", fmt.Errorf("chown: %v: %s", err, out)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := asUser(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	if out, err := asUser(filepath.Join(bin, "pg_ctl"), "-D", data, "-o", opts, "-w", "-l", filepath.Join(dir, "log"), "start").CombinedOutput(); err != nil {
		return "", fmt.Errorf("pg_ctl start: %v: %s", err, strings.TrimSpace(string(out)))
	}
	servers.pgStop = func() {
		_ = asUser(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop").Run()
		_ = os.RemoveAll(dir)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d", port), nil
}

func mustPGConfig(t testing.TB, u string) pgx.ConnConfig {
	t.Helper()
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	return *cfg
}
