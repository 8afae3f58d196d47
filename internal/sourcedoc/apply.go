package sourcedoc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"sourcedesk/internal/api"
)

// Progress reports one step of Apply: once when it starts (Done false) and
// once when it ends (Done true, Err set when it failed).
type Progress struct {
	Index int // from 0
	Total int
	Step  Step
	Done  bool
	Err   error
}

// Result is what Apply did. Done are the steps that succeeded, in order;
// Failed the step that did not (nil when all did), Err why; NotDone the
// steps after it, never sent.
type Result struct {
	Done    []Step
	Failed  *Step
	Err     error
	NotDone []Step
	// SourceID is the target source's id, made by the plan when it created it.
	SourceID string
}

// OK reports whether every step was done.
func (r *Result) OK() bool { return r.Failed == nil && r.Err == nil }

// ErrBlocked is Apply's error for a plan with blocking problems.
var ErrBlocked = errors.New("the plan has blocking problems")

// Apply runs the plan's steps in order on t, reporting progress (when
// progress is not nil), and stops at the first failure. A plan that is not
// Ready sends nothing.
func Apply(ctx context.Context, t Tenant, p *Plan, progress func(Progress)) *Result {
	res := &Result{SourceID: p.SourceID}
	if !p.Ready() {
		res.Err = fmt.Errorf("%w: %s", ErrBlocked, strings.Join(p.Blocking, "; "))
		res.NotDone = p.Steps
		return res
	}
	report := func(pr Progress) {
		if progress != nil {
			progress(pr)
		}
	}
	ids := map[string]string{}
	for i, step := range p.Steps {
		report(Progress{Index: i, Total: len(p.Steps), Step: step})
		done, err := run(ctx, t.Client, step, ids)
		report(Progress{Index: i, Total: len(p.Steps), Step: done, Done: true, Err: err})
		if err != nil {
			res.Failed, res.Err = &done, err
			res.NotDone = p.Steps[i+1:]
			break
		}
		res.Done = append(res.Done, done)
	}
	if id := ids[newSourceID]; id != "" {
		res.SourceID = id
	}
	return res
}

// run sends one step with the ids earlier steps made filled in, and returns
// the step as sent (its operation changes when a schema is created rather than
// replaced).
func run(ctx context.Context, c *api.Client, s Step, ids map[string]string) (Step, error) {
	fill := func(v string) (string, error) {
		for k, id := range ids {
			v = strings.ReplaceAll(v, k, id)
		}
		if strings.Contains(v, "{new-") && !strings.Contains(v, "{new-schema-id:") {
			return "", fmt.Errorf("%s: an id an earlier step should have made is missing (%s)", s.Operation, v)
		}
		return v, nil
	}
	source, err := fill(s.source)
	if err != nil {
		return s, err
	}
	key, err := fill(s.key)
	if err != nil {
		return s, err
	}
	body, err := fill(string(s.Body))
	if err != nil {
		return s, err
	}
	if s.Path, err = fill(s.Path); err != nil {
		return s, err
	}
	s.Body = json.RawMessage(body)
	decode := func(v any) error {
		if err := json.Unmarshal(s.Body, v); err != nil {
			return fmt.Errorf("%s: the planned body does not decode: %w", s.Operation, err)
		}
		return nil
	}
	switch s.Operation {
	case "createSource":
		var src api.Source
		if err := decode(&src); err != nil {
			return s, err
		}
		out, err := c.CreateSource(ctx, &src, s.csv)
		if err != nil {
			return s, err
		}
		ids[newSourceID] = out.ID
		s.Path = "/sources/" + out.ID
	case "updateSource":
		var ops []api.JSONPatchOperation
		if err := decode(&ops); err != nil {
			return s, err
		}
		_, err = c.UpdateSource(ctx, source, ops)
	case "getSourceSchemas":
		var list []api.Schema
		if list, err = c.GetSourceSchemas(ctx, source, api.SchemaFilter{}); err == nil {
			for _, sc := range list {
				ids[newSchemaID(sc.Name)] = sc.ID
			}
		}
	case "createSourceSchema", "putSourceSchema":
		var sc api.Schema
		if err := decode(&sc); err != nil {
			return s, err
		}
		if s.Operation == "putSourceSchema" && !strings.HasPrefix(key, "{new-schema-id:") {
			_, err = c.PutSourceSchema(ctx, source, key, &sc)
			break
		}
		if s.Operation == "putSourceSchema" && !s.orElse {
			return s, fmt.Errorf("putSourceSchema: the schema %s has no id yet", sc.Name)
		}
		// The schema is new: ISC made none of that name with the source.
		s.Operation, s.Method, s.Path = "createSourceSchema", "POST", "/sources/"+source+"/schemas"
		sc.ID = ""
		var out *api.Schema
		if out, err = c.CreateSourceSchema(ctx, source, &sc); err == nil {
			ids[newSchemaID(sc.Name)] = out.ID
		}
	case "deleteSourceSchema":
		err = c.DeleteSourceSchema(ctx, source, key)
	case "createProvisioningPolicy", "putProvisioningPolicy":
		var pol api.ProvisioningPolicy
		if err := decode(&pol); err != nil {
			return s, err
		}
		if s.Operation == "createProvisioningPolicy" {
			_, err = c.CreateProvisioningPolicy(ctx, source, &pol)
		} else {
			_, err = c.PutProvisioningPolicy(ctx, source, api.UsageType(key), &pol)
		}
	case "deleteProvisioningPolicy":
		err = c.DeleteProvisioningPolicy(ctx, source, api.UsageType(key))
	case "createSourceSchedule":
		var sch api.Schedule
		if err := decode(&sch); err != nil {
			return s, err
		}
		_, err = c.CreateSourceSchedule(ctx, source, &sch)
	case "updateSourceSchedule":
		var ops []api.JSONPatchOperation
		if err := decode(&ops); err != nil {
			return s, err
		}
		_, err = c.UpdateSourceSchedule(ctx, source, api.ScheduleType(key), ops)
	case "deleteSourceSchedule":
		err = c.DeleteSourceSchedule(ctx, source, api.ScheduleType(key))
	case "putCorrelationConfig":
		var cc api.CorrelationConfig
		if err := decode(&cc); err != nil {
			return s, err
		}
		_, err = c.PutCorrelationConfig(ctx, source, &cc)
	case "putSourceAttrSyncConfig":
		var as api.AttrSyncSourceConfig
		if err := decode(&as); err != nil {
			return s, err
		}
		_, err = c.PutSourceAttrSyncConfig(ctx, source, &as)
	case "putNativeChangeDetectionConfig":
		var n api.NativeChangeDetectionConfig
		if err := decode(&n); err != nil {
			return s, err
		}
		_, err = c.PutNativeChangeDetectionConfig(ctx, source, &n)
	case "updateSourceEntitlementRequestConfig":
		var er api.SourceEntitlementRequestConfig
		if err := decode(&er); err != nil {
			return s, err
		}
		_, err = c.UpdateSourceEntitlementRequestConfig(ctx, source, &er)
	case "updatePasswordPolicyHolders":
		var hs []api.PasswordPolicyHolder
		if err := decode(&hs); err != nil {
			return s, err
		}
		_, err = c.UpdatePasswordPolicyHolders(ctx, source, hs)
	default:
		err = fmt.Errorf("%s: not an operation a plan makes", s.Operation)
	}
	return s, err
}
