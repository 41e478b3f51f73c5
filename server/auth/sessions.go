package auth

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/session"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/paging"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// SessionInfo describes an open session (never its token).
type SessionInfo struct {
	ID               int
	Principal        principal.Principal
	CreateTime       time.Time
	LastActivityTime time.Time
	ExpireTime       time.Time
	IdleExpireTime   time.Time // zero when the idle timeout is off
	RemoteAddr       string
	UserAgent        string
}

// SessionFilter selects sessions to list.
type SessionFilter struct {
	UserID   int    // 0 for any
	Username string // "" for any
}

// Page is one page of a list.
type Page[T any] struct {
	Items         []T
	NextPageToken string
}

// ListSessions returns open sessions, newest first, a page at a time.
func (s *Service) ListSessions(ctx context.Context, f SessionFilter, pageSize int, pageToken string) (Page[SessionInfo], error) {
	size := paging.Size(pageSize)
	after, ok, err := paging.IntCursor("sessions", pageToken)
	if err != nil {
		return Page[SessionInfo]{}, err
	}
	st, err := s.SignInSettings(ctx)
	if err != nil {
		return Page[SessionInfo]{}, err
	}
	now := s.opts.Now().UTC()
	q := s.db.Session.Query().Where(session.EndTimeIsNil(), session.ExpireTimeGT(now))
	if d := st.IdleTimeout.Duration(); d > 0 {
		q = q.Where(session.LastActivityTimeGT(now.Add(-d)))
	}
	if f.UserID != 0 {
		q = q.Where(session.UserID(f.UserID))
	}
	if f.Username != "" {
		q = q.Where(session.HasUserWith(user.Username(f.Username)))
	}
	if ok {
		q = q.Where(session.IDLT(after))
	}
	rows, err := q.WithUser().Order(ent.Desc(session.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return Page[SessionInfo]{}, database.Translate(err)
	}
	var page Page[SessionInfo]
	if len(rows) > size {
		rows = rows[:size]
		page.NextPageToken = paging.IntToken("sessions", rows[len(rows)-1].ID)
	}
	for _, r := range rows {
		p := toPrincipal(r.Edges.User, r, st.IdleTimeout)
		page.Items = append(page.Items, SessionInfo{
			ID: r.ID, Principal: p, CreateTime: r.CreateTime, LastActivityTime: r.LastActivityTime,
			ExpireTime: r.ExpireTime, IdleExpireTime: p.IdleExpireTime, RemoteAddr: r.RemoteAddr, UserAgent: r.UserAgent,
		})
	}
	return page, nil
}

// RevokeSession ends a session. With userID not 0, only a session of that
// user may be ended (self-service); another user's session is NOT_FOUND.
func (s *Service) RevokeSession(ctx context.Context, id, userID int) error {
	q := s.db.Session.Query().Where(session.ID(id))
	if userID != 0 {
		q = q.Where(session.UserID(userID))
	}
	sess, err := q.WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return errs.New(errs.NotFound, errs.ReasonNotFound, "no session %d", id)
	}
	if err != nil {
		return database.Translate(err)
	}
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "session of " + sess.Edges.User.Username })
	err = s.db.Session.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	return database.Translate(err)
}

// RevokeAllSessions ends every session except keepID (0 keeps none) and
// returns how many ended (ST-75).
func (s *Service) RevokeAllSessions(ctx context.Context, keepID int) (int, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "all sessions" })
	n, err := s.db.Session.Delete().Where(session.IDNEQ(keepID)).Exec(ctx)
	return n, database.Translate(err)
}

// EndUserSessions ends every session of a user except keepID, as after a
// password change.
func EndUserSessions(ctx context.Context, db *ent.Client, userID, keepID int) error {
	_, err := db.Session.Delete().Where(session.UserID(userID), session.IDNEQ(keepID)).Exec(ctx)
	return database.Translate(err)
}
