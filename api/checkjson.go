package api

import "github.com/rosterhq/roster"

// checkRequest is a check request as the lean check path reads it.
type checkRequest struct {
	checks []roster.Check
	min    roster.Revision
}

// parseCheckBody reads a check body of the usual shape: one object of known
// members, whose strings hold printable ASCII without escapes, and whose
// minRevision is a whole number. It reports false for anything else (an
// unknown or repeated member, an escape, null, a missing field), which the
// documented operation then reads with a full JSON decoder and answers as
// for any body. Strings are slices of body. The checks are appended to
// checks[:0], whose memory they reuse.
func parseCheckBody(body string, batch bool, checks []roster.Check) (checkRequest, bool) {
	p := scanner{s: body}
	out := checkRequest{checks: checks[:0]}
	var seen uint8
	var single roster.Check
	ok := p.object(func(key string) bool {
		bit := memberBit(key)
		if bit == 0 || seen&bit != 0 {
			return false
		}
		seen |= bit
		switch {
		case key == "minRevision":
			n, ok := p.whole()
			out.min = roster.Revision(n)
			return ok
		case key == "checks" && batch:
			return p.array(func() bool {
				c, ok := p.check()
				out.checks = append(out.checks, c)
				return ok
			})
		case key != "checks" && !batch:
			return p.field(&single, key)
		}
		return false
	})
	if !ok || !p.end() {
		return out, false
	}
	if !batch {
		if single.UserID == "" || single.Permission == "" {
			return out, false
		}
		out.checks = append(out.checks, single)
	}
	return out, len(out.checks) > 0
}

// memberBit numbers the members a check body may have, one bit each; 0
// for any other.
func memberBit(key string) uint8 {
	switch key {
	case "communityId":
		return 1
	case "channelId":
		return 2
	case "userId":
		return 4
	case "permission":
		return 8
	case "minRevision":
		return 16
	case "checks":
		return 32
	}
	return 0
}

// scanner reads JSON of the usual shape from a string.
type scanner struct {
	s string
	i int
}

func (p *scanner) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c, after white space.
func (p *scanner) byte(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *scanner) end() bool {
	p.space()
	return p.i == len(p.s)
}

// str reads a string of printable ASCII without escapes.
func (p *scanner) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", false
		}
	}
	return "", false
}

// whole reads a whole number of at most 18 digits, without sign or
// leading zero.
func (p *scanner) whole() (int64, bool) {
	p.space()
	start := p.i
	var n int64
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' && p.i-start < 18 {
		n = n*10 + int64(p.s[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || digits > 1 && p.s[start] == '0' || p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == 'e' || p.s[p.i] == 'E' || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
		return 0, false
	}
	return n, true
}

// object reads an object, calling member for each member's key with the
// scanner at its value.
func (p *scanner) object(member func(key string) bool) bool {
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') || !member(key) {
			return false
		}
		if p.byte('}') {
			return true
		}
		if !p.byte(',') {
			return false
		}
	}
}

// array reads a non-empty array, calling item at each item.
func (p *scanner) array(item func() bool) bool {
	if !p.byte('[') {
		return false
	}
	for {
		if !item() {
			return false
		}
		if p.byte(']') {
			return true
		}
		if !p.byte(',') {
			return false
		}
	}
}

// check reads one check of a batch.
func (p *scanner) check() (roster.Check, bool) {
	var c roster.Check
	var seen uint8
	ok := p.object(func(key string) bool {
		bit := memberBit(key)
		if bit == 0 || bit > 8 || seen&bit != 0 {
			return false
		}
		seen |= bit
		return p.field(&c, key)
	})
	return c, ok && c.UserID != "" && c.Permission != ""
}

// field reads one string member of a check; an empty one is left to the
// operation, which refuses it.
func (p *scanner) field(c *roster.Check, key string) bool {
	v, ok := p.str()
	ok = ok && v != ""
	switch key {
	case "communityId":
		c.CommunityID = v
	case "channelId":
		c.ChannelID = v
	case "userId":
		c.UserID = v
	case "permission":
		c.Permission = v
	default:
		return false
	}
	return ok
}
