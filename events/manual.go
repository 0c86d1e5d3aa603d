package events

import (
	"context"
	"encoding/json"

	"github.com/rs/xid"

	"github.com/rosterhq/roster"
)

// TestWebhook sends the endpoint a webhook.test message now, and records
// the attempt (number 0: sent by hand).
func (d *Dispatcher) TestWebhook(ctx context.Context, id string) (roster.DeliveryAttempt, error) {
	w, err := d.store.GetWebhook(ctx, id)
	if err != nil {
		return roster.DeliveryAttempt{}, err
	}
	rev, err := d.store.CurrentRevision(ctx)
	if err != nil {
		return roster.DeliveryAttempt{}, err
	}
	doc, _ := json.Marshal(w.Redacted())
	e := roster.Event{Revision: rev, At: d.opt.Now(), Actor: roster.ActorFrom(ctx), CommunityID: w.CommunityID,
		Action: roster.ActionWebhookTest, TargetType: roster.TargetWebhook, TargetID: id, Before: json.RawMessage("null"), After: doc}
	e.Actor.CommunityID, e.Actor.RequestID = "", ""
	return d.sendNow(ctx, id, "msg_"+id+"_test_"+xid.New().String(), e)
}

// RetryDelivery sends the event of a delivery again now, and records the
// attempt (number 0: sent by hand).
func (d *Dispatcher) RetryDelivery(ctx context.Context, id, deliveryID string) (roster.DeliveryAttempt, error) {
	w, err := d.store.GetWebhook(ctx, id)
	if err != nil {
		return roster.DeliveryAttempt{}, err
	}
	missing := roster.Errorf(roster.EDELIVERYNOTFOUND, "webhook %s has no delivery %s", id, deliveryID)
	of, rev, ok := roster.ParseDeliveryID(deliveryID)
	if !ok || of != id || rev < 1 {
		return roster.DeliveryAttempt{}, missing
	}
	events, err := d.store.Changes(ctx, rev-1, 1)
	if err != nil {
		return roster.DeliveryAttempt{}, err
	}
	if len(events) == 0 || events[0].Revision != rev || !w.Takes(events[0]) {
		return roster.DeliveryAttempt{}, missing
	}
	return d.sendNow(ctx, id, deliveryID, events[0])
}

// sendNow sends one message beside the endpoint's order.
func (d *Dispatcher) sendNow(ctx context.Context, id, msgID string, e roster.Event) (roster.DeliveryAttempt, error) {
	ep, err := d.store.WebhookEndpoint(ctx, id)
	if err != nil {
		return roster.DeliveryAttempt{}, err
	}
	now := d.opt.Now()
	a := attemptOf(d.sender.send(ctx, ep, msgID, e, now), msgID, e, 0, now)
	if err := d.store.RecordDeliveries(context.WithoutCancel(ctx), "", id, 0, nil, []roster.DeliveryAttempt{a}); err != nil {
		return a, err
	}
	return a, nil
}
