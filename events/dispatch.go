package events

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/rosterhq/roster"
)

// DefaultRetries are the pauses before each attempt of one event after the
// first, which is made at once: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and
// 10 h. Once the eighth attempt fails the event is given up on (a retry by
// hand can send it again) and the endpoint goes on with the next.
var DefaultRetries = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// DispatchOptions configure a dispatcher.
type DispatchOptions struct {
	// Owner names this process in the leases; random when empty.
	Owner string
	// Lease is how long a lease lasts unless renewed; a dead replica's
	// endpoints are taken over once it runs out. 10 s when zero.
	Lease time.Duration
	// Retries are the pauses before the attempts after the first;
	// DefaultRetries when nil.
	Retries []time.Duration
	// DisableAfter disables an endpoint that has failed this long; 5 days
	// when zero.
	DisableAfter time.Duration
	// AllowPrivate lets endpoints resolve to loopback and private
	// addresses.
	AllowPrivate bool
	// Now is the clock; time.Now when nil.
	Now roster.Clock
	// Log is where failures are told; slog.Default when nil.
	Log *slog.Logger
	// Attempted, when set, is told of each delivery attempt: its outcome
	// (roster.OutcomeDelivered, Retrying or Failed) and how long the
	// endpoint took.
	Attempted func(outcome string, latency time.Duration)
}

// Dispatcher delivers the change log to the webhook endpoints whose
// leases it holds: each endpoint in revision order, at least once, each
// one apart so that a slow endpoint delays no other.
type Dispatcher struct {
	store  roster.Store
	feed   *Feed
	opt    DispatchOptions
	sender *sender

	mu      sync.Mutex
	workers map[string]*worker

	stop context.CancelFunc
	done chan struct{}
	wg   sync.WaitGroup
}

// StartDispatcher starts delivering.
func StartDispatcher(store roster.Store, feed *Feed, opt DispatchOptions) *Dispatcher {
	if opt.Owner == "" {
		opt.Owner = strconv.FormatUint(rand.Uint64(), 36)
	}
	if opt.Lease == 0 {
		opt.Lease = 10 * time.Second
	}
	if opt.Retries == nil {
		opt.Retries = DefaultRetries
	}
	if opt.DisableAfter == 0 {
		opt.DisableAfter = 5 * 24 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	d := &Dispatcher{store: store, feed: feed, opt: opt, sender: newSender(opt.AllowPrivate),
		workers: map[string]*worker{}, done: make(chan struct{})}
	ctx, stop := context.WithCancel(roster.NewContext(context.Background(), roster.SystemActor))
	d.stop = stop
	go d.run(ctx)
	return d
}

// Close stops delivering, gives up the leases and waits for the workers.
func (d *Dispatcher) Close() error {
	d.stop()
	<-d.done
	return nil
}

// run renews the leases a third of a lease apart, and starts and stops
// workers to match the endpoints held.
func (d *Dispatcher) run(ctx context.Context) {
	defer close(d.done)
	t := time.NewTicker(d.opt.Lease / 3)
	defer t.Stop()
	for {
		d.lease(ctx)
		select {
		case <-ctx.Done():
			d.mu.Lock()
			for _, w := range d.workers {
				w.stop()
			}
			d.mu.Unlock()
			d.wg.Wait()
			release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			for id := range d.workers {
				d.store.ReleaseWebhook(release, d.opt.Owner, id)
			}
			cancel()
			return
		case <-t.C:
		}
	}
}

// lease takes and renews leases, and brings the workers in line.
func (d *Dispatcher) lease(ctx context.Context) {
	eps, err := d.store.LeaseWebhooks(ctx, d.opt.Owner, d.opt.Now().Add(d.opt.Lease))
	if err != nil {
		if ctx.Err() == nil {
			d.opt.Log.Error("events: leasing webhooks", "err", err)
		}
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	held := map[string]bool{}
	for _, ep := range eps {
		held[ep.ID] = true
		if w := d.workers[ep.ID]; w != nil && !w.stopped() {
			w.update(ep)
			continue
		}
		w := newWorker(ctx, d, ep)
		d.workers[ep.ID] = w
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			w.run()
		}()
	}
	for id, w := range d.workers {
		if !held[id] || w.stopped() {
			w.stop()
			delete(d.workers, id)
		}
	}
}

// retryPause returns the pause before attempt n+1 once n attempts have
// failed, with jitter of a tenth either way, and at least what a
// Retry-After asked for (up to a day); false when no attempt is left.
func (d *Dispatcher) retryPause(n int, retryAfter time.Duration) (time.Duration, bool) {
	if n < 1 || n > len(d.opt.Retries) {
		return 0, false
	}
	p := d.opt.Retries[n-1]
	if p > 0 {
		p += time.Duration((rand.Float64()*0.2 - 0.1) * float64(p))
	}
	return min(max(p, retryAfter), 24*time.Hour), true
}
