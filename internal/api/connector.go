package api

import "context"

// TestSourceConnection is testSourceConnection: POST
// /sources/{sourceId}/connector/check-connection.
func (c *Client) TestSourceConnection(ctx context.Context, sourceID string) (*StatusResponse, error) {
	return c.connectorStatus(ctx, "testSourceConnection", pathf("sources/%s/connector/check-connection", sourceID))
}

// PingCluster is pingCluster: POST /sources/{sourceId}/connector/ping-cluster.
func (c *Client) PingCluster(ctx context.Context, sourceID string) (*StatusResponse, error) {
	return c.connectorStatus(ctx, "pingCluster", pathf("sources/%s/connector/ping-cluster", sourceID))
}

// TestSourceConfiguration is testSourceConfiguration: POST
// /sources/{sourceId}/connector/test-configuration.
func (c *Client) TestSourceConfiguration(ctx context.Context, sourceID string) (*StatusResponse, error) {
	return c.connectorStatus(ctx, "testSourceConfiguration", pathf("sources/%s/connector/test-configuration", sourceID))
}

func (c *Client) connectorStatus(ctx context.Context, op, path string) (*StatusResponse, error) {
	var out StatusResponse
	_, err := c.call(ctx, post(op, path, nil), &out)
	return result(&out, err)
}

// SearchResourceObjects is searchResourceObjects: POST
// /sources/{sourceId}/connector/peek-resource-objects, a sample of the
// objects the connector sees.
func (c *Client) SearchResourceObjects(ctx context.Context, sourceID string, req ResourceObjectsRequest) (*ResourceObjectsResponse, error) {
	var out ResourceObjectsResponse
	_, err := c.call(ctx, post("searchResourceObjects", pathf("sources/%s/connector/peek-resource-objects", sourceID), req), &out)
	return result(&out, err)
}
