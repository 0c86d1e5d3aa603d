package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster"
)

type webhookBody struct {
	URL         string   `json:"url" minLength:"1" maxLength:"2048" doc:"Where to POST: http or https. Loopback and private addresses are refused unless the server runs with --webhook-allow-private."`
	Events      []string `json:"events,omitempty" maxItems:"50" doc:"The actions to send, each one action or a prefix ending in a dot (member.); every event when empty."`
	CommunityID *string  `json:"communityId,omitempty" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$" doc:"Send only this community's events."`
	Description string   `json:"description,omitempty" maxLength:"1000"`
	Enabled     *bool    `json:"enabled,omitempty" doc:"true when absent."`
}

type webhookPatch struct {
	URL         *string   `json:"url,omitempty" minLength:"1" maxLength:"2048"`
	Events      *[]string `json:"events,omitempty" maxItems:"50"`
	Description *string   `json:"description,omitempty" maxLength:"1000"`
	Enabled     *bool     `json:"enabled,omitempty" doc:"false pauses deliveries; true resumes them, after the last event delivered."`
}

type WebhookPath struct {
	WebhookID string `path:"webhookId" pattern:"^(?:[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,127}|\\.[A-Za-z0-9_:@-][A-Za-z0-9._:@-]{0,126}|\\.\\.[A-Za-z0-9._:@-]{1,126})$"`
}

// registerWebhooks registers the webhook routes.
func (s *Server) registerWebhooks(api huma.API) {
	const w, notFound = "/v1/webhooks/{webhookId}", http.StatusNotFound
	huma.Register(api, created(op("POST", "/v1/webhooks", "createWebhook", "Create a webhook endpoint (its secret is shown once)", notFound)), s.createWebhook)
	huma.Register(api, op("GET", "/v1/webhooks", "listWebhooks", "List webhook endpoints"), s.listWebhooks)
	huma.Register(api, op("GET", w, "getWebhook", "Get a webhook endpoint", notFound), s.getWebhook)
	huma.Register(api, op("PATCH", w, "updateWebhook", "Change a webhook endpoint", notFound), s.updateWebhook)
	huma.Register(api, deleted(op("DELETE", w, "deleteWebhook", "Delete a webhook endpoint", notFound)), s.deleteWebhook)
	huma.Register(api, op("POST", w+"/rotate-secret", "rotateWebhookSecret", "Give an endpoint a new secret; the old one signs beside it for 24 h", notFound), s.rotateWebhookSecret)
	huma.Register(api, op("GET", w+"/deliveries", "listWebhookDeliveries", "List an endpoint's delivery attempts, newest first", notFound), s.listDeliveries)
	huma.Register(api, op("POST", w+"/deliveries/{deliveryId}/retry", "retryWebhookDelivery", "Send a delivery's event again, now", notFound, http.StatusServiceUnavailable), s.retryDelivery)
	huma.Register(api, op("POST", w+"/test", "testWebhook", "Send the endpoint a webhook.test message, now", notFound, http.StatusServiceUnavailable), s.testWebhook)
}

func (s *Server) createWebhook(ctx context.Context, in *struct{ Body webhookBody }) (*answer[roster.Webhook], error) {
	b := in.Body
	w := roster.Webhook{URL: b.URL, Events: b.Events, CommunityID: b.CommunityID, Description: b.Description, Enabled: b.Enabled == nil || *b.Enabled}
	return wrote(s.store.CreateWebhook(ctx, w))
}

func (s *Server) listWebhooks(ctx context.Context, in *struct{ PageParams }) (*listOutput[roster.Webhook], error) {
	return listOf(s.store.ListWebhooks(ctx, in.page()))
}

type webhookOutput struct{ Body roster.Webhook }

func (s *Server) getWebhook(ctx context.Context, in *WebhookPath) (*webhookOutput, error) {
	w, err := s.store.GetWebhook(ctx, in.WebhookID)
	if err != nil {
		return nil, err
	}
	return &webhookOutput{w}, nil
}

func (s *Server) updateWebhook(ctx context.Context, in *struct {
	WebhookPath
	Body webhookPatch
}) (*answer[roster.Webhook], error) {
	b := in.Body
	return wrote(s.store.UpdateWebhook(ctx, in.WebhookID, roster.WebhookUpdate{URL: b.URL, Events: b.Events, Description: b.Description, Enabled: b.Enabled}))
}

func (s *Server) deleteWebhook(ctx context.Context, in *WebhookPath) (*written, error) {
	return wroteNothing(s.store.DeleteWebhook(ctx, in.WebhookID))
}

func (s *Server) rotateWebhookSecret(ctx context.Context, in *WebhookPath) (*answer[roster.Webhook], error) {
	return wrote(s.store.RotateWebhookSecret(ctx, in.WebhookID))
}

func (s *Server) listDeliveries(ctx context.Context, in *struct {
	WebhookPath
	PageParams
}) (*listOutput[roster.DeliveryAttempt], error) {
	return listOf(s.store.ListDeliveries(ctx, in.WebhookID, in.page()))
}

type attemptOutput struct{ Body roster.DeliveryAttempt }

func (s *Server) retryDelivery(ctx context.Context, in *struct {
	WebhookPath
	DeliveryID string `path:"deliveryId" maxLength:"200" doc:"A delivery's id: its messages' webhook-id."`
}) (*attemptOutput, error) {
	if s.webhooks == nil {
		return nil, roster.Errorf(roster.ENOTREADY, "this server does not deliver webhooks")
	}
	a, err := s.webhooks.RetryDelivery(ctx, in.WebhookID, in.DeliveryID)
	if err != nil {
		return nil, err
	}
	return &attemptOutput{a}, nil
}

func (s *Server) testWebhook(ctx context.Context, in *WebhookPath) (*attemptOutput, error) {
	if s.webhooks == nil {
		return nil, roster.Errorf(roster.ENOTREADY, "this server does not deliver webhooks")
	}
	a, err := s.webhooks.TestWebhook(ctx, in.WebhookID)
	if err != nil {
		return nil, err
	}
	return &attemptOutput{a}, nil
}
