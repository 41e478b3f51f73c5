package ssm

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an *Error by what the caller can do about it.
type Kind int

// The kinds of failure.
const (
	// KindUnreachable: no TCP connection to SSM (refused, no route, DNS).
	KindUnreachable Kind = iota + 1
	// KindTLS: the TLS handshake failed or SSM's certificate is not
	// trusted.
	KindTLS
	// KindTimeout: an attempt got no complete reply within the timeout.
	KindTimeout
	// KindTokenRejected: SSM refused the registration token (unknown,
	// expired, revoked, or rejected for another reason; see Reason).
	KindTokenRejected
	// KindAlreadyRegistered: SSM already holds a registration of this
	// product instance; registering again needs force.
	KindAlreadyRegistered
	// KindNotRegistered: SSM does not (or no longer) recognise the
	// instance or its credential, or the registration expired.
	KindNotRegistered
	// KindUnavailable: SSM answered 503 and did not apply the request.
	KindUnavailable
	// KindRefused: SSM refused the request for another reason (for
	// example invalidRequest).
	KindRefused
	// KindProtocol: the reply is not what the protocol says it is.
	KindProtocol
)

var kindNames = map[Kind]string{
	KindUnreachable:       "SSM unreachable",
	KindTLS:               "TLS failure",
	KindTimeout:           "timed out",
	KindTokenRejected:     "registration token rejected",
	KindAlreadyRegistered: "already registered",
	KindNotRegistered:     "not registered",
	KindUnavailable:       "SSM temporarily unavailable",
	KindRefused:           "request refused",
	KindProtocol:          "reply not understood",
}

// String returns a short English label for the kind.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Sentinel errors; an *Error matches the one of its Kind.
var (
	ErrUnreachable       = errors.New("ssm: unreachable")
	ErrTLS               = errors.New("ssm: TLS failure")
	ErrTimeout           = errors.New("ssm: timed out")
	ErrTokenRejected     = errors.New("ssm: registration token rejected")
	ErrAlreadyRegistered = errors.New("ssm: already registered")
	ErrNotRegistered     = errors.New("ssm: not registered")
	ErrUnavailable       = errors.New("ssm: temporarily unavailable")
	ErrRefused           = errors.New("ssm: request refused")
	ErrProtocol          = errors.New("ssm: reply not understood")
)

var sentinels = map[Kind]error{
	KindUnreachable:       ErrUnreachable,
	KindTLS:               ErrTLS,
	KindTimeout:           ErrTimeout,
	KindTokenRejected:     ErrTokenRejected,
	KindAlreadyRegistered: ErrAlreadyRegistered,
	KindNotRegistered:     ErrNotRegistered,
	KindUnavailable:       ErrUnavailable,
	KindRefused:           ErrRefused,
	KindProtocol:          ErrProtocol,
}

// Error is a failed operation.
type Error struct {
	// Op is the operation ("register", "renewAuthorization", ...).
	Op string
	// Kind says what went wrong.
	Kind Kind
	// Status is the HTTP status of an error reply, 0 when there was none.
	Status int
	// Reason is SSM's reason code (for example "tokenExpired"), "" when
	// none was sent.
	Reason string
	// Message is SSM's explanation, for logs only: it is peer text and
	// must not be shown to API clients as is.
	Message string
	// Err is the underlying cause, if any.
	Err error

	retryAfter time.Duration // a 503's Retry-After
}

// Error names the operation, the kind, the reason and the cause.
func (e *Error) Error() string {
	s := fmt.Sprintf("ssm: %s: %s", e.Op, e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Reason != "" {
			s += " " + e.Reason
		}
		s += ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's kind.
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Kind]
	return ok && s == target
}

// kindOf maps an error reply to a Kind: by reason code first, the status
// deciding only 503.
func kindOf(status int, reason string) Kind {
	switch reason {
	case "tokenUnknown", "tokenExpired", "tokenRevoked", "tokenRejected":
		return KindTokenRejected
	case "alreadyRegistered":
		return KindAlreadyRegistered
	case "notRegistered", "credentialRejected", "registrationExpired":
		return KindNotRegistered
	}
	if status == 503 {
		return KindUnavailable
	}
	return KindRefused
}
