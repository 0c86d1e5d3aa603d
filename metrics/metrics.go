// Package metrics exports what a Roster server does in the Prometheus
// format: request durations per operation, checks by result, the index's
// revision and its lag behind the database, the change feed's readers,
// webhook deliveries by outcome and their latency, the database pools and
// the Go runtime. The server tells it of requests, checks and deliveries;
// the rest it reads when scraped.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Sources are what the metrics read at each scrape.
type Sources struct {
	// IndexRevision is the revision the check index holds.
	IndexRevision func() int64
	// StoreRevision is the newest revision of the database's change log.
	StoreRevision func(ctx context.Context) (int64, error)
	// FeedReaders counts the change feed's readers now.
	FeedReaders func() int
	// Pools are the database connection pools, by name.
	Pools map[string]*sql.DB
}

// Metrics holds a server's metrics. It is safe for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *requests
	// allowed and denied count the checks answered: an atomic add each,
	// on the path every check takes.
	allowed, denied  atomic.Uint64
	deliveries       *prometheus.CounterVec
	deliveryDuration prometheus.Histogram
}

// New returns the metrics of a server reading the sources.
func New(src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg,
		requests: &requests{desc: prometheus.NewDesc("roster_http_request_duration_seconds",
			"How long requests took, by the operation that took them (unmatched when none did) and their status.",
			[]string{"operation", "status"}, nil)},
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_webhook_deliveries_total", Help: "Webhook delivery attempts, by outcome: delivered, retrying (failed, tried again later) or failed (given up on).",
		}, []string{"outcome"}),
		deliveryDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "roster_webhook_delivery_duration_seconds", Help: "How long webhook endpoints took to answer a delivery attempt.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
	}
	checks := func(result string, n *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roster_checks_total", Help: "Permission checks answered, by result.",
			ConstLabels: prometheus.Labels{"result": result}}, func() float64 { return float64(n.Load()) })
	}
	reg.MustRegister(m.requests, checks("allowed", &m.allowed), checks("denied", &m.denied), m.deliveries, m.deliveryDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src.IndexRevision != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roster_index_revision", Help: "The revision the check index holds."},
			func() float64 { return float64(src.IndexRevision()) }))
		if src.StoreRevision != nil {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roster_index_lag_revisions", Help: "How many revisions the check index is behind the database's change log (-1 when the database does not answer)."},
				func() float64 {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					defer cancel()
					head, err := src.StoreRevision(ctx)
					if err != nil {
						return -1
					}
					return float64(max(head-src.IndexRevision(), 0))
				}))
		}
	}
	if src.FeedReaders != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roster_change_feed_readers", Help: "Readers of the change feed now: long polls, streams and followers."},
			func() float64 { return float64(src.FeedReaders()) }))
	}
	for name, db := range src.Pools {
		reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	return m
}

// Operation returns the observer of an operation's requests, by its id
// ("" for the requests no route takes: unmatched).
func (m *Metrics) Operation(id string) interface {
	Request(status int, took time.Duration)
} {
	if id == "" {
		id = "unmatched"
	}
	return &operation{all: m.requests, id: id, ok: m.requests.of(id, 200)}
}

// operation observes one operation's requests: those answered 200 in a
// histogram found once, the others in those of the statuses seen.
type operation struct {
	all *requests
	id  string
	ok  *latencies
}

// Request records a request answered.
func (o *operation) Request(status int, took time.Duration) {
	if status == 200 {
		o.ok.observe(took)
		return
	}
	o.all.of(o.id, status).observe(took)
}

// Checks records checks answered.
func (m *Metrics) Checks(allowed, denied int) {
	if allowed > 0 {
		m.allowed.Add(uint64(allowed))
	}
	if denied > 0 {
		m.denied.Add(uint64(denied))
	}
}

// Attempted records a webhook delivery attempt.
func (m *Metrics) Attempted(outcome string, latency time.Duration) {
	m.deliveries.WithLabelValues(outcome).Inc()
	m.deliveryDuration.Observe(latency.Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// requestBuckets are the bounds of the request histograms' buckets.
var requestBuckets = [...]time.Duration{100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 10 * time.Second, time.Minute}

// requests are the request duration histograms, by operation and status:
// a collector of histograms each a few atomic counters, cheaper to observe
// than prometheus' own on the check path, which every request of the host
// platform may take.
type requests struct {
	desc *prometheus.Desc
	by   sync.Map // route → *latencies
}

type route struct {
	operation string
	status    int
}

// latencies is one histogram: a count per bucket (the last for those past
// every bound), and the sum of the durations.
type latencies struct {
	counts [len(requestBuckets) + 1]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

func (l *latencies) observe(d time.Duration) {
	i := 0
	for i < len(requestBuckets) && d > requestBuckets[i] {
		i++
	}
	l.counts[i].Add(1)
	l.sum.Add(int64(d))
}

// of returns the histogram of an operation and a status, made when first
// asked.
func (r *requests) of(operation string, status int) *latencies {
	k := route{operation, status}
	if l, ok := r.by.Load(k); ok {
		return l.(*latencies)
	}
	l, _ := r.by.LoadOrStore(k, &latencies{})
	return l.(*latencies)
}

func (r *requests) Describe(ch chan<- *prometheus.Desc) { ch <- r.desc }

func (r *requests) Collect(ch chan<- prometheus.Metric) {
	r.by.Range(func(k, v any) bool {
		at, l := k.(route), v.(*latencies)
		buckets := make(map[float64]uint64, len(requestBuckets))
		var count uint64
		for i, b := range requestBuckets {
			count += l.counts[i].Load()
			buckets[b.Seconds()] = count
		}
		count += l.counts[len(requestBuckets)].Load()
		ch <- prometheus.MustNewConstHistogram(r.desc, count, time.Duration(l.sum.Load()).Seconds(), buckets, at.operation, strconv.Itoa(at.status))
		return true
	})
}
