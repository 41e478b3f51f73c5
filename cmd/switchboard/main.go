// Command switchboard is the Switchboard server: `serve` runs it, `version`
// prints the build, and `admin` holds host-level recovery tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/buildinfo"
	"github.com/switchboardhq/switchboard/server/platform/config"
	"github.com/switchboardhq/switchboard/server/platform/logging"
)

func main() {
	if err := root().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:           "switchboard",
		Short:         "Meeting management for Cisco Meeting Server deployments",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.AddCommand(serveCmd(), versionCmd(), adminCmd(), debugCmd())
	return cmd
}

func serveCmd() *cobra.Command {
	var printConfig, demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API and the console on one port",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			if printConfig {
				fmt.Fprint(cmd.OutOrStdout(), cfg.Redacted())
				return nil
			}
			log, err := logging.New(os.Stderr, cfg.Log.Level, cfg.Log.Format)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, cfg, log, demo)
		},
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().BoolVar(&demo, "demo", false, "also run simulated Call Bridges in this process (two clusters with live meetings) and add them, and a simulated Cisco SSM to register with (unless --ssm-url is set): a demo deployment, never for production")
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the effective configuration (secrets redacted) and exit")
	return cmd
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, demo bool) error {
	if demo && cfg.SSM.URL == "" {
		ssm, err := startDemoSSM(&cfg, os.Stdout, log)
		if err != nil {
			return err
		}
		defer ssm.Close()
	}
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	if demo {
		sim, err := startDemo(ctx, a, cfg.Server.Listen, log, demoClusters)
		if err != nil {
			return err
		}
		defer sim.Close()
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Listen, err)
	}
	return a.Serve(ctx, ln)
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "switchboard %s (revision %s, %s)\n",
				buildinfo.Version, buildinfo.Revision, buildinfo.GoVersion())
		},
	}
}

func adminCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Host-level recovery tools (run on the server, against its data directory)",
	}
	var create bool
	reset := &cobra.Command{
		Use:   "reset-password USERNAME",
		Short: "Set a new random password for a local user and end their sessions (break-glass)",
		Long: "Sets a new random password for a local user, ends all of that user's sessions and\n" +
			"records BREAK_GLASS_RESET in the audit log. With --create, the user is made an\n" +
			"administrator and created if missing. Use the same --data-dir and --database-url\n" +
			"as the server; with SQLite, stop the server first.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			log, err := logging.New(os.Stderr, "warn", cfg.Log.Format)
			if err != nil {
				return err
			}
			password, err := app.BreakGlassReset(cmd.Context(), cfg, log, args[0], create)
			if errors.Is(err, auth.ErrNoSuchUser) {
				return fmt.Errorf("no local user %q (use --create to create an administrator)", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "New password for %s:\n\n    %s\n\nAll of %s's sessions have ended.\n", args[0], password, args[0])
			return nil
		},
	}
	config.RegisterFlags(reset.Flags())
	reset.Flags().BoolVar(&create, "create", false, "create the user as an administrator if missing, or make an existing one an administrator")
	createAdmin := &cobra.Command{
		Use:   "create-admin USERNAME",
		Short: "Create a new local administrator with a random password (break-glass)",
		Long: "Creates a new local user with the Administrator role and a random password, which\n" +
			"it prints once, and records BREAK_GLASS_CREATE_ADMIN in the audit log. Use it when\n" +
			"no administrator can sign in (for example the directory is down and no local\n" +
			"administrator is left). Use the same --data-dir and --database-url as the server;\n" +
			"with SQLite, stop the server first.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			log, err := logging.New(os.Stderr, "warn", cfg.Log.Format)
			if err != nil {
				return err
			}
			password, err := app.BreakGlassCreateAdmin(cmd.Context(), cfg, log, args[0])
			if errors.Is(err, auth.ErrUserExists) {
				return fmt.Errorf("a local user %q already exists (use reset-password --create to make it an administrator with a new password)", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created administrator %s with password:\n\n    %s\n\nSign in and change it.\n", args[0], password)
			return nil
		},
	}
	config.RegisterFlags(createAdmin.Flags())
	cmd.AddCommand(reset, createAdmin)
	return cmd
}
