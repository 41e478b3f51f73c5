// Package secrets encrypts the secrets Switchboard must store and later use
// in clear (passwords for the Call Bridge, the directory and other peers),
// so that a copy of the database or of a configuration backup does not
// reveal them. The key is 32 random bytes in <dataDir>/secret.key, created
// on first use with mode 0600; a key file anyone else can read is refused.
// A Box seals with AES-256-GCM under a random nonce, and every sealed value
// starts with a one-byte format version, so that a later key rotation can
// tell old values from new ones. Associated data binds a value to where it
// belongs (say, "bridge/3/password"), so that a sealed value copied into
// another row does not open there.
package secrets
