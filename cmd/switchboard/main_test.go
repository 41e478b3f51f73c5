package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/config"
	"github.com/switchboardhq/switchboard/server/platform/logging"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := root()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestPrintConfigRedactsSecrets(t *testing.T) {
	t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", "env-secret-123")
	t.Setenv("SWITCHBOARD_LOG_FORMAT", "json")
	out, err := run(t, "serve", "--print-config", "--listen", "127.0.0.1:9443",
		"--database-url", "postgres://sb:db-secret-456@db.example/sb")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"listen: 127.0.0.1:9443", "format: json", "[REDACTED]"} {
		if !strings.Contains(out, want) {
			t.Errorf("--print-config lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"env-secret-123", "db-secret-456"} {
		if strings.Contains(out, secret) {
			t.Errorf("--print-config shows a secret:\n%s", out)
		}
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	_, err := run(t, "serve", "--log-format", "xml")
	if err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Fatalf("want an error naming --log-format, got %v", err)
	}
}

func TestVersion(t *testing.T) {
	out, err := run(t, "version")
	if err != nil || !strings.HasPrefix(out, "switchboard dev") {
		t.Fatalf("version: %q %v", out, err)
	}
}

// TestResetPassword runs the break-glass command against the data directory
// of a stopped instance and signs in with what it prints.
func TestResetPassword(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Storage.DataDir = dir
	cfg.Bootstrap.AdminPassword = "original-password"
	log, _ := logging.New(&bytes.Buffer{}, "error", "text")
	a, err := app.New(context.Background(), cfg, log, app.Options{Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	out, err := run(t, "admin", "reset-password", "nobody", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "--create") {
		t.Fatalf("unknown user: want a hint at --create, got %v", err)
	}
	out, err = run(t, "admin", "reset-password", "admin", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(out)
	if len(fields) < 5 {
		t.Fatalf("output: %q", out)
	}
	password := fields[4] // "New password for admin: <password> ..."

	a, err = app.New(context.Background(), cfg, log, app.Options{Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	svc := a.Auth()
	if _, err := svc.SignIn(context.Background(), "admin", "original-password", auth.Meta{}); err == nil {
		t.Fatal("the old password must stop working")
	}
	if _, err := svc.SignIn(context.Background(), "admin", password, auth.Meta{}); err != nil {
		t.Fatalf("sign in with the printed password %q: %v", password, err)
	}
	if _, err := os.Stat(filepath.Join(dir, auth.InitialPasswordFile)); err == nil {
		t.Fatal("a configured bootstrap password must not be written to a file")
	}
}

// TestCreateAdmin runs the break-glass create-admin command against the
// data directory of a stopped instance (IM-21).
func TestCreateAdmin(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Storage.DataDir = dir
	cfg.Bootstrap.AdminPassword = "original-password"
	log, _ := logging.New(&bytes.Buffer{}, "error", "text")
	a, err := app.New(context.Background(), cfg, log, app.Options{Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	if _, err := run(t, "admin", "create-admin", "admin", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "reset-password") {
		t.Fatalf("existing user: want a hint at reset-password, got %v", err)
	}
	if _, err := run(t, "admin", "create-admin", "bad name", "--data-dir", dir); err == nil {
		t.Fatal("an invalid username must be refused")
	}
	out, err := run(t, "admin", "create-admin", "rescue", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(out)
	if len(fields) < 6 {
		t.Fatalf("output: %q", out)
	}
	password := fields[5] // "Created administrator rescue with password: <password> ..."

	a, err = app.New(context.Background(), cfg, log, app.Options{Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	res, err := a.Auth().SignIn(context.Background(), "rescue", password, auth.Meta{})
	if err != nil || res.Principal.Role != "administrator" {
		t.Fatalf("sign in with the printed password %q: %v", password, err)
	}
	n, err := a.Users().LocalAdministratorCount(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("local administrators: %d %v", n, err)
	}
}
