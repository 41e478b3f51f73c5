package smart

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/ssm"
)

// subject is what the SSM notifications are about.
var subject = notifications.Subject{Kind: notifications.SubjectSystem, ID: "ssm", Name: "Cisco SSM"}

// Register registers the instance with a token (LI-70). Without force,
// SSM refuses an instance it already holds (AlreadyExists, LI-71). An
// instance registered here is FailedPrecondition: Reregister moves it.
func (s *Service) Register(ctx context.Context, token string, force bool) (Status, error) {
	return s.register(ctx, token, force, false)
}

// Reregister attaches the instance to the virtual account of token
// (LI-76): a forced registration replacing the current one, if any.
func (s *Service) Reregister(ctx context.Context, token string) (Status, error) {
	return s.register(ctx, token, true, true)
}

func (s *Service) register(ctx context.Context, token string, force, re bool) (Status, error) {
	annotate(ctx, targetPrefix+" registration")
	if token == "" {
		return Status{}, errs.Invalid("token", "is required")
	}
	if err := s.requireActive(ctx); err != nil {
		return Status{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.load(ctx)
	if err != nil {
		return Status{}, err
	}
	if !re && st.Registration != nil && s.statusOf(st, true).Registered {
		return Status{}, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"this instance is already registered in virtual account %q: use Reregister to move it, or Deregister first", st.Registration.VirtualAccount)
	}
	c, err := s.ssmClient(st.InstanceID)
	if err != nil {
		return Status{}, err
	}
	op := "register"
	reg, err := c.Register(ctx, token, force)
	if err != nil {
		return Status{}, s.failed(ctx, st, op, err)
	}
	sealed, err := s.seal(st, reg.Credential)
	if err != nil {
		return Status{}, err
	}
	now := s.now().UTC()
	prev := st.Registration
	st.Registration = &registration{
		VirtualAccount: reg.VirtualAccount, SealedCredential: sealed,
		RegisteredAt: reg.RegisteredAt.UTC(), RenewedAt: reg.RegisteredAt.UTC(), ExpiresAt: reg.ExpiresAt.UTC(),
		Authorization: reg.Authorization, AuthorizedAt: now,
	}
	if prev == nil || prev.VirtualAccount != reg.VirtualAccount {
		// The compliance answer was about the old account.
		st.Compliance, st.ComplianceLines = "", nil
	}
	annotate(ctx, targetPrefix+" registration, virtual account "+reg.VirtualAccount)
	if err := s.succeeded(ctx, st, true); err != nil {
		return Status{}, err
	}
	s.log.InfoContext(ctx, "registered with SSM", slog.String("virtual_account", reg.VirtualAccount),
		slog.String("instance", st.InstanceID), slog.Bool("force", force))
	return s.statusOf(st, true), nil
}

// RenewAuthorization renews the authorization now (LI-73).
func (s *Service) RenewAuthorization(ctx context.Context) (Status, error) {
	annotate(ctx, targetPrefix+" authorization")
	if err := s.requireActive(ctx); err != nil {
		return Status{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.renewAuthorizationLocked(ctx)
	if err != nil {
		return Status{}, err
	}
	return s.statusOf(st, true), nil
}

func (s *Service) renewAuthorizationLocked(ctx context.Context) (*state, error) {
	st, c, cred, err := s.registered(ctx)
	if err != nil {
		return nil, err
	}
	a, err := c.RenewAuthorization(ctx, cred)
	if err != nil {
		// The last good authorization stays (LI-80).
		return nil, s.failed(ctx, st, "renewAuthorization", err)
	}
	r := st.Registration
	r.Authorization, r.AuthorizedAt = *a, s.now().UTC()
	r.VirtualAccount = a.VirtualAccount
	return st, s.succeeded(ctx, st, false)
}

// RenewRegistration renews the registration now (LI-75).
func (s *Service) RenewRegistration(ctx context.Context) (Status, error) {
	annotate(ctx, targetPrefix+" registration")
	if err := s.requireActive(ctx); err != nil {
		return Status{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.renewRegistrationLocked(ctx)
	if err != nil {
		return Status{}, err
	}
	return s.statusOf(st, true), nil
}

func (s *Service) renewRegistrationLocked(ctx context.Context) (*state, error) {
	st, c, cred, err := s.registered(ctx)
	if err != nil {
		return nil, err
	}
	reg, err := c.RenewRegistration(ctx, cred)
	if err != nil {
		return nil, s.failed(ctx, st, "renewRegistration", err)
	}
	r := st.Registration
	r.RenewedAt, r.ExpiresAt = s.now().UTC(), reg.ExpiresAt.UTC()
	r.VirtualAccount = reg.VirtualAccount
	return st, s.succeeded(ctx, st, false)
}

// Deregister releases the instance from SSM (LI-77) and removes the local
// registration data whatever SSM answers; notified says whether SSM was
// told (or had already forgotten the instance). Not registered is a
// no-op: (false, nil) without contacting SSM. Unlike the other actions it
// does not require Smart mode: leaving Smart mode calls it (LI-07).
func (s *Service) Deregister(ctx context.Context) (notified bool, err error) {
	annotate(ctx, targetPrefix+" registration")
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.load(ctx)
	if err != nil {
		return false, err
	}
	if st.Registration == nil {
		return false, nil
	}
	account := st.Registration.VirtualAccount
	annotate(ctx, targetPrefix+" registration, virtual account "+account)
	var sendErr error
	if c, err := s.ssmClient(st.InstanceID); err != nil {
		sendErr = err
	} else if cred, err := s.credential(st); err != nil {
		sendErr = err
	} else {
		sendErr = c.Deregister(ctx, cred)
		if errors.Is(sendErr, ssm.ErrNotRegistered) {
			// SSM had already let the instance go: the outcome wanted.
			sendErr = nil
		}
	}
	// Everything but the instance id goes: the id is what SSM may still
	// hold, and a later forced registration replaces that (LI-71).
	*st = state{InstanceID: st.InstanceID}
	if sendErr != nil {
		s.log.WarnContext(ctx, "deregistered locally; SSM was not told", slog.String("virtual_account", account), slog.Any("error", sendErr))
		msg, reason := describe("deregister", sendErr)
		st.LastError = &failure{At: s.now().UTC(), Operation: "deregister", Message: msg + "; SSM still lists the instance until it is registered again with force", Reason: reason}
		if err := s.save(ctx, st); err != nil {
			return false, err
		}
		s.setNotes(ctx, false, false)
		return false, nil
	}
	if err := s.save(ctx, st); err != nil {
		return false, err
	}
	s.setNotes(ctx, false, false)
	s.log.InfoContext(ctx, "deregistered from SSM", slog.String("virtual_account", account))
	return true, nil
}

// annotate names the target of the audited call, unless a caller
// outside this package named its own (the licensing core's mode change
// deregisters within its own audited call).
func annotate(ctx context.Context, target string) {
	audit.Annotate(ctx, func(e *audit.Entry) {
		if e.Target == "" || strings.HasPrefix(e.Target, targetPrefix) {
			e.Target = target
		}
	})
}

const targetPrefix = "smart licensing"

// requireActive refuses actions outside Smart mode (LI-06).
func (s *Service) requireActive(ctx context.Context) error {
	ok, err := s.active(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errNotSmart
	}
	return nil
}

// registered loads the state of a registered instance with its client
// and credential.
func (s *Service) registered(ctx context.Context) (*state, *ssm.Client, ssm.Credential, error) {
	st, err := s.load(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	if st.Registration == nil {
		return nil, nil, "", errNotRegistered
	}
	c, err := s.ssmClient(st.InstanceID)
	if err != nil {
		return nil, nil, "", err
	}
	cred, err := s.credential(st)
	if err != nil {
		return nil, nil, "", errs.Wrap(err, errs.Internal, errs.ReasonInternal, "the stored SSM credential cannot be opened")
	}
	return st, c, cred, nil
}

// failed records a failed exchange and returns the API error. The stored
// authorization and registration are left as they were (LI-80), except
// that SSM saying the instance is not registered marks the registration
// lost.
func (s *Service) failed(ctx context.Context, st *state, op string, err error) error {
	msg, reason := describe(op, err)
	s.log.WarnContext(ctx, "SSM exchange failed", slog.String("operation", op), slog.Any("error", err))
	st.LastError = &failure{At: s.now().UTC(), Operation: op, Message: msg, Reason: reason}
	lost := false
	if errors.Is(err, ssm.ErrNotRegistered) && st.Registration != nil && op != "register" {
		st.Registration.Lost = true
		lost = true
	}
	if serr := s.save(ctx, st); serr != nil {
		return errors.Join(ssmError(err), serr)
	}
	if ctx.Err() != nil {
		// The caller gave up (a cancelled request, a stopping server):
		// that says nothing about SSM, so the notifications stay as they
		// are.
		return ssmError(err)
	}
	s.raise(ctx, communicationFailure(err), notifications.CodeSSMUnreachable,
		"Switchboard cannot reach Cisco SSM ("+msg+"). The last authorization is kept; Switchboard retries every hour.")
	if lost {
		s.raise(ctx, true, notifications.CodeSSMRegistrationLost,
			"Cisco SSM no longer accepts this instance's registration ("+msg+"). Register again with a new token and force.")
	}
	return ssmError(err)
}

// succeeded stores the state after a successful exchange and clears the
// SSM notifications (the registration one only when registration was
// made anew).
func (s *Service) succeeded(ctx context.Context, st *state, registered bool) error {
	st.LastError = nil
	if err := s.save(ctx, st); err != nil {
		return err
	}
	s.setNotes(ctx, false, !registered && st.Registration != nil && st.Registration.Lost)
	return nil
}

func (s *Service) setNotes(ctx context.Context, unreachable, lost bool) {
	s.raise(ctx, unreachable, notifications.CodeSSMUnreachable, "")
	s.raise(ctx, lost, notifications.CodeSSMRegistrationLost, "")
}

// raise sets or clears a notification; a failure to do so is logged, not
// returned: the exchange's own outcome is what the caller needs.
func (s *Service) raise(ctx context.Context, on bool, code, msg string) {
	if s.notes == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	var err error
	if on {
		err = s.notes.Raise(ctx, code, subject, msg)
	} else {
		err = s.notes.Clear(ctx, code, subject)
	}
	if err != nil {
		s.log.WarnContext(ctx, "SSM notification", slog.String("code", code), slog.Any("error", err))
	}
}
