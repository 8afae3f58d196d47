package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a throwaway redis-server on a loopback port, with no persistence.
type redisServer struct {
	URL  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// startRedis starts redis-server on a free loopback port; stop it with stop (the
// harness also does at close). It reports an error when redis-server is missing.
func (h *harness) startRedis(ctx context.Context) (*redisServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &redisServer{URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port), port: port}
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	h.onClose(r.stop)
	return r, nil
}

func (r *redisServer) start(ctx context.Context) error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not on PATH (apt-get install redis-server)")
	}
	r.cmd = exec.Command(bin, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		return err
	}
	r.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(r.cmd, r.done)
	opts, _ := redis.ParseURL(r.URL)
	c := redis.NewClient(opts)
	defer c.Close()
	for range 100 {
		if c.Ping(ctx).Err() == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.stop()
	return fmt.Errorf("redis-server did not answer on port %d", r.port)
}

// stop kills this redis-server (its own pid only).
func (r *redisServer) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// startPostgres starts a throwaway Postgres cluster (initdb + pg_ctl, as the
// postgres user when run as root) and returns the URL of a fresh database, the
// same way internal/session's tests do.
func (h *harness) startPostgres(ctx context.Context) (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	if len(dirs) == 0 {
		return "", fmt.Errorf("no /usr/lib/postgresql/*/bin (apt-get install postgresql)")
	}
	bin := dirs[len(dirs)-1]
	if _, err := exec.LookPath("psql"); err != nil {
		return "", fmt.Errorf("psql not on PATH")
	}
	// Not CommandContext: the cluster must also stop when the run was interrupted.
	asUser := func(name string, args ...string) *exec.Cmd {
		if os.Geteuid() == 0 {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
		}
		return exec.Command(name, args...)
	}
	dir, err := os.MkdirTemp("", "sd-bench-pg-")
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
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	if out, err := asUser(filepath.Join(bin, "pg_ctl"), "-D", data, "-o", opts, "-w", "-l", filepath.Join(dir, "log"), "start").CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("pg_ctl start: %v: %s", err, strings.TrimSpace(string(out)))
	}
	h.onClose(func() {
		_ = asUser(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop").Run()
		_ = os.RemoveAll(dir)
	})
	base := fmt.Sprintf("postgres://postgres@127.0.0.1:%d", port)
	if out, err := exec.CommandContext(ctx, "psql", base+"/postgres", "-c", "CREATE DATABASE sd_bench").CombinedOutput(); err != nil {
		return "", fmt.Errorf("create database: %v: %s", err, out)
	}
	return base + "/sd_bench?sslmode=disable", nil
}
