// Package ssmsim simulates Cisco Smart Software Manager (SSM, also CSSM)
// for tests and demos of Switchboard's Smart Licensing. One *Sim holds
// virtual accounts with purchased licence counts per entitlement, the
// registration tokens issued for them, and the product instances
// registered with those tokens, and serves them over HTTPS on loopback
// with its own CA.
//
// The real Smart Licensing exchange between a product and SSM is not
// described in the project's reference, so the simulator speaks a small
// HTTPS+JSON protocol of Switchboard's own, documented in
// docs/ssm-protocol.md: register with a token (refused when the instance
// is already registered, unless forced), renew the authorization (the
// authorized counts and their expiry), renew the registration (six months
// on the simulated clock), deregister, and send usage reports (stored per
// instance and answered with a compliance state). server/ssm is the client
// of that protocol; a real-protocol adapter can later take the
// simulator's place behind the same client interface.
//
// Faults (unreachable, every token rejected, every registration "already
// registered", slow replies, 503 bursts) are Go methods on *Sim and are
// also reachable through a small JSON control API (ControlHandler).
package ssmsim
