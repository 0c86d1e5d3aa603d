package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"code.dny.dev/ssrf"

	"github.com/rosterhq/roster"
)

// Bounds of one delivery.
const (
	sendTimeout = 15 * time.Second
	// maxResponse is how much of a response is read; responseExcerpt how
	// much of it an attempt keeps.
	maxResponse     = 64 << 10
	responseExcerpt = 1 << 10
)

// sender posts signed messages to endpoints.
type sender struct {
	client *http.Client
}

// newSender returns a sender that refuses to connect to loopback, private,
// link-local and other special-purpose addresses, as resolved when it
// connects, unless allowPrivate; it follows no redirect.
func newSender(allowPrivate bool) *sender {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = ssrf.New(ssrf.WithAnyPort()).Safe
	}
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &sender{client: &http.Client{
		Transport: transport,
		Timeout:   sendTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// message is a delivery's body, as the Standard Webhooks specification
// shapes one: the type, when it happened, and the audit event.
type message struct {
	Type      string       `json:"type"`
	Timestamp time.Time    `json:"timestamp"`
	Data      roster.Event `json:"data"`
}

// result is what one attempt came to.
type result struct {
	status   int
	latency  time.Duration
	response string
	err      error
	// retryAfter is what a 429 or 503 asked for, if it did.
	retryAfter time.Duration
}

func (r result) ok() bool { return r.err == nil && r.status >= 200 && r.status < 300 }

// send posts the event to the endpoint as message id, signed with each of
// its secrets, at now.
func (s *sender) send(ctx context.Context, ep roster.Endpoint, id string, e roster.Event, now time.Time) result {
	body, err := json.Marshal(message{Type: e.Action, Timestamp: e.At, Data: e})
	if err != nil {
		return result{err: err}
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	sig, err := signature(ep.Secrets, id, ts, body)
	if err != nil {
		return result{err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Roster-Webhooks/"+roster.Version)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := s.client.Do(req)
	r := result{latency: time.Since(start)}
	if err != nil {
		r.err = sendError(err)
		return r
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	r.status, r.latency = resp.StatusCode, time.Since(start)
	r.response = excerpt(got)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		r.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	if !r.ok() {
		r.err = fmt.Errorf("the endpoint answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return r
}

// sendError says, without the URL (which may carry a secret), why a
// request got no answer.
func sendError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		err = ue.Unwrap()
	}
	switch {
	case errors.Is(err, ssrf.ErrProhibitedIP), errors.Is(err, ssrf.ErrProhibitedPort), errors.Is(err, ssrf.ErrProhibitedNetwork):
		return fmt.Errorf("refused to connect: the URL resolves to a loopback, private, link-local or other internal address (allowed only with --webhook-allow-private)")
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer within %s", sendTimeout)
	}
	return err
}

// signature signs id.timestamp.body with each secret (whsec_ and the key
// in base64), as the Standard Webhooks specification says: "v1," and the
// HMAC-SHA256 in base64, apart by spaces.
func signature(secrets []string, id, ts string, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return "", fmt.Errorf("events: a webhook secret is not base64: %w", err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "."))
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// excerpt returns the start of a response, as valid text.
func excerpt(b []byte) string {
	if len(b) > responseExcerpt {
		b = b[:responseExcerpt]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
