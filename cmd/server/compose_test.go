package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The team portal's deploy/compose.yaml, read the way `docker compose up` reads it
// (compose-go is the Compose Specification's reference loader, the one docker
// compose uses: schema validation, variable interpolation, profiles), with the
// variables of deploy/example.env. No container engine runs here, so this is the
// check that the file an operator copies starts two working replicas.
func TestComposeTeamPortalRunsTwoReplicasOnOneStore(t *testing.T) {
	example, err := dotenv.GetEnvFromFile(nil, []string{filepath.Join("..", "..", "deploy", "example.env")})
	require.NoError(t, err, "deploy/example.env parses")
	for _, store := range []string{"redis", "postgres"} {
		t.Run(store, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range example {
				env[k] = v
			}
			if store != example["COMPOSE_PROFILES"] {
				for k, v := range commentedAlternative(t, store) {
					env[k] = v
				}
			}
			require.Equal(t, store, env["COMPOSE_PROFILES"])
			project := loadCompose(t, env)

			consoles := consoleServices(project)
			require.Len(t, consoles, 2, "two console replicas")
			a, b := consoles[0], consoles[1]

			// Every variable the consoles get is one the console reads.
			for _, svc := range consoles {
				for name := range svc.Environment {
					assert.True(t, knownVariable(name), "%s sets %s, which is not in the configuration table", svc.Name, name)
				}
			}

			// Both replicas share the store and the keys: the same settings, the
			// keys from the same compose secret.
			assert.Equal(t, a.Environment, b.Environment, "the replicas are configured alike")
			storeURL := envValue(a, "SESSION_STORE")
			u, err := url.Parse(storeURL)
			require.NoError(t, err)
			assert.Equal(t, store, strings.TrimSuffix(u.Scheme, "ql"), "SESSION_STORE speaks the profile's store")
			storeSvc, err := project.GetService(u.Hostname())
			require.NoError(t, err, "SESSION_STORE names %s, a service this profile runs", u.Hostname())
			require.NotNil(t, storeSvc.HealthCheck, "the store has a health check the consoles wait on")
			for _, svc := range consoles {
				assert.Equal(t, types.ServiceConditionHealthy, svc.DependsOn[storeSvc.Name].Condition, "%s waits for a healthy store", svc.Name)
				assert.True(t, sharesNetwork(svc, storeSvc), "%s reaches %s", svc.Name, storeSvc.Name)
			}
			for _, other := range []string{"redis", "postgres"} {
				if other != store {
					_, err := project.GetService(other)
					assert.Error(t, err, "the %s profile does not start %s", store, other)
				}
			}
			keys := envValue(a, "SESSION_KEYS_FILE")
			assert.Equal(t, secretSource(t, a, keys), secretSource(t, b, keys), "both replicas read the keys from one secret")
			assert.Empty(t, envValue(a, "SESSION_KEYS"), "keys never sit in the environment")
			assert.Empty(t, envValue(a, "ISC_CLIENT_SECRET"), "the client secret never sits in the environment")

			// The configuration is valid as a whole, with the secrets the README
			// has the operator write.
			secrets := t.TempDir()
			key := make([]byte, 32)
			_, _ = rand.Read(key)
			require.NoError(t, os.WriteFile(filepath.Join(secrets, "session_keys"), []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(secrets, "isc_client_secret"), []byte("client-secret\n"), 0o600))
			cfg, err := loadConfig(func(name string) string {
				v := envValue(a, name)
				if rest, ok := strings.CutPrefix(v, "/run/secrets/"); ok {
					return filepath.Join(secrets, rest)
				}
				return v
			})
			require.NoError(t, err, "the replicas' configuration is valid")
			assert.False(t, cfg.DemoMode(), "a team portal talks to the tenant")
			assert.True(t, cfg.Secure(), "served over https: Secure, __Host- cookies")
			assert.Equal(t, storeURL, cfg.SessionStore)
			assert.Equal(t, [][]byte{key}, cfg.SessionKeyRing, "the key read from the secret")
			assert.Equal(t, "client-secret", cfg.ClientSecret)

			// Health checks, published ports and the rollout budget.
			_, port, err := net.SplitHostPort(cfg.Addr)
			require.NoError(t, err)
			published := map[string]bool{}
			for _, svc := range consoles {
				require.NotNil(t, svc.HealthCheck, "%s has a health check", svc.Name)
				assert.Equal(t, types.HealthCheckTest{"CMD", "/sourcedesk", "healthcheck", "/readyz"}, svc.HealthCheck.Test,
					"%s: the binary asks its own readiness (the image has no shell)", svc.Name)
				require.Len(t, svc.Ports, 1)
				assert.Equal(t, port, strconv.Itoa(int(svc.Ports[0].Target)), "%s publishes the port ADDR listens on", svc.Name)
				assert.Equal(t, "127.0.0.1", svc.Ports[0].HostIP, "%s is published on loopback only: TLS is the proxy's", svc.Name)
				published[svc.Ports[0].Published] = true
				require.NotNil(t, svc.StopGracePeriod)
				assert.Greater(t, time.Duration(*svc.StopGracePeriod), cfg.ShutdownDrain+cfg.ShutdownTimeout,
					"%s: compose waits longer than SHUTDOWN_DRAIN + SHUTDOWN_TIMEOUT before SIGKILL", svc.Name)
				assert.Positive(t, cfg.ShutdownDrain, "%s: not ready for a while before its listener closes", svc.Name)
			}
			assert.Len(t, published, 2, "each replica on its own host port, for the proxy to balance over")
		})
	}
}

// The healthcheck the compose file runs is the real entry point: it reports the
// console's readiness by its exit status, reaching a console that listens on
// every interface through loopback.
func TestHealthcheckCommandReportsReadiness(t *testing.T) {
	app := startApp(t, nil)
	u, err := url.Parse(app.ConsoleURL)
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(u.Host)
	require.NoError(t, err)
	var out strings.Builder
	env := map[string]string{"ADDR": "0.0.0.0:" + port}
	assert.Equal(t, 0, healthcheck(envOf(env), nil, &out), out.String())
	assert.Contains(t, out.String(), "/readyz 200 ready")
	out.Reset()
	assert.Equal(t, 0, healthcheck(envOf(env), []string{"/healthz"}, &out), out.String())

	out.Reset()
	assert.Equal(t, 2, healthcheck(envOf(env), []string{"/metrics"}, &out), "only the health endpoints")
	closed := map[string]string{"ADDR": "127.0.0.1:1"}
	out.Reset()
	assert.Equal(t, 1, healthcheck(envOf(closed), nil, &out), "nothing listening is unhealthy")
}

// commentedAlternative returns the variables of example.env's commented-out block
// for the other store ("# COMPOSE_PROFILES=postgres" and the lines after it), as
// an operator uncomments them.
func commentedAlternative(t *testing.T, store string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "example.env"))
	require.NoError(t, err)
	vars := map[string]string{}
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "# COMPOSE_PROFILES="+store {
			in = true
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "# "), "=")
		if !ok || !strings.HasPrefix(line, "# ") || strings.Contains(k, " ") {
			break
		}
		vars[k] = v
	}
	require.NotEmpty(t, vars, "example.env shows how to choose %s", store)
	return vars
}

func loadCompose(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join("..", "..", "deploy", "compose.yaml")},
		cli.WithEnv(list), cli.WithDefaultProfiles())
	require.NoError(t, err)
	project, err := opts.LoadProject(context.Background())
	require.NoError(t, err, "deploy/compose.yaml loads as docker compose would load it")
	return project
}

// consoleServices are the project's services that run the Sourcedesk image, by name.
func consoleServices(p *types.Project) []types.ServiceConfig {
	var out []types.ServiceConfig
	for _, name := range p.ServiceNames() {
		if svc := p.Services[name]; strings.HasPrefix(svc.Image, "sourcedesk:") {
			out = append(out, svc)
		}
	}
	return out
}

func envValue(svc types.ServiceConfig, name string) string {
	if v := svc.Environment[name]; v != nil {
		return *v
	}
	return ""
}

// secretSource is the compose secret mounted at path in svc.
func secretSource(t *testing.T, svc types.ServiceConfig, path string) string {
	t.Helper()
	for _, s := range svc.Secrets {
		target := s.Target
		if target == "" {
			target = s.Source
		}
		if !strings.HasPrefix(target, "/") {
			target = "/run/secrets/" + target
		}
		if target == path {
			return s.Source
		}
	}
	t.Fatalf("%s mounts no secret at %s", svc.Name, path)
	return ""
}

func sharesNetwork(a, b types.ServiceConfig) bool {
	for n := range a.Networks {
		if _, ok := b.Networks[n]; ok {
			return true
		}
	}
	return false
}
