package client

import (
	"context"
	"time"

	"github.com/rosterhq/roster"
)

var (
	_ roster.WebhookService = (*Client)(nil)
	_ roster.WebhookSender  = (*Client)(nil)
)

// CreateAPIKey creates an API key; its secret is in the answer, once.
func (c *Client) CreateAPIKey(ctx context.Context, k roster.APIKey) (roster.APIKey, roster.Revision, error) {
	body := struct {
		Name        string     `json:"name"`
		Scopes      []string   `json:"scopes"`
		CommunityID *string    `json:"communityId,omitempty"`
		ActAs       bool       `json:"actAs,omitempty"`
		ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
	}{k.Name, k.Scopes, k.CommunityID, k.ActAs, k.ExpiresAt}
	var out roster.APIKey
	a, err := c.do(ctx, call{method: "POST", path: "/v1/api-keys", body: body, out: &out})
	return out, a.revision, err
}

// ListAPIKeys reads a page of the API keys, without their secrets.
func (c *Client) ListAPIKeys(ctx context.Context, page roster.Page) ([]roster.APIKey, string, error) {
	return getList[roster.APIKey](ctx, c, "/v1/api-keys", nil, page)
}

// RevokeAPIKey revokes an API key.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) (roster.Revision, error) {
	a, err := c.do(ctx, call{method: "DELETE", path: path("/v1/api-keys", id)})
	return a.revision, err
}

// CreateWebhook creates a webhook endpoint; its signing secret is in the
// answer, once.
func (c *Client) CreateWebhook(ctx context.Context, w roster.Webhook) (roster.Webhook, roster.Revision, error) {
	body := struct {
		URL         string   `json:"url"`
		Events      []string `json:"events,omitempty"`
		CommunityID *string  `json:"communityId,omitempty"`
		Description string   `json:"description,omitempty"`
		Enabled     bool     `json:"enabled"`
	}{w.URL, w.Events, w.CommunityID, w.Description, w.Enabled}
	var out roster.Webhook
	a, err := c.do(ctx, call{method: "POST", path: "/v1/webhooks", body: body, out: &out})
	return out, a.revision, err
}

// ListWebhooks reads a page of the webhook endpoints.
func (c *Client) ListWebhooks(ctx context.Context, page roster.Page) ([]roster.Webhook, string, error) {
	return getList[roster.Webhook](ctx, c, "/v1/webhooks", nil, page)
}

// GetWebhook reads a webhook endpoint.
func (c *Client) GetWebhook(ctx context.Context, id string) (roster.Webhook, error) {
	var out roster.Webhook
	_, err := c.do(ctx, call{method: "GET", path: path("/v1/webhooks", id), out: &out})
	return out, err
}

// UpdateWebhook changes the fields of an endpoint the update sets.
func (c *Client) UpdateWebhook(ctx context.Context, id string, u roster.WebhookUpdate) (roster.Webhook, roster.Revision, error) {
	body := struct {
		URL         *string   `json:"url,omitempty"`
		Events      *[]string `json:"events,omitempty"`
		Description *string   `json:"description,omitempty"`
		Enabled     *bool     `json:"enabled,omitempty"`
	}{u.URL, u.Events, u.Description, u.Enabled}
	var out roster.Webhook
	a, err := c.do(ctx, call{method: "PATCH", path: path("/v1/webhooks", id), body: body, out: &out})
	return out, a.revision, err
}

// DeleteWebhook deletes an endpoint.
func (c *Client) DeleteWebhook(ctx context.Context, id string) (roster.Revision, error) {
	a, err := c.do(ctx, call{method: "DELETE", path: path("/v1/webhooks", id)})
	return a.revision, err
}

// RotateWebhookSecret gives an endpoint a new secret, in the answer once;
// the old one signs beside it for a day.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string) (roster.Webhook, roster.Revision, error) {
	var out roster.Webhook
	a, err := c.do(ctx, call{method: "POST", path: path("/v1/webhooks", id, "rotate-secret"), out: &out})
	return out, a.revision, err
}

// ListDeliveries reads a page of an endpoint's delivery attempts, newest
// first.
func (c *Client) ListDeliveries(ctx context.Context, id string, page roster.Page) ([]roster.DeliveryAttempt, string, error) {
	return getList[roster.DeliveryAttempt](ctx, c, path("/v1/webhooks", id, "deliveries"), nil, page)
}

// RetryDelivery sends a delivery's event again, now.
func (c *Client) RetryDelivery(ctx context.Context, webhookID, deliveryID string) (roster.DeliveryAttempt, error) {
	var out roster.DeliveryAttempt
	_, err := c.do(ctx, call{method: "POST", path: path("/v1/webhooks", webhookID, "deliveries", deliveryID, "retry"), out: &out})
	return out, err
}

// TestWebhook sends the endpoint a webhook.test message, now.
func (c *Client) TestWebhook(ctx context.Context, id string) (roster.DeliveryAttempt, error) {
	var out roster.DeliveryAttempt
	_, err := c.do(ctx, call{method: "POST", path: path("/v1/webhooks", id, "test"), out: &out})
	return out, err
}
