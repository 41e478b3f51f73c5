package errs

import (
	"errors"
	"fmt"
)

// Kind classifies a failure. Each kind maps to exactly one gRPC code.
type Kind int

// The kinds. The zero value is Internal so that an unclassified error is
// never mistaken for a client error.
const (
	Internal Kind = iota
	InvalidArgument
	Unauthenticated
	PermissionDenied
	NotFound
	AlreadyExists
	Aborted
	FailedPrecondition
	ResourceExhausted
	Unavailable
)

var kindNames = [...]string{"internal", "invalid argument", "unauthenticated", "permission denied",
	"not found", "already exists", "aborted", "failed precondition", "resource exhausted", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Reason is a stable, published error reason. Its values mirror the enum
// switchboard.errors.v1.Reason without the REASON_ prefix; a test holds the
// two lists together.
type Reason string

// The reasons.
const (
	ReasonInternal             Reason = "INTERNAL"
	ReasonInvalidArgument      Reason = "INVALID_ARGUMENT"
	ReasonUnauthenticated      Reason = "UNAUTHENTICATED"
	ReasonSessionExpired       Reason = "SESSION_EXPIRED"
	ReasonInvalidCredentials   Reason = "INVALID_CREDENTIALS"
	ReasonPermissionDenied     Reason = "PERMISSION_DENIED"
	ReasonNotFound             Reason = "NOT_FOUND"
	ReasonAlreadyExists        Reason = "ALREADY_EXISTS"
	ReasonStaleEtag            Reason = "STALE_ETAG"
	ReasonFailedPrecondition   Reason = "FAILED_PRECONDITION"
	ReasonRateLimited          Reason = "RATE_LIMITED"
	ReasonUnavailable          Reason = "UNAVAILABLE"
	ReasonCrossSiteRequest     Reason = "CROSS_SITE_REQUEST"
	ReasonWrongCurrentPassword Reason = "WRONG_CURRENT_PASSWORD"
)

// AllReasons lists every reason, for the consistency test and the docs.
var AllReasons = []Reason{
	ReasonInternal, ReasonInvalidArgument, ReasonUnauthenticated, ReasonSessionExpired,
	ReasonInvalidCredentials, ReasonPermissionDenied, ReasonNotFound, ReasonAlreadyExists,
	ReasonStaleEtag, ReasonFailedPrecondition, ReasonRateLimited, ReasonUnavailable,
	ReasonCrossSiteRequest, ReasonWrongCurrentPassword,
}

// FieldViolation names one invalid field and says what is wrong with it in
// words a user can act on.
type FieldViolation struct {
	Field       string // dotted path, e.g. "username" or "bridge.port"
	Description string
}

// Error is a classified failure. Message is safe to show to the caller;
// Cause is for the server log only.
type Error struct {
	Kind       Kind
	Reason     Reason
	Message    string
	Violations []FieldViolation
	// Metadata is published as ErrorInfo metadata (machine-readable
	// details, e.g. which connection check failed).
	Metadata map[string]string
	Cause    error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// New returns an error of the given kind and reason.
func New(kind Kind, reason Reason, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of the given kind and reason that keeps cause for
// the log.
func Wrap(cause error, kind Kind, reason Reason, format string, args ...any) *Error {
	e := New(kind, reason, format, args...)
	e.Cause = cause
	return e
}

// Invalid returns an InvalidArgument error for one field.
func Invalid(field, description string) *Error {
	return &Error{
		Kind:       InvalidArgument,
		Reason:     ReasonInvalidArgument,
		Message:    fmt.Sprintf("%s: %s", field, description),
		Violations: []FieldViolation{{Field: field, Description: description}},
	}
}

// From returns err as an *Error when it is (or wraps) one.
func From(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// KindOf returns the kind of err; Internal when err is not classified.
func KindOf(err error) Kind {
	if e, ok := From(err); ok {
		return e.Kind
	}
	return Internal
}

// ReasonOf returns the reason of err; ReasonInternal when err is not classified.
func ReasonOf(err error) Reason {
	if e, ok := From(err); ok {
		return e.Reason
	}
	return ReasonInternal
}
