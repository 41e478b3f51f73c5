// Package config is Switchboard's typed configuration: sections with
// defaults and validation, loaded from (lowest to highest precedence)
// built-in defaults, a YAML file (--config), environment variables
// (SWITCHBOARD_<FLAG>) and command-line flags. Secret keys are marked so that
// printing the configuration never shows them.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of `switchboard serve`.
type Config struct {
	Server    Server    `yaml:"server"`
	Storage   Storage   `yaml:"storage"`
	Log       Log       `yaml:"log"`
	Bootstrap Bootstrap `yaml:"bootstrap"`
	SSM       SSM       `yaml:"ssm"`
}

// Server is the listener section.
type Server struct {
	// Listen is host:port for the one listener that serves everything.
	Listen string `yaml:"listen"`
	// Plaintext serves HTTP/1.1 and h2c without TLS (development, tests).
	Plaintext bool `yaml:"plaintext"`
	// TLSCert and TLSKey are PEM files; when both are empty a self-signed
	// certificate is generated into the data directory on first start.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// ShutdownTimeout bounds the graceful drain on SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// DebugListen is a loopback host:port serving Go's runtime profiles
	// (/debug/pprof/) for performance work; empty (the default) is off.
	DebugListen string `yaml:"debug_listen"`
}

// Storage is where state lives.
type Storage struct {
	// DataDir holds the SQLite database, the secret key, the generated
	// certificate and the initial administrator password.
	DataDir string `yaml:"data_dir"`
	// DatabaseURL selects PostgreSQL (postgres://...); empty means SQLite in
	// DataDir. It may embed a password, so it is treated as a secret.
	DatabaseURL string `yaml:"database_url"`
}

// Log is the logging section.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

// Bootstrap seeds a new, empty installation.
type Bootstrap struct {
	// AdminPassword is the initial password of the `admin` user. When empty a
	// random one is generated, printed once and written to
	// <data-dir>/initial-admin-password.
	AdminPassword string `yaml:"admin_password"`
}

// SSM says where Cisco Smart Software Manager is, for Smart Licensing.
type SSM struct {
	// URL is the base URL of SSM's protocol (docs/ssm-protocol.md), e.g.
	// https://ssm.example/ssm/v1. Empty (the default) means not
	// configured: registering with SSM is refused with a message saying
	// so. There is no built-in default: the endpoint of Cisco's own
	// service for this protocol is not known.
	URL string `yaml:"url"`
	// CAFile is a PEM bundle SSM's certificate must chain to; empty means
	// the system roots.
	CAFile string `yaml:"ca_file"`
}

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		Server:  Server{Listen: ":8443", ShutdownTimeout: 15 * time.Second},
		Storage: Storage{DataDir: "./data"},
		Log:     Log{Level: "info", Format: "text"},
	}
}

// Validate checks every section and returns all problems at once, each
// naming the flag to fix.
func (c *Config) Validate() error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Server.Listen); err != nil {
		errs = append(errs, fmt.Errorf("--listen %q: want host:port, e.g. :8443 or 127.0.0.1:8443", c.Server.Listen))
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		errs = append(errs, fmt.Errorf("--listen %q: port must be 0-65535", c.Server.Listen))
	}
	if (c.Server.TLSCert == "") != (c.Server.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key must be given together"))
	}
	if c.Server.Plaintext && c.Server.TLSCert != "" {
		errs = append(errs, errors.New("--plaintext cannot be combined with --tls-cert/--tls-key"))
	}
	if c.Server.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	if a := c.Server.DebugListen; a != "" {
		host, _, err := net.SplitHostPort(a)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			errs = append(errs, fmt.Errorf("--debug-listen %q: want a loopback address such as 127.0.0.1:6060 (profiles are not for the network)", a))
		}
	}
	if c.Storage.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if u := c.Storage.DatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		errs = append(errs, errors.New("--database-url must be empty (SQLite in the data directory) or start with postgres://"))
	}
	if u := c.SSM.URL; u != "" {
		if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" {
			errs = append(errs, fmt.Errorf("--ssm-url %q: want https://host[:port]/path (SSM is only spoken to over TLS)", u))
		}
	}
	if c.SSM.CAFile != "" && c.SSM.URL == "" {
		errs = append(errs, errors.New("--ssm-ca-file needs --ssm-url"))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.Log.Format))
	}
	return errors.Join(errs...)
}
