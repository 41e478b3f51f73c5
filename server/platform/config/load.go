package config

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// EnvPrefix prefixes every environment override: --data-dir is
// SWITCHBOARD_DATA_DIR.
const EnvPrefix = "SWITCHBOARD_"

// key is one configuration key: its flag, where it lives in the struct, and
// whether it is a secret.
type key struct {
	flag   string
	usage  string
	secret bool
	// noFlag keeps secrets off the command line, where any local user could
	// read them from the process list; they come from the file or the
	// environment only.
	noFlag bool
	ptr    func(*Config) any
}

var keys = []key{
	{flag: "listen", usage: "address of the one listener (host:port)", ptr: func(c *Config) any { return &c.Server.Listen }},
	{flag: "plaintext", usage: "serve HTTP and h2c without TLS (development and tests only)", ptr: func(c *Config) any { return &c.Server.Plaintext }},
	{flag: "tls-cert", usage: "PEM certificate chain; default: self-signed, generated in the data directory", ptr: func(c *Config) any { return &c.Server.TLSCert }},
	{flag: "tls-key", usage: "PEM private key matching --tls-cert", ptr: func(c *Config) any { return &c.Server.TLSKey }},
	{flag: "shutdown-timeout", usage: "how long a graceful shutdown may take", ptr: func(c *Config) any { return &c.Server.ShutdownTimeout }},
	{flag: "debug-listen", usage: "loopback host:port serving Go runtime profiles (/debug/pprof/); off when empty", ptr: func(c *Config) any { return &c.Server.DebugListen }},
	{flag: "data-dir", usage: "directory for the SQLite database, keys and certificates", ptr: func(c *Config) any { return &c.Storage.DataDir }},
	{flag: "database-url", usage: "postgres://... for PostgreSQL; empty for SQLite in the data directory", secret: true, ptr: func(c *Config) any { return &c.Storage.DatabaseURL }},
	{flag: "log-level", usage: "debug, info, warn or error", ptr: func(c *Config) any { return &c.Log.Level }},
	{flag: "log-format", usage: "text or json", ptr: func(c *Config) any { return &c.Log.Format }},
	{flag: "ssm-url", usage: "base URL of Cisco Smart Software Manager for Smart Licensing (https://...); empty: not configured", ptr: func(c *Config) any { return &c.SSM.URL }},
	{flag: "ssm-ca-file", usage: "PEM CA bundle for SSM's certificate; default: the system roots", ptr: func(c *Config) any { return &c.SSM.CAFile }},
	{flag: "admin-password", usage: "initial password of the admin user (environment or file only)", secret: true, noFlag: true, ptr: func(c *Config) any { return &c.Bootstrap.AdminPassword }},
}

// EnvName returns the environment variable that overrides a flag.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// RegisterFlags adds every key's flag, plus --config, to fs. Flag defaults are
// the built-in defaults; only flags the user sets override other sources.
func RegisterFlags(fs *pflag.FlagSet) {
	d := Default()
	fs.String("config", "", "YAML configuration file (env "+EnvName("config")+")")
	for _, k := range keys {
		if k.noFlag {
			continue
		}
		usage := fmt.Sprintf("%s (env %s)", k.usage, EnvName(k.flag))
		switch p := k.ptr(&d).(type) {
		case *string:
			fs.String(k.flag, *p, usage)
		case *bool:
			fs.Bool(k.flag, *p, usage)
		case *time.Duration:
			fs.Duration(k.flag, *p, usage)
		}
	}
}

// Load builds the configuration from defaults, the YAML file, the
// environment and the flags that were set, then validates it.
func Load(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) (Config, error) {
	cfg := Default()
	path, _ := fs.GetString("config")
	if env, ok := lookupEnv(EnvName("config")); ok && !fs.Changed("config") {
		path = env
	}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config file: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true) // a misspelt key is an error, not a silent default
		if err := dec.Decode(&cfg); err != nil && err.Error() != "EOF" {
			return cfg, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	for _, k := range keys {
		if v, ok := lookupEnv(EnvName(k.flag)); ok {
			if err := set(k.ptr(&cfg), v); err != nil {
				return cfg, fmt.Errorf("%s: %w", EnvName(k.flag), err)
			}
		}
		if !k.noFlag && fs.Changed(k.flag) {
			if err := set(k.ptr(&cfg), fs.Lookup(k.flag).Value.String()); err != nil {
				return cfg, fmt.Errorf("--%s: %w", k.flag, err)
			}
		}
	}
	return cfg, cfg.Validate()
}

func set(ptr any, v string) error {
	switch p := ptr.(type) {
	case *string:
		*p = v
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 15s", v)
		}
		*p = d
	default:
		return fmt.Errorf("unsupported config type %T", ptr)
	}
	return nil
}

// Redacted returns the configuration as YAML with every secret that is set
// replaced, for `serve --print-config` and support bundles.
func (c Config) Redacted() string {
	for _, k := range keys {
		if p, ok := k.ptr(&c).(*string); ok && k.secret && *p != "" {
			*p = "[REDACTED]"
		}
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("error: %v", err)
	}
	return string(out)
}
