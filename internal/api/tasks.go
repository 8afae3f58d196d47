package api

import "context"

// GetTaskStatus is getTaskStatus: GET /task-status/{id}. Poll it with the
// id from DeleteSource, DeleteAccountsAsync or the Import* methods.
func (c *Client) GetTaskStatus(ctx context.Context, id string) (*TaskStatus, error) {
	var out TaskStatus
	_, err := c.call(ctx, get("getTaskStatus", pathf("task-status/%s", id)), &out)
	return result(&out, err)
}

// DeleteAccountsAsync is deleteAccountsAsync: POST /sources/{id}/remove-accounts.
// ISC answers 202 and removes the accounts in a task.
func (c *Client) DeleteAccountsAsync(ctx context.Context, id string) (*TaskResult, error) {
	var out TaskResult
	_, err := c.call(ctx, post("deleteAccountsAsync", pathf("sources/%s/remove-accounts", id), nil), &out)
	return result(&out, err)
}
