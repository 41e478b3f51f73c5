// Package smart is the Smart Licensing lifecycle of one Switchboard
// instance with Cisco Smart Software Manager (SPEC §7.10): registering
// with a token (optionally forced, LI-70, LI-71), renewing the
// authorization every day at 00:00 UTC and on demand (LI-72, LI-73),
// renewing the registration every 6 months and on demand (LI-74, LI-75),
// moving to another virtual account (LI-76), deregistering even when SSM
// cannot be reached (LI-77), and the daily usage report whose compliance
// answer the Licenses view shows (LI-02).
//
// The state (registration, virtual account, renewal times, the last good
// authorization with its purchased counts, the last usage report and the
// last error) lives in one settings section; the credential SSM issues is
// sealed with the secrets box and never leaves the package in clear
// except on the wire to SSM. Background work is three jobs in the job
// registry whose bodies are the exported *IfDue methods, so tests drive
// them with an injected clock. Nothing contacts SSM unless Active says the
// instance is in Smart mode (LI-06), except Deregister, which is how
// leaving Smart mode releases the registration (LI-07). A failed exchange
// keeps the last good authorization (LI-80) and raises SSM_UNREACHABLE,
// cleared by the next success.
//
// The package knows nothing of licence status or allocations: the
// licensing core reads Status and calls Deregister.
package smart
