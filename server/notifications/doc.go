// Package notifications is the store of current conditions shown on the
// overview (SPEC §1, OV-01 … OV-19). A condition raises its notification
// when it starts and clears it when it ends; both are idempotent, keyed by
// code and subject, so a monitor may raise on every failed poll and clear
// on every successful one. Every code is listed, with its severity, in the
// published catalogue (Catalogue); raising an unlisted code is a bug and
// is refused. Resolved notifications are kept 7 days (PurgeResolved), and
// watchers in this process are told of every change (Watch).
package notifications
