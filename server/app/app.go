// Package app assembles Switchboard: it opens the store, builds the domain
// services, mounts every API flavour (Connect, gRPC, gRPC-Web, REST, reflection,
// health) and the console on one handler, and serves it on one listener.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"buf.build/go/protovalidate"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/licensing/smart"
	"github.com/switchboardhq/switchboard/server/meetings"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/config"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
	"github.com/switchboardhq/switchboard/server/platform/secrets"
	"github.com/switchboardhq/switchboard/server/platform/tlscert"
	"github.com/switchboardhq/switchboard/server/servers"
	"github.com/switchboardhq/switchboard/server/users"
)

// Options are what tests may change about an App; the zero value is
// production.
type Options struct {
	// HashParams overrides the argon2id cost (tests use a cheap one).
	HashParams auth.HashParams
	// Now overrides the clock.
	Now func() time.Time
	// Stdout receives the one-time bootstrap password notice.
	Stdout io.Writer
	// Servers overrides the bridge monitor's timing (poll interval,
	// back-off cap) and lets tests drive the monitor themselves.
	Servers servers.Options
	// Meetings overrides the meetings service's clock, retention and
	// purge schedule.
	Meetings meetings.Options
	// Licensing overrides the licence usage collector's clock and
	// schedule.
	Licensing licensing.Options
	// LicenseStatus overrides the licence status service's clock,
	// enforcement durations and schedule.
	LicenseStatus licensing.ServiceOptions
	// Smart overrides the Smart Licensing lifecycle's clock, mode check,
	// usage source and schedule.
	Smart smart.Options
}

// App is a running Switchboard instance.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	opts    Options
	db      *database.DB
	secrets *secrets.Box
	auth    *auth.Service
	users   *users.Service
	notes   *notifications.Service
	servers *servers.Service
	meet    *meetings.Service
	lic     *licensing.Collector
	licSvc  *licensing.Service
	smart   *smart.Service
	// shutdown is cancelled (stopStreams) when Serve begins to shut down,
	// which ends the server streams.
	shutdown    context.Context
	stopStreams context.CancelFunc
	jobs        *jobs.Registry
	metrics     *prometheus.Registry
	started     time.Time
	ready       atomic.Bool

	handler  http.Handler
	services []string
	gateway  *gateway
}

// New opens the store (migrating it), bootstraps the first administrator of
// an empty installation and builds the HTTP handler.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if err := os.MkdirAll(cfg.Storage.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	a := &App{cfg: cfg, log: log, opts: opts, started: opts.Now().UTC()}
	a.shutdown, a.stopStreams = context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()

	var err error
	if a.secrets, err = secrets.LoadOrCreate(cfg.Storage.DataDir); err != nil {
		return nil, err
	}
	if a.db, err = database.Open(ctx, cfg.Storage.DatabaseURL, cfg.Storage.DataDir); err != nil {
		return nil, err
	}
	if err := a.db.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate database: %w", err)
	}

	rec := audit.NewRecorder(a.db.Ent, log, opts.Now)
	if a.auth, err = auth.New(a.db.Ent, rec, log, auth.Options{HashParams: opts.HashParams, Now: opts.Now}); err != nil {
		return nil, err
	}
	a.users = users.New(a.db.Ent, a.auth, a.secrets, log, users.Options{Now: opts.Now})
	// The directory is the one identity source besides local users today;
	// SSO or MFA sources would be added the same way (IM-24).
	a.auth.AddAuthenticator(a.users.Directory)
	boot, err := a.auth.EnsureBootstrapAdmin(ctx, cfg.Storage.DataDir, cfg.Bootstrap.AdminPassword)
	if err != nil {
		return nil, fmt.Errorf("create the first administrator: %w", err)
	}
	if boot.GeneratedPassword != "" {
		// Printed once, on purpose not through the logger (which would
		// rightly redact it); also kept in a 0600 file for unattended installs.
		fmt.Fprintf(opts.Stdout, "\nFirst start: created administrator %q with password:\n\n    %s\n\n"+
			"It is also in %s. Sign in and change it.\n\n", auth.BootstrapUsername, boot.GeneratedPassword, boot.PasswordFile)
	} else if boot.Created {
		log.Info("created the first administrator from the configured password", slog.String("username", auth.BootstrapUsername))
	}

	a.metrics = prometheus.NewRegistry()
	a.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.startDomains(ctx); err != nil {
		return nil, err
	}
	// Sign-in hashing at start-up (bootstrap, the timing-equaliser hash)
	// leaves argon2id's scratch memory in the heap; hand it back so an idle
	// server stays small.
	debug.FreeOSMemory()
	validator, err := protovalidate.New()
	if err != nil {
		return nil, err
	}
	if err := a.buildHandler(ctx, rec, validator); err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

// Handler serves everything: API, console, health and metrics.
func (a *App) Handler() http.Handler { return a.handler }

// Auth is the sign-in service, for tools that run beside the API.
func (a *App) Auth() *auth.Service { return a.auth }

// ServiceNames lists the fully qualified names of the served services.
func (a *App) ServiceNames() []string { return a.services }

// Dialect is the database in use: "sqlite" or "postgres".
func (a *App) Dialect() string { return a.db.Dialect }

// Serve serves on ln until ctx is done, then drains in-flight requests for at
// most the configured shutdown timeout.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		Protocols:         new(http.Protocols),
	}
	srv.Protocols.SetHTTP1(true)
	if a.cfg.Server.Plaintext {
		srv.Protocols.SetUnencryptedHTTP2(true)
	} else {
		cert, err := tlscert.Load(a.cfg.Server.TLSCert, a.cfg.Server.TLSKey, a.cfg.Storage.DataDir, a.opts.Now())
		if err != nil {
			return err
		}
		srv.Protocols.SetHTTP2(true)
		srv.TLSConfig = tlsConfig(cert)
	}

	if a.cfg.Server.DebugListen != "" {
		stop, err := serveProfiles(a.cfg.Server.DebugListen, a.log)
		if err != nil {
			return err
		}
		defer stop()
	}
	go a.expireSessions(ctx)
	a.jobs.Start()
	a.servers.PollAllNow(ctx)
	// The live model follows the bridges only while this instance serves:
	// it restores the active meetings, reconciles them with the bridges
	// and subscribes to their events before the first request arrives.
	if err := a.meet.Start(ctx); err != nil {
		return fmt.Errorf("start meetings: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := a.jobs.Stop(stopCtx); err != nil {
			a.log.Warn("stopping jobs", slog.Any("error", err))
		}
	}()
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	a.ready.Store(true)
	a.log.Info("serving", slog.String("address", ln.Addr().String()), slog.Bool("tls", !a.cfg.Server.Plaintext),
		slog.String("database", a.db.Dialect))

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.ready.Store(false)
	a.log.Info("shutting down", slog.Duration("timeout", a.cfg.Server.ShutdownTimeout))
	a.stopStreams()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// Close stops following the bridges and releases the store and the
// in-process gateway connection.
func (a *App) Close() {
	if a.gateway != nil {
		a.gateway.close()
	}
	if a.meet != nil {
		// Before the store closes: the model's last writes need it.
		a.meet.Close()
	}
	if a.db != nil {
		if err := a.db.Close(); err != nil {
			a.log.Warn("closing database", slog.Any("error", err))
		}
	}
}

// expireSessions ends idle and 24-hour-old sessions every 30 seconds
// (AU-49), recording SESSION_EXPIRED, and purges old expired sessions and
// refilled rate-limit buckets.
func (a *App) expireSessions(ctx context.Context) {
	t := time.NewTicker(auth.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.auth.ExpireSessions(ctx); err != nil {
				a.log.Warn("expiring sessions", slog.Any("error", err))
			} else if n > 0 {
				a.log.Info("expired sessions", slog.Int("count", n))
			}
		}
	}
}

// BreakGlassReset opens the store named by cfg and resets a local user's
// password (see auth.Service.BreakGlassReset). It is the host-level recovery
// path for a lost administrator password (IM-21).
func BreakGlassReset(ctx context.Context, cfg config.Config, log *slog.Logger, username string, create bool) (string, error) {
	db, err := database.Open(ctx, cfg.Storage.DatabaseURL, cfg.Storage.DataDir)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return "", fmt.Errorf("migrate database: %w", err)
	}
	svc, err := auth.New(db.Ent, audit.NewRecorder(db.Ent, log, time.Now), log, auth.Options{})
	if err != nil {
		return "", err
	}
	return svc.BreakGlassReset(ctx, username, create)
}

// BreakGlassCreateAdmin opens the store named by cfg and creates a new
// local administrator with a random password, which it returns (see
// auth.Service.BreakGlassCreateAdmin; IM-21).
func BreakGlassCreateAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, username string) (string, error) {
	db, err := database.Open(ctx, cfg.Storage.DatabaseURL, cfg.Storage.DataDir)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return "", fmt.Errorf("migrate database: %w", err)
	}
	svc, err := auth.New(db.Ent, audit.NewRecorder(db.Ent, log, time.Now), log, auth.Options{})
	if err != nil {
		return "", err
	}
	return svc.BreakGlassCreateAdmin(ctx, username)
}

// Users is the users service, for tests and tools beside the API.
func (a *App) Users() *users.Service { return a.users }

// startDomains builds the notification store, the job registry and the
// servers service, registers the background jobs and raises the
// conditions that hold at start.
func (a *App) startDomains(ctx context.Context) error {
	a.notes = notifications.New(a.db.Ent, a.log, notifications.Options{Now: a.opts.Now})
	a.jobs = jobs.New(a.log, a.metrics)
	so := a.opts.Servers
	if so.Now == nil {
		so.Now = a.opts.Now
	}
	a.servers = servers.New(a.db.Ent, a.secrets, a.notes, a.jobs, a.log, so)
	mo := a.opts.Meetings
	if mo.Now == nil {
		mo.Now = a.opts.Now
	}
	mo.Metrics = a.metrics
	if mo.Capacity == (meetings.Capacity{}) && a.db.Dialect == database.DialectPostgres {
		mo.Capacity = meetings.CapacityPostgres
	}
	a.meet = meetings.New(a.db.Ent, a.servers, a.notes, a.jobs, a.log, mo)
	if err := a.jobs.Register(jobs.Job{
		Name:        "notifications-retention",
		Description: "Deletes notifications resolved more than 7 days ago",
		Schedule:    "@every 1h",
		Run:         a.notes.PurgeResolved,
	}); err != nil {
		return err
	}
	// NO_LOCAL_ADMIN (IM-13): raised and cleared on every change of local
	// users, and checked now.
	a.users.OnLocalAdminCount = func(ctx context.Context, n int) {
		if err := a.notes.Set(ctx, n == 0, notifications.CodeNoLocalAdmin, notifications.Subject{Kind: notifications.SubjectSystem},
			"No local administrator exists: if the sign-in directory fails, no administrator can sign in. Create one."); err != nil {
			a.log.Warn("NO_LOCAL_ADMIN notification", slog.Any("error", err))
		}
	}
	// AU-37: the link members of a newly mapped group are given is this
	// console at the CDR receiver address.
	a.users.SignInLink = func(ctx context.Context) (string, error) {
		addr, _, err := a.servers.CDRReceiverAddress(ctx)
		if err != nil || addr == "" {
			return "", err
		}
		return "https://" + addr + "/", nil
	}
	if n, err := a.users.LocalAdministratorCount(ctx); err != nil {
		return err
	} else {
		a.users.OnLocalAdminCount(ctx, n)
	}
	if err := a.servers.Start(ctx); err != nil {
		return err
	}
	// Licence usage collection (LI-56): a job per bridge, kept in step
	// with the bridges on every change made through the servers service.
	lo := a.opts.Licensing
	if lo.Now == nil {
		lo.Now = a.opts.Now
	}
	a.lic = licensing.New(a.db, a.servers, a.jobs, a.log, lo)
	// The licence status (LI-01 … LI-51): evaluated every 5 minutes, on
	// every licensing change, and when bridges come and go (LI-58).
	lso := a.opts.LicenseStatus
	if lso.Now == nil {
		lso.Now = a.opts.Now
	}
	a.licSvc = licensing.NewService(a.db.Ent, a.lic, a.servers, a.notes, a.log, lso)
	if err := a.licSvc.Register(a.jobs); err != nil {
		return err
	}
	if err := a.startSmart(); err != nil {
		return err
	}
	a.servers.OnChange(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.lic.Sync(ctx); err != nil {
			a.log.Warn("licence usage jobs", slog.Any("error", err))
		}
		if err := a.jobs.RunNow(licensing.StatusJob); err != nil {
			a.log.Debug("licence status job", slog.Any("error", err))
		}
	})
	if err := a.lic.Sync(ctx); err != nil {
		return err
	}
	// The first evaluation raises LICENSING_MODE_NOT_SET on a fresh
	// install (LI-01) without waiting for the schedule.
	return a.jobs.RunNow(licensing.StatusJob)
}

// Notifications is the notification store, for tests and tools.
func (a *App) Notifications() *notifications.Service { return a.notes }

// Servers is the servers service, for tests and tools (the demo).
func (a *App) Servers() *servers.Service { return a.servers }

// Licensing is the licence usage collector, for tests and tools.
func (a *App) Licensing() *licensing.Collector { return a.lic }

// LicenseStatus is the licence status service, for tests and tools.
func (a *App) LicenseStatus() *licensing.Service { return a.licSvc }

// Meetings is the meetings service, for tests and tools.
func (a *App) Meetings() *meetings.Service { return a.meet }

// Jobs is the job registry.
func (a *App) Jobs() *jobs.Registry { return a.jobs }
