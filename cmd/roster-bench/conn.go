package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection of a load worker. The timed
// run sends its requests through it rather than net/http's Transport, which
// costs several times more CPU per request: on a machine that the tool
// shares with the server, that CPU is taken from the server. It speaks only
// what the load needs: a request with a JSON body or none, and an answer
// with a Content-Length or chunked.
type conn struct {
	u    *url.URL
	auth string
	c    net.Conn
	r    *bufio.Reader
	req  []byte
}

func newConn(u *url.URL, key string) *conn {
	return &conn{u: u, auth: "Bearer " + key}
}

func (c *conn) dial() error {
	host := c.u.Host
	if c.u.Port() == "" {
		port := "80"
		if c.u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(c.u.Hostname(), port)
	}
	var (
		nc  net.Conn
		err error
	)
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if c.u.Scheme == "https" {
		nc, err = tls.DialWithDialer(d, "tcp", host, &tls.Config{ServerName: c.u.Hostname()})
	} else {
		nc, err = d.Dial("tcp", host)
	}
	if err != nil {
		return err
	}
	c.c = nc
	if c.r == nil {
		c.r = bufio.NewReaderSize(nc, 64<<10)
	} else {
		c.r.Reset(nc)
	}
	return nil
}

// Close closes the connection.
func (c *conn) Close() {
	if c.c != nil {
		c.c.Close()
		c.c = nil
	}
}

// do sends one request and reads its answer's body into out[:0]. It
// returns the status, the Roster-Revision header (0 when absent) and the
// body. On an error the connection is closed; the next request dials again.
func (c *conn) do(method, path string, body, out []byte) (int, int64, []byte, error) {
	if c.c == nil {
		if err := c.dial(); err != nil {
			return 0, 0, out[:0], err
		}
	}
	status, rev, out, keep, err := c.exchange(method, path, body, out)
	if err != nil || !keep {
		c.Close()
	}
	return status, rev, out, err
}

func (c *conn) exchange(method, path string, body, out []byte) (status int, rev int64, _ []byte, keep bool, err error) {
	r := append(c.req[:0], method...)
	r = append(append(append(r, ' '), path...), " HTTP/1.1\r\nHost: "...)
	r = append(append(r, c.u.Host...), "\r\nAuthorization: "...)
	r = append(append(r, c.auth...), "\r\nContent-Length: "...)
	r = strconv.AppendInt(r, int64(len(body)), 10)
	if len(body) > 0 {
		r = append(r, "\r\nContent-Type: application/json"...)
	}
	r = append(append(r, "\r\n\r\n"...), body...)
	c.req = r
	c.c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.c.Write(r); err != nil {
		return 0, 0, out[:0], false, err
	}

	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, 0, out[:0], false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, out[:0], false, fmt.Errorf("bad status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, 0, out[:0], false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, 0, out[:0], false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, 0, out[:0], false, fmt.Errorf("bad header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, 0, out[:0], false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Roster-Revision")):
			rev, _ = strconv.ParseInt(string(value), 10, 64)
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	out = out[:0]
	switch {
	case chunked:
		out, err = c.chunks(out)
	case length >= 0:
		out, err = c.read(out, length)
	case status == 204 || status == 304 || method == "HEAD":
	default:
		return status, rev, out, false, errors.New("an answer with neither Content-Length nor chunks")
	}
	return status, rev, out, keep && err == nil, err
}

// read appends n bytes of the answer to out.
func (c *conn) read(out []byte, n int) ([]byte, error) {
	start := len(out)
	if cap(out)-start < n {
		out = append(out[:cap(out)], make([]byte, start+n-cap(out))...)
	}
	out = out[:start+n]
	_, err := io.ReadFull(c.r, out[start:])
	return out, err
}

// chunks appends a chunked body to out.
func (c *conn) chunks(out []byte) ([]byte, error) {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return out, err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 32)
		if err != nil {
			return out, fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers, up to the empty line
				line, err := c.r.ReadSlice('\n')
				if err != nil || len(bytes.TrimRight(line, "\r\n")) == 0 {
					return out, err
				}
			}
		}
		if out, err = c.read(out, int(n)); err != nil {
			return out, err
		}
		if _, err := c.r.Discard(2); err != nil {
			return out, err
		}
	}
}
