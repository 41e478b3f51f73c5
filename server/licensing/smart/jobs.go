package smart

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/ssm"
)

// MaxCatchUpDays bounds how many missed days one usage report run sends
// after SSM was unreachable for a while.
const MaxCatchUpDays = 30

// skip is the summary of a run with nothing to do; a run that contacted
// nobody is not a failure.
func (s *Service) skip(ctx context.Context) (string, *state, error) {
	active, err := s.active(ctx)
	if err != nil {
		return "", nil, err
	}
	if !active {
		return "not in Smart mode: SSM not contacted", nil, nil
	}
	st, err := s.load(ctx)
	if err != nil {
		return "", nil, err
	}
	switch {
	case st.Registration == nil:
		return "not registered", nil, nil
	case st.Registration.Lost:
		return "SSM no longer accepts the registration: register again", nil, nil
	case !s.Configured():
		return "no SSM address configured", nil, nil
	}
	return "", st, nil
}

// RenewAuthorizationIfDue renews the authorization when none was obtained
// since the last 00:00 UTC (LI-72). It is the body of
// JobRenewAuthorization.
func (s *Service) RenewAuthorizationIfDue(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	why, st, err := s.skip(ctx)
	if st == nil {
		return why, err
	}
	if !authorizationDue(st.Registration.AuthorizedAt, s.now()) {
		return "authorization already renewed today", nil
	}
	repeat := s.repeatFailure(st, "renewAuthorization")
	st, err = s.renewAuthorizationLocked(ctx)
	s.auditSystem(ctx, JobRenewAuthorization, err, repeat)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("authorization renewed for virtual account %s", st.Registration.VirtualAccount), nil
}

// RenewRegistrationIfDue renews the registration when 6 months (less
// RegistrationMargin) have passed since the last renewal (LI-74). It is
// the body of JobRenewRegistration.
func (s *Service) RenewRegistrationIfDue(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	why, st, err := s.skip(ctx)
	if st == nil {
		return why, err
	}
	due := registrationDue(st.Registration.RenewedAt)
	if s.now().Before(due) {
		return "registration renewal due " + due.Format(time.RFC3339), nil
	}
	repeat := s.repeatFailure(st, "renewRegistration")
	st, err = s.renewRegistrationLocked(ctx)
	s.auditSystem(ctx, JobRenewRegistration, err, repeat)
	if err != nil {
		return "", err
	}
	return "registration renewed until " + st.Registration.ExpiresAt.Format(time.RFC3339), nil
}

// ReportUsageIfDue sends one usage report per complete UTC day not yet
// reported since registration, oldest first, at most MaxCatchUpDays, and
// stops at the first failure (LI-02). SSM counts a report id once, so a
// resend after a lost reply is harmless. It is the body of JobUsageReport.
func (s *Service) ReportUsageIfDue(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	why, st, err := s.skip(ctx)
	if st == nil {
		return why, err
	}
	today := midnight(s.now())
	first := midnight(st.Registration.RegisteredAt)
	if last, err := time.Parse(time.DateOnly, st.ReportedThrough); err == nil && !last.Add(24*time.Hour).Before(first) {
		first = last.Add(24 * time.Hour)
	}
	if oldest := today.AddDate(0, 0, -MaxCatchUpDays); first.Before(oldest) {
		first = oldest
	}
	if !first.Before(today) {
		return "no complete day to report", nil
	}
	_, c, cred, err := s.registered(ctx)
	if err != nil {
		return "", err
	}
	sent := 0
	for day := first; day.Before(today); day = day.Add(24 * time.Hour) {
		if err := s.reportDay(ctx, st, c, cred, day); err != nil {
			return fmt.Sprintf("%d reports sent", sent), err
		}
		sent++
	}
	return fmt.Sprintf("%d reports sent, compliance %s", sent, st.Compliance), nil
}

func (s *Service) reportDay(ctx context.Context, st *state, c *ssm.Client, cred ssm.Credential, day time.Time) error {
	usage := map[ssm.Entitlement]int{}
	if s.usage != nil {
		var err error
		if usage, err = s.usage(ctx, day); err != nil {
			return fmt.Errorf("usage of %s: %w", day.Format(time.DateOnly), err)
		}
	}
	key := day.Format(time.DateOnly)
	repeat := s.repeatFailure(st, "usage")
	st.LastReport = &reportAttempt{Day: key, At: s.now().UTC()}
	receipt, err := c.ReportUsage(ctx, cred, ssm.UsageReport{
		// One id per instance and day: a resent day is counted once.
		ReportID: "usage-" + key, MeasuredAt: day.Add(24 * time.Hour), Usage: usage,
	})
	if err != nil {
		err = s.failed(ctx, st, "usage", err)
		s.auditSystem(ctx, JobUsageReport, err, repeat)
		return err
	}
	st.LastReport.Accepted = true
	st.ReportedThrough = key
	st.Compliance, st.ComplianceLines = receipt.Compliance, receipt.Entitlements
	err = s.succeeded(ctx, st, false)
	s.auditSystem(ctx, JobUsageReport, err, false)
	return err
}

// repeatFailure reports whether the last exchange already failed the
// same way, so its audit record would repeat the previous one.
func (s *Service) repeatFailure(st *state, op string) bool {
	return st.LastError != nil && st.LastError.Operation == op
}

// auditSystem records an automatic exchange with SSM (LI-82). Repeated
// failures of the same operation, retried hourly while SSM is down, are
// recorded once.
func (s *Service) auditSystem(ctx context.Context, action string, err error, repeat bool) {
	if s.audit == nil || (err != nil && repeat) {
		return
	}
	e := audit.Entry{Actor: audit.ActorSystem, Action: action, Target: "Cisco SSM", Outcome: audit.OutcomeOK}
	if err != nil {
		e.Outcome = string(errs.ReasonOf(err))
		var ee *errs.Error
		if errors.As(err, &ee) {
			e.Details = ee.Message
		}
	}
	_ = s.audit.Record(ctx, e) // Record logs its own failures
}
