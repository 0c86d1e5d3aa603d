package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster"
)

// requestBody is a request's body as the routes read it. It reports every
// failure to read the body as the client's (a *bodyError), so that the
// answer is 400 invalid_json rather than 500. And once the body is read it
// lifts the read deadline huma sets for reading it, which would otherwise
// fire on the connection's background read while the handler still works,
// cancelling the context of this request and of every later one on the
// connection.
type requestBody struct {
	body io.ReadCloser
	w    http.ResponseWriter
	// size is what the Content-Length header announced, or -1.
	size int64
	read int64
	err  error
}

// newRequestBody reads r's body through a requestBody.
func newRequestBody(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &requestBody{body: r.Body, w: w, size: r.ContentLength}
	}
}

func (b *requestBody) Read(p []byte) (int, error) {
	if b.err != nil {
		b.finish()
		return 0, b.err
	}
	n, err := b.body.Read(p)
	b.read += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		b.finish()
	case err != nil:
		b.fail(b.readError(err))
	}
	if b.err != nil {
		return n, b.err
	}
	return n, err
}

// Close implements io.Closer.
func (b *requestBody) Close() error { return b.body.Close() }

// fail makes err the answer to every read from now on.
func (b *requestBody) fail(err error) {
	b.err = err
	b.finish()
}

// finish lifts the read deadline: the body is read, and the only read
// left on the connection is the server's own watch for the client going
// away, which ends with the handler. It does so at each read past the end,
// since huma sets its deadline when it reads, which may be after the lean
// check path has read the body, and before it reads it again.
func (b *requestBody) finish() {
	huma.SetReadDeadline(b.w, time.Time{})
}

// readError describes a failure to read the body, always the client's
// doing: it sent less than it announced, sent a malformed chunk, sent it
// too slowly, or went away.
func (b *requestBody) readError(err error) *bodyError {
	var ne net.Error
	detail := "the body could not be read"
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) && b.size >= 0:
		detail = fmt.Sprintf("the body ended after %d of the %d bytes its Content-Length announced", b.read, b.size)
	case errors.Is(err, io.ErrUnexpectedEOF):
		detail = "the body ended before its last chunk"
	case errors.As(err, &ne) && ne.Timeout():
		detail = "the body was not received in time"
	}
	return &bodyError{detail: detail, cause: err}
}

// bodyError is a body the server refuses to read further: 400
// invalid_json.
type bodyError struct {
	detail string
	// cause is the error reading the body, if that is what failed.
	cause error
}

func (e *bodyError) Error() string { return e.detail }

// problem is the answer to the request whose body failed. A failed read
// is logged, for the operator, at info level: it is the client's doing.
func (e *bodyError) problem(ctx context.Context) *Problem {
	if e.cause != nil {
		loggerFrom(ctx).Info("request body unreadable", "requestId", requestID(ctx), "err", e.cause)
	}
	return newProblem(ctx, roster.EINVALIDJSON, e.detail, nil)
}
