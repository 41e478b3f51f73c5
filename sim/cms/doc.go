// Package cmssim simulates Cisco Meeting Server Call Bridges for tests, demos
// and load measurements. One *Sim runs any number of bridges, grouped in
// clusters, each with its own HTTPS listener on loopback serving the CMS REST
// API (/api/v1, XML over Basic auth), the Events API (/events/v1 websocket)
// and a CDR emitter that posts <records> batches to the receivers configured
// through the API. Bridges hold live meetings (calls, participants, call legs
// with moving statistics) that change through the API, through Go methods, or
// through a seeded scenario driven by an injectable clock. Each bridge also
// serves the licensing endpoints (system/licensing, clusterLicensing,
// system/multipartyLicensing and its activePersonalLicenses, and
// system/MPLicenseUsage with knownHosts), whose 5-minute usage snapshots
// follow the simulated calls; Bridge.PreloadLicenseUsage fills in history.
//
// The simulator is written from the project's CMS fact reference, not from
// any client: where that reference marks a behaviour as inferred or leaves it
// open, the choice made here is listed in docs/cms-compatibility.md. It is
// deliberately strict where being strict cannot hurt a client (unknown
// POST/PUT parameters are refused, only HTTP 200 acknowledges a CDR batch),
// so that a client that works against the simulator also works against a
// real bridge.
//
// Faults (bridge down, restart, latency, 503 bursts, wrong credentials,
// malformed XML, revoked certificate, dropped events sockets) are Go methods
// on *Bridge and are also reachable through a small JSON control API (see
// ControlHandler) used by cmd/cmsim.
package cmssim
