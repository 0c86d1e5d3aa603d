package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/console"
	"github.com/rosterhq/roster/events"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/metrics"
	"github.com/rosterhq/roster/sqlstore"
)

// Serve is the `roster serve` command: ParseFlags, then Run until the
// context ends, then Close.
type Serve struct {
	Config Config
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	db     *sqlstore.DB
	index  *index.Index
	feed   *events.Feed
	// webhooks delivers the log to webhook endpoints.
	webhooks *events.Dispatcher
	metrics  *metrics.Metrics
	// Addr is the address listened on, once Run has started listening;
	// MetricsAddr that of --metrics-addr, when set.
	Addr, MetricsAddr chan string
}

// NewServe returns the command with the default configuration.
func NewServe(stdout, stderr io.Writer) *Serve {
	return &Serve{Config: DefaultConfig(), stdout: stdout, stderr: stderr, Addr: make(chan string, 1), MetricsAddr: make(chan string, 1)}
}

// ParseFlags reads the configuration from the flags and environment.
func (m *Serve) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("roster serve", flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	fs.Usage = func() {
		fmt.Fprintln(m.stderr, "Usage: roster serve [flags]\n\nEnvironment ROSTER_ADMIN_KEY sets the bootstrap admin key.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := m.Config.bind(fs, os.Getenv); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	return m.Config.validate()
}

// Run opens the database, makes sure an admin key exists, and serves until
// ctx ends; then it lets in-flight requests finish.
func (m *Serve) Run(ctx context.Context) error {
	c := m.Config
	opts := &slog.HandlerOptions{Level: c.level()}
	var handler slog.Handler = slog.NewTextHandler(m.stderr, opts)
	if c.LogFormat == "json" {
		handler = slog.NewJSONHandler(m.stderr, opts)
	}
	m.log = slog.New(handler)
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	key, err := c.secretsKey()
	if err != nil {
		return err
	}
	if sqlstore.IsPostgres(c.database()) && c.SecretsKeyFile == "" {
		m.log.Warn("webhook secrets are sealed with secrets.key in the data directory: with several replicas, give each the same --secrets-key-file",
			"dataDir", c.DataDir)
	}
	db, err := sqlstore.Open(ctx, c.database(), sqlstore.Options{SecretsKey: key})
	if err != nil {
		return err
	}
	m.db = db
	if err := m.bootstrap(ctx); err != nil {
		return err
	}
	start := time.Now()
	if m.index, err = index.Open(ctx, db, index.Options{Wait: c.RevisionWait, Log: m.log}); err != nil {
		return err
	}
	m.log.Info("index built", "revision", m.index.Revision(), "duration", time.Since(start).Round(time.Millisecond))
	if m.feed, err = events.Open(ctx, db, events.Options{Log: m.log}); err != nil {
		return err
	}
	m.metrics = metrics.New(metrics.Sources{
		IndexRevision: func() int64 { return int64(m.index.Revision()) },
		StoreRevision: func(ctx context.Context) (int64, error) { rev, err := db.CurrentRevision(ctx); return int64(rev), err },
		FeedReaders:   m.feed.Readers,
		Pools:         db.Pools(),
	})
	retries, _ := c.retries() // validated
	m.webhooks = events.StartDispatcher(db, m.feed, events.DispatchOptions{
		Lease: c.WebhookLease, Retries: retries, AllowPrivate: c.WebhookAllowPrivate, Log: m.log, Attempted: m.metrics.Attempted})
	expiring, stopExpiring := context.WithCancel(ctx)
	expired := make(chan struct{})
	go func() {
		defer close(expired)
		events.Expire(expiring, db, time.Second, m.log)
	}()
	defer func() { stopExpiring(); <-expired }()
	defer tuneGC(c.gcHeadroom(os.Getenv))()
	tokens, err := c.tokens(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           m.handler(index.NewService(db, m.index), tokens),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	if c.MetricsAddr != "" {
		stop, err := m.serveMetrics(c.MetricsAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	m.log.Info("roster is serving", "version", roster.Version, "addr", "http://"+ln.Addr().String(), "db", redacted(c.database()))
	// Streams and long polls never end by themselves: the feed's close
	// ends them, so that shutting down waits only for other requests.
	srv.RegisterOnShutdown(func() { m.feed.Close() })
	m.Addr <- ln.Addr().String()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	m.log.Info("shutting down: finishing in-flight requests", "timeout", c.ShutdownTimeout)
	shutdown, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	m.log.Info("stopped")
	return nil
}

// handler serves the console under /console and the API everywhere else.
func (m *Serve) handler(svc roster.Service, tokens roster.TokenVerifier) http.Handler {
	mux := http.NewServeMux()
	limits, _ := m.Config.limits() // validated
	mux.Handle("/", api.New(svc, api.Options{Log: m.log, Feed: m.feed, Webhooks: m.webhooks, Tokens: tokens, Metrics: m.metrics, Limits: limits}))
	if m.Config.MetricsAddr == "" {
		mux.Handle("GET /metrics", m.metrics.Handler())
	}
	ui := console.New(svc, console.Options{Tokens: tokens, Log: m.log, Feed: m.feed})
	mux.Handle("/console", ui)
	mux.Handle("/console/", ui)
	return mux
}

// serveMetrics serves /metrics alone at addr, until stop.
func (m *Serve) serveMetrics(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
	go srv.Serve(ln)
	m.log.Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	m.MetricsAddr <- ln.Addr().String()
	return func() { srv.Close() }, nil
}

// bootstrap makes sure an admin key exists: the one ROSTER_ADMIN_KEY names,
// or, when no live admin key is left (as on first start), a new one printed
// once and saved to admin.key.
func (m *Serve) bootstrap(ctx context.Context) error {
	secret, err := m.db.EnsureBootstrapKey(ctx, m.Config.AdminKey)
	if err != nil || secret == "" || m.Config.AdminKey != "" {
		return err
	}
	path := filepath.Join(m.Config.DataDir, "admin.key")
	fmt.Fprintf(m.stdout, "Created the admin API key. It is shown once here and saved to %s:\n\n    %s\n\n", path, secret)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("saving the admin key (shown above) to %s: %w", path, err)
	}
	return nil
}

// Close stops the deliveries, the feed and the index and closes the
// database.
func (m *Serve) Close() error {
	if m.webhooks != nil {
		m.webhooks.Close()
	}
	if m.feed != nil {
		m.feed.Close()
	}
	if m.index != nil {
		m.index.Close()
	}
	if m.db == nil {
		return nil
	}
	return m.db.Close()
}
