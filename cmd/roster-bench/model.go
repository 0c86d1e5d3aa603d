package main

import (
	"bytes"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// The dataset roster-bench seeds and checks against: a pure function of
// its sizes, seed and prefix, so that a later run can rebuild it in memory.
// Permissions are bits over roster.BuiltinPermissions (bit 0 is
// ADMINISTRATOR, which no role or overwrite of the dataset names).
type dataset struct {
	prefix      string
	communities []*community
	users       int
	userWidth   int
	// members lists every membership once, for uniform draws.
	members     []memberRef
	assignments int
	// p is the chance that a role grants each key, tuned so that about half
	// the checks drawn are allowed.
	p float64
	// platform is what the platform's everyone role grants (read from the
	// server), which applies to every user.
	platform []string
}

type memberRef struct{ c, m int32 }

type community struct {
	id       string
	everyone uint32
	roles    []benchRole
	// members holds user numbers; set[i] is the index in sets of the roles
	// members[i] was given.
	members  []int32
	set      []int32
	sets     [][]uint8
	channels []benchChannel
}

type benchRole struct {
	name string
	// id is the server's id for the role, known once seeded.
	id   string
	mask uint32
}

type benchChannel struct {
	id       string
	everyone overwrite
	roles    []roleOverwrite
	// member is the index in members of the member with an overwrite, or -1.
	member   int32
	memberOW overwrite
}

type overwrite struct{ allow, deny uint32 }

type roleOverwrite struct {
	role uint8
	overwrite
}

// rolesPerMember is the average number of roles a member holds, which sets
// how many memberships the assignments are spread over.
const rolesPerMember = 3

// groupSize is how many members share one set of roles: the seeding adds
// each set to its members in one batch request.
const groupSize = 32

var permBits = func() map[string]uint32 {
	m := make(map[string]uint32)
	for i, k := range roster.BuiltinPermissions {
		m[k] = 1 << i
	}
	return m
}()

func maskOf(keys []string) uint32 {
	var m uint32
	for _, k := range keys {
		m |= permBits[k]
	}
	return m
}

func keysOf(m uint32) []string {
	out := make([]string, 0, bits.OnesCount32(m))
	for i, k := range roster.BuiltinPermissions {
		if m&(1<<i) != 0 {
			out = append(out, k)
		}
	}
	return out
}

func digits(n int) int { return len(strconv.Itoa(n)) }

// newDataset builds the dataset for these sizes.
func newDataset(prefix string, seed uint64, communities, roles, users, assignments, channels int) *dataset {
	rng := rand.New(rand.NewPCG(seed, 0x726f73746572))
	d := &dataset{prefix: prefix, users: users, userWidth: max(6, digits(users))}
	cw := max(4, digits(communities))
	everyone := maskOf(roster.CommunityEveryonePermissions)
	for i := range communities {
		c := &community{id: fmt.Sprintf("%s-c%0*d", prefix, cw, i+1), everyone: everyone, roles: make([]benchRole, roles)}
		for r := range c.roles {
			c.roles[r].name = fmt.Sprintf("r%03d", r+1)
		}
		d.communities = append(d.communities, c)
	}
	memberships := min(max(assignments/rolesPerMember, users), users*communities)
	d.join(rng, memberships)
	d.assign(rng, assignments, memberships)
	for _, c := range d.communities {
		c.addChannels(rng, channels)
	}
	d.tune(seed)
	return d
}

// join makes the memberships: each user joins about the same number of
// communities.
func (d *dataset) join(rng *rand.Rand, memberships int) {
	communities := len(d.communities)
	for u := range d.users {
		k := memberships / d.users
		if u < memberships%d.users {
			k++
		}
		var joined []int
		if 4*k > communities {
			joined = rng.Perm(communities)[:k]
		} else {
			for len(joined) < k {
				if c := rng.IntN(communities); !slices.Contains(joined, c) {
					joined = append(joined, c)
				}
			}
		}
		for _, c := range joined {
			d.communities[c].members = append(d.communities[c].members, int32(u))
		}
	}
}

// assign spreads the assignments over the communities by their members,
// listing every membership in d.members as it goes.
func (d *dataset) assign(rng *rand.Rand, assignments, memberships int) {
	done := 0
	for ci, c := range d.communities {
		for j := range c.members {
			d.members = append(d.members, memberRef{int32(ci), int32(j)})
		}
		want := assignments*len(d.members)/max(memberships, 1) - done
		done += want
		c.giveRoles(rng, want)
		for _, j := range c.set {
			d.assignments += len(c.sets[j])
		}
	}
}

// giveRoles gives the community's members want role assignments in all
// (fewer when that is more than every role for each): groups of about
// groupSize members share a set of want/members roles, and the first
// want%members members in a random order hold their group's set and one
// role more.
func (c *community) giveRoles(rng *rand.Rand, want int) {
	m, roles := len(c.members), len(c.roles)
	c.set = make([]int32, m)
	if m == 0 {
		return
	}
	k, extra := want/m, want%m
	if k >= roles {
		k, extra = roles, 0
	}
	order := rng.Perm(m)
	groups := max(1, (m+groupSize-1)/groupSize)
	for g := range groups {
		lo, hi := g*m/groups, (g+1)*m/groups
		roleSet := rng.Perm(roles)
		base := int32(len(c.sets))
		c.sets = append(c.sets, toU8(roleSet[:k]))
		withExtra := int32(-1)
		for _, j := range order[lo:hi] {
			c.set[j] = base
			if extra > 0 {
				if withExtra < 0 {
					withExtra = int32(len(c.sets))
					c.sets = append(c.sets, toU8(roleSet[:k+1]))
				}
				c.set[j] = withExtra
				extra--
			}
		}
	}
}

// addChannels adds the community's channels: each with an everyone
// overwrite, 1-3 role overwrites on roles in use, and half the time one
// member's.
func (c *community) addChannels(rng *rand.Rand, channels int) {
	var used []uint8
	for _, s := range c.sets {
		for _, r := range s {
			if !slices.Contains(used, r) {
				used = append(used, r)
			}
		}
	}
	if len(used) == 0 {
		for r := range c.roles {
			used = append(used, uint8(r))
		}
	}
	for i := range channels {
		ch := benchChannel{id: fmt.Sprintf("ch%02d", i+1), everyone: randomOverwrite(rng), member: -1}
		n := min(1+rng.IntN(3), len(used))
		for _, j := range rng.Perm(len(used))[:n] {
			ch.roles = append(ch.roles, roleOverwrite{used[j], randomOverwrite(rng)})
		}
		if len(c.members) > 0 && rng.IntN(2) == 0 {
			ch.member, ch.memberOW = int32(rng.IntN(len(c.members))), randomOverwrite(rng)
		}
		c.channels = append(c.channels, ch)
	}
}

func toU8(s []int) []uint8 {
	out := make([]uint8, len(s))
	for i, v := range s {
		out[i] = uint8(v)
	}
	return out
}

// randomOverwrite allows 0-2 keys and denies 0-2 others (at least one key in
// all), never ADMINISTRATOR.
func randomOverwrite(rng *rand.Rand) overwrite {
	var o overwrite
	na, nd := rng.IntN(3), rng.IntN(3)
	if na+nd == 0 {
		nd = 1
	}
	keys := rng.Perm(len(roster.BuiltinPermissions) - 1)
	for i, k := range keys[:na+nd] {
		if i < na {
			o.allow |= 1 << (k + 1)
		} else {
			o.deny |= 1 << (k + 1)
		}
	}
	return o
}

// tune chooses p, the chance that a role grants each key but ADMINISTRATOR,
// so that about half of all (membership, key) checks are allowed, and sets
// the roles' permissions. A role's key is decided by a hash of the seed, the
// role and the key against p, so the share grows with p and a bisection
// finds it.
func (d *dataset) tune(seed uint64) {
	share := func(p float64) float64 {
		d.grant(seed, p)
		var allowed, all int
		for i, ref := range d.members {
			if len(d.members) > 20000 && i%(len(d.members)/20000) != 0 {
				continue
			}
			c := d.communities[ref.c]
			mask := c.everyone
			for _, r := range c.sets[c.set[ref.m]] {
				mask |= c.roles[r].mask
			}
			allowed += bits.OnesCount32(mask)
			all += len(roster.BuiltinPermissions)
		}
		return float64(allowed) / float64(max(all, 1))
	}
	lo, hi := 0.0, 1.0
	for range 30 {
		if mid := (lo + hi) / 2; share(mid) < 0.5 {
			lo = mid
		} else {
			hi = mid
		}
	}
	d.p = hi
	d.grant(seed, hi)
}

func (d *dataset) grant(seed uint64, p float64) {
	limit := uint64(p * (1 << 53))
	for ci, c := range d.communities {
		for ri := range c.roles {
			var m uint32
			for k := 1; k < len(roster.BuiltinPermissions); k++ {
				if splitmix(seed^uint64(ci)<<32^uint64(ri)<<8^uint64(k))>>11 < limit {
					m |= 1 << k
				}
			}
			c.roles[ri].mask = m
		}
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// userID is the id of user number u.
func (d *dataset) userID(u int32) string {
	return fmt.Sprintf("%s-u%0*d", d.prefix, d.userWidth, u+1)
}

// query is one check of the dataset; channel is -1 for none.
type query struct {
	ref     memberRef
	perm    uint8
	channel int16
}

// draw picks a check uniformly over the dataset: a membership, a key and,
// with chance share, one of the community's channels.
func (d *dataset) draw(rng *rand.Rand, share float64, from []memberRef) query {
	ref := from[rng.IntN(len(from))]
	return d.drawAt(rng, share, ref)
}

func (d *dataset) drawAt(rng *rand.Rand, share float64, ref memberRef) query {
	q := query{ref: ref, perm: uint8(rng.IntN(len(roster.BuiltinPermissions))), channel: -1}
	if chs := d.communities[ref.c].channels; len(chs) > 0 && share > 0 && rng.Float64() < share {
		q.channel = int16(rng.IntN(len(chs)))
	}
	return q
}

// expect answers a check from the model with Roster's own rules: held is
// the member's roles as the model knows them.
func (d *dataset) expect(q query, held []uint8) bool {
	c := d.communities[q.ref.c]
	h := authz.Holdings{
		InCommunity:      true,
		Member:           true,
		Everyone:         authz.Grantor{RoleID: "everyone", Permissions: keysOf(c.everyone)},
		PlatformEveryone: authz.Grantor{RoleID: "platform-everyone", Platform: true, Permissions: d.platform},
	}
	for _, r := range held {
		h.Roles = append(h.Roles, authz.Grantor{RoleID: c.roles[r].name, Permissions: keysOf(c.roles[r].mask)})
	}
	if q.channel >= 0 {
		ch := c.channels[q.channel]
		ow := &authz.Overwrites{Everyone: &authz.Overwrite{RoleID: "everyone", Allow: keysOf(ch.everyone.allow), Deny: keysOf(ch.everyone.deny)}}
		for _, o := range ch.roles {
			if slices.Contains(held, o.role) {
				ow.Roles = append(ow.Roles, authz.Overwrite{RoleID: c.roles[o.role].name, Allow: keysOf(o.allow), Deny: keysOf(o.deny)})
			}
		}
		if ch.member == q.ref.m {
			ow.Member = &authz.Overwrite{UserID: "member", Allow: keysOf(ch.memberOW.allow), Deny: keysOf(ch.memberOW.deny)}
		}
		h.Channel = ow
	}
	return authz.Effective(h).Has(roster.BuiltinPermissions[q.perm])
}

// seeded returns the roles a member was seeded with.
func (d *dataset) seeded(ref memberRef) []uint8 {
	c := d.communities[ref.c]
	return c.sets[c.set[ref.m]]
}

// roleNames lists the names of roles of community c.
func (d *dataset) roleNames(c int32, held []uint8) string {
	names := []string{"everyone"}
	for _, r := range held {
		names = append(names, d.communities[c].roles[r].name)
	}
	return strings.Join(names, " ")
}

// appendCheck appends the check's JSON object, as the API receives it.
func (d *dataset) appendCheck(buf []byte, q query) []byte {
	c := d.communities[q.ref.c]
	buf = append(buf, `{"communityId":`...)
	buf = strconv.AppendQuote(buf, c.id)
	buf = append(buf, `,"userId":"`...)
	buf = append(buf, d.prefix...)
	buf = append(buf, "-u"...)
	n := strconv.AppendInt(make([]byte, 0, 12), int64(c.members[q.ref.m])+1, 10)
	for range d.userWidth - len(n) {
		buf = append(buf, '0')
	}
	buf = append(buf, n...)
	buf = append(buf, `","permission":"`...)
	buf = append(buf, roster.BuiltinPermissions[q.perm]...)
	buf = append(buf, '"')
	if q.channel >= 0 {
		buf = append(buf, `,"channelId":`...)
		buf = strconv.AppendQuote(buf, c.channels[q.channel].id)
	}
	return append(buf, '}')
}

// describe names a check for a report.
func (d *dataset) describe(q query) string {
	c := d.communities[q.ref.c]
	s := fmt.Sprintf("community %s user %s permission %s", c.id, d.userID(c.members[q.ref.m]), roster.BuiltinPermissions[q.perm])
	if q.channel >= 0 {
		s += " channel " + c.channels[q.channel].id
	}
	return s
}

// The mixed mode's model: each worker writes and checks only its own
// memberships, so the seeded dataset plus the writes it made is the whole
// truth about them, whatever the other workers do.

// roles returns the roles the worker's model says a member holds.
func (w *worker) roles(ref memberRef) []uint8 {
	if held, ok := w.held[ref]; ok {
		return held
	}
	return w.d.seeded(ref)
}

// draw builds a request of checks with the worker's latest revision: half
// of them about a membership it wrote lately, the others uniform over its
// memberships.
func (w *worker) draw() entry {
	e := &w.mixed
	e.checks, e.expect = e.checks[:0], e.expect[:0]
	for range w.batch {
		var q query
		if len(w.recent) > 0 && w.rng.IntN(2) == 0 {
			q = w.d.drawAt(w.rng, w.b.ChannelShare, w.recent[w.rng.IntN(len(w.recent))])
		} else {
			q = w.d.draw(w.rng, w.b.ChannelShare, w.own)
		}
		e.checks = append(e.checks, q)
		e.expect = append(e.expect, w.d.expect(q, w.roles(q.ref)))
	}
	e.body = w.b.appendBody(e.body[:0], w.d, w.rev, e.checks)
	return *e
}

// write adds a role the member does not hold (kind 0) or removes one they
// hold (kind 1), chosen from the model, and records it. It reports false
// when the worker must stop because the outcome of its write is unknown.
func (w *worker) write(kind int) bool {
	ref, role, ok := w.pick(kind == 0)
	if !ok {
		kind = 1 - kind
		if ref, role, ok = w.pick(kind == 0); !ok {
			return true
		}
	}
	c := w.d.communities[ref.c]
	method, want := "PUT", []byte(`"result":"added"`)
	if kind == 1 {
		method, want = "DELETE", []byte(`"result":"removed"`)
	}
	path := w.base + "/v1/communities/" + c.id + "/members/" + w.d.userID(c.members[ref.m]) + "/roles/" + c.roles[role].id
	start := time.Now()
	status, rev, body, err := w.do(method, path, nil)
	w.wlat.record(time.Since(start))
	w.writes++
	if w.failed(status, body, err) {
		return err == nil // a refused write changes nothing; a lost one, who knows
	}
	if !bytes.Contains(body, want) || rev <= 0 {
		w.disagreements++
		w.b.disagree(fmt.Sprintf("%s %s: expected %s and a Roster-Revision, got %d (revision %d) %.300s", method, path, want, status, rev, bytes.TrimSpace(body)))
		return false
	}
	held := slices.Clone(w.roles(ref))
	if kind == 0 {
		held = append(held, role)
	} else {
		held = slices.DeleteFunc(held, func(r uint8) bool { return r == role })
	}
	w.held[ref] = held
	w.rev = rev
	if len(w.recent) < 16 {
		w.recent = append(w.recent, ref)
	} else {
		w.recent[w.writes%16] = ref
	}
	return true
}

// pick chooses a membership of the worker and a role to add to it (one it
// does not hold) or to remove (one it holds).
func (w *worker) pick(add bool) (memberRef, uint8, bool) {
	for range 64 {
		ref := w.own[w.rng.IntN(len(w.own))]
		held := w.roles(ref)
		n := len(w.d.communities[ref.c].roles)
		switch {
		case add && len(held) < n:
			for {
				if r := uint8(w.rng.IntN(n)); !slices.Contains(held, r) {
					return ref, r, true
				}
			}
		case !add && len(held) > 0:
			return ref, held[w.rng.IntN(len(held))], true
		}
	}
	return memberRef{}, 0, false
}
