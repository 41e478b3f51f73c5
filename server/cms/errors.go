package cms

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. A returned error matches at most one of them through
// errors.Is; *APIError and *ConnError carry the details.
var (
	// ErrNotFound matches a 404 reply: the object id (or path) is unknown
	// to the bridge. The *APIError behind it names the reason code when the
	// bridge sent one (for example coSpaceDoesNotExist).
	ErrNotFound = errors.New("cms: not found")

	// ErrUnavailable matches a 503 reply: the bridge is temporarily busy
	// and did not apply the request, so it may be sent again later.
	ErrUnavailable = errors.New("cms: call bridge temporarily unavailable")

	// ErrUnreachable matches a *ConnError of kind KindUnreachable.
	ErrUnreachable = errors.New("cms: call bridge unreachable")
	// ErrTLSHandshake matches a *ConnError of kind KindTLSHandshake.
	ErrTLSHandshake = errors.New("cms: TLS handshake failed")
	// ErrUntrusted matches a *ConnError of kind KindUntrusted.
	ErrUntrusted = errors.New("cms: certificate not signed by the trusted chain")
	// ErrNameMismatch matches a *ConnError of kind KindNameMismatch.
	ErrNameMismatch = errors.New("cms: certificate does not match the server address")
	// ErrRevoked matches a *ConnError of kind KindRevoked.
	ErrRevoked = errors.New("cms: certificate revoked")
	// ErrCRLUnavailable matches a *ConnError of kind KindCRLUnavailable.
	ErrCRLUnavailable = errors.New("cms: certificate revocation cannot be checked")
	// ErrBadCredentials matches a *ConnError of kind KindBadCredentials.
	ErrBadCredentials = errors.New("cms: user name or password rejected")
	// ErrNotCallBridge matches a *ConnError of kind KindNotCallBridge.
	ErrNotCallBridge = errors.New("cms: not a Call Bridge API")
)

// APIError is a reply with an HTTP error status. Reason is the tag of the
// single child of the <failureDetails> body (for example
// "duplicateCoSpaceUri"), empty when the bridge sent no such body.
type APIError struct {
	// Method and Path identify the request (Path without /api/v1).
	Method, Path string
	// Status is the HTTP status code.
	Status int
	// Reason is the failure reason code, or "" if none was sent.
	Reason string
	// Parameter and Detail are the supporting values of a parameterError
	// (the offending parameter name and the error text).
	Parameter, Detail string
}

// Error describes the failure with its reason code so that logs stay
// useful without the body.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cms: %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s", e.Reason)
		if e.Parameter != "" {
			fmt.Fprintf(&b, " %s", e.Parameter)
		}
		if e.Detail != "" {
			fmt.Fprintf(&b, ": %s", e.Detail)
		}
		b.WriteString(")")
	}
	return b.String()
}

// Is makes a 404 match ErrNotFound and a 503 match ErrUnavailable, so that
// callers need not inspect the status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == 404
	case ErrUnavailable:
		return e.Status == 503
	}
	return false
}

// Kind classifies a *ConnError: each is a different fix for the
// administrator who entered the bridge's address, credentials and trust.
type Kind int

// The kinds of connection failure.
const (
	// KindUnreachable: no TCP connection (refused, no route, DNS failure,
	// or the dial timed out).
	KindUnreachable Kind = iota + 1
	// KindTLSHandshake: the TLS handshake failed for a reason other than
	// the certificate checks below (protocol version, cipher suites, not
	// TLS at all).
	KindTLSHandshake
	// KindUntrusted: the certificate does not chain to the trusted chain
	// configured for the bridge (or is expired).
	KindUntrusted
	// KindNameMismatch: the certificate chains correctly but is issued for
	// another name or address.
	KindNameMismatch
	// KindRevoked: a certificate in the chain is listed on its issuer's CRL.
	KindRevoked
	// KindCRLUnavailable: CRL checking is on and a certificate has no HTTP
	// CRL distribution point, or its CRL cannot be fetched or verified.
	KindCRLUnavailable
	// KindBadCredentials: the bridge answered 401.
	KindBadCredentials
	// KindNotCallBridge: the server answered, but not as a Call Bridge API
	// does (404 on /api/v1/system/status, a redirect, or a body that is
	// not the expected CMS XML).
	KindNotCallBridge
)

var kindNames = map[Kind]string{
	KindUnreachable:    "unreachable",
	KindTLSHandshake:   "TLS handshake failed",
	KindUntrusted:      "certificate not trusted",
	KindNameMismatch:   "certificate name mismatch",
	KindRevoked:        "certificate revoked",
	KindCRLUnavailable: "revocation check failed",
	KindBadCredentials: "bad credentials",
	KindNotCallBridge:  "not a Call Bridge",
}

// String returns a short English label for the kind.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

func (k Kind) sentinel() error {
	switch k {
	case KindUnreachable:
		return ErrUnreachable
	case KindTLSHandshake:
		return ErrTLSHandshake
	case KindUntrusted:
		return ErrUntrusted
	case KindNameMismatch:
		return ErrNameMismatch
	case KindRevoked:
		return ErrRevoked
	case KindCRLUnavailable:
		return ErrCRLUnavailable
	case KindBadCredentials:
		return ErrBadCredentials
	case KindNotCallBridge:
		return ErrNotCallBridge
	}
	return nil
}

// ConnError is a failure to talk to a Call Bridge at all, as opposed to a
// request the bridge refused (*APIError).
type ConnError struct {
	// Kind says what went wrong.
	Kind Kind
	// Addr is the host:port the client talked to.
	Addr string
	// Err is the underlying cause (a *net.OpError, an x509 error, an
	// *APIError for 401, a decoding error, ...).
	Err error
}

// Error names the kind, the address and the cause.
func (e *ConnError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("cms: %s: %s", e.Addr, e.Kind)
	}
	return fmt.Sprintf("cms: %s: %s: %v", e.Addr, e.Kind, e.Err)
}

// Unwrap returns the cause.
func (e *ConnError) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's kind (ErrRevoked for
// KindRevoked, and so on).
func (e *ConnError) Is(target error) bool {
	s := e.Kind.sentinel()
	return s != nil && s == target
}

// trustError is returned from the TLS verification callback; the client
// turns it into a *ConnError once it knows the address.
type trustError struct {
	kind Kind
	err  error
}

func (e *trustError) Error() string { return e.kind.String() + ": " + e.err.Error() }
func (e *trustError) Unwrap() error { return e.err }

// DecodeError is a reply whose body is not the XML the client expected.
type DecodeError struct {
	// Method and Path identify the request.
	Method, Path string
	// Err is the XML decoding error.
	Err error
}

// Error names the request and the decoding failure.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("cms: %s %s: reply not understood: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }
