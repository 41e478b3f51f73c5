// Package users manages who may sign in besides the bootstrap account:
// local users and their passwords (with the security policies, the
// passphrase generator and its dictionary), and the LDAP directory used for
// sign-in with its group-to-role mappings. Its Directory type is the LDAP
// authenticator that server/auth asks during sign-in (IM-24). It knows
// nothing of Connect or the generated API; the API layer adapts it.
package users
