package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/sqlstore"
)

// Config is the server's configuration: each field has a flag and a ROSTER_*
// environment twin; a flag given on the command line wins.
type Config struct {
	Addr            string
	DataDir         string
	DB              string
	LogFormat       string
	LogLevel        string
	ShutdownTimeout time.Duration
	// RevisionWait bounds how long a check waits for its minRevision.
	RevisionWait time.Duration
	// GCHeadroomMiB is the growth the heap may have between collections
	// of garbage (see tuneGC); 0 leaves the collector's default.
	GCHeadroomMiB int
	// AdminKey comes only from ROSTER_ADMIN_KEY: secrets stay off command lines.
	AdminKey string
	// SecretsKeyFile holds the key that seals the secrets the store reads
	// back; secrets.key in the data directory when empty (made if needed).
	SecretsKeyFile string
	// WebhookAllowPrivate lets webhooks call loopback and private
	// addresses.
	WebhookAllowPrivate bool
	// WebhookRetries are the pauses before the attempts of an event after
	// the first, comma-separated.
	WebhookRetries string
	// WebhookLease is how long a replica's hold on an endpoint lasts
	// without renewal.
	WebhookLease time.Duration
	// MetricsAddr, when set, serves /metrics there rather than beside the
	// API.
	MetricsAddr string
	// RateLimits are each key's requests a second by scope, such as
	// check=2000,write=50; none when empty.
	RateLimits string
	// JWT* configure the users' sign-in with the host platform's tokens.
	JWTIssuer, JWTAudience, JWTHS256SecretFile, JWTJWKS, JWTCommunityClaim string
}

// DefaultConfig returns the defaults: SQLite in ./roster-data, listening on
// 127.0.0.1:8080.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", DataDir: "roster-data", LogFormat: "text", LogLevel: "info", ShutdownTimeout: 30 * time.Second, RevisionWait: 2 * time.Second, GCHeadroomMiB: 256,
		WebhookRetries: "5s,5m,30m,2h,5h,10h,10h", WebhookLease: 10 * time.Second}
}

// bind registers the configuration's flags on fs, with defaults taken from
// the environment where set.
func (c *Config) bind(fs *flag.FlagSet, env func(string) string) error {
	var errs []error
	str := func(p *string, name, envName, help string) {
		if v := env(envName); v != "" {
			*p = v
		}
		fs.StringVar(p, name, *p, help+" ($"+envName+")")
	}
	str(&c.Addr, "addr", "ROSTER_ADDR", "address to listen on")
	str(&c.DataDir, "data-dir", "ROSTER_DATA_DIR", "directory for the embedded database and the bootstrap key")
	str(&c.DB, "db", "ROSTER_DB", "database: a SQLite file path (default: roster.db in the data directory) or a postgres:// URL")
	str(&c.LogFormat, "log-format", "ROSTER_LOG_FORMAT", "log format: text or json")
	str(&c.LogLevel, "log-level", "ROSTER_LOG_LEVEL", "log level: debug (also logs every successful check), info, warn or error")
	str(&c.SecretsKeyFile, "secrets-key-file", "ROSTER_SECRETS_KEY_FILE", "file of the key that seals webhook secrets in the database (default: secrets.key in the data directory, made if missing); "+
		"every replica needs the same")
	str(&c.JWTIssuer, "jwt-issuer", "ROSTER_JWT_ISSUER", "the iss of the user tokens the host platform issues (Authorization: Bearer <JWT>)")
	str(&c.JWTAudience, "jwt-audience", "ROSTER_JWT_AUDIENCE", "the aud user tokens must name")
	str(&c.JWTHS256SecretFile, "jwt-hs256-secret-file", "ROSTER_JWT_HS256_SECRET_FILE", "file of the shared secret (32 bytes or more) of HS256 user tokens")
	str(&c.JWTJWKS, "jwt-jwks", "ROSTER_JWT_JWKS", "a JWKS file or https URL whose keys verify RS256, ES256 and EdDSA user tokens")
	str(&c.JWTCommunityClaim, "jwt-community-claim", "ROSTER_JWT_COMMUNITY_CLAIM", "the claim that restricts a user token to one community (default roster_community)")
	str(&c.RateLimits, "rate-limits", "ROSTER_RATE_LIMITS", "each key's requests a second, by the scope an operation needs: check=N,read=N,write=N,admin=N (those left out are not limited; the default limits none); per replica")
	str(&c.MetricsAddr, "metrics-addr", "ROSTER_METRICS_ADDR", "address to serve /metrics on, alone (default: /metrics beside the API on --addr)")
	str(&c.WebhookRetries, "webhook-retries", "ROSTER_WEBHOOK_RETRIES", "pauses before each attempt of a webhook delivery after the first, comma-separated")
	if v := env("ROSTER_WEBHOOK_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("ROSTER_WEBHOOK_ALLOW_PRIVATE: %w", err))
		}
		c.WebhookAllowPrivate = b
	}
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", c.WebhookAllowPrivate, "let webhooks call loopback, private and link-local addresses (for tests and closed networks) ($ROSTER_WEBHOOK_ALLOW_PRIVATE)")
	duration := func(p *time.Duration, name, envName, help string) {
		if v := env(envName); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", envName, err))
			}
			*p = d
		}
		fs.DurationVar(p, name, *p, help+" ($"+envName+")")
	}
	duration(&c.ShutdownTimeout, "shutdown-timeout", "ROSTER_SHUTDOWN_TIMEOUT", "how long to let in-flight requests finish on shutdown")
	duration(&c.WebhookLease, "webhook-lease", "ROSTER_WEBHOOK_LEASE", "how long a replica holds a webhook endpoint without renewing: another takes it over after that")
	duration(&c.RevisionWait, "revision-wait", "ROSTER_REVISION_WAIT", "how long a check waits for its minRevision before answering 503 revision_not_ready")
	if v := env("ROSTER_GC_HEADROOM_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("ROSTER_GC_HEADROOM_MIB: %w", err))
		}
		c.GCHeadroomMiB = n
	}
	fs.IntVar(&c.GCHeadroomMiB, "gc-headroom-mib", c.GCHeadroomMiB, "MiB the heap may grow by between garbage collections while the index is small: "+
		"fewer collections for more memory; 0, or GOGC set, leaves Go's default ($ROSTER_GC_HEADROOM_MIB)")
	c.AdminKey = env("ROSTER_ADMIN_KEY")
	return errors.Join(errs...)
}

// validate checks the configuration once flags are parsed.
func (c *Config) validate() error {
	switch {
	case strings.Contains(c.DB, "://") && !sqlstore.IsPostgres(c.DB):
		return fmt.Errorf("--db: %q is neither a postgres:// URL nor a SQLite file path", redacted(c.DB))
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("--log-format: %q is neither text nor json", c.LogFormat)
	case c.level() == nil:
		return fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", c.LogLevel)
	case c.DataDir == "":
		return errors.New("--data-dir must not be empty")
	case c.ShutdownTimeout <= 0:
		return errors.New("--shutdown-timeout must be positive")
	case c.RevisionWait <= 0:
		return errors.New("--revision-wait must be positive")
	case c.WebhookLease < time.Second:
		return errors.New("--webhook-lease must be at least 1s")
	case (c.JWTIssuer != "" || c.JWTAudience != "" || c.JWTHS256SecretFile != "" || c.JWTJWKS != "") &&
		(c.JWTIssuer == "" || c.JWTAudience == "" || c.JWTHS256SecretFile == "" && c.JWTJWKS == ""):
		return errors.New("user tokens need --jwt-issuer, --jwt-audience, and --jwt-hs256-secret-file or --jwt-jwks")
	case c.GCHeadroomMiB < 0 || c.GCHeadroomMiB > 1<<20:
		return fmt.Errorf("--gc-headroom-mib: %d is not between 0 and %d", c.GCHeadroomMiB, 1<<20)
	}
	if _, err := c.limits(); err != nil {
		return err
	}
	_, err := c.retries()
	return err
}

// limits returns the rate limits of --rate-limits.
func (c *Config) limits() (api.Limits, error) {
	out := api.Limits{}
	if strings.TrimSpace(c.RateLimits) == "" {
		return out, nil
	}
	for _, p := range strings.Split(c.RateLimits, ",") {
		scope, n, _ := strings.Cut(strings.TrimSpace(p), "=")
		r, err := strconv.ParseFloat(n, 64)
		if err != nil || !(r >= 0) || math.IsInf(r, 0) || !slices.Contains(roster.KeyScopes, scope) {
			return nil, fmt.Errorf("--rate-limits: %q is not a list such as check=2000,read=200,write=50,admin=10", c.RateLimits)
		}
		out[scope] = r
	}
	return out, nil
}

// retries returns the pauses of --webhook-retries.
func (c *Config) retries() ([]time.Duration, error) {
	var out []time.Duration
	for _, p := range strings.Split(c.WebhookRetries, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("--webhook-retries: %q is not a list of durations such as 5s,5m,30m", c.WebhookRetries)
		}
		out = append(out, d)
	}
	return out, nil
}

// gcHeadroom returns the bytes tuneGC keeps, 0 for none: when GOGC is set
// in the environment, it is the operator's choice.
func (c *Config) gcHeadroom(env func(string) string) uint64 {
	if env("GOGC") != "" {
		return 0
	}
	return uint64(c.GCHeadroomMiB) << 20
}

// level returns the log level, or nil when it is not one.
func (c *Config) level() *slog.Level {
	var l slog.Level
	if l.UnmarshalText([]byte(c.LogLevel)) != nil || strings.ContainsAny(c.LogLevel, "+-") {
		return nil
	}
	return &l
}

// database returns the database to open: a postgres:// URL or a SQLite
// file.
func (c *Config) database() string {
	if c.DB != "" {
		return strings.TrimPrefix(c.DB, "sqlite:")
	}
	return filepath.Join(c.DataDir, "roster.db")
}

// redacted returns a database name fit for logs: a URL without its password.
func redacted(db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		return u.Redacted()
	}
	return db
}
