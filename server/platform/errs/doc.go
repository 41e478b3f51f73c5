// Package errs is Switchboard's one error vocabulary. Domain code returns
// *Error values carrying a Kind (what class of failure, which decides the
// wire code) and a Reason (a stable name from the published list in
// proto/switchboard/errors/v1/errors.proto). The API layer maps them to
// Connect codes in one place; anything that is not an *Error is treated as
// internal and its text never leaves the server.
package errs
