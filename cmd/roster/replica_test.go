package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// replicaClient is the HTTP client of the replica tests; a check waits at
// most --revision-wait, far less than its timeout.
var replicaClient = &http.Client{Timeout: 30 * time.Second}

// reply is an HTTP answer.
type reply struct {
	status int
	// revision is the Roster-Revision header, 0 when absent.
	revision int64
	body     []byte
}

// send makes a request with the admin key and a JSON body (none when nil).
func send(ctx context.Context, method, url string, body any) (reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+replicaAdminKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := replicaClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	var rev int64
	if h := resp.Header.Get("Roster-Revision"); h != "" {
		if _, err := fmt.Sscan(h, &rev); err != nil {
			return reply{}, fmt.Errorf("%s %s: Roster-Revision %q: %v", method, url, h, err)
		}
	}
	return reply{status: resp.StatusCode, revision: rev, body: b}, nil
}

// write makes a write and returns its answer, or an error unless it
// succeeded with a Roster-Revision.
func write(ctx context.Context, method, url string, body any) (reply, error) {
	rep, err := send(ctx, method, url, body)
	switch {
	case err != nil:
		return rep, err
	case rep.status/100 != 2:
		return rep, fmt.Errorf("%s %s: got %d %s, want a 2xx", method, url, rep.status, rep.body)
	case rep.revision <= 0:
		return rep, fmt.Errorf("%s %s: got Roster-Revision %d, want a positive revision", method, url, rep.revision)
	}
	return rep, nil
}

// mustWrite is write for the test goroutine.
func mustWrite(t *testing.T, method, url string, body any) reply {
	t.Helper()
	rep, err := write(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkAnswer is the answer of POST /v1/check.
type checkAnswer struct {
	Allowed  bool  `json:"allowed"`
	Revision int64 `json:"revision"`
}

// statusError is an answer other than the one expected.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// checkAt asks base whether the user holds BAN_MEMBERS in the community at
// minRevision min or later. It answers a *statusError for anything but a
// 200, and the client's error when there was no answer.
func checkAt(ctx context.Context, base, community, user string, min int64) (checkAnswer, error) {
	var a checkAnswer
	rep, err := send(ctx, "POST", base+"/v1/check", map[string]any{
		"communityId": community, "userId": user, "permission": "BAN_MEMBERS", "minRevision": min,
	})
	if err != nil {
		return a, err
	}
	if rep.status != http.StatusOK {
		return a, &statusError{rep.status, fmt.Sprintf("check of %s at minRevision %d: got %d %s, want 200", user, min, rep.status, rep.body)}
	}
	if err := json.Unmarshal(rep.body, &a); err != nil {
		return a, fmt.Errorf("check of %s: %v in %s", user, err, rep.body)
	}
	return a, nil
}

// wantCheck checks on r that the user may (or may not) ban members at
// revision min or later, and returns how long the check took.
func wantCheck(t *testing.T, r *replica, community, user string, min int64, want bool) time.Duration {
	t.Helper()
	began := time.Now()
	a, err := checkAt(t.Context(), r.URL, community, user, min)
	took := time.Since(began)
	if err != nil {
		t.Fatalf("on %s: %v", r.name, err)
	}
	if a.Revision < min {
		t.Fatalf("check of %s on %s: got revision %d, want at least %d", user, r.name, a.Revision, min)
	}
	if a.Allowed != want {
		t.Fatalf("check of %s on %s at minRevision %d: got allowed %v (revision %d), want %v", user, r.name, min, a.Allowed, a.Revision, want)
	}
	return took
}

// setUpGuild creates, through base, the community "guild" and in it a role
// granting BAN_MEMBERS, and returns the role's id.
func setUpGuild(t *testing.T, base string) string {
	t.Helper()
	mustWrite(t, "POST", base+"/v1/communities", map[string]any{"id": "guild", "name": "The Guild", "ownerId": "owner"})
	rep := mustWrite(t, "POST", base+"/v1/communities/guild/roles", map[string]any{"name": "Moderator", "permissions": []string{"BAN_MEMBERS"}})
	var role struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(rep.body, &role); err != nil || role.ID == "" {
		t.Fatalf("created role: got %s (%v), want its id", rep.body, err)
	}
	return role.ID
}

// TestReplicaChecksSeeWritesMadeOnTheOtherReplica runs two `roster serve`
// processes on one PostgreSQL database, started together on an empty one.
// A check on one replica, sent with the Roster-Revision of a write made on
// the other as its minRevision, answers from state at least that recent:
// grants and removals of a role, and changes of the role's permissions,
// made on A are seen on B, and writes made on B are seen on A.
func TestReplicaChecksSeeWritesMadeOnTheOtherReplica(t *testing.T) {
	dsn := sqltest.Postgres.EmptyDSN(t)
	// Started together: they migrate the empty schema and create the admin
	// key concurrently.
	a := spawnReplica(t, "A", dsn, t.TempDir(), "--revision-wait", "10s")
	b := spawnReplica(t, "B", dsn, t.TempDir(), "--revision-wait", "10s")
	a.waitReady(t)
	b.waitReady(t)
	role := setUpGuild(t, a.URL)
	var slowest time.Duration
	track := func(d time.Duration) { slowest = max(slowest, d) }

	for round := range 5 {
		user := fmt.Sprintf("user-%d", round)
		members := a.URL + "/v1/communities/guild/members/" + user
		mustWrite(t, "PUT", members, nil)
		granted := mustWrite(t, "PUT", members+"/roles/"+role, nil)
		track(wantCheck(t, b, "guild", user, granted.revision, true))
		removed := mustWrite(t, "DELETE", members+"/roles/"+role, nil)
		if removed.revision <= granted.revision {
			t.Fatalf("round %d: removal revision %d, want after the grant's %d", round, removed.revision, granted.revision)
		}
		track(wantCheck(t, b, "guild", user, removed.revision, false))
	}

	// The role's permissions change on A: its holder's answers follow on B.
	holder := a.URL + "/v1/communities/guild/members/holder"
	mustWrite(t, "PUT", holder, nil)
	rep := mustWrite(t, "PUT", holder+"/roles/"+role, nil)
	track(wantCheck(t, b, "guild", "holder", rep.revision, true))
	for _, perms := range [][]string{{"MUTE_MEMBERS"}, {"BAN_MEMBERS", "MUTE_MEMBERS"}, {}} {
		rep := mustWrite(t, "PATCH", a.URL+"/v1/communities/guild/roles/"+role, map[string]any{"permissions": perms})
		track(wantCheck(t, b, "guild", "holder", rep.revision, slices.Contains(perms, "BAN_MEMBERS")))
	}

	// Writes on B, checks on A.
	for round := range 3 {
		user := fmt.Sprintf("from-b-%d", round)
		mustWrite(t, "PATCH", b.URL+"/v1/communities/guild/roles/"+role, map[string]any{"permissions": []string{"BAN_MEMBERS"}})
		members := b.URL + "/v1/communities/guild/members/" + user
		mustWrite(t, "PUT", members, nil)
		granted := mustWrite(t, "PUT", members+"/roles/"+role, nil)
		track(wantCheck(t, a, "guild", user, granted.revision, true))
		removed := mustWrite(t, "DELETE", members+"/roles/"+role, nil)
		track(wantCheck(t, a, "guild", user, removed.revision, false))
	}
	t.Logf("slowest check across replicas: %v", slowest)
	if slowest > 2*time.Second {
		t.Logf("note: a check waited %v, longer than the default --revision-wait of 2s", slowest)
	}
}

// span is when a user held the role: from the revision of the grant until
// that of the removal (0: not removed).
type span struct{ granted, removed int64 }

// allowedAt tells whether the user may ban members at revision rev.
func (s span) allowedAt(rev int64) bool {
	return s.granted != 0 && s.granted <= rev && (s.removed == 0 || rev < s.removed)
}

// token is the revision of a write that changed the user's roles.
type token struct {
	user string
	rev  int64
}

// concurrentCheck is a check made while A kept writing.
type concurrentCheck struct {
	token
	answer checkAnswer
	err    error
	// refused counts the attempts that found no replica B listening.
	refused int
	took    time.Duration
}

// TestReplicaRestartedWhileTheOtherWritesAnswersEveryToken runs two
// `roster serve` processes on one PostgreSQL database while A keeps
// granting and removing a role, and restarts B (SIGTERM, then a new
// process) in the middle. Checks made on B as soon as each write's token is
// known, during B's downtime retried until it is back, and afterwards every
// token again on the new B, all answer 200 at a revision at least the
// token's, with what the user held at that revision.
func TestReplicaRestartedWhileTheOtherWritesAnswersEveryToken(t *testing.T) {
	dsn := sqltest.Postgres.DSN(t)
	a := startReplica(t, "A", dsn, t.TempDir(), "--revision-wait", "10s")
	bDir := t.TempDir()
	b := startReplica(t, "B", dsn, bDir, "--revision-wait", "10s")
	role := setUpGuild(t, a.URL)
	var bURL atomic.Pointer[string]
	bURL.Store(&b.URL)

	// The writer: on A, for each i, u-i joins and gets the role; the role is
	// then taken from u-(i-1), except from every third user.
	var (
		mu       sync.Mutex
		spans    = map[string]*span{}
		tokens   []token
		granted  atomic.Int64
		stop     = make(chan struct{})
		exited   = make(chan struct{})
		writeErr error
		pending  = make(chan token, 100000)
	)
	record := func(tok token, removal bool) {
		mu.Lock()
		if removal {
			spans[tok.user].removed = tok.rev
		} else {
			spans[tok.user] = &span{granted: tok.rev}
		}
		tokens = append(tokens, tok)
		mu.Unlock()
		pending <- tok
	}
	go func() {
		defer close(exited)
		defer close(pending)
		ctx := context.Background()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i == 2000 {
				writeErr = errors.New("the writer wrote 2000 users without being stopped")
				return
			}
			user := fmt.Sprintf("u-%d", i)
			members := a.URL + "/v1/communities/guild/members/"
			if _, err := write(ctx, "PUT", members+user, nil); err != nil {
				writeErr = err
				return
			}
			rep, err := write(ctx, "PUT", members+user+"/roles/"+role, nil)
			if err != nil {
				writeErr = err
				return
			}
			record(token{user, rep.revision}, false)
			if prev := i - 1; prev >= 0 && prev%3 != 0 {
				user := fmt.Sprintf("u-%d", prev)
				rep, err := write(ctx, "DELETE", members+user+"/roles/"+role, nil)
				if err != nil {
					writeErr = err
					return
				}
				record(token{user, rep.revision}, true)
			}
			granted.Add(1)
		}
	}()
	t.Cleanup(func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-exited
	})
	waitGranted := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for granted.Load() < n {
			select {
			case <-exited:
				t.Fatalf("the writer stopped after %d users: %v", granted.Load(), writeErr)
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("the writer wrote %d users in 60 s, want %d", granted.Load(), n)
			}
		}
	}

	// The checkers: each token on B as soon as it is known, retried while
	// nothing listens at B's address.
	var (
		checks   []concurrentCheck
		checksMu sync.Mutex
		checkers sync.WaitGroup
	)
	for range 4 {
		checkers.Add(1)
		go func() {
			defer checkers.Done()
			for tok := range pending {
				c := concurrentCheck{token: tok}
				deadline := time.Now().Add(60 * time.Second)
				for {
					began := time.Now()
					c.answer, c.err = checkAt(context.Background(), *bURL.Load(), "guild", tok.user, tok.rev)
					c.took = time.Since(began)
					var answered *statusError
					var timeout interface{ Timeout() bool }
					if c.err == nil || errors.As(c.err, &answered) || errors.As(c.err, &timeout) && timeout.Timeout() || time.Now().After(deadline) {
						break
					}
					// No answer: B is down (connection refused, or closed
					// as it stopped). Checks are safe to send again.
					c.refused++
					time.Sleep(20 * time.Millisecond)
				}
				checksMu.Lock()
				checks = append(checks, c)
				checksMu.Unlock()
			}
		}()
	}

	waitGranted(10)
	downAt := time.Now()
	b.stop(t)
	stoppedAfter := time.Since(downAt)
	waitGranted(granted.Load() + 10)
	b = spawnReplica(t, "B (restarted)", dsn, bDir, "--revision-wait", "10s")
	b.waitReady(t)
	bURL.Store(&b.URL)
	downtime := time.Since(downAt)
	waitGranted(granted.Load() + 10)
	close(stop)
	<-exited
	if writeErr != nil {
		t.Fatalf("writer: %v", writeErr)
	}
	checkers.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(checks) != len(tokens) {
		t.Fatalf("concurrent checks: got %d, want one per token (%d)", len(checks), len(tokens))
	}
	var retried, ahead int
	var slowest time.Duration
	for _, c := range checks {
		if c.err != nil {
			t.Errorf("concurrent check of %s at minRevision %d (%d attempts refused): %v", c.user, c.rev, c.refused, c.err)
			continue
		}
		if c.refused > 0 {
			retried++
		}
		slowest = max(slowest, c.took)
		if c.answer.Revision < c.rev {
			t.Errorf("concurrent check of %s at minRevision %d: got revision %d, want at least %d", c.user, c.rev, c.answer.Revision, c.rev)
		}
		if c.answer.Revision > c.rev {
			ahead++
		}
		if want := spans[c.user].allowedAt(c.answer.Revision); c.answer.Allowed != want {
			t.Errorf("concurrent check of %s at minRevision %d: got allowed %v at revision %d, want %v (held from %d until %d)",
				c.user, c.rev, c.answer.Allowed, c.answer.Revision, want, spans[c.user].granted, spans[c.user].removed)
		}
	}
	if retried == 0 {
		t.Errorf("concurrent checks retried while B was down: got 0, want some (B was down for %v)", downtime)
	}

	// Every token again on the new B, and on A: both answer what the user
	// holds now, at a revision at least the token's.
	for _, tok := range tokens {
		for _, r := range []*replica{b, a} {
			got, err := checkAt(t.Context(), r.URL, "guild", tok.user, tok.rev)
			if err != nil {
				t.Errorf("on %s after the restart: %v", r.name, err)
				continue
			}
			s := spans[tok.user]
			if got.Revision < tok.rev || got.Allowed != s.allowedAt(got.Revision) {
				t.Errorf("check of %s on %s at minRevision %d: got allowed %v at revision %d, want %v at a revision ≥ %d (held from %d until %d)",
					tok.user, r.name, tok.rev, got.Allowed, got.Revision, s.allowedAt(got.Revision), tok.rev, s.granted, s.removed)
			}
		}
	}
	t.Logf("%d users, %d tokens; B stopped in %v and was down for %v; %d checks retried while B was down, %d answered at a later revision than asked; slowest concurrent check %v",
		granted.Load(), len(tokens), stoppedAfter.Round(time.Millisecond), downtime.Round(time.Millisecond), retried, ahead, slowest.Round(time.Millisecond))
}
