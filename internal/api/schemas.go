package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// SchemaFilter narrows GetSourceSchemas. ISC honours IncludeTypes "group"
// (group schemas only); otherwise IncludeNames, if set, selects by name.
type SchemaFilter struct {
	IncludeTypes string // "group" or "user"
	IncludeNames string
}

// GetSourceSchemas is getSourceSchemas: GET /sources/{sourceId}/schemas.
func (c *Client) GetSourceSchemas(ctx context.Context, sourceID string, f SchemaFilter) ([]Schema, error) {
	r := get("getSourceSchemas", pathf("sources/%s/schemas", sourceID))
	r.query = url.Values{}
	if f.IncludeTypes != "" {
		r.query.Set("include-types", f.IncludeTypes)
	}
	if f.IncludeNames != "" {
		r.query.Set("include-names", f.IncludeNames)
	}
	var out []Schema
	if _, err := c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateSourceSchema is createSourceSchema: POST /sources/{sourceId}/schemas.
func (c *Client) CreateSourceSchema(ctx context.Context, sourceID string, s *Schema) (*Schema, error) {
	var out Schema
	_, err := c.call(ctx, post("createSourceSchema", pathf("sources/%s/schemas", sourceID), s), &out)
	return result(&out, err)
}

// GetSourceSchema is getSourceSchema: GET /sources/{sourceId}/schemas/{schemaId}.
func (c *Client) GetSourceSchema(ctx context.Context, sourceID, schemaID string) (*Schema, error) {
	var out Schema
	_, err := c.call(ctx, get("getSourceSchema", pathf("sources/%s/schemas/%s", sourceID, schemaID)), &out)
	return result(&out, err)
}

// PutSourceSchema is putSourceSchema: PUT /sources/{sourceId}/schemas/{schemaId}.
// s.ID must be set; id, name, created and modified must not change.
func (c *Client) PutSourceSchema(ctx context.Context, sourceID, schemaID string, s *Schema) (*Schema, error) {
	var out Schema
	_, err := c.call(ctx, put("putSourceSchema", pathf("sources/%s/schemas/%s", sourceID, schemaID), s), &out)
	return result(&out, err)
}

// UpdateSourceSchema is updateSourceSchema: PATCH
// /sources/{sourceId}/schemas/{schemaId} with JSON Patch, e.g.
// PatchAdd("/attributes/-", AttributeDefinition{...}).
func (c *Client) UpdateSourceSchema(ctx context.Context, sourceID, schemaID string, ops []JSONPatchOperation) (*Schema, error) {
	var out Schema
	_, err := c.call(ctx, patch("updateSourceSchema", pathf("sources/%s/schemas/%s", sourceID, schemaID), ops), &out)
	return result(&out, err)
}

// DeleteSourceSchema is deleteSourceSchema: DELETE /sources/{sourceId}/schemas/{schemaId}.
func (c *Client) DeleteSourceSchema(ctx context.Context, sourceID, schemaID string) error {
	_, err := c.call(ctx, del("deleteSourceSchema", pathf("sources/%s/schemas/%s", sourceID, schemaID)), nil)
	return err
}

// GetAccountsSchema is getAccountsSchema: GET /sources/{id}/schemas/accounts,
// the account schema as a CSV header (Delimited File sources only). The
// caller reads and closes the stream; ctx bounds the reading too.
func (c *Client) GetAccountsSchema(ctx context.Context, id string) (io.ReadCloser, error) {
	return c.download(ctx, "getAccountsSchema", pathf("sources/%s/schemas/accounts", id), nil)
}

// GetEntitlementsSchema is getEntitlementsSchema: GET
// /sources/{id}/schemas/entitlements, as CSV; schemaName is optional.
func (c *Client) GetEntitlementsSchema(ctx context.Context, id, schemaName string) (io.ReadCloser, error) {
	var q url.Values
	if schemaName != "" {
		q = url.Values{"schemaName": {schemaName}}
	}
	return c.download(ctx, "getEntitlementsSchema", pathf("sources/%s/schemas/entitlements", id), q)
}

// download performs a GET whose 2xx body is returned unread.
func (c *Client) download(ctx context.Context, op, path string, q url.Values) (io.ReadCloser, error) {
	resp, err := c.send(ctx, request{op: op, method: http.MethodGet, path: path, query: q, accept: "text/csv"})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
