package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster"
)

// requestBody is a request's body as the routes read it. It refuses a body
// that is not UTF-8, or that escapes half of a UTF-16 surrogate pair
// ("\ud800"): JSON text is UTF-8 (RFC 8259 §8.1), and encoding/json would
// silently turn both into U+FFFD before any validation could see them. It
// reports every failure to read the body as the client's (a *bodyError), so
// that the answer is 400 invalid_json rather than 500. And once the body
// is read it lifts the read deadline huma sets for reading it, which would
// otherwise fire on the connection's background read while the handler
// still works, cancelling the context of this request and of every later
// one on the connection.
type requestBody struct {
	body io.ReadCloser
	w    http.ResponseWriter
	// size is what the Content-Length header announced, or -1.
	size int64
	read int64
	text textScan
	err  error
}

// newRequestBody reads r's body through a requestBody, taken from a pool:
// the caller releases it once the request is answered. It returns nil for
// a request without a body.
func newRequestBody(w http.ResponseWriter, r *http.Request) *requestBody {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b := requestBodies.Get().(*requestBody)
	*b = requestBody{body: r.Body, w: w, size: r.ContentLength}
	r.Body = b
	return b
}

var requestBodies = sync.Pool{New: func() any { return new(requestBody) }}

// release returns the body to the pool; nothing may read it after.
func (b *requestBody) release() {
	*b = requestBody{}
	requestBodies.Put(b)
}

func (b *requestBody) Read(p []byte) (int, error) {
	if b.err != nil {
		b.finish()
		return 0, b.err
	}
	n, err := b.body.Read(p)
	if bad := b.text.scan(p[:n], b.read); bad != "" {
		b.fail(&bodyError{detail: bad})
	}
	b.read += int64(n)
	switch {
	case b.err != nil:
	case errors.Is(err, io.EOF):
		if bad := b.text.end(b.read); bad != "" {
			b.fail(&bodyError{detail: bad})
		} else {
			b.finish()
		}
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

// textScan checks, a piece at a time, that a body is UTF-8 and escapes
// no lone UTF-16 surrogate. Escapes are recognised anywhere, in strings or
// not: outside a string a backslash is not JSON, and is refused anyway.
type textScan struct {
	// carry holds the first bytes of a character the previous piece cut.
	carry [utf8.UTFMax]byte
	nc    int
	// esc is 0 outside an escape, 1 after a backslash, and 2-5 after \u
	// and 0-3 of its hex digits; code is the digits so far.
	esc  int
	code rune
	// high is set just after the escape of a high surrogate (at highAt):
	// the escape of a low surrogate must follow at once.
	high   bool
	highAt int64
	escAt  int64
}

// scan checks the next piece of the body, which starts at byte off. It
// returns what is wrong, or "".
func (s *textScan) scan(p []byte, off int64) string {
	if bad := s.utf8(p, off); bad != "" {
		return bad
	}
	return s.escapes(p, off)
}

// end checks that the body did not stop inside a character or a pair.
func (s *textScan) end(off int64) string {
	switch {
	case s.nc > 0:
		return fmt.Sprintf("the body is not valid UTF-8: it ends inside a character, at byte %d", off-int64(s.nc))
	case s.high:
		return loneSurrogate(s.highAt)
	}
	return ""
}

func notUTF8(at int64) string {
	return fmt.Sprintf("the body is not valid UTF-8 (at byte %d): JSON text must be", at)
}

func loneSurrogate(at int64) string {
	return fmt.Sprintf("the body escapes half of a UTF-16 surrogate pair (at byte %d), which is no character", at)
}

func (s *textScan) utf8(p []byte, off int64) string {
	i := 0
	if s.nc > 0 {
		start := off - int64(s.nc)
		for s.nc < len(s.carry) && i < len(p) && !utf8.FullRune(s.carry[:s.nc]) {
			s.carry[s.nc] = p[i]
			s.nc++
			i++
		}
		if !utf8.FullRune(s.carry[:s.nc]) {
			return ""
		}
		if r, size := utf8.DecodeRune(s.carry[:s.nc]); r == utf8.RuneError && size == 1 {
			return notUTF8(start)
		}
		s.nc = 0
	}
	rest := p[i:]
	// A character cut at the end of the piece is completed by the next.
	whole := len(rest)
	for k := 1; k < utf8.UTFMax && k <= len(rest); k++ {
		if utf8.RuneStart(rest[len(rest)-k]) {
			if !utf8.FullRune(rest[len(rest)-k:]) {
				whole = len(rest) - k
			}
			break
		}
	}
	if !utf8.Valid(rest[:whole]) {
		for j := 0; j < whole; {
			r, size := utf8.DecodeRune(rest[j:whole])
			if r == utf8.RuneError && size == 1 {
				return notUTF8(off + int64(i+j))
			}
			j += size
		}
	}
	s.nc = copy(s.carry[:], rest[whole:])
	return ""
}

func (s *textScan) escapes(p []byte, off int64) string {
	for i := 0; i < len(p); i++ {
		if s.esc == 0 && !s.high {
			j := bytes.IndexByte(p[i:], '\\')
			if j < 0 {
				return ""
			}
			i += j
		}
		c := p[i]
		switch s.esc {
		case 0:
			if c != '\\' {
				return loneSurrogate(s.highAt)
			}
			s.esc, s.escAt = 1, off+int64(i)
		case 1:
			if c != 'u' {
				if s.high {
					return loneSurrogate(s.highAt)
				}
				s.esc = 0
				continue
			}
			s.esc, s.code = 2, 0
		default:
			h := hexDigit(c)
			if h < 0 {
				// Not an escape: the JSON decoder refuses it.
				s.esc, s.high = 0, false
				continue
			}
			s.code = s.code<<4 | h
			if s.esc++; s.esc < 6 {
				continue
			}
			s.esc = 0
			switch high, low := 0xd800 <= s.code && s.code < 0xdc00, 0xdc00 <= s.code && s.code < 0xe000; {
			case s.high && low:
				s.high = false
			case s.high:
				return loneSurrogate(s.highAt)
			case high:
				s.high, s.highAt = true, s.escAt
			case low:
				return loneSurrogate(s.escAt)
			}
		}
	}
	return ""
}

func hexDigit(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}
