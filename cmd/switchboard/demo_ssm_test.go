package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"testing"

	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/platform/config"
)

// TestDemoSSM starts the demo's simulated SSM, builds the app on the
// configuration it sets, and registers with the first printed token.
func TestDemoSSM(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Plaintext = true
	cfg.Storage.DataDir = t.TempDir()
	cfg.Bootstrap.AdminPassword = "demo-Admin-Secret-1"
	log := slog.New(slog.DiscardHandler)
	var out bytes.Buffer
	sim, err := startDemoSSM(&cfg, &out, log)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tokens := regexp.MustCompile(`tok-[A-Z0-9]+`).FindAllString(out.String(), -1)
	if len(tokens) != len(demoSSMAccounts) {
		t.Fatalf("printed %q", out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, cfg, log, app.Options{HashParams: auth.HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1}, Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// As the administrator would in Settings › Licensing.
	if _, err := a.LicenseStatus().SetMode(ctx, licensing.ModeSmart, false); err != nil {
		t.Fatal(err)
	}
	st, err := a.SmartLicensing().Register(ctx, tokens[0], false)
	if err != nil || st.VirtualAccount != demoSSMAccounts[0].name {
		t.Fatalf("register with the demo token: %+v %v", st, err)
	}
}
