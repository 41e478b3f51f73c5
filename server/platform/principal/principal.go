// Package principal describes the authenticated caller of a request and
// carries it through a context. It is deliberately tiny so that every layer,
// from interceptors to domain services, can depend on it.
package principal

import (
	"context"
	"time"
)

// Role decides what a caller may do. Permissions depend on the role alone,
// never on where the identity is kept (AU-07).
type Role string

// The two roles (AU-04).
const (
	RoleAdministrator Role = "administrator"
	RoleVideoOperator Role = "video_operator"
)

// Source says where an identity is kept.
type Source string

// The identity sources (AU-01).
const (
	SourceLocal Source = "local"
	SourceLDAP  Source = "ldap"
	// SourceAPIToken is a caller using an API token rather than a session.
	SourceAPIToken Source = "api_token"
)

// Principal is a signed-in caller.
type Principal struct {
	UserID      int
	Username    string
	DisplayName string
	Role        Role
	Source      Source
	// SessionID is the session of the call; 0 for an API token.
	SessionID int
	// APITokenID is the API token of the call; 0 for a session.
	APITokenID int
	// ExpireTime is when the session or token ends at the latest.
	ExpireTime time.Time
	// IdleExpireTime is when the session ends without user interaction;
	// zero when the idle timeout is off or for an API token.
	IdleExpireTime time.Time
}

// IsAdministrator reports whether the caller holds the Administrator role.
func (p *Principal) IsAdministrator() bool { return p != nil && p.Role == RoleAdministrator }

type ctxKey struct{}

// With returns a context carrying p.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the caller carried by ctx, if any.
func From(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(*Principal)
	return p, ok && p != nil
}
