package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// Bench is the roster-bench command: it seeds a deterministic dataset
// through the API, then runs a closed-loop load of permission checks and
// reports throughput and latency; in mixed mode it also writes and checks
// every answer against its model of the dataset. ParseFlags, then Run, then
// Close.
type Bench struct {
	URL     string
	Key     string
	DataDir string

	Communities int
	Roles       int
	Users       int
	Assignments int
	Channels    int
	Seed        uint64
	Prefix      string
	NoSeed      bool
	SeedWorkers int

	Concurrency  int
	Duration     time.Duration
	Batch        int
	ChannelShare float64
	Mixed        bool
	// Pool is how many checks are drawn before the timed run.
	Pool int

	// CompareBare alternates Rounds rounds of the load against the server
	// and against a bare net/http server. ServerPID is the server's
	// process, whose CPU time every run reports, found from the --url port
	// when 0.
	CompareBare bool
	Rounds      int
	ServerPID   int

	stdout, stderr io.Writer
	client         *http.Client
	transport      *http.Transport
	// tamper, when set, changes the tool's model after seeding and before
	// the load, as if the server had been changed behind the tool's back:
	// tests use it to see disagreements reported.
	tamper func(*dataset)
	// printed counts the disagreements printed.
	printed int
	// childEnv is added to the environment of the bare server's process:
	// tests use it to make their binary run as the command.
	childEnv []string
}

// NewBench returns the command with its defaults: the full dataset of the
// performance targets, against a server on 127.0.0.1:8080.
func NewBench(stdout, stderr io.Writer) *Bench {
	return &Bench{
		URL: "http://127.0.0.1:8080", DataDir: "roster-data",
		Communities: 1000, Roles: 100, Users: 100_000, Assignments: 1_000_000, Channels: 10,
		Seed: 1, Prefix: "bench", SeedWorkers: 4,
		Concurrency: 8 * runtime.GOMAXPROCS(0), Duration: 10 * time.Second, Batch: 1, ChannelShare: 0.2,
		Pool: 1 << 16, Rounds: 5,
		stdout: stdout, stderr: stderr,
	}
}

const benchUsage = `Usage: roster-bench [flags]

Seeds a dataset through the API (communities, roles, members, role
assignments, channels with overwrites), reporting the seeding rate, then runs
a closed-loop load of permission checks for --duration and prints throughput
and p50/p95/p99 latency. Every answer is compared with the tool's model of the
dataset (evaluated with Roster's own rules): any disagreement is printed, and
the command fails.

The defaults are the full dataset of the performance targets (1,000
communities x 100 roles, 100,000 users, 1,000,000 assignments, 10 channels
per community), which takes minutes to seed; a smaller one seeds faster. The
dataset is a function of the size flags, --seed and --prefix: --no-seed loads
a dataset seeded before with the same flags. --mixed makes 1% of requests
role writes (add, remove) and sends later checks with minRevision; it changes
the dataset, so it always seeds its own (use a fresh --prefix each time).

--compare-bare measures the server against its floor: it starts a bare
net/http server (this command again, in a process of its own, with the
timeouts of roster serve) answering every request with a constant JSON body
of the size of the server's answer, and alternates --rounds rounds of
--duration each against the two with the same workers, connections and
requests. It reports each side's requests/s and server CPU per request (from
/proc/<pid>/stat, Linux only), and their ratio with its spread over the
rounds. The server's process is --server-pid, or else the process listening
on the --url port (found through /proc/net/tcp and /proc/*/fd, which needs
the server to run as the same user, on this machine). Every run, with or
without --compare-bare, reports the server's CPU time per request and per
check when it finds that process.

The key needs the write scope: --key, else $ROSTER_ADMIN_KEY, else the file
admin.key in --data-dir.

Flags:
`

// ParseFlags reads the command's flags and their ROSTER_* environment twins.
func (b *Bench) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("roster-bench", flag.ContinueOnError)
	fs.SetOutput(b.stderr)
	fs.Usage = func() {
		fmt.Fprint(b.stderr, benchUsage)
		fs.PrintDefaults()
	}
	e := envFlags{fs: fs, env: os.Getenv}
	e.str(&b.URL, "url", "ROSTER_URL", "the server's base URL")
	e.str(&b.Key, "key", "", "API key with the write scope (default: $ROSTER_ADMIN_KEY, else <data-dir>/admin.key)")
	e.str(&b.DataDir, "data-dir", "ROSTER_DATA_DIR", "where to find admin.key when no key is given")
	e.int(&b.Communities, "communities", "ROSTER_BENCH_COMMUNITIES", "communities in the dataset")
	e.int(&b.Roles, "roles", "ROSTER_BENCH_ROLES", "roles per community, besides everyone and admin (at most 248)")
	e.int(&b.Users, "users", "ROSTER_BENCH_USERS", "users in the dataset")
	e.int(&b.Assignments, "assignments", "ROSTER_BENCH_ASSIGNMENTS", "role assignments in the dataset (about 3 per membership)")
	e.int(&b.Channels, "channels", "ROSTER_BENCH_CHANNELS", "channels with overwrites per community")
	e.uint64(&b.Seed, "seed", "ROSTER_BENCH_SEED", "random seed: the same seed and sizes give the same dataset")
	e.str(&b.Prefix, "prefix", "ROSTER_BENCH_PREFIX", "prefix of every community and user id, so that runs do not collide")
	e.bool(&b.NoSeed, "no-seed", "ROSTER_BENCH_NO_SEED", "do not seed: load the dataset a run with the same flags seeded before")
	e.int(&b.SeedWorkers, "seed-workers", "ROSTER_BENCH_SEED_WORKERS", "concurrent requests while seeding")
	e.int(&b.Concurrency, "concurrency", "ROSTER_BENCH_CONCURRENCY", "workers sending requests back to back, each on its own connection; 8 x GOMAXPROCS gave the most checks/s with p99 under 5 ms on 2 cores shared with the server")
	e.duration(&b.Duration, "duration", "ROSTER_BENCH_DURATION", "how long the load runs")
	e.int(&b.Batch, "batch", "ROSTER_BENCH_BATCH", "checks per request: 1 uses POST /v1/check, more POST /v1/check/batch (at most 1000)")
	e.float(&b.ChannelShare, "channel-share", "ROSTER_BENCH_CHANNEL_SHARE", "fraction of checks that name a channel (0 to 1)")
	e.bool(&b.Mixed, "mixed", "ROSTER_BENCH_MIXED", "make 1% of requests role writes and check every answer with minRevision")
	e.int(&b.Pool, "pool", "ROSTER_BENCH_POOL", "checks drawn before the timed run and sent in turn")
	e.bool(&b.CompareBare, "compare-bare", "ROSTER_BENCH_COMPARE_BARE", "alternate rounds against the server and a bare net/http server, and report the ratio")
	e.int(&b.Rounds, "rounds", "ROSTER_BENCH_ROUNDS", "rounds of --duration against each server with --compare-bare")
	e.int(&b.ServerPID, "server-pid", "ROSTER_BENCH_SERVER_PID", "the server's process id, for its CPU time (default: the process listening on the --url port)")
	if err := errors.Join(e.errs...); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("roster-bench takes no arguments, got %q", fs.Args())
	}
	return b.validate()
}

func (b *Bench) validate() error {
	u, err := url.Parse(b.URL)
	maxRoles := roster.MaxRolesPerScope - 2
	switch {
	case err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("--url: %q is not an http:// or https:// URL with a host", b.URL)
	case b.Communities < 1 || b.Users < 1:
		return errors.New("--communities and --users must be at least 1")
	case b.Users > math.MaxInt32 || b.Communities > math.MaxInt32:
		return fmt.Errorf("--communities and --users must be at most %d", math.MaxInt32)
	case b.Roles < 1 || b.Roles > maxRoles:
		return fmt.Errorf("--roles must be between 1 and %d (a community holds at most %d roles, everyone and admin included)", maxRoles, roster.MaxRolesPerScope)
	case b.Assignments < 0 || b.Channels < 0 || b.Channels > roster.MaxChannelsPerCommunity:
		return fmt.Errorf("--assignments must not be negative, --channels between 0 and %d", roster.MaxChannelsPerCommunity)
	case !roster.ValidID(b.Prefix) || len(b.Prefix) > 64:
		return fmt.Errorf("--prefix: %q must be 1-64 characters of A-Z a-z 0-9 . _ : @ -", b.Prefix)
	case b.SeedWorkers < 1 || b.Concurrency < 1:
		return errors.New("--seed-workers and --concurrency must be at least 1")
	case b.Duration <= 0:
		return errors.New("--duration must be positive")
	case b.Batch < 1 || b.Batch > roster.MaxCheckBatch:
		return fmt.Errorf("--batch must be between 1 and %d", roster.MaxCheckBatch)
	case b.ChannelShare < 0 || b.ChannelShare > 1:
		return errors.New("--channel-share must be between 0 and 1")
	case b.Mixed && b.NoSeed:
		return errors.New("--mixed changes the dataset and so seeds its own: it cannot be used with --no-seed")
	case b.Pool < 1 || b.Pool > 1<<24:
		return fmt.Errorf("--pool must be between 1 and %d", 1<<24)
	case b.CompareBare && b.Mixed:
		return errors.New("--compare-bare loads checks only: it cannot be used with --mixed")
	case b.Rounds < 1 || b.ServerPID < 0:
		return errors.New("--rounds must be at least 1, --server-pid not negative")
	}
	b.URL = strings.TrimSuffix(b.URL, "/")
	return nil
}

// Run seeds the dataset (unless --no-seed), then runs the load and prints
// its report. It returns an error on any failed request while seeding and
// when an answer disagreed with the model.
func (b *Bench) Run(ctx context.Context) error {
	if b.Key == "" {
		b.Key = os.Getenv("ROSTER_ADMIN_KEY")
	}
	if b.Key == "" {
		k, err := os.ReadFile(filepath.Join(b.DataDir, "admin.key"))
		if err != nil {
			return fmt.Errorf("no API key: give --key, set ROSTER_ADMIN_KEY or point --data-dir at the server's data (%w)", err)
		}
		b.Key = strings.TrimSpace(string(k))
	}
	b.transport = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        b.Concurrency + b.SeedWorkers + 8,
		MaxIdleConnsPerHost: b.Concurrency + b.SeedWorkers + 8,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	b.client = &http.Client{Transport: b.transport, Timeout: time.Minute}

	start := time.Now()
	d := newDataset(b.Prefix, b.Seed, b.Communities, b.Roles, b.Users, b.Assignments, b.Channels)
	fmt.Fprintf(b.stdout, "dataset: %d communities x %d roles, %d users, %d memberships, %d assignments, %d channels per community (prefix %s, seed %d; built in %s, roles grant each key with p=%.3f)\n",
		len(d.communities), b.Roles, d.users, len(d.members), d.assignments, b.Channels, b.Prefix, b.Seed, since(start), d.p)

	var rev int64
	if b.NoSeed {
		if err := b.probe(ctx, d); err != nil {
			return err
		}
	} else {
		var err error
		if rev, err = b.seed(ctx, d); err != nil {
			return err
		}
	}
	if err := b.platformEveryone(ctx, d); err != nil {
		return err
	}
	if b.tamper != nil {
		b.tamper(d)
	}
	return b.load(ctx, d, rev)
}

// Close closes the idle connections.
func (b *Bench) Close() error {
	if b.transport != nil {
		b.transport.CloseIdleConnections()
	}
	return nil
}

// envFlags binds flags whose defaults an environment variable may set,
// collecting the variables that do not parse.
type envFlags struct {
	fs   *flag.FlagSet
	env  func(string) string
	errs []error
}

func (e *envFlags) from(name string, parse func(string) error) string {
	if name == "" {
		return ""
	}
	if v := e.env(name); v != "" {
		if err := parse(v); err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return " ($" + name + ")"
}

func (e *envFlags) str(p *string, name, env, help string) {
	help += e.from(env, func(v string) error { *p = v; return nil })
	e.fs.StringVar(p, name, *p, help)
}

func (e *envFlags) int(p *int, name, env, help string) {
	help += e.from(env, func(v string) (err error) { *p, err = strconv.Atoi(v); return err })
	e.fs.IntVar(p, name, *p, help)
}

func (e *envFlags) uint64(p *uint64, name, env, help string) {
	help += e.from(env, func(v string) (err error) { *p, err = strconv.ParseUint(v, 10, 64); return err })
	e.fs.Uint64Var(p, name, *p, help)
}

func (e *envFlags) float(p *float64, name, env, help string) {
	help += e.from(env, func(v string) (err error) { *p, err = strconv.ParseFloat(v, 64); return err })
	e.fs.Float64Var(p, name, *p, help)
}

func (e *envFlags) bool(p *bool, name, env, help string) {
	help += e.from(env, func(v string) (err error) { *p, err = strconv.ParseBool(v); return err })
	e.fs.BoolVar(p, name, *p, help)
}

func (e *envFlags) duration(p *time.Duration, name, env, help string) {
	help += e.from(env, func(v string) (err error) { *p, err = time.ParseDuration(v); return err })
	e.fs.DurationVar(p, name, *p, help)
}

// since is the time since start, rounded for a report.
func since(start time.Time) time.Duration {
	d := time.Since(start)
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
