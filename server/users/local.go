package users

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/passwordhistory"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/paging"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// LocalUser is a user stored and authenticated by Switchboard.
type LocalUser struct {
	Username       string
	FirstName      string
	LastName       string
	Role           principal.Role
	CreateTime     time.Time
	UpdateTime     time.Time
	LastSignInTime time.Time // zero if never
}

func toLocalUser(u *ent.User) LocalUser {
	out := LocalUser{Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, Role: principal.Role(u.Role),
		CreateTime: u.CreateTime, UpdateTime: u.UpdateTime}
	if u.LastSignInTime != nil {
		out.LastSignInTime = *u.LastSignInTime
	}
	return out
}

// NewLocalUser is what CreateLocalUser needs (AU-11).
type NewLocalUser struct {
	Username  string
	FirstName string
	LastName  string
	Role      principal.Role
	Password  string
}

func checkRole(field string, r principal.Role) error {
	if r != principal.RoleAdministrator && r != principal.RoleVideoOperator {
		return errs.Invalid(field, "must be ROLE_ADMINISTRATOR or ROLE_VIDEO_OPERATOR")
	}
	return nil
}

func notFound(username string) error {
	return errs.New(errs.NotFound, errs.ReasonNotFound, "no local user %q", username)
}

// CreateLocalUser creates a local user. The password policies do not
// apply to a password an administrator sets (AU-20).
func (s *Service) CreateLocalUser(ctx context.Context, in NewLocalUser) (LocalUser, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = in.Username })
	if !auth.ValidUsername(in.Username) {
		return LocalUser{}, errs.Invalid("username", "must be 1 to 256 letters, digits and . _ @ + -")
	}
	if err := checkRole("role", in.Role); err != nil {
		return LocalUser{}, err
	}
	if in.Password == "" {
		return LocalUser{}, errs.Invalid("password", "is required")
	}
	hash, err := auth.HashPassword(in.Password, s.auth.HashParams())
	if err != nil {
		return LocalUser{}, err
	}
	var created *ent.User
	err = database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		created, err = tx.User.Create().SetSource(user.SourceLocal).SetUsername(in.Username).
			SetFirstName(strings.TrimSpace(in.FirstName)).SetLastName(strings.TrimSpace(in.LastName)).
			SetRole(user.Role(in.Role)).SetPasswordHash(hash).Save(ctx)
		if err != nil {
			return err
		}
		return auth.RecordPassword(ctx, tx, created.ID, hash, s.now().UTC())
	})
	if err != nil {
		err = database.Translate(err)
		if errs.KindOf(err) == errs.AlreadyExists {
			return LocalUser{}, errs.New(errs.AlreadyExists, errs.ReasonAlreadyExists, "a local user %q already exists", in.Username)
		}
		return LocalUser{}, err
	}
	if created.Role == user.RoleAdministrator {
		_, _ = s.warnIfNoLocalAdmin(ctx)
	}
	return toLocalUser(created), nil
}

func (s *Service) local(ctx context.Context, username string) (*ent.User, error) {
	u, err := s.db.User.Query().Where(user.SourceEQ(user.SourceLocal), user.Username(username)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound(username)
	}
	return u, database.Translate(err)
}

// GetLocalUser returns one local user.
func (s *Service) GetLocalUser(ctx context.Context, username string) (LocalUser, error) {
	u, err := s.local(ctx, username)
	if err != nil {
		return LocalUser{}, err
	}
	return toLocalUser(u), nil
}

// UserPage is one page of local users, with the count of local
// administrators over all pages.
type UserPage struct {
	Users                   []LocalUser
	NextPageToken           string
	LocalAdministratorCount int
}

// ListLocalUsers returns local users in username order, filtered by a
// case-insensitive search on username and names.
func (s *Service) ListLocalUsers(ctx context.Context, search string, pageSize int, pageToken string) (UserPage, error) {
	size := paging.Size(pageSize)
	after, ok, err := paging.Cursor("users", pageToken)
	if err != nil {
		return UserPage{}, err
	}
	q := s.db.User.Query().Where(user.SourceEQ(user.SourceLocal))
	if search = strings.TrimSpace(search); search != "" {
		q = q.Where(user.Or(user.UsernameContainsFold(search), user.FirstNameContainsFold(search), user.LastNameContainsFold(search)))
	}
	if ok {
		q = q.Where(user.UsernameGT(after))
	}
	rows, err := q.Order(ent.Asc(user.FieldUsername)).Limit(size + 1).All(ctx)
	if err != nil {
		return UserPage{}, database.Translate(err)
	}
	var page UserPage
	if len(rows) > size {
		rows = rows[:size]
		page.NextPageToken = paging.Token("users", rows[len(rows)-1].Username)
	}
	for _, r := range rows {
		page.Users = append(page.Users, toLocalUser(r))
	}
	page.LocalAdministratorCount, err = s.LocalAdministratorCount(ctx)
	return page, err
}

// LocalAdministratorCount counts local users with the Administrator role.
// Zero is the NO_LOCAL_ADMIN condition (IM-13): a directory outage would
// then lock every administrator out.
func (s *Service) LocalAdministratorCount(ctx context.Context) (int, error) {
	n, err := s.db.User.Query().Where(user.SourceEQ(user.SourceLocal), user.RoleEQ(user.RoleAdministrator)).Count(ctx)
	return n, database.Translate(err)
}

// warnIfNoLocalAdmin logs the NO_LOCAL_ADMIN condition after a change that
// may have caused it, and returns the count. Until the notification store
// exists, the log and the count in list/delete responses carry it.
func (s *Service) warnIfNoLocalAdmin(ctx context.Context) (int, error) {
	n, err := s.LocalAdministratorCount(ctx)
	if err == nil && n == 0 {
		s.log.WarnContext(ctx, "no local administrator remains: keep one to recover from directory problems (NO_LOCAL_ADMIN)")
	}
	if err == nil && s.OnLocalAdminCount != nil {
		s.OnLocalAdminCount(ctx, n)
	}
	return n, err
}

// LocalUserUpdate holds the changes; nil fields stay.
type LocalUserUpdate struct {
	FirstName *string
	LastName  *string
	Role      *principal.Role
	Password  *string
}

// UpdateLocalUser changes names and role and may set a new password, which
// ends the user's sessions (AU-14).
func (s *Service) UpdateLocalUser(ctx context.Context, username string, in LocalUserUpdate) (LocalUser, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = username })
	if in.Role != nil {
		if err := checkRole("role", *in.Role); err != nil {
			return LocalUser{}, err
		}
	}
	var hash string
	if in.Password != nil {
		if *in.Password == "" {
			return LocalUser{}, errs.Invalid("password", "must not be empty")
		}
		var err error
		if hash, err = auth.HashPassword(*in.Password, s.auth.HashParams()); err != nil {
			return LocalUser{}, err
		}
	}
	var updated *ent.User
	err := database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		u, err := tx.User.Query().Where(user.SourceEQ(user.SourceLocal), user.Username(username)).Only(ctx)
		if ent.IsNotFound(err) {
			return notFound(username)
		}
		if err != nil {
			return err
		}
		upd := tx.User.UpdateOne(u)
		if in.FirstName != nil {
			upd.SetFirstName(strings.TrimSpace(*in.FirstName))
		}
		if in.LastName != nil {
			upd.SetLastName(strings.TrimSpace(*in.LastName))
		}
		if in.Role != nil {
			upd.SetRole(user.Role(*in.Role))
		}
		if hash != "" {
			upd.SetPasswordHash(hash)
		}
		if updated, err = upd.Save(ctx); err != nil {
			return err
		}
		if hash == "" {
			return nil
		}
		if err := auth.RecordPassword(ctx, tx, u.ID, hash, s.now().UTC()); err != nil {
			return err
		}
		return auth.EndUserSessions(ctx, tx.Client(), u.ID, 0)
	})
	if err != nil {
		return LocalUser{}, database.Translate(err)
	}
	if in.Role != nil && *in.Role != principal.RoleAdministrator {
		_, _ = s.warnIfNoLocalAdmin(ctx)
	}
	return toLocalUser(updated), nil
}

// DeleteLocalUser deletes a local user and everything that goes with them.
// Nobody can delete their own account (AU-15); an LDAP administrator may
// delete the last local administrator (AU-16). It returns the number of
// local administrators left.
func (s *Service) DeleteLocalUser(ctx context.Context, caller *principal.Principal, username string) (int, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = username })
	u, err := s.local(ctx, username)
	if err != nil {
		return 0, err
	}
	if caller != nil && caller.Source == principal.SourceLocal && caller.UserID == u.ID {
		return 0, errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition, "you cannot delete your own account")
	}
	if err := s.db.User.DeleteOne(u).Exec(ctx); err != nil && !ent.IsNotFound(err) {
		return 0, database.Translate(err)
	}
	return s.warnIfNoLocalAdmin(ctx)
}

// ChangeOwnPassword sets a new password for the calling local user after
// checking the current one and the security policies (AU-17, AU-20, AU-22).
// A wrong current password counts against the sign-in rate limit. The
// caller's other sessions end.
func (s *Service) ChangeOwnPassword(ctx context.Context, caller *principal.Principal, current, next string) error {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = caller.Username })
	if caller.Source != principal.SourceLocal {
		return errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition,
			"only local users have a password in Switchboard; change a directory password in the directory")
	}
	refund, err := s.auth.ReserveAttempt(ctx, caller.Username)
	if err != nil {
		return err
	}
	u, err := s.db.User.Get(ctx, caller.UserID)
	if err != nil {
		refund()
		return database.Translate(err)
	}
	if ok, _ := auth.VerifyPassword(current, u.PasswordHash); !ok {
		return &errs.Error{Kind: errs.PermissionDenied, Reason: errs.ReasonWrongCurrentPassword,
			Message:    "current_password: is not your current password",
			Violations: []errs.FieldViolation{{Field: "current_password", Description: "is not your current password"}}}
	}
	refund()

	if violations, err := s.policyViolations(ctx, u, next); err != nil {
		return err
	} else if len(violations) > 0 {
		e := &errs.Error{Kind: errs.InvalidArgument, Reason: errs.ReasonInvalidArgument,
			Message: "new_password: " + violations[0]}
		for _, v := range violations {
			e.Violations = append(e.Violations, errs.FieldViolation{Field: "new_password", Description: v})
		}
		return e
	}
	hash, err := auth.HashPassword(next, s.auth.HashParams())
	if err != nil {
		return err
	}
	err = database.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		if err := tx.User.UpdateOneID(u.ID).SetPasswordHash(hash).Exec(ctx); err != nil {
			return err
		}
		if err := auth.RecordPassword(ctx, tx, u.ID, hash, s.now().UTC()); err != nil {
			return err
		}
		return auth.EndUserSessions(ctx, tx.Client(), u.ID, caller.SessionID)
	})
	return database.Translate(err)
}

// policyViolations checks a new own password against the policies in force.
func (s *Service) policyViolations(ctx context.Context, u *ent.User, next string) ([]string, error) {
	p, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	if p.Length.Enabled && len([]rune(next)) < p.Length.MinLength {
		out = append(out, "must be at least "+strconv.Itoa(p.Length.MinLength)+" characters long")
	}
	if p.Strength.Enabled {
		d, err := s.dictionary(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, strengthViolations(next, d.set, u.Username, u.FirstName, u.LastName)...)
	}
	if p.Reuse.Enabled && p.Reuse.Remembered > 0 {
		history, err := s.db.PasswordHistory.Query().Where(passwordhistory.UserID(u.ID)).
			Order(ent.Desc(passwordhistory.FieldCreateTime), ent.Desc(passwordhistory.FieldID)).
			Limit(p.Reuse.Remembered).All(ctx)
		if err != nil {
			return nil, database.Translate(err)
		}
		// The current password always counts, even for an account older
		// than the history.
		hashes := []string{u.PasswordHash}
		for _, h := range history {
			if h.PasswordHash != u.PasswordHash {
				hashes = append(hashes, h.PasswordHash)
			}
		}
		if len(hashes) > p.Reuse.Remembered {
			hashes = hashes[:p.Reuse.Remembered]
		}
		for _, h := range hashes {
			if ok, err := auth.VerifyPassword(next, h); err != nil {
				s.log.WarnContext(ctx, "unreadable password history entry", slog.Any("error", err))
			} else if ok {
				out = append(out, "was used recently; choose one not among your last "+strconv.Itoa(p.Reuse.Remembered)+" passwords")
				break
			}
		}
	}
	return out, nil
}
