package api

import (
	"context"
	"net/http"
	"net/url"
)

// GetCorrelationConfig is getCorrelationConfig: GET /sources/{id}/correlation-config.
func (c *Client) GetCorrelationConfig(ctx context.Context, id string) (*CorrelationConfig, error) {
	var out CorrelationConfig
	_, err := c.call(ctx, get("getCorrelationConfig", pathf("sources/%s/correlation-config", id)), &out)
	return result(&out, err)
}

// PutCorrelationConfig is putCorrelationConfig: PUT /sources/{id}/correlation-config.
func (c *Client) PutCorrelationConfig(ctx context.Context, id string, cfg *CorrelationConfig) (*CorrelationConfig, error) {
	var out CorrelationConfig
	_, err := c.call(ctx, put("putCorrelationConfig", pathf("sources/%s/correlation-config", id), cfg), &out)
	return result(&out, err)
}

// PageParams are the standard collection parameters; zero values are not sent.
type PageParams struct {
	Limit  int
	Offset int
	Count  bool
}

// ListPasswordPolicyHoldersOnSource is listPasswordPolicyHoldersOnSource:
// GET /sources/{sourceId}/password-policies.
func (c *Client) ListPasswordPolicyHoldersOnSource(ctx context.Context, sourceID string, p PageParams) (Page[PasswordPolicyHolder], error) {
	var page Page[PasswordPolicyHolder]
	q := url.Values{}
	setPaging(q, p.Limit, p.Offset, p.Count)
	r := request{op: "listPasswordPolicyHoldersOnSource", method: http.MethodGet, path: pathf("sources/%s/password-policies", sourceID), query: q}
	h, err := c.call(ctx, r, &page.Items)
	if err != nil {
		return page, err
	}
	totalOf(h, &page)
	return page, nil
}

// UpdatePasswordPolicyHolders is updatePasswordPolicyHolders: PATCH
// /sources/{sourceId}/password-policies. Despite the verb, the body is the
// plain JSON list of holders, not JSON Patch.
func (c *Client) UpdatePasswordPolicyHolders(ctx context.Context, sourceID string, holders []PasswordPolicyHolder) ([]PasswordPolicyHolder, error) {
	if holders == nil {
		holders = []PasswordPolicyHolder{}
	}
	var out []PasswordPolicyHolder
	r := request{op: "updatePasswordPolicyHolders", method: http.MethodPatch, path: pathf("sources/%s/password-policies", sourceID), body: holders}
	if _, err := c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetSourceConfig is getSourceConfig: GET /sources/{id}/connectors/source-config.
// locale (e.g. "en", "de", "zh-TW") is optional.
func (c *Client) GetSourceConfig(ctx context.Context, id, locale string) (*ConnectorDetail, error) {
	r := get("getSourceConfig", pathf("sources/%s/connectors/source-config", id))
	if locale != "" {
		r.query = url.Values{"locale": {locale}}
	}
	var out ConnectorDetail
	_, err := c.call(ctx, r, &out)
	return result(&out, err)
}

// GetNativeChangeDetectionConfig is getNativeChangeDetectionConfig:
// GET /sources/{sourceId}/native-change-detection-config.
func (c *Client) GetNativeChangeDetectionConfig(ctx context.Context, sourceID string) (*NativeChangeDetectionConfig, error) {
	var out NativeChangeDetectionConfig
	_, err := c.call(ctx, get("getNativeChangeDetectionConfig", pathf("sources/%s/native-change-detection-config", sourceID)), &out)
	return result(&out, err)
}

// PutNativeChangeDetectionConfig is putNativeChangeDetectionConfig:
// PUT /sources/{sourceId}/native-change-detection-config.
func (c *Client) PutNativeChangeDetectionConfig(ctx context.Context, sourceID string, cfg *NativeChangeDetectionConfig) (*NativeChangeDetectionConfig, error) {
	var out NativeChangeDetectionConfig
	_, err := c.call(ctx, put("putNativeChangeDetectionConfig", pathf("sources/%s/native-change-detection-config", sourceID), cfg), &out)
	return result(&out, err)
}

// DeleteNativeChangeDetectionConfig is deleteNativeChangeDetectionConfig:
// DELETE /sources/{sourceId}/native-change-detection-config.
func (c *Client) DeleteNativeChangeDetectionConfig(ctx context.Context, sourceID string) error {
	_, err := c.call(ctx, del("deleteNativeChangeDetectionConfig", pathf("sources/%s/native-change-detection-config", sourceID)), nil)
	return err
}

// GetSourceAttrSyncConfig is getSourceAttrSyncConfig (experimental):
// GET /sources/{id}/attribute-sync-config.
func (c *Client) GetSourceAttrSyncConfig(ctx context.Context, id string) (*AttrSyncSourceConfig, error) {
	r := get("getSourceAttrSyncConfig", pathf("sources/%s/attribute-sync-config", id))
	r.experimental = true
	var out AttrSyncSourceConfig
	_, err := c.call(ctx, r, &out)
	return result(&out, err)
}

// PutSourceAttrSyncConfig is putSourceAttrSyncConfig (experimental):
// PUT /sources/{id}/attribute-sync-config. Only attributes[].enabled may change.
func (c *Client) PutSourceAttrSyncConfig(ctx context.Context, id string, cfg *AttrSyncSourceConfig) (*AttrSyncSourceConfig, error) {
	r := put("putSourceAttrSyncConfig", pathf("sources/%s/attribute-sync-config", id), cfg)
	r.experimental = true
	var out AttrSyncSourceConfig
	_, err := c.call(ctx, r, &out)
	return result(&out, err)
}

// SyncAttributesForSource is syncAttributesForSource (experimental):
// POST /sources/{id}/synchronize-attributes; ISC answers 202 with a job.
func (c *Client) SyncAttributesForSource(ctx context.Context, id string) (*SourceSyncJob, error) {
	r := post("syncAttributesForSource", pathf("sources/%s/synchronize-attributes", id), nil)
	r.experimental = true
	var out SourceSyncJob
	_, err := c.call(ctx, r, &out)
	return result(&out, err)
}

// GetSourceEntitlementRequestConfig is getSourceEntitlementRequestConfig:
// GET /sources/{id}/entitlement-request-config.
func (c *Client) GetSourceEntitlementRequestConfig(ctx context.Context, id string) (*SourceEntitlementRequestConfig, error) {
	r := get("getSourceEntitlementRequestConfig", pathf("sources/%s/entitlement-request-config", id))
	r.experimental = true // SailPoint's SDK sends it here; harmless where not required
	var out SourceEntitlementRequestConfig
	_, err := c.call(ctx, r, &out)
	return result(&out, err)
}

// UpdateSourceEntitlementRequestConfig is updateSourceEntitlementRequestConfig:
// PUT /sources/{id}/entitlement-request-config.
func (c *Client) UpdateSourceEntitlementRequestConfig(ctx context.Context, id string, cfg *SourceEntitlementRequestConfig) (*SourceEntitlementRequestConfig, error) {
	r := put("updateSourceEntitlementRequestConfig", pathf("sources/%s/entitlement-request-config", id), cfg)
	r.experimental = true // as for GetSourceEntitlementRequestConfig
	var out SourceEntitlementRequestConfig
	_, err := c.call(ctx, r, &out)
	return result(&out, err)
}

// put describes a PUT with a JSON body.
func put(op, path string, body any) request {
	return request{op: op, method: http.MethodPut, path: path, body: body}
}

// post describes a POST with a JSON body, or none when body is nil.
func post(op, path string, body any) request {
	return request{op: op, method: http.MethodPost, path: path, body: body}
}

// del describes a DELETE.
func del(op, path string) request { return request{op: op, method: http.MethodDelete, path: path} }
