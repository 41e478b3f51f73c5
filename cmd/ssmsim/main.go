package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	ssmsim "github.com/switchboardhq/switchboard/sim/ssm"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := command(os.Stdout).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ssmsim:", err)
		os.Exit(1)
	}
}

// config is ssmsim's flags.
type config struct {
	accounts    []string
	tokenTTL    time.Duration
	controlPort int
	caFile      string
	seed        uint64
	asJSON      bool
}

func command(out io.Writer) *cobra.Command {
	var c config
	cmd := &cobra.Command{
		Use:           "ssmsim",
		Short:         "Run a simulated Cisco Smart Software Manager on loopback",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), c, out)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&c.accounts, "account", []string{"VA1=PMP_PLUS:50,SMP_PLUS:20,RECORDING_STREAMING:5,CUSTOMIZATION:1"},
		"virtual account NAME=TAG:COUNT,... (repeatable); tags PMP_PLUS, SMP_PLUS, RECORDING_STREAMING, CUSTOMIZATION")
	f.DurationVar(&c.tokenTTL, "token-ttl", 30*24*time.Hour, "how long the printed registration tokens stay valid")
	f.IntVar(&c.controlPort, "control-port", 0, "loopback port of the JSON control API (0 = random)")
	f.StringVar(&c.caFile, "ca-file", filepath.Join(os.TempDir(), "ssmsim-ca.pem"), "where to write the simulator CA certificate (PEM), for --ssm-ca-file")
	f.Uint64Var(&c.seed, "seed", 0, "seed for tokens and credentials (0 = random)")
	f.BoolVar(&c.asJSON, "json", false, "print the set-up as JSON instead of text")
	return cmd
}

// parseAccount parses NAME=TAG:COUNT,TAG:COUNT.
func parseAccount(s string) (string, map[ssmsim.Entitlement]int, error) {
	name, spec, _ := strings.Cut(s, "=")
	if name == "" {
		return "", nil, fmt.Errorf("--account %q: want NAME=TAG:COUNT,...", s)
	}
	counts := map[ssmsim.Entitlement]int{}
	for _, item := range strings.Split(spec, ",") {
		if item == "" {
			continue
		}
		tag, n, ok := strings.Cut(item, ":")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			return "", nil, fmt.Errorf("--account %q: %q is not TAG:COUNT", s, item)
		}
		counts[ssmsim.Entitlement(tag)] = v
	}
	return name, counts, nil
}

func run(ctx context.Context, c config, out io.Writer) error {
	seed := c.seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	sim := ssmsim.New(ssmsim.Options{Seed: seed})
	defer sim.Close()
	if err := sim.Err(); err != nil {
		return err
	}
	tokens := map[string]string{}
	var names []string
	for _, a := range c.accounts {
		name, counts, err := parseAccount(a)
		if err != nil {
			return err
		}
		if err := sim.AddAccount(name, counts); err != nil {
			return fmt.Errorf("--account %q: %w", a, err)
		}
		if tokens[name], err = sim.IssueToken(name, c.tokenTTL); err != nil {
			return err
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return errors.New("at least one --account is needed")
	}
	if err := os.WriteFile(c.caFile, sim.CACertPEM(), 0o644); err != nil {
		return fmt.Errorf("write CA: %w", err)
	}
	ctl, err := sim.ServeControl(fmt.Sprintf("127.0.0.1:%d", c.controlPort))
	if err != nil {
		return fmt.Errorf("control API: %w", err)
	}
	if c.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"url": sim.URL(), "caFile": c.caFile, "control": "http://" + ctl, "tokens": tokens}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "ssmsim: SSM protocol at %s\n", sim.URL())
		fmt.Fprintf(out, "ssmsim: CA certificate written to %s\n", c.caFile)
		fmt.Fprintf(out, "ssmsim: start Switchboard with --ssm-url %s --ssm-ca-file %s\n", sim.URL(), c.caFile)
		for _, n := range names {
			fmt.Fprintf(out, "  account %-20s token %s\n", n, tokens[n])
		}
		fmt.Fprintf(out, "ssmsim: control API http://%s/v1/accounts\n", ctl)
	}
	<-ctx.Done()
	fmt.Fprintln(out, "ssmsim: stopping")
	return nil
}
