package servers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// Connection is how to reach and trust one bridge.
type Connection struct {
	Address           string
	Port              int
	Username          string
	Password          string
	VerifyCertificate bool
	TrustedChainPEM   string
	CheckCRL          bool
}

// Failure says what a connection test found wrong.
type Failure string

// The failures.
const (
	FailureNone           Failure = ""
	FailureUnreachable    Failure = "unreachable"
	FailureTLSHandshake   Failure = "tls_handshake"
	FailureUntrusted      Failure = "untrusted"
	FailureNameMismatch   Failure = "name_mismatch"
	FailureRevoked        Failure = "revoked"
	FailureCRLUnavailable Failure = "crl_unavailable"
	FailureBadCredentials Failure = "bad_credentials"
	FailureNotCallBridge  Failure = "not_call_bridge"
	FailureAPIError       Failure = "api_error"
)

// TestResult is what a connection test found.
type TestResult struct {
	OK              bool
	Failure         Failure
	Message         string
	SoftwareVersion string
	BridgeName      string
	Clustered       bool
	ClusterID       string
	TLSVerified     bool
}

// normalise checks c and fills the port default (SV-05, SV-06, SV-13).
func (c *Connection) normalise(prefix string) error {
	a, err := normaliseAddress(prefix+"address", c.Address)
	if err != nil {
		return err
	}
	c.Address = a
	if c.Port == 0 {
		c.Port = cms.DefaultPort
	}
	if c.Port < 1 || c.Port > 65535 {
		return errs.Invalid(prefix+"port", "the port must be between 1 and 65535")
	}
	if c.Username == "" {
		return errs.Invalid(prefix+"username", "give the API username")
	}
	if c.CheckCRL && !c.VerifyCertificate {
		return errs.Invalid(prefix+"check_crl", "CRL checking needs certificate verification")
	}
	if !c.VerifyCertificate {
		c.TrustedChainPEM = ""
	}
	if c.VerifyCertificate {
		if c.TrustedChainPEM == "" {
			return errs.Invalid(prefix+"trusted_chain_pem", "give the certificate chain to verify the bridge with")
		}
		if _, err := cms.ParseTrustedChain([]byte(c.TrustedChainPEM)); err != nil {
			return errs.Invalid(prefix+"trusted_chain_pem", fmt.Sprintf("not a usable PEM certificate chain: %v", err))
		}
	}
	return nil
}

// client builds a wire client for c. Monitoring clients retry once only:
// the monitor has its own back-off.
func (s *Service) client(c Connection, attempts int) (*cms.Client, error) {
	cfg := cms.Config{
		Address: c.Address, Port: c.Port, Username: c.Username, Password: c.Password,
		Timeout: s.opts.RequestTimeout, Retry: cms.Retry{Attempts: attempts}, Now: s.now,
	}
	if c.VerifyCertificate {
		cfg.TrustedChain = []byte(c.TrustedChainPEM)
		if c.CheckCRL {
			cfg.CRL = s.crl
		}
	}
	cl, err := cms.New(cfg)
	if err != nil {
		return nil, errs.Wrap(err, errs.InvalidArgument, errs.ReasonInvalidArgument, "cannot use these connection details: %v", err)
	}
	return cl, nil
}

// probe reads the bridge's status and cluster name with cl.
func probe(ctx context.Context, cl *cms.Client) TestResult {
	st, err := cl.SystemStatus(ctx)
	if err != nil {
		return failed(err)
	}
	r := TestResult{OK: true, SoftwareVersion: st.SoftwareVersion, ClusterID: st.ClusterID, TLSVerified: cl.TLSVerified()}
	r.Clustered = st.ClusterEnabled != nil && *st.ClusterEnabled && st.ClusterID != ""
	if !r.Clustered {
		r.ClusterID = ""
	}
	cc, err := cl.ClusterConfig(ctx)
	if err == nil {
		r.BridgeName = cc.UniqueName
	} else if !errors.Is(err, cms.ErrNotFound) {
		return failed(err)
	}
	return r
}

// failed turns a wire error into a result that says what to fix.
func failed(err error) TestResult {
	var ce *cms.ConnError
	if errors.As(err, &ce) {
		r := TestResult{Message: fmt.Sprintf("%v", ce)}
		switch ce.Kind {
		case cms.KindUnreachable:
			r.Failure, r.Message = FailureUnreachable, fmt.Sprintf("cannot reach %s: check the address and port, and that the Web Admin interface is enabled (%v)", ce.Addr, ce.Err)
		case cms.KindTLSHandshake:
			r.Failure, r.Message = FailureTLSHandshake, fmt.Sprintf("the TLS handshake with %s failed: it must offer TLS 1.2 or later with a permitted cipher suite (%v)", ce.Addr, ce.Err)
		case cms.KindUntrusted:
			r.Failure, r.Message = FailureUntrusted, fmt.Sprintf("the certificate of %s is not signed by the trusted chain (or has expired): upload the CA chain up to the root (%v)", ce.Addr, ce.Err)
		case cms.KindNameMismatch:
			r.Failure, r.Message = FailureNameMismatch, fmt.Sprintf("the address is not in the certificate of %s: use a name or address listed in its subject alternative names (%v)", ce.Addr, ce.Err)
		case cms.KindRevoked:
			r.Failure, r.Message = FailureRevoked, fmt.Sprintf("the certificate of %s is revoked (%v)", ce.Addr, ce.Err)
		case cms.KindCRLUnavailable:
			r.Failure, r.Message = FailureCRLUnavailable, fmt.Sprintf("the certificate revocation list for %s cannot be fetched or verified (%v)", ce.Addr, ce.Err)
		case cms.KindBadCredentials:
			r.Failure, r.Message = FailureBadCredentials, fmt.Sprintf("%s rejects the API username or password", ce.Addr)
		case cms.KindNotCallBridge:
			r.Failure, r.Message = FailureNotCallBridge, fmt.Sprintf("%s answers, but not as a Call Bridge API: check the address and port of the Web Admin interface (%v)", ce.Addr, ce.Err)
		default:
			r.Failure = FailureUnreachable
		}
		return r
	}
	var ae *cms.APIError
	if errors.As(err, &ae) {
		if errors.Is(err, cms.ErrUnavailable) {
			// 503 is "busy, retry later" (reference §1.2): the bridge is
			// there but cannot serve the API now, which is not a wrong
			// address; the monitor backs off and retries as for an
			// unreachable bridge.
			return TestResult{Failure: FailureUnreachable, Message: fmt.Sprintf("the bridge is busy: it keeps answering 503 Service Unavailable (%v); Switchboard retries", ae)}
		}
		return TestResult{Failure: FailureAPIError, Message: fmt.Sprintf("the bridge refused the request: %v", ae)}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return TestResult{Failure: FailureUnreachable, Message: "the bridge did not answer in time"}
	}
	return TestResult{Failure: FailureUnreachable, Message: err.Error()}
}

// state is the connection state a failure leaves a bridge in (SV-31).
func (f Failure) state() string {
	switch f {
	case FailureNone:
		return StateConnected
	case FailureBadCredentials:
		return StateAuthFailed
	case FailureTLSHandshake, FailureUntrusted, FailureNameMismatch, FailureRevoked, FailureCRLUnavailable:
		return StateTLSFailed
	case FailureNotCallBridge, FailureAPIError:
		return StateNotCallBridge
	}
	return StateUnreachable
}

// Connection states (SV-31).
const (
	StateUnknown         = "unknown"
	StateConnected       = "connected"
	StateSynchronizing   = "synchronizing"
	StateAuthFailed      = "auth_failed"
	StateTLSFailed       = "tls_failed"
	StateUnreachable     = "unreachable"
	StateEventsDisrupted = "events_disrupted"
	StateNotCallBridge   = "not_call_bridge"
)

// testTimeout bounds one connection test.
const testTimeout = 20 * time.Second
