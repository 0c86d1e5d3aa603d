package events

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/rosterhq/roster"
)

// TestSignatureVerifiesWithTheSpecLibrary signs with two secrets, as during
// a rotation: the specification's own library accepts the message with
// either.
func TestSignatureVerifiesWithTheSpecLibrary(t *testing.T) {
	secrets := []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_" + "c2Vjb25kIHNlY3JldCBvZiB0aGUgdGVzdA=="}
	body := []byte(`{"type":"member.joined","timestamp":"2026-12-04T00:00:00Z","data":{}}`)
	ts := time.Now()
	sig, err := signature(secrets, "msg_1", itoa(ts.Unix()), body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", itoa(ts.Unix()))
	h.Set("webhook-signature", sig)
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("Verify with %s: %v", s, err)
		}
		if err := wh.Verify(append(body, ' '), h); err == nil {
			t.Errorf("Verify of a changed body with %s: got nil, want an error", s)
		}
	}
	other, _ := standardwebhooks.NewWebhook("whsec_b3RoZXIgc2VjcmV0IG9mIHRoZSB0ZXN0")
	if other.Verify(body, h) == nil {
		t.Error("Verify with a secret that did not sign: got nil, want an error")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var endpoint = roster.Endpoint{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}

func TestSenderRefusesInternalAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	ep := endpoint
	ep.URL = srv.URL
	e := roster.Event{Revision: 1, Action: "member.joined", Before: []byte("null"), After: []byte("null")}
	r := newSender(false).send(context.Background(), ep, "msg_x_1", e, time.Now())
	if r.ok() || r.err == nil || !strings.Contains(r.err.Error(), "internal address") || hits.Load() != 0 {
		t.Errorf("guarded, to %s: got %+v (%d hits), want a refusal before connecting", srv.URL, r, hits.Load())
	}
	if r := newSender(true).send(context.Background(), ep, "msg_x_1", e, time.Now()); !r.ok() || hits.Load() != 1 {
		t.Errorf("with private addresses allowed: got %+v, want delivered", r)
	}
	for _, url := range []string{"http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://[::1]:9/", "http://0.0.0.0:9/"} {
		ep.URL = url
		if r := newSender(false).send(context.Background(), ep, "msg_x_1", e, time.Now()); r.err == nil || !strings.Contains(r.err.Error(), "internal address") {
			t.Errorf("guarded, to %s: got %v, want a refusal", url, r.err)
		}
	}
}

func TestSenderFollowsNoRedirectAndReadsLittle(t *testing.T) {
	var followed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/target", http.StatusFound)
		case "/target":
			followed.Store(true)
		case "/big":
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(strings.Repeat("é", 1<<20)))
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	s := newSender(true)
	e := roster.Event{Revision: 1, Action: "member.joined", Before: []byte("null"), After: []byte("null")}
	ep := endpoint
	ep.URL = srv.URL + "/moved"
	if r := s.send(context.Background(), ep, "m", e, time.Now()); r.ok() || r.status != http.StatusFound || followed.Load() {
		t.Errorf("a redirect: got %+v (followed %v), want a failed 302, not followed", r, followed.Load())
	}
	ep.URL = srv.URL + "/big"
	if r := s.send(context.Background(), ep, "m", e, time.Now()); !r.ok() || len(r.response) > responseExcerpt || !strings.HasPrefix(r.response, "éé") {
		t.Errorf("a big answer: got %d bytes kept (%v), want at most %d, valid text", len(r.response), r.err, responseExcerpt)
	}
	ep.URL = srv.URL + "/busy"
	if r := s.send(context.Background(), ep, "m", e, time.Now()); r.ok() || r.retryAfter != 2*time.Minute {
		t.Errorf("a 429 with Retry-After: 120: got %+v, want a failure asking for 2m", r)
	}
}

func TestRetryPause(t *testing.T) {
	d := &Dispatcher{opt: DispatchOptions{Retries: DefaultRetries}}
	for n, want := range DefaultRetries {
		got, more := d.retryPause(n+1, 0)
		if !more || got < want*9/10 || got > want*11/10 {
			t.Errorf("pause after %d failed attempts: got %s, %v; want %s within a tenth", n+1, got, more, want)
		}
	}
	if _, more := d.retryPause(len(DefaultRetries)+1, 0); more {
		t.Error("after the last attempt: got another, want none")
	}
	if got, _ := d.retryPause(1, time.Hour); got != time.Hour {
		t.Errorf("a Retry-After of 1h after the first attempt: got %s, want 1h", got)
	}
	now := time.Now()
	for v, want := range map[string]time.Duration{"": 0, "30": 30 * time.Second, "soon": 0, "-5": 0,
		now.Add(90 * time.Second).UTC().Format(http.TimeFormat): 90 * time.Second} {
		if got := parseRetryAfter(v, now); got < want-time.Second || got > want {
			t.Errorf("Retry-After %q: got %s, want %s", v, got, want)
		}
	}
}
