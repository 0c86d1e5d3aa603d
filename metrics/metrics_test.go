package metrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/metrics"
)

// BenchmarkCheckRequest is what the metrics add to a check answered on
// the lean path: the request's time and histogram, and the check counted.
func BenchmarkCheckRequest(b *testing.B) {
	m := metrics.New(metrics.Sources{})
	op := m.Operation("check")
	start := time.Now()
	for b.Loop() {
		op.Request(200, time.Since(start))
		m.Checks(1, 0)
	}
}

// The request histograms count each request in its bucket, cumulatively
// as Prometheus reads them, with their sum, per operation and status.
func TestRequestHistograms(t *testing.T) {
	m := metrics.New(metrics.Sources{})
	check, unmatched := m.Operation("check"), m.Operation("")
	for _, d := range []time.Duration{50 * time.Microsecond, 300 * time.Microsecond, 2 * time.Second, 2 * time.Minute} {
		check.Request(200, d)
	}
	check.Request(422, time.Millisecond)
	unmatched.Request(404, time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	text := rec.Body.String()
	for _, want := range []string{
		`roster_http_request_duration_seconds_bucket{operation="check",status="200",le="0.0001"} 1`,
		`roster_http_request_duration_seconds_bucket{operation="check",status="200",le="0.0005"} 2`,
		`roster_http_request_duration_seconds_bucket{operation="check",status="200",le="2.5"} 3`,
		`roster_http_request_duration_seconds_bucket{operation="check",status="200",le="60"} 3`,
		`roster_http_request_duration_seconds_bucket{operation="check",status="200",le="+Inf"} 4`,
		`roster_http_request_duration_seconds_sum{operation="check",status="200"} 122.00035`,
		`roster_http_request_duration_seconds_count{operation="check",status="422"} 1`,
		`roster_http_request_duration_seconds_count{operation="unmatched",status="404"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("want %s in\n%s", want, text)
		}
	}
}
