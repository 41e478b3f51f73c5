// Command cmsim runs the Call Bridge simulator (package sim/cms) on its own,
// for demos and for poking at Switchboard by hand: it starts clusters of
// simulated bridges on loopback, writes the simulator CA to a file, prints
// every bridge's address and credentials and the control API's address,
// optionally drives seeded meeting traffic, and stops cleanly on SIGINT or
// SIGTERM.
package main
