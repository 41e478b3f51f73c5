package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return Load(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func TestDefaults(t *testing.T) {
	cfg, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != ":8443" || cfg.Storage.DataDir != "./data" || cfg.Storage.DatabaseURL != "" ||
		cfg.Log.Level != "info" || cfg.Log.Format != "text" || cfg.Server.Plaintext {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
}

func TestPrecedenceFileEnvFlag(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sb.yaml")
	yamlText := "server:\n  listen: 127.0.0.1:9000\n  shutdown_timeout: 3s\nlog:\n  level: debug\n  format: json\nstorage:\n  data_dir: /from/file\n"
	if err := os.WriteFile(file, []byte(yamlText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := load(t, []string{"--config", file, "--data-dir", "/from/flag"},
		map[string]string{"SWITCHBOARD_LOG_LEVEL": "warn", "SWITCHBOARD_DATA_DIR": "/from/env"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:9000" {
		t.Errorf("listen from file: got %q", cfg.Server.Listen)
	}
	if cfg.Server.ShutdownTimeout != 3*time.Second {
		t.Errorf("shutdown timeout from file: got %v", cfg.Server.ShutdownTimeout)
	}
	if cfg.Log.Level != "warn" {
		t.Errorf("env must override file: got %q", cfg.Log.Level)
	}
	if cfg.Log.Format != "json" {
		t.Errorf("format from file: got %q", cfg.Log.Format)
	}
	if cfg.Storage.DataDir != "/from/flag" {
		t.Errorf("flag must override env: got %q", cfg.Storage.DataDir)
	}
}

func TestUnknownFileKeyIsAnError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sb.yaml")
	if err := os.WriteFile(file, []byte("server:\n  lisen: :1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := load(t, []string{"--config", file}, nil)
	if err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Fatalf("want an error naming the unknown key, got %v", err)
	}
}

func TestValidationNamesTheFlag(t *testing.T) {
	cases := map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"listen":       {args: []string{"--listen", "8443"}, want: "--listen"},
		"format":       {args: []string{"--log-format", "xml"}, want: "--log-format"},
		"level":        {env: map[string]string{"SWITCHBOARD_LOG_LEVEL": "loud"}, want: "--log-level"},
		"tls pair":     {args: []string{"--tls-cert", "a.pem"}, want: "--tls-key"},
		"database url": {args: []string{"--database-url", "mysql://x"}, want: "--database-url"},
		"bool env":     {env: map[string]string{"SWITCHBOARD_PLAINTEXT": "maybe"}, want: "SWITCHBOARD_PLAINTEXT"},
		"ssm http":     {args: []string{"--ssm-url", "http://ssm.example/ssm/v1"}, want: "--ssm-url"},
		"ssm ca alone": {env: map[string]string{"SWITCHBOARD_SSM_CA_FILE": "ca.pem"}, want: "--ssm-ca-file"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := load(t, tc.args, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error naming %s, got %v", tc.want, err)
			}
		})
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	cfg, err := load(t, []string{"--database-url", "postgres://u:hunter2@db/x"},
		map[string]string{"SWITCHBOARD_ADMIN_PASSWORD": "correct-horse"})
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Redacted()
	for _, secret := range []string{"hunter2", "correct-horse"} {
		if strings.Contains(out, secret) {
			t.Fatalf("printed config contains secret %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "[REDACTED]") || !strings.Contains(out, "listen: :8443") {
		t.Fatalf("printed config lacks expected content:\n%s", out)
	}
	if cfg.Storage.DatabaseURL != "postgres://u:hunter2@db/x" {
		t.Fatal("Redacted must not modify the configuration it prints")
	}
}

func TestSecretsHaveNoFlag(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	RegisterFlags(fs)
	if fs.Lookup("admin-password") != nil {
		t.Fatal("the admin password must not be settable on the command line")
	}
}

// TestDebugListenIsLoopbackOnly: runtime profiles are for the host's own
// performance work, never served to the network.
func TestDebugListenIsLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:6060": true, "[::1]:6060": true, "0.0.0.0:6060": false,
		":6060": false, "192.0.2.1:6060": false, "localhost": false} {
		c := Default()
		c.Server.DebugListen = addr
		if err := c.Validate(); (err == nil) != ok {
			t.Errorf("--debug-listen %q: %v, want ok=%v", addr, err, ok)
		}
	}
}
