// Package client is Roster's Go client: a typed method for each operation
// of the HTTP API, over net/http. It speaks in the root package's types —
// its methods have the signatures of the service interfaces there, and a
// refusal is a *roster.Error with the server's code — so that code written
// against roster.CommunityService, say, runs against a remote server too.
//
// Every write returns the revision it is visible at: pass it to a check
// (MinRevision) to read your own writes. A call that meets write_conflict,
// revision_not_ready or database_unavailable is retried a few times with
// jittered backoff (a POST not on database_unavailable: it may have been
// made); lists page with All.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster"
)

// Client calls one Roster server. It is safe for concurrent use.
type Client struct {
	// bases are the servers' URLs, replicas of one deployment; current is
	// the one in use, shared by the clients As makes.
	bases    []*url.URL
	current  *atomic.Int32
	replicas []string
	key      string
	actAs    string
	http     *http.Client
	retry    Retry
}

// Retry is how a client retries a request the server answered with a
// transient refusal.
type Retry struct {
	// Attempts bounds the tries of one call, the first included; 1 turns
	// retries off.
	Attempts int
	// Base is the first wait; each next one doubles, with full jitter.
	Base time.Duration
	// Max bounds one wait.
	Max time.Duration
}

// DefaultRetry is a client's retry unless told otherwise.
var DefaultRetry = Retry{Attempts: 4, Base: 50 * time.Millisecond, Max: 2 * time.Second}

// Option configures a client.
type Option func(*Client)

// WithKey sets the API key (or a user token) the client authenticates with.
func WithKey(key string) Option { return func(c *Client) { c.key = key } }

// WithHTTPClient sets the HTTP client requests go through.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRetry sets how transient refusals are retried.
func WithRetry(r Retry) Option { return func(c *Client) { c.retry = r } }

// WithReplicas adds the URLs of the server's replicas: a call the server in
// use does not take (it cannot be connected to) goes to the next.
func WithReplicas(urls ...string) Option {
	return func(c *Client) { c.replicas = append(c.replicas, urls...) }
}

// New returns a client of the server at baseURL, such as
// http://127.0.0.1:8080.
func New(baseURL string, opts ...Option) (*Client, error) {
	c := &Client{current: &atomic.Int32{}, http: http.DefaultClient, retry: DefaultRetry}
	for _, o := range opts {
		o(c)
	}
	for _, raw := range append([]string{baseURL}, c.replicas...) {
		u, err := url.Parse(strings.TrimRight(raw, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("client: %q is not an http(s) URL of a Roster server", raw)
		}
		c.bases = append(c.bases, u)
	}
	if c.retry.Attempts < 1 {
		c.retry.Attempts = 1
	}
	return c, nil
}

// As returns a client that acts as the user (Roster-Act-As): every guard
// applies to them, as to a user signed in. The key must allow acting.
func (c *Client) As(user string) *Client {
	cc := *c
	cc.actAs = user
	return &cc
}

// path joins a route's segments, escaping each: path("/v1/communities",
// id, "roles").
func path(first string, rest ...string) string {
	var b strings.Builder
	b.WriteString(first)
	for _, s := range rest {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// call is one request of an operation.
type call struct {
	method, path string
	query        url.Values
	body         any
	header       http.Header
	// out receives the answer's JSON body, when not nil.
	out any
}

// answer is what a call answered besides its body.
type answer struct {
	status   int
	revision roster.Revision
}

// retryable are the codes a call is tried again on.
var retryable = map[string]bool{roster.EWRITECONFLICT: true, roster.EREVISIONNOTREADY: true, roster.EUNAVAILABLE: true}

// do sends the call, retrying transient refusals, and decodes its answer.
func (c *Client) do(ctx context.Context, cl call) (answer, error) {
	var body []byte
	if cl.body != nil {
		var err error
		if body, err = json.Marshal(cl.body); err != nil {
			return answer{}, fmt.Errorf("client: encoding the request: %w", err)
		}
	}
	for attempt := 1; ; attempt++ {
		a, err := c.once(ctx, cl, body)
		code := roster.ErrorCode(err)
		// A POST whose commit may have been lost (database_unavailable) may
		// have been made: only a conflict, which rolled back, is sent again.
		if err == nil || attempt >= c.retry.Attempts || !retryable[code] || cl.method == http.MethodPost && code == roster.EUNAVAILABLE {
			return a, err
		}
		wait := c.retry.Base
		for range attempt - 1 {
			if wait >= c.retry.Max/2 {
				wait = c.retry.Max
				break
			}
			wait *= 2
		}
		wait = time.Duration(rand.Int64N(int64(max(min(wait, c.retry.Max), 0)) + 1))
		select {
		case <-ctx.Done():
			return a, err
		case <-time.After(wait):
		}
	}
}

// stream sends the call once and returns its answer's body to read as it
// comes, for a long answer; the caller closes it.
func (c *Client) stream(ctx context.Context, cl call) (io.ReadCloser, error) {
	resp, err := c.send(ctx, cl, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, problem(resp.StatusCode, data)
	}
	return resp.Body, nil
}

// once sends the call once.
func (c *Client) once(ctx context.Context, cl call, body []byte) (answer, error) {
	resp, err := c.send(ctx, cl, body)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	if h := resp.Header.Get("Roster-Revision"); h != "" {
		n, _ := strconv.ParseInt(h, 10, 64)
		a.revision = roster.Revision(n)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return a, &Unreachable{URL: c.bases[c.current.Load()].String(), Err: err}
	}
	if resp.StatusCode >= 400 {
		return a, problem(resp.StatusCode, data)
	}
	if cl.out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, cl.out); err != nil {
			// Something answered, but not as Roster does.
			return a, &Unreachable{URL: c.bases[c.current.Load()].String(), Err: fmt.Errorf("the answer of %s %s is not Roster's: %w", cl.method, cl.path, err)}
		}
	}
	return a, nil
}

// send sends the call's request to the server in use; when that does not
// answer, to the next replica, which is then the one in use. A change goes
// on to the next only when it could not be sent at all (no connection),
// since the server may have taken it; a read goes on whatever the failure.
func (c *Client) send(ctx context.Context, cl call, body []byte) (*http.Response, error) {
	// A segment "." or ".." would name another route once the server
	// cleans the path (".." of a member is the community): never send one.
	for _, seg := range strings.Split(cl.path, "/") {
		if seg == "." || seg == ".." {
			return nil, roster.Invalid(roster.FieldError{Location: "path", Message: `an id cannot be "." or ".."`, Value: seg})
		}
	}
	first := int(c.current.Load())
	for i := range len(c.bases) {
		at := (first + i) % len(c.bases)
		resp, err := c.sendTo(ctx, c.bases[at], cl, body)
		var op *net.OpError
		unsent := errors.As(err, &op) && op.Op == "dial"
		if err == nil || ctx.Err() != nil || !unsent && cl.method != http.MethodGet {
			if err == nil && at != first {
				c.current.CompareAndSwap(int32(first), int32(at))
			}
			return resp, err
		}
	}
	return nil, &Unreachable{URL: c.bases[first].String(), Err: fmt.Errorf("no replica answers")}
}

func (c *Client) sendTo(ctx context.Context, base *url.URL, cl call, body []byte) (*http.Response, error) {
	u := *base
	raw := base.EscapedPath() + cl.path
	u.Path, _ = url.PathUnescape(raw)
	u.RawPath = raw
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	for k, v := range cl.header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.actAs != "" {
		req.Header.Set("Roster-Act-As", c.actAs)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Unreachable{URL: base.String(), Err: err}
	}
	return resp, nil
}

// maxAnswer bounds the body of an answer read: the largest page of the
// largest items with room to spare.
const maxAnswer = 64 << 20

// Unreachable is the error of a call that got no answer from the server.
type Unreachable struct {
	URL string
	Err error
}

func (e *Unreachable) Error() string {
	return fmt.Sprintf("client: the Roster server at %s did not answer: %v", e.URL, e.Err)
}

func (e *Unreachable) Unwrap() error { return e.Err }

// problem turns a problem+json answer into the *roster.Error it reports.
func problem(status int, data []byte) error {
	var doc map[string]json.RawMessage
	var p struct {
		Code   string              `json:"code"`
		Detail string              `json:"detail"`
		Errors []roster.FieldError `json:"errors"`
	}
	if json.Unmarshal(data, &doc) != nil || json.Unmarshal(data, &p) != nil || p.Code == "" {
		return &roster.Error{Code: roster.EINTERNAL, Message: fmt.Sprintf("the server answered %d %s", status, strings.TrimSpace(string(data[:min(len(data), 200)])))}
	}
	// The service interfaces name fields by plain paths (name, roleIds[3]);
	// the API says where in the request they are (body.name).
	for i, f := range p.Errors {
		for _, in := range []string{"body.", "path.", "query."} {
			if loc, ok := strings.CutPrefix(f.Location, in); ok {
				p.Errors[i].Location = loc
			}
		}
	}
	e := &roster.Error{Code: p.Code, Message: p.Detail, Fields: p.Errors}
	for k, v := range doc {
		switch k {
		case "type", "title", "status", "detail", "code", "errors", "requestId", "errorCount":
			continue
		}
		var x any
		if json.Unmarshal(v, &x) == nil {
			e = e.With(k, x)
		}
	}
	return e
}
