package main

import (
	"context"
	"fmt"
	"os/exec"

	"sourcedesk/internal/testservers"
)

// startRedis starts a throwaway redis-server on a free loopback port (no
// persistence), stopped when the harness closes. It reports an error when
// redis-server is missing.
func (h *harness) startRedis(ctx context.Context) (*testservers.RedisServer, error) {
	r, err := testservers.StartRedis()
	if err != nil {
		return nil, err
	}
	h.onClose(r.Stop)
	return r, nil
}

// startPostgres starts a throwaway Postgres cluster (the same one the tests use),
// stopped when the harness closes, and returns the URL of a fresh database.
func (h *harness) startPostgres(ctx context.Context) (string, error) {
	base, stop, err := testservers.StartPostgres()
	if err != nil {
		return "", err
	}
	h.onClose(stop)
	if out, err := exec.CommandContext(ctx, "psql", base+"/postgres", "-c", "CREATE DATABASE sd_bench").CombinedOutput(); err != nil {
		return "", fmt.Errorf("create database: %v: %s", err, out)
	}
	return base + "/sd_bench?sslmode=disable", nil
}
