package sqlstore_test

import (
	"net"
	"sync"
	"testing"
	"time"
)

// proxy forwards TCP connections to a target. Taken down, it closes every
// connection, and closes new ones on arrival, until it is brought up again.
// Stalled, it keeps every connection open and accepts new ones, but
// forwards no byte either way until the stall ends, as a network partition
// does; what it read meanwhile is forwarded then.
type proxy struct {
	ln     net.Listener
	target string

	mu  sync.Mutex
	off bool
	// stalled is non-nil while the proxy is stalled, and closed when the
	// stall ends.
	stalled chan struct{}
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
}

// startProxy starts a proxy to target; it is taken down, and every
// connection closed, when the test ends.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.down()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

// track records an open connection, or closes it when the proxy is down.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.off {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *proxy) forward(c net.Conn) {
	defer p.drop(c)
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil || !p.track(s) {
		return
	}
	defer p.drop(s)
	done := make(chan struct{})
	go func() {
		p.pipe(s, c)
		s.Close()
		close(done)
	}()
	p.pipe(c, s)
	c.Close()
	<-done
}

// pipe copies src to dst until either fails, holding what it reads while
// the proxy is stalled.
func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			stalled := p.stalled
			p.mu.Unlock()
			if stalled != nil {
				<-stalled
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) drop(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// down ends a stall, closes every connection and refuses new ones.
func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off = true
	p.flowLocked()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// up accepts connections again.
func (p *proxy) up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off = false
}

// stall stops forwarding bytes, on open connections and on new ones,
// keeping every connection open.
func (p *proxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled == nil {
		p.stalled = make(chan struct{})
	}
}

// flow ends a stall: what was held is forwarded, and forwarding goes on.
func (p *proxy) flow() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flowLocked()
}

func (p *proxy) flowLocked() {
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
}
