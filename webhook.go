package roster

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook audit actions and target.
const (
	ActionWebhookCreated       = "webhook.created"
	ActionWebhookUpdated       = "webhook.updated"
	ActionWebhookDeleted       = "webhook.deleted"
	ActionWebhookSecretRotated = "webhook.secret_rotated"
	// ActionWebhookTest is the type of the message POST …/test sends; it is
	// not written to the log.
	ActionWebhookTest = "webhook.test"
	TargetWebhook     = "webhook"
)

// Webhook is an endpoint of the host platform that receives the events of
// the change log, signed as the Standard Webhooks specification says.
type Webhook struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Events are the actions sent, each one action or a prefix ending in a
	// dot (member.); empty sends every event.
	Events []string `json:"events"`
	// CommunityID sends only that community's events when not nil.
	CommunityID *string `json:"communityId"`
	Description string  `json:"description"`
	Enabled     bool    `json:"enabled"`
	// DisabledReason says why Roster disabled the endpoint, when it did.
	DisabledReason string `json:"disabledReason,omitempty"`
	// DeliveredThrough is the revision up to which every event the
	// endpoint takes has been delivered, or given up on.
	DeliveredThrough Revision `json:"deliveredThrough"`
	// FailingSince is when the endpoint began failing, while it does.
	FailingSince *time.Time `json:"failingSince,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	// Secret is set only in the answer to a create or a rotation: the key
	// that signs deliveries, whsec_ then base64.
	Secret string `json:"secret,omitempty"`
}

// WebhookUpdate changes the fields that are not nil.
type WebhookUpdate struct {
	URL         *string
	Events      *[]string
	Description *string
	Enabled     *bool
	// DisabledReason goes with Enabled false, when Roster disables an
	// endpoint itself.
	DisabledReason string
}

// Webhook limits: MaxWebhooks is per community, and for the platform's
// endpoints of every community.
const (
	MaxWebhooks       = 100
	MaxWebhookEvents  = 50
	MaxWebhookURL     = 2048
	MaxWebhookComment = 1000
)

// Redacted returns the endpoint as the change log records it: its URL cut
// to the scheme and host, since a path or query may carry a token, and no
// secret.
func (w Webhook) Redacted() Webhook {
	w.Secret = ""
	if u, err := url.Parse(w.URL); err == nil {
		cut := u.Scheme + "://" + u.Host
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			cut += "/…"
		}
		w.URL = cut
	}
	return w
}

// Takes reports whether the endpoint takes the event.
func (w Webhook) Takes(e Event) bool {
	if w.CommunityID != nil && (e.CommunityID == nil || *e.CommunityID != *w.CommunityID) {
		return false
	}
	if len(w.Events) == 0 {
		return true
	}
	for _, a := range w.Events {
		if MatchAction(a, e.Action) {
			return true
		}
	}
	return false
}

// Clean trims and checks a new endpoint's fields.
func (w *Webhook) Clean() error {
	var f fields
	cleanWebhookURL(&f, &w.URL)
	cleanWebhookEvents(&f, &w.Events)
	f.length("description", w.Description, MaxWebhookComment)
	if w.CommunityID != nil {
		f.id("communityId", *w.CommunityID)
	}
	return f.err()
}

// Clean checks the fields an update sets.
func (u *WebhookUpdate) Clean() error {
	var f fields
	if u.URL != nil {
		cleanWebhookURL(&f, u.URL)
	}
	if u.Events != nil {
		cleanWebhookEvents(&f, u.Events)
	}
	if u.Description != nil {
		f.length("description", *u.Description, MaxWebhookComment)
	}
	return f.err()
}

// cleanWebhookURL checks an endpoint's URL: absolute http or https, with a
// host and no user information. Whether its address may be called is
// decided when it is called, once the name is resolved.
func cleanWebhookURL(f *fields, raw *string) {
	*raw = strings.TrimSpace(*raw)
	u, err := url.Parse(*raw)
	switch {
	case *raw == "":
		f.add("url", "must not be empty", *raw)
	case len(*raw) > MaxWebhookURL:
		f.add("url", fmt.Sprintf("must be at most %d bytes", MaxWebhookURL), nil)
	case err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "":
		f.add("url", "must be an absolute http or https URL", *raw)
	case u.Scheme != "http" && u.Scheme != "https":
		f.add("url", "must use http or https", *raw)
	case u.User != nil:
		f.add("url", "must not carry a user name or password (the signature tells the receiver who sends)", nil)
	case u.Fragment != "":
		f.add("url", "must not have a fragment", *raw)
	}
}

// cleanWebhookEvents checks the actions an endpoint takes, collapsing
// duplicates.
func cleanWebhookEvents(f *fields, events *[]string) {
	if *events == nil {
		*events = []string{}
	}
	if len(*events) > MaxWebhookEvents {
		f.add("events", fmt.Sprintf("must list at most %d actions", MaxWebhookEvents), len(*events))
		return
	}
	for i, a := range *events {
		loc := fmt.Sprintf("events[%d]", i)
		if a == "" || len(a) > MaxActionLength || strings.Trim(a, "abcdefghijklmnopqrstuvwxyz_.") != "" || strings.HasPrefix(a, ".") {
			f.add(loc, "must be an action such as member.role_added, or a prefix ending in a dot such as member.", a)
		}
	}
	*events = CleanKeys(*events)
}

// DeliveryAttempt is one attempt to deliver an event to an endpoint.
type DeliveryAttempt struct {
	// ID identifies the attempt.
	ID string `json:"id"`
	// DeliveryID is the message's webhook-id: the same for every attempt
	// of one event to one endpoint.
	DeliveryID string   `json:"deliveryId"`
	Revision   Revision `json:"revision"`
	Action     string   `json:"action"`
	// Attempt counts the attempts of the message, from 1.
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	// Status is the HTTP status answered; 0 when none was.
	Status    int    `json:"status"`
	LatencyMS int64  `json:"latencyMs"`
	Outcome   string `json:"outcome" enum:"delivered,retrying,failed"`
	// Error says why the attempt failed, when it did.
	Error string `json:"error,omitempty"`
	// Response is the start of the response body.
	Response string `json:"response"`
	// NextAt is when the next attempt is due, while retrying.
	NextAt *time.Time `json:"nextAt,omitempty"`
}

// DeliveryID is the webhook-id of the messages that deliver the event at
// rev to the endpoint: the same for each attempt, so that receivers
// de-duplicate by it.
func DeliveryID(webhookID string, rev Revision) string {
	return "msg_" + webhookID + "_" + strconv.FormatInt(int64(rev), 10)
}

// ParseDeliveryID returns the endpoint and the revision a DeliveryID
// names.
func ParseDeliveryID(id string) (string, Revision, bool) {
	rest, ok := strings.CutPrefix(id, "msg_")
	webhook, rev, ok2 := strings.Cut(rest, "_")
	n, err := strconv.ParseInt(rev, 10, 64)
	if !ok || !ok2 || webhook == "" || err != nil || n < 0 {
		return "", 0, false
	}
	return webhook, Revision(n), true
}

// Delivery outcomes.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetrying  = "retrying"
	OutcomeFailed    = "failed"
)

// WebhookService manages webhook endpoints. A user actor needs
// MANAGE_COMMUNITY and VIEW_AUDIT_LOG in the endpoint's community (at
// platform scope for one of every community); a key restricted to a
// community manages only its community's endpoints.
type WebhookService interface {
	// CreateWebhook creates an endpoint and returns it with its secret.
	// Returns EVALIDATION, ECOMMUNITYNOTFOUND and ELIMITREACHED.
	CreateWebhook(ctx context.Context, w Webhook) (Webhook, Revision, error)

	// ListWebhooks returns the endpoints the actor manages, by id.
	ListWebhooks(ctx context.Context, page Page) ([]Webhook, string, error)

	// GetWebhook returns an endpoint, or EWEBHOOKNOTFOUND.
	GetWebhook(ctx context.Context, id string) (Webhook, error)

	// UpdateWebhook changes an endpoint. Enabling it again clears its
	// failure. Returns EWEBHOOKNOTFOUND and EVALIDATION.
	UpdateWebhook(ctx context.Context, id string, u WebhookUpdate) (Webhook, Revision, error)

	// DeleteWebhook deletes an endpoint and its attempts.
	DeleteWebhook(ctx context.Context, id string) (Revision, error)

	// RotateWebhookSecret gives the endpoint a new secret, which it
	// returns; the old one signs beside it for a day.
	RotateWebhookSecret(ctx context.Context, id string) (Webhook, Revision, error)

	// ListDeliveries returns an endpoint's attempts, newest first.
	ListDeliveries(ctx context.Context, id string, page Page) ([]DeliveryAttempt, string, error)
}

// Endpoint is an enabled webhook as its deliverer sees it: with the
// secrets that sign, newest first.
type Endpoint struct {
	Webhook
	Secrets []string
}

// WebhookDeliveries is the delivery state of the endpoints, which the
// deliverers of every replica share: each endpoint is delivered by the one
// that holds its lease.
type WebhookDeliveries interface {
	// LeaseWebhooks takes, or renews, until the given time, the lease of
	// every enabled endpoint that no other owner holds, and returns those
	// the owner holds.
	LeaseWebhooks(ctx context.Context, owner string, until time.Time) ([]Endpoint, error)

	// RecordDeliveries records attempts of the owner, and moves the
	// endpoint's DeliveredThrough to through (unless 0) and its
	// FailingSince; ELEASELOST when the owner no longer holds the lease.
	RecordDeliveries(ctx context.Context, owner, id string, through Revision, failingSince *time.Time, attempts []DeliveryAttempt) error

	// ReleaseWebhook gives up the owner's lease of an endpoint.
	ReleaseWebhook(ctx context.Context, owner, id string) error

	// WebhookEndpoint returns an endpoint with its secrets, enabled or not,
	// for a message sent by hand; it decides nothing, and is called once
	// the actor was let read the endpoint. Returns EWEBHOOKNOTFOUND.
	WebhookEndpoint(ctx context.Context, id string) (Endpoint, error)
}

// WebhookSender sends a message to an endpoint at once, beside its order,
// and returns the attempt: a test message, or an event again.
type WebhookSender interface {
	// TestWebhook sends a webhook.test message. Returns what GetWebhook
	// does.
	TestWebhook(ctx context.Context, id string) (DeliveryAttempt, error)

	// RetryDelivery sends the event a delivery carried again. Returns
	// EDELIVERYNOTFOUND when the endpoint takes no event of that id.
	RetryDelivery(ctx context.Context, id, deliveryID string) (DeliveryAttempt, error)
}
