// Package ssm is the wire client for Cisco Smart Software Manager as
// Switchboard speaks to it: the HTTPS+JSON protocol of
// docs/ssm-protocol.md, which is Switchboard's stand-in for the real Smart
// Licensing exchange (sim/ssm implements its other side). It registers
// the product instance with a registration token (optionally forcing a
// re-registration), renews the authorization and the registration,
// deregisters, and sends usage reports, each returning a typed result.
// Failures come back as *Error with a Kind (unreachable, TLS, timeout,
// token rejected, already registered, not registered, unavailable,
// refused, protocol) matched by the Err* sentinels through errors.Is, and
// with SSM's reason code kept. Every attempt is bounded by a timeout and
// by the caller's context; attempts are repeated only where that is safe
// (nothing was sent, a 503, or an operation that is idempotent on SSM's
// side). The package holds no domain logic and no package-level state:
// the instance's credential is returned to the caller, who stores it.
package ssm
