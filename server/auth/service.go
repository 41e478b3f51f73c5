package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/passwordhistory"
	"github.com/switchboardhq/switchboard/ent/session"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// DefaultSessionLifetime is the hard end of every session after sign-in,
// whatever the activity (AU-50).
const DefaultSessionLifetime = 24 * time.Hour

// Token prefixes make a leaked Switchboard credential recognisable to
// secret scanners, and tell sessions from API tokens without a lookup.
const (
	tokenPrefix    = "sbs_"
	apiTokenPrefix = "sbt_"
)

// MaxPasswordHistory bounds the stored password hashes per user; the reuse
// policy may remember at most this many.
const MaxPasswordHistory = 24

// Options tune the service; the zero value gives production defaults.
type Options struct {
	HashParams      HashParams
	SessionLifetime time.Duration
	Now             func() time.Time
}

// Service signs users in and out, validates sessions and API tokens, and
// applies the sign-in settings (rate limit, idle timeout, messages).
type Service struct {
	db             *ent.Client
	audit          *audit.Recorder
	log            *slog.Logger
	opts           Options
	authenticators []Authenticator
	// dummyHash is verified against when the username is unknown, so that a
	// failed sign-in takes as long whether or not the user exists.
	dummyHash string
}

// New returns a Service over db.
func New(db *ent.Client, rec *audit.Recorder, log *slog.Logger, opts Options) (*Service, error) {
	if opts.HashParams == (HashParams{}) {
		opts.HashParams = DefaultHashParams
	}
	if opts.SessionLifetime == 0 {
		opts.SessionLifetime = DefaultSessionLifetime
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	dummy, err := HashPassword(RandomPassword(), opts.HashParams)
	if err != nil {
		return nil, err
	}
	return &Service{db: db, audit: rec, log: log, opts: opts, dummyHash: dummy}, nil
}

// HashParams returns the argon2id cost new hashes get.
func (s *Service) HashParams() HashParams { return s.opts.HashParams }

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.opts.Now() }

// Authenticator is an identity source besides local users, such as the
// LDAP directory (IM-24). Sign-in asks each registered authenticator in
// turn for usernames that are not local users.
type Authenticator interface {
	// Authenticate checks a username and password. It returns:
	//   - an Identity on success;
	//   - ErrUnknownUser when it does not know the user (or is not
	//     configured), so the next source is asked;
	//   - ErrInvalidCredentials when it knows the user but the password is
	//     wrong or the user may not sign in; the Identity, if not nil,
	//     names the user so the failure can be recorded;
	//   - any other error (usually errs.Unavailable) when it cannot tell.
	Authenticate(ctx context.Context, username, password string) (*Identity, error)
}

// Identity is a user vouched for by an Authenticator.
type Identity struct {
	// Username is the canonical username (as the source spells it).
	Username    string
	DisplayName string
	Role        principal.Role
	Source      principal.Source
}

// Errors an Authenticator returns.
var (
	ErrUnknownUser        = errors.New("auth: unknown user")
	ErrInvalidCredentials = errors.New("auth: invalid credentials")
)

// AddAuthenticator registers an identity source; call it before serving.
func (s *Service) AddAuthenticator(a Authenticator) { s.authenticators = append(s.authenticators, a) }

// Meta describes where a request came from.
type Meta struct {
	RemoteAddr string
	UserAgent  string
}

// AccountActivity is what the user should know about their account (AU-56).
type AccountActivity struct {
	PreviousSignInTime    time.Time // zero on the first sign-in
	PreviousSignInAddress string
	FailedAttemptsSince   int
	LastFailedAttemptTime time.Time // zero without failures
}

// SignInResult is an opened session.
type SignInResult struct {
	// Token is the only copy of the session token; it is never stored.
	Token     string
	Principal principal.Principal
	// PostSignInMessage is shown before the application; may be empty.
	PostSignInMessage string
	// Activity is set when the administrator asked for it to be shown.
	Activity *AccountActivity
}

var errInvalidCredentials = errs.New(errs.Unauthenticated, errs.ReasonInvalidCredentials,
	"the username or password is incorrect")

// SignIn checks a username and password and opens a session. Local users
// are checked locally only (AU-41); other usernames go to the registered
// authenticators. The per-username rate limit applies to both (AU-42).
func (s *Service) SignIn(ctx context.Context, username, password string, meta Meta) (*SignInResult, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Actor, e.Target = username, username })
	st, err := s.SignInSettings(ctx)
	if err != nil {
		return nil, err
	}
	if st.RateLimit.Enabled {
		// An empty bucket refuses before any credential is checked (AU-45).
		if err := s.reserveAttempt(ctx, username, st.RateLimit); err != nil {
			return nil, err
		}
	}
	refund := func() {
		if st.RateLimit.Enabled {
			s.refundAttempt(ctx, username, st.RateLimit)
		}
	}

	u, err := s.db.User.Query().Where(user.SourceEQ(user.SourceLocal), user.Username(username)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		refund()
		return nil, database.Translate(err)
	}
	if u != nil {
		audit.Annotate(ctx, func(e *audit.Entry) { e.ActorSource = string(principal.SourceLocal) })
		ok, verr := VerifyPassword(password, u.PasswordHash)
		if verr != nil {
			// A corrupt stored hash must not lock the user out silently.
			s.log.ErrorContext(ctx, "cannot verify password hash", slog.String("username", username), slog.Any("error", verr))
		}
		if !ok {
			s.recordFailure(ctx, u.ID)
			return nil, errInvalidCredentials
		}
		refund()
		return s.openSession(ctx, u, meta, st)
	}

	for _, a := range s.authenticators {
		id, err := a.Authenticate(ctx, username, password)
		switch {
		case errors.Is(err, ErrUnknownUser):
			continue
		case errors.Is(err, ErrInvalidCredentials):
			if id != nil {
				audit.Annotate(ctx, func(e *audit.Entry) { e.ActorSource = string(id.Source) })
				if ex, _ := s.db.User.Query().Where(user.SourceEQ(user.Source(id.Source)), user.Username(id.Username)).Only(ctx); ex != nil {
					s.recordFailure(ctx, ex.ID)
				}
			}
			return nil, errInvalidCredentials
		case err != nil:
			refund() // the directory could not tell: not the user's fault
			return nil, err
		}
		audit.Annotate(ctx, func(e *audit.Entry) { e.ActorSource = string(id.Source) })
		ext, err := s.upsertExternalUser(ctx, id)
		if err != nil {
			refund()
			return nil, err
		}
		refund()
		return s.openSession(ctx, ext, meta, st)
	}
	// Nobody knows the user: spend the time a check would take.
	_, _ = VerifyPassword(password, s.dummyHash)
	return nil, errInvalidCredentials
}

func (s *Service) recordFailure(ctx context.Context, userID int) {
	err := s.db.User.UpdateOneID(userID).AddFailedSignIns(1).SetLastFailedSignInTime(s.opts.Now().UTC()).
		Exec(context.WithoutCancel(ctx))
	if err != nil {
		s.log.WarnContext(ctx, "cannot record a failed sign-in", slog.Any("error", err))
	}
}

// upsertExternalUser records a directory user on sign-in, with the role
// and name the directory gives now (AU-08, AU-40).
func (s *Service) upsertExternalUser(ctx context.Context, id *Identity) (*ent.User, error) {
	src := user.Source(id.Source)
	err := s.db.User.Create().SetSource(src).SetUsername(id.Username).SetRole(user.Role(id.Role)).
		SetDisplayName(truncate(id.DisplayName, 512)).
		OnConflictColumns(user.FieldSource, user.FieldUsername).
		Update(func(u *ent.UserUpsert) {
			u.UpdateRole()
			u.UpdateDisplayName()
			u.UpdateUpdateTime()
		}).Exec(ctx)
	if err != nil {
		return nil, database.Translate(err)
	}
	u, err := s.db.User.Query().Where(user.SourceEQ(src), user.Username(id.Username)).Only(ctx)
	return u, database.Translate(err)
}

func (s *Service) openSession(ctx context.Context, u *ent.User, meta Meta, st SignInSettings) (*SignInResult, error) {
	now := s.opts.Now().UTC()
	token, digest, err := newToken(tokenPrefix)
	if err != nil {
		return nil, err
	}
	sess, err := s.db.Session.Create().
		SetTokenHash(digest).SetUserID(u.ID).
		SetCreateTime(now).SetLastActivityTime(now).SetExpireTime(now.Add(s.opts.SessionLifetime)).
		SetRemoteAddr(truncate(meta.RemoteAddr, 256)).SetUserAgent(truncate(meta.UserAgent, 512)).
		Save(ctx)
	if err != nil {
		return nil, database.Translate(err)
	}
	activity := &AccountActivity{
		PreviousSignInAddress: u.LastSignInAddr,
		FailedAttemptsSince:   u.FailedSignIns,
	}
	if u.LastSignInTime != nil {
		activity.PreviousSignInTime = *u.LastSignInTime
	}
	if u.LastFailedSignInTime != nil {
		activity.LastFailedAttemptTime = *u.LastFailedSignInTime
	}
	if err := s.db.User.UpdateOne(u).SetLastSignInTime(now).SetLastSignInAddr(truncate(meta.RemoteAddr, 256)).
		SetFailedSignIns(0).ClearLastFailedSignInTime().Exec(ctx); err != nil {
		return nil, database.Translate(err)
	}
	res := &SignInResult{Token: token, Principal: toPrincipal(u, sess, st.IdleTimeout), PostSignInMessage: st.Messages.PostSignIn}
	if st.Messages.ShowAccountActivity {
		res.Activity = activity
	}
	return res, nil
}

var (
	errBadToken = errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "the session token is not valid; sign in again")
	errNoToken  = errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "the session has ended or does not exist; sign in again")
	errExpired  = errs.New(errs.Unauthenticated, errs.ReasonSessionExpired, "the session has expired; sign in again")
)

// Authenticate returns the caller behind a session token or API token.
func (s *Service) Authenticate(ctx context.Context, token string) (*principal.Principal, error) {
	switch {
	case strings.HasPrefix(token, tokenPrefix):
		return s.authenticateSession(ctx, token)
	case strings.HasPrefix(token, apiTokenPrefix):
		return s.authenticateAPIToken(ctx, token)
	}
	return nil, errBadToken
}

func (s *Service) authenticateSession(ctx context.Context, token string) (*principal.Principal, error) {
	sess, err := s.db.Session.Query().Where(session.TokenHash(digestOf(token))).WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errNoToken
	}
	if err != nil {
		return nil, database.Translate(err)
	}
	if sess.EndTime != nil {
		return nil, errExpired
	}
	st, err := s.SignInSettings(ctx)
	if err != nil {
		return nil, err
	}
	if end := sessionEnd(sess, st.IdleTimeout); !s.opts.Now().Before(end) {
		s.expire(ctx, sess, sess.Edges.User.Username)
		return nil, errExpired
	}
	p := toPrincipal(sess.Edges.User, sess, st.IdleTimeout)
	return &p, nil
}

// sessionEnd is when a session ends: 24 h after sign-in, or earlier after
// the idle timeout since the last interaction.
func sessionEnd(sess *ent.Session, idle IdleTimeout) time.Time {
	end := sess.ExpireTime
	if d := idle.Duration(); d > 0 {
		if idleEnd := sess.LastActivityTime.Add(d); idleEnd.Before(end) {
			end = idleEnd
		}
	}
	return end
}

// expire marks a session ended and records SESSION_EXPIRED once, whichever
// of the request path and the sweeper gets there first.
func (s *Service) expire(ctx context.Context, sess *ent.Session, username string) {
	ctx = context.WithoutCancel(ctx)
	n, err := s.db.Session.Update().Where(session.ID(sess.ID), session.EndTimeIsNil()).
		SetEndTime(s.opts.Now().UTC()).Save(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "cannot mark a session expired", slog.Any("error", err))
		return
	}
	if n == 1 {
		_ = s.audit.Record(ctx, audit.Entry{Actor: audit.ActorSystem, Action: "SESSION_EXPIRED",
			Target: username, Outcome: audit.OutcomeOK})
	}
}

// SignOut ends one session.
func (s *Service) SignOut(ctx context.Context, sessionID int) error {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = e.Actor })
	if sessionID == 0 {
		return errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"an API token has no session to sign out of; an administrator revokes it with DeleteApiToken")
	}
	err := s.db.Session.DeleteOneID(sessionID).Exec(ctx)
	if ent.IsNotFound(err) {
		return nil // already gone: signing out twice is not an error
	}
	return database.Translate(err)
}

// ReportActivity records a user interaction on a session (AU-48) and
// returns when the session would now end if idle (zero when the idle
// timeout is off).
func (s *Service) ReportActivity(ctx context.Context, p *principal.Principal) (time.Time, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = p.Username })
	if p.SessionID == 0 {
		return time.Time{}, nil // API tokens have no idle timer
	}
	now := s.opts.Now().UTC()
	n, err := s.db.Session.Update().Where(session.ID(p.SessionID), session.EndTimeIsNil()).
		SetLastActivityTime(now).Save(ctx)
	if err != nil {
		return time.Time{}, database.Translate(err)
	}
	if n == 0 {
		return time.Time{}, errNoToken
	}
	st, err := s.SignInSettings(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if d := st.IdleTimeout.Duration(); d > 0 {
		return minTime(now.Add(d), p.ExpireTime), nil
	}
	return time.Time{}, nil
}

// SweepInterval is how often ExpireSessions should run: the idle timeout is
// enforced exactly on every call, and the sweeper ends idle sessions within
// this granularity even when nobody uses them (AU-49).
const SweepInterval = 30 * time.Second

// tombstoneLifetime is how long an expired session is kept, so that its
// holder is told SESSION_EXPIRED rather than "unknown session".
const tombstoneLifetime = 24 * time.Hour

// ExpireSessions ends sessions past their hard end or idle timeout
// (recording SESSION_EXPIRED for each), purges expired sessions older than
// a day and refilled rate-limit buckets. It returns how many sessions
// expired.
func (s *Service) ExpireSessions(ctx context.Context) (int, error) {
	st, err := s.SignInSettings(ctx)
	if err != nil {
		return 0, err
	}
	now := s.opts.Now().UTC()
	q := s.db.Session.Query().Where(session.EndTimeIsNil())
	if d := st.IdleTimeout.Duration(); d > 0 {
		q = q.Where(session.Or(session.ExpireTimeLTE(now), session.LastActivityTimeLTE(now.Add(-d))))
	} else {
		q = q.Where(session.ExpireTimeLTE(now))
	}
	expired, err := q.WithUser().All(ctx)
	if err != nil {
		return 0, database.Translate(err)
	}
	for _, sess := range expired {
		s.expire(ctx, sess, sess.Edges.User.Username)
	}
	if _, err := s.db.Session.Delete().Where(session.EndTimeLTE(now.Add(-tombstoneLifetime))).Exec(ctx); err != nil {
		return len(expired), database.Translate(err)
	}
	if _, err := s.purgeFullBuckets(ctx, st.RateLimit); err != nil {
		return len(expired), err
	}
	return len(expired), nil
}

// PurgeExpiredSessions deletes sessions past their hard end and returns how
// many.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int, error) {
	n, err := s.db.Session.Delete().Where(session.ExpireTimeLTE(s.opts.Now().UTC())).Exec(ctx)
	return n, database.Translate(err)
}

func toPrincipal(u *ent.User, sess *ent.Session, idle IdleTimeout) principal.Principal {
	p := principal.Principal{
		UserID:      u.ID,
		Username:    u.Username,
		DisplayName: displayName(u),
		Role:        principal.Role(u.Role),
		Source:      principal.Source(u.Source),
		SessionID:   sess.ID,
		ExpireTime:  sess.ExpireTime,
	}
	if d := idle.Duration(); d > 0 {
		p.IdleExpireTime = minTime(sess.LastActivityTime.Add(d), sess.ExpireTime)
	}
	return p
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// DisplayName is the name to show for a user: the directory's name for
// LDAP users, first and last name for local users, else the username.
func displayName(u *ent.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	if name := strings.TrimSpace(u.FirstName + " " + u.LastName); name != "" {
		return name
	}
	return u.Username
}

// newToken returns a fresh token (256 random bits) and its stored digest.
func newToken(prefix string) (token string, digest []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, digestOf(token), nil
}

func digestOf(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ErrNoSuchUser is returned by BreakGlassReset for an unknown user when
// creation was not asked for.
var ErrNoSuchUser = errors.New("no such local user")

// RecordPassword stores hash as a user's newest password in tx, keeping at
// most MaxPasswordHistory entries (AU-18).
func RecordPassword(ctx context.Context, tx *ent.Tx, userID int, hash string, now time.Time) error {
	if err := tx.PasswordHistory.Create().SetUserID(userID).SetPasswordHash(hash).SetCreateTime(now).Exec(ctx); err != nil {
		return err
	}
	old, err := tx.PasswordHistory.Query().Where(passwordhistory.UserID(userID)).
		Order(ent.Desc(passwordhistory.FieldCreateTime), ent.Desc(passwordhistory.FieldID)).
		Offset(MaxPasswordHistory).IDs(ctx)
	if err != nil || len(old) == 0 {
		return err
	}
	_, err = tx.PasswordHistory.Delete().Where(passwordhistory.IDIn(old...)).Exec(ctx)
	return err
}
