package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/config"
	ssmsim "github.com/switchboardhq/switchboard/sim/ssm"
)

// The demo's simulated SSM accounts: one to register with, and a second
// to show Reregister moving the instance (LI-76).
var demoSSMAccounts = []struct {
	name      string
	purchased map[ssmsim.Entitlement]int
}{
	{"Demo Virtual Account", map[ssmsim.Entitlement]int{ssmsim.PMPPlus: 50, ssmsim.SMPPlus: 20, ssmsim.RecordingStreaming: 5, ssmsim.Customization: 1}},
	{"Demo Second Account", map[ssmsim.Entitlement]int{ssmsim.PMPPlus: 100, ssmsim.SMPPlus: 40}},
}

// startDemoSSM runs a simulated Cisco SSM in this process, points cfg at
// it (its CA written to the data directory) and prints a registration
// token for each demo account, so that a newcomer can register from the
// console. It must run before the app is built, which reads cfg.SSM. The
// caller closes the simulator.
func startDemoSSM(cfg *config.Config, out io.Writer, log *slog.Logger) (*ssmsim.Sim, error) {
	sim := ssmsim.New(ssmsim.Options{})
	if err := sim.Err(); err != nil {
		return nil, fmt.Errorf("demo: SSM simulator: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			sim.Close()
		}
	}()
	if err := os.MkdirAll(cfg.Storage.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: data directory: %w", err)
	}
	caFile := filepath.Join(cfg.Storage.DataDir, "demo-ssm-ca.pem")
	if err := os.WriteFile(caFile, sim.CACertPEM(), 0o600); err != nil {
		return nil, fmt.Errorf("demo: SSM CA: %w", err)
	}
	cfg.SSM.URL, cfg.SSM.CAFile = sim.URL(), caFile
	fmt.Fprintf(out, "\nDemo: a simulated Cisco SSM runs at %s. Registration tokens (valid 30 days):\n\n", sim.URL())
	for _, a := range demoSSMAccounts {
		if err := sim.AddAccount(a.name, a.purchased); err != nil {
			return nil, fmt.Errorf("demo: SSM account: %w", err)
		}
		tok, err := sim.IssueToken(a.name, 30*24*time.Hour)
		if err != nil {
			return nil, fmt.Errorf("demo: SSM token: %w", err)
		}
		fmt.Fprintf(out, "    %-22s %s\n", a.name, tok)
	}
	// The simulator starts empty on every run, so a registration kept
	// from a previous run is unknown to it: register again with force.
	fmt.Fprint(out, "\nRegister under Licensing > Smart Licensing (or POST /api/v1/licensing/smart/register);\n"+
		"after a restart of the demo, register again with force.\n\n")
	log.Info("demo: simulated SSM started", slog.String("url", sim.URL()))
	ok = true
	return sim, nil
}
