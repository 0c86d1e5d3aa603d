package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// mustBatchSetup makes community c with 100 members and 100 roles, and
// returns the body of a batch that adds every role to every member.
func mustBatchSetup(tb testing.TB, e *Env) map[string]any {
	tb.Helper()
	users := make([]string, 100)
	for i := range users {
		users[i] = fmt.Sprintf("u%03d", i)
	}
	e.MustCommunity(tb, "c", "", users...)
	roles := make([]string, 100)
	for i := range roles {
		roles[i] = e.MustRole(tb, "c", fmt.Sprintf("role %d", i), "MUTE_MEMBERS")
	}
	return map[string]any{"userIds": users, "roleIds": roles}
}

// BenchmarkWebhookBatchDelivery times a 100 × 100 batch-add until its
// 10,000 member.role_added events have all reached one endpoint, which
// verifies each with the Standard Webhooks library; one message per
// request. The reference, measured in the same run, is one client posting
// 10,000 signed messages of the same size to the same receiver, one after
// another: the least sequential delivery can cost.
func BenchmarkWebhookBatchDelivery(b *testing.B) {
	for _, eng := range sqltest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			eng.Require(b)
			e := MustEnv(b, eng)
			body := mustBatchSetup(b, e)
			r := newReceiver(b)
			res := e.Must(b, http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": r.URL, "events": []string{"member.role_added"}, "enabled": false})
			r.trust(b, res.Str("secret"))
			e.Must(b, http.StatusOK, "PATCH", "/v1/webhooks/"+res.Str("id"), map[string]any{"enabled": true})
			var took time.Duration
			for b.Loop() {
				start, n := time.Now(), len(r.waitFor(b, 0))
				e.Must(b, http.StatusOK, "POST", "/v1/communities/c/roles/batch-add", body)
				r.waitForQuietly(b, n+10_000, time.Minute)
				took += time.Since(start)
				b.StopTimer()
				e.Must(b, http.StatusOK, "POST", "/v1/communities/c/roles/batch-remove", body)
				b.StartTimer()
			}
			bare := barePosts(b, r, 10_000)
			per := took / time.Duration(b.N)
			b.ReportMetric(per.Seconds(), "s/10k-delivered")
			b.ReportMetric(bare.Seconds(), "s/10k-bare-posts")
			b.ReportMetric(float64(per)/float64(bare), "x-bare")
		})
	}
}

// barePosts posts n messages, signed as deliveries are, to the receiver
// one after another, and returns how long that took.
func barePosts(b *testing.B, r *receiver, n int) time.Duration {
	b.Helper()
	r.mu.Lock()
	r.verify = nil // no secret: the messages are not signed with its secret
	r.mu.Unlock()
	msg := []byte(`{"type":"member.role_added","timestamp":"2026-12-04T00:00:00Z","data":{"revision":1,"at":"2026-12-04T00:00:00Z",` +
		`"actor":{"keyId":"dc91lvpksdu9uqq7l000"},"communityId":"c","action":"member.role_added","targetType":"member","targetId":"u001",` +
		`"before":null,"after":{"userId":"u001","roleId":"dc91lvpksdu9uqq7l000","roleName":"role 1","source":"manual",` +
		`"grantedBy":{"keyId":"dc91lvpksdu9uqq7l000"},"grantedAt":"2026-12-04T00:00:00Z"}}}`)
	client := &http.Client{}
	start := time.Now()
	for i := range n {
		req, _ := http.NewRequest("POST", r.URL, bytes.NewReader(msg))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("webhook-id", "msg_"+strconv.Itoa(i))
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return time.Since(start)
}

// waitForQuietly is waitFor with a bound, polling less often.
func (r *receiver) waitForQuietly(tb testing.TB, n int, bound time.Duration) {
	tb.Helper()
	for deadline := time.Now().Add(bound); ; time.Sleep(5 * time.Millisecond) {
		r.mu.Lock()
		got, rejected := len(r.got), len(r.rejected)
		r.mu.Unlock()
		if rejected > 0 {
			tb.Fatalf("the receiver rejected %d messages", rejected)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the receiver got %d messages within %s, want %d", got, bound, n)
		}
	}
}

// BenchmarkChangeFeed reads 10,000 events through GET /v1/changes, 1,000
// a page, as one reader that decodes each page: the newest 10,000 (held
// in the feed's memory) and 10,000 older ones (read from the database).
// The reference, measured in the same run, is a bare net/http handler
// answering the same pages, already encoded, to the same reader.
func BenchmarkChangeFeed(b *testing.B) {
	for _, eng := range sqltest.Engines {
		b.Run(eng.Name, func(b *testing.B) {
			eng.Require(b)
			e := MustEnv(b, eng)
			body := mustBatchSetup(b, e)
			from := int64(e.Revision(b))
			e.Must(b, http.StatusOK, "POST", "/v1/communities/c/roles/batch-add", body)
			mid := int64(e.Revision(b))
			e.Must(b, http.StatusOK, "POST", "/v1/communities/c/roles/batch-remove", body)
			for _, part := range []struct {
				name  string
				after int64
			}{{"database", from}, {"memory", mid}} {
				b.Run(part.name, func(b *testing.B) {
					var pages [][]byte
					for b.Loop() {
						pages = readFeed(b, e.URL, e.Key, part.after, 10_000)
					}
					eps := 10_000 * float64(b.N) / b.Elapsed().Seconds()
					bare := bareFeed(b, pages)
					b.ReportMetric(eps, "events/s")
					b.ReportMetric(bare, "bare-events/s")
					b.ReportMetric(eps/bare, "x-bare")
				})
			}
		})
	}
}

// feedPage is a page of the change feed as a reader decodes it.
type feedPage struct {
	Items     []json.RawMessage `json:"items"`
	NextAfter int64             `json:"nextAfter"`
}

// readFeed reads n events after the revision and returns the pages read.
func readFeed(b *testing.B, base, key string, after int64, n int) [][]byte {
	b.Helper()
	var pages [][]byte
	for got := 0; got < n; {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/changes?after=%d&limit=1000", base, after), nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		var page feedPage
		if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &page) != nil || len(page.Items) == 0 {
			b.Fatalf("changes after %d: %d %.200s", after, resp.StatusCode, raw)
		}
		pages = append(pages, raw)
		got += len(page.Items)
		after = page.NextAfter
	}
	return pages
}

// bareFeed serves the pages from a bare handler to the same reader and
// returns the events per second read.
func bareFeed(b *testing.B, pages [][]byte) float64 {
	b.Helper()
	i := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(pages[i%len(pages)])
		i++
	}))
	defer srv.Close()
	n, start := 0, time.Now()
	for time.Since(start) < time.Second {
		resp, err := http.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var page feedPage
		if json.Unmarshal(raw, &page) != nil {
			b.Fatal("bad page")
		}
		n += len(page.Items)
	}
	return float64(n) / time.Since(start).Seconds()
}
