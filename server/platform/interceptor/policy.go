package interceptor

import "github.com/switchboardhq/switchboard/server/platform/principal"

// Access is what a procedure requires of its caller.
type Access int

// The access levels. The zero value denies, so an entry written without
// thought fails closed.
const (
	Deny Access = iota
	// Public procedures need no session (sign-in, the pre-sign-in message).
	Public
	// SignedIn procedures are open to every role: self-service, Overview and
	// Meetings (AU-06).
	SignedIn
	// Administrator procedures need the Administrator role (AU-05).
	Administrator
)

func (a Access) String() string {
	switch a {
	case Public:
		return "public"
	case SignedIn:
		return "signed-in"
	case Administrator:
		return "administrator"
	default:
		return "deny"
	}
}

// Policy maps full procedure names (the generated *Procedure constants) to
// the access they require.
type Policy map[string]Access

// Allows reports whether p (nil for an anonymous caller) may call a
// procedure that requires a.
func (a Access) Allows(p *principal.Principal) bool {
	switch a {
	case Public:
		return true
	case SignedIn:
		return p != nil
	case Administrator:
		return p.IsAdministrator()
	default:
		return false
	}
}
