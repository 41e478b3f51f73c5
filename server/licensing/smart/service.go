package smart

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
	"github.com/switchboardhq/switchboard/server/platform/secrets"
	"github.com/switchboardhq/switchboard/server/ssm"
)

// Options are what the app and tests set.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Active reports whether the instance is in Smart mode; nothing
	// contacts SSM while it is false (LI-06). Nil means always.
	Active func(ctx context.Context) (bool, error)
	// Usage returns the usage to report for one UTC day (the day's
	// peaks), the day given as its 00:00 UTC. Nil reports nothing used.
	Usage func(ctx context.Context, day time.Time) (map[ssm.Entitlement]int, error)
	// NoSchedule registers the jobs without a schedule, so that only
	// RunNow or the *IfDue methods run them.
	NoSchedule bool
	// Audit records the automatic exchanges with SSM as the system actor
	// (LI-82); nil records none. Calls through the API are audited by
	// the API layer.
	Audit *audit.Recorder
}

// The jobs, by name in the registry.
const (
	JobRenewAuthorization = "smart-licensing/renew-authorization"
	JobRenewRegistration  = "smart-licensing/renew-registration"
	JobUsageReport        = "smart-licensing/usage-report"
)

// Service is the Smart Licensing lifecycle. It is safe for concurrent
// use; every change and every exchange with SSM is serialised.
type Service struct {
	db     *ent.Client
	conn   ssm.Config
	notes  *notifications.Service
	box    *secrets.Box
	log    *slog.Logger
	now    func() time.Time
	active func(context.Context) (bool, error)
	usage  func(context.Context, time.Time) (map[ssm.Entitlement]int, error)
	audit  *audit.Recorder

	mu     sync.Mutex
	client *ssm.Client // for client.ProductInstanceID(); built on first use
}

// New returns the service and registers its jobs. conn says how to reach
// SSM; its ProductInstanceID is ignored (the instance's own id, stored
// with the state, is used), and an empty URL means SSM is not
// configured: registering then fails with FailedPrecondition.
func New(db *ent.Client, conn ssm.Config, reg *jobs.Registry, notes *notifications.Service, box *secrets.Box, log *slog.Logger, opts Options) (*Service, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Active == nil {
		opts.Active = func(context.Context) (bool, error) { return true, nil }
	}
	s := &Service{db: db, conn: conn, notes: notes, box: box, log: log.With(slog.String("component", "smart-licensing")),
		now: opts.Now, active: opts.Active, usage: opts.Usage, audit: opts.Audit}
	for _, j := range []jobs.Job{
		// Hourly checks rather than one run at midnight: the first run
		// after 00:00 UTC renews (LI-72), and a run missed while the
		// server was down or failed because SSM was unreachable is made
		// good within the hour instead of a day later.
		{Name: JobRenewAuthorization, Schedule: "CRON_TZ=UTC 0 * * * *", Timeout: 5 * time.Minute,
			Description: "Renews the Smart Licensing authorization with Cisco SSM once a day, at 00:00 UTC (LI-72)",
			Run:         s.RenewAuthorizationIfDue},
		{Name: JobRenewRegistration, Schedule: "CRON_TZ=UTC 10 * * * *", Timeout: 5 * time.Minute,
			Description: "Renews the Smart Licensing registration with Cisco SSM every 6 months (LI-74)",
			Run:         s.RenewRegistrationIfDue},
		// Twenty minutes past the hour: the last 5-minute usage samples of
		// the day have arrived by then.
		{Name: JobUsageReport, Schedule: "CRON_TZ=UTC 20 * * * *", Timeout: 10 * time.Minute,
			Description: "Sends the usage of each complete UTC day to Cisco SSM and records its compliance answer (LI-02)",
			Run:         s.ReportUsageIfDue},
	} {
		if opts.NoSchedule {
			j.Schedule = ""
		}
		if err := reg.Register(j); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Configured reports whether an SSM address is configured.
func (s *Service) Configured() bool { return s.conn.URL != "" }

// ssmClient returns the client for the instance id.
func (s *Service) ssmClient(instanceID string) (*ssm.Client, error) {
	if !s.Configured() {
		return nil, errNotConfigured
	}
	if s.client != nil && s.client.ProductInstanceID() == instanceID {
		return s.client, nil
	}
	cfg := s.conn
	cfg.ProductInstanceID = instanceID
	c, err := ssm.New(cfg)
	if err != nil {
		return nil, errs.Wrap(err, errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"the SSM address or CA bundle is not usable: check --ssm-url and --ssm-ca-file")
	}
	if s.client != nil {
		s.client.Close()
	}
	s.client = c
	return c, nil
}

var (
	errNotConfigured = errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
		"no Cisco SSM address is configured: start Switchboard with --ssm-url (and --ssm-ca-file when SSM's certificate is not publicly trusted)")
	errNotSmart = errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
		"the licensing mode is not Smart: choose Smart licensing before registering with SSM (LI-06)")
	errNotRegistered = errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
		"this instance is not registered with SSM: register it with a token first")
)

// RegistrationState is the instance's registration.
type RegistrationState int

// The states.
const (
	// Unregistered: never registered, or deregistered.
	Unregistered RegistrationState = iota + 1
	// Registered and not expired.
	Registered
	// RegistrationExpired: registered here, but the registration lapsed
	// or SSM no longer accepts it; register again with force.
	RegistrationExpired
)

// Report is the last usage report attempt.
type Report struct {
	// Day is the UTC day reported (its 00:00 UTC).
	Day time.Time
	// At is when it was sent.
	At time.Time
	// Accepted says whether SSM received it.
	Accepted bool
}

// Failure is the last failed exchange with SSM.
type Failure struct {
	At        time.Time
	Operation string
	// Message is Switchboard's own wording, safe to show.
	Message string
	// Reason is SSM's reason code, "" when none.
	Reason string
}

// Status is the Smart Licensing view (LI-79). Zero times mean "never" or
// "not applicable".
type Status struct {
	State      RegistrationState
	Registered bool // State == Registered
	// SmartMode is what Active said.
	SmartMode bool
	// Configured says whether an SSM address is set.
	Configured        bool
	ProductInstanceID string
	VirtualAccount    string
	RegisteredAt      time.Time

	LastAuthorizationRenewal time.Time
	NextAuthorizationRenewal time.Time
	AuthorizationExpires     time.Time
	LastRegistrationRenewal  time.Time
	NextRegistrationRenewal  time.Time
	RegistrationExpires      time.Time

	// Purchased is the count per entitlement of the last good
	// authorization; Entitlements is the same in SSM's order, with names.
	Purchased    map[ssm.Entitlement]int
	Entitlements []ssm.Count
	// Compliance is SSM's answer to the last accepted usage report, with
	// its per-entitlement lines; "" before the first.
	Compliance      ssm.Compliance
	ComplianceLines []ssm.UsageLine
	LastReport      *Report
	LastError       *Failure
}

// Status returns the Smart Licensing view. It does not contact SSM.
func (s *Service) Status(ctx context.Context) (Status, error) {
	active, err := s.active(ctx)
	if err != nil {
		return Status{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.load(ctx)
	if err != nil {
		return Status{}, err
	}
	return s.statusOf(st, active), nil
}

func (s *Service) statusOf(st *state, active bool) Status {
	now := s.now().UTC()
	out := Status{State: Unregistered, SmartMode: active, Configured: s.Configured(), ProductInstanceID: st.InstanceID,
		Compliance: st.Compliance, ComplianceLines: st.ComplianceLines, Purchased: map[ssm.Entitlement]int{}}
	if r := st.LastReport; r != nil {
		day, _ := time.Parse(time.DateOnly, r.Day)
		out.LastReport = &Report{Day: day, At: r.At, Accepted: r.Accepted}
	}
	if f := st.LastError; f != nil {
		out.LastError = &Failure{At: f.At, Operation: f.Operation, Message: f.Message, Reason: f.Reason}
	}
	r := st.Registration
	if r == nil {
		return out
	}
	out.State = Registered
	if r.Lost || !now.Before(r.ExpiresAt) {
		out.State = RegistrationExpired
	}
	out.Registered = out.State == Registered
	out.VirtualAccount = r.VirtualAccount
	out.RegisteredAt = r.RegisteredAt
	out.LastAuthorizationRenewal = r.AuthorizedAt
	out.AuthorizationExpires = r.Authorization.ExpiresAt
	out.LastRegistrationRenewal = r.RenewedAt
	out.RegistrationExpires = r.ExpiresAt
	if out.Registered {
		out.NextAuthorizationRenewal = nextAuthorization(r.AuthorizedAt, now)
		out.NextRegistrationRenewal = registrationDue(r.RenewedAt)
		if out.NextRegistrationRenewal.Before(now) {
			out.NextRegistrationRenewal = nextHour(now)
		}
	}
	out.Entitlements = append([]ssm.Count(nil), r.Authorization.Entitlements...)
	for _, c := range r.Authorization.Entitlements {
		out.Purchased[c.Tag] = c.Count
	}
	return out
}

// PurchasedCounts returns a copy of the purchased counts of the last good
// authorization (empty when not registered).
func (st Status) PurchasedCounts() map[ssm.Entitlement]int { return maps.Clone(st.Purchased) }

func midnight(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

func nextHour(t time.Time) time.Time { return t.UTC().Truncate(time.Hour).Add(time.Hour) }

// authorizationDue reports whether no authorization was obtained since the
// last 00:00 UTC.
func authorizationDue(last, now time.Time) bool { return last.Before(midnight(now)) }

// nextAuthorization is the 00:00 UTC after last or, when that has passed
// without a renewal (SSM unreachable), the next hourly retry.
func nextAuthorization(last, now time.Time) time.Time {
	next := midnight(last).Add(24 * time.Hour)
	if next.After(now) {
		return next
	}
	return nextHour(now)
}

// RegistrationMargin is how long before the 6 months are up the
// registration is renewed. SSM's registration lapses exactly 6 calendar
// months after the last renewal, so renewing "at 6 months" by an hourly
// check would always come too late; a day's margin leaves 24 retries.
const RegistrationMargin = 24 * time.Hour

// registrationDue is when the registration renewed at last is renewed
// again (LI-74).
func registrationDue(last time.Time) time.Time {
	return last.UTC().AddDate(0, 6, 0).Add(-RegistrationMargin)
}

// ssmError turns an SSM failure into an API error. The message is
// Switchboard's own; SSM's text goes to the log only.
func ssmError(err error) error {
	var e *ssm.Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return errs.Wrap(err, errs.Unavailable, errs.ReasonUnavailable, "the exchange with SSM was cut short")
		}
		return err
	}
	reason := ""
	if e.Reason != "" {
		reason = " (" + e.Reason + ")"
	}
	switch e.Kind {
	case ssm.KindTokenRejected:
		v := errs.Invalid("token", "SSM refused the registration token"+reason+": generate a new token in SSM")
		v.Cause = err
		return v
	case ssm.KindAlreadyRegistered:
		return errs.Wrap(err, errs.AlreadyExists, errs.ReasonAlreadyExists,
			"SSM already holds a registration of this instance: register with force to replace it (LI-71)")
	case ssm.KindNotRegistered:
		return errs.Wrap(err, errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"SSM no longer accepts this instance's registration%s: register again with a token and force", reason)
	case ssm.KindRefused:
		return errs.Wrap(err, errs.FailedPrecondition, errs.ReasonFailedPrecondition, "SSM refused the request%s", reason)
	}
	return errs.Wrap(err, errs.Unavailable, errs.ReasonUnavailable, "Cisco SSM: %s; try again later", e.Kind)
}

// communicationFailure reports whether err means SSM could not be talked
// to (as opposed to SSM answering no).
func communicationFailure(err error) bool {
	var e *ssm.Error
	if !errors.As(err, &e) {
		return true
	}
	switch e.Kind {
	case ssm.KindUnreachable, ssm.KindTLS, ssm.KindTimeout, ssm.KindUnavailable, ssm.KindProtocol:
		return true
	}
	return false
}

func describe(op string, err error) (msg, reason string) {
	var e *ssm.Error
	if errors.As(err, &e) {
		return fmt.Sprintf("%s: %s", op, e.Kind), e.Reason
	}
	return op + ": " + err.Error(), ""
}
