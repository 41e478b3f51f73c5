// Package auth signs users in and out: it checks passwords (argon2id), opens
// and validates sessions (opaque random tokens stored as SHA-256 hashes),
// creates the first administrator of a new installation, and performs the
// host-level break-glass password reset. It knows nothing of HTTP or Connect;
// the API layer adapts it.
package auth
