package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the metrics at url with the Prometheus text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return families
}

// value is the value of the family's sample whose labels include these.
func value(f *dto.MetricFamily, labels map[string]string) (float64, bool) {
	for _, m := range f.GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match != len(labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestServeMetrics scrapes the metrics of a real server after some
// requests and checks: each family is there, and counts what was done.
func TestServeMetrics(t *testing.T) {
	t.Setenv("ROSTER_ADMIN_KEY", "a-long-enough-admin-key")
	r := MustServe(t, "--data-dir", t.TempDir(), "--webhook-allow-private")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer receiver.Close()
	do := func(method, path, body string) int {
		req, _ := http.NewRequest(method, r.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer a-long-enough-admin-key")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := do("POST", "/v1/webhooks", `{"url": "`+receiver.URL+`/hook"}`); got != http.StatusCreated {
		t.Fatalf("creating a webhook: %d", got)
	}
	do("POST", "/v1/communities", `{"id": "guild", "name": "Guild", "ownerId": "olive"}`)
	for range 3 {
		do("POST", "/v1/check", `{"communityId": "guild", "userId": "olive", "permission": "BAN_MEMBERS"}`)
	}
	do("POST", "/v1/check/batch", `{"checks": [{"communityId": "guild", "userId": "nobody", "permission": "BAN_MEMBERS"}, {"communityId": "guild", "userId": "olive", "permission": "SEND_MESSAGES"}]}`)
	do("GET", "/nowhere", "")

	// The deliveries of those changes to the webhook are counted.
	families := scrape(t, r.URL+"/metrics")
	for deadline := time.Now().Add(20 * time.Second); ; families = scrape(t, r.URL+"/metrics") {
		if n, _ := value(families["roster_webhook_deliveries_total"], map[string]string{"outcome": "delivered"}); n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no webhook delivery counted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, tc := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"roster_http_request_duration_seconds", map[string]string{"operation": "createCommunity", "status": "201"}, 1},
		{"roster_http_request_duration_seconds", map[string]string{"operation": "check", "status": "200"}, 3},
		{"roster_http_request_duration_seconds", map[string]string{"operation": "checkBatch", "status": "200"}, 1},
		{"roster_http_request_duration_seconds", map[string]string{"operation": "unmatched", "status": "404"}, 1},
		{"roster_checks_total", map[string]string{"result": "allowed"}, 4},
		{"roster_checks_total", map[string]string{"result": "denied"}, 1},
		{"roster_index_lag_revisions", nil, 0},
	} {
		f := families[tc.family]
		if f == nil {
			t.Errorf("no %s", tc.family)
			continue
		}
		if got, ok := value(f, tc.labels); !ok || got != tc.want {
			t.Errorf("%s%v: got %v (%v), want %v", tc.family, tc.labels, got, ok, tc.want)
		}
	}
	// A long poll of the change feed is one of its readers while it waits.
	go func() {
		req, _ := http.NewRequest("GET", r.URL+"/v1/changes?after=1000000&wait=20s", nil)
		req.Header.Set("Authorization", "Bearer a-long-enough-admin-key")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for deadline := time.Now().Add(15 * time.Second); ; {
		if n, _ := value(scrape(t, r.URL+"/metrics")["roster_change_feed_readers"], nil); n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("roster_change_feed_readers never counted the long poll")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rev, ok := value(families["roster_index_revision"], nil); !ok || rev < 1 {
		t.Errorf("roster_index_revision: got %v", rev)
	}
	for _, name := range []string{"roster_webhook_delivery_duration_seconds", "go_goroutines", "go_sql_open_connections"} {
		if families[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

// With --metrics-addr, /metrics is served there alone.
func TestServeMetricsAddr(t *testing.T) {
	t.Setenv("ROSTER_ADMIN_KEY", "a-long-enough-admin-key")
	r := MustServe(t, "--data-dir", t.TempDir(), "--metrics-addr", "127.0.0.1:0")
	addr := <-r.MetricsAddr
	if families := scrape(t, "http://"+addr+"/metrics"); families["roster_checks_total"] == nil {
		t.Errorf("the metrics at --metrics-addr: no roster_checks_total")
	}
	if got := get(t, r.URL+"/metrics", ""); got != http.StatusNotFound {
		t.Errorf("/metrics beside the API with --metrics-addr: got %d, want 404", got)
	}
}

// --rate-limits bounds each key's requests: over it, 429 rate_limited.
func TestServeRateLimits(t *testing.T) {
	t.Setenv("ROSTER_ADMIN_KEY", "a-long-enough-admin-key")
	r := MustServe(t, "--data-dir", t.TempDir(), "--rate-limits", "read=1")
	first := get(t, r.URL+"/v1/communities", "a-long-enough-admin-key")
	second := get(t, r.URL+"/v1/communities", "a-long-enough-admin-key")
	if first != http.StatusOK || second != http.StatusTooManyRequests {
		t.Errorf("two reads at read=1: got %d then %d, want 200 then 429", first, second)
	}
}
