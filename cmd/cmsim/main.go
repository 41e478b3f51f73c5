package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := command(os.Stdout)
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "cmsim:", err)
		os.Exit(1)
	}
}

// config is cmsim's flags.
type config struct {
	clusters     int
	bridges      int
	scenario     string
	speed        float64
	seed         uint64
	controlPort  int
	basePort     int
	username     string
	password     string
	caFile       string
	cdrReceivers []string
	asJSON       bool
	verbose      bool
	// licenseDays of office-hours licence usage history are preloaded on
	// every bridge, so that a Switchboard connecting to it has 90 days of
	// utilisation to show at once.
	licenseDays int
}

var clusterNames = []string{"London", "Oslo", "Tokyo", "Toronto", "Sydney", "Madrid", "Nairobi", "Lima", "Seoul", "Dublin"}

func command(out io.Writer) *cobra.Command {
	var c config
	cmd := &cobra.Command{
		Use:           "cmsim",
		Short:         "Run simulated Cisco Meeting Server Call Bridges on loopback",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), c, out)
		},
	}
	f := cmd.Flags()
	f.IntVar(&c.clusters, "clusters", 1, "number of clusters")
	f.IntVar(&c.bridges, "bridges", 2, "bridges per cluster (1 = standalone bridges)")
	f.StringVar(&c.scenario, "scenario", "quiet", "meeting traffic: quiet, busy, large or none")
	f.Float64Var(&c.speed, "speed", 1, "simulated seconds per real second (1 = real time)")
	f.Uint64Var(&c.seed, "seed", 1, "seed for ids and traffic")
	f.IntVar(&c.controlPort, "control-port", 0, "loopback port of the JSON control API (0 = random)")
	f.IntVar(&c.basePort, "base-port", 0, "first bridge port; bridges take consecutive ports (0 = random ports)")
	f.StringVar(&c.username, "username", "admin", "API user name on every bridge")
	f.StringVar(&c.password, "password", "admin", "API password on every bridge")
	f.StringVar(&c.caFile, "ca-file", filepath.Join(os.TempDir(), "cmsim-ca.pem"), "where to write the simulator CA certificate (PEM)")
	f.StringSliceVar(&c.cdrReceivers, "cdr-receiver", nil, "CDR receiver URI to pre-configure on every bridge (repeatable)")
	f.BoolVar(&c.asJSON, "json", false, "print the bridges as JSON instead of text")
	f.BoolVar(&c.verbose, "verbose", false, "log every scenario action")
	f.IntVar(&c.licenseDays, "license-history-days", 0, "days (0 to 92) of office-hours licence usage history to preload on every bridge")
	return cmd
}

func run(ctx context.Context, c config, out io.Writer) error {
	if c.clusters < 1 || c.bridges < 1 {
		return errors.New("--clusters and --bridges must be at least 1")
	}
	if c.licenseDays < 0 || c.licenseDays > 92 {
		return errors.New("--license-history-days must be 0 to 92")
	}
	var sc cmssim.Scenario
	if c.scenario != "none" {
		var err error
		if sc, err = cmssim.ScenarioByName(c.scenario); err != nil {
			return err
		}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if c.verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var clock cmssim.Clock
	if c.speed > 1 {
		clock = cmssim.NewAcceleratedClock(time.Now(), c.speed)
	}
	sim := cmssim.New(cmssim.Options{Seed: c.seed, Clock: clock, Logger: logger})
	defer sim.Close()

	port := c.basePort
	for i := 0; i < c.clusters; i++ {
		name := fmt.Sprintf("Cluster %d", i+1)
		if i < len(clusterNames) {
			name = clusterNames[i]
		}
		o := cmssim.ClusterOptions{Name: name, Bridges: c.bridges, Username: c.username, Password: c.password, CDRReceivers: c.cdrReceivers}
		if port > 0 {
			for j := 0; j < c.bridges; j++ {
				o.ListenAddrs = append(o.ListenAddrs, fmt.Sprintf("127.0.0.1:%d", port))
				port++
			}
		}
		cl, err := sim.AddCluster(o)
		if err != nil {
			return err
		}
		if c.licenseDays > 0 {
			preloadLicenseUsage(cl, c.licenseDays, c.seed)
		}
	}
	if err := os.WriteFile(c.caFile, sim.CACertPEM(), 0o644); err != nil {
		return fmt.Errorf("write CA: %w", err)
	}
	ctl, err := sim.ServeControl(fmt.Sprintf("127.0.0.1:%d", c.controlPort))
	if err != nil {
		return fmt.Errorf("control API: %w", err)
	}
	if err := report(out, c, sim, ctl); err != nil {
		return err
	}

	errc := make(chan error, 1)
	if c.scenario != "none" {
		sc.Log = logger
		go func() { errc <- sim.RunScenario(ctx, sc) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		<-ctx.Done()
	}
	fmt.Fprintln(out, "cmsim: stopping")
	return nil
}

func report(out io.Writer, c config, sim *cmssim.Sim, ctl string) error {
	if c.asJSON {
		var bridges []cmssim.BridgeInfo
		for _, b := range sim.Bridges() {
			bridges = append(bridges, b.Info())
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"caFile": c.caFile, "crl": sim.CRLURL(), "control": "http://" + ctl, "bridges": bridges,
		})
	}
	fmt.Fprintf(out, "cmsim: CA certificate written to %s\n", c.caFile)
	fmt.Fprintf(out, "cmsim: CRL distribution point %s\n", sim.CRLURL())
	for _, cl := range sim.Clusters() {
		kind := "clustered"
		if !cl.Clustered() {
			kind = "standalone"
		}
		fmt.Fprintf(out, "cluster %s (%s, id %s)\n", cl.Name, kind, cl.ID)
		for _, b := range cl.Bridges {
			fmt.Fprintf(out, "  %-16s %s/api/v1  id %s  user %s  password %s\n", b.Name(), b.URL(), b.ID(), b.Username(), b.Password())
		}
	}
	fmt.Fprintf(out, "cmsim: scenario %s at %gx, seed %d\n", c.scenario, c.speed, c.seed)
	fmt.Fprintf(out, "cmsim: control API http://%s/v1/bridges\n", ctl)
	return nil
}

// demoUsage is the peak licence use of one bridge in preloaded history.
var demoUsage = cmssim.Usage{PMP: 12, SMPPointToPoint: 2, SMPFull: 6, Recording: 1, Streaming: 1}

// preloadLicenseUsage gives every bridge of cl days of office-hours usage
// ending now.
func preloadLicenseUsage(cl *cmssim.Cluster, days int, seed uint64) {
	now := time.Now().UTC().Truncate(cmssim.UsageInterval)
	for i, b := range cl.Bridges {
		b.PreloadLicenseUsage("", now.AddDate(0, 0, -days), now, cmssim.OfficeHoursUsage(demoUsage, seed+uint64(i)))
	}
}
