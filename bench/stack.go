package main

import (
	"context"
	"fmt"

	"sourcedesk/bench/scenario"
)

// stack is a fresh sandbox tenant with console replicas in front of it.
type stack struct {
	tenant   *scenario.Tenant
	consoles []*console
}

// newStack starts a tenant and n consoles on the session store (all replicas
// share it and the key ring). env adds settings to every console.
func (h *harness) newStack(ctx context.Context, name string, n int, store string, env ...string) (*stack, error) {
	ps, err := ports(n)
	if err != nil {
		return nil, err
	}
	t, err := h.newTenant(ctx, ps...)
	if err != nil {
		return nil, err
	}
	st := &stack{tenant: t}
	for i, p := range ps {
		c, err := h.startConsole(ctx, consoleOpts{name: fmt.Sprintf("%s-%d", name, i+1), port: p, tenant: t, store: store, env: env})
		if err != nil {
			return nil, err
		}
		st.consoles = append(st.consoles, c)
	}
	return st, nil
}

// admin is the demo admin signing in by the code flow on the tenant's login page.
var admin = scenario.Credentials{Username: "admin", Password: "admin"}

// signIn returns a user signed in to the console as the demo admin.
func signIn(ctx context.Context, c *console) (*scenario.User, error) {
	u := scenario.NewUser(c.URL, nil)
	if err := u.SignIn(ctx, admin); err != nil {
		return nil, err
	}
	return u, nil
}
