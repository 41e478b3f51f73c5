// Package api holds what is common to the Connect handlers: the one
// authorization policy table, keyed by the generated procedure constants.
// Each service's handler lives in a subpackage named after its proto package
// (authv1, systemv1, ...): it converts the request, calls one domain method
// and converts the result, nothing more.
package api
