package events

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/rosterhq/roster"
)

// Bounds of how often a worker records its progress: at most this many
// attempts, or this long, go unrecorded; a replica that dies sends them
// again (receivers de-duplicate by webhook-id).
const (
	recordEvery   = 100
	recordLatency = 250 * time.Millisecond
)

// worker delivers one endpoint's events, in revision order.
type worker struct {
	d      *Dispatcher
	id     string
	ctx    context.Context
	cancel context.CancelFunc
	ended  chan struct{}

	mu sync.Mutex
	ep roster.Endpoint

	// What the worker has done, and how much of it is recorded.
	through      roster.Revision
	failingSince *time.Time
	pending      []roster.DeliveryAttempt
	recorded     roster.Revision
	recordedAt   time.Time
}

func newWorker(ctx context.Context, d *Dispatcher, ep roster.Endpoint) *worker {
	w := &worker{d: d, id: ep.ID, ep: ep, ended: make(chan struct{}),
		through: ep.DeliveredThrough, recorded: ep.DeliveredThrough, failingSince: ep.FailingSince}
	w.ctx, w.cancel = context.WithCancel(ctx)
	return w
}

func (w *worker) stop() { w.cancel() }

// stopped reports whether the worker has ended, as after a 410.
func (w *worker) stopped() bool {
	select {
	case <-w.ended:
		return true
	default:
		return false
	}
}

// update takes the endpoint's latest URL and secrets, as a lease's renewal
// reads them. Which events it takes changes only at the event that changed
// it (reload), so that events before a change go as the endpoint said then.
func (w *worker) update(ep roster.Endpoint) {
	w.mu.Lock()
	w.ep.URL, w.ep.Secrets = ep.URL, ep.Secrets
	w.mu.Unlock()
}

func (w *worker) endpoint() roster.Endpoint {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ep
}

// run follows the log after the endpoint's cursor and delivers what it
// takes, until stopped.
func (w *worker) run() {
	defer close(w.ended)
	defer w.record(context.WithoutCancel(w.ctx), true)
	for w.ctx.Err() == nil {
		ep := w.endpoint()
		wait := 5 * time.Second
		if w.unrecorded() {
			wait = recordLatency
		}
		page, err := w.d.feed.Follow(w.ctx, roster.EventFilter{CommunityID: scopeOf(ep)}, w.through, roster.MaxPageLimit, wait)
		if err != nil {
			if roster.ErrorCode(err) == roster.ENOTREADY {
				return // the feed has closed: the server is shutting down
			}
			if w.ctx.Err() == nil {
				w.d.opt.Log.Error("events: following the log for a webhook", "webhook", ep.ID, "err", err)
				w.pause(time.Second)
			}
			continue
		}
		for _, e := range page.Events {
			if e.TargetType == roster.TargetWebhook && e.TargetID == w.id {
				// Its settings or secret changed: the events after it
				// go as it now says.
				if !w.reload() {
					return
				}
				ep = w.endpoint()
			}
			if !ep.Takes(e) {
				continue
			}
			if !w.deliver(e) {
				return
			}
			w.through = e.Revision
			if (len(w.pending) >= recordEvery || time.Since(w.recordedAt) >= recordLatency) && !w.record(w.ctx, false) {
				return
			}
		}
		w.through = page.Next
		if (len(page.Events) == 0 || time.Since(w.recordedAt) >= recordLatency) && !w.record(w.ctx, false) {
			return
		}
	}
}

// reload reads the endpoint's settings and secrets again, and reports
// whether it is still to be delivered.
func (w *worker) reload() bool {
	ep, err := w.d.store.WebhookEndpoint(w.ctx, w.id)
	if err != nil {
		if roster.ErrorCode(err) != roster.EWEBHOOKNOTFOUND && w.ctx.Err() == nil {
			w.d.opt.Log.Error("events: reading a webhook", "webhook", w.id, "err", err)
			return true // the lease's next renewal brings it
		}
		return false
	}
	w.mu.Lock()
	w.ep = ep
	w.mu.Unlock()
	if ep.FailingSince == nil {
		w.failingSince = nil // enabled again: its failure starts over
	}
	return ep.Enabled
}

func scopeOf(ep roster.Endpoint) string {
	if ep.CommunityID == nil {
		return ""
	}
	return *ep.CommunityID
}

func (w *worker) unrecorded() bool { return len(w.pending) > 0 || w.through != w.recorded }

// pause waits, or less when the worker is stopped.
func (w *worker) pause(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.ctx.Done():
	case <-t.C:
	}
}

// record writes the attempts made and the cursor, and reports whether the
// worker still holds the endpoint's lease.
func (w *worker) record(ctx context.Context, final bool) bool {
	if !w.unrecorded() {
		return true
	}
	if final {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
	}
	err := w.d.store.RecordDeliveries(ctx, w.d.opt.Owner, w.id, w.through, w.failingSince, w.pending)
	if err != nil {
		if roster.ErrorCode(err) != roster.ELEASELOST && ctx.Err() == nil {
			w.d.opt.Log.Error("events: recording webhook deliveries", "webhook", w.id, "err", err)
			return true // kept, and recorded with the next
		}
		return false
	}
	w.pending, w.recorded, w.recordedAt = w.pending[:0], w.through, time.Now()
	return true
}

// deliver sends one event until it is delivered or given up on, and
// reports whether the worker goes on.
func (w *worker) deliver(e roster.Event) bool {
	id := roster.DeliveryID(w.id, e.Revision)
	for n := 1; ; n++ {
		ep := w.endpoint()
		now := w.d.opt.Now()
		r := w.d.sender.send(w.ctx, ep, id, e, now)
		if w.ctx.Err() != nil {
			return false // not recorded: sent again by whoever delivers next
		}
		a := attemptOf(r, id, e, n, now)
		if r.ok() {
			w.failingSince = nil
			w.attempted(a, r.latency)
			return true
		}
		if w.failingSince == nil {
			w.failingSince = &now
		}
		var disable string
		switch pause, more := w.d.retryPause(n, r.retryAfter); {
		case r.status == http.StatusGone:
			disable = "the endpoint answered 410 Gone"
		case now.Sub(*w.failingSince) >= w.d.opt.DisableAfter:
			disable = fmt.Sprintf("failing since %s; the last attempt: %s", w.failingSince.UTC().Format(time.RFC3339), a.Error)
		case more:
			next := now.Add(pause)
			a.Outcome, a.NextAt = roster.OutcomeRetrying, &next
			w.attempted(a, r.latency)
			if !w.record(w.ctx, false) {
				return false
			}
			w.pause(pause)
			if w.ctx.Err() != nil {
				return false
			}
			continue
		}
		w.attempted(a, r.latency)
		if !w.record(w.ctx, false) {
			return false
		}
		if disable == "" {
			return true // given up on: the endpoint goes on with the next
		}
		off := false
		if _, _, err := w.d.store.UpdateWebhook(w.ctx, ep.ID, roster.WebhookUpdate{Enabled: &off, DisabledReason: disable}); err != nil {
			w.d.opt.Log.Error("events: disabling a webhook", "webhook", ep.ID, "err", err)
		}
		return false
	}
}

// attemptOf is the record of an attempt.
func attemptOf(r result, id string, e roster.Event, n int, at time.Time) roster.DeliveryAttempt {
	a := roster.DeliveryAttempt{DeliveryID: id, Revision: e.Revision, Action: e.Action, Attempt: n, At: at,
		Status: r.status, LatencyMS: r.latency.Milliseconds(), Response: r.response, Outcome: roster.OutcomeDelivered}
	if !r.ok() {
		a.Outcome, a.Error = roster.OutcomeFailed, r.err.Error()
	}
	return a
}

// attempted records an attempt, to be written with the next, and tells
// the dispatcher's observer of it.
func (w *worker) attempted(a roster.DeliveryAttempt, latency time.Duration) {
	w.pending = append(w.pending, a)
	if w.d.opt.Attempted != nil {
		w.d.opt.Attempted(a.Outcome, latency)
	}
}
