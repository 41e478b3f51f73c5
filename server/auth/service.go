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

// tokenPrefix makes a leaked Switchboard token recognisable to secret scanners.
const tokenPrefix = "sbs_"

// Options tune the service; the zero value gives production defaults.
type Options struct {
	HashParams      HashParams
	SessionLifetime time.Duration
	Now             func() time.Time
}

// Service signs users in and out and validates sessions.
type Service struct {
	db    *ent.Client
	audit *audit.Recorder
	log   *slog.Logger
	opts  Options
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

// Meta describes where a request came from.
type Meta struct {
	RemoteAddr string
	UserAgent  string
}

// SignInResult is an opened session.
type SignInResult struct {
	// Token is the only copy of the session token; it is never stored.
	Token     string
	Principal principal.Principal
}

var errInvalidCredentials = errs.New(errs.Unauthenticated, errs.ReasonInvalidCredentials,
	"the username or password is incorrect")

// SignIn checks a local user's password and opens a session.
func (s *Service) SignIn(ctx context.Context, username, password string, meta Meta) (*SignInResult, error) {
	audit.Annotate(ctx, func(e *audit.Entry) {
		e.Actor, e.ActorSource, e.Target = username, string(principal.SourceLocal), username
	})
	u, err := s.db.User.Query().Where(user.SourceEQ(user.SourceLocal), user.Username(username)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, database.Translate(err)
	}
	hash := s.dummyHash
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, verr := VerifyPassword(password, hash)
	if verr != nil {
		// A corrupt stored hash must not lock the user out silently.
		s.log.ErrorContext(ctx, "cannot verify password hash", slog.String("username", username), slog.Any("error", verr))
	}
	if u == nil || !ok {
		return nil, errInvalidCredentials
	}

	now := s.opts.Now().UTC()
	token, digest, err := newToken()
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
	if err := s.db.User.UpdateOne(u).SetLastSignInTime(now).Exec(ctx); err != nil {
		return nil, database.Translate(err)
	}
	return &SignInResult{Token: token, Principal: toPrincipal(u, sess)}, nil
}

// Authenticate returns the caller behind a session token.
func (s *Service) Authenticate(ctx context.Context, token string) (*principal.Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "the session token is not valid; sign in again")
	}
	sess, err := s.db.Session.Query().Where(session.TokenHash(digestOf(token))).WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "the session has ended or does not exist; sign in again")
	}
	if err != nil {
		return nil, database.Translate(err)
	}
	if !s.opts.Now().Before(sess.ExpireTime) {
		if err := s.db.Session.DeleteOne(sess).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			s.log.WarnContext(ctx, "cannot delete expired session", slog.Any("error", err))
		}
		return nil, errs.New(errs.Unauthenticated, errs.ReasonSessionExpired, "the session has expired; sign in again")
	}
	p := toPrincipal(sess.Edges.User, sess)
	return &p, nil
}

// SignOut ends one session.
func (s *Service) SignOut(ctx context.Context, sessionID int) error {
	err := s.db.Session.DeleteOneID(sessionID).Exec(ctx)
	if ent.IsNotFound(err) {
		return nil // already gone: signing out twice is not an error
	}
	return database.Translate(err)
}

// PurgeExpiredSessions deletes sessions past their end and returns how many.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int, error) {
	n, err := s.db.Session.Delete().Where(session.ExpireTimeLTE(s.opts.Now().UTC())).Exec(ctx)
	return n, database.Translate(err)
}

func toPrincipal(u *ent.User, sess *ent.Session) principal.Principal {
	return principal.Principal{
		UserID:      u.ID,
		Username:    u.Username,
		DisplayName: displayName(u),
		Role:        principal.Role(u.Role),
		Source:      principal.Source(u.Source),
		SessionID:   sess.ID,
		ExpireTime:  sess.ExpireTime,
	}
}

func displayName(u *ent.User) string {
	if name := strings.TrimSpace(u.FirstName + " " + u.LastName); name != "" {
		return name
	}
	return u.Username
}

// newToken returns a fresh token (256 random bits) and its stored digest.
func newToken() (token string, digest []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
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
