package api

import "context"

// GetSourceSchedules is getSourceSchedules: GET /sources/{sourceId}/schedules.
func (c *Client) GetSourceSchedules(ctx context.Context, sourceID string) ([]Schedule, error) {
	var out []Schedule
	if _, err := c.call(ctx, get("getSourceSchedules", pathf("sources/%s/schedules", sourceID)), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateSourceSchedule is createSourceSchedule: POST /sources/{sourceId}/schedules.
func (c *Client) CreateSourceSchedule(ctx context.Context, sourceID string, s *Schedule) (*Schedule, error) {
	var out Schedule
	_, err := c.call(ctx, post("createSourceSchedule", pathf("sources/%s/schedules", sourceID), s), &out)
	return result(&out, err)
}

// GetSourceSchedule is getSourceSchedule: GET /sources/{sourceId}/schedules/{scheduleType}.
func (c *Client) GetSourceSchedule(ctx context.Context, sourceID string, t ScheduleType) (*Schedule, error) {
	var out Schedule
	_, err := c.call(ctx, get("getSourceSchedule", schedulePath(sourceID, t)), &out)
	return result(&out, err)
}

// UpdateSourceSchedule is updateSourceSchedule: PATCH
// /sources/{sourceId}/schedules/{scheduleType} with JSON Patch; type is
// immutable, e.g. PatchReplace("/cronExpression", "0 0 6 * * ?").
func (c *Client) UpdateSourceSchedule(ctx context.Context, sourceID string, t ScheduleType, ops []JSONPatchOperation) (*Schedule, error) {
	var out Schedule
	_, err := c.call(ctx, patch("updateSourceSchedule", schedulePath(sourceID, t), ops), &out)
	return result(&out, err)
}

// DeleteSourceSchedule is deleteSourceSchedule: DELETE
// /sources/{sourceId}/schedules/{scheduleType}; it is how a schedule is disabled.
func (c *Client) DeleteSourceSchedule(ctx context.Context, sourceID string, t ScheduleType) error {
	_, err := c.call(ctx, del("deleteSourceSchedule", schedulePath(sourceID, t)), nil)
	return err
}

func schedulePath(sourceID string, t ScheduleType) string {
	return pathf("sources/%s/schedules/%s", sourceID, string(t))
}
