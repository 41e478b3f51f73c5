package users

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/secrets"
)

// Options tune the service; the zero value gives production defaults.
type Options struct {
	Now func() time.Time
}

// Service manages local users, the security policies, the passphrase
// dictionary, the sign-in directory and the LDAP group mappings.
type Service struct {
	db   *ent.Client
	auth *auth.Service
	log  *slog.Logger
	now  func() time.Time
	// Directory is the LDAP authenticator; register it with the auth
	// service with auth.AddAuthenticator.
	Directory *Directory

	// OnLocalAdminCount, when set, is told the number of local
	// administrators after every change that may have changed it; zero is
	// the NO_LOCAL_ADMIN condition, which the caller raises as a
	// notification (IM-13).
	OnLocalAdminCount func(ctx context.Context, n int)

	// SignInLink, when set, returns the link users are given to sign in
	// (AU-37): the console at the CDR receiver address, or "" while none is
	// configured.
	SignInLink func(ctx context.Context) (string, error)

	mu   sync.Mutex
	dict *dictionary // the parsed uploaded dictionary, by checksum
}

// New returns a Service. box seals the directory's bind password.
func New(db *ent.Client, authSvc *auth.Service, box *secrets.Box, log *slog.Logger, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{db: db, auth: authSvc, log: log, now: opts.Now}
	s.Directory = &Directory{db: db, box: box, log: log, now: opts.Now, pool: newPool()}
	return s
}
