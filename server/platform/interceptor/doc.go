// Package interceptor holds the Connect interceptors every Switchboard RPC
// passes through, and Chain, the one function that puts them in order:
//
//	recover → request id → logging/metrics → errors → authn → authz → validation → audit → handler
//
// Authorization is data, not code: a Policy maps every procedure to the
// access it requires, and a procedure missing from the policy is denied.
// Whether a call is audited is read from the method descriptor: every method
// not marked `idempotency_level = NO_SIDE_EFFECTS` changes state and is
// audited, so no handler can forget.
package interceptor
