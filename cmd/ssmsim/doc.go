// Command ssmsim runs the Cisco Smart Software Manager simulator (package
// sim/ssm) on its own, for demos and for trying Switchboard's Smart
// Licensing by hand: it creates virtual accounts with purchased counts,
// issues a registration token for each, writes the simulator CA to a
// file, prints the protocol URL to give Switchboard (--ssm-url,
// --ssm-ca-file), the tokens and the control API's address (faults,
// purchases, usage reports received), and stops cleanly on SIGINT or
// SIGTERM.
package main
