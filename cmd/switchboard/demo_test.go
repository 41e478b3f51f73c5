package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/config"
	"github.com/switchboardhq/switchboard/server/servers"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// TestDemoAddsTheSimulatedEstate runs the demo set-up twice on one data
// directory (as `serve --demo` restarted would) and checks that both
// clusters are there, every bridge connected, with the receiver address set.
func TestDemoAddsTheSimulatedEstate(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Plaintext = true
	cfg.Storage.DataDir = t.TempDir()
	cfg.Bootstrap.AdminPassword = "demo-Admin-Secret-1"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Free ports rather than the demo's fixed ones, which may be taken on
	// a test machine; fixed across the two runs, as in the real demo.
	estate := make([]cmssim.ClusterOptions, len(demoClusters))
	copy(estate, demoClusters)
	for i := range estate {
		estate[i].ListenAddrs = nil
		for range estate[i].Bridges {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			estate[i].ListenAddrs = append(estate[i].ListenAddrs, ln.Addr().String())
			ln.Close()
		}
	}
	for run := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		a, err := app.New(ctx, cfg, log, app.Options{HashParams: auth.HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1}, Stdout: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		sim, err := startDemo(ctx, a, "127.0.0.1:8443", log, estate)
		if err != nil {
			t.Fatal(err)
		}
		clusters, err := a.Servers().ListClusters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range clusters {
			for _, b := range c.Bridges {
				if b.State != servers.StateConnected {
					t.Errorf("run %d: %s is %s", run, b.DisplayName, b.State)
				}
				n++
			}
		}
		if len(clusters) != 2 || n != 4 {
			t.Fatalf("run %d: %d clusters, %d bridges", run, len(clusters), n)
		}
		if addr, _, _ := a.Servers().CDRReceiverAddress(ctx); addr != "127.0.0.1:8443" {
			t.Fatalf("receiver address %q", addr)
		}
		cancel()
		sim.Close()
		a.Close()
	}
}
