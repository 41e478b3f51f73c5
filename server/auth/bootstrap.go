package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/session"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// BootstrapUsername is the first administrator of a new installation (AU-02).
const BootstrapUsername = "admin"

// InitialPasswordFile is where a generated bootstrap password is written,
// inside the data directory, readable only by the service account.
const InitialPasswordFile = "initial-admin-password"

// Bootstrap is what EnsureBootstrapAdmin did.
type Bootstrap struct {
	Created bool
	// GeneratedPassword is set when no password was supplied and one was
	// generated; the caller prints it once.
	GeneratedPassword string
	PasswordFile      string
}

// EnsureBootstrapAdmin creates the local administrator `admin` when the
// database holds no user at all. The password comes from the configuration
// (SWITCHBOARD_ADMIN_PASSWORD) or is generated and written to
// <dataDir>/initial-admin-password with mode 0600.
func (s *Service) EnsureBootstrapAdmin(ctx context.Context, dataDir, password string) (Bootstrap, error) {
	n, err := s.db.User.Query().Count(ctx)
	if err != nil {
		return Bootstrap{}, database.Translate(err)
	}
	if n > 0 {
		return Bootstrap{}, nil
	}
	var res Bootstrap
	if password == "" {
		password = RandomPassword()
		res.GeneratedPassword = password
		res.PasswordFile = filepath.Join(dataDir, InitialPasswordFile)
		if err := os.WriteFile(res.PasswordFile, []byte(password+"\n"), 0o600); err != nil {
			return Bootstrap{}, fmt.Errorf("write initial administrator password: %w", err)
		}
	}
	hash, err := HashPassword(password, s.opts.HashParams)
	if err != nil {
		return Bootstrap{}, err
	}
	err = database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		u, err := tx.User.Create().SetSource(user.SourceLocal).SetUsername(BootstrapUsername).
			SetRole(user.RoleAdministrator).SetPasswordHash(hash).Save(ctx)
		if err != nil {
			return err
		}
		return RecordPassword(ctx, tx, u.ID, hash, s.opts.Now().UTC())
	})
	if err != nil {
		if errs.KindOf(database.Translate(err)) == errs.AlreadyExists {
			// Another instance sharing the database bootstrapped first.
			return Bootstrap{}, nil
		}
		return Bootstrap{}, database.Translate(err)
	}
	res.Created = true
	_ = s.audit.Record(ctx, audit.Entry{Actor: audit.ActorBootstrap, Action: "BOOTSTRAP_ADMIN_CREATED",
		Target: BootstrapUsername, Outcome: audit.OutcomeOK})
	return res, nil
}

// BreakGlassReset sets a new random password for a local user, ends all of
// that user's sessions and records BREAK_GLASS_RESET (IM-21). With create it
// makes the user an administrator, creating the account if it is missing.
// It is meant for `switchboard admin reset-password` on the host.
func (s *Service) BreakGlassReset(ctx context.Context, username string, create bool) (string, error) {
	password := RandomPassword()
	hash, err := HashPassword(password, s.opts.HashParams)
	if err != nil {
		return "", err
	}
	err = database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		u, err := tx.User.Query().Where(user.SourceEQ(user.SourceLocal), user.Username(username)).Only(ctx)
		switch {
		case ent.IsNotFound(err) && create:
			u, err := tx.User.Create().SetSource(user.SourceLocal).SetUsername(username).
				SetRole(user.RoleAdministrator).SetPasswordHash(hash).Save(ctx)
			if err != nil {
				return err
			}
			return RecordPassword(ctx, tx, u.ID, hash, s.opts.Now().UTC())
		case ent.IsNotFound(err):
			return ErrNoSuchUser
		case err != nil:
			return err
		}
		upd := tx.User.UpdateOne(u).SetPasswordHash(hash)
		if create {
			upd = upd.SetRole(user.RoleAdministrator)
		}
		if err := upd.Exec(ctx); err != nil {
			return err
		}
		if err := RecordPassword(ctx, tx, u.ID, hash, s.opts.Now().UTC()); err != nil {
			return err
		}
		_, err = tx.Session.Delete().Where(session.UserID(u.ID)).Exec(ctx)
		return err
	})
	if err != nil {
		if err == ErrNoSuchUser {
			return "", err
		}
		return "", database.Translate(err)
	}
	if err := s.audit.Record(ctx, audit.Entry{Actor: audit.ActorBreakGlass, Action: "BREAK_GLASS_RESET",
		Target: username, Outcome: audit.OutcomeOK}); err != nil {
		return "", err
	}
	return password, nil
}

// ErrUserExists is returned by BreakGlassCreateAdmin when the username is
// taken by a local user.
var ErrUserExists = errors.New("a local user with this name already exists")

// BreakGlassCreateAdmin creates a new local administrator with a random
// password, which it returns, and records BREAK_GLASS_CREATE_ADMIN (IM-21).
// It is meant for `switchboard admin create-admin` on the host.
func (s *Service) BreakGlassCreateAdmin(ctx context.Context, username string) (string, error) {
	if !ValidUsername(username) {
		return "", fmt.Errorf("%q is not a valid username: use letters, digits and . _ @ + - (at most 256)", username)
	}
	password := RandomPassword()
	hash, err := HashPassword(password, s.opts.HashParams)
	if err != nil {
		return "", err
	}
	err = database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		u, err := tx.User.Create().SetSource(user.SourceLocal).SetUsername(username).
			SetRole(user.RoleAdministrator).SetPasswordHash(hash).Save(ctx)
		if err != nil {
			return err
		}
		return RecordPassword(ctx, tx, u.ID, hash, s.opts.Now().UTC())
	})
	if err != nil {
		if errs.KindOf(database.Translate(err)) == errs.AlreadyExists {
			return "", ErrUserExists
		}
		return "", database.Translate(err)
	}
	if err := s.audit.Record(ctx, audit.Entry{Actor: audit.ActorBreakGlass, Action: "BREAK_GLASS_CREATE_ADMIN",
		Target: username, Outcome: audit.OutcomeOK}); err != nil {
		return "", err
	}
	return password, nil
}

// ValidUsername reports whether name is acceptable for a new local user:
// 1 to 256 letters, digits and . _ @ + - (the rule of the API as well).
func ValidUsername(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("._@+-", r)) {
			return false
		}
	}
	return true
}
