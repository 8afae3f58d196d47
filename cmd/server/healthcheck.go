package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthcheck is `sourcedesk healthcheck [PATH]`: it asks the console running in
// this container (on ADDR, through loopback) for PATH, /readyz unless told, and
// reports success by its exit status. The image is distroless, with no shell or
// curl, so a compose or Docker HEALTHCHECK runs the binary itself.
func healthcheck(getenv func(string) string, args []string, out io.Writer) int {
	path := "/readyz"
	if len(args) > 0 {
		path = args[0]
	}
	if path != "/readyz" && path != "/healthz" {
		fmt.Fprintf(out, "healthcheck: PATH must be /readyz or /healthz, not %q\n", path)
		return 2
	}
	addr, err := lookup(getenv, "ADDR")
	if err == nil && addr == "" {
		addr = settingDefault("ADDR")
	}
	if err == nil {
		err = checkHostPort(addr)
	}
	if err != nil {
		fmt.Fprintf(out, "healthcheck: ADDR: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+loopbackAddr(addr)+path, nil)
	if err != nil {
		fmt.Fprintf(out, "healthcheck: %v\n", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(out, "healthcheck: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	fmt.Fprintf(out, "%s %d %s\n", path, resp.StatusCode, strings.TrimSpace(string(body)))
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

// loopbackAddr is how this machine reaches a listener on addr: a listener on every
// interface (0.0.0.0, [::] or no host; Go's are dual-stack) is asked through
// 127.0.0.1.
func loopbackAddr(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// settingDefault is the default of the setting name in the table.
func settingDefault(name string) string {
	for _, s := range settings {
		if s.name == name {
			return s.def
		}
	}
	return ""
}
