package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/servers"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// demoClusters is the simulated estate of `serve --demo`: a three-bridge
// cluster and a standalone bridge.
// Fixed ports let a restarted demo replace the bridges of the previous run
// (whose simulator CA is gone) instead of piling up unreachable ones.
var demoClusters = []cmssim.ClusterOptions{
	{Name: "London", Bridges: 3, Username: "api", Password: "demo-api-Password-1",
		ListenAddrs: []string{"127.0.0.1:18441", "127.0.0.1:18442", "127.0.0.1:18443"}},
	{Name: "Oslo", Bridges: 1, Username: "api", Password: "demo-api-Password-1",
		ListenAddrs: []string{"127.0.0.1:18444"}},
}

// demoLicenseUsage is the peak licence use of one demo bridge on a weekday.
var demoLicenseUsage = cmssim.Usage{PMP: 12, SMPPointToPoint: 2, SMPFull: 6, Recording: 1, Streaming: 1}

// removePreviousDemo removes the bridges a previous demo run added.
func removePreviousDemo(ctx context.Context, svc *servers.Service, estate []cmssim.ClusterOptions) error {
	ports := map[int]bool{}
	for _, o := range estate {
		for _, a := range o.ListenAddrs {
			_, p, _ := net.SplitHostPort(a)
			n, _ := strconv.Atoi(p)
			ports[n] = true
		}
	}
	clusters, err := svc.ListClusters(ctx)
	if err != nil {
		return err
	}
	for _, c := range clusters {
		for _, b := range c.Bridges {
			if b.Address == "127.0.0.1" && ports[b.Port] {
				if err := svc.RemoveCallBridge(ctx, b.ID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// startDemo runs the Call Bridge simulator in this process, with a lively
// scenario, and adds its bridges through the same service code an
// administrator uses (trusting the simulator's CA), after setting the CDR
// receiver address to this server's listener. It returns the simulator,
// which the caller closes.
func startDemo(ctx context.Context, a *app.App, listen string, log *slog.Logger, estate []cmssim.ClusterOptions) (*cmssim.Sim, error) {
	sim := cmssim.New(cmssim.Options{Seed: 1, Logger: log.With(slog.String("component", "cmssim"))})
	ok := false
	defer func() {
		if !ok {
			sim.Close()
		}
	}()
	svc := a.Servers()
	if err := removePreviousDemo(ctx, svc, estate); err != nil {
		return nil, fmt.Errorf("demo: remove the previous demo's bridges: %w", err)
	}
	if _, _, err := svc.SetCDRReceiverAddress(ctx, receiverAddress(listen)); err != nil {
		return nil, fmt.Errorf("demo: CDR receiver address: %w", err)
	}
	for _, o := range estate {
		cl, err := sim.AddCluster(o)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		// 90 days of licence usage, so the Licenses page has history to
		// chart as soon as the first collection has fetched it.
		now := time.Now().UTC().Truncate(cmssim.UsageInterval)
		for i, b := range cl.Bridges {
			b.PreloadLicenseUsage("", now.AddDate(0, 0, -90), now, cmssim.OfficeHoursUsage(demoLicenseUsage, uint64(i+1)))
		}
		first := cl.Bridges[0]
		host, port, _ := net.SplitHostPort(first.Addr())
		p, _ := strconv.Atoi(port)
		conn := servers.Connection{Address: host, Port: p, Username: o.Username, Password: o.Password,
			VerifyCertificate: true, TrustedChainPEM: string(sim.CACertPEM())}
		b, c, err := svc.AddCallBridge(ctx, servers.NewBridge{Connection: conn, DisplayName: o.Name + " 1", ClusterDisplayName: o.Name})
		if err != nil {
			return nil, fmt.Errorf("demo: add %s: %w", o.Name, err)
		}
		if len(c.Discovered) > 0 {
			if _, err := svc.AddDiscovered(ctx, c.ID, b.ID); err != nil {
				return nil, fmt.Errorf("demo: add the peers of %s: %w", o.Name, err)
			}
		}
	}
	go func() {
		if err := sim.RunScenario(ctx, cmssim.BusyCluster()); err != nil && ctx.Err() == nil {
			log.Warn("demo scenario stopped", slog.Any("error", err))
		}
	}()
	log.Info("demo: simulated Call Bridges added", slog.Int("bridges", len(sim.Bridges())), slog.Int("clusters", len(estate)))
	ok = true
	return sim, nil
}

// receiverAddress turns the listen address into the address bridges are
// told to post CDRs to (the simulator runs on this host).
func receiverAddress(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "localhost"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	if port == "443" {
		return host
	}
	return net.JoinHostPort(host, port)
}
