// Package servers manages the Call Bridges and clusters Switchboard talks
// to (SPEC §3, SV-01 … SV-35): adding a bridge only after a connection test
// that names what failed, identifying its cluster from its own API,
// discovering its peers, monitoring every bridge with a job of the job
// registry (connection state, back-off, notifications raised and cleared),
// and registering Switchboard's CDR receiver on the bridges of clusters
// with meeting management on (ST-14 … ST-17), never touching another
// consumer's receiver entry.
//
// TMS association (SV-27) and provisioning (SV-28 … SV-30) are reported as
// not configured until their issues land; the events client (OV-10, OV-11)
// arrives with the meetings issue, so EVENTS_DISRUPTED and SYNCHRONIZING
// are defined but not yet entered.
package servers
