package auth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

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
	err = s.db.User.Create().SetSource(user.SourceLocal).SetUsername(BootstrapUsername).
		SetRole(user.RoleAdministrator).SetPasswordHash(hash).Exec(ctx)
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
			return tx.User.Create().SetSource(user.SourceLocal).SetUsername(username).
				SetRole(user.RoleAdministrator).SetPasswordHash(hash).Exec(ctx)
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
