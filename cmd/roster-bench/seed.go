package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// call sends one request with the key and returns the answer's
// Roster-Revision (0 when absent) and body. An answer other than 2xx is an
// error that names the request and quotes the problem.
func (b *Bench) call(ctx context.Context, method, path string, body []byte) (int64, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+b.Key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return 0, out, fmt.Errorf("%s %s: %s\n  request: %.500s\n  answer:  %.2000s", method, path, resp.Status, body, out)
	}
	rev, _ := strconv.ParseInt(resp.Header.Get("Roster-Revision"), 10, 64)
	return rev, out, nil
}

// phase is one step of the seeding: jobs run on a small pool of workers,
// each sending its requests in order.
type phase struct {
	name  string
	unit  string
	jobs  []job
	items int
}

// job is a phase's unit of work: requests sent in order.
type job func(ctx context.Context, send sender) error

// sender sends one request of a phase and returns its answer's body.
type sender func(method, path string, body []byte) ([]byte, error)

// seed creates the dataset through the API, printing each phase's requests,
// items and rate, and returns the revision of the last change.
func (b *Bench) seed(ctx context.Context, d *dataset) (int64, error) {
	fmt.Fprintf(b.stdout, "seeding through %s with %d concurrent requests\n", b.URL, b.SeedWorkers)
	var last atomic.Int64
	var requests int
	start := time.Now()
	for _, ph := range b.phases(d) {
		n, elapsed, err := b.runPhase(ctx, ph, &last)
		requests += n
		if err != nil {
			return 0, fmt.Errorf("seeding %s: %w", ph.name, err)
		}
		fmt.Fprintf(b.stdout, "  %-12s %7d requests %9d %-12s in %9s  %9.0f %s/s\n",
			ph.name, n, ph.items, ph.unit, elapsed.Round(time.Millisecond), float64(ph.items)/elapsed.Seconds(), ph.unit)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(b.stdout, "  %-12s %7d requests %9d %-12s in %9s  %9.0f assignments/s over the whole seeding\n",
		"total", requests, d.assignments, "assignments", elapsed.Round(time.Millisecond), float64(d.assignments)/elapsed.Seconds())
	return last.Load(), nil
}

func (b *Bench) runPhase(ctx context.Context, ph phase, last *atomic.Int64) (int, time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, requests atomic.Int64
		once           sync.Once
		first          error
		wg             sync.WaitGroup
	)
	send := func(method, path string, body []byte) ([]byte, error) {
		requests.Add(1)
		rev, out, err := b.call(ctx, method, path, body)
		for {
			seen := last.Load()
			if rev <= seen || last.CompareAndSwap(seen, rev) {
				break
			}
		}
		return out, err
	}
	start := time.Now()
	for range min(b.SeedWorkers, len(ph.jobs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ph.jobs) || ctx.Err() != nil {
					return
				}
				if err := ph.jobs[i](ctx, send); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return int(requests.Load()), time.Since(start), first
}

// phases lists the seeding's steps: communities, their roles (in order,
// each at an explicit position so that none moves), members, role
// assignments in batches of members sharing a set of roles, channels, and
// their overwrites.
func (b *Bench) phases(d *dataset) []phase {
	comm := phase{name: "communities", unit: "communities"}
	roles := phase{name: "roles", unit: "roles"}
	members := phase{name: "members", unit: "memberships"}
	assign := phase{name: "assignments", unit: "assignments"}
	channels := phase{name: "channels", unit: "channels"}
	overwrites := phase{name: "overwrites", unit: "overwrites"}
	for _, c := range d.communities {
		comm.add(1, createCommunity(c))
		roles.add(len(c.roles), createRoles(c))
		addMembers(&members, d, c)
		addAssignments(&assign, d, c)
		for _, ch := range c.channels {
			channels.add(1, putChannel(c, ch))
			n := 1 + len(ch.roles)
			if ch.member >= 0 {
				n++
			}
			overwrites.add(n, putOverwrites(d, c, ch))
		}
	}
	return []phase{comm, roles, members, assign, channels, overwrites}
}

// add appends a job that seeds items of the phase's unit.
func (ph *phase) add(items int, j job) {
	ph.items += items
	ph.jobs = append(ph.jobs, j)
}

// communityPath is the API's path of a community.
func communityPath(c *community) string { return "/v1/communities/" + c.id }

// createCommunity creates the community.
func createCommunity(c *community) job {
	return func(ctx context.Context, send sender) error {
		body := append([]byte(`{"id":`), strconv.Quote(c.id)...)
		body = append(append(body, `,"name":`...), strconv.Quote("Bench "+c.id)...)
		_, err := send("POST", "/v1/communities", append(body, '}'))
		return err
	}
}

// createRoles creates the community's roles in order, each at its
// position, and records the ids the server gave them.
func createRoles(c *community) job {
	return func(ctx context.Context, send sender) error {
		for i := range c.roles {
			r := &c.roles[i]
			body := append([]byte(`{"name":`), strconv.Quote(r.name)...)
			body = append(body, `,"position":`...)
			body = strconv.AppendInt(body, int64(i+1), 10)
			body = append(body, `,"permissions":`...)
			body = append(appendStrings(body, keysOf(r.mask)), '}')
			out, err := send("POST", communityPath(c)+"/roles", body)
			if err != nil {
				return err
			}
			var created struct{ ID string }
			if err := json.Unmarshal(out, &created); err != nil || created.ID == "" {
				return fmt.Errorf("POST %s/roles: no role id in the answer %.500s", communityPath(c), out)
			}
			r.id = created.ID
		}
		return nil
	}
}

// addMembers adds to ph the jobs that add the community's members, 1,000
// per batch-add.
func addMembers(ph *phase, d *dataset, c *community) {
	for lo := 0; lo < len(c.members); lo += 1000 {
		ids := make([]string, 0, 1000)
		for _, u := range c.members[lo:min(lo+1000, len(c.members))] {
			ids = append(ids, d.userID(u))
		}
		ph.add(len(ids), func(ctx context.Context, send sender) error {
			body := append(appendStrings([]byte(`{"userIds":`), ids), '}')
			_, err := send("POST", communityPath(c)+"/members/batch-add", body)
			return err
		})
	}
}

// addAssignments adds to ph the jobs that give the community's members
// their roles: for each set of roles, its holders in batch-adds of up to
// 100 users by 100 roles.
func addAssignments(ph *phase, d *dataset, c *community) {
	holders := make([][]string, len(c.sets))
	for j, s := range c.set {
		holders[s] = append(holders[s], d.userID(c.members[j]))
	}
	for s, users := range holders {
		set := c.sets[s]
		for ulo := 0; ulo < len(users); ulo += 100 {
			us := users[ulo:min(ulo+100, len(users))]
			for rlo := 0; rlo < len(set); rlo += 100 {
				rs := set[rlo:min(rlo+100, len(set))]
				ph.add(len(us)*len(rs), batchAddRoles(c, us, rs))
			}
		}
	}
}

// batchAddRoles gives the users the community's roles rs in one request.
func batchAddRoles(c *community, users []string, rs []uint8) job {
	return func(ctx context.Context, send sender) error {
		ids := make([]string, len(rs))
		for i, r := range rs {
			ids[i] = c.roles[r].id
		}
		body := appendStrings([]byte(`{"userIds":`), users)
		body = append(appendStrings(append(body, `,"roleIds":`...), ids), '}')
		_, err := send("POST", communityPath(c)+"/roles/batch-add", body)
		return err
	}
}

// putChannel creates the channel.
func putChannel(c *community, ch benchChannel) job {
	path := communityPath(c) + "/channels/" + ch.id
	return func(ctx context.Context, send sender) error {
		_, err := send("PUT", path, nil)
		return err
	}
}

// putOverwrites sets the channel's overwrites: everyone's, its roles', and
// its member's when it has one.
func putOverwrites(d *dataset, c *community, ch benchChannel) job {
	path := communityPath(c) + "/channels/" + ch.id
	return func(ctx context.Context, send sender) error {
		if _, err := send("PUT", path+"/overwrites/roles/everyone", overwriteBody(ch.everyone)); err != nil {
			return err
		}
		for _, o := range ch.roles {
			if _, err := send("PUT", path+"/overwrites/roles/"+c.roles[o.role].id, overwriteBody(o.overwrite)); err != nil {
				return err
			}
		}
		if ch.member >= 0 {
			_, err := send("PUT", path+"/overwrites/members/"+d.userID(c.members[ch.member]), overwriteBody(ch.memberOW))
			return err
		}
		return nil
	}
}

func overwriteBody(o overwrite) []byte {
	body := appendStrings([]byte(`{"allow":`), keysOf(o.allow))
	body = appendStrings(append(body, `,"deny":`...), keysOf(o.deny))
	return append(body, '}')
}

// appendStrings appends a JSON array of strings.
func appendStrings(buf []byte, ss []string) []byte {
	buf = append(buf, '[')
	for i, s := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendQuote(buf, s)
	}
	return append(buf, ']')
}

// probe makes sure that the dataset of --no-seed is there: its first and
// last communities, and the last community's last member.
func (b *Bench) probe(ctx context.Context, d *dataset) error {
	first, last := d.communities[0], d.communities[len(d.communities)-1]
	paths := []string{"/v1/communities/" + first.id, "/v1/communities/" + last.id}
	if n := len(last.members); n > 0 {
		paths = append(paths, "/v1/communities/"+last.id+"/members/"+d.userID(last.members[n-1]))
	}
	for _, p := range paths {
		if _, _, err := b.call(ctx, "GET", p, nil); err != nil {
			return fmt.Errorf("--no-seed: the dataset is not there (seed it with the same size flags, --seed and --prefix, without --no-seed): %w", err)
		}
	}
	fmt.Fprintf(b.stdout, "not seeding (--no-seed): the dataset is there\n")
	return nil
}

// platformEveryone reads what the platform's everyone role grants, which
// every user holds.
func (b *Bench) platformEveryone(ctx context.Context, d *dataset) error {
	_, out, err := b.call(ctx, "GET", "/v1/platform/roles/everyone", nil)
	if err != nil {
		return err
	}
	var r struct{ Permissions []string }
	if err := json.Unmarshal(out, &r); err != nil {
		return fmt.Errorf("GET /v1/platform/roles/everyone: %w", err)
	}
	d.platform = r.Permissions
	return nil
}
