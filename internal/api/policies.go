package api

import "context"

// ListProvisioningPolicies is listProvisioningPolicies:
// GET /sources/{sourceId}/provisioning-policies.
func (c *Client) ListProvisioningPolicies(ctx context.Context, sourceID string) ([]ProvisioningPolicy, error) {
	var out []ProvisioningPolicy
	if _, err := c.call(ctx, get("listProvisioningPolicies", pathf("sources/%s/provisioning-policies", sourceID)), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateProvisioningPolicy is createProvisioningPolicy:
// POST /sources/{sourceId}/provisioning-policies.
func (c *Client) CreateProvisioningPolicy(ctx context.Context, sourceID string, p *ProvisioningPolicy) (*ProvisioningPolicy, error) {
	var out ProvisioningPolicy
	_, err := c.call(ctx, post("createProvisioningPolicy", pathf("sources/%s/provisioning-policies", sourceID), p), &out)
	return result(&out, err)
}

// GetProvisioningPolicy is getProvisioningPolicy:
// GET /sources/{sourceId}/provisioning-policies/{usageType}.
func (c *Client) GetProvisioningPolicy(ctx context.Context, sourceID string, usage UsageType) (*ProvisioningPolicy, error) {
	var out ProvisioningPolicy
	_, err := c.call(ctx, get("getProvisioningPolicy", policyPath(sourceID, usage)), &out)
	return result(&out, err)
}

// PutProvisioningPolicy is putProvisioningPolicy:
// PUT /sources/{sourceId}/provisioning-policies/{usageType}.
func (c *Client) PutProvisioningPolicy(ctx context.Context, sourceID string, usage UsageType, p *ProvisioningPolicy) (*ProvisioningPolicy, error) {
	var out ProvisioningPolicy
	_, err := c.call(ctx, put("putProvisioningPolicy", policyPath(sourceID, usage), p), &out)
	return result(&out, err)
}

// UpdateProvisioningPolicy is updateProvisioningPolicy: PATCH
// /sources/{sourceId}/provisioning-policies/{usageType} with JSON Patch.
func (c *Client) UpdateProvisioningPolicy(ctx context.Context, sourceID string, usage UsageType, ops []JSONPatchOperation) (*ProvisioningPolicy, error) {
	var out ProvisioningPolicy
	_, err := c.call(ctx, patch("updateProvisioningPolicy", policyPath(sourceID, usage), ops), &out)
	return result(&out, err)
}

// DeleteProvisioningPolicy is deleteProvisioningPolicy:
// DELETE /sources/{sourceId}/provisioning-policies/{usageType}.
func (c *Client) DeleteProvisioningPolicy(ctx context.Context, sourceID string, usage UsageType) error {
	_, err := c.call(ctx, del("deleteProvisioningPolicy", policyPath(sourceID, usage)), nil)
	return err
}

// UpdateProvisioningPoliciesInBulk is updateProvisioningPoliciesInBulk:
// POST /sources/{sourceId}/provisioning-policies/bulk-update.
func (c *Client) UpdateProvisioningPoliciesInBulk(ctx context.Context, sourceID string, policies []ProvisioningPolicy) ([]ProvisioningPolicy, error) {
	if policies == nil {
		policies = []ProvisioningPolicy{}
	}
	var out []ProvisioningPolicy
	if _, err := c.call(ctx, post("updateProvisioningPoliciesInBulk", pathf("sources/%s/provisioning-policies/bulk-update", sourceID), policies), &out); err != nil {
		return nil, err
	}
	return out, nil
}

func policyPath(sourceID string, usage UsageType) string {
	return pathf("sources/%s/provisioning-policies/%s", sourceID, string(usage))
}
