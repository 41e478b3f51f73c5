// Package buildinfo carries the version stamped into the binary at link time
// (see LDFLAGS in the Makefile).
package buildinfo

import "runtime"

// Version and Revision are set with -ldflags -X by `make build`.
var (
	Version  = "dev"
	Revision = "unknown"
)

// GoVersion is the toolchain that built the binary.
func GoVersion() string { return runtime.Version() }
